// docs/architecture/tier-N.{svg,mmd} must be exactly what the offline plan draws today for each tier's default
// stack; regenerate with: node -r ./tools/register.js tools/docs/architecture.ts
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { TIERS, architectureArgs } from "../../examples/variants";
import { DOCS } from "../../tools/docs/architecture";
import { runPlan, startTierPlans } from "../support/planRuns";

const REGENERATE = "run node -r ./tools/register.js tools/docs/architecture.ts";

describe("architecture diagrams (docs/architecture) are fresh", function () {
    this.timeout(120000);
    before(() => startTierPlans());

    for (const tier of TIERS) {
        for (const ext of ["mmd", "svg"]) {
            it(`tier-${tier}.${ext} is what the plan of tier ${tier}'s example stack draws`, async () => {
                const run = await runPlan(architectureArgs(tier));
                assert.ok(run.code === 0 || run.code === 1, run.stderr);
                const fresh = fs.readFileSync(path.join(run.out, `architecture.${ext}`), "utf8");
                const committed = path.join(DOCS, `tier-${tier}.${ext}`);
                assert.ok(
                    fs.existsSync(committed),
                    `${path.relative(process.cwd(), committed)} is missing; ${REGENERATE}`,
                );
                assert.ok(
                    fs.readFileSync(committed, "utf8") === fresh,
                    `${path.relative(process.cwd(), committed)} is stale; ${REGENERATE}`,
                );
            });
        }
    }
});
