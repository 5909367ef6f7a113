// Remediations as the plan shows them: which policy changed which input of a resource, from what to what.

/** One property a remediation changed, as the plan shows it (secrets as "[secret]"). */
export interface PropertyChange {
    property: string;
    before: unknown;
    after: unknown;
}

/** What a policy at enforcement level "remediate" changed on one resource before Analyze saw it. */
export interface PlanRemediation {
    urn: string;
    policy: string;
    changes: PropertyChange[];
}

/** The leaves that differ between two plain values, as dotted paths (arrays compared whole). */
export function propertyChanges(before: unknown, after: unknown, prefix = ""): PropertyChange[] {
    const isObject = (v: unknown): v is Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v);
    if (isObject(before) && isObject(after)) {
        const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
        return keys.flatMap((k) => propertyChanges(before[k], after[k], prefix ? `${prefix}.${k}` : k));
    }
    return JSON.stringify(before) === JSON.stringify(after)
        ? []
        : [{ property: prefix, before: before ?? null, after: after ?? null }];
}
