// Mocha root hooks: install the recording mock engine once for the whole process (Pulumi keeps a single
// mock monitor per process, and mocha runs every spec file in one process), forget the record before each test,
// and fail the run when a test leaves anything behind in the temp directory.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Recorder } from "../../plan/capture/recorder";
import { removePlanOutputs } from "../../plan/spawnPlan";

export const recorder = new Recorder();

// Every temp file of this run, its child processes' included, goes under a directory of its own (os.tmpdir() reads
// TMPDIR on each call), so what is left there at the end was left by this run, whatever else shares the machine.
const RUN_TMP = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-test-"));
// As open as /tmp itself: servers the tests start drop to other users (nginx workers) and must reach their files.
fs.chmodSync(RUN_TMP, 0o1777);
process.env.TMPDIR = RUN_TMP;
process.on("exit", () => fs.rmSync(RUN_TMP, { recursive: true, force: true }));

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        await recorder.install("webstack", "dev");
    },
    beforeEach(): void {
        recorder.reset();
    },
    afterAll(): void {
        removePlanOutputs();
        const left = fs.readdirSync(RUN_TMP).filter((name) => name.startsWith("webstack-"));
        if (left.length > 0)
            throw new Error(`tests left ${left.length} entries in the temp directory: ${left.sort().join(", ")}`);
    },
};
