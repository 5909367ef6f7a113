// The policy pack, run the way the Pulumi CLI runs it: a child Node process in the pack's directory that
// serves @pulumi/policy's analyzer over gRPC on 127.0.0.1 and prints its port. This module spawns it, speaks
// the analyzer protocol as the engine does (GetAnalyzerInfo, ConfigureStack, Configure, Analyze,
// AnalyzeStack), and guarantees the child never outlives the caller.
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as pb from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct, type JavaScriptValue } from "google-protobuf/google/protobuf/struct_pb";
import {
    LEVELS,
    PolicyHostError,
    SEVERITIES,
    type AnalyzedResource,
    type AnalyzerInfo,
    type Finding,
    type PolicyConfig,
    type Remediation,
} from "./protocol";

const REGISTER = path.resolve(__dirname, "..", "..", "tools", "register.js");
const ORPHAN_GUARD = path.resolve(__dirname, "orphanGuard.ts");

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
                        new PolicyHostError(
                            `error: policy pack "${opts.packDir}" printed no port ` +
                                `within ${opts.timeoutMs ?? 30000} ms${this.stderrTail()}`,
                        ),
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
                const err = new PolicyHostError(
                    `error: policy pack "${opts.packDir}" failed to start or exited ` +
                        `(code ${code ?? signal})${this.stderrTail()}`,
                );
                reject(err);
                if (!this.closed) exitReject(err);
            });
            this.child.on("error", (err) =>
                reject(new PolicyHostError(`error: could not start the policy pack: ${err.message}`)),
            );
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

    private stderrTail(): string {
        const text = this.stderr.trim();
        return text ? `:\n${text.split("\n").slice(-30).join("\n")}` : "";
    }

    private async rpc<T>(method: string, request: unknown): Promise<T> {
        if (!this.client) {
            const port = await this.port;
            this.client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
                "grpc.max_receive_message_length": 400 * 1024 * 1024,
                "grpc.max_send_message_length": 400 * 1024 * 1024,
            });
        }
        const call = new Promise<T>((resolve, reject) =>
            this.client[method](request, (err: Error | null, resp: T) => {
                if (err)
                    reject(
                        new PolicyHostError(
                            `error: policy pack ${method} failed: ${(err as any).details ?? err.message}`,
                        ),
                    );
                else resolve(resp);
            }),
        );
        return Promise.race([call, this.died]);
    }

    async getAnalyzerInfo(): Promise<AnalyzerInfo> {
        const resp: any = await this.rpc("getAnalyzerInfo", new Empty());
        const initialConfig: Record<string, PolicyConfig> = {};
        resp.getInitialconfigMap().forEach((v: any, k: string) => {
            initialConfig[k] = {
                enforcementLevel: LEVELS[v.getEnforcementlevel()],
                properties: v.getProperties()?.toJavaScript(),
            };
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
                    configSchema: schema
                        ? {
                              properties: schema.getProperties()?.toJavaScript() ?? {},
                              required: schema.getRequiredList(),
                          }
                        : undefined,
                };
            }),
        };
    }

    /** Tells the pack which stack it checks (the CLI's ConfigureStack; the Node host keeps only tags). */
    async configureStack(): Promise<void> {
        const req = new pb.AnalyzerStackConfigureRequest();
        req.setStack(this.opts.stack);
        req.setProject(this.opts.project);
        req.setDryRun(true);
        await this.rpc("configureStack", req);
    }

    async configure(config: Record<string, PolicyConfig>): Promise<void> {
        if (Object.keys(config).length === 0) return; // as the CLI: nothing to send
        const req = new pb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of Object.entries(config)) {
            const pc = new pb.PolicyConfig();
            pc.setEnforcementlevel(LEVELS.indexOf(c.enforcementLevel ?? "advisory"));
            pc.setProperties(Struct.fromJavaScript((c.properties ?? {}) as Record<string, JavaScriptValue>));
            map.set(name, pc);
        }
        await this.rpc("configure", req);
    }

    /** Analyze: one resource's inputs before it is created, as the engine calls it for each step. */
    async analyze(r: AnalyzedResource): Promise<Finding[]> {
        return diagnostics(await this.rpc("analyze", describe(new pb.AnalyzeRequest(), r)));
    }

    /** Remediate: one resource's inputs, before Analyze, as the engine's step generator calls it (its first pass). */
    async remediate(r: AnalyzedResource): Promise<Remediation[]> {
        const resp: any = await this.rpc("remediate", describe(new pb.AnalyzeRequest(), r));
        return resp.getRemediationsList().map((m: any) => ({
            policy: m.getPolicyname(),
            description: m.getDescription(),
            properties: m.hasProperties() ? m.getProperties().toJavaScript() : undefined,
            diagnostic: m.getDiagnostic(),
        }));
    }

    /** AnalyzeStack: every resource's final state with parent and dependencies, once per run. */
    async analyzeStack(resources: readonly AnalyzedResource[]): Promise<Finding[]> {
        const req = new pb.AnalyzeStackRequest();
        req.setResourcesList(
            resources.map((r) => {
                const ar = describe(new pb.AnalyzerResource(), r);
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

function resourceOptions(r: AnalyzedResource): any {
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
function describe(message: any, r: AnalyzedResource): any {
    message.setUrn(r.urn);
    message.setType(r.type);
    message.setName(r.name);
    message.setProperties(Struct.fromJavaScript(r.properties as Record<string, JavaScriptValue>));
    message.setOptions(resourceOptions(r));
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
