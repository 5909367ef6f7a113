// Runs the offline plan CLI (tools/plan.ts) in child processes, exactly as `npm run plan` does: each run gets
// its own Pulumi mock monitor and its own policy host. Runs are memoized per argument list, so specs that
// need the same plan (acceptance table, architecture diagrams) share one run.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

export const ROOT = path.resolve(__dirname, "..", "..", "..");
export const FIXTURES = path.join(ROOT, "test", "tools", "fixtures");

export interface PlanRun {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** The --out directory the run wrote to. */
    out: string;
}

const runs = new Map<string, Promise<PlanRun>>();

/** Spawns `node -r tools/register.js tools/plan.ts ARGS --out <temp dir>` from the repository root. */
export function runPlan(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<PlanRun> {
    const key = JSON.stringify([args, env]);
    let run = runs.get(key);
    if (!run) {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-plan-"));
        run = new Promise<PlanRun>((resolve, reject) => {
            const child = spawn(process.execPath, ["-r", "./tools/register.js", "tools/plan.ts", ...args, "--out", out], {
                cwd: ROOT,
                env: { ...process.env, ...env },
            });
            let stdout = "";
            let stderr = "";
            child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
            child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
            child.on("error", reject);
            child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr, out }));
        });
        runs.set(key, run);
    }
    return run;
}

/** The fixture program and pack (test/tools/fixtures), for tests that must not depend on the real ones. */
export const fixtureArgs = ["-C", path.join(FIXTURES, "program"), "--policy-pack", path.join(FIXTURES, "pack")];

/** The default stack of a tier (docs/architecture/stack.yaml), with the real program and pack, as JSON. */
export const tierArgs = (tier: number, ...extra: string[]) => [
    "--stack",
    "example",
    "--config-file",
    "docs/architecture/stack.yaml",
    "--tier",
    String(tier),
    "--format",
    "json",
    ...extra,
];

/** The production example: tier 3 with a standby database node. */
export const PROD = ["--config-path", "--config", "webstack:database.standbyNodes=1"];

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
