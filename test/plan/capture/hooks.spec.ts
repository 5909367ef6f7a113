// Resource hooks under the recording mock engine: the SDK's mock monitor (3.248) lacks RegisterResourceHook, so a
// program that binds a hook used to crash; the recorder answers it and records which hooks each resource binds, so
// tests can assert that every serving droplet has its gate. The hooks themselves never run here.
import assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { runProgram } from "../../../plan/capture/runProgram";
import { recorder } from "../../support/hooks";
import { FIXTURES, runPlan } from "../../support/planRuns";

const PROGRAM = path.join(FIXTURES, "hook-program");

describe("recorder: resource hooks", function () {
    this.timeout(60000);
    before(() => {
        void runPlan(["-C", PROGRAM, "--policy-pack", path.join(FIXTURES, "pack"), "--format", "json"]);
    });

    it("answers RegisterResourceHook and records each hook's name and options", async () => {
        new pulumi.ResourceHook("probe-hook", () => undefined, { onDryRun: true });
        class Thing extends pulumi.CustomResource {
            constructor(name: string, opts: pulumi.CustomResourceOptions) {
                super("test:index:Thing", name, {}, opts);
            }
        }
        new Thing("hooked", { hooks: { afterCreate: [new pulumi.ResourceHook("after-hook", () => undefined)] } });
        await recorder.settle();
        assert.deepEqual(recorder.resourceHooks.get("probe-hook"), {
            name: "probe-hook",
            onDryRun: true,
            ignoreErrors: false,
        });
        assert.deepEqual(recorder.resources.find((r) => r.name === "hooked")?.hooks, { afterCreate: ["after-hook"] });
    });

    it("refuses a second hook of one name in a run, as the engine does; forgets names between runs", async () => {
        new pulumi.ResourceHook("twice", () => undefined);
        const second = new pulumi.ResourceHook("twice", () => undefined) as unknown as { __registered: Promise<void> };
        await assert.rejects(second.__registered, /resource hook already registered for name "twice"/);
        recorder.reset();
        const again = new pulumi.ResourceHook("twice", () => undefined) as unknown as { __registered: Promise<void> };
        await again.__registered;
    });

    it("records a resource's custom timeouts, leaving out the ones not set", async () => {
        class Thing extends pulumi.CustomResource {
            constructor(name: string, opts: pulumi.CustomResourceOptions) {
                super("test:index:Thing", name, {}, opts);
            }
        }
        new Thing("slow-delete", { customTimeouts: { delete: "5m" } });
        new Thing("plain", {});
        await recorder.settle();
        assert.deepEqual(
            recorder.resources.map((r) => [r.name, r.customTimeouts]),
            [
                ["slow-delete", { delete: "5m" }],
                ["plain", {}],
            ],
        );
    });

    it("records the hooks a program binds, by kind, and none on the resources that bind none", async () => {
        const run = await runProgram(recorder, {
            project: "webstack",
            stack: "dev",
            main: path.join(PROGRAM, "index.ts"),
            config: { "webstack:domain": "example.com" },
            secretKeys: [],
        });
        const hooks = Object.fromEntries(run.resources.filter((r) => r.custom).map((r) => [r.name, r.hooks] as const));
        assert.deepEqual(hooks, {
            "site-vpc": {},
            "site-lb": {},
            "site-web-0": { afterCreate: ["site-web-gate"] },
            "site-web-1": { afterCreate: ["site-web-gate"] },
            "site-haproxy-0": {},
            "site-ip-0": {},
            "site-ip-assignment-0": { beforeCreate: ["site-edge-gate-0"] },
        });
        for (const name of ["site-web-gate", "site-edge-gate-0"])
            assert.deepEqual(recorder.resourceHooks.get(name), { name, onDryRun: false, ignoreErrors: false });
        assert.equal((run.outputs.find((o) => o.name === "webIds")?.value as string[]).length, 2);
    });

    it("lets npm run plan preview a program that binds hooks", async () => {
        const run = await runPlan(["-C", PROGRAM, "--policy-pack", path.join(FIXTURES, "pack"), "--format", "json"]);
        assert.ok(run.code === 0 || run.code === 1, `plan exited ${run.code}:\n${run.stderr}`);
        const doc = JSON.parse(run.stdout) as { resources: { name: string }[] };
        assert.deepEqual(
            doc.resources
                .map((r) => r.name)
                .filter((n) => n.startsWith("site-"))
                .sort(),
            ["site-haproxy-0", "site-ip-0", "site-ip-assignment-0", "site-lb", "site-vpc", "site-web-0", "site-web-1"],
        );
    });
});
