// Options for the children a component took over from its own parent.
import type * as pulumi from "@pulumi/pulumi";

/**
 * The options of a child that was its parent's child before WebStack was composed of children by responsibility:
 * parented to `self`, aliased to the old parent, so its URN is kept, and the engine gives its children the same
 * alias (pulumi/pulumi@1b5949891b pkg/resource/deploy/step_generator.go:621-654, generateAliases), so nothing
 * deployed is replaced.
 *
 * The alias names the old parent by its URN, not by the resource. The SDK resolves each alias of each resource with
 * `output(alias)`, whose value it walks twice for unknowns (@pulumi/pulumi 3.248 output.js containsUnknowns, from
 * the Output constructor and getPromisedValue; runtime/resource.js prepareResource "Wait for all aliases"). Through
 * a resource that walk visits every field it holds, for WebStack the whole stack, so a thousand droplets and their
 * records cost a million visits; through its URN it is one string. Both name the same parent: the SDK sends a
 * resource's `urn` either way (runtime/resource.js mapAliasesForRequest, getParentURN).
 */
export function adoptedBy(
    self: pulumi.ComponentResource,
    opts?: pulumi.ComponentResourceOptions,
): pulumi.ResourceOptions {
    return { parent: self, aliases: opts?.parent ? [{ parent: opts.parent.urn }] : [] };
}
