// The shape every webstack policy has: a CrossGuard policy plus the "why" the catalog (and the README
// table generated from it) shows. `description` says what is checked, `remediationSteps` how to fix it.
import type {
    EnforcementLevel,
    PolicyConfigSchema,
    ResourceValidation,
    ResourceValidationPolicy,
    Severity,
    StackValidationPolicy,
    TypedResourceValidation,
} from "@pulumi/policy";
import type { Unwrap } from "@pulumi/pulumi";
import { rememberUserData } from "./stateUserData";

const DROPLET = "digitalocean:index/droplet:Droplet";

interface Documented {
    enforcementLevel: EnforcementLevel;
    severity: Severity;
    configSchema: PolicyConfigSchema;
    remediationSteps: string;
    /** Why the check matters, one or two sentences. */
    rationale: string;
}

export type WebstackResourcePolicy = ResourceValidationPolicy & Documented;
export type WebstackStackPolicy = StackValidationPolicy & Documented;
export type WebstackPolicy = WebstackResourcePolicy | WebstackStackPolicy;

/** The enforcement level config/<stack>.json may set, as a JSON-schema enum. */
export const ENFORCEMENT_LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "remediate", "disabled"];

/** One case of validateResourceOfTypes: a provider class's type token and its validation. */
export interface TypeCase {
    token: string;
    validate: ResourceValidation;
}

/** A case for validateResourceOfTypes, typed like validateResourceOfType: props as the class's args. */
export function forType<TArgs>(
    cls: { new (name: string, args: TArgs, ...rest: any[]): unknown },
    validate: TypedResourceValidation<Unwrap<NonNullable<TArgs>>>,
): TypeCase {
    const token = (cls as unknown as { __pulumiType?: string }).__pulumiType;
    if (!token) throw new Error("forType needs a provider resource class (one with a Pulumi type token)");
    // A droplet's case also keeps its user data for the stack checks, which see only its hash (stateUserData.ts).
    const remembers = token === DROPLET;
    return {
        token,
        validate: (args, reportViolation) => {
            if (remembers) rememberUserData(args.props);
            return validate(args.props as Unwrap<NonNullable<TArgs>>, args, reportViolation);
        },
    };
}

/**
 * One validateResource for several provider classes (e.g. droplets and autoscale pools), dispatching on the
 * resource's type token. The host deserializes a resource's properties once per validation function it calls,
 * so an array of validateResourceOfType functions costs one deserialization per class for every resource;
 * this costs one. Resources of other types pass.
 */
export function validateResourceOfTypes(...cases: TypeCase[]): ResourceValidation {
    const byType = new Map(cases.map((c) => [c.token, c.validate]));
    // Other types pass without a word: args.notApplicable throws an Error (a stack trace) that the host turns into a
    // protobuf message, for every resource of every other type in the stack.
    return (args, reportViolation) => byType.get(args.type)?.(args, reportViolation);
}
