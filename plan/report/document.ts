// The plan as one document (plan.schema.json describes it; the tests validate against it): what the program
// registered and exported, the policy findings, the cost and the diagram, and the summary line's numbers.
import type { RecordedResource } from "../capture/recorder";
import { redact } from "../capture/secretValues";
import type { ProgramRun } from "../capture/runProgram";
import type { AvailabilityEstimate } from "../../policies/lib/availability";
import type { CostEstimate } from "../../policies/lib/pricing";
import type { Finding } from "../policyHost/protocol";
import type { PlanRemediation } from "../policyHost/remediation";

/** The recorded fields a plan shows of each resource. */
type PlanResourceField =
    | "urn"
    | "type"
    | "name"
    | "parent"
    | "custom"
    | "inputs"
    | "dependencies"
    | "propertyDependencies"
    | "protect"
    | "deleteBeforeReplace"
    | "retainOnDelete"
    | "ignoreChanges"
    | "additionalSecretOutputs";

/** A resource as the plan shows it: its recorded fields, with secrets in `inputs` shown as "[secret]". */
export type PlanResource = Pick<RecordedResource, PlanResourceField>;

export interface PlanDocument {
    project: string;
    stack: string;
    /** The resolved `<project>:tier`, or null when it is not an integer. */
    tier: number | null;
    resources: PlanResource[];
    /** Stack outputs; secrets as "[secret]". */
    outputs: Record<string, unknown>;
    policyPack: { name: string; version: string; path: string; config: string | null } | null;
    findings: (Finding & { type: string; name: string })[];
    /** Changes policies at enforcement level "remediate" made to resources' inputs before Analyze, in stack order. */
    remediations: (PlanRemediation & { type: string; name: string })[];
    cost: CostEstimate;
    /**
     * The budget the stack's policy config gives `stack-monthly-budget` (maxMonthlyUsd > 0), and whether the cost
     * keeps to it; null without one.
     */
    budget: { maxMonthlyUsd: number; withinBudget: boolean } | null;
    /** Expected monthly availability of the request path (policies/lib/availability.ts, docs/availability.md). */
    availability: AvailabilityEstimate;
    diagram: { svg: string | null; mermaid: string | null; dot: string | null; mermaidText: string };
    summary: { resources: number; mandatory: number; advisory: number; monthlyUsd: number; exitCode: 0 | 1 };
}

export const resourceView = (r: Pick<RecordedResource, PlanResourceField>): PlanResource => ({
    urn: r.urn,
    type: r.type,
    name: r.name,
    parent: r.parent,
    custom: r.custom,
    inputs: redact(r.inputs) as Record<string, unknown>,
    dependencies: r.dependencies,
    propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).filter(([, v]) => v.length > 0)),
    protect: r.protect,
    deleteBeforeReplace: r.deleteBeforeReplace,
    retainOnDelete: r.retainOnDelete,
    ignoreChanges: r.ignoreChanges,
    additionalSecretOutputs: r.additionalSecretOutputs,
});

/** The root stack resource as a plan row (the engine synthesizes it; it has no inputs). */
function stackRow(stackUrn: string): PlanResource {
    return resourceView({
        urn: stackUrn,
        type: "pulumi:pulumi:Stack",
        name: stackUrn.split("::").pop()!,
        parent: "",
        custom: false,
        inputs: {},
        dependencies: [],
        propertyDependencies: {},
        protect: false,
        deleteBeforeReplace: false,
        retainOnDelete: false,
        ignoreChanges: [],
        additionalSecretOutputs: [],
    });
}

export interface DocumentParts {
    project: string;
    stack: string;
    tier: number | null;
    run: ProgramRun;
    findings: Finding[];
    remediations?: PlanRemediation[];
    policyPack: PlanDocument["policyPack"];
    cost: CostEstimate;
    availability: AvailabilityEstimate;
    /** `maxMonthlyUsd` from the stack's policy config for stack-monthly-budget (undefined or 0: no budget). */
    maxMonthlyUsd?: number;
    diagram: PlanDocument["diagram"];
}

/** Assembles the document the CLI prints and writes; secrets become "[secret]" here and nowhere later. */
export function buildDocument(parts: DocumentParts): PlanDocument {
    const { run } = parts;
    const resources = [
        stackRow(run.stackUrn),
        ...run.resources.map((r) => resourceView({ ...r, parent: r.parent || run.stackUrn })),
    ];
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const findings = parts.findings.map((f) => ({
        ...f,
        type: byUrn.get(f.urn)?.type ?? "",
        name: byUrn.get(f.urn)?.name ?? "",
    }));
    const mandatory = findings.filter((f) => f.level === "mandatory").length;
    return {
        project: parts.project,
        stack: parts.stack,
        tier: parts.tier,
        resources,
        outputs: Object.fromEntries(
            run.outputs
                .filter((o) => o.value !== undefined)
                .map((o) => [o.name, o.secret ? "[secret]" : redact(o.value)]),
        ),
        policyPack: parts.policyPack,
        findings,
        remediations: (parts.remediations ?? []).map((m) => ({
            ...m,
            type: byUrn.get(m.urn)?.type ?? "",
            name: byUrn.get(m.urn)?.name ?? "",
        })),
        cost: parts.cost,
        budget: parts.maxMonthlyUsd
            ? { maxMonthlyUsd: parts.maxMonthlyUsd, withinBudget: parts.cost.monthlyUsd <= parts.maxMonthlyUsd }
            : null,
        availability: parts.availability,
        diagram: parts.diagram,
        summary: {
            resources: resources.length,
            mandatory,
            advisory: findings.filter((f) => f.level === "advisory").length,
            monthlyUsd: parts.cost.monthlyUsd,
            exitCode: mandatory > 0 ? 1 : 0,
        },
    };
}
