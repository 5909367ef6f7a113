// Targets a team sets for a whole stack: what it may cost a month, and how available it must be expected to be.
// Both are on (mandatory) and not applicable until a stack's config sets the threshold (the default 0 means "no
// target"): `{"stack-monthly-budget": {"maxMonthlyUsd": 400}}` alone turns the budget on, as the config says.
// They price and model the stack with the same pure code as the offline plan (lib/pricing.ts, lib/availability.ts),
// so the plan's figures and the policy's verdict cannot disagree.
//
// What that costs while no threshold is set: one pass of the analyzer host over the whole stack per target, and no
// design of the pack avoids it. @pulumi/policy 1.21's AnalyzeStack handler (server.js makeAnalyzeStackRpcFun,
// lines 315-372) skips a stack policy only when its level is "disabled" (line 328) or when its validateStack carries a
// Pulumi type the stack lacks (line 337); otherwise it deserializes every resource (line 351) before the policy's code
// runs, and a policy's config reaches pack code only through its own getConfig (makeGetConfigFun(p.name), lines
// 411 and 448-458). So whether a threshold is set is known only after that pass. The other designs cost users more:
//   - off by default: the CLI gives a config entry without a level the policy's default level (pulumi/pulumi@1b59498
//     pkg/resource/analyzer/config.go createConfigWithDefaults:296, applyConfig:337-372), so
//     `{"stack-monthly-budget": {"maxMonthlyUsd": 400}}` would leave the budget off, the bug this design fixed;
//   - inside stack-checks-pass: the CLI keeps config for a policy the pack does not serve without a word (applyConfig
//     adds it, validatePolicyPackConfig:183-208 checks only served policies), so that same entry would be ignored.
// The pass costs about what the no-op pack's stack policy costs (docs/performance.md), not more than a check does.
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { estimateAvailability, percent, weakestStages } from "./lib/availability";
import { configWithDefaults } from "./lib/config";
import { knownView } from "./lib/unknowns";
import type { WebstackPolicy, WebstackStackPolicy } from "./lib/policy";
import { estimateCost, type PricedResource } from "./lib/pricing";

const usd = (n: number) => `$${n.toFixed(2)}`;

/**
 * What the pricer reads of a resource: its properties (secrets are already unwrapped by the host), a value not known
 * yet during a preview reading as absent, so the pricer lists what it cannot price instead of failing.
 */
export function pricedResource(r: PolicyResource): PricedResource {
    return { urn: r.urn, type: r.type, name: r.name, inputs: knownView(r.props as Record<string, unknown>) };
}

const budgetSchema: PolicyConfigSchema = {
    properties: {
        maxMonthlyUsd: {
            type: "number",
            minimum: 0,
            default: 0,
            description:
                "The stack's monthly budget in USD at list prices (autoscale pools at minInstances); 0 turns the check off.",
        },
    },
};

export const stackMonthlyBudget: WebstackStackPolicy = {
    name: "stack-monthly-budget",
    description:
        "Checks that the stack's estimated monthly cost at DigitalOcean list prices (the offline plan's own price table) stays within maxMonthlyUsd; off while maxMonthlyUsd is 0.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: budgetSchema,
    rationale:
        "A tier change or a larger count multiplies the bill quietly; a budget in the stack's policy config turns the surprise into a finding at preview.",
    remediationSteps:
        "Remove or resize the largest line items the finding names, or raise maxMonthlyUsd in the stack's policy config.",
    validateStack: (args, reportViolation) => {
        const { maxMonthlyUsd } = configWithDefaults<{ maxMonthlyUsd: number }>(budgetSchema, args);
        if (!(maxMonthlyUsd > 0)) return args.notApplicable("maxMonthlyUsd is 0 (no budget set)");
        const cost = estimateCost(args.resources.map(pricedResource));
        if (cost.monthlyUsd <= maxMonthlyUsd) return;
        const biggest = [...cost.items]
            .sort((a, b) => b.monthlyUsd - a.monthlyUsd)
            .slice(0, 3)
            .map((i) => `"${i.name}" ${usd(i.monthlyUsd)} (${i.description})`);
        const lowerBound =
            cost.unpriced.length > 0 ? ` (a lower bound: ${cost.unpriced.length} resources are not priced)` : "";
        reportViolation(
            `The stack is estimated at ${usd(cost.monthlyUsd)} a month${lowerBound}, over its budget of ${usd(maxMonthlyUsd)} (maxMonthlyUsd) by ${usd(cost.monthlyUsd - maxMonthlyUsd)}; ` +
                `the largest items are ${biggest.join(", ")}. Remove or resize them, or raise maxMonthlyUsd.`,
        );
    },
};

const availabilitySchema: PolicyConfigSchema = {
    properties: {
        minAvailability: {
            type: "number",
            minimum: 0,
            maximum: 1,
            default: 0,
            description:
                "The least expected monthly availability of the request path, as a fraction (0.999 is 99.9 %); 0 turns the check off.",
        },
    },
};

export const stackAvailabilityTarget: WebstackStackPolicy = {
    name: "stack-availability-target",
    description:
        "Checks that the stack's expected monthly availability, composed from DigitalOcean's published SLAs over its request path (DNS, load balancers, web, app, database, cache), is at least minAvailability; off while minAvailability is 0.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: availabilitySchema,
    rationale:
        "Every single instance on the request path multiplies its own downtime into the whole stack's; the estimate shows which stage keeps the stack below the availability the team promised.",
    remediationSteps:
        "Add instances to the weakest stages the finding names (load balancers, servers behind them, database standby nodes), or lower minAvailability.",
    validateStack: (args, reportViolation) => {
        const { minAvailability } = configWithDefaults<{ minAvailability: number }>(availabilitySchema, args);
        if (!(minAvailability > 0)) return args.notApplicable("minAvailability is 0 (no target set)");
        const estimate = estimateAvailability(args.resources);
        if (estimate.availability >= minAvailability) return;
        const weakest = weakestStages(estimate).map((s) => `${s.label} ${percent(s.availability)}`);
        reportViolation(
            `The stack's expected monthly availability is ${percent(estimate.availability)} (about ${estimate.downtimeMinutesPerMonth} minutes down in a 30-day month), ` +
                `below its target of ${percent(minAvailability)} (minAvailability ${minAvailability}); the weakest stages are ${weakest.join(", ")}. ` +
                "Add instances to them, or lower minAvailability.",
        );
    },
};

export const targetPolicies: WebstackPolicy[] = [stackMonthlyBudget, stackAvailabilityTarget];
