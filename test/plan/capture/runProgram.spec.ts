// The stack frames an Error captures while runProgram runs a program: none by default (the SDK's per-promise stack
// stamps were a third of a large plan's CPU), all of them again afterwards, and kept when asked for.
import assert from "node:assert/strict";
import * as path from "node:path";
import { runProgram, type ProgramSpec } from "../../../plan/capture/runProgram";
import { recorder } from "../../support/hooks";
import { FIXTURES } from "../../support/planRuns";

const SPEC: ProgramSpec = {
    project: "webstack",
    stack: "dev",
    main: path.join(FIXTURES, "trace-program"),
    config: {},
    secretKeys: [],
};

const framesOf = async () => (await runProgram(recorder, SPEC)).outputs.find((o) => o.name === "frames")?.value;

describe("runProgram: stack traces while the program runs", () => {
    it("captures no frames inside the program and restores the limit after it", async () => {
        const limit = Error.stackTraceLimit;
        assert.equal(await framesOf(), 0);
        assert.equal(Error.stackTraceLimit, limit);
    });

    it("keeps Node's limit with WEBSTACK_STACK_TRACES=1", async () => {
        // Node's default limit; mocha lifts it to Infinity, and the program's stack is deeper than ten frames.
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 10;
        process.env.WEBSTACK_STACK_TRACES = "1";
        try {
            assert.equal(await framesOf(), 10);
        } finally {
            delete process.env.WEBSTACK_STACK_TRACES;
            Error.stackTraceLimit = limit;
        }
    });
});
