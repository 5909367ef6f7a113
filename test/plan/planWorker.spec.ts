// The plan worker (plan/planWorker.ts) that the tests and docs share: after a program fails it runs the next plan
// itself unless the failure left the engine a registration it will never answer, the one case where it must end.
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import type { WorkerReply } from "../../plan/planWorker";
import { fixtureArgs, ROOT } from "../support/planRuns";

describe("the plan worker after a failed program", function () {
    this.timeout(60000);
    let worker: ChildProcess;
    let exit: Promise<number | null>;
    let nextId = 0;
    const run = (...args: string[]): Promise<WorkerReply> =>
        new Promise((resolve, reject) => {
            if (!worker.connected) return reject(new Error(`the worker had ended before ${args.join(" ")}`));
            const id = nextId++;
            const onMessage = (m: WorkerReply) => {
                if (m.id !== id) return;
                worker.off("message", onMessage);
                resolve(m);
            };
            worker.on("message", onMessage);
            worker.send({ id, args: [...fixtureArgs, ...args, "--format", "json"] });
        });

    before(() => {
        worker = fork(path.join(ROOT, "plan", "planWorker.ts"), [], {
            cwd: ROOT,
            execArgv: ["-r", path.join(ROOT, "tools", "register.js")],
            stdio: ["ignore", "ignore", "ignore", "ipc"],
        });
        exit = new Promise((resolve) => worker.on("exit", (code) => resolve(code)));
    });
    after(() => {
        if (worker.connected) worker.disconnect();
        return exit;
    });

    it("keeps serving after a refused config and a failing component, then ends after an input that never settles", async () => {
        const fresh = await run();
        const configError = await run("--stack", "bad");
        const component = await run("--config", "webstack:fail=component");
        const plan = await run();
        assert.deepEqual(
            [fresh, configError, component, plan].map((r) => [r.code, r.ends]),
            [
                [1, false],
                [2, false],
                [2, false],
                [1, false],
            ],
        );
        // Nothing of the failed programs reaches the next plan: it is the plan a fresh worker made.
        assert.deepEqual(JSON.parse(plan.stdout), JSON.parse(fresh.stdout));

        const pending = await run("--config", "webstack:fail=input");
        assert.deepEqual([pending.code, pending.ends], [2, true]);
        assert.equal(await exit, 2, "the worker exits 2 after a program that left a registration pending");
    });
});
