import * as pulumi from "@pulumi/pulumi";
import { adoptedBy } from "./adoption";
import { Cache } from "./cache";
import { Database } from "./database";
import { LogStore } from "./logStore";

/** Tags of one cluster, and the droplet tags its firewall trusts. */
interface ClusterTags {
    /** The cluster's role tag (the stack's common tags come from DataTierArgs.tags). */
    readonly tag: pulumi.Input<string>;
    readonly trustedTags: pulumi.Input<string>[];
}

export interface DataTierArgs {
    readonly region: string;
    /** The VPC every cluster lives in for good (changing it replaces them). */
    readonly vpcUuid: pulumi.Input<string>;
    /** The tags every cluster carries besides its role tag (project and stack). */
    readonly tags: pulumi.Input<string>[];
    /** Protects every cluster against deletion and replacement (`database.protect`, true unless set). */
    readonly protect: boolean;
    /** Managed MySQL (tier 1+): its plan, standby nodes and read replicas. */
    readonly database?: ClusterTags & {
        readonly size: string;
        readonly standbyNodes: number;
        readonly readReplicas: number;
        /** What the database firewalls wait for (DatabaseArgs.firewallDependsOn). */
        readonly firewallDependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    };
    /** Managed Valkey, trusted by the app servers (tier 2+). */
    readonly cache?: ClusterTags & { readonly size: string };
    /** The OpenSearch log store, fed by the other clusters' log sinks and every droplet's shipper. */
    readonly logs?: ClusterTags & { readonly size: string; readonly indexDaysMax: number };
}

/**
 * The stack's managed database clusters, each in the VPC behind a firewall that trusts droplet tags, and each
 * holding data (protected, watched by the data-loss guard): MySQL from tier 1, the Valkey cache and the
 * OpenSearch log store when the settings have them.
 */
export class DataTier extends pulumi.ComponentResource {
    readonly database?: Database;
    readonly cache?: Cache;
    readonly logs?: LogStore;
    /** Logical names of the children that hold data. */
    readonly dataResourceNames: string[];

    constructor(name: string, args: DataTierArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:DataTier", name, {}, opts);
        // These were WebStack's own children: aliased to it, so every URN is kept (adoption.ts).
        const adopted = adoptedBy(this, opts);
        const { region, vpcUuid, protect } = args;
        const tagged = (c: ClusterTags) => ({ tags: [...args.tags, c.tag], trustedTags: c.trustedTags });
        const db = args.database;
        this.database =
            db &&
            new Database(
                `${name}-db`,
                {
                    size: db.size,
                    standbyNodes: db.standbyNodes,
                    readReplicas: db.readReplicas,
                    firewallDependsOn: db.firewallDependsOn,
                    region,
                    vpcUuid,
                    protect,
                    ...tagged(db),
                },
                adopted,
            );
        this.cache =
            args.cache &&
            new Cache(
                `${name}-cache`,
                { size: args.cache.size, region, vpcUuid, protect, ...tagged(args.cache) },
                adopted,
            );
        const logs = args.logs;
        this.logs =
            logs &&
            new LogStore(
                `${name}-logs`,
                {
                    size: logs.size,
                    region,
                    vpcUuid,
                    ...tagged(logs),
                    sources: [
                        ...(this.database ? [{ role: "mysql", clusterId: this.database.cluster.id }] : []),
                        ...(this.cache ? [{ role: "valkey", clusterId: this.cache.cluster.id }] : []),
                    ],
                    indexDaysMax: logs.indexDaysMax,
                    sinkNamePrefix: "webstack",
                    protect,
                },
                adopted,
            );
        this.dataResourceNames = [this.database, this.cache, this.logs].flatMap((c) => c?.dataResourceNames ?? []);
        this.registerOutputs({
            database: this.database,
            cache: this.cache,
            logs: this.logs,
            dataResourceNames: this.dataResourceNames,
        });
    }
}
