// Remediation through the real policy host, called the way the CLI calls it: Remediate per resource, then Analyze on
// the remediated inputs. The fixture is a plain program (not webstack's components) with the four safe fixes to make.
import assert from "node:assert/strict";
import * as path from "node:path";
import type { PlanDocument } from "../../plan/report/document";
import { FIXTURES, runPlan } from "../support/planRuns";

const program = ["-C", path.join(FIXTURES, "remediate-program"), "--stack", "remediate", "--policy-pack", "policies"];
const REMEDIATE = [...program, "--policy-pack-config", path.join(FIXTURES, "pack-config", "remediate.json")];
const FIXED = [
    "spaces-bucket-private",
    "droplet-monitoring-agent",
    "load-balancer-http-redirect",
    "load-balancer-strong-ciphers",
];

async function doc(args: string[]): Promise<PlanDocument> {
    const run = await runPlan([...args, "--format", "json"]);
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    return JSON.parse(run.stdout) as PlanDocument;
}

describe("remediation (through the policy host)", function () {
    this.timeout(120000);
    before(() => {
        void runPlan([...REMEDIATE, "--format", "json"]);
        void runPlan([...program, "--format", "json"]);
        void runPlan(REMEDIATE);
    });

    it("shows each change the four safe remediations make: resource, property, before and after", async () => {
        const d = await doc(REMEDIATE);
        assert.deepEqual(
            d.remediations.map((m) => [m.name, m.policy, m.changes]),
            [
                [
                    "shop-assets",
                    "spaces-bucket-private",
                    [{ property: "acl", before: "public-read", after: "private" }],
                ],
                [
                    "shop-pool",
                    "droplet-monitoring-agent",
                    [{ property: "dropletTemplate.withDropletAgent", before: null, after: true }],
                ],
                [
                    "shop-lb",
                    "load-balancer-http-redirect",
                    [{ property: "redirectHttpToHttps", before: null, after: true }],
                ],
                [
                    "shop-lb",
                    "load-balancer-strong-ciphers",
                    [{ property: "tlsCipherPolicy", before: null, after: "STRONG" }],
                ],
            ],
        );
    });

    it("leaves no finding of a remediated policy: Analyze sees the remediated inputs", async () => {
        const d = await doc(REMEDIATE);
        assert.deepEqual(
            d.findings.filter((f) => FIXED.includes(f.policy)),
            [],
        );
    });

    it("reports the same four as findings at their own levels, remediating nothing, without remediate", async () => {
        const d = await doc(program);
        assert.deepEqual(d.remediations, []);
        assert.deepEqual(
            d.findings
                .filter((f) => FIXED.includes(f.policy))
                .map((f) => [f.policy, f.level])
                .sort(),
            FIXED.map((p) => [p, p === "spaces-bucket-private" ? "advisory" : "mandatory"]).sort(),
        );
    });

    it("prints each change in the text plan", async () => {
        const run = await runPlan(REMEDIATE);
        assert.ok(
            run.stdout.includes(
                "    ~ digitalocean:index/spacesBucket:SpacesBucket: shop-assets  " +
                    'acl: "public-read" => "private"  (spaces-bucket-private)\n',
            ),
            run.stdout,
        );
    });
});
