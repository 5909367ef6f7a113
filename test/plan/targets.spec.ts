// The plan and the pack price and model the stack with the same code (policies/lib): through the real policy host,
// a budget of one cent and a target of 100 % make both policies state their figures, which must equal the plan's.
import assert from "node:assert/strict";
import * as path from "node:path";
import { percent } from "../../policies/lib/availability";
import type { PlanDocument } from "../../plan/report/document";
import { violation } from "../../plan/report/render";
import { FIXTURES, PROD, runPlan, tierArgs } from "../support/planRuns";

const PROBE = ["--policy-pack-config", path.join(FIXTURES, "pack-config", "targets-probe.json")];
const stacks: [string, string[]][] = [
    ["tier 0", tierArgs(0, ...PROBE)],
    ["tier 1", tierArgs(1, ...PROBE)],
    ["tier 2", tierArgs(2, ...PROBE)],
    ["tier 3", tierArgs(3, ...PROBE)],
    ["production", tierArgs(3, ...PROD, ...PROBE)],
];

async function doc(args: string[]): Promise<PlanDocument> {
    const run = await runPlan(args);
    assert.ok(run.code === 0 || run.code === 1, run.stderr);
    return JSON.parse(run.stdout) as PlanDocument;
}

const finding = (d: PlanDocument, policy: string): string => {
    const found = d.findings.filter((f) => f.policy === policy);
    assert.equal(found.length, 1, `${policy}: ${JSON.stringify(found)}`);
    assert.equal(found[0].level, "advisory");
    return violation(found[0]);
};

describe("plan and pack agree on cost and availability (through the policy host)", function () {
    this.timeout(120000);
    before(() => stacks.forEach(([, args]) => void runPlan(args)));

    for (const [name, args] of stacks) {
        it(`${name}: stack-monthly-budget states the plan's total to the cent`, async () => {
            const d = await doc(args);
            const total = d.cost.monthlyUsd.toFixed(2);
            assert.match(
                finding(d, "stack-monthly-budget"),
                new RegExp(
                    `^The stack is estimated at \\$${total.replace(".", "\\.")} a month, over its budget of \\$0\\.01 `,
                ),
            );
        });

        it(`${name}: stack-availability-target states the plan's availability and downtime`, async () => {
            const d = await doc(args);
            const a = d.availability;
            assert.ok(
                finding(d, "stack-availability-target").startsWith(
                    `The stack's expected monthly availability is ${percent(a.availability)} ` +
                        `(about ${a.downtimeMinutesPerMonth} minutes down in a 30-day month), ` +
                        "below its target of 100.0000 %",
                ),
            );
        });
    }
});

describe("the plan states the budget verdict when the stack's policy config sets one", function () {
    this.timeout(120000);
    const prod = ["--stack", "prod"];
    const probe = tierArgs(1, ...PROBE, "--format", "json");
    before(() => {
        void runPlan(prod);
        void runPlan(probe);
    });

    it("prints the prod stack's cost against its maxMonthlyUsd (policies/config/prod.json)", async () => {
        const run = await runPlan(prod);
        // Exit 1 until the program firewalls its read replicas (database-firewall-required); the budget holds.
        assert.ok(run.code === 0 || run.code === 1, run.stderr);
        assert.doesNotMatch(run.stdout, /stack-monthly-budget\s+\(\d+ finding/);
        const total = /^ {4}Total\s+([\d.]+)$/m.exec(run.stdout)![1];
        assert.match(
            run.stdout,
            new RegExp(
                `^ {4}Budget: \\$${total.replace(".", "\\.")} of \\$400\\.00 ` +
                    String.raw`\(stack-monthly-budget, maxMonthlyUsd\): within budget\.$`,
                "m",
            ),
        );
    });

    it("records a budget of one cent as exceeded in the JSON document", async () => {
        const d = await doc(probe);
        assert.deepEqual(d.budget, { maxMonthlyUsd: 0.01, withinBudget: false });
    });

    it("records no budget for a stack whose config sets none", async () => {
        const d = await doc(tierArgs(1));
        assert.equal(d.budget, null);
    });
});
