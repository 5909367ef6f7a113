// Upgrade safety matrix. Given the captured resources of a stack before and after a config
// change, lists what `pulumi up` would create, delete (URN gone) and replace (a force-new input changed, or an
// input of one fed by a replaced resource), and whether data-bearing resources are touched. The diff is pure;
// the matrix runs the real program under the recording mocks (in a child process when asked for the docs,
// so it never disturbs a mock engine already installed in the caller's process).
import forceNewJson from "./forceNew.json";
import { plain } from "../../../plan/capture/recorder";
import { type CaptureResult, type Captured, captureInChild } from "../../../plan/capture/inChild";
import { exampleConfig } from "../../../examples/variants";

export type { CaptureResult, Captured };

/** Force-new inputs per type token, from the provider schema (tools/docs/analysis/forceNew.json names its source). */
export const FORCE_NEW: Readonly<Record<string, readonly string[]>> = forceNewJson.resources;

/** Resources that hold data: losing or replacing one loses the data in it. */
export const DATA_BEARING_TYPES: readonly string[] = [
    "digitalocean:index/databaseCluster:DatabaseCluster",
    "digitalocean:index/databaseReplica:DatabaseReplica",
    "digitalocean:index/spacesBucket:SpacesBucket",
];

export interface Replacement {
    urn: string;
    name: string;
    type: string;
    /** The force-new inputs that changed (`input ← replaced resource` when the change comes from a replaced dependency). */
    reasons: string[];
}

export interface UpgradeDiff {
    created: Captured[];
    deleted: Captured[];
    replaced: Replacement[];
}

const isDataBearing = (r: { type: string }) => DATA_BEARING_TYPES.includes(r.type);

function sameValue(a: unknown, b: unknown): boolean {
    return JSON.stringify(canonical(a)) === JSON.stringify(canonical(b));
}
function canonical(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(canonical);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(
            Object.keys(value)
                .sort()
                .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
                .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
        );
    }
    return value;
}

/**
 * Compares two captures of the same stack. A resource is replaced when one of its force-new inputs (provider
 * schema, plus its own `replaceOnChanges`) differs, or depends (propertyDependencies) on a replaced or deleted
 * resource: the new one's id is not known before it exists, so the input changes in the real update even
 * though the mock invents the same id twice.
 */
export function diffCaptures(
    before: readonly Captured[],
    after: readonly Captured[],
    forceNew: Readonly<Record<string, readonly string[]>> = FORCE_NEW,
): UpgradeDiff {
    const custom = (rs: readonly Captured[]) => rs.filter((r) => r.custom);
    const old = new Map(custom(before).map((r) => [r.urn, r]));
    const now = new Map(custom(after).map((r) => [r.urn, r]));
    const created = custom(after).filter((r) => !old.has(r.urn));
    const deleted = custom(before).filter((r) => !now.has(r.urn));
    const replaced = new Map<string, Replacement>();
    const keysOf = (r: Captured) => [...new Set([...(forceNew[r.type] ?? []), ...r.replaceOnChanges])];
    for (const r of custom(after)) {
        const prev = old.get(r.urn);
        if (!prev) continue;
        const a = plain(prev.inputs) as Record<string, unknown>;
        const b = plain(r.inputs) as Record<string, unknown>;
        const reasons = keysOf(r).filter((k) => !sameValue(a[k], b[k]));
        if (reasons.length) replaced.set(r.urn, { urn: r.urn, name: r.name, type: r.type, reasons });
    }
    // Replacements cascade through force-new inputs fed by a resource that gets a new id.
    const gone = () => new Set([...replaced.keys(), ...deleted.map((d) => d.urn)]);
    for (let changed = true; changed;) {
        changed = false;
        const fresh = gone();
        for (const r of custom(after)) {
            if (!old.has(r.urn) || replaced.has(r.urn)) continue;
            const reasons = keysOf(r).flatMap((k) =>
                (r.propertyDependencies[k] ?? [])
                    .filter((u) => fresh.has(u))
                    .map((u) => `${k} ← ${u.split("::").pop()}`),
            );
            if (reasons.length) {
                replaced.set(r.urn, { urn: r.urn, name: r.name, type: r.type, reasons });
                changed = true;
            }
        }
    }
    return { created, deleted, replaced: [...replaced.values()] };
}

// ---------------------------------------------------------------------------------------------------------
// The matrix: every ordered pair of tiers, and count changes within a tier.

export interface MatrixCase {
    label: string;
    from: Record<string, unknown>;
    to: Record<string, unknown>;
}

const TIER_LIST = [0, 1, 2, 3];
const withTier = (tier: number, extra: Record<string, unknown>) => ({ ...exampleConfig(tier), ...extra });

/** 12 tier pairs, then pool, load balancer, replica and standby count changes in both directions. */
export function matrixCases(): MatrixCase[] {
    const cases: MatrixCase[] = [];
    for (const from of TIER_LIST) {
        for (const to of TIER_LIST)
            if (from !== to)
                cases.push({ label: `tier ${from} → ${to}`, from: exampleConfig(from), to: exampleConfig(to) });
    }
    const counts: [number, string, [string, Record<string, unknown>], [string, Record<string, unknown>]][] = [
        [1, "web.count", ["2", { web: { count: 2 } }], ["5", { web: { count: 5 } }]],
        [3, "web.count", ["4", { web: { count: 4 } }], ["8", { web: { count: 8 } }]],
        [3, "app.count", ["4", { app: { count: 4 } }], ["8", { app: { count: 8 } }]],
        [3, "loadBalancer.count", ["2", { loadBalancer: { count: 2 } }], ["4", { loadBalancer: { count: 4 } }]],
        [
            3,
            "database.readReplicas",
            ["2", { database: { readReplicas: 2 } }],
            ["4", { database: { readReplicas: 4 } }],
        ],
        [
            3,
            "database.standbyNodes",
            ["0", { database: { standbyNodes: 0 } }],
            ["2", { database: { standbyNodes: 2 } }],
        ],
        [
            2,
            "web.count with haproxy",
            ["2", { loadBalancer: { engine: "haproxy" }, web: { count: 2 } }],
            ["3", { loadBalancer: { engine: "haproxy" }, web: { count: 3 } }],
        ],
        [
            2,
            "loadBalancer.count with haproxy",
            ["1", { loadBalancer: { engine: "haproxy", count: 1 } }],
            ["2", { loadBalancer: { engine: "haproxy", count: 2 } }],
        ],
    ];
    for (const [tier, key, [small, smallConfig], [large, largeConfig]] of counts) {
        cases.push({
            label: `tier ${tier}: ${key} ${small} → ${large}`,
            from: withTier(tier, smallConfig),
            to: withTier(tier, largeConfig),
        });
        cases.push({
            label: `tier ${tier}: ${key} ${large} → ${small}`,
            from: withTier(tier, largeConfig),
            to: withTier(tier, smallConfig),
        });
    }
    cases.push({
        label: "tier 2: loadBalancer.engine managed → haproxy",
        from: exampleConfig(2),
        to: withTier(2, { loadBalancer: { engine: "haproxy" } }),
    });
    cases.push({
        label: "tier 2: loadBalancer.engine haproxy → managed",
        from: withTier(2, { loadBalancer: { engine: "haproxy" } }),
        to: exampleConfig(2),
    });
    return cases;
}

/** Runs the program with a config, as a stack whose previous update exported `previousDataResources`. */
export type CaptureFn = (config: Record<string, unknown>, previousDataResources?: string[]) => Promise<CaptureResult>;

export interface MatrixRow {
    label: string;
    diff: UpgradeDiff;
    /** Data-bearing resources the update would delete (or, for resources the program declares hold data, replace). */
    dataDeleted: string[];
    /** Data-bearing resources the update would replace (must stay empty). */
    dataReplaced: string[];
    /** The program's data-loss guard: the error without allowDataLoss, or undefined when it let the update through. */
    refusal?: string;
    /** Whether the same update completes with `allowDataLoss: true`. */
    allowedWithFlag: boolean;
}

export async function buildUpgradeMatrix(
    capture: CaptureFn,
    cases: readonly MatrixCase[] = matrixCases(),
): Promise<MatrixRow[]> {
    const rows: MatrixRow[] = [];
    for (const c of cases) {
        const before = await capture(c.from);
        if (before.error) throw new Error(`${c.label}: the starting config fails: ${before.error}`);
        const after = await capture({ ...c.to, allowDataLoss: true }, before.dataResources);
        if (after.error) throw new Error(`${c.label}: the target config fails even with allowDataLoss: ${after.error}`);
        const guarded = await capture(c.to, before.dataResources);
        const diff = diffCaptures(before.resources, after.resources.length ? after.resources : guarded.resources);
        // Besides the data-bearing types, the program declares which resources hold data (tier 0's droplet runs
        // MySQL): replacing one of those loses its data as surely as deleting it.
        const declared = new Set(before.dataResources ?? []);
        rows.push({
            label: c.label,
            diff,
            dataDeleted: [
                ...diff.deleted.filter(isDataBearing),
                ...diff.replaced.filter((r) => declared.has(r.name) && !isDataBearing(r)),
            ].map((r) => r.name),
            dataReplaced: diff.replaced.filter(isDataBearing).map((r) => r.name),
            refusal: guarded.error,
            allowedWithFlag: after.error === undefined,
        });
    }
    return rows;
}

function verdict(row: MatrixRow): string {
    if (row.dataReplaced.length) return `**replaces ${row.dataReplaced.join(", ")}**`;
    if (row.dataDeleted.length === 0) return row.refusal ? `refused: ${row.refusal}` : "keeps all data";
    const names = row.dataDeleted.map((n) => `\`${n.replace(/^webstack-/, "")}\``).join(", ");
    return row.refusal ? `deletes ${names}: refused unless \`allowDataLoss\`` : `**deletes ${names} without asking**`;
}

/** The matrix as a markdown table. */
export function matrixMarkdown(rows: readonly MatrixRow[]): string {
    const replacedNames = (row: MatrixRow) => {
        const groups = new Map<string, number>();
        for (const r of row.diff.replaced) {
            const kind = r.type.split(":").pop()!;
            groups.set(kind, (groups.get(kind) ?? 0) + 1);
        }
        return [...groups].map(([k, n]) => `${n} ${k}`).join(", ");
    };
    return [
        "| Change | Created | Replaced | Deleted | Data-bearing resources |",
        "|---|---:|---|---:|---|",
        ...rows.map(
            (r) =>
                `| ${r.label} | ${r.diff.created.length} | ${r.diff.replaced.length}${r.diff.replaced.length ? ` (${replacedNames(r)})` : ""} | ${r.diff.deleted.length} | ${verdict(r)} |`,
        ),
    ].join("\n");
}

/** A CaptureFn that batches nothing: one child per call would be slow, so the docs use `upgradeMatrixMarkdown`. */
async function captureAllInChild(cases: readonly MatrixCase[]): Promise<CaptureFn> {
    // Two passes: the starting configs first (their dataResources feed the guarded runs), then the targets.
    const starts = await captureInChild(cases.map((c) => ({ config: c.from })));
    const targets = await captureInChild(
        cases.flatMap((c, i) => [
            { config: { ...c.to, allowDataLoss: true }, previousDataResources: starts[i].dataResources },
            { config: c.to, previousDataResources: starts[i].dataResources },
        ]),
    );
    const answers = new Map<string, CaptureResult>();
    const key = (config: Record<string, unknown>, previous?: string[]) => JSON.stringify([config, previous ?? null]);
    cases.forEach((c, i) => {
        answers.set(key(c.from), starts[i]);
        answers.set(key({ ...c.to, allowDataLoss: true }, starts[i].dataResources), targets[2 * i]);
        answers.set(key(c.to, starts[i].dataResources), targets[2 * i + 1]);
    });
    return async (config, previous) => {
        const answer = answers.get(key(config, previous));
        if (!answer) throw new Error(`no capture for ${key(config, previous)}`);
        return answer;
    };
}

/** The `upgrades` block of docs/guarantees.md, captured in child processes. */
export async function upgradeMatrixMarkdown(): Promise<string> {
    const cases = matrixCases();
    return upgradesBlock(await buildUpgradeMatrix(await captureAllInChild(cases), cases));
}

/** The `upgrades` block from the matrix's rows (test/guarantees/upgradeMatrix.spec.ts builds them in-process). */
export function upgradesBlock(rows: readonly MatrixRow[]): string {
    const pairs = rows.filter((r) => /^tier \d → \d$/.test(r.label)).length;
    const deleting = rows.filter((r) => r.dataDeleted.length > 0);
    const refused = deleting.filter((r) => r.refusal).length;
    return (
        `${pairs} tier pairs and ${rows.length - pairs} count and engine changes, each run through the program twice (with and without \`allowDataLoss\`); replacements from the provider schema's force-new inputs (tools/docs/analysis/forceNew.json). ` +
        `${deleting.length} of them would delete data; the program refuses ${refused} of those unless \`allowDataLoss\` is set.\n\n${matrixMarkdown(rows)}`
    );
}
