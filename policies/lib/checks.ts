// Stack checks and the stack policies that run them over one view of the stack.
//
// Why not one stack policy per check: @pulumi/policy 1.21's analyzer host deserializes every resource of the stack
// again for each enabled stack policy before calling it (server.js makeAnalyzeStackRpcFun: deserializeProperties and
// unknownCheckingProxy per resource, per policy), and each policy would build its own index of the stack. On a
// 1,000-droplet stack that made the pack cost the host several times what a pack that checks nothing costs. So the
// cross-resource checks are documented one by one (name, what, why, fix, knobs: the catalog) but registered inside
// composite stack policies, which build the stack's view once (lib/stack.ts StackIndex) and run their checks over it.
// A finding names its check first ("public-endpoint-tls: …") and each check's knobs sit under its name in the config
// of the composite that runs it.
//
// Enforcement per check: the host gives every finding of a policy that policy's level (server.js
// makeReportViolationFun binds one level per policy), so a composite cannot report one check as mandatory and another
// as advisory. There is one composite per level instead: `stack-checks-pass` (mandatory) runs every check except its
// `disabledChecks`; `stack-checks-advisory` (disabled until a config gives it a level) runs exactly the checks its
// `checks` lists. Moving a check to advisory lists it in both; an unused advisory composite costs nothing, since the
// host skips a disabled policy before deserializing anything.
//
// Severity per check: the same function also takes an object naming the finding's severity (@pulumi/policy 1.21.0
// server.js makeReportViolationFun, lines 674-703: `severity: policyInfo.severity || severity`; added in
// pulumi/pulumi-policy bcc582f and 51ae44f, released in 1.20.0; its argument type, ReportViolationArgs, is marked
// internal in policy.ts, so it is declared here). A composite reports each finding that way, with its check's
// severity, the composite's level and the text the string form would give, so a critical check stays critical.
import type { PolicyConfigSchema, ReportViolation, StackValidationArgs } from "@pulumi/policy";
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { checksRun, SELECTOR, type CheckSelection } from "./composites";
import { WebstackStackPolicy } from "./policy";
import { isUnknownValueError, UndecidedDuringPreview } from "./unknowns";

/** What @pulumi/policy's reportViolation takes besides a message string (see the note on severity above). */
interface ViolationArgs {
    message: string;
    urn?: string;
    severity?: WebstackStackPolicy["severity"];
}

/** A cross-resource check: documented and testable on its own, run inside a composite stack policy. */
export type StackCheck = WebstackStackPolicy;

class CheckNotApplicable extends Error {}

/** The defaults of a check's knobs, from its configSchema. */
function defaultsOf(schema: PolicyConfigSchema): Record<string, unknown> {
    return Object.fromEntries(
        Object.entries(schema.properties).map(([k, p]) => [k, (p as PolicyConfigJSONSchema).default]),
    );
}

/** A composite's config schema: the checks it selects, and one object per check with knobs. */
function compositeSchema(checks: readonly StackCheck[], selection: CheckSelection): PolicyConfigSchema {
    const properties: PolicyConfigSchema["properties"] = {
        [SELECTOR[selection]]: {
            type: "array",
            items: { type: "string", enum: checks.map((c) => c.name) },
            default: [],
            description:
                selection === "unless-disabled"
                    ? "Checks this policy does not run (the others still do)."
                    : "Checks this policy runs (none by default).",
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

export interface CompositeArgs {
    name: string;
    description: string;
    rationale: string;
    severity: WebstackStackPolicy["severity"];
    enforcementLevel: WebstackStackPolicy["enforcementLevel"];
    checks: readonly StackCheck[];
    selection: CheckSelection;
}

export type CompositeStackPolicy = WebstackStackPolicy & { checks: readonly StackCheck[]; selection: CheckSelection };

/** The names of the checks a composite runs under the given config. */
export function selectedChecks(
    composite: { checks: readonly StackCheck[]; selection: CheckSelection },
    given: Record<string, unknown>,
): string[] {
    return checksRun(
        composite.selection,
        composite.checks.map((c) => c.name),
        given,
    );
}

/**
 * A stack policy that runs its selected checks over one view of the stack. Each check sees its own config and a
 * `notApplicable` of its own; what a check cannot decide during preview is collected and reported once, after
 * every check has run, so one unknown value never hides another check's findings.
 */
export function compositeStackPolicy(args: CompositeArgs): CompositeStackPolicy {
    return {
        name: args.name,
        description: args.description,
        enforcementLevel: args.enforcementLevel,
        severity: args.severity,
        configSchema: compositeSchema(args.checks, args.selection),
        rationale: args.rationale,
        remediationSteps: `Each finding starts with the check that reported it; see that check's "How to fix" in docs/reference/policies.md.`,
        checks: args.checks,
        selection: args.selection,
        validateStack: (stackArgs: StackValidationArgs, reportViolation: ReportViolation) => {
            const given = (stackArgs.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
            const selected = new Set(selectedChecks(args, given));
            if (selected.size === 0)
                return stackArgs.notApplicable(
                    args.selection === "listed" ? "its config lists no check" : "every check is disabled",
                );
            const gaps: string[] = [];
            let ran = 0;
            for (const check of args.checks) {
                if (!selected.has(check.name)) continue;
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
                // The host prefixes the policy's description to a string; with an object it takes the message as given.
                const report = (message: string, urn?: string) =>
                    (reportViolation as unknown as (violation: ViolationArgs) => void)({
                        message: `${args.description}\n${check.name}: ${message}`,
                        urn,
                        severity: check.severity,
                    });
                try {
                    check.validateStack(checkArgs, report);
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
