import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { LIMITS } from "./settings/limits";
import { inBounds, requireValidArgs } from "./validate";

export const MYSQL_VERSION = "8";

export interface DatabaseArgs {
    /** Plan slug for the primary, its standby nodes and the read replicas, e.g. "db-s-1vcpu-2gb". */
    readonly size: string;
    /** Standby nodes, 0 to 2: automatic failover; needs a plan with at least 2 GB of memory. */
    readonly standbyNodes: number;
    /** Read-only replicas, 0 to 5: read scaling, not failover. */
    readonly readReplicas: number;
    readonly region: string;
    /** The VPC the cluster lives in for good (changing it replaces the cluster). */
    readonly vpcUuid: pulumi.Input<string>;
    /** Tags for the cluster and replicas. Replica tags force replacement: keep them the same on every tier. */
    readonly tags: pulumi.Input<string>[];
    /** Droplet tags allowed to connect; when empty no database firewall is created and any host may try to connect (tier 1). */
    readonly trustedTags: pulumi.Input<string>[];
    /**
     * What the firewalls (the primary's and the replicas') wait for before they are created or changed: the droplets
     * that must reach the database before the rules apply to them, e.g. the new app droplets of a tier upgrade, whose
     * readiness gates hold them until they serve. May be an Output that resolves after the cluster is declared: the
     * SDK awaits it before it registers the firewalls (@pulumi/pulumi 3.248.0 runtime/dependsOn.js:35-42). @default []
     */
    readonly firewallDependsOn?: pulumi.Input<pulumi.Input<pulumi.Resource>[]>;
    /** Protects the cluster and replicas from `pulumi destroy` and replacement (the stack passes `database.protect`, true unless set). */
    readonly protect: boolean;
}

/** Said on every run with a managed database: the app user's privileges are the one thing DigitalOcean will not narrow. */
export const APP_USER_PRIVILEGES_WARNING =
    `MySQL user "app" gets the doadmin user's privileges on every database of the cluster (DigitalOcean's default for new users; neither its API nor the provider can grant less). ` +
    `Restrict it once as doadmin: REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'app'@'%'; GRANT SELECT, INSERT, UPDATE, DELETE, CREATE, ALTER, INDEX, DROP, REFERENCES ON app.* TO 'app'@'%'; (docs/serving.md, "Least privilege").`;

/**
 * Managed MySQL: a primary (plus standby nodes when asked), read replicas, the app's database and user,
 * and, from tier 2, database firewalls on the primary and on every replica that trust only the given tags. Every
 * force-new input (engine, name, VPC, replica tags) is the same on every tier, so a tier change never replaces data.
 */
export class Database extends pulumi.ComponentResource {
    readonly cluster: digitalocean.DatabaseCluster;
    readonly replicas: digitalocean.DatabaseReplica[];
    readonly appDatabase: digitalocean.DatabaseDb;
    readonly appUser: digitalocean.DatabaseUser;
    readonly firewall?: digitalocean.DatabaseFirewall;
    /** One per replica, with the primary's rules (a replica is a cluster of its own, open until it has one). */
    readonly replicaFirewalls: digitalocean.DatabaseFirewall[];
    /** Logical names of the children that hold data (the cluster and its replicas). */
    readonly dataResourceNames: string[];

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Database", name, {}, opts);
        requireValidArgs(this, "Database", name, [
            inBounds("standbyNodes", args.standbyNodes, LIMITS.standbyNodes),
            inBounds("readReplicas", args.readReplicas, LIMITS.readReplicas),
        ]);
        const data = { parent: this, protect: args.protect };
        this.cluster = new digitalocean.DatabaseCluster(
            `${name}-cluster`,
            {
                engine: "mysql",
                version: MYSQL_VERSION,
                size: args.size,
                region: args.region,
                nodeCount: 1 + args.standbyNodes,
                privateNetworkUuid: args.vpcUuid,
                tags: args.tags,
            },
            data,
        );
        this.replicas = Array.from(
            { length: args.readReplicas },
            (_, i) =>
                new digitalocean.DatabaseReplica(
                    `${name}-replica-${i}`,
                    {
                        clusterId: this.cluster.id,
                        size: args.size,
                        region: args.region,
                        privateNetworkUuid: args.vpcUuid,
                        tags: args.tags,
                    },
                    data,
                ),
        );
        this.dataResourceNames = [`${name}-cluster`, ...this.replicas.map((_, i) => `${name}-replica-${i}`)];
        this.appDatabase = new digitalocean.DatabaseDb(
            `${name}-app`,
            { clusterId: this.cluster.id, name: "app" },
            { parent: this },
        );
        this.appUser = new digitalocean.DatabaseUser(
            `${name}-app-user`,
            { clusterId: this.cluster.id, name: "app" },
            { parent: this },
        );
        // "New users will receive the permissions of the doadmin user by default"
        // (docs.digitalocean.com/products/databases/mysql/how-to/manage-users-and-databases). The API and the provider
        // cannot grant less: DatabaseUser takes only mysqlAuthPlugin and `settings` ACLs, which are Kafka topic and
        // OpenSearch index ACLs (@pulumi/digitalocean 4.80.1 types: DatabaseUserSetting.acls, .opensearchAcls).
        pulumi.log.warn(APP_USER_PRIVILEGES_WARNING, this.appUser);
        const rules = args.trustedTags.map((value) => ({ type: "tag", value }));
        if (rules.length > 0) {
            this.firewall = new digitalocean.DatabaseFirewall(
                `${name}-firewall`,
                { clusterId: this.cluster.id, rules },
                { parent: this, dependsOn: args.firewallDependsOn },
            );
        }
        // A read replica has trusted sources of its own: the primary's firewall does not cover it. The provider
        // firewalls a replica through the replica's `uuid` as the cluster id (terraform-provider-digitalocean@401992a1
        // docs/resources/database_replica.md:34-42 "Create firewall rule for database replica", :61 `uuid`;
        // docs/resources/database_firewall.md:70-97), i.e. PUT /v2/databases/{replica uuid}/firewall.
        this.replicaFirewalls =
            rules.length > 0
                ? this.replicas.map(
                      (replica, i) =>
                          new digitalocean.DatabaseFirewall(
                              `${name}-replica-${i}-firewall`,
                              { clusterId: replica.uuid, rules },
                              { parent: this, dependsOn: args.firewallDependsOn },
                          ),
                  )
                : [];
        this.registerOutputs({
            cluster: this.cluster,
            replicas: this.replicas,
            appDatabase: this.appDatabase,
            appUser: this.appUser,
            firewall: this.firewall,
            replicaFirewalls: this.replicaFirewalls,
            dataResourceNames: this.dataResourceNames,
        });
    }
}
