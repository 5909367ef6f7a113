// The shape every webstack policy has: a CrossGuard policy plus the "why" the catalog (and the README
// table generated from it) shows. `description` says what is checked, `remediationSteps` how to fix it.
import type { EnforcementLevel, PolicyConfigSchema, ResourceValidationPolicy, Severity, StackValidationPolicy } from "@pulumi/policy";

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

/** "1 droplet", "2 droplets". */
export function plural(count: number, noun: string): string {
    return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** `"a", "b" and 3 more` for messages about many resources. */
export function nameList(names: readonly string[], max = 5): string {
    const quoted = names.slice(0, max).map((n) => `"${n}"`);
    const rest = names.length - quoted.length;
    return rest > 0 ? `${quoted.join(", ")} and ${rest} more` : quoted.join(", ");
}
