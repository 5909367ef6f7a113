// The pack's composite stack policies for the families' cross-resource checks (the stack checks of spof.ts, tls.ts,
// monitoring.ts, monitoringLogs.ts and network.ts), each run over one view of the stack. See lib/checks.ts for why
// they are registered as composites and how each check keeps its own config and level. The targets (targets.ts) stay
// policies of their own: a team sets a budget or an availability target as
// `{"stack-monthly-budget": {"maxMonthlyUsd": 400}}`, and that config alone must turn the check on.
import { hygienePolicies } from "./hygiene";
import { compositeStackPolicy, StackCheck } from "./lib/checks";
import { ADVISORY_COMPOSITE, STRICT_COMPOSITE } from "./lib/composites";
import { WebstackPolicy } from "./lib/policy";
import { monitoringPolicies } from "./monitoring";
import { networkPolicies } from "./network";
import { spofPolicies } from "./spof";
import { tlsPolicies } from "./tls";

const isCheck = (p: WebstackPolicy): p is StackCheck => "validateStack" in p;

/** Every stack check, in family order. */
export const stackChecks: StackCheck[] = [
    ...spofPolicies,
    ...tlsPolicies,
    ...monitoringPolicies,
    ...networkPolicies,
    ...hygienePolicies,
].filter(isCheck);

const FAMILIES_CHECKED =
    "single points of failure, TLS at the public entry, alert, uptime and log coverage, firewall coverage and exposure, one VPC";

export const stackChecksPass = compositeStackPolicy({
    name: STRICT_COMPOSITE,
    description: `Checks that the stack's resources, taken together, pass every stack check of the pack that its disabledChecks does not list (${FAMILIES_CHECKED}); each finding starts with its check's name.`,
    rationale:
        "These checks need the whole stack at once (which load balancer targets which droplet, which firewall covers it, what DNS points at); run as one policy they share one view of the stack, so the pack costs the policy host about what a single stack policy costs.",
    severity: "high",
    enforcementLevel: "mandatory",
    checks: stackChecks,
    selection: "unless-disabled",
});

export const stackChecksAdvisory = compositeStackPolicy({
    name: ADVISORY_COMPOSITE,
    description:
        "Checks that the stack's resources, taken together, pass the stack checks named in its checks list, as advisory findings (off until a config gives this policy a level); each finding starts with its check's name.",
    rationale:
        "A team that wants some checks to warn rather than block lists them here and in stack-checks-pass's disabledChecks; the host gives every finding of a policy that policy's level, so each level needs a policy of its own.",
    severity: "medium",
    enforcementLevel: "disabled",
    checks: stackChecks,
    selection: "listed",
});

/** The composites, most strict first: a check runs in the one whose config selects it. */
export const stackCheckComposites = [stackChecksPass, stackChecksAdvisory] as const;
