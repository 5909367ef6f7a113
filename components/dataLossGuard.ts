// The data-loss guard: an update must not silently delete or replace a resource that holds data (a tier
// downgrade that drops the managed database, tier 0's droplet with its MySQL). Pure, so tests call it directly.

/** The data resources of the previous update that this one no longer has. */
export function lostDataResources(previous: readonly string[] | undefined, current: readonly string[]): string[] {
    return (previous ?? []).filter((name) => !current.includes(name));
}

/** The refusal, naming every lost resource and the one-update fix. */
export function dataLossMessage(stack: string, tier: number, lost: readonly string[]): string {
    return (
        `This update would delete or replace ${lost.length} data-bearing resource(s) of stack "${stack}": ${lost.map((n) => `"${n}"`).join(", ")} (tier ${tier} keeps no data in them). ` +
        `Back up their data, then allow it for this one update: pulumi config set webstack:allowDataLoss true (and unset it afterwards).`
    );
}
