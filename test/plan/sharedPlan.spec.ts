// Plans shared by the processes of one test run (plan/spawnPlan.ts sharedPlan): one process runs a plan, the others
// read its result, and a claimer that dies or fails never leaves the others waiting.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { sharedPlan, type PlanRun } from "../../plan/spawnPlan";

describe("plans shared between the processes of a run", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-shared-plans-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const finished = (out: string): PlanRun => ({ code: 1, signal: null, stdout: "{}", stderr: "", ms: 5, out });

    it("runs a plan once for every caller, each reading the first one's result and output directory", async () => {
        const outs: string[] = [];
        let release!: () => void;
        const running = new Promise<void>((resolve) => (release = resolve));
        const run = async (out: string) => {
            outs.push(out);
            fs.writeFileSync(path.join(out, "plan.md"), "# plan\n");
            await running;
            return finished(out);
        };
        const first = sharedPlan(dir, ["--stack", "dev"], run, 1);
        const second = sharedPlan(dir, ["--stack", "dev"], run, 1);
        const other = sharedPlan(dir, ["--stack", "prod"], run, 1);
        release();
        const [a, b, c] = await Promise.all([first, second, other]);
        assert.equal(outs.length, 2, "one run per argument list");
        assert.deepEqual(b, a);
        assert.equal(fs.readFileSync(path.join(b.out, "plan.md"), "utf8"), "# plan\n");
        assert.notEqual(c.out, a.out);
    });

    it("runs a plan again whose claimer exited without a result, setting the dead claim aside", async () => {
        const dead = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], {
            encoding: "utf8",
        });
        const pid = Number(dead.stdout);
        const claimer = sharedPlan(dir, ["--stack", "dev"], () => new Promise<PlanRun>(() => undefined), 1);
        claimer.catch(() => undefined);
        const [claim] = fs.readdirSync(dir);
        fs.writeFileSync(path.join(dir, claim, "pid"), String(pid));
        const outs: string[] = [];
        const taken = await sharedPlan(
            dir,
            ["--stack", "dev"],
            async (out) => {
                outs.push(out);
                return finished(out);
            },
            1,
        );
        assert.deepEqual(outs, [path.join(dir, claim, "out")]);
        assert.deepEqual(taken, finished(path.join(dir, claim, "out")));
        assert.deepEqual(fs.readdirSync(dir).sort(), [claim, `${claim}.abandoned-${pid}`]);
    });

    it("gives the waiters the claimer's error when its run throws", async () => {
        const run = () => Promise.reject(new Error("worker gone"));
        const claimer = sharedPlan(dir, ["--stack", "dev"], run, 1);
        const waiter = sharedPlan(dir, ["--stack", "dev"], run, 1);
        await assert.rejects(claimer, { message: "worker gone" });
        await assert.rejects(waiter, {
            message: `the plan --stack dev failed in process ${process.pid}: Error: worker gone`,
        });
    });
});
