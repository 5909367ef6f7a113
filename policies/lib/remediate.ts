// Safe remediations: a policy at enforcement level "remediate" may change a resource's inputs before the engine
// uses them (the CLI calls Remediate for every resource, then Analyze on the result). Only fixes that cannot break a
// running stack are made here; docs/remediation.md lists them and why each is safe.
//
// The host hands a remediation its props behind @pulumi/policy's unknown-checking proxy, which throws on any
// unknown value (a first preview's ids): copying through it would fail the whole remediation. The proxy exposes its
// target under `getSpecialProxyTarget`, so the copy keeps unknown values and secrets exactly as the engine sent them.
const proxy = require("@pulumi/policy/proxy") as { getSpecialProxyTarget: string };

function target(value: unknown): Record<string, unknown> {
    if (typeof value !== "object" || value === null) return {};
    return (
        ((value as Record<string, unknown>)[proxy.getSpecialProxyTarget] as Record<string, unknown> | undefined) ??
        (value as Record<string, unknown>)
    );
}

/** The resource's props with `changes` applied at top level (everything else untouched). */
export function withChanges(props: unknown, changes: Record<string, unknown>): Record<string, unknown> {
    return { ...target(props), ...changes };
}

/** The resource's props with `changes` applied inside the object property `key` (e.g. an autoscale pool's dropletTemplate). */
export function withNestedChanges(
    props: unknown,
    key: string,
    changes: Record<string, unknown>,
): Record<string, unknown> {
    const outer = target(props);
    return { ...outer, [key]: { ...target(outer[key]), ...changes } };
}
