// Where the policy host's CPU goes for webstack's pack, part by part: the prod stack with COUNT web droplets is
// captured once, then the host answers its Analyze and AnalyzeStack calls (plan/policyHost/analyzeRun.ts, as in the
// plan) for the no-op pack, for each part of webstack's shape beside it (tools/bench/floor-pack/webstack-shape with
// WEBSTACK_SHAPE_PART), for the whole shape and for the real pack, REPS times interleaved. Prints one JSON line: the
// median host CPU of each, in ms. `npm run bench` runs it for a context row.
//
//   node -r ./tools/register.js tools/bench/hostShape.ts COUNT REPS
import * as fs from "node:fs";
import * as path from "node:path";
import { WEBSTACK_SECRET_SHAPES } from "../../plan/cli";
import { loadStackConfig } from "../../plan/capture/cliConfig";
import { Recorder } from "../../plan/capture/recorder";
import { runProgram } from "../../plan/capture/runProgram";
import { analyzeRun, type AnalyzeStep } from "../../plan/policyHost/analyzeRun";
import { PolicyHost } from "../../plan/policyHost/host";
import { parsePolicyPackConfig } from "../../plan/policyHost/packConfig";
import { median } from "./stats";
import { usage } from "./timedPlan";

const ROOT = path.resolve(__dirname, "..", "..");
const SHAPE = path.join(ROOT, "tools", "bench", "floor-pack", "webstack-shape");

/** Each measured pack: its folder, the shape part it serves, and whether it gets prod's policy config. */
const PACKS: Record<string, { dir: string; part?: string; config: boolean }> = {
    noOp: { dir: path.join(ROOT, "tools", "bench", "floor-pack"), config: false },
    typed: { dir: SHAPE, part: "typed", config: true },
    untyped: { dir: SHAPE, part: "untyped", config: true },
    stack: { dir: SHAPE, part: "stack", config: true },
    shape: { dir: SHAPE, config: true },
    webstack: { dir: path.join(ROOT, "policies"), config: true },
};

async function main(): Promise<void> {
    const count = Number(process.argv[2] ?? "1000");
    const reps = Number(process.argv[3] ?? "3");
    if (!Number.isInteger(count) || count < 2 || !Number.isInteger(reps) || reps < 1)
        throw new Error(`usage: hostShape.ts COUNT REPS; got "${process.argv.slice(2).join(" ")}"`);
    const cfg = loadStackConfig({
        cwd: ROOT,
        stack: "prod",
        overrides: [{ key: "webstack:web.count", value: String(count), path: true }],
        shapedPlaceholders: WEBSTACK_SECRET_SHAPES,
    });
    const recorder = new Recorder();
    await recorder.install(cfg.project, cfg.stack);
    const run = await runProgram(recorder, cfg);
    const prodConfig = parsePolicyPackConfig(
        fs.readFileSync(path.join(ROOT, "policies", "config", "prod.json"), "utf8"),
    );
    const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(PACKS).map((k) => [k, []]));
    // The first round warms the OS file cache and the transpile cache; it is not counted.
    for (let round = 0; round <= reps; round++) {
        for (const [name, pack] of Object.entries(PACKS)) {
            if (pack.part) process.env.WEBSTACK_SHAPE_PART = pack.part;
            else delete process.env.WEBSTACK_SHAPE_PART;
            const host = PolicyHost.start({
                packDir: pack.dir,
                project: cfg.project,
                stack: cfg.stack,
                config: cfg.config,
            });
            try {
                // The host's CPU time at each step of the two passes, read from /proc as the plan's bench does.
                const seen: Partial<Record<AnalyzeStep, number>> = {};
                const pid = host.pid;
                await analyzeRun(
                    host,
                    run,
                    pack.config ? prodConfig : undefined,
                    () => undefined,
                    "preview",
                    (step) => {
                        const u = pid === undefined ? null : usage(pid);
                        if (u) seen[step] = u.cpuMs;
                    },
                );
                const [start, done] = [seen["analyze-start"], seen["analyze-stack-done"]];
                if (start === undefined || done === undefined)
                    throw new Error("the policy host's CPU time is not readable here (Linux /proc only)");
                if (round > 0) cpu[name].push(done - start);
            } finally {
                await host.close();
            }
        }
    }
    process.stdout.write(
        `${JSON.stringify({ resources: run.resources.length, cpuMs: Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)])) })}\n`,
    );
}

main().then(
    () => process.exit(0),
    (err) => {
        process.stderr.write(`error: ${(err as Error).message}\n`);
        process.exit(2);
    },
);
