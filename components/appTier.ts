import * as pulumi from "@pulumi/pulumi";
import { adoptedBy } from "./adoption";
import { LoadBalancers } from "./loadBalancers";
import { type Pool, type PoolArgs, createPool } from "./pool";
import type { PoolSettings } from "./settings/stackSettings";
import { isPort, requireValidArgs } from "./validate";

/** The app droplets as a pool (their user data included), and what the internal load balancer needs of the app. */
export interface AppTierArgs extends Omit<PoolArgs, "settings" | "protect" | "backups"> {
    /** How many app droplets of which size, or the autoscale pool's bounds. */
    readonly pool: PoolSettings;
    /** The app role's tag (among `tags`): the internal load balancer targets it, so new droplets join untouched. */
    readonly tag: pulumi.Input<string>;
    /** The port the app listens on, 1 to 65535: the internal load balancer's entry and target. */
    readonly port: number;
    /** The path the app answers with 2xx when it serves: the internal load balancer's health check. */
    readonly healthPath: string;
}

/**
 * The app pool of tier 2 and above: droplets (fixed or autoscaled) that run only the app container, behind an
 * internal load balancer that the web droplets' nginx proxies to.
 */
export class AppTier extends pulumi.ComponentResource {
    readonly pool: Pool;
    /** The internal load balancer in front of the pool. */
    readonly loadBalancer: LoadBalancers;

    constructor(name: string, args: AppTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:AppTier", name, {}, opts);
        requireValidArgs(this, "AppTier", name, [isPort("port", args.port)]);
        // These were WebStack's own children: aliased to it, so every URN is kept (adoption.ts).
        const adopted = adoptedBy(this, opts);
        const { pool, tag, port, healthPath, projectId, ...droplet } = args;
        this.pool = createPool(`${name}-app`, { ...droplet, settings: pool, projectId }, adopted);
        // nginx reaches the app pool through this load balancer rather than the app droplets' private addresses,
        // because user data forces replacement: listing app IPs in the web servers' cloud-init would replace every
        // web droplet whenever the app pool is resized (or autoscaled).
        this.loadBalancer = new LoadBalancers(
            `${name}-app-lb`,
            {
                count: 1,
                sizeUnit: 1,
                region: args.region,
                vpcUuid: args.vpcUuid,
                network: "INTERNAL",
                targetTag: tag,
                targetPort: port,
                entryPort: port,
                // Layer 4, so the public load balancer's X-Forwarded-Proto/-For pass through untouched
                // (an HTTP-mode LB sets its own; with TCP or passthrough "you can't add or modify HTTP headers",
                // docs.digitalocean.com/products/networking/load-balancers/how-to/ssl-passthrough/).
                forwarding: "tcp",
                // The check still speaks HTTP to the app's health path: the health check's protocol is independent
                // of the forwarding rules (provider schema: healthcheck.protocol http|https|tcp, path).
                healthcheck: { protocol: "http", path: healthPath },
            },
            adopted,
        );
        this.registerOutputs({ pool: this.pool.pool, loadBalancer: this.loadBalancer });
    }
}
