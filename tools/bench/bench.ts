// `npm run bench`: the offline plan's, the policy pack's and the test suite's speed as ratios to floors measured in
// the same run (each floor is work the measured side must also do), interleaved, N times; the table shows medians.
// Every row prints its goal and PASS/FAIL; context rows only report.
//
//   npm run bench -- [--reps N] [--count N] [--quick] [--skip-tests] [--markdown] [--json]
//
//   1. plan --stack prod ÷ node -e "require('@pulumi/pulumi'); require('@pulumi/digitalocean')"   goal ≤ 3
//   2. plan with COUNT web droplets ÷ the same plan with tools/bench/floor-pack (a no-op pack)     goal ≤ 1.2
//   3. policy host CPU (Analyze + AnalyzeStack) ÷ the no-op pack's: webstack's pack on the COUNT-droplet stack,
//      next to @pulumi/awsguard (every policy mandatory, tools/bench/peer-pack) on an AWS stack of the same
//      number of resources (tools/bench/awsStack.ts) ÷ the same no-op pack                      goal ours ≤ awsguard's
//   4. plan(COUNT) ÷ plan(COUNT/10)                                                               goal ≤ 11 (linear)
//   5. policy host CPU growth from COUNT/10 to COUNT droplets                                     goal ≤ 11 (linear)
//   6. npm test wall time                                                                         goal ≤ 45 s
//   7. a static file through the rendered nginx site ÷ nginx with a minimal static config (wrk)    goal ≥ 0.9
//   8. the same file from disk ÷ proxied to an app stand-in (tools/bench/staticFiles.ts)          reported
//   context: plan(COUNT) ÷ the stock mock engine registering the same droplets (the plan does strictly more: its
//   recorder, components, policies and report), ÷ the recorder's bare registration, host CPU ÷ registration, memory;
//   the host's CPU for webstack's policies with idle bodies, whole and part by part (tools/bench/hostShape.ts).
//
// Rows come from row modules (ROW_MODULES below): a module is an async function of the run's context returning rows,
// so another measurement is one import and one list entry.
// --markdown also writes docs/performance.md (the table is generated from this run; do not edit it by hand).
// Exit status: 0 every goal met, 1 a goal missed, 2 a measurement failed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { type ProcessRun, runProcess } from "../../plan/spawnPlan";
import { median } from "./stats";
import type { PlanTimings } from "./timedPlan";
import { staticFilesRows } from "./staticFiles";

const ROOT = path.resolve(__dirname, "..", "..");
const NODE = process.execPath;

function must(r: ProcessRun, what: string, okCodes = [0]): ProcessRun {
    if (!okCodes.includes(r.code ?? -1)) throw new Error(`${what} exited ${r.code}:\n${r.stderr.slice(-3000)}`);
    return r;
}

async function floor(): Promise<number> {
    return must(
        await runProcess(NODE, ["-e", "require('@pulumi/pulumi'); require('@pulumi/digitalocean')"]),
        "the floor",
    ).ms;
}

async function plan(args: readonly string[], out: string): Promise<{ ms: number; timings: PlanTimings }> {
    // Exit 1 (mandatory findings) is a successful plan.
    const r = must(
        await runProcess(NODE, [
            "-r",
            "./tools/register.js",
            "tools/bench/timedPlan.ts",
            ...args,
            "--format",
            "json",
            "--out",
            out,
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
        await runProcess(NODE, ["-r", "./tools/register.js", "tools/bench/bare.ts", String(count), inputs], env),
        "tools/bench/bare.ts",
    ).ms;
}

/** The SDK's promise stack traces on: the recorder leaves the SDK alone when leak debugging is asked for. */
const STOCK_SDK = { PULUMI_DEBUG_PROMISE_LEAKS: "1" };
const NO_OP_PACK = ["--policy-pack", "tools/bench/floor-pack"];
/** webstack's policies with bodies that do nothing, configured as the real pack is for prod (floor-pack/webstack-shape). */
const SHAPE_PACK = [
    "--policy-pack",
    "tools/bench/floor-pack/webstack-shape",
    "--policy-pack-config",
    "policies/config/prod.json",
];

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

/** What every row module sees: the run's settings, a temp dir, a logger, and results earlier modules share. */
export interface BenchContext {
    reps: number;
    count: number;
    small: number;
    tests: boolean;
    tmp: string;
    log: (line: string) => void;
    /** Measurements one module leaves for later ones (e.g. the webstack pack's CPU ratio for the peer row). */
    shared: Record<string, number>;
}

/** A group of rows measured together (interleaved within the module). */
export type RowModule = (ctx: BenchContext) => Promise<Row[]>;

const cpu = (t: PlanTimings) => (t.policyHostCpuMs ? t.policyHostCpuMs.analyze + t.policyHostCpuMs.analyzeStack : NaN);

/** The offline plan against its floors, the pack against the no-op pack, growth, memory. */
const planRows: RowModule = async ({ reps, count, small, tmp, log, shared }) => {
    const rows: Row[] = [];
    // Warm-up: fills the transpile cache and the OS file cache, and gives bare.ts the stack's own droplet.
    log(`warm-up (plan with ${count} web droplets)…`);
    const warm = await plan(webCount(count), path.join(tmp, "warm"));
    shared.resources = warm.timings.resources;
    const doc = JSON.parse(fs.readFileSync(path.join(tmp, "warm", "plan.json"), "utf8")) as {
        resources: { name: string; inputs: unknown }[];
    };
    const web0 = doc.resources.find((r) => r.name === "webstack-web-0");
    if (!web0) throw new Error("the warm-up plan has no webstack-web-0 droplet");
    const inputs = path.join(tmp, "droplet.json");
    fs.writeFileSync(inputs, JSON.stringify(web0.inputs));
    await floor();

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

    const big: { ms: number; timings: PlanTimings }[] = [];
    const bares: number[] = [];
    const stockBares: number[] = [];
    const smalls: { ms: number; timings: PlanTimings }[] = [];
    const noOp: { ms: number; timings: PlanTimings }[] = [];
    const shape: PlanTimings[] = [];
    for (let i = 0; i < reps; i++) {
        big.push(await plan(webCount(count), path.join(tmp, "big")));
        shape.push((await plan([...webCount(count), ...SHAPE_PACK], path.join(tmp, "shape"))).timings);
        bares.push(await bare(count, inputs));
        smalls.push(await plan(webCount(small), path.join(tmp, "small")));
        stockBares.push(await bare(count, inputs, STOCK_SDK));
        noOp.push(await plan([...webCount(count), ...NO_OP_PACK], path.join(tmp, "no-op-pack")));
        log(
            `  ${count} droplets ${i + 1}/${reps}: plan ${s(big[i].ms)}, bare ${s(bares[i])}; plan(${small}) ${s(smalls[i].ms)}; ` +
                `stock bare ${s(stockBares[i])}; plan with the no-op pack ${s(noOp[i].ms)}; host CPU: pack ${s(cpu(big[i].timings))}, ` +
                `its shape ${s(cpu(shape[i]))}, no-op pack ${s(cpu(noOp[i].timings))}`,
        );
    }
    const bigMs = median(big.map((b) => b.ms));
    const noOpMs = median(noOp.map((b) => b.ms));
    const r2 = bigMs / noOpMs;
    rows.push({
        measure: `2. plan, ${count} web droplets ÷ the same plan with tools/bench/floor-pack (a no-op pack)`,
        value: x(r2),
        goal: "≤ 1.2",
        pass: r2 <= 1.2,
        detail: `${s(bigMs)} ÷ ${s(noOpMs)}`,
    });
    const pol = median(big.map((b) => cpu(b.timings)));
    shared.packCpuMs = pol;
    shared.noOpCpuMs = median(noOp.map((b) => cpu(b.timings)));
    shared.shapeCpuMs = median(shape.map(cpu));
    shared.noOpAnalyzeMs = median(noOp.map((b) => b.timings.policyHostCpuMs?.analyze ?? NaN));
    shared.noOpAnalyzeStackMs = median(noOp.map((b) => b.timings.policyHostCpuMs?.analyzeStack ?? NaN));
    shared.packAnalyzeMs = median(big.map((b) => b.timings.policyHostCpuMs?.analyze ?? NaN));
    shared.packAnalyzeStackMs = median(big.map((b) => b.timings.policyHostCpuMs?.analyzeStack ?? NaN));
    const r4 = bigMs / median(smalls.map((b) => b.ms));
    rows.push({
        measure: `4. plan(${count}) ÷ plan(${small})`,
        value: x(r4),
        goal: "≤ 11 (linear)",
        pass: r4 <= 11,
        detail: `${s(bigMs)} ÷ ${s(median(smalls.map((b) => b.ms)))}`,
    });
    const growth = pol / median(smalls.map((b) => cpu(b.timings)));
    rows.push({
        measure: `5. policy host CPU growth, ${small} → ${count} droplets (resources ×${x(big[0].timings.resources / smalls[0].timings.resources)})`,
        value: Number.isNaN(growth) ? "n/a" : x(growth),
        goal: "≤ 11 (linear)",
        pass: Number.isNaN(growth) ? null : growth <= 11,
        detail: `${s(pol)} ÷ ${s(median(smalls.map((b) => cpu(b.timings))))}`,
    });
    rows.push({
        measure: `context: plan, ${count} web droplets ÷ the stock mock engine registering the same droplets (no components, no policies, no report)`,
        value: x(bigMs / median(stockBares)),
        goal: "report",
        pass: null,
        detail: `${s(bigMs)} ÷ ${s(median(stockBares))}; the plan does strictly more than the stock engine, so this is no floor`,
    });
    rows.push({
        measure: `context: plan, ${count} web droplets ÷ the recorder's fast bare registration (tools/bench/bare.ts)`,
        value: x(bigMs / median(bares)),
        goal: "report",
        pass: null,
        detail: `${s(bigMs)} ÷ ${s(median(bares))}; the stock engine takes ×${x(median(stockBares) / median(bares))} the recorder's time`,
    });
    const rssPlan = median(big.map((b) => b.timings.maxRssKb.plan)) / 1024;
    const hostRss = big.map((b) => b.timings.maxRssKb.policyHost).filter((v): v is number => v !== null);
    rows.push({
        measure: `context: peak memory (max RSS), ${count} droplets`,
        value: `${rssPlan.toFixed(0)} MiB`,
        goal: "report",
        pass: null,
        detail: `plan process ${rssPlan.toFixed(0)} MiB; policy host ${hostRss.length ? `${(median(hostRss) / 1024).toFixed(0)} MiB` : "n/a"}`,
    });
    return rows;
};

/** Where the peer pack is installed (outside the type-checked tree; out/ is ignored by git, lint and tsc). */
const PEER_DIR = path.join(ROOT, "out", "bench-peer");

/** Installs @pulumi/awsguard from tools/bench/peer-pack's lockfile with npm ci, once per lockfile. */
async function ensurePeerPack(log: (line: string) => void): Promise<string> {
    const source = path.join(ROOT, "tools", "bench", "peer-pack");
    const lock = fs.readFileSync(path.join(source, "package-lock.json"), "utf8");
    const stamp = path.join(PEER_DIR, ".installed-lock.json");
    fs.mkdirSync(PEER_DIR, { recursive: true });
    for (const f of ["package.json", "package-lock.json", "index.ts"])
        fs.copyFileSync(path.join(source, f), path.join(PEER_DIR, f));
    const installed = fs.existsSync(stamp) && fs.readFileSync(stamp, "utf8") === lock;
    if (!installed || !fs.existsSync(path.join(PEER_DIR, "node_modules", "@pulumi", "awsguard"))) {
        log("installing the peer pack (@pulumi/awsguard 0.3.1) with npm ci into out/bench-peer…");
        // --ignore-scripts: @pulumi/aws's install script would download a provider plugin the pack never starts.
        const npm = process.platform === "win32" ? "npm.cmd" : "npm";
        must(
            await runProcess(npm, ["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--prefix", PEER_DIR]),
            "npm ci (peer pack)",
        );
        fs.writeFileSync(stamp, lock);
    }
    return PEER_DIR;
}

/** Row 3: webstack's pack cost against the no-op pack, next to @pulumi/awsguard's on an AWS stack of the same size. */
const peerRows: RowModule = async ({ reps, tmp, log, shared }) => {
    const peer = await ensurePeerPack(log);
    const { awsStackExport, WEB_USER_DATA } = require("./awsStack") as typeof import("./awsStack");
    // The AWS stack has 2 resources per instance (the instance and its DNS record) and 32 others; webstack's plan
    // counts its root stack among its resources, the export lists its root too.
    const instances = Math.max(1, Math.round((shared.resources - 32) / 2));
    const file = path.join(tmp, "aws-stack.json");
    fs.writeFileSync(file, JSON.stringify(awsStackExport(instances, WEB_USER_DATA)));
    // Context: the same stack with the ACM certificate its HTTPS listeners use, as a preview that creates it sees it.
    const withCertificate = path.join(tmp, "aws-stack-certificate.json");
    fs.writeFileSync(
        withCertificate,
        JSON.stringify(awsStackExport(instances, WEB_USER_DATA, { pendingCertificate: true })),
    );
    const args = ["--stack-export", file];
    const certArgs = ["--stack-export", withCertificate];
    await plan([...args, "--policy-pack", peer], path.join(tmp, "aws-warm"));
    const peers: PlanTimings[] = [];
    const noOps: PlanTimings[] = [];
    const certPeers: PlanTimings[] = [];
    const certNoOps: PlanTimings[] = [];
    for (let i = 0; i < reps; i++) {
        peers.push((await plan([...args, "--policy-pack", peer], path.join(tmp, "aws-peer"))).timings);
        noOps.push((await plan([...args, ...NO_OP_PACK], path.join(tmp, "aws-no-op"))).timings);
        certPeers.push((await plan([...certArgs, "--policy-pack", peer], path.join(tmp, "aws-cert-peer"))).timings);
        certNoOps.push((await plan([...certArgs, ...NO_OP_PACK], path.join(tmp, "aws-cert-no-op"))).timings);
        log(
            `  AWS stack ${i + 1}/${reps}: awsguard host CPU ${s(cpu(peers[i]))}, no-op pack ${s(cpu(noOps[i]))}; ` +
                `with a certificate: awsguard ${s(cpu(certPeers[i]))}, no-op pack ${s(cpu(certNoOps[i]))}`,
        );
    }
    const phase = (runs: PlanTimings[], key: "analyze" | "analyzeStack") =>
        median(runs.map((t) => t.policyHostCpuMs?.[key] ?? NaN));
    const ours = shared.packCpuMs / shared.noOpCpuMs;
    const theirs = median(peers.map(cpu)) / median(noOps.map(cpu));
    const shapeRatio = shared.shapeCpuMs / shared.noOpCpuMs;
    const certRatio = median(certPeers.map(cpu)) / median(certNoOps.map(cpu));
    const { catalog, packPolicies } = require("../../policies/catalog") as typeof import("../../policies/catalog");
    const enabled = packPolicies.filter((p) => p.enforcementLevel !== "disabled");
    const stackPolicies = enabled.filter((p) => "validateStack" in p).length;
    const split = (analyze: number, analyzeStack: number) => `Analyze ${s(analyze)}, AnalyzeStack ${s(analyzeStack)}`;
    // The least webstack's side can cost while it serves these policies: the same policies with bodies that do nothing.
    const floorNote =
        shapeRatio > theirs
            ? `not reachable while the pack serves these policies: with bodies that do nothing they alone cost ×${x(shapeRatio)}, ` +
              `above awsguard's ×${x(theirs)} (see the part-by-part context row); `
            : "";
    return [
        {
            measure: `3. policy host CPU ÷ a no-op pack's (Analyze + AnalyzeStack): webstack's pack on the ${shared.resources}-resource stack, next to @pulumi/awsguard 0.3.1 (all mandatory) on an AWS stack of ${peers[0]?.resources ?? "?"} resources`,
            value: Number.isNaN(ours) ? "n/a" : x(ours),
            goal: Number.isNaN(theirs) ? "≤ awsguard's" : `≤ ${x(theirs)} (awsguard's)`,
            pass: Number.isNaN(ours) || Number.isNaN(theirs) ? null : ours <= theirs,
            detail:
                floorNote +
                `webstack ${s(shared.packCpuMs)} ÷ ${s(shared.noOpCpuMs)} (${catalog.length} checks in ${enabled.length} enabled policies, ${stackPolicies} of them stack policies; ` +
                `${split(shared.packAnalyzeMs, shared.packAnalyzeStackMs)}; no-op pack ${split(shared.noOpAnalyzeMs, shared.noOpAnalyzeStackMs)}); ` +
                `awsguard ${s(median(peers.map(cpu)))} ÷ ${s(median(noOps.map(cpu)))} (${split(phase(peers, "analyze"), phase(peers, "analyzeStack"))}; ` +
                `no-op pack ${split(phase(noOps, "analyze"), phase(noOps, "analyzeStack"))}: no stack policy of awsguard applies to this stack, so its AnalyzeStack is below the no-op pack's)`,
        },
        {
            measure: `context: policy host CPU ÷ the no-op pack's for webstack's policies with bodies that do nothing (tools/bench/floor-pack/webstack-shape): what the host itself costs for the pack's ${enabled.length} policies`,
            value: Number.isNaN(shapeRatio) ? "n/a" : x(shapeRatio),
            goal: "report",
            pass: null,
            detail: `${s(shared.shapeCpuMs)} ÷ ${s(shared.noOpCpuMs)}; the checks' own work adds ${s(shared.packCpuMs - shared.shapeCpuMs)} (row 3's ${x(ours)})`,
        },
        {
            measure:
                "context: @pulumi/awsguard ÷ the no-op pack on the same AWS stack with the ACM certificate its HTTPS listeners use, as a preview that creates it sees it (its id unknown, so awsguard's acm-certificate-expiration runs over the whole stack without calling AWS)",
            value: Number.isNaN(certRatio) ? "n/a" : x(certRatio),
            goal: "report",
            pass: null,
            detail:
                `${s(median(certPeers.map(cpu)))} ÷ ${s(median(certNoOps.map(cpu)))} (${split(phase(certPeers, "analyze"), phase(certPeers, "analyzeStack"))}; ` +
                `no-op pack ${split(phase(certNoOps, "analyze"), phase(certNoOps, "analyzeStack"))})`,
        },
    ];
};

/** The host's CPU for webstack's pack, part by part beside the no-op pack, on one captured stack (hostShape.ts). */
const shapeRows: RowModule = async ({ reps, count, log }) => {
    log("the host's cost part by part (tools/bench/hostShape.ts)…");
    const r = must(
        await runProcess(NODE, ["-r", "./tools/register.js", "tools/bench/hostShape.ts", String(count), String(reps)]),
        "tools/bench/hostShape.ts",
    );
    const { cpuMs: c } = JSON.parse(r.stdout.trim().split("\n").pop()!) as { cpuMs: Record<string, number> };
    const { packPolicies } = require("../../policies/catalog") as typeof import("../../policies/catalog");
    const enabled = packPolicies.filter((p) => p.enforcementLevel !== "disabled");
    const typed = enabled.filter(
        (p) => "validateResource" in p && (p.validateResource as { __pulumiType?: string }).__pulumiType,
    ).length;
    const untyped = enabled.filter((p) => "validateResource" in p).length - typed;
    const stacks = enabled.length - typed - untyped;
    const plus = (part: string) => {
        const d = c[part] - c.noOp;
        return `${d < 0 ? "−" : "+"}${s(Math.abs(d))}`;
    };
    return [
        {
            measure:
                "context: policy host CPU ÷ the no-op pack's for webstack's policies with bodies that do nothing, part by part beside the no-op pack on one captured stack (tools/bench/hostShape.ts)",
            value: x(c.shape / c.noOp),
            goal: "report",
            pass: null,
            detail:
                `no-op pack ${s(c.noOp)}; ${plus("typed")} for the ${typed} typed resource policies (the host answers every resource of another type with a not-applicable entry), ` +
                `${plus("untyped")} for ${untyped - 1} more untyped resource policies (each deserializes every resource), ` +
                `${plus("stack")} for ${stacks - 1} more stack policies (each deserializes the whole stack, a target even with no threshold set), each part measured alone; ` +
                `all of them ${s(c.shape)}; the checks' own work brings the real pack to ${s(c.webstack)} (×${x(c.webstack / c.noOp)})`,
        },
    ];
};

/** Row 6: the test suite's wall time. */
const testRows: RowModule = async ({ tests, log }) => {
    if (!tests)
        return [
            {
                measure: "6. `npm test` wall time",
                value: "skipped",
                goal: "≤ 45 s",
                pass: null,
                detail: "--skip-tests or --quick",
            },
        ];
    log("npm test…");
    // The goal is for an idle two-core machine: the load average at the start says how idle this one was.
    const load = os.loadavg()[0].toFixed(1);
    const t = await runProcess(NODE, [path.join(ROOT, "node_modules", "mocha", "bin", "mocha.js")]);
    const summary = /(\d+) passing[^\n]*/.exec(t.stdout)?.[0] ?? "";
    const failing = /(\d+) failing/.exec(t.stdout)?.[0];
    return [
        {
            measure: "6. `npm test` wall time",
            value: s(t.ms),
            goal: "≤ 45 s",
            pass: t.ms <= 45000,
            detail:
                `${summary}${failing ? `, ${failing}` : ""}${t.code === 0 ? "" : " (suite failed)"}; ` +
                `load average ${load} at the start`,
        },
    ];
};

/** The row modules, in the order their rows print. Add a module: import it and list it here. */
export const ROW_MODULES: RowModule[] = [planRows, peerRows, shapeRows, testRows, staticFilesRows];

const ORDER = (r: Row) => (/^\d+\./.test(r.measure) ? Number(r.measure.split(".")[0]) : 100);

export async function bench(opts: {
    reps: number;
    count: number;
    tests: boolean;
    log: (line: string) => void;
}): Promise<Row[]> {
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-bench-"));
    const ctx: BenchContext = { ...opts, small: Math.max(2, Math.round(opts.count / 10)), tmp, shared: {} };
    try {
        const rows: Row[] = [];
        for (const module of ROW_MODULES) rows.push(...(await module(ctx)));
        // Numbered goal rows first, in number order; context rows after them.
        return rows
            .map((r, i) => ({ r, i }))
            .sort((a, b) => ORDER(a.r) - ORDER(b.r) || a.i - b.i)
            .map(({ r }) => r);
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
        "interleaved, and prints medians. Each floor is work the measured side also does, so a ratio below 1 is impossible",
        "and the goal bounds what comes on top. Each numbered row has a goal; `npm run bench` exits 1 when one is missed.",
        "",
        "- **No-op pack** (`tools/bench/floor-pack`): a pack with one resource and one stack policy that read nothing: what",
        "  @pulumi/policy's analyzer host, protobuf and gRPC cost before any policy code runs.",
        "- **Peer** (`tools/bench/peer-pack`): @pulumi/awsguard 0.3.1, Pulumi's own pack for AWS, every policy mandatory, on",
        "  an AWS web stack with as many resources as webstack's (`tools/bench/awsStack.ts`, a `pulumi stack export`",
        "  document analyzed with `npm run plan -- --stack-export`), divided by the same no-op pack on that stack. Installed",
        "  on first use with `npm ci` into `out/bench-peer` (the same @pulumi/policy and @pulumi/pulumi as webstack's pack).",
        "- **Stock mock engine** (`tools/bench/bare.ts` with `PULUMI_DEBUG_PROMISE_LEAKS=1`): the same droplets registered",
        "  under Pulumi's own mock engine; a context row, not a floor, since the plan does strictly more.",
        "- **Policy host CPU**: user + system CPU of the policy host process while it answers Analyze and AnalyzeStack",
        "  (Linux, 10 ms resolution).",
        "",
        "Most of what webstack's pack costs the host is the host's work for the policies it serves, not their checks (the",
        "part-by-part context row). @pulumi/policy 1.21's host deserializes the whole stack once for every enabled stack",
        "policy, so the cross-resource checks run inside one (`stack-checks-pass`) over one view of the stack, but the two",
        "targets are stack policies of their own, so that a threshold alone turns one on (docs/availability.md); it answers",
        "a typed resource policy with a not-applicable entry for every resource of another type, and deserializes every",
        "resource again for each untyped one (the three that check droplets and autoscale pools alike). Row 3's two ratios",
        "are close and both move from run to run (awsguard's stack policies apply only to stacks with an ACM certificate or",
        "an IAM access key, so its AnalyzeStack costs less than the no-op pack's), so the row has passed in some runs and",
        "failed in others; when webstack's policies with bodies that do nothing already cost more than all of awsguard, its",
        "detail says so. It keeps its goal: meeting it reliably would take fewer policies, and merging policies would change",
        "the names teams configure.",
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
