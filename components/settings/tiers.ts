// The four tiers of the seed design, as data. Each tier reproduces its seed task faithfully (so the task's
// "Issues" are really present); the seed's "Possible improvements" are config overrides on top.

import { Tier, valuesOf } from "./choices";

export type { Tier };
export const TIERS: readonly Tier[] = valuesOf(Tier);

/** What a tier builds by default. Every number here can be overridden in stack config. */
export interface TierProfile {
    readonly title: string;
    /** Droplets serving HTTP: one all-in-one server at tier 0, nginx (+ the app below tier 2) above. */
    readonly web: { readonly count: number; readonly size: string };
    /** A separate app pool behind an internal load balancer (tier 2+); undefined when the app runs on the web droplets. */
    readonly app?: { readonly count: number; readonly size: string };
    /** Public DigitalOcean load balancers; undefined at tier 0 (DNS points at the single droplet). */
    readonly loadBalancer?: { readonly count: number; readonly sizeUnit: number };
    /** Managed MySQL; undefined at tier 0 (MySQL runs on the droplet). */
    readonly database?: { readonly size: string; readonly standbyNodes: number; readonly readReplicas: number };
    /** Managed Valkey trusted only by the app tag (tier 3). */
    readonly cache?: { readonly size: string };
    /** Private versioned Spaces bucket + CDN (tier 3). */
    readonly staticAssets: boolean;
    /** Per-role cloud firewalls and a database firewall (tier 2+). */
    readonly firewalls: boolean;
    /** TLS terminated at the load balancers (tier 2+). */
    readonly tls: boolean;
    /** Monitoring agent, alert policies and uptime checks (tier 2+). */
    readonly monitoring: boolean;
}

// One database size for every tier that has one: resizing is in place, but DigitalOcean cannot shrink a
// node, so a downgrade must never ask for a smaller plan; and 2 GB is the smallest plan that allows
// standby nodes, so database.standbyNodes works on every tier without a resize.
const DATABASE_SIZE = "db-s-1vcpu-2gb";

export const TIER_PROFILES: Readonly<Record<Tier, TierProfile>> = {
    0: {
        title: "simple",
        web: { count: 1, size: "s-1vcpu-2gb" },
        staticAssets: false,
        firewalls: false,
        tls: false,
        monitoring: false,
    },
    1: {
        title: "distributed",
        web: { count: 2, size: "s-1vcpu-1gb" },
        loadBalancer: { count: 1, sizeUnit: 1 },
        database: { size: DATABASE_SIZE, standbyNodes: 0, readReplicas: 1 },
        staticAssets: false,
        firewalls: false,
        tls: false,
        monitoring: false,
    },
    2: {
        title: "secured and monitored",
        web: { count: 2, size: "s-1vcpu-1gb" },
        app: { count: 2, size: "s-1vcpu-2gb" },
        loadBalancer: { count: 1, sizeUnit: 1 },
        database: { size: DATABASE_SIZE, standbyNodes: 0, readReplicas: 1 },
        staticAssets: false,
        firewalls: true,
        tls: true,
        monitoring: true,
    },
    3: {
        title: "scale-up",
        web: { count: 4, size: "s-1vcpu-1gb" },
        app: { count: 4, size: "s-1vcpu-2gb" },
        loadBalancer: { count: 2, sizeUnit: 1 },
        database: { size: DATABASE_SIZE, standbyNodes: 0, readReplicas: 2 },
        cache: { size: "db-s-1vcpu-1gb" },
        staticAssets: true,
        firewalls: true,
        tls: true,
        monitoring: true,
    },
};
