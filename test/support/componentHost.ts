// The component package, run the way the Pulumi CLI runs a source-based Node.js plugin: the Node.js language
// host starts `node @pulumi/pulumi/cmd/run-plugin <plugin directory> <engine address>` in the plugin's directory;
// run-plugin compiles TypeScript with the SDK's ts-node, requires the directory (package.json's main) and
// the provider prints its port. This module does the same, then speaks the ResourceProvider protocol to it
// as the engine does.
//
// Construct needs a resource monitor (the engine's gRPC service the component registers its children with) and
// an engine (logs). Both are served here, in the test process, on 127.0.0.1: the monitor hands every request to
// the recording mock engine the root hooks installed (Pulumi's MockMonitor, which Recorder.install wraps), so
// the children the provider registers land in the same record as a run of index.ts does.
import { spawn, type ChildProcess } from "node:child_process";
import * as path from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as pulumi from "@pulumi/pulumi";
import * as engineRpc from "@pulumi/pulumi/proto/engine_grpc_pb";
import * as engineProto from "@pulumi/pulumi/proto/engine_pb";
import * as providerRpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as providerProto from "@pulumi/pulumi/proto/provider_pb";
import * as resourceRpc from "@pulumi/pulumi/proto/resource_grpc_pb";
import * as resourceProto from "@pulumi/pulumi/proto/resource_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

const ROOT = path.resolve(__dirname, "..", "..");
const RUN_PLUGIN = require.resolve("@pulumi/pulumi/cmd/run-plugin");
/**
 * Where the host's ts-node keeps what it compiled and type-checked. run-plugin's ts-node (@pulumi/pulumi 3.248.0's
 * vendored 7.0.1, vendor/ts-node@7.0.1/index.js) caches by default (TS_NODE_CACHE, line 2760) in os.tmpdir() unless
 * TS_NODE_CACHE_DIRECTORY names another directory (line 2762; run-plugin sets neither), keyed by TypeScript's version,
 * the compiler options (lines 2854-2861) and each file's source (getCacheName, line 3091); a hit skips the compile and
 * its type check (readThrough, lines 3047-3070). A user's second start is warm; the tests' TMPDIR is new in every run
 * (hooks.ts), so without this every run of the suite would type-check the package from scratch (~5 s of CPU). The
 * suite's type check is `npm run typecheck`.
 */
const TS_NODE_CACHE = path.join(ROOT, "node_modules", ".cache", "ts-node");
const ORPHAN_GUARD = path.join(ROOT, "plan", "policyHost", "orphanGuard.ts");

type Callback = (err: unknown, resp?: unknown) => void;
type Unary = (call: { request: unknown }, callback: Callback) => void;

/** The engine side of a Construct: a resource monitor backed by the recording mocks, and an engine that keeps logs. */
export class MockEngineServer {
    private constructor(
        private readonly server: grpc.Server,
        readonly address: string,
        /** The warnings and errors the provider logged, in order. */
        readonly logs: string[],
    ) {}

    static async start(): Promise<MockEngineServer> {
        const server = new grpc.Server();
        const logs: string[] = [];
        // The monitor Recorder.install wrapped; its methods take the same request messages the gRPC service does.
        const monitor = (
            pulumi.runtime as unknown as { getMonitor(): Record<string, (req: unknown, cb: Callback) => void> }
        ).getMonitor();
        const pass =
            (method: string): Unary =>
            (call, callback) =>
                monitor[method](call.request, callback);
        server.addService(resourceRpc.ResourceMonitorService, {
            registerResource: pass("registerResource"),
            readResource: pass("readResource"),
            invoke: pass("invoke"),
            registerPackage: pass("registerPackage"),
            // MockMonitor answers these two with plain objects; over the wire they must be messages.
            registerResourceOutputs: ((call, callback) =>
                monitor.registerResourceOutputs(call.request, (err) => callback(err, new Empty()))) as Unary,
            // The readiness gates: the recorder keeps their names (it answers with a plain object, here a message).
            registerResourceHook: ((call, callback) =>
                monitor.registerResourceHook(call.request, (err) => callback(err, new Empty()))) as Unary,
            supportsFeature: ((call, callback) =>
                monitor.supportsFeature(call.request, (err, resp) => {
                    const answer = new resourceProto.SupportsFeatureResponse();
                    answer.setHassupport(Boolean((resp as { getHassupport(): boolean } | undefined)?.getHassupport()));
                    callback(err, answer);
                })) as Unary,
        } as unknown as grpc.UntypedServiceImplementation);
        server.addService(engineRpc.EngineService, {
            log: ((call, callback) => {
                const req = call.request as engineProto.LogRequest;
                // What `pulumi up` shows by default: warnings and errors, not the SDK's debug lines.
                if (req.getSeverity() >= engineProto.LogSeverity.WARNING) logs.push(req.getMessage());
                callback(null, new Empty());
            }) as Unary,
            getRootResource: ((_call, callback) => callback(null, new engineProto.GetRootResourceResponse())) as Unary,
            setRootResource: ((_call, callback) => callback(null, new engineProto.SetRootResourceResponse())) as Unary,
        } as unknown as grpc.UntypedServiceImplementation);
        const port = await new Promise<number>((resolve, reject) =>
            server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err, p) =>
                err ? reject(err) : resolve(p),
            ),
        );
        return new MockEngineServer(server, `127.0.0.1:${port}`, logs);
    }

    close(): Promise<void> {
        return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
    }
}

export interface ConstructOptions {
    project: string;
    stack: string;
    name: string;
    /** The resource type token, as the schema names it. */
    type: string;
    /** The args, as a program in another language passes them (plain JSON values). */
    inputs: Record<string, unknown>;
    /** The parent's URN ("" for none). */
    parent?: string;
}

/** The component provider host in a child process, and a ResourceProvider client to it. */
export class ComponentHost {
    private stderr = "";
    private client?: providerRpc.ResourceProviderClient;
    readonly port: Promise<number>;

    private constructor(
        private readonly child: ChildProcess,
        readonly engine: MockEngineServer,
    ) {
        child.stderr!.setEncoding("utf8").on("data", (d: string) => (this.stderr += d));
        child.stdin!.on("error", () => undefined);
        this.port = new Promise<number>((resolve, reject) => {
            let out = "";
            child.stdout!.setEncoding("utf8").on("data", (d: string) => {
                out += d;
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) resolve(Number(m[1]));
            });
            child.on("exit", (code, signal) =>
                reject(
                    new Error(
                        `the component provider host exited (${code ?? signal}) before printing its port:\n` +
                            this.stderr,
                    ),
                ),
            );
        });
        this.port.catch(() => undefined);
    }

    /** Starts the host as the Node.js language host would, with the address of a fresh mock engine. */
    static async start(): Promise<ComponentHost> {
        const engine = await MockEngineServer.start();
        // The orphan guard ends the child when this process's end of its stdin closes (even on SIGKILL).
        const child = spawn(process.execPath, ["-r", ORPHAN_GUARD, RUN_PLUGIN, ROOT, engine.address], {
            cwd: ROOT,
            env: { ...process.env, TS_NODE_CACHE_DIRECTORY: TS_NODE_CACHE },
            stdio: ["pipe", "pipe", "pipe"],
        });
        return new ComponentHost(child, engine);
    }

    private async rpc<Req, Resp>(method: "getSchema" | "construct", request: Req): Promise<Resp> {
        if (!this.client)
            this.client = new providerRpc.ResourceProviderClient(
                `127.0.0.1:${await this.port}`,
                grpc.credentials.createInsecure(),
            );
        const client = this.client as unknown as Record<
            string,
            (req: Req, cb: (err: grpc.ServiceError | null, resp: Resp) => void) => void
        >;
        return new Promise<Resp>((resolve, reject) =>
            client[method](request, (err, resp) => (err ? reject(err) : resolve(resp))),
        );
    }

    /** GetSchema, parsed. */
    async getSchema(): Promise<any> {
        const resp = await this.rpc<providerProto.GetSchemaRequest, providerProto.GetSchemaResponse>(
            "getSchema",
            new providerProto.GetSchemaRequest(),
        );
        return JSON.parse(resp.getSchema());
    }

    /** Construct, as the engine sends it for a remote component, with the mock engine as the monitor. */
    async construct(opts: ConstructOptions): Promise<{ urn: string; state: Record<string, unknown> }> {
        const req = new providerProto.ConstructRequest();
        req.setProject(opts.project);
        req.setStack(opts.stack);
        req.setOrganization("organization");
        req.setDryrun(false);
        req.setParallel(16);
        req.setMonitorendpoint(this.engine.address);
        req.setType(opts.type);
        req.setName(opts.name);
        req.setParent(opts.parent ?? "");
        req.setInputs(Struct.fromJavaScript(opts.inputs as Record<string, any>));
        const resp = await this.rpc<providerProto.ConstructRequest, providerProto.ConstructResponse>("construct", req);
        return { urn: resp.getUrn(), state: (resp.getState()?.toJavaScript() ?? {}) as Record<string, unknown> };
    }

    async close(): Promise<void> {
        this.client?.close();
        if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill("SIGKILL");
        await this.engine.close();
    }
}
