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

// The pack reads its version from package.json in the working directory, as policies/index.ts does.
process.chdir(__dirname);

new PolicyPack("webstack-shape", { policies: packPolicies.map(hollow) });
