// A process that runs many offline plans for plan/spawnPlan.ts: each request is one `npm run plan` (plan/cli.ts's
// `main` with the same arguments), its stdout and stderr captured and its exit status returned, over the IPC
// channel. The process loads the SDK once and lends each plan a running policy host of the same pack, whatever its
// project and stack: a host takes both from its environment at start, and neither @pulumi/policy's analyzer
// (server.js) nor the packs here read them, while every run sends GetAnalyzerInfo, ConfigureStack and Configure,
// which replaces the host's whole policy config (@pulumi/policy 1.21 server.js configure,
// lines 183-194). One host per pack instead of per stack saves a host's start (0.6 s of CPU) for each other stack.
// After a run whose program failed once it had registered resources (it may leave the engine a pending registration,
// plan/capture/runProgram.ts, or applies of its own still running) it exits (the reply says so).
import { main } from "./cli";
import { PolicyHost, type StartOptions } from "./policyHost/host";
import { registeredByLastRun, type PlanEvent, type PolicyHostSource } from "./pipeline";
import type * as recorder from "./capture/recorder";

/** How long a failed program's registrations get to be answered by the mock engine (they take microseconds). */
const SETTLE_MS = 250;

export interface WorkerRequest {
    id: number;
    args: string[];
}

export interface WorkerReply {
    id: number;
    code: number;
    stdout: string;
    stderr: string;
    /** The program started and never finished: this worker ends after the reply. */
    ends: boolean;
}

/** Running hosts by pack; a host that died is started afresh. */
function hostPool(): PolicyHostSource & { closeAll(): Promise<void> } {
    const hosts = new Map<string, PolicyHost>();
    const key = (o: StartOptions) => o.packDir;
    return {
        acquire(opts) {
            const found = hosts.get(key(opts));
            if (found && found.child.exitCode === null && found.child.signalCode === null) return found;
            const host = PolicyHost.start(opts);
            hosts.set(key(opts), host);
            return host;
        },
        release: async () => undefined,
        closeAll: async () => {
            await Promise.all([...hosts.values()].map((h) => h.close()));
        },
    };
}

/** Runs `main(args)` with the process's stdout and stderr writes captured. */
async function capture(args: string[], policyHosts: PolicyHostSource): Promise<Omit<WorkerReply, "id">> {
    const out: string[] = [];
    const err: string[] = [];
    const writes = { stdout: process.stdout.write, stderr: process.stderr.write };
    const into =
        (sink: string[]) =>
        (chunk: string | Uint8Array, ...rest: unknown[]): boolean => {
            sink.push(typeof chunk === "string" ? chunk : Buffer.from(chunk).toString("utf8"));
            const done = rest.find((r) => typeof r === "function") as (() => void) | undefined;
            done?.();
            return true;
        };
    process.stdout.write = into(out) as typeof process.stdout.write;
    process.stderr.write = into(err) as typeof process.stderr.write;
    try {
        let started = false;
        let captured = false;
        const listener = (e: PlanEvent) => {
            if (e.step === "program-started") started = true;
            if (e.step === "program-captured") captured = true;
        };
        const code = await main(args, { policyHosts, listener });
        // A program that failed before it registered anything (a config error) leaves the process as a successful
        // one does, once its invokes are answered. One that failed later may still have applies or timers of its own
        // running, whose late errors or registrations would reach the next plan: it ends the worker.
        const ends =
            started &&
            !captured &&
            ((await registeredByLastRun()) > 0 ||
                !(await (require("./capture/recorder") as typeof recorder).settlesWithin(SETTLE_MS)));
        return { code, stdout: out.join(""), stderr: err.join(""), ends };
    } finally {
        process.stdout.write = writes.stdout;
        process.stderr.write = writes.stderr;
    }
}

function serve(): void {
    const pool = hostPool();
    let queue = Promise.resolve();
    // A worker that ends after a failed program exits 2, as the CLI does after one (and so the SDK's exit hook does
    // not report the failed registrations as leaked promises); one the parent let go of exits 0.
    let status = 0;
    process.on("message", (req: WorkerRequest) => {
        queue = queue.then(async () => {
            const reply = { id: req.id, ...(await capture(req.args, pool)) };
            process.send!(reply);
            if (reply.ends) {
                status = 2;
                process.disconnect();
            }
        });
    });
    process.on("disconnect", () => void pool.closeAll().then(() => process.exit(status)));
}

if (require.main === module) serve();
