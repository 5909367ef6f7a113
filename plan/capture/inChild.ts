// Captures in a child process: each request runs the program (index.ts) through the one runner, on a recording
// mock engine of the child's own, so a caller that already installed mocks (a docs generator, a test process) is
// never disturbed. Used by the upgrade matrix and the exposure analysis for the generated docs.
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { RecordedResource } from "./recorder";

const ROOT = path.resolve(__dirname, "..", "..");

export interface CaptureRequest {
    /** `webstack:*` config without the namespace. */
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

/** Runs each request through the program in one child Node process with its own recording mock engine. */
export function captureInChild(requests: readonly CaptureRequest[]): CaptureResult[] {
    const child = spawnSync(process.execPath, ["-r", "./tools/register.js", "plan/capture/inChild.ts"], {
        cwd: ROOT,
        input: JSON.stringify(requests),
        encoding: "utf8",
        maxBuffer: 512 * 1024 * 1024,
    });
    if (child.status !== 0)
        throw new Error(`capture child failed (exit ${child.status ?? child.signal}):\n${child.stderr}`);
    return JSON.parse(child.stdout) as CaptureResult[];
}

async function main(): Promise<void> {
    const fs = require("node:fs") as typeof import("node:fs");
    const { Recorder } = require("./recorder") as typeof import("./recorder");
    const { runProgram, outputOf } = require("./runProgram") as typeof import("./runProgram");
    const { encodeConfig } = require("./cliConfig") as typeof import("./cliConfig");
    const requests = JSON.parse(fs.readFileSync(0, "utf8")) as CaptureRequest[];
    const recorder = new Recorder();
    await recorder.install("webstack", "dev");
    const keep = (r: RecordedResource): Captured => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        custom: r.custom,
        id: r.id,
        inputs: r.inputs,
        propertyDependencies: r.propertyDependencies,
        replaceOnChanges: r.replaceOnChanges,
        // The engine's order and the readiness gates (plan/analysis/transitions.ts).
        dependencies: r.dependencies,
        hooks: r.hooks,
        // What the cloud reports (a replica's uuid, which its firewall names: plan/analysis/exposure.ts).
        state: r.state,
    });
    const results: CaptureResult[] = [];
    for (const req of requests) {
        try {
            const run = await runProgram(recorder, {
                project: "webstack",
                stack: "dev",
                main: path.join(ROOT, "index.ts"),
                config: encodeConfig(req.config),
                secretKeys: [],
                previousOutputs:
                    req.previousOutputs ??
                    (req.previousDataResources ? { dataResources: req.previousDataResources } : undefined),
            });
            results.push({
                resources: run.resources.map(keep),
                dataResources: (outputOf(run, "dataResources")?.value as string[]) ?? [],
                outputs: Object.fromEntries(run.outputs.filter((o) => !o.secret).map((o) => [o.name, o.value])),
            });
        } catch (err) {
            results.push({ resources: recorder.resources.map(keep), error: (err as Error).message });
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
