// The engine's two policy passes over one captured (or exported) stack, as the CLI drives the analyzer: shared by the
// offline plan (plan/pipeline.ts) and the tests that run the real pack over real-world stacks.
import type { RecordedResource } from "../capture/recorder";
import { isSecret, plain, redact } from "../capture/secretValues";
import type { ProgramRun } from "../capture/runProgram";
import { outputsWithSecrets, stackResource, toAnalyzed } from "./fromGraph";
import type { PolicyHost } from "./host";
import { compositeConfigWarnings, reconcilePolicyConfig } from "./packConfig";
import type { AnalyzerInfo, Finding } from "./protocol";
import { propertyChanges, type PlanRemediation } from "./remediation";

export interface PolicyVerdicts {
    info?: AnalyzerInfo;
    findings: Finding[];
    remediations: PlanRemediation[];
}

/** Where the two passes stand: Analyze requests about to go out, every Analyze answered, AnalyzeStack answered. */
export type AnalyzeStep = "analyze-start" | "analyze-done" | "analyze-stack-done";

/**
 * How the engine drives the analyzer. "preview": each custom resource's inputs (Analyze, after Remediate, whose
 * changes the resource is then created with), then the whole stack's final state with the synthesized root stack
 * (AnalyzeStack). "snapshot" (`pulumi policy analyze`, pulumi/pulumi@1b5949891b
 * pkg/resource/deploy/analyze_snapshot.go:188-325): every resource of the state, root and components included,
 * gets Remediate (reported, not applied) and Analyze with its inputs, then AnalyzeStack with every resource's outputs.
 */
export type AnalysisMode = "preview" | "snapshot";

/**
 * The engine's two policy passes (see AnalysisMode). Calls `sent` once every Analyze request is on its way, so the
 * caller can turn to synchronous work (cost, diagram) while the host evaluates.
 */
export async function analyzeRun(
    host: PolicyHost,
    run: ProgramRun,
    config: ReturnType<typeof reconcilePolicyConfig> | undefined,
    sent: () => void,
    mode: AnalysisMode = "preview",
    onStep: (step: AnalyzeStep) => void = () => undefined,
): Promise<PolicyVerdicts> {
    // A snapshot's resources keep their own parent (the root stack has none) and no deleteBeforeReplace
    // (analyze_snapshot.go stateToAnalyzerResource sets neither).
    const view = (r: RecordedResource, props: Record<string, unknown>) =>
        mode === "snapshot"
            ? { ...toAnalyzed(r, run.stackUrn, props), parent: r.parent, deleteBeforeReplace: false }
            : toAnalyzed(r, run.stackUrn, props);
    try {
        const info = await host.getAnalyzerInfo();
        await host.configureStack();
        const configured = reconcilePolicyConfig(info, config);
        for (const warning of compositeConfigWarnings(info, configured)) process.stderr.write(`warning: ${warning}\n`);
        await host.configure(configured);
        // The engine calls Remediate for every resource before Analyze (step_generator.go: a remediate pass, then an
        // analyze pass on the remediated inputs). With no policy at level "remediate" the host answers every call
        // with nothing, so the plan skips the calls then.
        const remediating = Object.values(configured).some((c) => c.enforcementLevel === "remediate");
        const remediations: PlanRemediation[] = [];
        const remediatedInputs = new Map<string, Record<string, unknown>>();
        const remediationFindings: Finding[] = [];
        onStep("analyze-start");
        const analyzing = Promise.all(
            run.resources
                .filter((r) => r.custom || mode === "snapshot")
                .map(async (r) => {
                    let inputs = r.inputs;
                    if (remediating) {
                        for (const m of await host.remediate(view(r, inputs))) {
                            if (m.diagnostic) {
                                remediationFindings.push({
                                    policy: m.policy,
                                    pack: info.name,
                                    packVersion: info.version,
                                    level: "advisory",
                                    severity: info.policies.find((p) => p.name === m.policy)?.severity ?? "",
                                    description: m.description,
                                    message: m.diagnostic,
                                    urn: r.urn,
                                });
                            } else if (m.properties) {
                                const changes = propertyChanges(redact(plain(inputs)), redact(plain(m.properties)));
                                remediations.push({ urn: r.urn, policy: m.policy, changes });
                                // A snapshot is analyzed as it is: the change is reported, never applied.
                                if (mode === "preview") inputs = m.properties;
                            }
                        }
                        if (inputs !== r.inputs) remediatedInputs.set(r.urn, inputs);
                    }
                    return (await host.analyze(view(r, inputs))).map((f) => ({
                        ...f,
                        urn: f.urn || r.urn,
                    }));
                }),
        );
        sent();
        const perResource = await analyzing;
        onStep("analyze-done");
        const stackWide = await host.analyzeStack(
            mode === "snapshot"
                ? run.resources.map((r) => view(r, r.state))
                : [
                      stackResource(
                          run.stackUrn,
                          run.outputs.map((o) => ({ ...o, value: JSON.parse(JSON.stringify(o.value ?? null)) })),
                      ),
                      // A remediated resource is created from its remediated inputs, so its state carries them.
                      ...run.resources.map((r) =>
                          toAnalyzed(r, run.stackUrn, {
                              ...outputsWithSecrets(r, isSecret),
                              ...remediatedInputs.get(r.urn),
                          }),
                      ),
                  ],
        );
        onStep("analyze-stack-done");
        return {
            info,
            findings: [...remediationFindings, ...perResource.flat(), ...stackWide],
            remediations: run.resources.flatMap((r) => remediations.filter((m) => m.urn === r.urn)),
        };
    } finally {
        sent();
    }
}
