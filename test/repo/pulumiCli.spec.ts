// The readiness gates rely on the Pulumi CLI failing an update when an after-hook fails (3.238.0 and later): every
// workflow that runs Pulumi pins that CLI, deploys run with unbounded parallelism, and the docs name the version.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { PULUMI_CLI, cliSupportsGates } from "../../components/readiness/servingGate";

const ROOT = path.join(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface Step {
    uses?: string;
    with?: Record<string, unknown>;
}
const pulumiSteps = fs
    .readdirSync(WORKFLOWS)
    .filter((f) => /\.ya?ml$/.test(f))
    .flatMap((f) => {
        const wf = YAML.parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8")) as {
            jobs: Record<string, { steps?: Step[] }>;
        };
        return Object.values(wf.jobs).flatMap((job) =>
            (job.steps ?? []).filter((s) => s.uses?.startsWith("pulumi/actions@")).map((s) => ({ file: f, step: s })),
        );
    });

describe("Pulumi CLI for the readiness gates", () => {
    it("is pinned to the same release in every pulumi/actions step, one the gates work with", () => {
        assert.ok(pulumiSteps.length >= 4, `found ${pulumiSteps.length} pulumi/actions steps`);
        for (const { file, step } of pulumiSteps)
            assert.equal(step.with?.["pulumi-version"], PULUMI_CLI.pinned, `${file}: ${String(step.with?.command)}`);
        assert.ok(cliSupportsGates(PULUMI_CLI.pinned));
    });

    it("runs updates with unbounded parallelism, so waiting gates never hold every worker", () => {
        const ups = pulumiSteps.filter(({ step }) => step.with?.command === "up");
        assert.ok(ups.length >= 3);
        for (const { file, step } of ups) assert.equal(step.with?.parallel, 2147483647, file);
    });

    it("tells a CLI that fails updates on a failing after-hook from one that only warns", () => {
        assert.deepEqual(
            ["3.237.9", "3.238.0", "v3.238.1", "3.248.0", "4.0.0", "3.100.0", "2.99.0", "dev"].map(cliSupportsGates),
            [false, true, true, true, true, false, false, false],
        );
    });

    it("is named in the docs operators read", () => {
        for (const doc of ["docs/serving.md", "docs/deploying.md"]) {
            const text = fs.readFileSync(path.join(ROOT, doc), "utf8");
            assert.ok(text.includes(PULUMI_CLI.pinned) && text.includes(PULUMI_CLI.minimum), doc);
        }
    });
});
