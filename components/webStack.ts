import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { AppTier } from "./appTier";
import { dataLossMessage, lostDataResources } from "./dataLossGuard";
import { DataTier } from "./dataTier";
import { Dns } from "./dns";
import { Edge } from "./edge";
import { Firewalls } from "./firewalls";
import { appHost, haproxyHost, hostUserData, monitorHost, webHost } from "./hostRoles";
import { stackTags } from "./naming";
import { Network } from "./network";
import { Observability } from "./observability";
import { createPool, fixedDroplets } from "./pool";
import { formatProblems } from "./problems";
import { parseSettings } from "./settings/stackConfig";
import { ConfigError, type StackSettings } from "./settings/stackSettings";
import { TIER_PROFILES } from "./settings/tiers";
import { StaticAssets } from "./staticAssets";
import type { WebStackArgs } from "./webStackArgs";

export type { WebStackArgs };

export const WEB_PORT = 80;

/** The tags of a stack, each created once: the ones every resource carries, and one per role the stack has. */
interface Tags {
    readonly common: pulumi.Output<string>[];
    readonly web: pulumi.Output<string>;
    readonly app?: pulumi.Output<string>;
    readonly lb?: pulumi.Output<string>;
    readonly monitor?: pulumi.Output<string>;
    readonly db?: pulumi.Output<string>;
    readonly cache?: pulumi.Output<string>;
    readonly logs?: pulumi.Output<string>;
}

/**
 * The whole site for one stack: its VPC and tags, the data tier (managed MySQL, cache, log store), the app tier
 * (from tier 2), the web pool, the edge (load balancers or HAProxy droplets, TLS), observability (QPS monitor,
 * alerts), firewalls, static assets, DNS and a DigitalOcean project grouping it all. What exists follows the
 * settings the tier resolved to (components/settings/tiers.ts).
 */
export class WebStack extends pulumi.ComponentResource {
    readonly url: string;
    readonly loadBalancerIps: pulumi.Output<string>[];
    readonly dropletIps: pulumi.Output<string>[];
    readonly databaseHost?: pulumi.Output<string>;
    readonly databaseUri?: pulumi.Output<string>;
    readonly dnsRecords: pulumi.Output<string[]>;
    /** Secret: the app's `--env-file` secrets (DATABASE_PASSWORD, CACHE_PASSWORD) to deliver to app droplets. */
    readonly appSecretsEnv?: pulumi.Output<string>;
    readonly cdnEndpoint?: pulumi.Output<string>;
    /** OpenSearch Dashboards of the log store, where logs are searched (when the stack collects logs). */
    readonly logsDashboardsUrl?: pulumi.Output<string>;
    /** Secret: the Dashboards login's password. */
    readonly logsDashboardsPassword?: pulumi.Output<string>;
    /**
     * Logical names of the resources that hold data (database cluster, replicas, cache, bucket); resolves only
     * once the data-loss guard has passed, so exporting it makes a refused update fail.
     */
    readonly dataResources: pulumi.Output<string[]>;

    constructor(name: string, args: WebStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:WebStack", name, {}, opts);
        const { project: projectName = "webstack", previousDataResources, ...config } = args;
        const s = settingsOf(this, name, config);
        const child = { parent: this };
        // Autoscale members join the stack's project through their template; the Project itself is created last,
        // since it lists the stack's other resources (no cycle: it lists no autoscale pool).
        const [projectId, resolveProjectId] = pulumi.deferredOutput<string>();
        const tags = createTags(this, name, projectName, s);
        const description = `webstack ${s.stack} (tier ${s.tier})`;
        const network = new Network(`${name}-network`, { region: s.region, ipRange: s.vpcIpRange, description }, child);
        const base = { region: s.region, vpcUuid: network.vpc.id, sshKeys: s.sshKeys };

        // The monitor scrapes the cluster's metrics endpoint (whether trusted sources gate port 9273 is unverified).
        const dbTrusted = s.firewalls && tags.app ? [tags.app, tags.monitor].flatMap((t) => t ?? []) : [];
        const data =
            (s.database || s.logs) &&
            new DataTier(
                name,
                {
                    region: s.region,
                    vpcUuid: base.vpcUuid,
                    tags: tags.common,
                    protect: s.database?.protect ?? true,
                    database: s.database && tags.db && { ...s.database, tag: tags.db, trustedTags: dbTrusted },
                    cache: s.cache &&
                        tags.cache &&
                        tags.app && { ...s.cache, tag: tags.cache, trustedTags: [tags.app] },
                    logs: s.logs &&
                        tags.logs && {
                            ...s.logs,
                            tag: tags.logs,
                            trustedTags: [tags.web, tags.app, tags.lb, tags.monitor].flatMap((t) => t ?? []),
                        },
                },
                child,
            );
        const { database, cache, logs } = data || {};

        const appTier =
            s.appPool && tags.app && database
                ? new AppTier(
                      name,
                      {
                          ...base,
                          pool: s.appPool,
                          tags: [...tags.common, tags.app],
                          tag: tags.app,
                          monitoring: s.monitoring,
                          port: s.app.port,
                          healthPath: s.app.healthPath,
                          projectId,
                          ...hostUserData(appHost(s, { database, cache, logs })),
                      },
                      child,
                  )
                : undefined;
        const upstream = appTier?.loadBalancer.loadBalancers[0].ip;
        // Tier 0 runs MySQL on its one droplet: that droplet holds the data, so it is protected (unless this update
        // allows data loss) and listed among the data resources, which the data-loss guard watches.
        const webHoldsData = !s.database && !s.allowDataLoss;
        const webPool = createPool(
            `${name}-web`,
            {
                ...base,
                settings: s.web,
                tags: [...tags.common, tags.web],
                monitoring: s.monitoring,
                protect: webHoldsData,
                backups: s.web.backups,
                projectId,
                ...hostUserData(webHost(s, WEB_PORT, { database, logs }, upstream)),
            },
            child,
        );
        // Never deleted: a live domain.
        const zone =
            s.dns.zone === "create"
                ? new digitalocean.Domain(`${name}-zone`, { name: s.domain }, { ...child, retainOnDelete: true })
                : undefined;

        const edge =
            s.loadBalancer &&
            new Edge(
                name,
                {
                    ...base,
                    balancer: s.loadBalancer,
                    web: { tag: tags.web, port: WEB_PORT, healthPath: s.app.healthPath },
                    tls: s.certificate && { domain: s.domain, certificate: s.certificate, zone },
                    // A custom certificate reaches HAProxy in secret user data (the config parser refuses it with
                    // secrets.delivery "manual"); Let's Encrypt is obtained on the droplets by certbot.
                    haproxy: tags.lb && {
                        ...base,
                        tags: [...tags.common, tags.lb],
                        monitoring: s.monitoring,
                        ...hostUserData(haproxyHost(s, fixedDroplets(webPool), WEB_PORT, logs)),
                    },
                },
                child,
            );
        const publicLbs = edge?.loadBalancers?.loadBalancers ?? [];
        const allLbs = [...publicLbs, ...(appTier?.loadBalancer.loadBalancers ?? [])];

        this.url = `${s.certificate ? "https" : "http"}://${s.domain}`;
        const zoneName = zone?.id ?? s.domain;
        const autoscaledWeb = webPool.kind === "autoscale";
        const monitor = s.logs &&
            logs && {
                ...base,
                size: s.logs.monitorSize,
                tags: [...tags.common, ...(tags.monitor ? [tags.monitor] : [])],
                monitoring: s.monitoring,
                web: autoscaledWeb ? ("autoscale" as const) : fixedDroplets(webPool),
                ...hostUserData(monitorHost(s, { database, logs }, autoscaledWeb, this)),
            };
        const alerts = s.monitoring
            ? {
                  dropletTags: [tags.web, tags.app, tags.lb, tags.monitor].flatMap((t) => t ?? []),
                  loadBalancerIds: allLbs.map((lb) => lb.id),
                  databaseIds: [database, cache, logs].flatMap((c) => (c ? [c.cluster.id] : [])),
                  url: this.url,
                  targets: s.alerts,
              }
            : undefined;
        const observability =
            monitor || alerts ? new Observability(name, { zone: zoneName, monitor, alerts }, child) : undefined;

        if (s.firewalls) {
            const appLbs = appTier?.loadBalancer.loadBalancers;
            const lbIds = (lbs: readonly digitalocean.LoadBalancer[]) => lbs.map((lb) => lb.id);
            new Firewalls(
                `${name}-firewall`,
                {
                    adminCidrs: s.adminCidrs,
                    web: {
                        tag: tags.web,
                        port: WEB_PORT,
                        from: tags.lb ? { tag: tags.lb } : { loadBalancers: lbIds(publicLbs) },
                        scrapedBy: autoscaledWeb ? undefined : tags.monitor,
                    },
                    app: tags.app && appLbs && { tag: tags.app, port: s.app.port, loadBalancers: lbIds(appLbs) },
                    monitor: tags.monitor && { tag: tags.monitor, pushedFrom: autoscaledWeb ? tags.web : undefined },
                    haproxy: tags.lb && { tag: tags.lb },
                },
                child,
            );
        }
        const staticAssets = s.staticAssets
            ? new StaticAssets(`${name}-static`, { region: s.region, protect: s.database?.protect ?? true }, child)
            : undefined;

        const droplets = [
            ...fixedDroplets(webPool),
            ...fixedDroplets(appTier?.pool),
            ...(edge?.haproxy?.droplets ?? []),
        ];
        // What the public reaches: the edge (load balancers or HAProxy's reserved IPs), or (tier 0) the droplet itself.
        const entryPoints = edge ? edge.addresses : fixedDroplets(webPool).map((d) => d.ipv4Address);
        this.dnsRecords = new Dns(
            `${name}-dns`,
            { zone: zoneName, addresses: entryPoints, records: s.dns.records },
            child,
        ).managed;

        const project = new digitalocean.Project(
            `${name}-project`,
            {
                name: stackTags(projectName, s.stack).stack,
                description: `webstack stack "${s.stack}", tier ${s.tier} (${TIER_PROFILES[s.tier].title})`,
                purpose: "Web Application",
                environment: s.environment,
                resources: [
                    ...[...droplets, ...(observability?.monitor?.droplets ?? [])].map((d) => d.dropletUrn),
                    ...allLbs.map((lb) => lb.loadBalancerUrn),
                    ...[database, cache, logs].flatMap((c) => (c ? [c.cluster.clusterUrn] : [])),
                    ...(staticAssets ? [staticAssets.bucket.bucketUrn] : []),
                    ...(zone ? [zone.domainUrn] : []),
                ],
            },
            child,
        );
        resolveProjectId(project.id);

        const dataResources = [
            ...(!s.database && webPool.kind === "fixed" ? webPool.pool.dropletNames : []),
            ...(data ? data.dataResourceNames : []),
            ...(staticAssets?.dataResourceNames ?? []),
        ];
        this.dataResources = pulumi.output(previousDataResources).apply((previous) => {
            const lost = lostDataResources(previous, dataResources);
            if (lost.length > 0 && !s.allowDataLoss)
                throw new pulumi.ResourceError(dataLossMessage(s.stack, s.tier, lost), this, true);
            return dataResources;
        });

        this.loadBalancerIps = edge ? entryPoints : [];
        this.dropletIps = droplets.map((d) => d.ipv4Address);
        this.databaseHost = database?.cluster.privateHost;
        this.databaseUri = database && pulumi.secret(database.cluster.privateUri);
        this.appSecretsEnv =
            database &&
            pulumi.secret(
                pulumi
                    .all([database.appUser.password, cache ? cache.cluster.password : undefined])
                    .apply(([db, c]) => `DATABASE_PASSWORD=${db}\n${c === undefined ? "" : `CACHE_PASSWORD=${c}\n`}`),
            );
        this.cdnEndpoint = staticAssets?.cdn.endpoint;
        this.logsDashboardsUrl = logs?.dashboardsUrl;
        this.logsDashboardsPassword = logs && pulumi.secret(logs.cluster.uiPassword);
        this.registerOutputs({
            url: this.url,
            loadBalancerIps: this.loadBalancerIps,
            dropletIps: this.dropletIps,
            databaseHost: this.databaseHost,
            databaseUri: this.databaseUri,
            appSecretsEnv: this.appSecretsEnv,
            cdnEndpoint: this.cdnEndpoint,
            dnsRecords: this.dnsRecords,
            logsDashboardsUrl: this.logsDashboardsUrl,
            logsDashboardsPassword: this.logsDashboardsPassword,
            dataResources: this.dataResources,
        });
    }
}

/**
 * The settings WebStack builds from: its args (every stack config key, decoded) checked by the stack config's own
 * parser, every problem reported at once under the component's heading, as a ResourceError without a stack trace.
 * Secret keys count as encrypted: args are never stored in a stack file in plain text.
 */
function settingsOf(resource: pulumi.Resource, name: string, config: object): StackSettings {
    try {
        return parseSettings(pulumi.getStack(), config as Record<string, unknown>, new Set(Object.keys(config)));
    } catch (err) {
        if (!(err instanceof ConfigError)) throw err;
        const heading = `Invalid arguments for WebStack "${name}":`;
        throw new pulumi.ResourceError(`${heading}\n${formatProblems(err.problems)}`, resource, true);
    }
}

/** The stack's tags, each created once, before anything that carries it. */
function createTags(parent: pulumi.Resource, name: string, project: string, s: StackSettings): Tags {
    const names = stackTags(project, s.stack);
    const tag = (key: string, value: string, keep = false) =>
        new digitalocean.Tag(`${name}-tag-${key}`, { name: value }, { parent, retainOnDelete: keep }).name;
    const role = (key: string, present: unknown) => (present ? tag(key, names.role(key)) : undefined);
    return {
        // The project tag is shared by every stack: no destroy may delete it (StackTags.project).
        common: [tag("project", names.project, true), tag("stack", names.stack)],
        web: tag("web", names.role("web")),
        app: role("app", s.appPool),
        lb: role("lb", s.loadBalancer?.engine === "haproxy"),
        monitor: role("monitor", s.logs),
        db: role("db", s.database),
        cache: role("cache", s.cache && s.appPool),
        logs: role("logs", s.logs),
    };
}
