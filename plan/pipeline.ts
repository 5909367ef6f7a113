// The offline plan as data: stack config → capture (the program under the recording mocks) → the policy pack over
// gRPC, in parallel with cost and diagram → one document. Returns the document and the files it wrote, and tells
// a listener each step as it happens; between calls it keeps only the process's mock engine.
import * as fs from "node:fs";
import * as path from "node:path";
import { estimateAvailability, type AvailabilityEstimate } from "../policies/lib/availability";
import { estimateCost, type CostEstimate } from "../policies/lib/pricing";
import { loadStackConfig, type ConfigOverride, type StackConfig } from "./capture/cliConfig";
import type { RecordedResource, Recorder } from "./capture/recorder";
import type { ProgramRun } from "./capture/runProgram";
import { plain } from "./capture/secretValues";
import { analyzeRun, type AnalyzeStep, type PolicyVerdicts } from "./policyHost/analyzeRun";
import { PolicyHost, type StartOptions } from "./policyHost/host";
import { parsePolicyPackConfig } from "./policyHost/packConfig";
import { PolicyHostError } from "./policyHost/protocol";
import { buildDocument, type PlanDocument } from "./report/document";
import { buildDiagram } from "./report/diagram/model";
import { preloadGraphviz, renderSvg, toDot, toMermaid } from "./report/diagram/render";
import { renderJson, renderMarkdown } from "./report/render";
import { readStackExport, StackExportError, type StackExport } from "./stackExport";

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
    /**
     * For secret keys the program checks by shape (a webhook URL, a PEM key): `namespace:key` → a stand-in of that
     * shape around the placeholder, since offline the real value cannot be decrypted. Keys without one get the bare
     * placeholder.
     */
    secretShapes?: Readonly<Record<string, (placeholder: string) => string>>;
    /** The stack's config already read from these options (the CLI reads it to start the host early). */
    stackConfig?: StackConfig;
    /** Where the policy host comes from and goes back to. @default a host of its own, started and closed per plan */
    policyHosts?: PolicyHostSource;
}

/**
 * Lends the plan a policy host and takes it back: by default a host of the plan's own, as the CLI starts one per
 * preview. A caller that plans many stacks (plan/spawnPlan.ts) may lend a running host of the same pack instead;
 * each run still sends the host GetAnalyzerInfo, ConfigureStack and the whole Configure.
 */
export interface PolicyHostSource {
    acquire(opts: StartOptions): PolicyHost;
    release(host: PolicyHost): Promise<void>;
}

const OWN_HOSTS: PolicyHostSource = { acquire: (opts) => PolicyHost.start(opts), release: (host) => host.close() };

export interface PlanResult {
    doc: PlanDocument;
    files: { json: string; markdown: string; svg: string; mermaid: string; dot: string };
}

/**
 * A step of the plan, told when it happens (synchronously, so a listener may look at the policy host right then):
 * the policy host started and listening, the program started and captured, the engine's two policy passes (see
 * AnalyzeStep), the files written. A progress display or a benchmark listens; the plan itself keeps no clock.
 */
export type PlanEvent =
    | { step: "policy-host-started"; pid: number }
    | { step: "policy-host-listening"; pid: number; port: number }
    | { step: "program-started" }
    | { step: "program-captured"; resources: number }
    | { step: AnalyzeStep; pid: number }
    | { step: "written" };

export type PlanListener = (event: PlanEvent) => void;

const rel = (p: string) => path.relative(process.cwd(), p) || ".";

/** What the plan tells DigitalOcean's price table about each resource: its inputs with secrets unwrapped. */
export function priceResources(resources: readonly RecordedResource[]): CostEstimate {
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

/**
 * The request path's expected availability, from each resource's state (inputs and computed outputs, as AnalyzeStack
 * sees them).
 */
export function availabilityOf(resources: readonly RecordedResource[]): AvailabilityEstimate {
    return estimateAvailability(
        resources
            .filter((r) => r.custom)
            // The state keeps a droplet's user data as its SHA-1 (mockOutputs.ts); the program gave the text.
            .map((r) => ({
                urn: r.urn,
                type: r.type,
                name: r.name,
                props: {
                    ...(plain(r.state) as object),
                    ...("userData" in r.inputs ? { userData: plain(r.inputs.userData) } : {}),
                },
            })),
    );
}

/** The budget a stack's policy config sets for stack-monthly-budget (policies/targets.ts), if any. */
function budgetOf(config: Record<string, { properties?: Record<string, unknown> }> | undefined): number | undefined {
    const max = config?.["stack-monthly-budget"]?.properties?.maxMonthlyUsd;
    return typeof max === "number" && max > 0 ? max : undefined;
}

let installed: Promise<Recorder> | undefined;

/**
 * The program under the recording mock engine: the resources `pulumi preview` would register. The engine is
 * installed once per process (Pulumi keeps one mock monitor per process) and each run starts from a clean record.
 * The runner (and with it @pulumi/pulumi's index, about 0.6 s to load) is required here, after the policy host has
 * started, so the host's own boot overlaps the load; docs/performance.md has the measurement.
 */
async function runTheProgram(cfg: ReturnType<typeof loadStackConfig>): Promise<ProgramRun> {
    const capture = require("./capture/recorder") as typeof import("./capture/recorder");
    const { runProgram } = require("./capture/runProgram") as typeof import("./capture/runProgram");
    installed ??= (async () => {
        const recorder = new capture.Recorder();
        await recorder.install(cfg.project, cfg.stack);
        return recorder;
    })();
    return runProgram(await installed, cfg);
}

/**
 * What the last program run in this process registered besides its stack: after a failure, none means the program
 * stopped before it built anything (a config error), with no apply or timer of its own left to fire later.
 */
export async function registeredByLastRun(): Promise<number> {
    if (!installed) return 0;
    return (await installed).resources.filter((r) => r.type !== "pulumi:pulumi:Stack").length;
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

/**
 * Runs the plan. Runs in one process share its mock engine; after a run whose program failed, the engine may hold
 * the failed registration (plan/capture/runProgram.ts), so plan again in a fresh process.
 */
export async function plan(opts: PlanOptions, listener: PlanListener = () => undefined): Promise<PlanResult> {
    // A stack export replaces the program: its resources are the deployed state, its names come from the URNs.
    const exported = opts.stackExport !== undefined ? readExportFile(opts.stackExport) : undefined;
    const cfg = exported
        ? undefined
        : (opts.stackConfig ??
          loadStackConfig({
              cwd: opts.cwd,
              stack: opts.stack,
              tier: opts.tier,
              overrides: opts.overrides,
              configFile: opts.configFile,
              shapedPlaceholders: opts.secretShapes,
          }));
    const project = exported?.project ?? cfg!.project;
    const stackName = exported?.stack ?? cfg!.stack;
    const stackConfig = cfg?.config ?? {};

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
    const hosts = opts.policyHosts ?? OWN_HOSTS;
    const host = packPresent
        ? hosts.acquire({ packDir: opts.policyPack, project, stack: stackName, config: stackConfig })
        : undefined;
    const pid = host?.pid ?? 0;
    if (host) {
        listener({ step: "policy-host-started", pid });
        host.port.then(
            (port) => listener({ step: "policy-host-listening", pid, port }),
            () => undefined,
        );
    }
    preloadGraphviz().catch(() => undefined);

    try {
        listener({ step: "program-started" });
        const run = exported ? exported.run : await runTheProgram(cfg!);
        listener({ step: "program-captured", resources: run.resources.length });
        // The plan is a preview: what `pulumi up` would refuse (the account preflight) is shown as `pulumi preview`
        // shows it.
        for (const warning of run.warnings) process.stderr.write(`warning: ${warning}\n`);

        let requestsSent: () => void = () => undefined;
        const sent = new Promise<void>((resolve) => (requestsSent = resolve));
        const policyWork: Promise<PolicyVerdicts> = host
            ? analyzeRun(host, run, givenPolicyConfig, requestsSent, exported ? "snapshot" : "preview", (step) =>
                  listener({ step, pid }),
              )
            : (requestsSent(), Promise.resolve({ findings: [], remediations: [] }));
        policyWork.catch(() => undefined);
        await sent;

        // Meanwhile, in this process: cost and diagram.
        // The document synthesizes the root stack's row itself; a stack export lists the root among its resources.
        const shown: ProgramRun = { ...run, resources: run.resources.filter((r) => r.urn !== run.stackUrn) };
        const cost = priceResources(shown.resources);
        const availability = availabilityOf(shown.resources);
        const tierValue = stackConfig[`${project}:tier`];
        const tier = tierValue !== undefined && /^\d+$/.test(tierValue) ? Number(tierValue) : null;
        const model = buildDiagram(shown.resources);
        const dot = toDot(
            model,
            [
                project,
                `${exported ? "stack export" : "stack"} ${stackName}`,
                ...(tier !== null ? [`tier ${tier}`] : []),
            ].join(" · "),
        );
        const mermaid = toMermaid(model);
        const svg = await renderSvg(dot);

        const policy = await policyWork;
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
        fs.mkdirSync(opts.out, { recursive: true });
        fs.writeFileSync(files.svg, svg);
        fs.writeFileSync(files.mermaid, mermaid);
        fs.writeFileSync(files.dot, dot);
        fs.writeFileSync(files.json, renderJson(doc));
        fs.writeFileSync(files.markdown, renderMarkdown(doc));
        listener({ step: "written" });
        return { doc, files };
    } finally {
        if (host) await hosts.release(host);
    }
}
