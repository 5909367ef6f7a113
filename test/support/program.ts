// Runs the real program (index.ts) under the recording mocks with a given stack config.
import * as pulumi from "@pulumi/pulumi";
import { exampleConfig } from "../../examples/variants";
import { encodeConfig } from "../../plan/capture/stackConfig";
import { RecordedResource } from "../../plan/capture/recorder";
import { recorder } from "./hooks";

/** The example stack's config of each tier (examples/stack.yaml); tests override from here. */
export const baseConfig = exampleConfig;

export { encodeConfig };

export interface ProgramRun {
    resources: RecordedResource[];
    outputs: Record<string, unknown>;
}

/** Runs index.ts afresh (as a stack never deployed before) and returns every resource it registered and its exports. */
export async function runProgram(config: Record<string, unknown>, secretKeys: string[] = []): Promise<ProgramRun> {
    recorder.reset();
    return runProgramKeepingPrevious(config, secretKeys);
}

/**
 * Runs index.ts with the previous update's outputs already set on the recorder (`recorder.previousOutputs`),
 * resolving the exports so an error raised while they resolve (such as the data-loss guard) rejects.
 */
export async function runProgramKeepingPrevious(config: Record<string, unknown>, secretKeys: string[] = []): Promise<ProgramRun> {
    recorder.resources.length = 0;
    pulumi.runtime.setAllConfig(
        encodeConfig(config),
        secretKeys.map((k) => `webstack:${k}`),
    );
    const entry = require.resolve("../../index");
    delete require.cache[entry];
    const outputs = require(entry) as Record<string, unknown>;
    await recorder.settle();
    // As the engine does with stack outputs: wait for every export, so an error raised in one rejects.
    await Promise.all(Object.values(outputs).map((value) => (pulumi.output(value) as any).promise()));
    return { resources: [...recorder.resources], outputs };
}

/** Resolves an Output (or plain value) outside `apply`, with its secretness. */
export async function resolve<T>(value: pulumi.Input<T>): Promise<{ value: T; secret: boolean }> {
    const output = pulumi.output(value) as any;
    return { value: await output.promise(), secret: await output.isSecret };
}

export const short = (r: RecordedResource) => `${r.type.split(":").pop()} ${r.name}`;
export const byName = (resources: RecordedResource[], name: string): RecordedResource => {
    const found = resources.find((r) => r.name === name);
    if (!found) throw new Error(`no resource named "${name}" among ${resources.map((r) => r.name).join(", ")}`);
    return found;
};
