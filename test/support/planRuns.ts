// Plan runs for the tests: the shared memoized runner (plan/spawnPlan.ts), the argument lists specs use, and what a
// test of the CLI process needs to watch its policy host.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { STANDBY_ARGS, architectureArgs } from "../../examples/variants";
import { runPlan } from "../../plan/spawnPlan";

export const ROOT = path.resolve(__dirname, "..", "..");
export const FIXTURES = path.join(ROOT, "test", "fixtures");

export { runPlan };
export type { PlanRun } from "../../plan/spawnPlan";

/** The fixture program and pack (test/fixtures), for tests that must not depend on the real ones. */
export const fixtureArgs = ["-C", path.join(FIXTURES, "program"), "--policy-pack", path.join(FIXTURES, "pack")];

/** The default stack of a tier (examples/stack.yaml), with the real program and pack, as JSON. */
export const tierArgs = (tier: number, ...extra: string[]) => [...architectureArgs(tier), ...extra];

/** The production example: tier 3 with a standby database node. */
export const PROD = STANDBY_ARGS;

/** Starts the plans of tiers 0–3 and production at once (they run in parallel child processes). */
export function startTierPlans(): void {
    for (const tier of [0, 1, 2, 3]) void runPlan(tierArgs(tier));
    void runPlan(tierArgs(3, ...PROD));
}

/** True when a process with this pid exists. */
export function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
    } catch {
        return false;
    }
    // A process that has exited but whose parent died before reaping it stays a zombie ("Z") until PID 1
    // reaps it; signal 0 still reaches it, but nothing of it runs any more.
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        return false;
    }
}

/** The policy host a plan process started: its child running plan/policyHost/orphanGuard.ts (Linux /proc). */
function hostChild(pid: number): number | undefined {
    let children: string;
    try {
        children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8");
    } catch {
        return undefined;
    }
    return children
        .split(/\s+/)
        .filter(Boolean)
        .map(Number)
        .find((child) => {
            try {
                return fs.readFileSync(`/proc/${child}/cmdline`, "utf8").includes("orphanGuard");
            } catch {
                return false;
            }
        });
}

/** A plan CLI process (plan/cli.ts ARGS, output discarded) and the pid of its policy host once it has one. */
export function watchedPlan(args: readonly string[]): {
    plan: ChildProcess;
    hostPid: Promise<number>;
    exited: Promise<[number | null, NodeJS.Signals | null]>;
} {
    const plan = spawn(process.execPath, ["-r", "./tools/register.js", "plan/cli.ts", ...args], {
        cwd: ROOT,
        stdio: ["ignore", "ignore", "ignore"],
    });
    const exited = new Promise<[number | null, NodeJS.Signals | null]>((resolve) =>
        plan.on("exit", (code, signal) => resolve([code, signal])),
    );
    const hostPid = new Promise<number>((resolve, reject) => {
        const poll = setInterval(() => {
            const pid = plan.pid !== undefined ? hostChild(plan.pid) : undefined;
            if (pid !== undefined) {
                clearInterval(poll);
                resolve(pid);
            } else if (plan.exitCode !== null || plan.signalCode !== null) {
                clearInterval(poll);
                reject(new Error(`plan ${args.join(" ")} exited before a policy host was seen`));
            }
        }, 10);
    });
    hostPid.catch(() => undefined);
    return { plan, hostPid, exited };
}
