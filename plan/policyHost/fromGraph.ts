import type { RecordedResource } from "../capture/recorder";
import { secretValue } from "../capture/secretValues";
import type { AnalyzedResource } from "./protocol";

// From the captured graph to what the engine sends.

/**
 * The resource's outputs as the engine holds them: inputs plus computed outputs, with a property secret when
 * its input was secret or the resource lists it in additionalSecretOutputs.
 */
export function outputsWithSecrets(r: RecordedResource, isSecret: (v: unknown) => boolean): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(r.state)) {
        out[k] = isSecret(r.inputs[k]) ? r.inputs[k] : r.additionalSecretOutputs.includes(k) ? secretValue(v) : v;
    }
    return out;
}

/** The engine's view of a recorded resource; top-level resources are children of the stack. */
export function toAnalyzed(
    r: RecordedResource,
    stackUrn: string,
    properties: Record<string, unknown>,
): AnalyzedResource {
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

/** A resource with no parent, dependencies or options set, as the engine describes the root stack. */
export function bareResource(
    urn: string,
    type: string,
    name: string,
    properties: Record<string, unknown>,
): AnalyzedResource {
    return {
        urn,
        type,
        name,
        properties,
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

/** The root stack resource as AnalyzeStack receives it: its outputs are the program's exports. */
export function stackResource(
    stackUrn: string,
    outputs: { name: string; value: unknown; secret: boolean }[],
): AnalyzedResource {
    const parts = stackUrn.split("::");
    return bareResource(
        stackUrn,
        "pulumi:pulumi:Stack",
        parts[parts.length - 1],
        Object.fromEntries(outputs.map((o) => [o.name, o.secret ? secretValue(o.value) : o.value])),
    );
}
