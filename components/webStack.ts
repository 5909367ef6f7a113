import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { AutoscalePool } from "./autoscalePool";
import { Cache } from "./cache";
import { dataLossMessage, lostDataResources } from "./dataLossGuard";
import { Database } from "./database";
import { Dns } from "./dns";
import { firewallRoles } from "./firewallRoles";
import { Firewalls } from "./firewalls";
import { HaproxyBalancers } from "./haproxyBalancers";
import type { Host } from "./hostConfig/cloudInit";
import { type Pending, appHost, haproxyHost, hostUserData, webHost } from "./hostRoles";
import { LoadBalancers } from "./loadBalancers";
import type { LogStore } from "./logStore";
import { Monitoring } from "./monitoring";
import { stackTags } from "./naming";
import { Network } from "./network";
import { ServerPool } from "./serverPool";
import { PoolSettings, StackSettings } from "./settings/stackSettings";
import { TIER_PROFILES } from "./settings/tiers";
import { StaticAssets } from "./staticAssets";
import { Tls } from "./tls";
import { formatProblems } from "./problems";
import { parseSettings } from "./settings/stackConfig";
import { ConfigError } from "./settings/stackSettings";
import type { WebStackArgs } from "./webStackArgs";

export type { WebStackArgs };
import { createLogStore } from "./webStackLogs";
import { createMonitor } from "./webStackMonitor";

export const WEB_PORT = 80;

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

/** A pool of one role: fixed droplets, or a DigitalOcean autoscale pool. */
type Pool = { kind: "fixed"; pool: ServerPool } | { kind: "autoscale"; pool: AutoscalePool };
const fixedDroplets = (p?: Pool) => (p?.kind === "fixed" ? p.pool.droplets : []);

/** The tags the stack's resources carry: every resource the common ones, each role its own. */
interface Tags {
    common: pulumi.Output<string>[];
    web: pulumi.Output<string>;
    app?: pulumi.Output<string>;
    lb?: pulumi.Output<string>;
    monitor?: pulumi.Output<string>;
    db: () => pulumi.Output<string>;
    cache: () => pulumi.Output<string>;
    logs: () => pulumi.Output<string>;
}

/** What the droplets of every pool share. */
interface DropletBase {
    region: string;
    vpcUuid: pulumi.Output<string>;
    sshKeys: readonly string[];
}

/** The data tier: the managed database and cache, when the tier has them. */
interface DataTier {
    database?: Database;
    cache?: Cache;
    /** The log store the droplets ship to and the databases forward to. */
    logs?: LogStore;
}

/** The request path in front of the web pool: a managed load balancer, or HAProxy droplets. */
interface Edge {
    publicLb?: LoadBalancers;
    haproxyLbs?: HaproxyBalancers;
}

/**
 * The whole site for one stack: VPC, web (and from tier 2 app) droplet pools, load balancers (DigitalOcean's
 * or HAProxy droplets), managed MySQL, firewalls, TLS, monitoring, cache, static assets, DNS and a
 * DigitalOcean project grouping it all. What exists follows the settings the tier resolved to (components/settings/tiers.ts).
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
        // Autoscale members join the stack's project through their template; the Project itself is created last,
        // since it lists the stack's other resources (no cycle: it lists no autoscale pool).
        const [projectId, resolveProjectId] = pulumi.deferredOutput<string>();
        const child = { parent: this };
        const tags = this.createTags(name, projectName, s);
        const network = new Network(
            `${name}-network`,
            { region: s.region, ipRange: s.vpcIpRange, description: `webstack ${s.stack} (tier ${s.tier})` },
            child,
        );
        const droplet: DropletBase = { region: s.region, vpcUuid: network.vpc.id, sshKeys: s.sshKeys };

        const data = this.createDataTier(name, s, tags, droplet.vpcUuid);
        this.logsDashboardsUrl = data.logs?.dashboardsUrl;
        this.logsDashboardsPassword = data.logs && pulumi.secret(data.logs.cluster.uiPassword);
        const { webPool, appPool, appLb } = this.createPools(name, s, tags, droplet, data, projectId);
        const zone =
            s.dns.zone === "create"
                ? new digitalocean.Domain(`${name}-zone`, { name: s.domain }, { ...child, retainOnDelete: true })
                : undefined; // never deleted: a live domain
        const { publicLb, haproxyLbs } = this.createEdge(name, s, tags, droplet, webPool, zone, data.logs);
        const publicLbs = publicLb?.loadBalancers ?? [];
        const allLbs = [...publicLbs, ...(appLb?.loadBalancers ?? [])];
        const webTargets = webPool.kind === "autoscale" ? "autoscale" : webPool.pool.droplets; // autoscale members push their QPS
        const monitor = createMonitor(name, s, tags, zone?.id ?? s.domain, webTargets, data, droplet, this);

        if (s.firewalls)
            new Firewalls(
                `${name}-firewall`,
                { roles: firewallRoles(s, tags, publicLbs, appLb, WEB_PORT), adminCidrs: s.adminCidrs },
                child,
            );
        const staticAssets = s.staticAssets
            ? new StaticAssets(`${name}-static`, { region: s.region, protect: s.database?.protect ?? true }, child)
            : undefined;

        this.url = `${s.certificate ? "https" : "http"}://${s.domain}`;
        if (s.monitoring) {
            new Monitoring(
                `${name}-monitoring`,
                {
                    dropletTags: [tags.web, tags.app, tags.lb, tags.monitor].flatMap((t) => t ?? []),
                    loadBalancerIds: allLbs.map((lb) => lb.id),
                    databaseIds: [data.database, data.cache, data.logs].flatMap((c) => (c ? [c.cluster.id] : [])),
                    url: this.url,
                    targets: {
                        emails: s.alerts.emails,
                        slack: s.alerts.slack && {
                            channel: s.alerts.slack.channel,
                            url: pulumi.secret(s.alerts.slack.url),
                        },
                    },
                },
                child,
            );
        }

        const droplets = [...fixedDroplets(webPool), ...fixedDroplets(appPool), ...(haproxyLbs?.droplets ?? [])];
        // What the public reaches: HAProxy's reserved IPs, the public load balancers, or (tier 0) the droplet itself.
        const entryPoints = haproxyLbs
            ? haproxyLbs.reservedIps.map((ip) => ip.ipAddress)
            : publicLbs.length > 0
              ? publicLbs.map((lb) => lb.ip)
              : fixedDroplets(webPool).map((d) => d.ipv4Address);
        this.dnsRecords = new Dns(
            `${name}-dns`,
            { zone: zone ? zone.id : s.domain, addresses: entryPoints, records: s.dns.records },
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
                    ...[...droplets, ...(monitor?.droplets ?? [])].map((d) => d.dropletUrn),
                    ...allLbs.map((lb) => lb.loadBalancerUrn),
                    ...(data.database ? [data.database.cluster.clusterUrn] : []),
                    ...(data.cache ? [data.cache.cluster.clusterUrn] : []),
                    ...(data.logs ? [data.logs.cluster.clusterUrn] : []),
                    ...(staticAssets ? [staticAssets.bucket.bucketUrn] : []),
                    ...(zone ? [zone.domainUrn] : []),
                ],
            },
            child,
        );
        resolveProjectId(project.id);

        const dataResources = [
            ...(!s.database && webPool.kind === "fixed" ? webPool.pool.dropletNames : []),
            ...[data.database, data.cache, data.logs, staticAssets].flatMap((c) => c?.dataResourceNames ?? []),
        ];
        this.dataResources = pulumi.output(previousDataResources).apply((previous) => {
            const lost = lostDataResources(previous, dataResources);
            if (lost.length > 0 && !s.allowDataLoss)
                throw new pulumi.ResourceError(dataLossMessage(s.stack, s.tier, lost), this, true);
            return dataResources;
        });

        this.loadBalancerIps = publicLb || haproxyLbs ? entryPoints : [];
        this.dropletIps = droplets.map((d) => d.ipv4Address);
        this.databaseHost = data.database?.cluster.privateHost;
        this.databaseUri = data.database && pulumi.secret(data.database.cluster.privateUri);
        this.appSecretsEnv =
            data.database &&
            pulumi.secret(
                pulumi
                    .all([data.database.appUser.password, data.cache ? data.cache.cluster.password : undefined])
                    .apply(([db, c]) => `DATABASE_PASSWORD=${db}\n${c === undefined ? "" : `CACHE_PASSWORD=${c}\n`}`),
            );
        this.cdnEndpoint = staticAssets?.cdn.endpoint;
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

    private createTags(name: string, project: string, s: StackSettings): Tags {
        const names = stackTags(project, s.stack);
        const tag = (key: string, value: string, keep = false) =>
            new digitalocean.Tag(`${name}-tag-${key}`, { name: value }, { parent: this, retainOnDelete: keep }).name;
        return {
            // The project tag is shared by every stack: no destroy may delete it (StackTags.project).
            common: [tag("project", names.project, true), tag("stack", names.stack)],
            web: tag("web", names.role("web")),
            app: s.appPool ? tag("app", names.role("app")) : undefined,
            lb: s.loadBalancer?.engine === "haproxy" ? tag("lb", names.role("lb")) : undefined,
            monitor: s.logs ? tag("monitor", names.role("monitor")) : undefined,
            db: () => tag("db", names.role("db")),
            cache: () => tag("cache", names.role("cache")),
            logs: () => tag("logs", names.role("logs")),
        };
    }

    private createDataTier(name: string, s: StackSettings, tags: Tags, vpcUuid: pulumi.Output<string>): DataTier {
        const child = { parent: this };
        // The monitor scrapes the cluster's metrics endpoint (whether trusted sources gate port 9273 is unverified).
        const trusted = s.firewalls && tags.app ? [tags.app, tags.monitor].flatMap((t) => t ?? []) : [];
        const database =
            s.database &&
            new Database(
                `${name}-db`,
                { ...s.database, region: s.region, vpcUuid, tags: [...tags.common, tags.db()], trustedTags: trusted },
                child,
            );
        const cache =
            s.cache && tags.app
                ? new Cache(
                      `${name}-cache`,
                      {
                          size: s.cache.size,
                          region: s.region,
                          vpcUuid,
                          tags: [...tags.common, tags.cache()],
                          trustedTags: [tags.app],
                          protect: s.database?.protect ?? true,
                      },
                      child,
                  )
                : undefined;
        const logs =
            s.logs &&
            createLogStore(
                `${name}-logs`,
                s.region,
                s.logs,
                s.database?.protect ?? true,
                vpcUuid,
                tags,
                { database, cache },
                this,
            );
        return { database: database || undefined, cache, logs: logs || undefined };
    }

    /** The web pool, and from tier 2 the app pool behind its internal load balancer, each with its host role's user data. */
    private createPools(
        name: string,
        s: StackSettings,
        tags: Tags,
        droplet: DropletBase,
        data: DataTier,
        projectId: pulumi.Output<string>,
    ) {
        const child = { parent: this };
        // Tier 0 runs MySQL on its one droplet: that droplet holds the data, so it is protected (unless this update
        // allows data loss) and listed among the data resources, which the data-loss guard watches.
        const holdsData = (role: string) => role === "web" && !s.database && !s.allowDataLoss;
        const pool = (
            role: string,
            settings: PoolSettings,
            roleTag: pulumi.Input<string>,
            host: Pending<Host>,
        ): Pool => {
            const common = {
                ...droplet,
                size: settings.size,
                tags: [...tags.common, roleTag],
                ...hostUserData(host),
            };
            const fixed = {
                ...common,
                count: settings.count,
                monitoring: s.monitoring,
                protect: holdsData(role),
                backups: role === "web" && s.web.backups,
            };
            return settings.autoscale
                ? {
                      kind: "autoscale",
                      pool: new AutoscalePool(
                          `${name}-${role}`,
                          { ...common, autoscale: settings.autoscale, projectId },
                          child,
                      ),
                  }
                : {
                      kind: "fixed",
                      pool: new ServerPool(`${name}-${role}`, fixed, child),
                  };
        };
        const { database, cache } = data;
        // Tier 2+: nginx reaches the app pool through an internal load balancer rather than the app droplets'
        // private addresses, because user data forces replacement: listing app IPs in the web servers'
        // cloud-init would replace every web droplet whenever the app pool is resized (or autoscaled).
        if (s.appPool && tags.app && database) {
            const appPool = pool("app", s.appPool, tags.app, appHost(s, { database, cache, logs: data.logs }));
            const appLb = new LoadBalancers(
                `${name}-app-lb`,
                {
                    count: 1,
                    sizeUnit: 1,
                    region: s.region,
                    vpcUuid: droplet.vpcUuid,
                    network: "INTERNAL",
                    targetTag: tags.app,
                    targetPort: s.app.port,
                    entryPort: s.app.port,
                    // Layer 4, so the public load balancer's X-Forwarded-Proto/-For pass through untouched
                    // (an HTTP-mode LB sets its own; with TCP or passthrough "you can't add or modify HTTP headers",
                    // docs.digitalocean.com/products/networking/load-balancers/how-to/ssl-passthrough/).
                    forwarding: "tcp",
                    // The check still speaks HTTP to the app's health path: the health check's protocol is independent
                    // of the forwarding rules (provider schema: healthcheck.protocol http|https|tcp, path).
                    healthcheck: { protocol: "http", path: s.app.healthPath },
                },
                child,
            );
            const webUserData = webHost(s, WEB_PORT, data, appLb.loadBalancers[0].ip);
            return { webPool: pool("web", s.web, tags.web, webUserData), appPool, appLb };
        }
        const webUserData = webHost(s, WEB_PORT, data);
        return { webPool: pool("web", s.web, tags.web, webUserData), appPool: undefined, appLb: undefined };
    }

    private createEdge(
        name: string,
        s: StackSettings,
        tags: Tags,
        droplet: DropletBase,
        webPool: Pool,
        zone: digitalocean.Domain | undefined,
        logs?: LogStore,
    ): Edge {
        const child = { parent: this };
        const haproxy = s.loadBalancer?.engine === "haproxy" ? s.loadBalancer : undefined;
        // With HAProxy, TLS is terminated on the HAProxy droplets with a certificate certbot obtains there.
        const tls =
            s.certificate &&
            !haproxy &&
            new Tls(`${name}-tls`, { domain: s.domain, certificate: s.certificate }, { ...child, dependsOn: zone });
        if (s.loadBalancer?.engine === "managed") {
            const publicLb = new LoadBalancers(
                `${name}-lb`,
                {
                    count: s.loadBalancer.count,
                    sizeUnit: s.loadBalancer.sizeUnit,
                    region: s.region,
                    vpcUuid: droplet.vpcUuid,
                    network: "EXTERNAL",
                    targetTag: tags.web,
                    targetPort: WEB_PORT,
                    entryPort: WEB_PORT,
                    // The app's own health path, through nginx: a droplet whose app does not serve is out.
                    healthcheck: { protocol: "http", path: s.app.healthPath },
                    certificateName: tls ? tls.certificate.name : undefined,
                },
                child,
            );
            return { publicLb };
        }
        if (!haproxy || !tags.lb) return {};
        // A custom certificate reaches HAProxy in secret user data (the config parser refuses it with
        // secrets.delivery "manual"); Let's Encrypt is obtained on the droplets by certbot for apex and www.
        const userData = hostUserData(haproxyHost(s, fixedDroplets(webPool), WEB_PORT, logs));
        const haproxyLbs = new HaproxyBalancers(
            `${name}-haproxy`,
            {
                ...droplet,
                count: haproxy.count,
                size: haproxy.size,
                tags: [...tags.common, tags.lb],
                monitoring: s.monitoring,
                ...userData,
            },
            child,
        );
        return { haproxyLbs };
    }
}
