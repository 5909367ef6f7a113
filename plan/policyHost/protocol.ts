// The analyzer protocol's vocabulary as this client uses it: enforcement levels and severities in the proto's
// enum order, what the pack reports about itself, a finding, and a resource as the engine describes it.

export type EnforcementLevel = "advisory" | "mandatory" | "remediate" | "disabled";
export const LEVELS: EnforcementLevel[] = ["advisory", "mandatory", "disabled", "remediate"]; // proto enum order
export const SEVERITIES = ["", "low", "medium", "high", "critical"];

export interface PolicyInfo {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    severity: string;
    configSchema?: { properties: Record<string, any>; required: string[] };
}

export interface AnalyzerInfo {
    name: string;
    version: string;
    supportsConfig: boolean;
    policies: PolicyInfo[];
    initialConfig: Record<string, PolicyConfig>;
}

export interface PolicyConfig {
    enforcementLevel?: EnforcementLevel;
    properties?: Record<string, unknown>;
}

export interface Finding {
    policy: string;
    pack: string;
    packVersion: string;
    level: EnforcementLevel;
    severity: string;
    description: string;
    message: string;
    /** The resource the finding is about; empty for stack-wide findings without one. */
    urn: string;
}

export class PolicyHostError extends Error {}

/** What the analyzer sees of one resource (properties keep Pulumi's secret signature, as with KeepSecrets). */
export interface AnalyzedResource {
    urn: string;
    type: string;
    name: string;
    properties: Record<string, unknown>;
    parent: string;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    protect: boolean;
    ignoreChanges: string[];
    deleteBeforeReplace: boolean;
    additionalSecretOutputs: string[];
    aliases: string[];
}

/** A remediation the host made to one resource's inputs (a RemediateResponse entry). */
export interface Remediation {
    policy: string;
    description: string;
    /** The resource's inputs after the remediation (secret signatures kept); absent when only `diagnostic` is set. */
    properties?: Record<string, unknown>;
    /** Why the remediation could not run (e.g. an unknown value during preview). */
    diagnostic: string;
}
