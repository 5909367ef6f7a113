// webstack's offline plan: previews a stack without the Pulumi CLI, a backend or cloud credentials.
// Runs the real program under the recording mock engine, asks the real policy pack (spawned like the CLI
// spawns it, over the analyzer gRPC protocol) for its verdicts, prices the result and draws it.
//
//   npm run plan -- [--stack NAME] [--tier N] [--format text|json|markdown] [--out DIR]
//
// Exit status: 0 no mandatory finding, 1 mandatory findings (as `pulumi preview` fails), 2 usage/config errors.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadStackConfig, PlanConfigError, type ConfigOverride } from "./capture/stackConfig";
import { PolicyHost, PolicyHostError, killAllPolicyHosts, parsePolicyPackConfig, reconcilePolicyConfig, type Finding } from "./policyHost/host";
import { ProgramError } from "./capture/runProgram";
import type { PlanDocument } from "./report/render";

export const USAGE = `Usage: npm run plan -- [options]

Previews a stack offline: resource tree, policy findings, monthly cost, architecture diagram.

Options:
  --stack NAME              stack to plan (reads Pulumi.NAME.yaml)            [default: dev]
  --tier N                  override webstack:tier
  -c, --config KEY=VALUE    override a config value (repeatable), like pulumi preview --config
  --config-file FILE        read stack config from FILE instead of Pulumi.STACK.yaml
  --config-path             treat --config keys as paths (web.count, names[0]), like pulumi --path
  --format text|json|markdown                                                   [default: text]
  --out DIR                 where plan.json, plan.md and architecture.{svg,mmd,dot} go [default: out/STACK]
  -C, --cwd DIR             the project directory (holds Pulumi.yaml)          [default: .]
  --policy-pack DIR         the policy pack to run                             [default: policies]
  --policy-pack-config FILE policy config                        [default: POLICY_PACK/config/STACK.json if present]
  --timings                 print phase timings and peak memory as one JSON line on stderr (npm run bench)
  -h, --help                show this help

Exit status: 0 no mandatory finding, 1 mandatory findings, 2 usage or configuration errors.
`;

export interface PlanOptions {
    stack: string;
    tier?: string;
    overrides: ConfigOverride[];
    format: "text" | "json" | "markdown";
    out: string;
    cwd: string;
    policyPack: string;
    policyPackExplicit: boolean;
    policyPackConfig?: string;
    configFile?: string;
    timings: boolean;
}

class UsageError extends Error {}

export function parseOptions(argv: string[]): PlanOptions | "help" {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string", default: "dev" },
                tier: { type: "string" },
                config: { type: "string", short: "c", multiple: true },
                "config-path": { type: "boolean", default: false },
                "config-file": { type: "string" },
                format: { type: "string", default: "text" },
                out: { type: "string" },
                cwd: { type: "string", short: "C" },
                "policy-pack": { type: "string" },
                "policy-pack-config": { type: "string" },
                timings: { type: "boolean", default: false },
                help: { type: "boolean", short: "h", default: false },
            },
        });
    } catch (err) {
        throw new UsageError((err as Error).message);
    }
    const v = parsed.values;
    if (v.help) return "help";
    const format = v.format!;
    if (format !== "text" && format !== "json" && format !== "markdown") throw new UsageError(`--format must be text, json or markdown; got "${format}"`);
    if (!/^[A-Za-z0-9_.-]+$/.test(v.stack!)) throw new UsageError(`--stack must be a stack name (letters, digits, "-", "_", "."); got "${v.stack}"`);
    if (v.tier !== undefined && v.tier.trim() === "") throw new UsageError("--tier needs a value, e.g. --tier 2");
    const overrides = (v.config ?? []).map((kv) => {
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new UsageError(`--config expects KEY=VALUE; got "${kv}"`);
        return { key: kv.slice(0, eq), value: kv.slice(eq + 1), path: v["config-path"] };
    });
    const cwd = path.resolve(v.cwd ?? ".");
    return {
        stack: v.stack!,
        tier: v.tier,
        overrides,
        format,
        cwd,
        out: path.resolve(v.out ?? path.join(cwd, "out", v.stack!)),
        policyPack: v["policy-pack"] !== undefined ? path.resolve(v["policy-pack"]) : path.join(cwd, "policies"),
        policyPackExplicit: v["policy-pack"] !== undefined,
        policyPackConfig: v["policy-pack-config"] && path.resolve(v["policy-pack-config"]),
        configFile: v["config-file"] && path.resolve(v["config-file"]),
        timings: v.timings!,
    };
}

const rel = (p: string) => path.relative(process.cwd(), p) || ".";
const timings: [string, number][] = [];
const t0 = Date.now();
const mark = (what: string) => timings.push([what, Date.now() - t0]);

/**
 * What `--timings` prints (one JSON line on stderr; `npm run bench` reads it). Times are milliseconds;
 * `at.*` are offsets from process start, the others durations. `policyHostCpuMs` is the CPU the policy
 * host spent answering Analyze and AnalyzeStack (Linux only, 10 ms resolution).
 */
export interface PlanTimings {
    resources: number;
    at: Record<string, number>;
    program: number;
    analyze: number;
    analyzeStack: number;
    policies: number;
    policyHostCpuMs: { analyze: number; analyzeStack: number } | null;
    costAndDiagram: number;
    maxRssKb: { plan: number; policyHost: number | null };
}
const since = () => Math.round(performance.now());
const at: Record<string, number> = {};
let lastTimings: PlanTimings | undefined;

/** Runs the plan; returns the document and the exit code. Call once per process. */
export async function plan(opts: PlanOptions): Promise<{ doc: PlanDocument; files: Record<string, string> }> {
    const cfg = loadStackConfig({ cwd: opts.cwd, stack: opts.stack, tier: opts.tier, overrides: opts.overrides, configFile: opts.configFile });
    mark("config");
    at.config = since();

    // The policy host boots (~0.5 s) in parallel with the program run: start it first.
    const packPresent = fs.existsSync(path.join(opts.policyPack, "index.ts"));
    if (!packPresent && opts.policyPackExplicit) throw new PolicyHostError(`error: policy pack not found at "${rel(opts.policyPack)}" (no index.ts)`);
    if (!packPresent) process.stderr.write(`warning: no policy pack at ${rel(opts.policyPack)}; policy findings skipped.\n`);
    const host = packPresent ? PolicyHost.start({ packDir: opts.policyPack, project: cfg.project, stack: cfg.stack, config: cfg.config }) : undefined;
    // Tests watch these lines: the child's pid as soon as it exists, then when it is up (e.g. before sending Ctrl-C).
    if (host && process.env.WEBSTACK_PLAN_TIMING === "1") process.stderr.write(`policy host pid ${host.pid} started\n`);
    host?.port.then(
        (port) => {
            mark("policy host port");
            if (process.env.WEBSTACK_PLAN_TIMING === "1") process.stderr.write(`policy host pid ${host.pid} listening on 127.0.0.1:${port}\n`);
        },
        () => undefined,
    );
    const configFile = opts.policyPackConfig ?? path.join(opts.policyPack, "config", `${opts.stack}.json`);
    const hasConfigFile = fs.existsSync(configFile);
    if (opts.policyPackConfig && !hasConfigFile) throw new PolicyHostError(`error: policy pack config "${rel(configFile)}" not found`);
    const givenPolicyConfig = hasConfigFile ? parsePolicyPackConfig(fs.readFileSync(configFile, "utf8"), rel(configFile)) : undefined;

    const diagram = require("./report/diagram") as typeof import("./report/diagram");
    diagram.preloadGraphviz().catch(() => undefined);

    const { runProgram } = require("./capture/runProgram") as typeof import("./capture/runProgram");
    const { isSecret, plain, redact } = require("./capture/recorder") as typeof import("./capture/recorder");
    at.programStart = since();
    const run = await runProgram(cfg);
    mark("program");
    at.programEnd = since();

    // Policies: the engine analyzes each custom resource's inputs, then the whole stack's final state.
    // Every Analyze request is on its way before this process turns to cost and diagram (synchronous work
    // that would otherwise hold the host's answers back); the host evaluates them meanwhile.
    let requestsSent: () => void = () => undefined;
    const sent = new Promise<void>((resolve) => (requestsSent = resolve));
    const policyTimes = { analyze: 0, analyzeStack: 0, cpu: null as PlanTimings["policyHostCpuMs"] };
    const policyWork = (async () => {
        if (!host) return { info: undefined, findings: [] as Finding[] };
        try {
            const { toAnalyzed, outputsWithSecrets, stackResource } = require("./policyHost/host") as typeof import("./policyHost/host");
            const info = await host.getAnalyzerInfo();
            await host.configureStack();
            await host.configure(reconcilePolicyConfig(info, givenPolicyConfig));
            mark("policy host ready");
            at.policyHostReady = since();
            const cpu0 = host.usage();
            const analyzeStart = performance.now();
            const analyzing = Promise.all(
                run.resources
                    .filter((r) => r.custom)
                    .map(async (r) => (await host.analyze(toAnalyzed(r, run.stackUrn, r.inputs))).map((f) => ({ ...f, urn: f.urn || r.urn }))),
            );
            requestsSent();
            const perResource = await analyzing;
            const cpu1 = host.usage();
            const stackStart = performance.now();
            policyTimes.analyze = Math.round(stackStart - analyzeStart);
            const stackWide = await host.analyzeStack([
                stackResource(
                    run.stackUrn,
                    run.outputs.map((o) => ({ ...o, value: JSON.parse(JSON.stringify(o.value ?? null)) })),
                ),
                ...run.resources.map((r) => toAnalyzed(r, run.stackUrn, outputsWithSecrets(r, isSecret))),
            ]);
            const cpu2 = host.usage();
            policyTimes.analyzeStack = Math.round(performance.now() - stackStart);
            if (cpu0 && cpu1 && cpu2) policyTimes.cpu = { analyze: cpu1.cpuMs - cpu0.cpuMs, analyzeStack: cpu2.cpuMs - cpu1.cpuMs };
            mark("policies");
            at.policiesDone = since();
            return { info, findings: [...perResource.flat(), ...stackWide] };
        } finally {
            requestsSent();
        }
    })();
    policyWork.catch(() => undefined);
    await sent;

    // Meanwhile, in this process: cost and diagram.
    const costStart = performance.now();
    const { estimateCost } = require("./report/cost") as typeof import("./report/cost");
    const cost = estimateCost(
        run.resources.map((r) => ({ urn: r.urn, type: r.type, name: r.name, custom: r.custom, inputs: plain(r.inputs) as Record<string, unknown> })),
    );
    const model = diagram.buildDiagram(run.resources);
    const tierValue = cfg.config[`${cfg.project}:tier`];
    const tier = tierValue !== undefined && /^\d+$/.test(tierValue) ? Number(tierValue) : null;
    const title = `${cfg.project} · stack ${cfg.stack}${tier !== null ? ` · tier ${tier}` : ""}`;
    const dot = diagram.toDot(model, title);
    const mermaid = diagram.toMermaid(model);
    const svg = await diagram.renderSvg(dot);
    mark("cost + diagram");
    const costAndDiagram = Math.round(performance.now() - costStart);

    let policy: Awaited<typeof policyWork>;
    let hostPeakRssKb: number | null = null;
    try {
        policy = await policyWork;
    } finally {
        hostPeakRssKb = host?.usage()?.peakRssKb ?? null;
        await host?.close();
    }

    const { resourceView, renderJson, renderMarkdown } = require("./report/render") as typeof import("./report/render");
    const stackName = `${cfg.project}-${cfg.stack}`;
    const resources = [
        resourceView({
            urn: run.stackUrn,
            type: "pulumi:pulumi:Stack",
            name: stackName,
            parent: "",
            custom: false,
            inputs: {},
            dependencies: [],
            propertyDependencies: {},
            protect: false,
            deleteBeforeReplace: false,
            retainOnDelete: false,
            ignoreChanges: [],
            additionalSecretOutputs: [],
        }),
        ...run.resources.map((r) => resourceView({ ...r, parent: r.parent || run.stackUrn })),
    ];
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const findings = policy.findings.map((f) => ({ ...f, type: byUrn.get(f.urn)?.type ?? "", name: byUrn.get(f.urn)?.name ?? "" }));
    const mandatory = findings.filter((f) => f.level === "mandatory").length;
    const files = {
        json: path.join(opts.out, "plan.json"),
        markdown: path.join(opts.out, "plan.md"),
        svg: path.join(opts.out, "architecture.svg"),
        mermaid: path.join(opts.out, "architecture.mmd"),
        dot: path.join(opts.out, "architecture.dot"),
    };
    const doc: PlanDocument = {
        project: cfg.project,
        stack: cfg.stack,
        tier,
        resources,
        outputs: Object.fromEntries(run.outputs.filter((o) => o.value !== undefined).map((o) => [o.name, o.secret ? "[secret]" : redact(o.value)])),
        policyPack: policy.info
            ? { name: policy.info.name, version: policy.info.version, path: rel(opts.policyPack), config: hasConfigFile ? rel(configFile) : null }
            : null,
        findings,
        cost,
        diagram: { svg: rel(files.svg), mermaid: rel(files.mermaid), dot: rel(files.dot), mermaidText: mermaid },
        summary: {
            resources: resources.length,
            mandatory,
            advisory: findings.filter((f) => f.level === "advisory").length,
            monthlyUsd: cost.monthlyUsd,
            exitCode: mandatory > 0 ? 1 : 0,
        },
    };
    fs.mkdirSync(opts.out, { recursive: true });
    fs.writeFileSync(files.svg, svg);
    fs.writeFileSync(files.mermaid, mermaid);
    fs.writeFileSync(files.dot, dot);
    fs.writeFileSync(files.json, renderJson(doc));
    fs.writeFileSync(files.markdown, renderMarkdown(doc));
    mark("written");
    at.written = since();
    lastTimings = {
        resources: run.resources.length,
        at,
        program: at.programEnd - at.programStart,
        analyze: policyTimes.analyze,
        analyzeStack: policyTimes.analyzeStack,
        policies: at.policiesDone !== undefined ? at.policiesDone - at.programEnd : 0,
        policyHostCpuMs: policyTimes.cpu,
        costAndDiagram,
        maxRssKb: { plan: process.resourceUsage().maxRSS, policyHost: hostPeakRssKb },
    };
    return { doc, files };
}

export async function main(argv: string[]): Promise<number> {
    let opts: PlanOptions | "help";
    try {
        opts = parseOptions(argv);
    } catch (err) {
        process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (opts === "help") {
        process.stdout.write(USAGE);
        return 0;
    }
    const onSignal = (code: number) => () => {
        killAllPolicyHosts();
        process.exit(code);
    };
    process.once("SIGINT", onSignal(130));
    process.once("SIGTERM", onSignal(143));
    try {
        const { doc } = await plan(opts);
        const report = require("./report/render") as typeof import("./report/render");
        const text = opts.format === "json" ? report.renderJson(doc) : opts.format === "markdown" ? report.renderMarkdown(doc) : report.renderText(doc);
        process.stdout.write(text);
        if (process.env.WEBSTACK_PLAN_TIMING === "1") process.stderr.write(timings.map(([w, t]) => `${String(t).padStart(6)} ms  ${w}`).join("\n") + "\n");
        if (opts.timings && lastTimings)
            process.stderr.write(`${JSON.stringify({ timings: { ...lastTimings, at: { ...lastTimings.at, output: since() } } })}\n`);
        return doc.summary.exitCode;
    } catch (err) {
        killAllPolicyHosts();
        if (err instanceof ProgramError) process.stderr.write(err.render());
        else if (err instanceof PlanConfigError || err instanceof PolicyHostError) process.stderr.write(`${err.message}\n`);
        else process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
        return 2;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        // Flush stdout before exiting: a piped stdout is asynchronous.
        process.stdout.write("", () => process.exit(code));
    });
}
