import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { LOG_INDEX_PREFIX, type LogShipping } from "./hostConfig/logShipper";
import { LIMITS } from "./settings/limits";
import { inBounds, requireValidArgs } from "./validate";

export const OPENSEARCH_VERSION = "2";
/** The user the droplets' shippers and the database log sinks write as. */
export const LOG_WRITER_USER = "log-writer";

export interface LogStoreArgs {
    /** OpenSearch plan slug of the one-node cluster, e.g. "db-s-1vcpu-2gb". */
    readonly size: string;
    readonly region: string;
    /** The VPC the cluster lives in for good (changing it replaces the cluster). */
    readonly vpcUuid: pulumi.Input<string>;
    readonly tags: pulumi.Input<string>[];
    /**
     * Droplet tags allowed to connect: every role whose droplets ship their logs here (web, app, HAProxy's lb) and
     * the monitor, which ships its own journal. Never empty.
     */
    readonly trustedTags: pulumi.Input<string>[];
    /** Managed database clusters whose logs are forwarded, by role ("mysql", "valkey"): one sink each. */
    readonly sources: readonly { readonly role: string; readonly clusterId: pulumi.Input<string> }[];
    /** Days the database log sinks keep, 1 to 10,000. */
    readonly indexDaysMax: number;
    /** Protects the cluster from deletion and replacement (database.protect). */
    readonly protect: boolean;
    /** Sink names must be unique per cluster and short (see below); the stack's name keeps them apart. */
    readonly sinkNamePrefix: string;
}

/**
 * Where the database log sinks connect from. "When forwarding logs to a DigitalOcean Managed OpenSearch cluster with
 * trusted sources enabled, you must manually allow-list the IP addresses of your database cluster nodes"
 * (terraform-provider-digitalocean@401992a1 docs/resources/database_logsink_opensearch.md:125-126). No trusted-source
 * rule names a cluster (types droplet, k8s, ip_addr, tag, app: digitalocean/openapi@7c1300c
 * specification/resources/databases/models/firewall_rule.yml:15-22), the API exposes no node addresses, and nodes are
 * replaced on failover (docs.digitalocean.com/products/databases/opensearch/details/notifications, "primary node
 * replacement"). The clusters live in the stack's VPC and the sinks write to the store's private host, so they
 * connect from VPC addresses: the VPC's range, which trusted sources accept ("Enter specific IP addresses or CIDR
 * notations", docs.digitalocean.com/products/databases/postgresql/how-to/secure), is the narrowest rule that stays
 * true. It admits the rest of the VPC too, all of it the stack's own unless the VPC is the region's default
 * (docs/troubleshooting.md). The range is read back from DigitalOcean, which allocates it when none is set.
 */
function sinkSourceRange(vpcUuid: pulumi.Input<string>, parent: pulumi.Resource): pulumi.Output<string> {
    return digitalocean.getVpcOutput({ id: vpcUuid }, { parent }).ipRange;
}

/**
 * The stack's one searchable log store (tier 2+ or `logs.enabled`): a one-node DigitalOcean Managed
 * OpenSearch cluster in the VPC, trusted by the stack's droplet tags and, when databases forward their logs, by
 * the VPC's range, with OpenSearch Dashboards; a write-only user for the shippers and sinks; and a log sink from
 * each managed database cluster.
 */
export class LogStore extends pulumi.ComponentResource {
    readonly cluster: digitalocean.DatabaseCluster;
    readonly firewall: digitalocean.DatabaseFirewall;
    readonly writer: digitalocean.DatabaseUser;
    readonly sinks: digitalocean.DatabaseLogsinkOpensearch[];
    /** Secret: where and as whom a droplet's shipper writes (the password included). */
    readonly shipping: pulumi.Output<LogShipping>;
    /** Where and as whom to ship, without the password (an operator delivers it: `secrets.delivery: manual`). */
    readonly shippingWithoutPassword: pulumi.Output<LogShipping>;
    /** Logical names of the children that hold data. */
    readonly dataResourceNames: string[];
    /** OpenSearch Dashboards (the control panel's "OpenSearch Dashboard" link opens the same). */
    readonly dashboardsUrl: pulumi.Output<string>;

    constructor(name: string, args: LogStoreArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:LogStore", name, {}, opts);
        requireValidArgs(this, "LogStore", name, [
            inBounds("indexDaysMax", args.indexDaysMax, LIMITS.logIndexDays),
            [
                args.trustedTags.length > 0,
                "trustedTags: at least one droplet tag is required, or no shipper can reach the store; got none.",
            ],
            // DigitalOcean's reference architecture notes a ~24 character limit on sink names
            // (digitalocean/scale-with-simplicity doks-dbaas-observability database-logsinks.tf); "-valkey" is the longest suffix.
            [
                /^[a-z0-9-]{1,17}$/.test(args.sinkNamePrefix),
                `sinkNamePrefix: must be 1 to 17 lower-case letters, digits or "-"; got "${args.sinkNamePrefix}".`,
            ],
        ]);
        this.cluster = new digitalocean.DatabaseCluster(
            `${name}-cluster`,
            {
                engine: "opensearch",
                version: OPENSEARCH_VERSION,
                size: args.size,
                region: args.region,
                // OpenSearch has no standby nodes ("Kafka and OpenSearch do not support standby nodes", DO docs):
                // high availability would be 3 nodes of db-s-2vcpu-4gb or more. Logs are not on the request path.
                nodeCount: 1,
                privateNetworkUuid: args.vpcUuid,
                tags: args.tags,
            },
            { parent: this, protect: args.protect },
        );
        // Logs are data like any other cluster's: a tier change that drops the store passes the data-loss guard.
        this.dataResourceNames = [`${name}-cluster`];
        this.firewall = new digitalocean.DatabaseFirewall(
            `${name}-firewall`,
            {
                clusterId: this.cluster.id,
                rules: [
                    ...args.trustedTags.map((value) => ({ type: "tag", value })),
                    ...(args.sources.length > 0
                        ? [{ type: "ip_addr", value: sinkSourceRange(args.vpcUuid, this) }]
                        : []),
                ],
            },
            { parent: this },
        );
        // Least privilege: `write` on the logs-* indices only (API models/user_settings.yml `opensearch_acl`,
        // permission deny|admin|read|readwrite|write; provider resource_database_user.go). The doadmin account
        // stays with the operator; the Dashboards login is the cluster's ui user.
        this.writer = new digitalocean.DatabaseUser(
            `${name}-writer`,
            {
                clusterId: this.cluster.id,
                name: LOG_WRITER_USER,
                settings: [{ opensearchAcls: [{ index: `${LOG_INDEX_PREFIX}*`, permission: "write" }] }],
            },
            { parent: this },
        );
        const ca = digitalocean.getDatabaseCaOutput({ clusterId: this.cluster.id }, { parent: this });
        this.shipping = pulumi.secret(
            pulumi
                .all([
                    this.cluster.privateHost,
                    this.cluster.port,
                    this.writer.name,
                    this.writer.password,
                    ca.certificate,
                ])
                .apply(([host, port, user, password, caCertificate]): LogShipping => ({
                    host,
                    port,
                    user,
                    password,
                    caCertificate,
                })),
        );
        this.shippingWithoutPassword = pulumi
            .all([this.cluster.privateHost, this.cluster.port, this.writer.name, ca.certificate])
            .apply(([host, port, user, caCertificate]): LogShipping => ({ host, port, user, caCertificate }));
        // The provider does not mark `endpoint` secret (its credentials are in the URL): wrap it.
        const endpoint = pulumi.secret(
            pulumi
                .all([this.cluster.privateHost, this.cluster.port, this.writer.name, this.writer.password])
                .apply(
                    ([host, port, user, password]) =>
                        `https://${encodeURIComponent(user)}:${encodeURIComponent(password)}@${host}:${port}`,
                ),
        );
        this.sinks = args.sources.map(
            (source) =>
                new digitalocean.DatabaseLogsinkOpensearch(
                    `${name}-sink-${source.role}`,
                    {
                        clusterId: source.clusterId,
                        // Set explicitly and kept stable: an auto-name can pass the length limit, and a new name
                        // replaces the sink.
                        name: `${args.sinkNamePrefix}-${source.role}`,
                        endpoint,
                        indexPrefix: `${LOG_INDEX_PREFIX}${source.role}`,
                        indexDaysMax: args.indexDaysMax,
                        // The API accepts 10 to 120 seconds (models/logsink/opensearch_logsink.yml `timeout`).
                        timeoutSeconds: 30,
                        caCert: ca.certificate,
                    },
                    { parent: this },
                ),
        );
        this.dashboardsUrl = pulumi.interpolate`https://${this.cluster.uiHost}:${this.cluster.uiPort}`;
        this.registerOutputs({
            cluster: this.cluster,
            firewall: this.firewall,
            writer: this.writer,
            sinks: this.sinks,
            shipping: this.shipping,
            shippingWithoutPassword: this.shippingWithoutPassword,
            dataResourceNames: this.dataResourceNames,
            dashboardsUrl: this.dashboardsUrl,
        });
    }
}
