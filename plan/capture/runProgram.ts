// Runs the real Pulumi program under the recording mock engine, once per process (Pulumi keeps one mock
// monitor per process and Node caches the program module): config in, captured resource graph and stack
// outputs out. Program errors are reported the way the Node.js language host reports them.
import type { RecordedResource } from "./recorder";
import type { StackConfig } from "./stackConfig";

export interface StackOutput {
    name: string;
    /** The resolved value; secrets are kept here and redacted by the report. */
    value: unknown;
    secret: boolean;
}

export interface ProgramRun {
    /** The synthesized root resource, as the engine names it (`pulumi:pulumi:Stack`, `<project>-<stack>`). */
    stackUrn: string;
    resources: RecordedResource[];
    outputs: StackOutput[];
}

/** An error the program reported (bad config, a component's ResourceError, an unhandled exception). */
export class ProgramError extends Error {
    constructor(
        message: string,
        /** `type (name)` of the resource the CLI would attach the diagnostic to. */
        readonly subject: string,
    ) {
        super(message);
    }

    /** The diagnostic as `pulumi up` prints it. */
    render(): string {
        const [first, ...rest] = this.message.split("\n");
        const body = [`    error: ${first}`, ...rest.map((l) => (l.length ? `    ${l}` : l))].join("\n");
        return `Diagnostics:\n  ${this.subject}:\n${body}\n`;
    }
}

export const stackUrnOf = (project: string, stack: string) => `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;

/** Turns whatever the program threw into the CLI's diagnostic (see @pulumi/pulumi cmd/run/run.js). */
function toProgramError(err: unknown, cfg: StackConfig): ProgramError {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const stackSubject = `pulumi:pulumi:Stack (${cfg.project}-${cfg.stack})`;
    if (pulumi.RunError.isInstance(err)) return new ProgramError(err.message, stackSubject);
    if (pulumi.ResourceError.isInstance(err)) {
        const res = err.resource as any;
        const subject = res?.__pulumiType ? `${res.__pulumiType} (${res.__name})` : stackSubject;
        return new ProgramError(err.hideStack ? err.message : (err.stack ?? err.message), subject);
    }
    const e = err as Error;
    return new ProgramError(`Running program '${cfg.main}' failed with an unhandled exception:\n${e?.stack ?? String(err)}`, stackSubject);
}

/** Resolves an exported value (plain, Output, or nested Outputs) and whether it is secret. */
async function resolveExport(value: unknown): Promise<{ value: unknown; secret: boolean }> {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const out = pulumi.output(value as any) as any;
    const [resolved, secret] = await Promise.all([out.promise(), out.isSecret]);
    return { value: resolved, secret: Boolean(secret) };
}

/**
 * Installs the recording mocks, sets the stack config, requires the program and waits until every
 * registration is answered. Call at most once per process.
 */
export async function runProgram(cfg: StackConfig, opts: { preview?: boolean } = {}): Promise<ProgramRun> {
    const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
    const { Recorder } = require("./recorder") as typeof import("./recorder");
    const recorder = new Recorder();
    await recorder.install(cfg.project, cfg.stack, opts.preview ?? false);
    pulumi.runtime.setAllConfig(cfg.config, cfg.secretKeys);

    // Like the language host: the first reported error wins, later copies of the same error are ignored.
    const errors: unknown[] = [];
    const onError = (err: unknown) => {
        if (!errors.includes(err)) errors.push(err);
    };
    process.on("unhandledRejection", onError);
    process.on("uncaughtException", onError);
    try {
        let exported: Record<string, unknown> = {};
        try {
            exported = require(cfg.main);
        } catch (err) {
            throw toProgramError(err, cfg);
        }
        await recorder.settle();
        // Unhandled rejections are delivered after the microtask queue drains; give them one macrotask.
        await new Promise((resolve) => setImmediate(resolve));
        if (errors.length) throw toProgramError(errors[0], cfg);

        const outputs: StackOutput[] = [];
        for (const name of Object.keys(exported ?? {})) {
            if (name === "__esModule") continue;
            try {
                outputs.push({ name, ...(await resolveExport(exported[name])) });
            } catch (err) {
                throw toProgramError(err, cfg);
            }
        }
        if (errors.length) throw toProgramError(errors[0], cfg);
        const resources = [...recorder.resources].sort((a, b) => a.order - b.order);
        return { stackUrn: stackUrnOf(cfg.project, cfg.stack), resources, outputs };
    } finally {
        process.off("unhandledRejection", onError);
        process.off("uncaughtException", onError);
    }
}
