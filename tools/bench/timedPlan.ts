// The offline plan with a stopwatch, for `npm run bench`: runs plan/cli.ts's `main` with the same arguments and
// watches its steps (PlanEvent) from outside the product. At each policy step it reads the policy host's CPU time
// from /proc (the host is idle at those moments: every request sent or answered), and at the end it prints what it
// saw as one JSON line on stderr, `{"timings": PlanTimings}`.
//
//   node -r ./tools/register.js tools/bench/timedPlan.ts [npm run plan options]
import * as fs from "node:fs";
import { main } from "../../plan/cli";
import type { PlanEvent } from "../../plan/pipeline";

/** Where the time went, in milliseconds; `at.*` are offsets from the start of the process. */
export interface PlanTimings {
    resources: number;
    at: Record<string, number>;
    /** The program under the mock engine, from its start to the last registration captured. */
    program: number;
    /** The engine's Analyze pass (every request sent to every answer), then AnalyzeStack. */
    analyze: number;
    analyzeStack: number;
    /** From the program captured to the policy verdicts in. */
    policies: number;
    /** CPU the policy host spent on each pass (Linux, 10 ms resolution), or null where /proc is not there. */
    policyHostCpuMs: { analyze: number; analyzeStack: number } | null;
    maxRssKb: { plan: number; policyHost: number | null };
}

/** A process's CPU time (user + system, fields 14 and 15 of /proc/PID/stat) and peak RSS (VmHWM), or null. */
export function usage(pid: number): { cpuMs: number; peakRssKb: number } | null {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const ticks = Number(fields[11]) + Number(fields[12]);
        const hwm = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
        return { cpuMs: ticks * 10, peakRssKb: hwm ? Number(hwm[1]) : 0 };
    } catch {
        return null;
    }
}

async function timed(argv: string[]): Promise<number> {
    const at: Record<string, number> = {};
    const host: Record<string, ReturnType<typeof usage>> = {};
    let resources = 0;
    const listener = (event: PlanEvent) => {
        at[event.step] = Math.round(performance.now());
        if (event.step === "program-captured") resources = event.resources;
        if (event.step.startsWith("analyze-") && "pid" in event) host[event.step] = usage(event.pid);
    };
    const code = await main(argv, { listener });
    at.output = Math.round(performance.now());
    const [start, done, stackDone] = [host["analyze-start"], host["analyze-done"], host["analyze-stack-done"]];
    const span = (from: string, to: string) => (at[from] !== undefined && at[to] !== undefined ? at[to] - at[from] : 0);
    const timings: PlanTimings = {
        resources,
        at,
        program: span("program-started", "program-captured"),
        analyze: span("analyze-start", "analyze-done"),
        analyzeStack: span("analyze-done", "analyze-stack-done"),
        policies: span("program-captured", "analyze-stack-done"),
        policyHostCpuMs:
            start && done && stackDone
                ? { analyze: done.cpuMs - start.cpuMs, analyzeStack: stackDone.cpuMs - done.cpuMs }
                : null,
        maxRssKb: { plan: process.resourceUsage().maxRSS, policyHost: stackDone?.peakRssKb ?? null },
    };
    process.stderr.write(`${JSON.stringify({ timings })}\n`);
    return code;
}

if (require.main === module) {
    timed(process.argv.slice(2)).then((code) => process.stdout.write("", () => process.exit(code)));
}
