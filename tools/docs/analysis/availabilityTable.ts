// The availability table for docs/availability.md: the expected monthly availability of the example stack at
// tiers 0–3 and in production, each from a real offline plan run (the same estimate the plan prints). The
// integrator wires it into the docs generator; nothing here writes files.
import { STANDBY_ARGS, TIERS, architectureArgs } from "../../../examples/variants";
import { percent } from "../../../policies/lib/availability";
import { planDocument } from "../../../plan/spawnPlan";
import type { PlanDocument } from "../../../plan/report/document";

/** The stacks the table shows: each tier's example stack, then production (tier 3 with a database standby). */
export const AVAILABILITY_STACKS: readonly { label: string; args: readonly string[] }[] = [
    ...TIERS.map((tier) => ({ label: `tier ${tier}`, args: architectureArgs(tier) })),
    { label: "production", args: [...architectureArgs(3), ...STANDBY_ARGS] },
];

const row = (label: string, d: PlanDocument): string => {
    const a = d.availability;
    const spofs = a.singlePoints.length ? a.singlePoints.map((n) => `\`${n}\``).join(", ") : "none";
    return `| ${label} | ${percent(a.availability)} | ${a.downtimeMinutesPerMonth} | ${a.stages.filter((s) => s.kind !== "dns").length} | ${spofs} |`;
};

/** The markdown table: stack, expected availability, minutes down a month, stages on the request path, single points of failure. */
export async function availabilityMarkdown(): Promise<string> {
    const docs = await Promise.all(AVAILABILITY_STACKS.map((s) => planDocument(s.args)));
    return [
        "| Stack | Expected monthly availability | Minutes down / 30 days | Stages | Single points of failure |",
        "|---|---:|---:|---:|---|",
        ...AVAILABILITY_STACKS.map((s, i) => row(s.label, docs[i])),
    ].join("\n");
}
