// The policy pack, run the way the Pulumi CLI runs it: a child Node process in the pack's directory that
// serves @pulumi/policy's analyzer over gRPC on 127.0.0.1 and prints its port. This module spawns it, speaks
// the analyzer protocol as the engine does (GetAnalyzerInfo, ConfigureStack, Configure, Analyze,
// AnalyzeStack), and guarantees the child never outlives the caller.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { RecordedResource } from "../capture/recorder";

const REGISTER = path.resolve(__dirname, "..", "..", "tools", "register.js");
const ORPHAN_GUARD = path.resolve(__dirname, "orphanGuard.ts");

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "disabled", "remediate"]; // proto enum order
const SEVERITIES = ["", "low", "medium", "high", "critical"];

export interface PolicyInfo {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    severity: string;
    configSchema?: { properties: Record<string, any>; required: string[] };
}

export interface AnalyzerInfo {
    name: string;
    version: string;
    supportsConfig: boolean;
    policies: PolicyInfo[];
    initialConfig: Record<string, PolicyConfig>;
}

export interface PolicyConfig {
    enforcementLevel?: EnforcementLevel;
    properties?: Record<string, unknown>;
}

export interface Finding {
    policy: string;
    pack: string;
    packVersion: string;
    level: EnforcementLevel;
    severity: string;
    description: string;
    message: string;
    /** The resource the finding is about; empty for stack-wide findings without one. */
    urn: string;
}

export class PolicyHostError extends Error {}

// ---------------------------------------------------------------------------------------------------------
// Policy pack config: the CLI's own steps (pulumi/pulumi pkg/resource/analyzer/config.go: parsePolicyPackConfig,
// createConfigWithDefaults, applyConfig, ReconcilePolicyPackConfig, validatePolicyPackConfig). The host then
// resolves enforcement per violation itself; nothing here second-guesses the levels it reports.

const isLevel = (v: unknown): v is EnforcementLevel => typeof v === "string" && (LEVELS as string[]).includes(v);

/** Reads a `--policy-pack-config` JSON file the way the CLI does. */
export function parsePolicyPackConfig(text: string, file = "policy pack config"): Record<string, PolicyConfig> {
    if (text.trim() === "") return {};
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (err) {
        throw new PolicyHostError(`error: ${file}: ${(err as Error).message}`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new PolicyHostError(`error: ${file}: expected a JSON object`);
    const result: Record<string, PolicyConfig> = {};
    for (const [k, v] of Object.entries(raw)) {
        let enforcementLevel: EnforcementLevel | undefined;
        let properties: Record<string, unknown> | undefined;
        if (typeof v === "string") {
            if (!isLevel(v)) throw new PolicyHostError(`error: ${file}: parsing enforcement level for "${k}": "${v}" is not a valid enforcement level`);
            enforcementLevel = v;
        } else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
            const { enforcementLevel: el, ...rest } = v as Record<string, unknown>;
            if (el !== undefined) {
                if (!isLevel(el))
                    throw new PolicyHostError(`error: ${file}: parsing enforcement level for "${k}": ${JSON.stringify(el)} is not a valid enforcement level`);
                enforcementLevel = el;
            }
            if (Object.keys(rest).length > 0) properties = rest;
        } else {
            throw new PolicyHostError(`error: ${file}: parsing "${k}": ${JSON.stringify(v)} is not a valid value; must be a string or object`);
        }
        if (enforcementLevel === undefined && properties === undefined) continue;
        result[k] = { enforcementLevel, properties };
    }
    return result;
}

function applyConfig(result: Record<string, PolicyConfig>, toApply: Record<string, PolicyConfig>): Record<string, PolicyConfig> {
    const all = toApply.all;
    if (all?.enforcementLevel) {
        for (const k of Object.keys(result)) result[k] = { enforcementLevel: all.enforcementLevel, properties: result[k].properties };
    }
    for (const [policy, given] of Object.entries(toApply)) {
        const current = result[policy];
        const properties = given.properties || current?.properties ? { ...current?.properties, ...given.properties } : undefined;
        result[policy] = { enforcementLevel: given.enforcementLevel ?? current?.enforcementLevel, properties };
    }
    return result;
}

/**
 * The config the CLI sends with Configure: each policy's schema defaults and its own level, then the pack's
 * initial config, then the stack's policy-pack-config file; validated against each policy's schema.
 */
export function reconcilePolicyConfig(info: AnalyzerInfo, given: Record<string, PolicyConfig> | undefined): Record<string, PolicyConfig> {
    let result: Record<string, PolicyConfig> = {};
    for (const p of info.policies) {
        let properties: Record<string, unknown> | undefined;
        for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            if (schema && typeof schema === "object" && "default" in schema) (properties ??= {})[k] = schema.default;
        }
        result[p.name] = { enforcementLevel: p.enforcementLevel, properties };
    }
    if (Object.keys(info.initialConfig).length) result = applyConfig(result, info.initialConfig);
    if (given) {
        result = applyConfig(result, given);
        validatePolicyConfig(info, result);
    }
    return result;
}

/** Like the CLI's validatePolicyPackConfig (gojsonschema there, ajv here); only needed once a file overlays the defaults. */
function validatePolicyConfig(info: AnalyzerInfo, config: Record<string, PolicyConfig>): void {
    const Ajv = require("ajv") as typeof import("ajv").default;
    const ajv = new Ajv({ allErrors: true, strict: false });
    const problems: string[] = [];
    for (const p of info.policies) {
        if (!p.configSchema) continue;
        const schema: Record<string, unknown> = { type: "object" };
        if (Object.keys(p.configSchema.properties).length) schema.properties = p.configSchema.properties;
        if (p.configSchema.required.length) schema.required = p.configSchema.required;
        const validate = ajv.compile(schema);
        if (!validate(config[p.name]?.properties ?? {})) {
            for (const e of validate.errors ?? [])
                problems.push(`${p.name}: ${(e.instancePath || "").replace(/^\//, "").replace(/\//g, ".") || "(root)"} ${e.message}`);
        }
    }
    if (problems.length) throw new PolicyHostError(`error: validating policy config: ${info.name} ${info.version}\n  - ${problems.join("\n  - ")}`);
}

// ---------------------------------------------------------------------------------------------------------
// The child process.

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

/** Kills every policy host this process started; safe to call from an `exit` handler (synchronous). */
export function killAllPolicyHosts(): void {
    for (const child of live) {
        if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    }
    live.clear();
}

export interface StartOptions {
    /** The pack directory (holds PulumiPolicy.yaml, package.json and index.ts). */
    packDir: string;
    project: string;
    stack: string;
    /** Stack config passed to the pack's environment as the CLI does (PULUMI_CONFIG). */
    config?: Record<string, string>;
    /** Milliseconds to wait for the port. @default 30000 */
    timeoutMs?: number;
}

export class PolicyHost {
    readonly child: ChildProcess;
    /** Resolves with the port the host printed. */
    readonly port: Promise<number>;
    private client?: any;
    private stderr = "";
    private closed = false;
    /** Rejects when the child dies before it is closed; raced against every call. */
    private readonly died: Promise<never>;

    private constructor(private readonly opts: StartOptions) {
        if (!fs.existsSync(path.join(opts.packDir, "index.ts"))) {
            throw new PolicyHostError(`error: policy pack not found at "${opts.packDir}" (no index.ts)`);
        }
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_NODEJS_PROJECT: opts.project,
            PULUMI_NODEJS_STACK: opts.stack,
            PULUMI_NODEJS_DRY_RUN: "true",
            PULUMI_PROJECT: opts.project,
            PULUMI_STACK: opts.stack,
            PULUMI_DRY_RUN: "true",
        };
        if (opts.config && Object.keys(opts.config).length) env.PULUMI_CONFIG = JSON.stringify(opts.config);
        // The guard makes the child exit when our end of its stdin closes, i.e. when this process dies in
        // any way, even SIGKILL, where no exit handler runs.
        this.child = spawn(process.execPath, ["-r", REGISTER, "-r", ORPHAN_GUARD, "index.ts"], {
            cwd: opts.packDir,
            env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        live.add(this.child);
        if (!exitHookInstalled) {
            exitHookInstalled = true;
            process.on("exit", killAllPolicyHosts);
        }
        this.child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
        this.child.stdin!.on("error", () => undefined);

        let exitReject: (e: Error) => void = () => undefined;
        this.died = new Promise<never>((_, reject) => (exitReject = reject));
        this.died.catch(() => undefined);
        this.port = new Promise<number>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(
                () =>
                    reject(
                        new PolicyHostError(`error: policy pack "${opts.packDir}" printed no port within ${opts.timeoutMs ?? 30000} ms${this.stderrTail()}`),
                    ),
                opts.timeoutMs ?? 30000,
            );
            timer.unref();
            this.child.stdout!.setEncoding("utf8").on("data", (d: string) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            this.child.on("exit", (code, signal) => {
                clearTimeout(timer);
                live.delete(this.child);
                const err = new PolicyHostError(`error: policy pack "${opts.packDir}" failed to start or exited (code ${code ?? signal})${this.stderrTail()}`);
                reject(err);
                if (!this.closed) exitReject(err);
            });
            this.child.on("error", (err) => reject(new PolicyHostError(`error: could not start the policy pack: ${err.message}`)));
        });
        this.port.catch(() => undefined);
    }

    /** Spawns the pack; does not wait for it (start it early, in parallel with the program). */
    static start(opts: StartOptions): PolicyHost {
        return new PolicyHost(opts);
    }

    get pid(): number | undefined {
        return this.child.pid;
    }

    /**
     * CPU time (user + system) the host has used so far and its peak resident memory, from /proc (Linux);
     * undefined elsewhere or once the host is gone. The benchmark reads it around Analyze/AnalyzeStack.
     */
    usage(): { cpuMs: number; peakRssKb: number } | undefined {
        try {
            const stat = fs.readFileSync(`/proc/${this.child.pid}/stat`, "utf8");
            const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
            const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
            const hwm = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${this.child.pid}/status`, "utf8"));
            return { cpuMs: ticks * 10, peakRssKb: hwm ? Number(hwm[1]) : 0 };
        } catch {
            return undefined;
        }
    }

    private stderrTail(): string {
        const text = this.stderr.trim();
        return text ? `:\n${text.split("\n").slice(-30).join("\n")}` : "";
    }

    private async rpc<T>(method: string, request: unknown): Promise<T> {
        if (!this.client) {
            const port = await this.port;
            const grpc = require("@grpc/grpc-js");
            const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
            this.client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
                "grpc.max_receive_message_length": 400 * 1024 * 1024,
                "grpc.max_send_message_length": 400 * 1024 * 1024,
            });
        }
        const call = new Promise<T>((resolve, reject) =>
            this.client[method](request, (err: Error | null, resp: T) => {
                if (err) reject(new PolicyHostError(`error: policy pack ${method} failed: ${(err as any).details ?? err.message}`));
                else resolve(resp);
            }),
        );
        return Promise.race([call, this.died]);
    }

    async getAnalyzerInfo(): Promise<AnalyzerInfo> {
        const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
        const resp: any = await this.rpc("getAnalyzerInfo", new Empty());
        const initialConfig: Record<string, PolicyConfig> = {};
        resp.getInitialconfigMap().forEach((v: any, k: string) => {
            initialConfig[k] = { enforcementLevel: LEVELS[v.getEnforcementlevel()], properties: v.getProperties()?.toJavaScript() };
        });
        return {
            name: resp.getName(),
            version: resp.getVersion(),
            supportsConfig: resp.getSupportsconfig(),
            initialConfig,
            policies: resp.getPoliciesList().map((p: any) => {
                const schema = p.getConfigschema();
                return {
                    name: p.getName(),
                    description: p.getDescription(),
                    enforcementLevel: LEVELS[p.getEnforcementlevel()],
                    severity: SEVERITIES[p.getSeverity()] ?? "",
                    configSchema: schema ? { properties: schema.getProperties()?.toJavaScript() ?? {}, required: schema.getRequiredList() } : undefined,
                };
            }),
        };
    }

    /** Tells the pack which stack it checks (the CLI's ConfigureStack; the Node host keeps only tags). */
    async configureStack(): Promise<void> {
        const pb = require("@pulumi/pulumi/proto/analyzer_pb");
        const req = new pb.AnalyzerStackConfigureRequest();
        req.setStack(this.opts.stack);
        req.setProject(this.opts.project);
        req.setDryRun(true);
        await this.rpc("configureStack", req);
    }

    async configure(config: Record<string, PolicyConfig>): Promise<void> {
        if (Object.keys(config).length === 0) return; // as the CLI: nothing to send
        const pb = require("@pulumi/pulumi/proto/analyzer_pb");
        const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
        const req = new pb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of Object.entries(config)) {
            const pc = new pb.PolicyConfig();
            pc.setEnforcementlevel(LEVELS.indexOf(c.enforcementLevel ?? "advisory"));
            pc.setProperties(Struct.fromJavaScript(c.properties ?? {}));
            map.set(name, pc);
        }
        await this.rpc("configure", req);
    }

    /** Analyze: one resource's inputs before it is created, as the engine calls it for each step. */
    async analyze(r: AnalyzedResource): Promise<Finding[]> {
        const pb = require("@pulumi/pulumi/proto/analyzer_pb");
        return diagnostics(await this.rpc("analyze", describe(pb, new pb.AnalyzeRequest(), r)));
    }

    /** AnalyzeStack: every resource's final state with parent and dependencies, once per run. */
    async analyzeStack(resources: readonly AnalyzedResource[]): Promise<Finding[]> {
        const pb = require("@pulumi/pulumi/proto/analyzer_pb");
        const req = new pb.AnalyzeStackRequest();
        req.setResourcesList(
            resources.map((r) => {
                const ar = describe(pb, new pb.AnalyzerResource(), r);
                ar.setParent(r.parent);
                ar.setDependenciesList(r.dependencies);
                const deps = ar.getPropertydependenciesMap();
                for (const [k, urns] of Object.entries(r.propertyDependencies)) {
                    if (urns.length === 0) continue; // the engine skips properties without dependencies
                    const pd = new pb.AnalyzerPropertyDependencies();
                    pd.setUrnsList(urns);
                    deps.set(k, pd);
                }
                return ar;
            }),
        );
        return diagnostics(await this.rpc("analyzeStack", req));
    }

    /** Shuts the child down (SIGTERM, then SIGKILL after `graceMs`) and resolves when it is gone. */
    async close(graceMs = 2000): Promise<void> {
        this.closed = true;
        this.client?.close();
        const child = this.child;
        if (child.exitCode !== null || child.signalCode !== null) {
            live.delete(child);
            return;
        }
        const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
        await gone;
        clearTimeout(timer);
        live.delete(child);
    }
}

/** What the analyzer sees of one resource (properties keep Pulumi's secret signature, as with KeepSecrets). */
export interface AnalyzedResource {
    urn: string;
    type: string;
    name: string;
    properties: Record<string, unknown>;
    parent: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    protect: boolean;
    ignoreChanges: string[];
    deleteBeforeReplace: boolean;
    additionalSecretOutputs: string[];
    aliases: string[];
}

function resourceOptions(pb: any, r: AnalyzedResource): any {
    const o = new pb.AnalyzerResourceOptions();
    o.setProtect(r.protect);
    o.setIgnorechangesList(r.ignoreChanges);
    o.setDeletebeforereplace(r.deleteBeforeReplace);
    o.setDeletebeforereplacedefined(r.deleteBeforeReplace);
    o.setAdditionalsecretoutputsList(r.additionalSecretOutputs);
    o.setAliasesList(r.aliases);
    o.setCustomtimeouts(new pb.AnalyzerResourceOptions.CustomTimeouts());
    o.setParent(r.parent);
    return o;
}

/** The fields an AnalyzeRequest and an AnalyzerResource share: identity, properties and options. */
function describe(pb: any, message: any, r: AnalyzedResource): any {
    const { Struct } = require("google-protobuf/google/protobuf/struct_pb");
    message.setUrn(r.urn);
    message.setType(r.type);
    message.setName(r.name);
    message.setProperties(Struct.fromJavaScript(r.properties));
    message.setOptions(resourceOptions(pb, r));
    return message;
}

function diagnostics(resp: any): Finding[] {
    return resp.getDiagnosticsList().map((d: any) => ({
        policy: d.getPolicyname(),
        pack: d.getPolicypackname(),
        packVersion: d.getPolicypackversion(),
        level: LEVELS[d.getEnforcementlevel()],
        severity: SEVERITIES[d.getSeverity()] ?? "",
        description: d.getDescription(),
        message: d.getMessage(),
        urn: d.getUrn(),
    }));
}

// ---------------------------------------------------------------------------------------------------------
// From the captured graph to what the engine sends.

/** A value as the engine serializes a secret (the SDK's signature; loaded with the SDK, after the program). */
function secret(value: unknown): Record<string, unknown> {
    const { specialSigKey, specialSecretSig } = require("@pulumi/pulumi/runtime/rpc") as typeof import("@pulumi/pulumi/runtime/rpc");
    return { [specialSigKey]: specialSecretSig, value };
}

/**
 * The resource's outputs as the engine holds them: inputs plus computed outputs, with a property secret when
 * its input was secret or the resource lists it in additionalSecretOutputs.
 */
export function outputsWithSecrets(r: RecordedResource, isSecret: (v: unknown) => boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.state)) {
        out[k] = isSecret(r.inputs[k]) ? r.inputs[k] : r.additionalSecretOutputs.includes(k) ? secret(v) : v;
    }
    return out;
}

/** The engine's view of a recorded resource; top-level resources are children of the stack. */
export function toAnalyzed(r: RecordedResource, stackUrn: string, properties: Record<string, unknown>): AnalyzedResource {
    return {
        urn: r.urn,
        type: r.type,
        name: r.name,
        properties,
        parent: r.parent || stackUrn,
        dependencies: r.dependencies,
        propertyDependencies: r.propertyDependencies,
        protect: r.protect,
        ignoreChanges: r.ignoreChanges,
        deleteBeforeReplace: r.deleteBeforeReplace,
        additionalSecretOutputs: r.additionalSecretOutputs,
        aliases: r.aliases,
    };
}

/** The root stack resource as AnalyzeStack receives it: its outputs are the program's exports. */
export function stackResource(stackUrn: string, outputs: { name: string; value: unknown; secret: boolean }[]): AnalyzedResource {
    const parts = stackUrn.split("::");
    return {
        urn: stackUrn,
        type: "pulumi:pulumi:Stack",
        name: parts[parts.length - 1],
        properties: Object.fromEntries(outputs.map((o) => [o.name, o.secret ? secret(o.value) : o.value])),
        parent: "",
        dependencies: [],
        propertyDependencies: {},
        protect: false,
        ignoreChanges: [],
        deleteBeforeReplace: false,
        additionalSecretOutputs: [],
        aliases: [],
    };
}
