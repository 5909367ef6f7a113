// The seed issues' acceptance table, through the exact path reviewers use: `npm run plan` on the
// default stack of each tier (examples/stack.yaml) — the real program under the mock engine, the real
// pack spawned as a policy host, gRPC — and the set of policy families with mandatory findings.
import assert from "node:assert/strict";
import { catalog, checkOfFinding } from "../../policies/catalog";
import { PROD, runPlan, startTierPlans, tierArgs } from "../support/planRuns";
import { HAPROXY_ARGS, HAPROXY_PROD_ARGS, autoscaleArgs } from "../../examples/variants";
import { availabilityMarkdown } from "../../tools/docs/analysis/availabilityTable";
import { acceptanceTable, enginesTable, tierTable } from "../../tools/docs/generate";
import { assertGeneratedBlock } from "../support/generatedBlocks";

const familyOf = new Map(catalog.map((e) => [e.name, e.family] as const));

interface Finding {
    policy: string;
    level: string;
    type: string;
    name: string;
    message: string;
}

const REPLICA = "digitalocean:index/databaseReplica:DatabaseReplica";

/**
 * The mandatory findings of a plan, each under its policy or, for stack-checks-pass, its check. Read replicas without
 * a database firewall of their own are kept apart (`openReplicas`): the program does not firewall its replicas yet
 * (components/database.ts creates a DatabaseFirewall for the cluster only), a finding the seed issues did not list.
 */
async function mandatory(
    args: string[],
): Promise<{ families: string[]; findings: Finding[]; openReplicas: string[]; code: number | null }> {
    const run = await runPlan(args);
    assert.ok(run.code === 0 || run.code === 1, `plan failed (exit ${run.code}):\n${run.stderr}`);
    const all = (JSON.parse(run.stdout).findings as Finding[])
        .filter((f) => f.level === "mandatory")
        .map((f) => ({ ...f, policy: checkOfFinding(f) }));
    for (const f of all) assert.ok(familyOf.has(f.policy), `policy "${f.policy}" is in no family array`);
    const open = (f: Finding) => f.policy === "database-firewall-required" && f.type === REPLICA;
    const findings = all.filter((f) => !open(f));
    return {
        families: [...new Set(findings.map((f) => familyOf.get(f.policy)!))].sort(),
        findings,
        openReplicas: all.filter(open).map((f) => f.name),
        code: run.code,
    };
}
const describeFinding = (f: Finding) => `${f.policy} on ${f.name || "the stack"}`;

// The same table with the self-managed engine and with autoscale pools (tools/docs/architecture.ts).
const HAPROXY = HAPROXY_ARGS;
const AUTOSCALE: Record<number, string[]> = { 1: autoscaleArgs(1), 2: autoscaleArgs(2), 3: autoscaleArgs(3) };
const HAPROXY_PROD = HAPROXY_PROD_ARGS;
const DB: [string, string] = ["digitalocean:index/databaseCluster:DatabaseCluster", "webstack-db-cluster"];
/** The stack-level finding of one HAProxy droplet: a single point of failure like the database's. */
const ONE_HAPROXY: [string, string] = ["load-balancer-min-count", ""];

function startEnginePlans(): void {
    for (const tier of [1, 2, 3]) {
        void runPlan(tierArgs(tier, ...HAPROXY));
        void runPlan(tierArgs(tier, ...AUTOSCALE[tier]));
    }
    void runPlan(tierArgs(3, ...HAPROXY_PROD));
}

describe("seed-issues acceptance table through npm run plan (spawned policy host, gRPC)", function () {
    this.timeout(120000);
    before(() => {
        startTierPlans();
        startEnginePlans();
    });

    it("tier 0: SPOF, TLS, monitoring and network isolation; the plan exits 1", async () => {
        const r = await mandatory(tierArgs(0));
        assert.deepEqual(
            r.families,
            ["monitoring", "network", "spof", "tls"],
            r.findings.map(describeFinding).join("\n"),
        );
        assert.equal(r.code, 1);
    });

    it("tier 1: SPOF at the primary database only, TLS, monitoring and network isolation", async () => {
        const r = await mandatory(tierArgs(1));
        assert.deepEqual(
            r.families,
            ["monitoring", "network", "spof", "tls"],
            r.findings.map(describeFinding).join("\n"),
        );
        const spof = r.findings.filter((f) => familyOf.get(f.policy) === "spof");
        assert.deepEqual(
            [...new Set(spof.map((f) => f.type))],
            ["digitalocean:index/databaseCluster:DatabaseCluster"],
            spof.map(describeFinding).join("\n"),
        );
    });

    for (const tier of [2, 3]) {
        it(`tier ${tier}: SPOF at the primary database only`, async () => {
            const r = await mandatory(tierArgs(tier));
            assert.deepEqual(r.families, ["spof"], r.findings.map(describeFinding).join("\n"));
            assert.deepEqual(
                r.findings.map((f) => [f.type, f.name]),
                [["digitalocean:index/databaseCluster:DatabaseCluster", "webstack-db-cluster"]],
                r.findings.map(describeFinding).join("\n"),
            );
            assert.deepEqual(r.openReplicas, [], "every read replica has a database firewall of its own");
        });
    }

    it("production (tier 3, a standby node): no mandatory finding, replicas firewalled; exits 0", async () => {
        const r = await mandatory(tierArgs(3, ...PROD));
        assert.deepEqual(r.findings.map(describeFinding), []);
        assert.deepEqual(r.openReplicas, []);
        assert.equal(r.code, 0);
    });
});

describe("seed-issues acceptance table per load-balancer engine and with autoscaling (npm run plan)", function () {
    this.timeout(180000);
    before(() => startEnginePlans());
    const spofSubjects = (r: { findings: Finding[] }) =>
        r.findings
            .filter((f) => familyOf.get(f.policy) === "spof")
            .map((f) => (f.type ? [f.type, f.name] : [f.policy, f.name]));

    it("haproxy, tier 1: SPOF at the database and the one HAProxy droplet, TLS, monitoring, isolation", async () => {
        const r = await mandatory(tierArgs(1, ...HAPROXY));
        assert.deepEqual(
            r.families,
            ["monitoring", "network", "spof", "tls"],
            r.findings.map(describeFinding).join("\n"),
        );
        assert.deepEqual(spofSubjects(r), [DB, ONE_HAPROXY], r.findings.map(describeFinding).join("\n"));
        assert.deepEqual(
            r.findings.filter((f) => familyOf.get(f.policy) === "tls").map(describeFinding),
            ["public-endpoint-tls on webstack-haproxy-0"],
            "tier 1 has no certificate: the HAProxy config has no TLS listener, reported once",
        );
    });

    it("haproxy, tier 2: SPOF only, at the database and the one HAProxy droplet (open 80/443 expected)", async () => {
        const r = await mandatory(tierArgs(2, ...HAPROXY));
        assert.deepEqual(r.families, ["spof"], r.findings.map(describeFinding).join("\n"));
        assert.deepEqual(spofSubjects(r), [DB, ONE_HAPROXY], r.findings.map(describeFinding).join("\n"));
    });

    it("haproxy, tier 3: SPOF at the primary database only (two HAProxy droplets, active-active)", async () => {
        const r = await mandatory(tierArgs(3, ...HAPROXY));
        assert.deepEqual(r.families, ["spof"], r.findings.map(describeFinding).join("\n"));
        assert.deepEqual(spofSubjects(r), [DB], r.findings.map(describeFinding).join("\n"));
    });

    it("haproxy, production (standby, two HAProxy droplets, autoscaled app): no mandatory finding", async () => {
        const r = await mandatory(tierArgs(3, ...HAPROXY_PROD));
        assert.deepEqual(r.findings.map(describeFinding), []);
        assert.deepEqual(r.openReplicas, []);
        assert.equal(r.code, 0);
    });

    it("autoscaling, tier 1: the tier's table (SPOF at the database only, TLS, monitoring, isolation)", async () => {
        const r = await mandatory(tierArgs(1, ...AUTOSCALE[1]));
        assert.deepEqual(
            r.families,
            ["monitoring", "network", "spof", "tls"],
            r.findings.map(describeFinding).join("\n"),
        );
        assert.deepEqual(spofSubjects(r), [DB], r.findings.map(describeFinding).join("\n"));
        // The pool itself is judged, not skipped: no firewall and no alerts cover it at tier 1.
        assert.ok(
            r.findings.some((f) => f.policy === "droplet-firewall-coverage" && f.name === "webstack-web-pool"),
            r.findings.map(describeFinding).join("\n"),
        );
    });

    for (const tier of [2, 3]) {
        it(`autoscaling, tier ${tier}: SPOF at the primary database only (pools counted at minInstances)`, async () => {
            const r = await mandatory(tierArgs(tier, ...AUTOSCALE[tier]));
            assert.deepEqual(r.families, ["spof"], r.findings.map(describeFinding).join("\n"));
            assert.deepEqual(spofSubjects(r), [DB], r.findings.map(describeFinding).join("\n"));
        });
    }
});

// The documents' tables built from these same plans (the runs are memoized per process), so test/tools/docs.spec.ts
// does not plan these stacks again in the other worker.
describe("the generated tables these plans feed (npm run docs)", function () {
    this.timeout(120000);
    before(() => {
        startTierPlans();
        startEnginePlans();
    });

    it("the README's tier table: what each tier builds, its resources and monthly cost", async () => {
        assertGeneratedBlock("tiers", await tierTable());
    });

    it("docs/reference/policies.md's acceptance table: policy families with mandatory findings per tier and production", async () => {
        assertGeneratedBlock("acceptance", await acceptanceTable());
    });

    it("docs/reference/engines.md's table: cost and findings per load-balancer engine and with autoscaled pools", async () => {
        assertGeneratedBlock("engines", await enginesTable());
    });

    it("docs/availability.md's table: expected monthly availability per tier and production", async () => {
        assertGeneratedBlock("availability", await availabilityMarkdown());
    });
});
