// The one way to run a Pulumi program under the recording mock engine. The offline plan, the tests, the upgrade
// matrix, the exposure analysis and the bench all come through here: config in, captured resource graph and
// resolved stack outputs out, program errors reported the way the Node.js language host reports them.
import * as pulumi from "@pulumi/pulumi";
import { ProgramError } from "./programError";
import type { RecordedResource, Recorder } from "./recorder";

export { ProgramError, type ProgramErrorKind } from "./programError";

export interface StackOutput {
    name: string;
    /** The resolved value; secrets are kept here and redacted by the report. */
    value: unknown;
    secret: boolean;
}

export interface ProgramRun {
    /** The synthesized root resource, as the engine names it (`pulumi:pulumi:Stack`, `<project>-<stack>`). */
    stackUrn: string;
    /** Every registered resource, in registration order. */
    resources: RecordedResource[];
    /** The program's exports, resolved, in export order. */
    outputs: StackOutput[];
    /** What the program logged with `pulumi.log.warn`, in order (the CLI prints these as warnings). */
    warnings: string[];
}

/** What to run: the program's entry point and the config the CLI would hand it. */
export interface ProgramSpec {
    project: string;
    stack: string;
    /** The program's entry point (a file or a directory with an index), absolute. */
    main: string;
    /** `namespace:key` → value as the CLI passes it in PULUMI_CONFIG. */
    config: Record<string, string>;
    /** Keys whose value is secret. */
    secretKeys: string[];
    /** The outputs of the stack's previous update, as a StackReference to the stack reads them. @default none */
    previousOutputs?: Record<string, unknown>;
    /**
     * Run as `pulumi preview` (true: `pulumi.runtime.isDryRun()`, the offline plan's mode) or as `pulumi up` (false).
     * Outputs are invented either way. @default true
     */
    dryRun?: boolean;
}

export const stackUrnOf = (project: string, stack: string) =>
    `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;

// The SDK prefixes an error thrown while an input resolves with the property's name (@pulumi/pulumi
// runtime/rpc.js serializeProperty); the language host prints the error itself, so this does too.
const SERIALIZING_PREFIX = /^(error serializing property "[^"]+": )+/;

/** Turns whatever the program threw into the CLI's diagnostic (see @pulumi/pulumi cmd/run/run.js). */
function toProgramError(err: unknown, spec: ProgramSpec): ProgramError {
    const stackSubject = `pulumi:pulumi:Stack (${spec.project}-${spec.stack})`;
    if (pulumi.RunError.isInstance(err))
        return new ProgramError(err.message.replace(SERIALIZING_PREFIX, ""), stackSubject, "run");
    if (pulumi.ResourceError.isInstance(err)) {
        const res = err.resource as any;
        const subject = res?.__pulumiType ? `${res.__pulumiType} (${res.__name})` : stackSubject;
        const message = err.message.replace(SERIALIZING_PREFIX, "");
        return new ProgramError(err.hideStack ? message : (err.stack ?? message), subject, "resource");
    }
    const e = err as Error;
    const text = (e?.stack ?? String(err)).replace(/^(\w*Error: )?(error serializing property "[^"]+": )+/, "$1");
    // Thrown while frames were off (programStackTraceLimit): say how to see where, as the CLI would show it.
    const where = /\n\s+at /.test(text) ? "" : `\n(no stack trace; ${TRACES_ENV}=1 keeps it)`;
    return new ProgramError(
        `Running program '${spec.main}' failed with an unhandled exception:\n${text}${where}`,
        stackSubject,
        "unhandled",
    );
}

/** Resolves an exported value (plain, Output, or nested Outputs) and whether it is secret. */
async function resolveExport(value: unknown): Promise<{ value: unknown; secret: boolean }> {
    const out = pulumi.output(value as any) as any;
    const [resolved, secret] = await Promise.all([out.promise(), out.isSecret]);
    return { value: resolved, secret: Boolean(secret) };
}

/**
 * The stack frames an Error captures while the program runs. The SDK stamps every promise it makes for a resource's
 * outputs with `new Error().stack` (@pulumi/pulumi 3.248 runtime/debuggable.js debuggablePromise, from
 * runtime/rpc.js transferProperties and serializeProperty) and reads it only to print leaked promises when
 * PULUMI_DEBUG_PROMISE_LEAKS is set; capturing and formatting those traces was a third of a 1000-droplet plan's CPU
 * and much of its garbage. The SDK's source positions lift the limit themselves (resource.js Resource.callsites), so
 * no resource loses its position. Traces are kept with PULUMI_DEBUG_PROMISE_LEAKS or WEBSTACK_STACK_TRACES=1, for
 * debugging a crash inside the program.
 */
const TRACES_ENV = "WEBSTACK_STACK_TRACES";
function programStackTraceLimit(): number {
    return process.env.PULUMI_DEBUG_PROMISE_LEAKS || process.env[TRACES_ENV] === "1" ? Error.stackTraceLimit : 0;
}

/**
 * Runs the program once on an installed recorder: forgets what it recorded before, sets the config and the
 * previous outputs, requires the program afresh and waits until every registration is answered and every export
 * resolved, or until the first error, whichever comes first.
 *
 * Waiting for the engine alone would hang: when an input of a resource rejects (a throw inside an `apply` that
 * feeds it), the SDK never releases that registration's keep-alive (runtime/resource.js registerResource calls its
 * `done` only on success), so `settle()` never resolves; the real language host exits on the unhandled rejection.
 * After such an error the process's engine is left with a pending registration: run a failing program last, or in
 * a process of its own.
 */
export async function runProgram(recorder: Recorder, spec: ProgramSpec): Promise<ProgramRun> {
    const { account, domains, domainRecords } = recorder;
    recorder.reset();
    // What the caller set up for this run: the account, zones and records the invokes answer with.
    recorder.account = account;
    recorder.domains = domains;
    recorder.domainRecords = domainRecords;
    recorder.previousOutputs = spec.previousOutputs ?? {};
    pulumi.runtime.setAllConfig(spec.config, spec.secretKeys);
    // The SDK's own setters for tests: the mode, and the stack this run is (URNs and getStack() follow it).
    const runtime = pulumi.runtime as unknown as {
        _setIsDryRun(v: boolean): void;
        _setProject(v: string): void;
        _setStack(v: string): void;
    };
    const before = { dryRun: pulumi.runtime.isDryRun(), project: pulumi.getProject(), stack: pulumi.getStack() };
    runtime._setIsDryRun(spec.dryRun ?? true);
    runtime._setProject(spec.project);
    runtime._setStack(spec.stack);

    // Without an engine, pulumi.log.warn writes "warning: [runtime] <message>" to console.warn (@pulumi/pulumi
    // log/index.js); the run keeps them instead, as the CLI shows them beside the plan.
    const warnings: string[] = [];
    const consoleWarn = console.warn;
    console.warn = (...args: unknown[]) => {
        const text = args.map(String).join(" ");
        if (text.startsWith("warning: [runtime] ")) warnings.push(text.slice("warning: [runtime] ".length));
        else consoleWarn(...args);
    };

    // Like the language host: the first reported error wins, later copies of the same error are ignored.
    let failed: (err: unknown) => void = () => undefined;
    const firstError = new Promise<never>((_, reject) => (failed = reject));
    firstError.catch(() => undefined);
    const onError = (err: unknown) => failed(err);
    process.on("unhandledRejection", onError);
    process.on("uncaughtException", onError);
    const untilError = <T>(work: Promise<T>): Promise<T> => Promise.race([work, firstError]);
    const stackTraceLimit = Error.stackTraceLimit;
    Error.stackTraceLimit = programStackTraceLimit();
    try {
        const entry = require.resolve(spec.main);
        delete require.cache[entry];
        const loaded = require(entry) as unknown;
        // An async program (module.exports is a function) is awaited as the language host does; its result holds the
        // outputs.
        const exported = ((typeof loaded === "function"
            ? await untilError(Promise.resolve((loaded as () => unknown)()))
            : loaded) ?? {}) as Record<string, unknown>;
        await untilError(recorder.settle());
        // Unhandled rejections are delivered after the microtask queue drains; give them one macrotask.
        await untilError(new Promise((resolve) => setImmediate(resolve)));
        const names = Object.keys(exported).filter((name) => name !== "__esModule");
        const values = await untilError(Promise.all(names.map((name) => resolveExport(exported[name]))));
        await untilError(new Promise((resolve) => setImmediate(resolve)));
        const resources = [...recorder.resources].sort((a, b) => a.order - b.order);
        return {
            stackUrn: stackUrnOf(spec.project, spec.stack),
            resources,
            outputs: names.map((name, i) => ({ name, ...values[i] })),
            warnings,
        };
    } catch (err) {
        throw err instanceof ProgramError ? err : toProgramError(err, spec);
    } finally {
        Error.stackTraceLimit = stackTraceLimit;
        console.warn = consoleWarn;
        runtime._setIsDryRun(before.dryRun);
        runtime._setProject(before.project);
        runtime._setStack(before.stack);
        process.off("unhandledRejection", onError);
        process.off("uncaughtException", onError);
    }
}

/** One output of a run by name, or undefined when the program did not export it. */
export const outputOf = (run: ProgramRun, name: string): StackOutput | undefined =>
    run.outputs.find((o) => o.name === name);
