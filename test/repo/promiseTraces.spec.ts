// The test run's promise-trace shim (test/support/promiseTraces.js): the SDK's per-promise debug traces are skipped in
// this process and in the Node children the tests start, each promise is still tracked for the SDK's leak report, and
// PULUMI_DEBUG_PROMISE_LEAKS brings the traces back.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { exampleConfig, runProgram } from "../support/program";

const ROOT = path.resolve(__dirname, "..", "..");
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as {
    debuggablePromise: (p: Promise<unknown>, ctx: string) => Promise<unknown>;
};
const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<Promise<unknown>> } };

/** The trace the SDK stamps on a promise it makes, in a Node child started with ENV. */
function childTrace(env: NodeJS.ProcessEnv): string {
    const probe = `const p = Promise.resolve();
        require("@pulumi/pulumi/runtime/debuggable").debuggablePromise(p, "probe");
        console.log(JSON.stringify(p._debugStackTrace));`;
    const r = spawnSync(process.execPath, ["-e", probe], { cwd: ROOT, env, encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout) as string;
}

describe("the test run's promise traces (test/support/promiseTraces.js)", () => {
    it("stamps every promise of a program run without a trace, and still tracks each for the leak report", async () => {
        const stamped: Promise<unknown>[] = [];
        const tracked: boolean[] = [];
        const patched = debuggable.debuggablePromise;
        debuggable.debuggablePromise = (p, ctx) => {
            const chained = patched(p, ctx);
            stamped.push(p);
            tracked.push(state.getStore().leakCandidates.has(p));
            return chained;
        };
        try {
            await runProgram(exampleConfig(1));
        } finally {
            debuggable.debuggablePromise = patched;
        }
        assert.ok(stamped.length > 100, `${stamped.length} promises`);
        assert.deepEqual(
            new Set(stamped.map((p) => (p as unknown as { _debugStackTrace: string })._debugStackTrace)),
            new Set(["Error"]),
        );
        assert.ok(tracked.every(Boolean));
    });

    it("reaches the Node children the tests start, and takes full traces again with PULUMI_DEBUG_PROMISE_LEAKS", () => {
        assert.equal(childTrace(process.env), "Error");
        assert.match(childTrace({ ...process.env, PULUMI_DEBUG_PROMISE_LEAKS: "1" }), /^Error\n\s+at /);
    });
});
