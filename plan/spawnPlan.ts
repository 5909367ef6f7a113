// Runs the offline plan (plan/cli.ts) for the docs generators and the tests, as `npm run plan` with the same
// arguments would, memoized per argument list so every table, diagram and test that needs a plan shares one run.
// The runs go to a worker process (plan/planWorker.ts) that keeps the SDK loaded and lends each plan a running
// policy host; a run with its own environment, or one that must be a process of its own (signals, exit status),
// spawns the CLI itself.
import { fork, spawn, type ChildProcess } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { WorkerReply, WorkerRequest } from "./planWorker";
import type { PlanDocument } from "./report/document";

const ROOT = path.resolve(__dirname, "..");
const REGISTER = path.join(ROOT, "tools", "register.js");
/** How long a plan may run before it counts as hung and is killed: far beyond any plan here, on any machine. */
const HANG_MS = 5 * 60 * 1000;

/** A finished child process: what it printed and how long it ran. */
export interface ProcessRun {
    /** The exit status (null when the run was killed). */
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** Wall time of the run, milliseconds. */
    ms: number;
}

export interface PlanRun extends ProcessRun {
    /** The --out directory the run wrote to (see removePlanOutputs). */
    out: string;
}

const runs = new Map<string, Promise<PlanRun>>();
const outs: string[] = [];
let cleanupInstalled = false;

function outDir(): string {
    if (!cleanupInstalled) {
        cleanupInstalled = true;
        process.on("exit", removePlanOutputs);
    }
    const out = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-plan-"));
    outs.push(out);
    return out;
}

/** The --out directories of this process's runs that still exist (removed when the process exits). */
export function planOutputs(): readonly string[] {
    return outs;
}

/** Removes every --out directory the runs of this process wrote (also done when the process exits). */
function removePlanOutputs(): void {
    for (const dir of outs.splice(0)) fs.rmSync(dir, { recursive: true, force: true });
    runs.clear();
}

/**
 * The directory in which the processes of one test run share their plans (`WEBSTACK_PLAN_MEMO`, set by the tests'
 * root hooks for mocha and its workers); without it each process runs its own.
 */
export const SHARED_PLANS_ENV = "WEBSTACK_PLAN_MEMO";

/**
 * The plan of ARGS (`--out` is added), memoized, and shared with the other processes of the run when
 * `WEBSTACK_PLAN_MEMO` names a directory; ENV, when given, gets the run a process of its own.
 */
export function runPlan(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<PlanRun> {
    const key = JSON.stringify([args, env]);
    let run = runs.get(key);
    if (!run) {
        const shared = process.env[SHARED_PLANS_ENV];
        run =
            Object.keys(env).length > 0
                ? runPlanProcess(args, env)
                : shared
                  ? sharedPlan(shared, args, (out) => worker.run(args, out))
                  : worker.run(args, outDir());
        runs.set(key, run);
    }
    return run;
}

/**
 * The plan of ARGS run once for every process that shares `dir`: the first to ask claims the plan (creating its
 * directory is atomic), runs it with `run` into the directory's `out` and writes the result; the others wait for
 * the result and read the same `out`. A claim whose process exited without a result is set aside and the plan
 * claimed again, so a crashed worker costs its own plans, not every later file's. Everything stays until whoever
 * made `dir` removes it.
 */
export async function sharedPlan(
    dir: string,
    args: readonly string[],
    run: (out: string) => Promise<PlanRun>,
    pollMs = 20,
): Promise<PlanRun> {
    const claim = path.join(dir, crypto.createHash("sha256").update(JSON.stringify(args)).digest("hex").slice(0, 32));
    const result = path.join(claim, "run.json");
    const out = path.join(claim, "out");
    fs.mkdirSync(dir, { recursive: true });
    for (;;) {
        try {
            fs.mkdirSync(claim);
        } catch (err) {
            if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
            const waited = await waitForPlan(claim, result, args, pollMs);
            if (waited === "abandoned") continue;
            return waited;
        }
        break;
    }
    fs.writeFileSync(path.join(claim, "pid"), String(process.pid));
    fs.mkdirSync(out);
    let done: PlanRun | { error: string };
    try {
        done = await run(out);
    } catch (err) {
        done = { error: `the plan ${args.join(" ")} failed in process ${process.pid}: ${String(err)}` };
        throw err;
    } finally {
        fs.writeFileSync(`${result}.${process.pid}.tmp`, JSON.stringify(done!));
        fs.renameSync(`${result}.${process.pid}.tmp`, result);
    }
    return done;
}

/** The claimed plan's result once written; "abandoned" once its claimer exited without one (the claim set aside). */
async function waitForPlan(
    claim: string,
    result: string,
    args: readonly string[],
    pollMs: number,
): Promise<PlanRun | "abandoned"> {
    const started = performance.now();
    const written = (): PlanRun | undefined => {
        if (!fs.existsSync(result)) return undefined;
        const done = JSON.parse(fs.readFileSync(result, "utf8")) as PlanRun | { error: string };
        if ("error" in done) throw new Error(done.error);
        return done;
    };
    for (;;) {
        const done = written();
        if (done) return done;
        let pid: number | undefined;
        try {
            pid = Number(fs.readFileSync(path.join(claim, "pid"), "utf8"));
        } catch {
            // Claimed a moment ago; its pid is written next.
        }
        if (pid !== undefined && pid > 0 && !processExists(pid)) {
            // The claimer may have written its result and exited since the look above.
            const late = written();
            if (late) return late;
            try {
                fs.renameSync(claim, `${claim}.abandoned-${pid}`);
            } catch {
                // Another waiter set it aside first.
            }
            return "abandoned";
        }
        if (performance.now() - started > HANG_MS)
            throw new Error(
                `the plan ${args.join(" ")} was claimed by process ${pid ?? "(unknown)"}, which ran longer than ` +
                    `${HANG_MS} ms without writing ${result}`,
            );
        await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
}

function processExists(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (err) {
        return (err as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** `node -r tools/register.js plan/cli.ts ARGS --out <temp dir>` from the repository root, not memoized. */
export async function runPlanProcess(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<PlanRun> {
    const out = outDir();
    const run = await runProcess(
        process.execPath,
        ["-r", REGISTER, "plan/cli.ts", ...args, "--out", out],
        env,
        HANG_MS,
    );
    return { ...run, out };
}

/**
 * Runs `cmd ARGS` from the repository root with `env` on top of this process's, collecting its output; killed after
 * `hangMs` when given. Shared with `npm run bench`, which times its runs the same way.
 */
export function runProcess(
    cmd: string,
    args: readonly string[],
    env: NodeJS.ProcessEnv = {},
    hangMs?: number,
): Promise<ProcessRun> {
    return new Promise<ProcessRun>((resolve, reject) => {
        const child = spawn(cmd, args, {
            cwd: ROOT,
            env: { ...process.env, ...env },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("error", reject);
        const started = performance.now();
        const hung = hangMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), hangMs);
        child.on("close", (code, signal) => {
            clearTimeout(hung);
            resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
        });
    });
}

/**
 * One worker at a time, fed one request at a time: a run whose program failed after it registered resources ends the
 * worker (the next request starts another), and an idle worker keeps no caller alive.
 */
const worker = new (class PlanWorker {
    private child?: ChildProcess;
    private queue: Promise<unknown> = Promise.resolve();
    private nextId = 0;

    run(args: readonly string[], out: string): Promise<PlanRun> {
        const result = this.queue.then(() => this.send([...args, "--out", out], out));
        this.queue = result.catch(() => undefined);
        return result;
    }

    private start(): ChildProcess {
        const child = fork(path.join(ROOT, "plan", "planWorker.ts"), [], {
            cwd: ROOT,
            execArgv: ["-r", REGISTER],
            stdio: ["ignore", "ignore", "inherit", "ipc"],
        });
        child.on("exit", () => {
            if (this.child === child) this.child = undefined;
        });
        return child;
    }

    private send(args: string[], out: string): Promise<PlanRun> {
        const child = (this.child ??= this.start());
        child.ref();
        child.channel?.ref();
        const id = this.nextId++;
        const started = performance.now();
        return new Promise<PlanRun>((resolve) => {
            const done = (reply: Pick<PlanRun, "code" | "signal" | "stdout" | "stderr">, ends = true) => {
                clearTimeout(hung);
                child.off("message", onMessage);
                child.off("exit", onExit);
                if (ends && this.child === child) this.child = undefined;
                child.unref();
                child.channel?.unref();
                resolve({ ...reply, out, ms: Math.round(performance.now() - started) });
            };
            const onMessage = (m: WorkerReply) => {
                if (m.id === id) done({ code: m.code, signal: null, stdout: m.stdout, stderr: m.stderr }, m.ends);
            };
            const onExit = (code: number | null, signal: NodeJS.Signals | null) =>
                done({ code, signal, stdout: "", stderr: `the plan worker exited (${code ?? signal}) during the run` });
            const hung = setTimeout(() => child.kill("SIGKILL"), HANG_MS);
            child.on("message", onMessage);
            child.on("exit", onExit);
            child.send({ id, args } satisfies WorkerRequest);
        });
    }
})();

/** The JSON document of a plan (ARGS include `--format json`); exit 1 (mandatory findings) is still a valid plan. */
export async function planDocument(args: readonly string[]): Promise<PlanDocument> {
    const run = await runPlan(args);
    if (run.code !== 0 && run.code !== 1)
        throw new Error(`npm run plan -- ${args.join(" ")} exited ${run.code}:\n${run.stderr}`);
    return JSON.parse(run.stdout) as PlanDocument;
}
