import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { AutoscalePool } from "./autoscalePool";
import { Cache } from "./cache";
import { renderCloudInit } from "./hostConfig/cloudInit";
import { PoolSettings, StackSettings } from "./settings/stackConfig";
import { Database } from "./database";
import { Dns } from "./dns";
import { FirewallRole, Firewalls, WORLD } from "./firewalls";
import { HaproxyBalancers } from "./haproxyBalancers";
import { LoadBalancers } from "./loadBalancers";
import { Monitoring } from "./monitoring";
import { stackTags } from "./naming";
import { Network } from "./network";
import { ServerPool } from "./serverPool";
import { StaticAssets } from "./staticAssets";
import { TIER_PROFILES } from "./settings/tiers";
import { Tls } from "./tls";

export const WEB_PORT = 80;
const MYSQL_PORT = 25060;
const VALKEY_PORT = 25061;

export interface WebStackArgs {
    /** Validated settings of the stack (`parseStackConfig`); the tier is already resolved into them. */
    readonly settings: StackSettings;
    /** Pulumi project name, used in tags. @default "webstack" */
    readonly project?: string;
    /**
     * `dataResources` of the stack's previous update (undefined for a new stack). Any of them missing now is
     * refused unless `allowDataLoss` is set: a tier downgrade must not silently delete a database.
     */
    readonly previousDataResources?: pulumi.Input<string[] | undefined>;
}

/** A pool of one role: fixed droplets, or a DigitalOcean autoscale pool. */
type Pool = { kind: "fixed"; pool: ServerPool } | { kind: "autoscale"; pool: AutoscalePool };

/**
 * The whole site for one stack: VPC, web (and from tier 2 app) droplet pools, load balancers (DigitalOcean's
 * or HAProxy droplets), managed MySQL, firewalls, TLS, monitoring, cache, static assets, DNS and a
 * DigitalOcean project grouping it all. What exists follows the settings the tier resolved to (components/tiers.ts).
 */
export class WebStack extends pulumi.ComponentResource {
    readonly url: string;
    readonly loadBalancerIps: pulumi.Output<string>[];
    readonly dropletIps: pulumi.Output<string>[];
    readonly databaseHost?: pulumi.Output<string>;
    readonly databaseUri?: pulumi.Output<string>;
    /** Secret: the app's `--env-file` secrets (DATABASE_PASSWORD, CACHE_PASSWORD) to deliver to app droplets. */
    readonly appSecretsEnv?: pulumi.Output<string>;
    readonly cdnEndpoint?: pulumi.Output<string>;
    /**
     * Logical names of the resources that hold data (database cluster, replicas, cache, bucket); resolves only
     * once the data-loss guard has passed, so exporting it makes a refused update fail.
     */
    readonly dataResources: pulumi.Output<string[]>;

    constructor(name: string, args: WebStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:WebStack", name, {}, opts);
        const s = args.settings;
        const child = { parent: this };
        const tags = stackTags(args.project ?? "webstack", s.stack);
        const tag = (key: string, value: string) => new digitalocean.Tag(`${name}-tag-${key}`, { name: value }, child).name;
        const common = [tag("project", tags.project), tag("stack", tags.stack)];
        const webTag = tag("web", tags.role("web"));
        const appTag = s.appPool ? tag("app", tags.role("app")) : undefined;
        const haproxy = s.loadBalancer?.engine === "haproxy" ? s.loadBalancer : undefined;
        const lbTag = haproxy ? tag("lb", tags.role("lb")) : undefined;

        const network = new Network(`${name}-network`, { region: s.region, ipRange: s.vpcIpRange, description: `webstack ${s.stack} (tier ${s.tier})` }, child);
        const vpcUuid = network.vpc.id;
        const droplet = { region: s.region, vpcUuid, sshKeys: s.sshKeys };

        const database =
            s.database &&
            new Database(
                `${name}-db`,
                { ...s.database, region: s.region, vpcUuid, tags: [...common, tag("db", tags.role("db"))], trustedTags: s.firewalls && appTag ? [appTag] : [] },
                child,
            );
        const dbEndpoint = database && pulumi.all([database.cluster.privateHost, database.appUser.name, database.appDatabase.name]);
        const cache =
            s.cache &&
            appTag &&
            new Cache(
                `${name}-cache`,
                {
                    size: s.cache.size,
                    region: s.region,
                    vpcUuid,
                    tags: [...common, tag("cache", tags.role("cache"))],
                    trustedTags: [appTag],
                    protect: s.database?.protect ?? true,
                },
                child,
            );

        // Tier 0 runs MySQL on its one droplet: that droplet holds the data, so it is protected (unless this update
        // allows data loss) and listed among the data resources, which the upgrade guard below watches.
        const holdsData = (role: string) => role === "web" && !s.database && !s.allowDataLoss;
        const pool = (role: string, settings: PoolSettings, roleTag: pulumi.Input<string>, userData: pulumi.Input<string>): Pool =>
            settings.autoscale
                ? {
                      kind: "autoscale",
                      pool: new AutoscalePool(
                          `${name}-${role}`,
                          { ...droplet, autoscale: settings.autoscale, size: settings.size, tags: [...common, roleTag], userData },
                          child,
                      ),
                  }
                : {
                      kind: "fixed",
                      pool: new ServerPool(
                          `${name}-${role}`,
                          {
                              ...droplet,
                              count: settings.count,
                              size: settings.size,
                              tags: [...common, roleTag],
                              userData,
                              monitoring: s.monitoring,
                              protect: holdsData(role),
                          },
                          child,
                      ),
                  };

        // Tier 2+: nginx reaches the app pool through an internal load balancer rather than the app droplets'
        // private addresses, because user data forces replacement: listing app IPs in the web servers'
        // cloud-init would replace every web droplet whenever the app pool is resized (or autoscaled).
        let appPool: Pool | undefined;
        let appLb: LoadBalancers | undefined;
        let webUserData: pulumi.Input<string>;
        if (s.appPool && appTag && dbEndpoint) {
            const appUserData = pulumi.all([dbEndpoint, cache ? cache.cluster.privateHost : undefined]).apply(([[host, user, db], cacheHost]) =>
                renderCloudInit({
                    kind: "app",
                    app: s.app,
                    database: { host, port: MYSQL_PORT, user, database: db },
                    cache: cacheHost ? { host: cacheHost, port: VALKEY_PORT } : undefined,
                }),
            );
            appPool = pool("app", s.appPool, appTag, appUserData);
            appLb = new LoadBalancers(
                `${name}-app-lb`,
                {
                    count: 1,
                    sizeUnit: 1,
                    region: s.region,
                    vpcUuid,
                    network: "INTERNAL",
                    targetTag: appTag,
                    targetPort: s.app.port,
                    entryPort: s.app.port,
                    healthcheck: { protocol: "tcp" },
                },
                child,
            );
            webUserData = appLb.loadBalancers[0].ip.apply((ip) =>
                renderCloudInit({ kind: "web", webPort: WEB_PORT, upstream: { host: ip, port: s.app.port } }),
            );
        } else if (dbEndpoint) {
            webUserData = dbEndpoint.apply(([host, user, db]) =>
                renderCloudInit({ kind: "web-and-app", app: s.app, webPort: WEB_PORT, database: { host, port: MYSQL_PORT, user, database: db } }),
            );
        } else {
            webUserData = renderCloudInit({ kind: "all-in-one", app: s.app, webPort: WEB_PORT });
        }
        const webPool = pool("web", s.web, webTag, webUserData);
        const fixedDroplets = (p?: Pool) => (p?.kind === "fixed" ? p.pool.droplets : []);

        const zone = new digitalocean.Domain(`${name}-zone`, { name: s.domain }, child);
        // With HAProxy, TLS is terminated on the HAProxy droplets with a certificate certbot obtains there.
        const tls = s.certificate && !haproxy && new Tls(`${name}-tls`, { domain: s.domain, certificate: s.certificate }, { ...child, dependsOn: [zone] });
        const publicLb =
            s.loadBalancer?.engine === "managed"
                ? new LoadBalancers(
                      `${name}-lb`,
                      {
                          count: s.loadBalancer.count,
                          sizeUnit: s.loadBalancer.sizeUnit,
                          region: s.region,
                          vpcUuid,
                          network: "EXTERNAL",
                          targetTag: webTag,
                          targetPort: WEB_PORT,
                          entryPort: WEB_PORT,
                          healthcheck: { protocol: "http", path: "/healthz" },
                          certificateName: tls ? tls.certificate.name : undefined,
                      },
                      child,
                  )
                : undefined;
        const haproxyLbs =
            haproxy && lbTag
                ? new HaproxyBalancers(
                      `${name}-haproxy`,
                      {
                          ...droplet,
                          count: haproxy.count,
                          size: haproxy.size,
                          tags: [...common, lbTag],
                          monitoring: s.monitoring,
                          userData: pulumi.all(fixedDroplets(webPool).map((d) => d.ipv4AddressPrivate)).apply((ips) =>
                              renderCloudInit({
                                  kind: "haproxy",
                                  backends: ips.map((host) => ({ host, port: WEB_PORT })),
                                  algorithm: haproxy.algorithm,
                                  tls: s.certificate !== undefined,
                                  domain: s.domain,
                              }),
                          ),
                      },
                      child,
                  )
                : undefined;
        const publicLbs = publicLb?.loadBalancers ?? [];
        const allLbs = [...publicLbs, ...(appLb?.loadBalancers ?? [])];

        if (s.firewalls) {
            const roles: FirewallRole[] = [
                {
                    role: "web",
                    tag: webTag,
                    inbound: [{ port: WEB_PORT, sources: lbTag ? { sourceTags: [lbTag] } : { sourceLoadBalancerUids: publicLbs.map((lb) => lb.id) } }],
                },
            ];
            if (appTag && appLb)
                roles.push({
                    role: "app",
                    tag: appTag,
                    inbound: [{ port: s.app.port, sources: { sourceLoadBalancerUids: appLb.loadBalancers.map((lb) => lb.id) } }],
                });
            if (lbTag) roles.push({ role: "lb", tag: lbTag, inbound: [80, 443].map((port) => ({ port, sources: { sourceAddresses: WORLD } })) });
            new Firewalls(`${name}-firewall`, { roles, adminCidrs: s.adminCidrs }, child);
        }

        const staticAssets = s.staticAssets ? new StaticAssets(`${name}-static`, { region: s.region, protect: s.database?.protect ?? true }, child) : undefined;

        this.url = `${s.certificate ? "https" : "http"}://${s.domain}`;
        if (s.monitoring) {
            new Monitoring(
                `${name}-monitoring`,
                {
                    dropletTags: [webTag, ...(appTag ? [appTag] : []), ...(lbTag ? [lbTag] : [])],
                    loadBalancerIds: allLbs.map((lb) => lb.id),
                    databaseIds: [...(database ? [database.cluster.id] : []), ...(cache ? [cache.cluster.id] : [])],
                    url: this.url,
                    targets: { emails: s.alerts.emails, slack: s.alerts.slack && { channel: s.alerts.slack.channel, url: pulumi.secret(s.alerts.slack.url) } },
                },
                child,
            );
        }

        const droplets = [...fixedDroplets(webPool), ...fixedDroplets(appPool), ...(haproxyLbs?.droplets ?? [])];
        const entryPoints = haproxyLbs
            ? haproxyLbs.reservedIps.map((ip) => ip.ipAddress)
            : publicLbs.length > 0
              ? publicLbs.map((lb) => lb.ip)
              : fixedDroplets(webPool).map((d) => d.ipv4Address);
        new Dns(`${name}-dns`, { zone: zone.id, addresses: entryPoints }, child);

        new digitalocean.Project(
            `${name}-project`,
            {
                name: tags.stack,
                description: `webstack stack "${s.stack}", tier ${s.tier} (${TIER_PROFILES[s.tier].title})`,
                purpose: "Web Application",
                environment: s.environment,
                resources: [
                    ...droplets.map((d) => d.dropletUrn),
                    ...allLbs.map((lb) => lb.loadBalancerUrn),
                    ...(database ? [database.cluster.clusterUrn] : []),
                    ...(cache ? [cache.cluster.clusterUrn] : []),
                    ...(staticAssets ? [staticAssets.bucket.bucketUrn] : []),
                    zone.domainUrn,
                ],
            },
            child,
        );

        const dataResources = [
            ...(!s.database && webPool.kind === "fixed" ? webPool.pool.dropletNames : []),
            ...[database, cache, staticAssets].flatMap((c) => c?.dataResourceNames ?? []),
        ];
        this.dataResources = pulumi.output(args.previousDataResources).apply((previous) => {
            const lost = (previous ?? []).filter((n) => !dataResources.includes(n));
            if (lost.length > 0 && !s.allowDataLoss) {
                throw new pulumi.ResourceError(
                    `This update would delete or replace ${lost.length} data-bearing resource(s) of stack "${s.stack}": ${lost.map((n) => `"${n}"`).join(", ")} (tier ${s.tier} keeps no data in them). ` +
                        `Back up their data, then allow it for this one update: pulumi config set webstack:allowDataLoss true (and unset it afterwards).`,
                    this,
                    true,
                );
            }
            return dataResources;
        });

        this.loadBalancerIps = publicLb || haproxyLbs ? entryPoints : [];
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
        this.registerOutputs({
            url: this.url,
            loadBalancerIps: this.loadBalancerIps,
            dropletIps: this.dropletIps,
            databaseHost: this.databaseHost,
            databaseUri: this.databaseUri,
            appSecretsEnv: this.appSecretsEnv,
            cdnEndpoint: this.cdnEndpoint,
            dataResources: this.dataResources,
        });
    }
}
