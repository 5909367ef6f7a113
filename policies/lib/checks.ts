// Stack checks and the stack policy that runs them over one view of the stack.
//
// Why not one stack policy per check: @pulumi/policy 1.21's analyzer host deserializes every resource of the stack
// again for each enabled stack policy before calling it (server.js makeAnalyzeStackRpcFun: deserializeProperties and
// unknownCheckingProxy per resource, per policy), and each policy would build its own index of the stack. On a
// 1,000-droplet stack that made the pack cost the host several times what a pack that checks nothing costs. So each
// family's cross-resource checks are documented one by one (name, what, why, fix, knobs: the catalog) but registered
// as ONE stack policy per family, which builds the stack's view once (lib/stack.ts StackIndex) and runs its checks over
// it. A finding names its check first ("public-endpoint-tls: …"), each check's knobs sit under its name in the
// family policy's config, and `disabledChecks` turns single checks off.
import type { PolicyConfigSchema, ReportViolation, StackValidationArgs } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { WebstackStackPolicy } from "./policy";
import { isUnknownValueError, UndecidedDuringPreview } from "./unknowns";

/** A cross-resource check: documented and testable on its own, run inside its family's stack policy. */
export type StackCheck = WebstackStackPolicy;

class CheckNotApplicable extends Error {}

/** The defaults of a check's knobs, from its configSchema. */
function defaultsOf(schema: PolicyConfigSchema): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(schema.properties).map(([k, p]) => [k, (p as PolicyConfigJSONSchema).default]),
    );
}

/** The family policy's config schema: one object per check with knobs, and the list of checks turned off. */
function familySchema(checks: readonly StackCheck[]): PolicyConfigSchema {
    const properties: PolicyConfigSchema["properties"] = {
        disabledChecks: {
            type: "array",
            items: { type: "string", enum: checks.map((c) => c.name) },
            default: [],
            description: "Checks of this policy that do not run (the others still do).",
        },
    };
    for (const c of checks) {
        if (Object.keys(c.configSchema.properties).length === 0) continue;
        properties[c.name] = {
            type: "object",
            properties: c.configSchema.properties,
            additionalProperties: false,
            default: defaultsOf(c.configSchema),
            description: `Knobs of the ${c.name} check; a knob left out keeps its default.`,
        };
    }
    return { properties };
}

/** The given config of one check, its absent knobs taken from the check's defaults. */
function checkConfig(check: StackCheck, given: Record<string, unknown>): Record<string, unknown> {
    const own = given[check.name];
    return { ...defaultsOf(check.configSchema), ...(typeof own === "object" && own !== null ? own : {}) };
}

export interface FamilyPolicyArgs {
    name: string;
    description: string;
    rationale: string;
    severity: WebstackStackPolicy["severity"];
    enforcementLevel?: WebstackStackPolicy["enforcementLevel"];
    checks: readonly StackCheck[];
}

/**
 * The stack policy that runs a family's checks over one view of the stack. Each check sees its own config and a
 * `notApplicable` of its own; what a check cannot decide during preview is collected and reported once, after
 * every check has run, so one unknown value never hides another check's findings.
 */
export function familyStackPolicy(args: FamilyPolicyArgs): WebstackStackPolicy & { checks: readonly StackCheck[] } {
    const configSchema = familySchema(args.checks);
    return {
        name: args.name,
        description: args.description,
        enforcementLevel: args.enforcementLevel ?? "mandatory",
        severity: args.severity,
        configSchema,
        rationale: args.rationale,
        remediationSteps: `Each finding starts with the check that reported it; see that check's "How to fix" in docs/reference/policies.md.`,
        checks: args.checks,
        validateStack: (stackArgs: StackValidationArgs, reportViolation: ReportViolation) => {
            const given = (stackArgs.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
            const disabled = new Set(Array.isArray(given.disabledChecks) ? (given.disabledChecks as string[]) : []);
            const gaps: string[] = [];
            let ran = 0;
            for (const check of args.checks) {
                if (disabled.has(check.name)) continue;
                const own = checkConfig(check, given);
                const checkArgs: StackValidationArgs = {
                    // The same array for every check: lib/stack.ts keys the stack's view on it.
                    resources: stackArgs.resources,
                    stackTags: stackArgs.stackTags,
                    getConfig: <T extends object>() => own as T,
                    notApplicable: (reason?: string) => {
                        throw new CheckNotApplicable(reason);
                    },
                };
                try {
                    check.validateStack(checkArgs, (message, urn) => reportViolation(`${check.name}: ${message}`, urn));
                    ran++;
                } catch (error) {
                    if (error instanceof CheckNotApplicable) continue;
                    ran++;
                    if (error instanceof UndecidedDuringPreview)
                        gaps.push(...error.gaps.map((g) => `${check.name}: ${g}`));
                    else if (isUnknownValueError(error)) gaps.push(`${check.name}: ${(error as Error).message}`);
                    else throw error;
                }
            }
            if (gaps.length > 0) throw new UndecidedDuringPreview(gaps);
            if (ran === 0) stackArgs.notApplicable("none of its checks applies to this stack");
        },
    };
}
