"use strict";
// Loaded first by every process of a test run (.mocharc.cjs, and through NODE_OPTIONS, which this file extends, every
// Node child the tests start: the plan worker, the capture children, CLI processes, policy hosts).
//
// The SDK stamps every promise it makes for a resource with `new Error().stack` (@pulumi/pulumi 3.248
// runtime/debuggable.js debuggablePromise), and prints those traces only when PULUMI_DEBUG_PROMISE_LEAKS is set.
// Taking and formatting them is half the time of a program run under the mock engine (tier 3's example stack: 160 ms
// a run with them, 80 ms without), so here the SDK takes them with a stack trace limit of 0 unless that variable is
// set. Nothing else changes: each promise is still tracked, and a leak still reported at exit (without a trace, as the
// SDK reports it by default).
const path = require("node:path");

const FLAG = Symbol.for("webstack.test.promiseTraces");
if (!globalThis[FLAG] && !process.env.PULUMI_DEBUG_PROMISE_LEAKS) {
    globalThis[FLAG] = true;
    const root = path.resolve(__dirname, "..", "..");
    const debuggable = require(require.resolve("@pulumi/pulumi/runtime/debuggable", { paths: [root] }));
    const original = debuggable.debuggablePromise;
    // The SDK's modules call it through the module object (debuggable_1.debuggablePromise), so replacing the export
    // reaches every call; test/repo/promiseTraces.spec.ts fails when that stops being so.
    debuggable.debuggablePromise = function debuggablePromise(p, ctx) {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return original(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    const self = `--require ${JSON.stringify(__filename)}`;
    if (!(process.env.NODE_OPTIONS ?? "").includes(self))
        process.env.NODE_OPTIONS = [process.env.NODE_OPTIONS, self].filter(Boolean).join(" ");
}
