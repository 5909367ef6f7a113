// Generates the tables and figures of README.md and docs/ from the code, so they cannot drift: `npm run docs`
// rewrites every `<!-- generated:NAME -->` … `<!-- /generated:NAME -->` block of every document in DOCUMENTS;
// test/tools/docs.spec.ts fails when one is stale (or the spec test/support/generatedBlocks.ts names for a block whose
// rows that spec computes anyway).
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_DOCS, CONFIG_PATHS, specOf } from "../../components/settings/configKeys";
import { parseSettings } from "../../components/settings/stackConfig";
import { TIER_PROFILES, TIERS } from "../../components/settings/tiers";
import {
    AUTOSCALE_POOLS,
    HAPROXY_ARGS,
    STANDBY_ARGS,
    architectureArgs,
    autoscaleArgs,
    exampleConfig,
} from "../../examples/variants";
import { planDocument } from "../../plan/spawnPlan";
import { WEB_STACK_ARGS, renderWebStackArgs } from "./webStackArgs";
import { exposureMarkdown } from "./analysis/exposure";
import { upgradeMatrixMarkdown } from "./analysis/upgradeMatrix";
import { transitionsSection } from "./analysis/transitions";
import type { PlanDocument } from "../../plan/report/document";
import { availabilityMarkdown } from "./analysis/availabilityTable";
import { OMISSION_RUNS_PER_TIER, PARSER_RUNS, PROGRAM_RUNS, TEXT_RUNS, CASE_BOUND_MS, SEED } from "./fuzzBudget";

const ROOT_DIR = path.join(__dirname, "..", "..");
export const README = path.join(ROOT_DIR, "README.md");
/** Every document with generated blocks. */
export const DOCUMENTS = [
    README,
    ...["configuration", "engines", "policies", "stacks"].map((name) =>
        path.join(ROOT_DIR, "docs", "reference", `${name}.md`),
    ),
    path.join(ROOT_DIR, "docs", "guarantees.md"),
    path.join(ROOT_DIR, "docs", "availability.md"),
    path.join(ROOT_DIR, "docs", "serving.md"),
];

/** A key's cell at a tier: n/a below the tier it applies from, required, its declared default, or none. */
function defaultCell(path: string, tier: (typeof TIERS)[number]): string {
    const spec = specOf(path)!;
    const context = { tier, profile: TIER_PROFILES[tier] };
    if (tier < (spec.from ?? 0)) return "n/a";
    if (spec.required === true || (typeof spec.required === "function" && spec.required(context))) return "required";
    const value = typeof spec.default === "function" ? spec.default(context) : spec.default;
    if (value !== undefined) return `\`${String(value)}\``;
    return spec.type === "string[]" || (typeof spec.type === "object" && "listOf" in spec.type) ? "[]" : "—";
}

export function configTable(): string {
    const rows = CONFIG_PATHS.map(
        (key) =>
            `| \`webstack:${key}\` | ${TIERS.map((tier) => defaultCell(key, tier)).join(" | ")} | ${CONFIG_DOCS[key]} |`,
    );
    return ["| Key | Tier 0 | Tier 1 | Tier 2 | Tier 3 | Meaning |", "|---|---|---|---|---|---|", ...rows].join("\n");
}

/** The tier table: what each tier builds, its monthly cost (from the offline plan of its default stack) and diagram. */
export async function tierTable(): Promise<string> {
    const docs = await Promise.all(TIERS.map((tier) => planDocument(architectureArgs(tier))));
    const rows = TIERS.map((tier, i) => {
        const p = TIER_PROFILES[tier];
        // What the web droplets' nginx does, from the settings the diagram's stack resolves to (examples/stack.yaml).
        const prefix = parseSettings("example", exampleConfig(tier)).staticFiles?.urlPrefix;
        const nginx = prefix ? `nginx serving ${prefix} from disk` : "nginx";
        const parts = [
            tier === 0
                ? `1 droplet (${nginx} + app + MySQL)`
                : `${p.web.count} web droplets (${nginx}${p.app ? `) + ${p.app.count} app droplets behind an internal LB` : " + app)"}`,
            p.loadBalancer
                ? `${p.loadBalancer.count} public load balancer${p.loadBalancer.count > 1 ? "s" : ""}`
                : "DNS → droplet",
            p.database
                ? `managed MySQL (1 node) + ${p.database.readReplicas} read replica${p.database.readReplicas > 1 ? "s" : ""}`
                : "",
            p.firewalls ? "cloud + database firewalls" : "",
            p.tls ? "TLS at the LB" : "",
            p.monitoring ? "monitoring + alerts + uptime" : "",
            // From the plan itself: what the settings resolved to beyond the tier profile.
            docs[i].resources.some(
                (r) =>
                    r.type === "digitalocean:index/databaseCluster:DatabaseCluster" && r.inputs.engine === "opensearch",
            )
                ? "OpenSearch log store + log shipping"
                : "",
            // The monitor droplet (logical name `<name>-monitor-0`) runs Prometheus + Alertmanager.
            docs[i].resources.some(
                (r) => r.type === "digitalocean:index/droplet:Droplet" && r.name.endsWith("-monitor-0"),
            )
                ? "Prometheus QPS monitor"
                : "",
            docs[i].resources.some((r) => r.type === "digitalocean:index/droplet:Droplet" && r.inputs.backups === true)
                ? "weekly droplet backups"
                : "",
            p.cache ? "Valkey cache" : "",
            p.staticAssets ? "Spaces + CDN" : "",
        ].filter((x) => x !== "");
        return `| ${tier} | ${p.title} | ${parts.join("; ")} | ${docs[i].summary.resources} | ${usd(docs[i].cost.monthlyUsd)} | [diagram](docs/architecture/tier-${tier}.svg) |`;
    });
    return [
        "| Tier | Seed task | Builds | Resources | Monthly cost (USD) | Diagram |",
        "|---|---|---|---:|---:|---|",
        ...rows,
    ].join("\n");
}

// ---- Tables computed by the offline plan (stacks, acceptance) and the policy catalog (policies) ----

const ROOT = path.join(__dirname, "..", "..");

/** Shipped stacks: every `Pulumi.<stack>.yaml` at the project root. */
export function shippedStacks(): string[] {
    return fs
        .readdirSync(ROOT)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();
}

/** The offline plan of a shipped stack, with its own policy config (policies/config/<stack>.json). */
export const stackPlan = (stack: string): Promise<PlanDocument> => planDocument(["--stack", stack, "--format", "json"]);

/** The plans behind the seed-issues acceptance table: each tier's default stack, and production. */
export const ACCEPTANCE_PLANS: { label: string; args: string[] }[] = [
    ...TIERS.map((tier) => ({ label: `Tier ${tier} (${TIER_PROFILES[tier].title})`, args: architectureArgs(tier) })),
    {
        label: "Production (tier 3 + `database.standbyNodes: 1`)",
        args: [...architectureArgs(3), ...STANDBY_ARGS],
    },
];

/** Queues the acceptance plans, which several tables read, at once; each table then awaits its own. */
export function startPlans(): void {
    for (const p of ACCEPTANCE_PLANS) planDocument(p.args).catch(() => undefined);
}

const usd = (n: number) => `$${n.toFixed(2)}`;

/** docs/reference/stacks.md: per shipped stack, tier, resources, monthly cost and findings under the stack's own policy config. */
export async function stacksTable(): Promise<string> {
    return stacksBlock(await Promise.all(shippedStacks().map((stack) => stackPlan(stack))));
}

/** The `stacks` block from the shipped stacks' plans (test/repo/stacks.spec.ts has them for its own checks). */
export function stacksBlock(plans: readonly PlanDocument[]): string {
    const docs = [...plans].sort((a, b) => (a.tier ?? -1) - (b.tier ?? -1) || a.stack.localeCompare(b.stack));
    const rows = docs.map((d) => {
        const config = d.policyPack?.config
            ? `[\`${d.policyPack.config}\`](../../${d.policyPack.config})`
            : "pack defaults";
        return `| \`${d.stack}\` | ${d.tier ?? "—"} | ${d.summary.resources} | ${usd(d.summary.monthlyUsd)} | ${d.summary.mandatory} | ${d.summary.advisory} | ${config} |`;
    });
    return [
        "| Stack | Tier | Resources | Monthly cost (USD) | Mandatory findings | Advisory findings | Policy config |",
        "|---|---|---:|---:|---:|---:|---|",
        ...rows,
    ].join("\n");
}

/** The policy catalog (policies/catalog.ts). */
export function policiesTable(): string {
    const { catalogMarkdown } = require("../../policies/catalog") as typeof import("../../policies/catalog");
    return catalogMarkdown();
}

/** The seed issues' acceptance table: per tier and production, the policy families with mandatory findings. */
export async function acceptanceTable(): Promise<string> {
    startPlans();
    const { catalog, checkOfFinding } = require("../../policies/catalog") as typeof import("../../policies/catalog");
    const familyOf = new Map(catalog.map((e) => [e.name, e.family]));
    const docs = await Promise.all(ACCEPTANCE_PLANS.map((p) => planDocument(p.args)));
    const rows = ACCEPTANCE_PLANS.map((p, i) => {
        const mandatory = docs[i].findings.filter((f) => f.level === "mandatory");
        const families = [
            ...new Set(mandatory.map((f) => familyOf.get(checkOfFinding(f)) ?? `unknown policy ${f.policy}`)),
        ].sort();
        return `| ${p.label} | ${families.length > 0 ? families.join(", ") : "none"} | ${mandatory.length} | ${docs[i].summary.exitCode} |`;
    });
    return [
        "| Stack | Policy families with mandatory findings | Mandatory findings | `npm run plan` exits |",
        "|---|---|---:|---:|",
        ...rows,
    ].join("\n");
}

/** Monthly cost per tier with each load-balancer engine, and with autoscaled pools (min–max), from the offline plan. */
export async function enginesTable(): Promise<string> {
    const { costRange } = require("../../policies/lib/pricing") as typeof import("../../policies/lib/pricing");
    const variants = TIERS.map((tier) => {
        const scale = AUTOSCALE_POOLS[tier];
        return {
            tier,
            scale,
            managed: planDocument(architectureArgs(tier)),
            haproxy: tier === 0 ? undefined : planDocument([...architectureArgs(tier), ...HAPROXY_ARGS]),
            autoscale: scale && planDocument([...architectureArgs(tier), ...autoscaleArgs(tier)]),
        };
    });
    const { catalog, checkOfFinding } = require("../../policies/catalog") as typeof import("../../policies/catalog");
    const familyOf = new Map(catalog.map((e) => [e.name, e.family]));
    const families = (doc: PlanDocument | undefined) => {
        if (!doc) return "n/a";
        const found = [
            ...new Set(
                doc.findings
                    .filter((f) => f.level === "mandatory")
                    .map((f) => familyOf.get(checkOfFinding(f)) ?? f.policy),
            ),
        ].sort();
        return found.length > 0 ? found.join(", ") : "none";
    };
    const rows: string[] = [];
    const findings: string[] = [];
    for (const v of variants) {
        const managedDoc = await v.managed;
        const haproxyDoc = v.haproxy && (await v.haproxy);
        const autoscaleDoc = v.autoscale && (await v.autoscale);
        const range = autoscaleDoc && costRange(autoscaleDoc.resources as unknown as Parameters<typeof costRange>[0]);
        const pools = v.scale
            ? `web ${v.scale.web.join("–")}${v.scale.app ? `, app ${v.scale.app.join("–")}` : ""}`
            : "";
        const scaled = range ? `${usd(range.min)} – ${usd(range.max)} (${pools})` : "n/a (one server)";
        rows.push(
            `| ${v.tier} | ${usd(managedDoc.cost.monthlyUsd)} | ${haproxyDoc ? usd(haproxyDoc.cost.monthlyUsd) : "n/a (no load balancer)"} | ${scaled} |`,
        );
        findings.push(
            `| ${v.tier} | ${families(managedDoc)} | ${families(haproxyDoc || undefined)} | ${families(autoscaleDoc || undefined)} |`,
        );
    }
    // Production: tier 3 with a standby database node (two HAProxy droplets with the haproxy engine).
    const [prodManaged, prodHaproxy] = await Promise.all([
        planDocument([...architectureArgs(3), ...STANDBY_ARGS]),
        planDocument([...architectureArgs(3), ...HAPROXY_ARGS, "--config", "webstack:database.standbyNodes=1"]),
    ]);
    rows.push(
        `| 3 + \`database.standbyNodes: 1\` | ${usd(prodManaged.cost.monthlyUsd)} | ${usd(prodHaproxy.cost.monthlyUsd)} | n/a |`,
    );
    findings.push(`| 3 + \`database.standbyNodes: 1\` | ${families(prodManaged)} | ${families(prodHaproxy)} | n/a |`);
    return [
        "| Tier | Managed load balancers (default) | HAProxy droplets (`loadBalancer.engine: haproxy`) | Autoscaled pools, managed engine: total at min – at max (pool sizes) |",
        "|---|---:|---:|---|",
        ...rows,
        "",
        "Policy families with mandatory findings for the same stacks (the seed-issues table; with one HAProxy droplet, at tiers 1 and 2, SPOF also reports it):",
        "",
        "| Tier | Managed | HAProxy | Autoscaled pools |",
        "|---|---|---|---|",
        ...findings,
    ].join("\n");
}

/** What the config fuzzer runs (test/guarantees/configFuzz.spec.ts, budgets in tools/docs/fuzzBudget.ts). */
function fuzzSummary(): string {
    const n = (x: number) => x.toLocaleString("en-US");
    return [
        `\`test/guarantees/configFuzz.spec.ts\` (seed ${SEED}) sends ${n(PARSER_RUNS)} random and adversarial stack configs (wrong types, out-of-range and`,
        "huge numbers, unknown keys and sub-keys, `__proto__`/`constructor`, empty and unicode strings, long lists, JSON-looking text, image",
        `references and ports the host renderers reject), ${n(TEXT_RUNS)} configs of arbitrary JSON text and ${n(OMISSION_RUNS_PER_TIER)} required-key omissions per tier`,
        `through \`parseStackConfig\`, and ${n(PROGRAM_RUNS)} configs through the whole program under the mock engine, each bounded to ${n(CASE_BOUND_MS / 1000)} s.`,
        "Each ends in settings (a completed run) or exactly one `ConfigError`/`RunError` whose message lists one",
        "`  - webstack:…` line per problem, each with the value it got (never a secret's) and a `Fix:`; every unknown",
        "`webstack:*` key is reported; no other exception, no unhandled rejection, no hang. Failures the fuzzer found are",
        "kept as named regression cases.",
    ].join("\n");
}

/** Block name → generator. */
export const SECTIONS: Record<string, () => string | Promise<string>> = {
    tiers: tierTable,
    config: configTable,
    stacks: stacksTable,
    policies: policiesTable,
    acceptance: acceptanceTable,
    upgrades: upgradeMatrixMarkdown,
    transitions: transitionsSection,
    exposure: exposureMarkdown,
    engines: enginesTable,
    fuzz: fuzzSummary,
    availability: availabilityMarkdown,
};

const BLOCK = /<!-- generated:([\w-]+) -->/g;

/** Rewrites every generated block of one document; a block whose name no generator knows is an error. */
export async function renderDocument(text: string, file: string, sections = SECTIONS): Promise<string> {
    let out = text;
    for (const [, name] of [...text.matchAll(BLOCK)]) {
        const make = sections[name];
        if (!make)
            throw new Error(
                `${path.relative(ROOT_DIR, file)} has a block "${name}" that no generator in tools/docs/generate.ts makes`,
            );
        out = replaceSection(out, name, await make(), file);
    }
    return out;
}

/** The body of the generated block `name` in `text` (what replaceSection put there), or undefined without one. */
export function blockOf(text: string, name: string): string | undefined {
    const start = `<!-- generated:${name} -->\n`;
    const i = text.indexOf(start);
    const j = text.indexOf(`\n<!-- /generated:${name} -->`);
    return i < 0 || j < i ? undefined : text.slice(i + start.length, j);
}

export function replaceSection(text: string, name: string, body: string, file = "README.md"): string {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    if (i < 0 || j < i) throw new Error(`${path.relative(ROOT_DIR, file)} has no ${start} … ${end} block`);
    return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}

if (require.main === module) {
    (async () => {
        fs.writeFileSync(WEB_STACK_ARGS, await renderWebStackArgs());
        for (const file of DOCUMENTS) fs.writeFileSync(file, await renderDocument(fs.readFileSync(file, "utf8"), file));
    })().catch((err: Error) => {
        process.stderr.write(`${err.message}\n`);
        process.exit(1);
    });
}
