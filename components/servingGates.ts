// Which readiness gate each serving resource of a stack binds (components/readiness/servingGate.ts builds them), and
// what a tier move keeps for one update so the droplets serving until its end keep their database. WebStack calls
// these; the bindings are asserted, for every tier and engine, by test/components/readinessGates.spec.ts.
import type * as pulumi from "@pulumi/pulumi";
import { type IdentityRole, releaseOf } from "./readiness/identity";
import { type RoleGateArgs, roleGate } from "./readiness/servingGate";
import type { PoolSettings, StackSettings } from "./settings/stackSettings";

/** Where a stack's gates look: the entry points users reach it through, and how the gates' messages name them. */
export type GateEntry = Omit<RoleGateArgs, "role" | "release">;

/** What every gate of a stack shares: the site, the health path, TLS, and how long to wait. */
export function gating(s: StackSettings) {
    return {
        domain: s.domain,
        healthPath: s.app.healthPath,
        tls: s.certificate !== undefined,
        timeoutMinutes: s.releases.gateTimeoutMinutes,
    };
}

/**
 * The entry points a stack's gates ask: each public load balancer's IP, or each HAProxy droplet's own IPv4 (its
 * reserved IP moves to it only after its own gate). Neither depends on the pools, so no gate waits for itself.
 */
export function gateEntry(
    s: StackSettings,
    edge: {
        loadBalancers: readonly { ip: pulumi.Output<string> }[];
        haproxy?: readonly { ipv4Address: pulumi.Output<string> }[];
    },
): GateEntry {
    return {
        ...gating(s),
        entryPoints: edge.haproxy ? edge.haproxy.map((d) => d.ipv4Address) : edge.loadBalancers.map((lb) => lb.ip),
        entryKind: edge.haproxy ? "HAProxy droplet" : "load balancer",
    };
}

/**
 * The gate a pool of `role` binds (createPool): for fixed droplets, on the pool's one gate Stash, waiting for the
 * droplets new in it (newlyGated); on an autoscale pool `afterCreate` and `afterUpdate`, waiting for the template's release. DigitalOcean replaces the members itself on a template change,
 * after a cooldown that is a duration, not a health check (docs.digitalocean.com/products/droplets/concepts/
 * autoscale-pools): the gate fails the update when the release does not serve, but it cannot hold that rollout. One
 * hook per role, `<name>-<role>-gate` (the engine refuses two hooks of one name: pulumi/pulumi v3.248.0
 * pkg/resource/deploy/resource_hooks.go:90-102).
 */
export function poolGate(
    name: string,
    role: IdentityRole,
    pool: PoolSettings,
    entry: GateEntry,
    userData: pulumi.Output<string>,
): pulumi.ResourceHook {
    if (!pool.autoscale) return roleGate(`${name}-${role}-gate`, { ...entry, role });
    return roleGate(`${name}-${role}-gate`, { ...entry, role, release: userData.apply(releaseOf) });
}

/**
 * Whether the autoscale pools may take the stack's project id in their template. The project waits for the fixed
 * droplets' gate Stashes (webStack.ts), so it exists once their gates have passed; a template waiting for its id makes the autoscale pool wait
 * for gates that need its members to serve (they are on the path the gates watch). Beside a gated fixed pool, the
 * members join the account's default project instead.
 */
export function autoscaleJoinsProject(s: StackSettings, gated: boolean, haproxy: boolean): boolean {
    const fixedGated = gated && ((s.appPool !== undefined && !s.appPool.autoscale) || (!haproxy && !s.web.autoscale));
    return !fixedGated;
}

/**
 * Where the app moves in this update: "up" from the web droplets to its own pool (tier 1 → 2+), "down" back onto the
 * web droplets (tier 2+ → 1). Tier 0 runs MySQL on its droplet, so nothing of it needs the managed database.
 */
export function appMove(tier: number, previousTier: number | undefined): "up" | "down" | undefined {
    if (previousTier === 1 && tier >= 2) return "up";
    if (previousTier !== undefined && previousTier >= 2 && tier === 1) return "down";
    return undefined;
}

/**
 * The droplet tags the database firewalls trust. From tier 2 the app tier and the monitor. While the app moves, the
 * droplets that run it until the end of this update are trusted too, for this one update: the web droplets (they ran
 * the app at tier 1, or run it again) and the app droplets (they run it until a downgrade deletes them), so at tier 1
 * the firewalls stay for that update with both. The next update drops the extra rule in place (or, at tier 1, the
 * firewalls).
 */
export function databaseTrust(
    s: StackSettings,
    tags: {
        readonly web: pulumi.Input<string>;
        readonly app?: pulumi.Input<string>;
        readonly monitor?: pulumi.Input<string>;
    },
    move: "up" | "down" | undefined,
): pulumi.Input<string>[] {
    if (!tags.app || !(s.firewalls || move === "down")) return [];
    return [tags.app, ...(tags.monitor ? [tags.monitor] : []), ...(move ? [tags.web] : [])];
}
