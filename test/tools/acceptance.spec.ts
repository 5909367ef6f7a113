// The seed issues' acceptance table (issue 3), through the exact path reviewers use: `npm run plan` on the
// default stack of each tier (docs/architecture/stack.yaml) — the real program under the mock engine, the real
// pack spawned as a policy host, gRPC — and the set of policy families with mandatory findings.
import assert from "node:assert/strict";
import { hygienePolicies } from "../../policies/hygiene";
import { monitoringPolicies } from "../../policies/monitoring";
import { networkPolicies } from "../../policies/network";
import { spofPolicies } from "../../policies/spof";
import { tlsPolicies } from "../../policies/tls";
import { PROD, runPlan, startTierPlans, tierArgs } from "./support/planRuns";

const FAMILIES = { spof: spofPolicies, tls: tlsPolicies, monitoring: monitoringPolicies, network: networkPolicies, hygiene: hygienePolicies };
const familyOf = new Map(Object.entries(FAMILIES).flatMap(([family, policies]) => policies.map((p) => [p.name, family] as const)));

interface Finding {
    policy: string;
    level: string;
    type: string;
    name: string;
}

async function mandatory(args: string[]): Promise<{ families: string[]; findings: Finding[]; code: number | null }> {
    const run = await runPlan(args);
    assert.ok(run.code === 0 || run.code === 1, `plan failed (exit ${run.code}):\n${run.stderr}`);
    const findings = (JSON.parse(run.stdout).findings as Finding[]).filter((f) => f.level === "mandatory");
    for (const f of findings) assert.ok(familyOf.has(f.policy), `policy "${f.policy}" is in no family array`);
    return { families: [...new Set(findings.map((f) => familyOf.get(f.policy)!))].sort(), findings, code: run.code };
}
const describeFinding = (f: Finding) => `${f.policy} on ${f.name || "the stack"}`;

describe("seed-issues acceptance table through npm run plan (spawned policy host, gRPC)", function () {
    this.timeout(120000);
    before(() => startTierPlans());

    it("tier 0: SPOF, TLS, monitoring and network isolation; the plan exits 1", async () => {
        const r = await mandatory(tierArgs(0));
        assert.deepEqual(r.families, ["monitoring", "network", "spof", "tls"], r.findings.map(describeFinding).join("\n"));
        assert.equal(r.code, 1);
    });

    it("tier 1: SPOF at the primary database only, TLS, monitoring and network isolation", async () => {
        const r = await mandatory(tierArgs(1));
        assert.deepEqual(r.families, ["monitoring", "network", "spof", "tls"], r.findings.map(describeFinding).join("\n"));
        const spof = r.findings.filter((f) => familyOf.get(f.policy) === "spof");
        assert.deepEqual([...new Set(spof.map((f) => f.type))], ["digitalocean:index/databaseCluster:DatabaseCluster"], spof.map(describeFinding).join("\n"));
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
        });
    }

    it("production (tier 3 with database.standbyNodes: 1): no mandatory finding; the plan exits 0", async () => {
        const r = await mandatory(tierArgs(3, ...PROD));
        assert.deepEqual(r.findings.map(describeFinding), []);
        assert.equal(r.code, 0);
    });
});
