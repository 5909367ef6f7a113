// The recording mock engine's one change to the SDK: promises it tracks carry no stack trace
// (plan/capture/recorder.ts, skipPromiseStackTraces). These tests fail if an SDK upgrade stops routing its calls
// through the replaced export, or if the change ever stopped leak tracking.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recorder } from "../../support/hooks";
import { skipPromiseStackTraces } from "../../../plan/capture/recorder";

type DebuggablePromise = (<T>(p: Promise<T>, ctx: unknown) => Promise<T>) & { withoutStackTrace?: true };
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise: DebuggablePromise };
const state = require("@pulumi/pulumi/runtime/state") as { getStore(): { leakCandidates: Set<Promise<unknown>> } };

class Thing extends pulumi.CustomResource {
    constructor(name: string) {
        super("test:index:Thing", name, { size: 1 });
    }
}

describe("recorder: promises without stack traces", () => {
    it("is installed once: a second call changes nothing", () => {
        assert.equal(debuggable.debuggablePromise.withoutStackTrace, true);
        const installed = debuggable.debuggablePromise;
        assert.equal(skipPromiseStackTraces(), false);
        assert.equal(debuggable.debuggablePromise, installed);
    });

    it("is what the SDK calls when a resource registers", async () => {
        const installed = debuggable.debuggablePromise;
        let calls = 0;
        debuggable.debuggablePromise = Object.assign(<T>(p: Promise<T>, ctx: unknown) => {
            calls++;
            return installed(p, ctx);
        }, installed);
        try {
            new Thing("thing");
            await recorder.settle();
        } finally {
            debuggable.debuggablePromise = installed;
        }
        assert.equal(recorder.resources.length, 1);
        assert.ok(calls > 0, "the SDK no longer calls debuggablePromise through its module export");
    });

    it("still tracks each promise for the leak report, with an empty trace and the limit restored", async () => {
        const limit = Error.stackTraceLimit;
        let settle: (v: number) => void = () => undefined;
        const pending = new Promise<number>((resolve) => (settle = resolve));
        const tracked = debuggable.debuggablePromise(pending, "test");
        assert.equal(Error.stackTraceLimit, limit);
        assert.equal(state.getStore().leakCandidates.has(pending), true);
        assert.equal((pending as unknown as { _debugStackTrace: string })._debugStackTrace, "Error");
        settle(7);
        assert.equal(await tracked, 7);
        assert.equal(state.getStore().leakCandidates.has(pending), false);
    });
});
