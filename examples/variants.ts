// The example stack (examples/stack.yaml) and its named variants, as plan arguments and as config. Docs, the
// analyses and the tests all start from these, so they share one (memoized) plan run per variant.
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";

const ROOT = path.resolve(__dirname, "..");
export const TIERS = [0, 1, 2, 3] as const;

/** The plan arguments a tier's diagram comes from; the freshness test runs the same. */
export const architectureArgs = (tier: number) => [
    "--stack",
    "example",
    "--config-file",
    "examples/stack.yaml",
    "--tier",
    String(tier),
    "--format",
    "json",
];

/** The example stack's config file (only the keys every tier needs). */
export const EXAMPLE_STACK_FILE = path.join(ROOT, "examples", "stack.yaml");

/** The example stack's config at a tier, as `webstack:*` values without the namespace (what tests override). */
export function exampleConfig(tier: number): Record<string, unknown> {
    // Parsed once per process (the property tests ask for it thousands of times); each caller gets its own copy.
    exampleKeys ??= Object.entries(
        (parseYaml(fs.readFileSync(EXAMPLE_STACK_FILE, "utf8")) as { config: Record<string, unknown> }).config,
    ).map(([k, v]) => [k.replace(/^webstack:/, ""), v] as const);
    return { tier, ...structuredClone(Object.fromEntries(exampleKeys)) };
}
let exampleKeys: (readonly [string, unknown])[] | undefined;

// Variants, as extra plan arguments.
/** The self-managed load-balancer engine. */
export const HAPROXY_ARGS = ["--config-path", "--config", "webstack:loadBalancer.engine=haproxy"];
/** The seed's improvement that removes the primary-database SPOF. */
export const STANDBY_ARGS = ["--config-path", "--config", "webstack:database.standbyNodes=1"];
/** Autoscaled pool sizes (min, max) per tier. */
export const AUTOSCALE_POOLS: Record<number, { web: [number, number]; app?: [number, number] }> = {
    1: { web: [2, 5] },
    2: { web: [2, 5], app: [2, 4] },
    3: { web: [2, 8], app: [2, 8] },
};
const poolArgs = (role: string, [min, max]: [number, number]) =>
    [`min=${min}`, `max=${max}`, "targetCpu=60"].flatMap((kv) => ["--config", `webstack:${role}.autoscale.${kv}`]);
/** Autoscaled web (and from tier 2 app) pools at a tier. */
export const autoscaleArgs = (tier: number): string[] => {
    const pools = AUTOSCALE_POOLS[tier];
    return ["--config-path", ...poolArgs("web", pools.web), ...(pools.app ? poolArgs("app", pools.app) : [])];
};
/** Production with HAProxy: two HAProxy droplets (tier 3), a standby node, and an autoscaled app pool. */
export const HAPROXY_PROD_ARGS = [
    ...HAPROXY_ARGS,
    "--config",
    "webstack:database.standbyNodes=1",
    ...poolArgs("app", [2, 8]),
];
