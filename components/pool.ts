// A pool of one role's droplets as the settings ask for it: a fixed count (ServerPool) or a DigitalOcean
// autoscale pool (AutoscalePool). The web pool (WebStack) and the app pool (AppTier) are both made here.
import type * as pulumi from "@pulumi/pulumi";
import { AutoscalePool } from "./autoscalePool";
import { type DropletSpec, ServerPool } from "./serverPool";
import type { PoolSettings } from "./settings/stackSettings";

/** A pool of one role: fixed droplets, or a DigitalOcean autoscale pool. */
export type Pool = { kind: "fixed"; pool: ServerPool } | { kind: "autoscale"; pool: AutoscalePool };

export interface PoolArgs extends Omit<DropletSpec, "size"> {
    /** How many droplets of which size, or the autoscale pool's bounds. */
    readonly settings: PoolSettings;
    /** The DigitalOcean project an autoscale pool's members join. */
    readonly projectId?: pulumi.Input<string>;
}

/** The pool `name` of a role: a ServerPool for a fixed count, an AutoscalePool when the settings autoscale. */
export function createPool(name: string, args: PoolArgs, opts: pulumi.ComponentResourceOptions): Pool {
    const { settings, projectId, monitoring, protect, backups, gate, ...droplet } = args;
    const spec = { ...droplet, size: settings.size };
    // DigitalOcean replaces an autoscale pool's members itself: its gate can only report, after the pool's own step.
    const hooks = gate && { afterCreate: [gate], afterUpdate: [gate] };
    return settings.autoscale
        ? {
              kind: "autoscale",
              pool: new AutoscalePool(name, { ...spec, autoscale: settings.autoscale, projectId, hooks }, opts),
          }
        : {
              kind: "fixed",
              pool: new ServerPool(name, { ...spec, count: settings.count, monitoring, protect, backups, gate }, opts),
          };
}

/** The droplets of a fixed pool (none for an autoscale pool, whose members are not the stack's resources). */
export const fixedDroplets = (p?: Pool) => (p?.kind === "fixed" ? p.pool.droplets : []);

/** A fixed pool's gate Stash, as a list for dependsOn (empty for an ungated or autoscale pool). */
export const fixedGates = (p?: Pool): pulumi.Stash[] => (p?.kind === "fixed" && p.pool.gate ? [p.pool.gate] : []);

/**
 * What waits for a pool to serve depends on these: a gated fixed pool's gate Stash (created or updated once every new
 * droplet passed), an ungated one's droplets, or the autoscale pool itself (its gate runs after its step).
 */
export const gatedResources = (p?: Pool): pulumi.Resource[] =>
    p === undefined ? [] : p.kind === "autoscale" ? [p.pool.pool] : p.pool.gate ? [p.pool.gate] : p.pool.droplets;
