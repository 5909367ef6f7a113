// `npm run bench`: the offline plan's, the policy pack's and the test suite's speed as ratios to floors that exist,
// measured in the same run. Every pair is measured side by side, interleaved, N times; the table
// shows medians. Every row prints its goal and PASS/FAIL; report rows are context.
//
//   npm run bench -- [--reps N] [--count N] [--quick] [--skip-tests] [--markdown] [--json]
//
//   1. plan --stack prod ÷ node -e "require('@pulumi/pulumi'); require('@pulumi/digitalocean')"   goal ≤ 3
//   2. plan with COUNT web droplets ÷ the same plan with tools/bench/floor-pack                   goal ≤ 1.15
//   3. policy host CPU (Analyze + AnalyzeStack): webstack's pack ÷ the floor pack                 goal ≤ 1.3
//   4. plan(COUNT) ÷ the stock mock engine registering the same droplets (tools/bench/bare.ts with
//      PULUMI_DEBUG_PROMISE_LEAKS=1, which turns the recorder's fast path off)                    goal ≤ 1.1
//   5. plan(COUNT) ÷ plan(COUNT/10)                                                               goal ≤ 11 (linear)
//   6. policy host CPU growth from COUNT/10 to COUNT droplets                                     goal ≤ 11 (linear)
//   7. peak memory (max RSS) of the COUNT-droplet plan: plan process and policy host              reported
//   8. npm test wall time                                                                         goal ≤ 60 s
//   9-10. static files served by nginx, measured with wrk (tools/bench/staticFiles.ts)
//
// --markdown also writes docs/performance.md (the table is generated from this run; do not edit it by hand).
// Exit status: 0 every goal met, 1 a goal missed, 2 a measurement failed.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { PlanTimings } from "../../plan/pipeline";
import { staticFilesRows } from "./staticFiles";

const ROOT = path.resolve(__dirname, "..", "..");
const NODE = process.execPath;

interface Run {
    ms: number;
    code: number | null;
    stdout: string;
    stderr: string;
}

function run(cmd: string, args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
    return new Promise((resolve, reject) => {
        const start = performance.now();
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
        child.on("close", (code) => resolve({ ms: performance.now() - start, code, stdout, stderr }));
    });
}

const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

function must(r: Run, what: string, okCodes = [0]): Run {
    if (!okCodes.includes(r.code ?? -1)) throw new Error(`${what} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
    return r;
}

async function floor(): Promise<number> {
    return must(await run(NODE, ["-e", "require('@pulumi/pulumi'); require('@pulumi/digitalocean')"]), "the floor").ms;
}

async function plan(args: readonly string[], out: string): Promise<{ ms: number; timings: PlanTimings }> {
    // Exit 1 (mandatory findings) is a successful plan.
    const r = must(
        await run(NODE, [
            "-r",
            "./tools/register.js",
            "plan/cli.ts",
            ...args,
            "--format",
            "json",
            "--out",
            out,
            "--timings",
        ]),
        `plan ${args.join(" ")}`,
        [0, 1],
    );
    const line = r.stderr.split("\n").find((l) => l.startsWith('{"timings"'));
    if (!line) throw new Error(`plan ${args.join(" ")} printed no timings:\n${r.stderr.slice(-2000)}`);
    return { ms: r.ms, timings: (JSON.parse(line) as { timings: PlanTimings }).timings };
}

async function bare(count: number, inputs: string, env: NodeJS.ProcessEnv = {}): Promise<number> {
    return must(
        await run(NODE, ["-r", "./tools/register.js", "tools/bench/bare.ts", String(count), inputs], env),
        "tools/bench/bare.ts",
    ).ms;
}

/** The SDK's promise stack traces on: the recorder leaves the SDK alone when leak debugging is asked for. */
const STOCK_SDK = { PULUMI_DEBUG_PROMISE_LEAKS: "1" };
const FLOOR_PACK = ["--policy-pack", "tools/bench/floor-pack"];

const webCount = (n: number) => ["--stack", "prod", "--config-path", "--config", `webstack:web.count=${n}`];

interface Row {
    measure: string;
    value: string;
    goal: string;
    pass: boolean | null;
    detail: string;
}

const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const x = (r: number) => r.toFixed(2);

function machine(): string {
    const cpu = os.cpus()[0]?.model.trim() ?? "unknown CPU";
    // The load average says how much other work shared the machine: ratios hold up, absolute times do not.
    return `${os.cpus().length} cores (nproc ${os.availableParallelism()}), ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}, load average ${os.loadavg()[0].toFixed(1)}`;
}

export async function bench(opts: {
    reps: number;
    count: number;
    tests: boolean;
    log: (line: string) => void;
}): Promise<Row[]> {
    const { reps, count, log } = opts;
    const small = Math.max(2, Math.round(count / 10));
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-bench-"));
    const rows: Row[] = [];
    try {
        // Warm-up: fills the transpile cache and the OS file cache, and gives bare.ts the stack's own droplet.
        log(`warm-up (plan with ${count} web droplets)…`);
        await plan(webCount(count), path.join(tmp, "warm"));
        const doc = JSON.parse(fs.readFileSync(path.join(tmp, "warm", "plan.json"), "utf8")) as {
            resources: { name: string; inputs: unknown }[];
        };
        const web0 = doc.resources.find((r) => r.name === "webstack-web-0");
        if (!web0) throw new Error("the warm-up plan has no webstack-web-0 droplet");
        const inputs = path.join(tmp, "droplet.json");
        fs.writeFileSync(inputs, JSON.stringify(web0.inputs));
        await floor();

        // 1. plan --stack prod vs the floor, interleaved.
        const floors: number[] = [];
        const prods: number[] = [];
        for (let i = 0; i < reps; i++) {
            floors.push(await floor());
            prods.push((await plan(["--stack", "prod"], path.join(tmp, "prod"))).ms);
            log(`  prod ${i + 1}/${reps}: plan ${s(prods[i])}, floor ${s(floors[i])}`);
        }
        const r1 = median(prods) / median(floors);
        rows.push({
            measure: "1. `plan --stack prod` ÷ floor (`require` pulumi + digitalocean)",
            value: x(r1),
            goal: "≤ 3",
            pass: r1 <= 3,
            detail: `${s(median(prods))} ÷ ${s(median(floors))}`,
        });

        // 2 and 3. COUNT droplets: plan, bare registration, plan at a tenth; interleaved.
        const big: { ms: number; timings: PlanTimings }[] = [];
        const bares: number[] = [];
        const stockBares: number[] = [];
        const smalls: { ms: number; timings: PlanTimings }[] = [];
        const floorPackPlans: { ms: number; timings: PlanTimings }[] = [];
        for (let i = 0; i < reps; i++) {
            big.push(await plan(webCount(count), path.join(tmp, "big")));
            bares.push(await bare(count, inputs));
            smalls.push(await plan(webCount(small), path.join(tmp, "small")));
            stockBares.push(await bare(count, inputs, STOCK_SDK));
            floorPackPlans.push(await plan([...webCount(count), ...FLOOR_PACK], path.join(tmp, "floor-pack")));
            log(
                `  ${count} droplets ${i + 1}/${reps}: plan ${s(big[i].ms)}, bare ${s(bares[i])}; plan(${small}) ${s(smalls[i].ms)}; ` +
                    `stock bare ${s(stockBares[i])}; plan with the floor pack ${s(floorPackPlans[i].ms)}`,
            );
        }
        const bigMs = median(big.map((b) => b.ms));
        const floorPackMs = median(floorPackPlans.map((b) => b.ms));
        const r2 = bigMs / floorPackMs;
        rows.push({
            measure: `2. plan, ${count} web droplets ÷ the same plan with tools/bench/floor-pack (a pack that checks nothing)`,
            value: x(r2),
            goal: "≤ 1.15",
            pass: r2 <= 1.15,
            detail: `${s(bigMs)} ÷ ${s(floorPackMs)}`,
        });
        const cpu = (t: PlanTimings) =>
            t.policyHostCpuMs ? t.policyHostCpuMs.analyze + t.policyHostCpuMs.analyzeStack : NaN;
        const pol = median(big.map((b) => cpu(b.timings)));
        const floorCpu = median(floorPackPlans.map((b) => cpu(b.timings)));
        const r3 = pol / floorCpu;
        const { catalog } = require("../../policies/catalog") as typeof import("../../policies/catalog");
        const stackPolicies = catalog.filter((p) => p.kind === "stack").length;
        rows.push({
            measure: `3. policy host CPU (Analyze + AnalyzeStack), ${count} droplets: webstack's pack ÷ the floor pack`,
            value: Number.isNaN(r3) ? "n/a" : x(r3),
            goal: "≤ 1.3",
            pass: Number.isNaN(r3) ? null : r3 <= 1.3,
            detail:
                `${s(pol)} ÷ ${s(floorCpu)} (${catalog.length} policies, ${stackPolicies} stack policies; Analyze ${s(median(big.map((b) => b.timings.policyHostCpuMs?.analyze ?? NaN)))}, ` +
                `AnalyzeStack ${s(median(big.map((b) => b.timings.policyHostCpuMs?.analyzeStack ?? NaN)))})`,
        });
        const r4 = bigMs / median(stockBares);
        rows.push({
            measure: `4. plan, ${count} web droplets ÷ the stock mock engine registering the same droplets (no components, no policies)`,
            value: x(r4),
            goal: "≤ 1.1",
            pass: r4 <= 1.1,
            detail: `${s(bigMs)} ÷ ${s(median(stockBares))}`,
        });
        const r5 = bigMs / median(smalls.map((b) => b.ms));
        rows.push({
            measure: `5. plan(${count}) ÷ plan(${small})`,
            value: x(r5),
            goal: "≤ 11 (linear)",
            pass: r5 <= 11,
            detail: `${s(bigMs)} ÷ ${s(median(smalls.map((b) => b.ms)))}`,
        });
        const growth = pol / median(smalls.map((b) => cpu(b.timings)));
        rows.push({
            measure: `6. policy host CPU growth, ${small} → ${count} droplets (resources ×${x(big[0].timings.resources / smalls[0].timings.resources)})`,
            value: Number.isNaN(growth) ? "n/a" : x(growth),
            goal: "≤ 11 (linear)",
            pass: Number.isNaN(growth) ? null : growth <= 11,
            detail: `${s(pol)} ÷ ${s(median(smalls.map((b) => cpu(b.timings))))}`,
        });
        rows.push({
            measure: `context: plan, ${count} web droplets ÷ the recorder's fast bare registration (tools/bench/bare.ts)`,
            value: x(bigMs / median(bares)),
            goal: "report",
            pass: null,
            detail: `${s(bigMs)} ÷ ${s(median(bares))}; the stock engine takes ×${x(median(stockBares) / median(bares))} the recorder's time`,
        });
        rows.push({
            measure: `context: policy host CPU ÷ registration, ${count} droplets (webstack's pack; the floor pack)`,
            value: x(pol / median(big.map((b) => b.timings.program))),
            goal: "report",
            pass: null,
            detail: `floor pack ${x(median(floorPackPlans.map((b) => cpu(b.timings) / b.timings.program)))}: @pulumi/policy's server, protobuf and gRPC before any policy runs`,
        });

        // 4. Peak memory.
        const rssPlan = median(big.map((b) => b.timings.maxRssKb.plan)) / 1024;
        const hostRss = big.map((b) => b.timings.maxRssKb.policyHost).filter((v): v is number => v !== null);
        rows.push({
            measure: `7. peak memory (max RSS), ${count} droplets`,
            value: `${rssPlan.toFixed(0)} MiB`,
            goal: "report",
            pass: null,
            detail: `plan process ${rssPlan.toFixed(0)} MiB; policy host ${hostRss.length ? `${(median(hostRss) / 1024).toFixed(0)} MiB` : "n/a"}`,
        });

        // 5. The test suite.
        if (opts.tests) {
            log("npm test…");
            const t = await run(NODE, [path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js")]);
            const ok = t.code === 0;
            const summary = /(\d+) passing[^\n]*/.exec(t.stdout)?.[0] ?? "";
            const failing = /(\d+) failing/.exec(t.stdout)?.[0];
            rows.push({
                measure: "8. `npm test` wall time",
                value: s(t.ms),
                goal: "≤ 60 s",
                pass: t.ms <= 60000,
                detail: `${summary}${failing ? `, ${failing}` : ""}${ok ? "" : " (suite failed)"}`,
            });
        } else {
            rows.push({
                measure: "8. `npm test` wall time",
                value: "skipped",
                goal: "≤ 60 s",
                pass: null,
                detail: "--skip-tests or --quick",
            });
        }
        rows.push(...(await staticFilesRows({ reps, log })));
        return rows;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

const verdict = (p: boolean | null) => (p === null ? "" : p ? "PASS" : "FAIL");

export function renderText(rows: readonly Row[]): string {
    const w = Math.max(...rows.map((r) => r.measure.length));
    return (
        rows
            .map(
                (r) =>
                    `${r.measure.padEnd(w)}  ${r.value.padStart(8)}  goal ${r.goal.padEnd(13)} ${verdict(r.pass).padEnd(4)}  ${r.detail}`,
            )
            .join("\n") + "\n"
    );
}

export function renderMarkdown(rows: readonly Row[], reps: number): string {
    const lines = [
        `Measured ${new Date().toISOString().slice(0, 10)} on ${machine()}; medians of ${reps} interleaved runs.`,
        "",
        "| Measure | Value | Goal | Result | Detail |",
        "|---|---:|---|---|---|",
        ...rows.map((r) => `| ${r.measure} | ${r.value} | ${r.goal} | ${verdict(r.pass) || "–"} | ${r.detail} |`),
    ];
    return lines.join("\n") + "\n";
}

const PERFORMANCE_DOC = path.join(ROOT, "docs", "performance.md");

/** docs/performance.md: what each row measures, then the table of one `npm run bench -- --markdown` run. */
export function performanceDoc(table: string): string {
    return [
        "# Performance",
        "",
        "<!-- Generated by `npm run bench -- --markdown` (tools/bench/bench.ts); do not edit by hand. -->",
        "",
        "`npm run bench` measures the offline plan, the policy pack and the test suite against floors measured in the same run,",
        "interleaved, and prints medians. Each row has a goal; `npm run bench` exits 1 when one is missed.",
        "",
        "- **Floor pack** (`tools/bench/floor-pack`): a pack with one resource and one stack policy that read nothing. It is",
        "  what @pulumi/policy's analyzer host, protobuf and gRPC cost before any policy code runs.",
        "- **Stock mock engine** (`tools/bench/bare.ts` with `PULUMI_DEBUG_PROMISE_LEAKS=1`): the same droplets registered",
        "  under Pulumi's own mock engine, without the recorder's fast path, components or policies.",
        "- **Policy host CPU**: user + system CPU of the policy host process while it answers Analyze and AnalyzeStack",
        "  (Linux, 10 ms resolution).",
        "",
        "The pack keeps its host cost near the floor by deserializing each resource once per request",
        "(`policies/lib/hostCache.ts`): the host otherwise deserializes the whole stack once per stack policy.",
        "",
        "Absolute times depend on the machine and on what else runs on it (see the load average); ratios hold up better.",
        "",
        table.trimEnd(),
        "",
    ].join("\n");
}

async function main(argv: string[]): Promise<number> {
    const { values: v } = parseArgs({
        args: argv,
        options: {
            reps: { type: "string" },
            count: { type: "string" },
            quick: { type: "boolean", default: false },
            "skip-tests": { type: "boolean", default: false },
            markdown: { type: "boolean", default: false },
            json: { type: "boolean", default: false },
        },
    });
    const reps = Number(v.reps ?? (v.quick ? 1 : 5));
    const count = Number(v.count ?? (v.quick ? 20 : 1000));
    if (!Number.isInteger(reps) || reps < 1) throw new Error(`--reps must be a positive integer; got "${v.reps}"`);
    if (!Number.isInteger(count) || count < 2 || count > 1000)
        throw new Error(`--count must be an integer from 2 to 1000; got "${v.count}"`);
    process.stderr.write(`${machine()}\n`);
    const rows = await bench({
        reps,
        count,
        tests: !v.quick && !v["skip-tests"],
        log: (l) => process.stderr.write(`${l}\n`),
    });
    if (v.markdown) fs.writeFileSync(PERFORMANCE_DOC, performanceDoc(renderMarkdown(rows, reps)));
    process.stdout.write(
        v.json ? `${JSON.stringify(rows, null, 2)}\n` : v.markdown ? renderMarkdown(rows, reps) : renderText(rows),
    );
    return rows.some((r) => r.pass === false) ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.stdout.write("", () => process.exit(code)),
        (err) => {
            process.stderr.write(`error: ${(err as Error).message}\n`);
            process.exit(2);
        },
    );
}
