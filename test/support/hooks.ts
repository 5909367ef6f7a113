// Mocha root hooks: install the recording mock engine (Pulumi keeps a single mock monitor per process), forget the
// record before each test, and fail a spec file that leaves anything behind in the temp directory.
//
// The suite runs in parallel mode (.mocharc.cjs): each worker process runs spec files one after another, and mocha
// runs these root hooks around each file, not once per run (mochajs/mocha#4308). So every file starts on a freshly
// installed engine, and the temp directory is checked after each file. The plans stay memoized for the later files
// of every worker (plan/spawnPlan.ts), their output directories with them, until mocha exits.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Recorder } from "../../plan/capture/recorder";
import { SHARED_PLANS_ENV, planOutputs } from "../../plan/spawnPlan";

export const recorder = new Recorder();

// Every temp file of this process, its child processes' included, goes under a directory of its own (os.tmpdir()
// reads TMPDIR on each call), so what is left there was left by this process, whatever else shares the machine.
// Workers start with the TMPDIR of mocha's main process, which loads this module too: theirs nest inside its.
const RUN_TMP = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-test-"));
// As open as /tmp itself: servers the tests start drop to other users (nginx workers) and must reach their files.
fs.chmodSync(RUN_TMP, 0o1777);
process.env.TMPDIR = RUN_TMP;
process.on("exit", () => fs.rmSync(RUN_TMP, { recursive: true, force: true }));
// The plans of the whole run, shared by mocha's workers (plan/spawnPlan.ts sharedPlan): the first to load this module,
// mocha's main process, names a directory in its temp directory, and the workers inherit the name. Mocha 12 loads
// `--require` files in the main process (lib/cli/run.cjs, handleRequires) before it makes the worker pool
// (lib/nodejs/parallel-buffered-runner.cjs), and workerpool forks each worker with child_process.fork and the
// parent's environment (lib/nodejs/buffered-worker-pool.cjs passes only execArgv in forkOpts).
process.env[SHARED_PLANS_ENV] ??= path.join(RUN_TMP, "webstack-plans");

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        await recorder.install("webstack", "dev");
    },
    beforeEach(): void {
        recorder.reset();
    },
    afterAll(): void {
        // The memoized plans' output directories belong to the plan runner, which removes them at exit; the shared
        // plans' directory is mocha's main process's, removed with its temp directory.
        const kept = new Set([...planOutputs(), process.env[SHARED_PLANS_ENV]!].map((dir) => path.basename(dir)));
        const left = fs.readdirSync(RUN_TMP).filter((name) => name.startsWith("webstack-") && !kept.has(name));
        if (left.length > 0)
            throw new Error(`tests left ${left.length} entries in the temp directory: ${left.sort().join(", ")}`);
    },
};
