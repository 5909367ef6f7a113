// The policy catalog, derived from the policy objects themselves (no text is repeated here): one row
// per policy with what it checks, why, how to fix it and its config knobs. The root README's policy
// table is generated from `catalog` / `catalogMarkdown()`, so documentation cannot drift from the pack.
import type { PolicyConfigJSONSchema } from "@pulumi/policy/schema";
import { hygienePolicies } from "./hygiene";
import type { StackCheck } from "./lib/checks";
import { WebstackPolicy } from "./lib/policy";
import { monitoringPolicies } from "./monitoring";
import { networkPolicies } from "./network";
import { spofPolicies } from "./spof";
import { stackCheckComposites, stackChecks, stackChecksAdvisory, stackChecksPass } from "./stackChecks";
import { targetPolicies } from "./targets";
import { tlsPolicies } from "./tls";

export const families = {
    spof: spofPolicies,
    tls: tlsPolicies,
    monitoring: monitoringPolicies,
    network: networkPolicies,
    hygiene: hygienePolicies,
    targets: targetPolicies,
} as const;

export type Family = keyof typeof families;

/**
 * What the pack registers with the analyzer host: every family's resource policies, the targets (budget and
 * availability, each on when its threshold is set) and the composites that run the families' stack checks over one
 * view of the stack: `stack-checks-pass` (mandatory) and `stack-checks-advisory` (off until configured; lib/checks.ts).
 */
export const packPolicies: WebstackPolicy[] = [
    ...Object.values(families)
        .flat()
        .filter((p) => !stackChecks.includes(p as StackCheck)),
    ...stackCheckComposites,
];

export { stackCheckComposites, stackChecksAdvisory, stackChecksPass };

/**
 * The policy or stack check a finding belongs to: the finding's policy, or for a composite the check its message
 * starts with (the host's message is the policy's description, a newline, then the finding).
 */
export function checkOfFinding(f: { policy: string; message: string }): string {
    const composite = stackCheckComposites.find((c) => c.name === f.policy);
    if (!composite) return f.policy;
    const m = /(?:^|\n)([a-z0-9]+(?:-[a-z0-9]+)+): /.exec(f.message);
    return m && composite.checks.some((c) => c.name === m[1]) ? m[1] : f.policy;
}

export interface ConfigKnob {
    name: string;
    type: string;
    default: unknown;
    description: string;
}

export interface CatalogEntry {
    name: string;
    family: Family;
    /** "stack": a stack check, run by a composite (`stack-checks-pass`, or `stack-checks-advisory` when listed there). */
    kind: "resource" | "stack";
    enforcementLevel: string;
    severity: string;
    what: string;
    why: string;
    fix: string;
    config: ConfigKnob[];
}

function knobs(policy: WebstackPolicy): ConfigKnob[] {
    return Object.entries(policy.configSchema.properties).map(([name, raw]) => {
        const schema = raw as PolicyConfigJSONSchema;
        return {
            name,
            type: Array.isArray(schema.type) ? schema.type.join("|") : String(schema.type ?? "any"),
            default: schema.default,
            description: schema.description ?? "",
        };
    });
}

export const catalog: CatalogEntry[] = (Object.entries(families) as [Family, WebstackPolicy[]][]).flatMap(
    ([family, policies]) =>
        policies.map((policy) => ({
            name: policy.name,
            family,
            kind: "validateStack" in policy ? ("stack" as const) : ("resource" as const),
            enforcementLevel: policy.enforcementLevel,
            severity: policy.severity,
            what: policy.description,
            why: policy.rationale,
            fix: policy.remediationSteps,
            config: knobs(policy),
        })),
);

const cell = (text: string): string => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

/** The catalog as a Markdown table (policy, family, enforcement, severity, what, why, fix, config). */
export function catalogMarkdown(): string {
    const rows = catalog.map((e) => {
        const config =
            e.config.length > 0
                ? e.config
                      .map(
                          (k) =>
                              `\`${k.name}\` (${k.type}, default \`${JSON.stringify(k.default)}\`): ${k.description}`,
                      )
                      .join("<br>")
                : "none";
        const level =
            e.kind === "stack" && stackChecks.some((c) => c.name === e.name)
                ? `${e.enforcementLevel} (a check of \`${stackChecksPass.name}\`)`
                : e.enforcementLevel;
        return `| \`${e.name}\` | ${e.family} | ${level} | ${e.severity} | ${cell(e.what)} | ${cell(e.why)} | ${cell(e.fix)} | ${cell(config)} |`;
    });
    return [
        "| Policy | Family | Enforcement | Severity | What | Why | How to fix | Config |",
        "|---|---|---|---|---|---|---|---|",
        ...rows,
    ].join("\n");
}
