// The offline plan as data: stack config → capture (the program under the recording mocks) → the policy pack over
// gRPC, in parallel with cost and diagram → one document. Returns the document, the files it wrote and its
// timings; it keeps no state between calls (the mock engine itself allows one capture per process).
import * as fs from "node:fs";
import * as path from "node:path";
import { loadStackConfig, type ConfigOverride } from "./capture/cliConfig";
import type { ProgramRun } from "./capture/runProgram";
import type { RecordedResource } from "./capture/recorder";
import { PolicyHost } from "./policyHost/host";
import { parsePolicyPackConfig } from "./policyHost/packConfig";
import { PolicyHostError } from "./policyHost/protocol";
import { buildDocument, type PlanDocument } from "./report/document";
import { analyzeRun, type PolicyVerdicts } from "./policyHost/analyzeRun";
import { readStackExport, StackExportError, type StackExport } from "./stackExport";
import type { AvailabilityEstimate } from "../policies/lib/availability";
import type { CostEstimate } from "../policies/lib/pricing";

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
    /** A `pulumi stack export` document to analyze instead of running the program (plan/stackExport.ts). */
    stackExport?: string;
    timings: boolean;
}

/**
 * Where the time went, in milliseconds (`--timings` prints it as one JSON line on stderr; `npm run bench` reads it).
 * `at.*` are offsets from the start of the process, the others durations. `policyHostCpuMs` is the CPU the policy
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

export interface PlanResult {
    doc: PlanDocument;
    files: { json: string; markdown: string; svg: string; mermaid: string; dot: string };
    timings: PlanTimings;
}

/** Progress lines for whoever watches (tests wait for the policy host's pid and port before sending Ctrl-C). */
export type PlanEvents = (line: string) => void;

const rel = (p: string) => path.relative(process.cwd(), p) || ".";
const now = () => Math.round(performance.now());

/** What the plan tells DigitalOcean's price table about each resource: its inputs with secrets unwrapped. */
export function priceResources(resources: readonly RecordedResource[]): CostEstimate {
    const { estimateCost } = require("../policies/lib/pricing") as typeof import("../policies/lib/pricing");
    const { plain } = require("./capture/recorder") as typeof import("./capture/recorder");
    return estimateCost(
        resources.map((r) => ({
            urn: r.urn,
            type: r.type,
            name: r.name,
            custom: r.custom,
            inputs: plain(r.inputs) as Record<string, unknown>,
        })),
    );
}

/** The request path's expected availability, from each resource's state (inputs and computed outputs, as AnalyzeStack sees them). */
export function availabilityOf(resources: readonly RecordedResource[]): AvailabilityEstimate {
    const { estimateAvailability } =
        require("../policies/lib/availability") as typeof import("../policies/lib/availability");
    const { plain } = require("./capture/recorder") as typeof import("./capture/recorder");
    return estimateAvailability(
        resources
            .filter((r) => r.custom)
            .map((r) => ({ urn: r.urn, type: r.type, name: r.name, props: plain(r.state) })),
    );
}

/** The budget a stack's policy config sets for stack-monthly-budget (policies/targets.ts), if any. */
function budgetOf(config: Record<string, { properties?: Record<string, unknown> }> | undefined): number | undefined {
    const max = config?.["stack-monthly-budget"]?.properties?.maxMonthlyUsd;
    return typeof max === "number" && max > 0 ? max : undefined;
}

/** The program under the recording mock engine: the resources `pulumi preview` would register. */
async function runTheProgram(cfg: ReturnType<typeof loadStackConfig>): Promise<ProgramRun> {
    const { Recorder } = require("./capture/recorder") as typeof import("./capture/recorder");
    const { runProgram } = require("./capture/runProgram") as typeof import("./capture/runProgram");
    const recorder = new Recorder();
    await recorder.install(cfg.project, cfg.stack);
    return runProgram(recorder, cfg);
}

/** Reads a `pulumi stack export` file, warning as `pulumi policy analyze --file` does about what it cannot see. */
function readExportFile(file: string): StackExport {
    if (!fs.existsSync(file)) throw new StackExportError(`error: could not open file: ${rel(file)} does not exist`);
    const exported = readStackExport(fs.readFileSync(file, "utf8"), rel(file));
    if (exported.redactedSecrets > 0)
        process.stderr.write(
            `warning: could not decrypt secrets in ${rel(file)}; analyzing with secret values redacted ` +
                `(${exported.redactedSecrets} encrypted; \`pulumi stack export --show-secrets\` keeps their values)\n`,
        );
    return exported;
}

/** Runs the plan once. The mock engine allows one program run per process, so call this once per process. */
export async function plan(opts: PlanOptions, events: PlanEvents = () => undefined): Promise<PlanResult> {
    const at: Record<string, number> = {};
    // The program's secret keys that must keep their shape offline (the plan knows the webstack program's key table).
    const { SECRET_SHAPES } =
        require("../components/settings/configKeys") as typeof import("../components/settings/configKeys");
    const shapedPlaceholders = Object.fromEntries(
        Object.entries(SECRET_SHAPES).map(([k, shape]) => [`webstack:${k}`, shape]),
    );
    // A stack export replaces the program: its resources are the deployed state, its names come from the URNs.
    const exported = opts.stackExport !== undefined ? readExportFile(opts.stackExport) : undefined;
    const cfg = exported
        ? undefined
        : loadStackConfig({
              cwd: opts.cwd,
              stack: opts.stack,
              tier: opts.tier,
              overrides: opts.overrides,
              configFile: opts.configFile,
              shapedPlaceholders,
          });
    const project = exported?.project ?? cfg!.project;
    const stackName = exported?.stack ?? cfg!.stack;
    const stackConfig = cfg?.config ?? {};
    at.config = now();

    // The policy host boots (~0.5 s) in parallel with the program run: start it first.
    const packPresent = fs.existsSync(path.join(opts.policyPack, "index.ts"));
    if (!packPresent && opts.policyPackExplicit)
        throw new PolicyHostError(`error: policy pack not found at "${rel(opts.policyPack)}" (no index.ts)`);
    if (!packPresent)
        process.stderr.write(`warning: no policy pack at ${rel(opts.policyPack)}; policy findings skipped.\n`);
    // `pulumi policy analyze` reads only an explicit --policy-pack-config; the preview takes the stack's own file.
    const configFile =
        opts.policyPackConfig ?? (exported ? "" : path.join(opts.policyPack, "config", `${opts.stack}.json`));
    const hasConfigFile = configFile !== "" && fs.existsSync(configFile);
    if (opts.policyPackConfig && !hasConfigFile)
        throw new PolicyHostError(`error: policy pack config "${rel(configFile)}" not found`);
    const givenPolicyConfig = hasConfigFile
        ? parsePolicyPackConfig(fs.readFileSync(configFile, "utf8"), rel(configFile))
        : undefined;
    const host = packPresent
        ? PolicyHost.start({ packDir: opts.policyPack, project, stack: stackName, config: stackConfig })
        : undefined;
    if (host) {
        events(`policy host pid ${host.pid} started`);
        host.port.then(
            (port) => events(`policy host pid ${host.pid} listening on 127.0.0.1:${port}`),
            () => undefined,
        );
    }

    const diagram = {
        ...(require("./report/diagram/model") as typeof import("./report/diagram/model")),
        ...(require("./report/diagram/render") as typeof import("./report/diagram/render")),
    };
    diagram.preloadGraphviz().catch(() => undefined);

    try {
        at.programStart = now();
        const run = exported ? exported.run : await runTheProgram(cfg!);
        at.programEnd = now();
        // The plan is a preview: what `pulumi up` would refuse (the account preflight) is shown as `pulumi preview` shows it.
        for (const warning of run.warnings) process.stderr.write(`warning: ${warning}\n`);

        let requestsSent: () => void = () => undefined;
        const sent = new Promise<void>((resolve) => (requestsSent = resolve));
        const policyWork: Promise<PolicyVerdicts> = host
            ? analyzeRun(host, run, givenPolicyConfig, requestsSent, exported ? "snapshot" : "preview")
            : (requestsSent(),
              Promise.resolve({ findings: [], remediations: [], analyze: 0, analyzeStack: 0, cpu: null }));
        policyWork.catch(() => undefined);
        await sent;

        // Meanwhile, in this process: cost and diagram.
        const costStart = performance.now();
        // The document synthesizes the root stack's row itself; a stack export lists the root among its resources.
        const shown: ProgramRun = { ...run, resources: run.resources.filter((r) => r.urn !== run.stackUrn) };
        const cost = priceResources(shown.resources);
        const availability = availabilityOf(shown.resources);
        const tierValue = stackConfig[`${project}:tier`];
        const tier = tierValue !== undefined && /^\d+$/.test(tierValue) ? Number(tierValue) : null;
        const model = diagram.buildDiagram(shown.resources);
        const dot = diagram.toDot(
            model,
            `${project} · ${exported ? "stack export" : "stack"} ${stackName}${tier !== null ? ` · tier ${tier}` : ""}`,
        );
        const mermaid = diagram.toMermaid(model);
        const svg = await diagram.renderSvg(dot);
        const costAndDiagram = Math.round(performance.now() - costStart);

        const policy = await policyWork;
        const hostPeakRssKb = host?.usage()?.peakRssKb ?? null;
        const files = {
            json: path.join(opts.out, "plan.json"),
            markdown: path.join(opts.out, "plan.md"),
            svg: path.join(opts.out, "architecture.svg"),
            mermaid: path.join(opts.out, "architecture.mmd"),
            dot: path.join(opts.out, "architecture.dot"),
        };
        const doc = buildDocument({
            project,
            stack: stackName,
            tier,
            run: shown,
            findings: policy.findings,
            remediations: policy.remediations,
            policyPack: policy.info
                ? {
                      name: policy.info.name,
                      version: policy.info.version,
                      path: rel(opts.policyPack),
                      config: hasConfigFile ? rel(configFile) : null,
                  }
                : null,
            cost,
            availability,
            maxMonthlyUsd: budgetOf(givenPolicyConfig),
            diagram: { svg: rel(files.svg), mermaid: rel(files.mermaid), dot: rel(files.dot), mermaidText: mermaid },
        });
        const { renderJson, renderMarkdown } = require("./report/render") as typeof import("./report/render");
        fs.mkdirSync(opts.out, { recursive: true });
        fs.writeFileSync(files.svg, svg);
        fs.writeFileSync(files.mermaid, mermaid);
        fs.writeFileSync(files.dot, dot);
        fs.writeFileSync(files.json, renderJson(doc));
        fs.writeFileSync(files.markdown, renderMarkdown(doc));
        at.written = now();
        if (policy.doneAt !== undefined) at.policiesDone = policy.doneAt;
        const timings: PlanTimings = {
            resources: run.resources.length,
            at,
            program: at.programEnd - at.programStart,
            analyze: policy.analyze,
            analyzeStack: policy.analyzeStack,
            policies: policy.doneAt !== undefined ? policy.doneAt - at.programEnd : 0,
            policyHostCpuMs: policy.cpu,
            costAndDiagram,
            maxRssKb: { plan: process.resourceUsage().maxRSS, policyHost: hostPeakRssKb },
        };
        return { doc, files, timings };
    } finally {
        await host?.close();
    }
}
