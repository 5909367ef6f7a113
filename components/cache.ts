import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { requireValidArgs } from "./validate";

export const VALKEY_VERSION = "8";

export interface CacheArgs {
    /** Valkey plan slug, e.g. "db-s-1vcpu-1gb". */
    readonly size: string;
    readonly region: string;
    readonly vpcUuid: pulumi.Input<string>;
    readonly tags: pulumi.Input<string>[];
    /** Droplet tags allowed to connect (the app servers). */
    readonly trustedTags: pulumi.Input<string>[];
    /** Protects the cluster from deletion and replacement (the stack passes `database.protect`). */
    readonly protect: boolean;
}

/**
 * A single-node managed Valkey cache (tier 3) reachable only from the app servers. Losing it slows the
 * site but does not take it down, so one node is the default. Redis is closed to new clusters; Valkey replaces it.
 */
export class Cache extends pulumi.ComponentResource {
    readonly cluster: digitalocean.DatabaseCluster;
    readonly firewall: digitalocean.DatabaseFirewall;
    /** Logical names of the children that hold data. */
    readonly dataResourceNames: string[];

    constructor(name: string, args: CacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Cache", name, {}, opts);
        requireValidArgs(this, "Cache", name, [
            [
                args.trustedTags.length > 0,
                "trustedTags: at least one droplet tag is required, or no app server can reach the cache; got none.",
            ],
        ]);
        this.cluster = new digitalocean.DatabaseCluster(
            `${name}-cluster`,
            {
                engine: "valkey",
                version: VALKEY_VERSION,
                size: args.size,
                region: args.region,
                nodeCount: 1,
                privateNetworkUuid: args.vpcUuid,
                tags: args.tags,
                evictionPolicy: "allkeys_lru",
            },
            { parent: this, protect: args.protect },
        );
        this.dataResourceNames = [`${name}-cluster`];
        this.firewall = new digitalocean.DatabaseFirewall(
            `${name}-firewall`,
            { clusterId: this.cluster.id, rules: args.trustedTags.map((value) => ({ type: "tag", value })) },
            { parent: this },
        );
        this.registerOutputs({
            cluster: this.cluster,
            firewall: this.firewall,
            dataResourceNames: this.dataResourceNames,
        });
    }
}
