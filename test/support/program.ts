// Runs the real program (index.ts) under the recording mocks with a given stack config, through the one runner
// (plan/capture/runProgram.ts) on the recorder the root hooks installed.
import * as path from "node:path";
import { exampleConfig } from "../../examples/variants";
import { encodeConfig } from "../../plan/capture/cliConfig";
import { ProgramRun, runProgram as run, outputOf } from "../../plan/capture/runProgram";
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

/** Runs index.ts afresh with `webstack:*` config (keys without the namespace): what it registered and exported. */
export function runProgram(config: Record<string, unknown>, opts: RunOptions = {}): Promise<ProgramRun> {
    return run(recorder, {
        project: "webstack",
        stack: opts.stack ?? "dev",
        main: INDEX,
        config: encodeConfig(config),
        secretKeys: (opts.secretKeys ?? []).map((k) => `webstack:${k}`),
        previousOutputs: opts.previous,
        dryRun: opts.dryRun,
    });
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
