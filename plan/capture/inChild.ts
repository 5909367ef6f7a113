// Captures in a child process: each request runs a project's program through the one runner, on a recording mock
// engine of the child's own, so a caller that already installed mocks (a docs generator, a test process) is never
// disturbed. The docs' analyses (tools/docs/analysis) capture the repository's own program this way.
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { encodeConfig, readProjectFile } from "./cliConfig";
import { Recorder, type RecordedResource } from "./recorder";
import { type ProgramRun, outputOf, runProgram } from "./runProgram";

const ROOT = path.resolve(__dirname, "..", "..");

/** Which program to run: the project in a directory (its Pulumi.yaml names it and its entry point), as a stack. */
export interface CaptureProgram {
    /** The project directory. @default the repository root, as `npm run plan` without -C */
    cwd?: string;
    /** @default "dev", as `npm run plan` without --stack */
    stack?: string;
}

export interface CaptureRequest {
    /** The project's own config keys, without its namespace. */
    config: Record<string, unknown>;
    /** The `dataResources` the stack's previous update exported (default: a stack never deployed). */
    previousDataResources?: string[];
    /** Every output the stack's previous update exported (`outputs` of an earlier capture); wins over the above. */
    previousOutputs?: Record<string, unknown>;
}

/** What a capture keeps of a resource. */
export type Captured = Pick<
    RecordedResource,
    "urn" | "type" | "name" | "custom" | "id" | "inputs" | "propertyDependencies" | "replaceOnChanges"
> &
    Partial<Pick<RecordedResource, "dependencies" | "hooks" | "state">>;

/** One run of the program: what it registered, its `dataResources` export, or the error it failed with. */
export interface CaptureResult {
    resources: Captured[];
    dataResources?: string[];
    /** The run's outputs that are not secret, by name: what the next update reads back as the previous ones. */
    outputs?: Record<string, unknown>;
    error?: string;
}

const CHILD_ARGS = ["-r", "./tools/register.js", "plan/capture/inChild.ts"];

function results(status: number | null, signal: string | null, stdout: string, stderr: string): CaptureResult[] {
    if (status !== 0) throw new Error(`capture child failed (exit ${status ?? signal}):\n${stderr}`);
    return JSON.parse(stdout) as CaptureResult[];
}

/**
 * Runs the requests through the program in child Node processes, each with a recording mock engine of its own,
 * without blocking the caller's event loop, so its other work (and other children) go on meanwhile; the requests
 * are shared among one child per core (each child loads the SDK once and runs its share in order).
 */
export async function captureInChild(
    requests: readonly CaptureRequest[],
    program: CaptureProgram = {},
): Promise<CaptureResult[]> {
    const children = Math.max(1, Math.min(os.availableParallelism(), Math.ceil(requests.length / 4)));
    const size = Math.ceil(requests.length / children);
    const shares = Array.from({ length: children }, (_, i) => requests.slice(i * size, (i + 1) * size));
    return (await Promise.all(shares.map((share) => captureInOneChild(share, program)))).flat();
}

function captureInOneChild(
    requests: readonly CaptureRequest[],
    program: CaptureProgram = {},
): Promise<CaptureResult[]> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, CHILD_ARGS, { cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("error", reject);
        child.on("close", (status, signal) => {
            try {
                resolve(
                    results(status, signal, Buffer.concat(out).toString("utf8"), Buffer.concat(err).toString("utf8")),
                );
            } catch (e) {
                reject(e);
            }
        });
        child.stdin.end(JSON.stringify({ program, requests }));
    });
}

/** The previous update's outputs a request runs against: all of them, or only its data resources, or none. */
export const previousOutputsOf = (req: CaptureRequest): Record<string, unknown> | undefined =>
    req.previousOutputs ?? (req.previousDataResources ? { dataResources: req.previousDataResources } : undefined);

/** What a capture keeps of a recorded resource. */
const keep = (r: RecordedResource): Captured => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    id: r.id,
    inputs: r.inputs,
    propertyDependencies: r.propertyDependencies,
    replaceOnChanges: r.replaceOnChanges,
    // The engine's order and the readiness gates (tools/docs/analysis/transitions.ts).
    dependencies: r.dependencies,
    hooks: r.hooks,
    // What the cloud reports (a replica's uuid, which its firewall names: tools/docs/analysis/exposure.ts).
    state: r.state,
});

/**
 * A finished run as a capture, as the child sends it (JSON): for a caller that runs the program through a runner of
 * its own (the tests, on the mocks their root hooks installed) and must get what a child would have sent.
 */
export const captureOf = (run: ProgramRun): CaptureResult =>
    asSent({
        resources: run.resources.map(keep),
        dataResources: (outputOf(run, "dataResources")?.value as string[]) ?? [],
        outputs: Object.fromEntries(run.outputs.filter((o) => !o.secret).map((o) => [o.name, o.value])),
    });

/** A failed run as a capture: what it had registered, and its error. */
export const failedCaptureOf = (registered: readonly RecordedResource[], err: unknown): CaptureResult =>
    asSent({ resources: registered.map(keep), error: (err as Error).message });

const asSent = (result: CaptureResult): CaptureResult => JSON.parse(JSON.stringify(result)) as CaptureResult;

async function main(): Promise<void> {
    const input = JSON.parse(fs.readFileSync(0, "utf8")) as { program: CaptureProgram; requests: CaptureRequest[] };
    const { requests } = input;
    const stack = input.program.stack ?? "dev";
    const { project, main: entry } = readProjectFile(input.program.cwd ?? ROOT);
    const recorder = new Recorder();
    await recorder.install(project, stack);
    const results: CaptureResult[] = [];
    for (const req of requests) {
        try {
            const run = await runProgram(recorder, {
                project,
                stack,
                main: entry,
                config: encodeConfig(req.config, project),
                secretKeys: [],
                previousOutputs: previousOutputsOf(req),
            });
            results.push(captureOf(run));
        } catch (err) {
            results.push(failedCaptureOf(recorder.resources, err));
        }
    }
    process.stdout.write(JSON.stringify(results), () => process.exit(0));
}

if (require.main === module) {
    main().catch((err) => {
        process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
        process.exit(1);
    });
}
