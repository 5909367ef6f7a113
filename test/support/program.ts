// Runs the real program (index.ts) under the recording mocks with a given stack config, through the one runner
// (plan/capture/runProgram.ts) on the recorder the root hooks installed.
import * as path from "node:path";
import { exampleConfig } from "../../examples/variants";
import { encodeConfig } from "../../plan/capture/cliConfig";
import { type ProgramRun, type ProgramSpec, runProgram as run, outputOf } from "../../plan/capture/runProgram";
import { RecordedResource } from "../../plan/capture/recorder";
import { recorder } from "./hooks";

export { exampleConfig, encodeConfig };
export type { ProgramRun };

const INDEX = path.resolve(__dirname, "..", "..", "index.ts");

export interface RunOptions {
    /** Config keys (without the namespace) whose value is secret. */
    secretKeys?: string[];
    /** The previous update's outputs (default: a stack never deployed). */
    previous?: Record<string, unknown>;
    /** Run as `pulumi preview` (true) or as `pulumi up` (false), where the account preflight refuses. @default true */
    dryRun?: boolean;
    /** The stack the run is (its name goes into tags, the project and URNs). @default "dev" */
    stack?: string;
}

/**
 * What index.ts registered and exported with `webstack:*` config (keys without the namespace), run under the
 * recording mocks. A finished run is memoized for the process: it is a function of the spec, the mocks' install and
 * the account the recorder answers with, and nothing else (the program is required afresh on a freshly reset
 * recorder), and the suite asks for the same few stacks hundreds of times. A repeated request gets the first run's
 * record, frozen so a test that changed it fails instead of changing what the next test reads, and the recorder holds
 * that run's resources (in the order it recorded them) and invokes again. A failed run is never memoized: a test of a
 * failure also watches what the engine receives after it. The most recently asked MEMO_SIZE runs are kept.
 */
export function runProgram(config: Record<string, unknown>, opts: RunOptions = {}): Promise<ProgramRun> {
    const spec = specOf(config, opts);
    const { installed, account, domains, domainRecords } = recorder;
    const key = jsonKey([spec, installed, account, domains, domainRecords]);
    if (key === undefined) return run(recorder, spec);
    let memo = runs.get(key);
    if (memo) {
        runs.delete(key);
        runs.set(key, memo);
    } else {
        memo = run(recorder, spec).then((done) => ({
            run: deepFreeze(done),
            resources: [...recorder.resources],
            invokes: [...recorder.invokes],
        }));
        memo.catch(() => runs.delete(key));
        runs.set(key, memo);
        if (runs.size > MEMO_SIZE) runs.delete(runs.keys().next().value!);
    }
    return memo.then((m) => {
        // As the runner leaves it: reset, with what the caller set up for the run kept.
        recorder.reset();
        Object.assign(recorder, { account, domains, domainRecords, previousOutputs: spec.previousOutputs ?? {} });
        recorder.resources.push(...m.resources);
        recorder.invokes.push(...m.invokes);
        return m.run;
    });
}

/**
 * Runs index.ts afresh, not memoized: for a test that watches the run itself (what the program calls while it runs)
 * rather than its record.
 */
export function runProgramAfresh(config: Record<string, unknown>, opts: RunOptions = {}): Promise<ProgramRun> {
    return run(recorder, specOf(config, opts));
}

const specOf = (config: Record<string, unknown>, opts: RunOptions): ProgramSpec => ({
    project: "webstack",
    stack: opts.stack ?? "dev",
    main: INDEX,
    config: encodeConfig(config),
    secretKeys: (opts.secretKeys ?? []).map((k) => `webstack:${k}`),
    previousOutputs: opts.previous,
    dryRun: opts.dryRun,
});

/** Runs kept: the stacks the suite shares fit many times over; a fuzzer's one-off configs do not pile up. */
const MEMO_SIZE = 64;
type Memo = { run: ProgramRun; resources: RecordedResource[]; invokes: string[] };
const runs = new Map<string, Promise<Memo>>();

/** `value` as JSON when JSON says all of it (plain objects, arrays, strings, finite numbers, booleans, null). */
function jsonKey(value: unknown): string | undefined {
    const plain = (v: unknown): boolean =>
        v === null ||
        typeof v === "string" ||
        typeof v === "boolean" ||
        (typeof v === "number" && Number.isFinite(v)) ||
        (Array.isArray(v) && v.every(plain)) ||
        (typeof v === "object" &&
            Object.getPrototypeOf(v) === Object.prototype &&
            Object.values(v as object).every((x) => x === undefined || plain(x)));
    return plain(value) ? JSON.stringify(value) : undefined;
}

function deepFreeze<T>(value: T): T {
    if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value)) deepFreeze(v);
    }
    return value;
}

/** An exported output of a run, resolved, with its secretness; fails when the program does not export it. */
export function output(run: ProgramRun, name: string): { value: any; secret: boolean } {
    const found = outputOf(run, name);
    if (!found)
        throw new Error(`the program exports no "${name}"; it exports ${run.outputs.map((o) => o.name).join(", ")}`);
    return { value: found.value, secret: found.secret };
}

/**
 * A stack of one's own, which the mock account can hold: a real domain, the account's verified e-mail, a real admin
 * address and the app's own image, on the example stack at `tier`.
 */
export const own = (tier: number, extra: Record<string, unknown> = {}) => ({
    ...exampleConfig(tier),
    domain: "shop.acme.dev",
    alerts: { emails: ["owner@webstack.dev"] },
    adminCidrs: ["198.18.7.1/32"],
    app: { image: "registry.digitalocean.com/acme/shop:1.4.2" },
    ...extra,
});

/** The account preflight's refusal of the dev stack, as `pulumi up` prints it, with these problem lines. */
export const refusal = (...problems: string[]) =>
    ['Refused stack "dev" before creating anything:', ...problems.map((p) => `  - ${p}`)].join("\n");

export const short = (r: RecordedResource) => `${r.type.split(":").pop()} ${r.name}`;
export const byName = (resources: RecordedResource[], name: string): RecordedResource => {
    const found = resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource named "${name}" among ${resources.map((r) => r.name).join(", ")}`);
    return found;
};
