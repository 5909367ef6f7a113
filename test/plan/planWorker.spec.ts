// The plan worker (plan/planWorker.ts) that the tests and docs share: after a program fails before it registered
// anything it runs the next plan itself; after one that failed later (whose applies may still be running) it ends.
import assert from "node:assert/strict";
import { fork, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { WorkerReply } from "../../plan/planWorker";
import { fixtureArgs, ROOT } from "../support/planRuns";

describe("the plan worker after a failed program", function () {
    this.timeout(60000);
    let worker: ChildProcess;
    let exit: Promise<number | null>;
    let nextId = 0;
    let out: string;
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
            worker.send({
                id,
                args: [...fixtureArgs, ...args, "--format", "json", "--out", out],
            });
        });

    before(() => {
        out = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-plan-worker-"));
        worker = fork(path.join(ROOT, "plan", "planWorker.ts"), [], {
            cwd: ROOT,
            execArgv: ["-r", path.join(ROOT, "tools", "register.js")],
            stdio: ["ignore", "ignore", "ignore", "ipc"],
        });
        exit = new Promise((resolve) => worker.on("exit", (code) => resolve(code)));
    });
    after(async () => {
        if (worker.connected) worker.disconnect();
        await exit;
        fs.rmSync(out, { recursive: true, force: true });
    });

    it("keeps serving after a refused config, then ends after a component that failed once resources existed", async () => {
        const fresh = await run();
        const configError = await run("--stack", "bad");
        const plan = await run();
        assert.deepEqual(
            [fresh, configError, plan].map((r) => [r.code, r.ends]),
            [
                [1, false],
                [2, false],
                [1, false],
            ],
        );
        // Nothing of the failed program reaches the next plan: it is the plan the fresh worker made.
        assert.deepEqual(JSON.parse(plan.stdout), JSON.parse(fresh.stdout));

        const component = await run("--config", "webstack:fail=component");
        assert.deepEqual([component.code, component.ends], [2, true]);
        assert.equal(await exit, 2, "the worker exits 2 after a program that failed once it had registered resources");
    });
});
