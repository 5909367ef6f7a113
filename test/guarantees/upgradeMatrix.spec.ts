// Upgrade safety matrix: every ordered pair of tiers and pool, load balancer, replica and
// standby count changes, through the real program under the mocks. The database cluster, its replicas, the
// cache and the bucket are never replaced; an update that deletes one is refused unless allowDataLoss.
import assert from "node:assert/strict";
import forceNewJson from "../../tools/docs/analysis/forceNew.json";
import { RecordedResource } from "../../plan/capture/recorder";
import {
    CaptureFn,
    DATA_BEARING_TYPES,
    FORCE_NEW,
    MatrixRow,
    buildUpgradeMatrix,
    diffCaptures,
    matrixCases,
    upgradesBlock,
} from "../../tools/docs/analysis/upgradeMatrix";
import { assertGeneratedBlock } from "../support/generatedBlocks";
import { recorder } from "../support/hooks";
import { output, runProgram } from "../support/program";
import { readSharedReference } from "../support/sharedReference";

/** The program run in this process (the mocks the root hook installed), as the matrix asks for it. */
const runOnce: CaptureFn = async (config, previous) => {
    try {
        const run = await runProgram(config, { previous: previous ? { dataResources: previous } : undefined });
        return { resources: run.resources, dataResources: output(run, "dataResources").value };
    } catch (err) {
        return { resources: [...recorder.resources], error: (err as Error).message };
    }
};
/** runOnce, once per config and previous data resources: cases share starting configs (each tier starts three pairs). */
const captures = new Map<string, ReturnType<CaptureFn>>();
const capture: CaptureFn = (config, previous) => {
    const key = JSON.stringify([config, previous ?? null]);
    if (!captures.has(key)) captures.set(key, runOnce(config, previous));
    return captures.get(key)!;
};

const fake = (
    name: string,
    type: string,
    inputs: Record<string, unknown>,
    propertyDependencies: Record<string, string[]> = {},
): RecordedResource =>
    ({
        urn: `urn:pulumi:dev::webstack::${type}::${name}`,
        type,
        name,
        custom: true,
        inputs,
        propertyDependencies,
        replaceOnChanges: [],
    }) as unknown as RecordedResource;
const VPC = "digitalocean:index/vpc:Vpc";
const CLUSTER = "digitalocean:index/databaseCluster:DatabaseCluster";

describe("upgrade matrix: the diff", () => {
    it("takes force-new inputs from the provider schema (tools/docs/analysis/forceNew.json matches it)", function () {
        const schema = readSharedReference<{
            resources: Record<string, { inputProperties: Record<string, { willReplaceOnChanges?: boolean }> }>;
        }>(this, "external/do-pulumi-schema-subset.json");
        const expected = Object.fromEntries(
            Object.entries(schema.resources).map(([type, r]) => [
                type,
                Object.entries(r.inputProperties)
                    .filter(([, p]) => p.willReplaceOnChanges)
                    .map(([k]) => k)
                    .sort(),
            ]),
        );
        assert.deepEqual(forceNewJson.resources, expected);
        assert.deepEqual([...FORCE_NEW[CLUSTER]], ["engine", "name", "privateNetworkUuid", "projectId"]);
    });

    it("replaces a resource whose force-new input changed, updates it in place otherwise", () => {
        const before = [fake("db", CLUSTER, { engine: "mysql", size: "db-s-1vcpu-2gb" })];
        assert.deepEqual(
            diffCaptures(before, [fake("db", CLUSTER, { engine: "mysql", size: "db-s-2vcpu-4gb" })]).replaced,
            [],
        );
        assert.deepEqual(
            diffCaptures(before, [fake("db", CLUSTER, { engine: "pg", size: "db-s-1vcpu-2gb" })]).replaced.map(
                (r) => r.reasons,
            ),
            [["engine"]],
        );
    });

    it("cascades a replacement to a force-new input fed by the replaced resource", () => {
        const before = [
            fake("vpc", VPC, { ipRange: "10.10.0.0/16" }),
            fake(
                "db",
                CLUSTER,
                { privateNetworkUuid: "u" },
                { privateNetworkUuid: [`urn:pulumi:dev::webstack::${VPC}::vpc`] },
            ),
        ];
        const after = [
            fake("vpc", VPC, { ipRange: "10.20.0.0/16" }),
            fake(
                "db",
                CLUSTER,
                { privateNetworkUuid: "u" },
                { privateNetworkUuid: [`urn:pulumi:dev::webstack::${VPC}::vpc`] },
            ),
        ];
        assert.deepEqual(
            diffCaptures(before, after).replaced.map((r) => [r.name, r.reasons]),
            [
                ["vpc", ["ipRange"]],
                ["db", ["privateNetworkUuid ← vpc"]],
            ],
        );
    });

    it("counts a URN that disappears as deleted and a new one as created", () => {
        const d = diffCaptures([fake("a", VPC, {})], [fake("b", VPC, {})]);
        assert.deepEqual([d.created.map((r) => r.name), d.deleted.map((r) => r.name)], [["b"], ["a"]]);
    });
});

describe("upgrade matrix: tiers and counts through the program", function () {
    this.timeout(180000);
    const cases = matrixCases();
    let rows: MatrixRow[];
    before(async () => {
        rows = await buildUpgradeMatrix(capture, cases);
    });
    const row = (label: string) => rows.find((r) => r.label === label)!;

    it("is what docs/guarantees.md's upgrade matrix shows", () => {
        assertGeneratedBlock("upgrades", upgradesBlock(rows));
    });

    it("covers the 12 ordered pairs of tiers and both directions of every count change", () => {
        assert.equal(cases.filter((c) => /^tier \d → \d$/.test(c.label)).length, 12);
        assert.ok(cases.length >= 28, `${cases.length} cases`);
    });

    for (const c of cases) {
        it(`${c.label}: never replaces the database cluster, its replicas, the cache or the bucket`, () => {
            const r = row(c.label);
            assert.deepEqual(
                r.dataReplaced,
                [],
                r.diff.replaced.map((x) => `${x.name}: ${x.reasons.join(", ")}`).join("\n"),
            );
            assert.ok(
                r.diff.replaced.every(
                    (x) => !DATA_BEARING_TYPES.includes(x.type) && x.type !== "digitalocean:index/vpc:Vpc",
                ),
                r.diff.replaced.map((x) => x.name).join(", "),
            );
        });

        it(`${c.label}: is refused exactly when it deletes data, and allowed with allowDataLoss`, () => {
            const r = row(c.label);
            if (r.dataDeleted.length === 0) {
                assert.equal(r.refusal, undefined);
            } else {
                assert.ok(r.refusal, `deletes ${r.dataDeleted.join(", ")} without being refused`);
                assert.match(
                    r.refusal,
                    new RegExp(
                        `^This update would delete or replace ${r.dataDeleted.length} data-bearing resource\\(s\\) of stack "dev": `,
                    ),
                );
                for (const name of r.dataDeleted)
                    assert.ok(r.refusal.includes(`"${name}"`), `${name} not named in: ${r.refusal}`);
                assert.match(r.refusal, /pulumi config set webstack:allowDataLoss true/);
            }
            assert.equal(r.allowedWithFlag, true);
        });
    }

    it("refuses every change that drops the database, the cache, the log store, the bucket, replicas or tier 0's MySQL droplet, and nothing else", () => {
        const refused = rows.filter((r) => r.refusal).map((r) => r.label);
        assert.deepEqual(refused, [
            "tier 0 → 1",
            "tier 0 → 2",
            "tier 0 → 3",
            "tier 1 → 0",
            "tier 2 → 0",
            "tier 2 → 1",
            "tier 3 → 0",
            "tier 3 → 1",
            "tier 3 → 2",
            "tier 3: database.readReplicas 4 → 2",
        ]);
    });

    it("keeps the VPC and every data resource on every upgrade from tier 1 up (only stateless droplets are replaced)", () => {
        const upgrades = rows.filter((x) => {
            const m = /^tier (\d) → (\d)$/.exec(x.label);
            return m !== null && Number(m[1]) >= 1 && Number(m[2]) > Number(m[1]);
        });
        assert.deepEqual(
            upgrades.map((r) => r.label),
            ["tier 1 → 2", "tier 1 → 3", "tier 2 → 3"],
        );
        for (const r of upgrades) {
            assert.deepEqual(
                [...new Set(r.diff.replaced.map((x) => x.type))],
                ["digitalocean:index/droplet:Droplet"],
                r.label,
            );
            assert.deepEqual(r.diff.deleted, [], r.label);
        }
    });
});
