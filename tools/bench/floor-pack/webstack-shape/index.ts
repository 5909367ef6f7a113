// webstack's pack with every policy's body replaced by one that does nothing: the same policies, names, levels, config
// schemas and Pulumi types, so @pulumi/policy's analyzer host does for it exactly the per-policy work it does for the
// real pack (a deserialization of the resource per untyped resource policy, a not-applicable entry per typed one that
// does not match, a deserialization of the whole stack per enabled stack policy) and none of the checks' own work.
// `npm run bench` measures it beside the real pack: what the pack's shape costs the host, and what its checks add.
import type { Policy, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { PolicyPack } from "@pulumi/policy";
import { packPolicies } from "../../../../policies/catalog";

// The host's fast "not applicable" check reads __pulumiType off the validation function (server.js getPulumiType).
function idle(validate: unknown): () => void {
    const fn = () => undefined;
    const token = (validate as { __pulumiType?: string }).__pulumiType;
    if (token) (fn as unknown as { __pulumiType: string }).__pulumiType = token;
    return fn;
}

function hollow(p: ResourceValidationPolicy | StackValidationPolicy): Policy {
    const { name, description, enforcementLevel, configSchema } = p;
    return "validateStack" in p
        ? ({
              name,
              description,
              enforcementLevel,
              configSchema,
              validateStack: idle(p.validateStack),
          } as StackValidationPolicy)
        : ({
              name,
              description,
              enforcementLevel,
              configSchema,
              validateResource: idle(p.validateResource),
          } as ResourceValidationPolicy);
}

/** What the host does for a policy of each kind (server.js makeAnalyzeRpcFun, makeAnalyzeStackRpcFun). */
type Kind = "typed" | "untyped" | "stack";
const kindOf = (p: ResourceValidationPolicy | StackValidationPolicy): Kind =>
    "validateStack" in p
        ? "stack"
        : (p.validateResource as { __pulumiType?: string }).__pulumiType
          ? "typed"
          : "untyped";

/**
 * WEBSTACK_SHAPE_PART (tools/bench/hostShape.ts sets it) serves one part of the shape beside the no-op pack's two
 * policies (tools/bench/floor-pack), so the part's cost is this pack's minus the no-op pack's: "typed" every resource
 * policy with a Pulumi type, "untyped" the untyped ones but one, "stack" the enabled stack policies but one (the no-op
 * pack has one of each of the last two). Unset: all of webstack's policies, as they are.
 */
function policies(part: string | undefined): Policy[] {
    if (part === undefined) return packPolicies.map(hollow);
    if (!["typed", "untyped", "stack"].includes(part))
        throw new Error(`WEBSTACK_SHAPE_PART must be typed, untyped or stack; got "${part}"`);
    const enabled = packPolicies.filter((p) => p.enforcementLevel !== "disabled" && kindOf(p) === part);
    const noOp: (ResourceValidationPolicy | StackValidationPolicy)[] = [
        { name: "every-resource", description: "Reads nothing.", validateResource: () => undefined },
        { name: "whole-stack", description: "Reads nothing.", validateStack: () => undefined },
    ];
    return [...noOp, ...(part === "typed" ? enabled : enabled.slice(1)).map(hollow)];
}

// The pack reads its version from package.json in the working directory, as policies/index.ts does.
process.chdir(__dirname);

new PolicyPack("webstack-shape", { policies: policies(process.env.WEBSTACK_SHAPE_PART) });
