// Runs the offline plan CLI (plan/cli.ts) as a child process, exactly as `npm run plan` does: each run gets
// its own Pulumi mock monitor and its own policy host. Runs are memoized per argument list, so the README
// tables, the diagrams and the tests that need the same plan share one run per process.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { PlanDocument } from "./report/document";

const ROOT = path.resolve(__dirname, "..");

export interface PlanRun {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** The --out directory the run wrote to (removed when this process exits). */
    out: string;
    /** Wall time of the child, milliseconds. */
    ms: number;
}

const runs = new Map<string, Promise<PlanRun>>();
const outs: string[] = [];
let cleanupInstalled = false;

/** Spawns `node -r tools/register.js plan/cli.ts ARGS --out <temp dir>` from the repository root. */
export function runPlan(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<PlanRun> {
    const key = JSON.stringify([args, env]);
    let run = runs.get(key);
    if (!run) {
        if (!cleanupInstalled) {
            cleanupInstalled = true;
            process.on("exit", () => outs.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));
        }
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-plan-"));
        outs.push(out);
        run = new Promise<PlanRun>((resolve, reject) => {
            const child = spawn(process.execPath, ["-r", "./tools/register.js", "plan/cli.ts", ...args, "--out", out], {
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
            child.on("close", (code, signal) =>
                resolve({ code, signal, stdout, stderr, out, ms: Math.round(performance.now() - started) }),
            );
        });
        runs.set(key, run);
    }
    return run;
}

/** The JSON document of a plan (ARGS include `--format json`); exit 1 (mandatory findings) is still a valid plan. */
export async function planDocument(args: readonly string[]): Promise<PlanDocument> {
    const run = await runPlan(args);
    if (run.code !== 0 && run.code !== 1)
        throw new Error(`npm run plan -- ${args.join(" ")} exited ${run.code}:\n${run.stderr}`);
    return JSON.parse(run.stdout) as PlanDocument;
}
