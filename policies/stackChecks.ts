// The pack's stack policy for the families' cross-resource checks (the stack policies of spof.ts, tls.ts,
// monitoring.ts, monitoringLogs.ts and network.ts), run over one view of the stack. See lib/checks.ts for why they are
// registered as one policy and how each check keeps its own config. The targets (targets.ts) stay policies of their
// own: a team sets a budget or an availability target as `{"stack-monthly-budget": {"maxMonthlyUsd": 400}}`, and
// that config alone must turn the check on.
import { hygienePolicies } from "./hygiene";
import { familyStackPolicy, StackCheck } from "./lib/checks";
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

export const stackChecksPass = familyStackPolicy({
    name: "stack-checks-pass",
    description:
        "Checks that the stack's resources, taken together, pass every stack check of the pack (single points of failure, TLS at the public entry, alert, uptime and log coverage, firewall coverage and exposure, one VPC); each finding starts with its check's name.",
    rationale:
        "These checks need the whole stack at once (which load balancer targets which droplet, which firewall covers it, what DNS points at); run as one policy they share one view of the stack, so the pack costs the policy host about what a single stack policy costs.",
    severity: "high",
    checks: stackChecks,
});
