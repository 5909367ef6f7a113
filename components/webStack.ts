import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { AppTier } from "./appTier";
import { dataLossMessage, lostDataResources } from "./dataLossGuard";
import { DataTier } from "./dataTier";
import { Dns } from "./dns";
import { Edge } from "./edge";
import { Firewalls } from "./firewalls";
import {
    ACME_PEERS_NAME,
    appHost,
    haproxyHost,
    hostUserData,
    metricsEndpointTargets,
    monitorHost,
    webHost,
} from "./hostRoles";
import { stackTags } from "./naming";
import { type DropletFingerprint, dropletFingerprint } from "./protectedDroplets";
import { Network } from "./network";
import { Observability } from "./observability";
import { createTags } from "./tags";
import { createPool, fixedDroplets, fixedGates, gatedResources } from "./pool";
import { appMove, autoscaleJoinsProject, databaseTrust, gateEntry, gating, poolGate } from "./servingGates";
import { formatProblems } from "./problems";
import { parseSettings } from "./settings/stackConfig";
import { ConfigError, type StackSettings } from "./settings/stackSettings";
import { TIER_PROFILES } from "./settings/tiers";
import { StaticAssets } from "./staticAssets";
import type { WebStackArgs } from "./webStackArgs";

export type { WebStackArgs };

export const WEB_PORT = 80;

/**
 * The whole site for one stack: its VPC and tags, the data tier (managed MySQL, cache, log store), the app tier
 * (from tier 2), the web pool, the edge (load balancers or HAProxy droplets, TLS), observability (QPS monitor,
 * alerts), firewalls, static assets, DNS and a DigitalOcean project grouping it all. What exists follows the
 * settings the tier resolved to (components/settings/tiers.ts). Every serving droplet above tier 0 binds a readiness
 * gate, so an update goes on (and deletes what it replaces) only once the new droplets serve.
 */
export class WebStack extends pulumi.ComponentResource {
    readonly url: string;
    /** The tier deployed, which the next update reads back (`previousTier`). */
    readonly tier: number;
    readonly loadBalancerIps: pulumi.Output<string>[];
    readonly dropletIps: pulumi.Output<string>[];
    /** The ids of the autoscale pools (web, app), whose members `doctl compute droplet list --tag-name` also finds. */
    readonly autoscalePoolIds: pulumi.Output<string>[];
    /**
     * With HAProxy and Let's Encrypt: the name the HAProxy droplets forward ACME challenges to each other through,
     * which the next update reads back (`previousAcmePeersName`).
     */
    readonly acmePeersName?: string;
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
    /**
     * Tier 0: the droplet that holds MySQL, by logical name, with the fingerprint of the inputs that would replace it
     * (its region, SSH keys and each part of its user data: protectedDroplets.ts). The next update's preflight
     * (index.ts) compares it with its own and refuses, before anything is created, to replace the droplet unless
     * allowDataLoss is set.
     */
    readonly protectedDroplets?: pulumi.Output<Record<string, Record<string, string>>>;

    constructor(name: string, args: WebStackArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:WebStack", name, {}, opts);
        const {
            project: projectName = "webstack",
            previousDataResources,
            previousTier,
            previousAcmePeersName,
            adoptZone,
            ...config
        } = args;
        const s = settingsOf(this, name, config);
        const child = { parent: this };
        // Autoscale members join the stack's project through their template; the Project itself is created last,
        // since it lists the stack's other resources (no cycle: it lists no autoscale pool).
        const [projectId, resolveProjectId] = pulumi.deferredOutput<string>();
        const move = s.database ? appMove(s.tier, previousTier) : undefined;
        const tags = createTags(this, name, projectName, s, move);
        const description = `webstack ${s.stack} (tier ${s.tier})`;
        const network = new Network(`${name}-network`, { region: s.region, ipRange: s.vpcIpRange, description }, child);
        const base = { region: s.region, vpcUuid: network.vpc.id, sshKeys: s.sshKeys };

        // The app droplets, known once the app pool exists below: a tier upgrade's database firewalls wait for them.
        const [appPoolResources, resolveAppPoolResources] = pulumi.deferredOutput<pulumi.Resource[]>();
        const data =
            (s.database || s.logs) &&
            new DataTier(
                name,
                {
                    region: s.region,
                    vpcUuid: base.vpcUuid,
                    tags: tags.common,
                    protect: s.database?.protect ?? true,
                    database: s.database &&
                        tags.db && {
                            ...s.database,
                            tag: tags.db,
                            trustedTags: databaseTrust(s, tags, move),
                            // Created (from tier 1 to 2+) only once the new app droplets serve: until then the app
                            // runs on the web droplets alone, which the rules trust for this one update.
                            firewallDependsOn: move === "up" ? appPoolResources : undefined,
                        },
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
        // Before the pools: the app is told the CDN's host name (CDN_ENDPOINT).
        const staticAssets = s.staticAssets
            ? new StaticAssets(`${name}-static`, { region: s.region, protect: s.database?.protect ?? true }, child)
            : undefined;
        const cdnEndpoint = staticAssets?.cdn.endpoint;
        // Never deleted: a live domain. Adopted when the account already hosts it and no update of this stack has
        // completed (`adoptZone`): a DigitalOcean Domain's id is its name.
        const zone =
            s.dns.zone === "create"
                ? new digitalocean.Domain(
                      `${name}-zone`,
                      { name: s.domain },
                      { ...child, retainOnDelete: true, ...(adoptZone ? { import: s.domain } : {}) },
                  )
                : undefined;
        const zoneName = zone?.id ?? s.domain;

        // The edge comes before the pools: their readiness gates ask it. It does not depend on them (the load
        // balancers target the web tag, HAProxy finds the web droplets in DNS), so a gate waiting on a droplet never
        // waits on itself.
        const acmePeersName = s.certificate?.kind === "lets_encrypt" ? ACME_PEERS_NAME : undefined;
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
                        zone: zoneName,
                        acmePeersName,
                        gate: {
                            ...gating(s),
                            // A custom certificate arrives with the droplet; Let's Encrypt's needs peers that forward.
                            certifiesBeforeMove:
                                acmePeersName === undefined || previousAcmePeersName === `${acmePeersName}.${s.domain}`,
                        },
                        ...hostUserData(haproxyHost(s, WEB_PORT, logs, network.vpc.ipRange)),
                    },
                },
                child,
            );
        const publicLbs = edge?.loadBalancers?.loadBalancers ?? [];
        const haproxyDroplets = edge?.haproxy?.droplets;
        const entry = edge && gateEntry(s, { loadBalancers: publicLbs, haproxy: haproxyDroplets });
        const memberProject = autoscaleJoinsProject(s, entry !== undefined, haproxyDroplets !== undefined)
            ? projectId
            : undefined;
        const autoscaled = [s.web.autoscale && "web", s.appPool?.autoscale && "app"].filter((r) => r);
        if (memberProject === undefined && autoscaled.length > 0)
            pulumi.log.warn(
                `The members of the autoscaled ${autoscaled.join(" and ")} pool join the account's default project, not "${stackTags(projectName, s.stack).stack}": the stack's project lists the fixed pool's droplets, so it exists only once their readiness gates pass, and those gates need the autoscaled pool to serve first.`,
                this,
            );
        const sources = { database, cache, logs, cdnEndpoint };
        const appUserData = s.appPool && database ? hostUserData(appHost(s, { ...sources, database })) : undefined;
        const appTier =
            s.appPool && tags.app && appUserData
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
                          projectId: memberProject,
                          gate: entry && poolGate(name, "app", s.appPool, entry, appUserData.userData),
                          ...appUserData,
                      },
                      child,
                  )
                : undefined;
        resolveAppPoolResources(pulumi.output(gatedResources(appTier?.pool)));
        const upstream = appTier?.loadBalancer.loadBalancers[0].ip;
        // Tier 0 runs MySQL on its one droplet: that droplet holds the data, so it is protected (unless this update
        // allows data loss) and listed among the data resources, which the data-loss guard watches.
        const webHoldsData = !s.database && !s.allowDataLoss;
        const webUserData = hostUserData(webHost(s, WEB_PORT, sources, upstream));
        const webPool = createPool(
            `${name}-web`,
            {
                ...base,
                settings: s.web,
                tags: [...tags.common, tags.web],
                monitoring: s.monitoring,
                protect: webHoldsData,
                backups: s.web.backups,
                projectId: memberProject,
                // With HAProxy the web droplets' DNS records carry the gate: HAProxy sees a droplet only through them.
                gate: entry && !haproxyDroplets ? poolGate(name, "web", s.web, entry, webUserData.userData) : undefined,
                ...webUserData,
            },
            child,
        );
        const allLbs = [...publicLbs, ...(appTier?.loadBalancer.loadBalancers ?? [])];

        this.url = `${s.certificate ? "https" : "http"}://${s.domain}`;
        const autoscaledWeb = webPool.kind === "autoscale";
        const monitor = s.logs &&
            logs && {
                ...base,
                size: s.logs.monitorSize,
                tags: [...tags.common, ...(tags.monitor ? [tags.monitor] : [])],
                monitoring: s.monitoring,
                webPushes: autoscaledWeb,
                ...hostUserData(monitorHost(s, { database, logs }, autoscaledWeb, this)),
            };
        // The web droplets' records: the monitor scrapes them, HAProxy balances over them.
        const webRecords =
            !autoscaledWeb && (monitor || haproxyDroplets)
                ? {
                      droplets: fixedDroplets(webPool),
                      gate: haproxyDroplets && entry,
                      // The monitor scrapes a web droplet once its pool's gate has seen it serve, as it did when the
                      // gate was part of the droplet's own step.
                      after: haproxyDroplets ? [] : fixedGates(webPool),
                  }
                : undefined;
        // The uptime check starts once DNS points at what serves (the records below wait for the gates).
        const [siteRecords, resolveSiteRecords] = pulumi.deferredOutput<pulumi.Resource[]>();
        const alerts = s.monitoring
            ? {
                  dropletTags: [tags.web, tags.app, tags.lb, tags.monitor].flatMap((t) => t ?? []),
                  loadBalancerIds: allLbs.map((lb) => lb.id),
                  databaseIds: [database, cache, logs].flatMap((c) => (c ? [c.cluster.id] : [])),
                  url: this.url,
                  targets: s.alerts,
                  uptimeAfter: siteRecords,
              }
            : undefined;
        const databaseMetrics =
            monitor && database && s.database
                ? metricsEndpointTargets(database, 1 + (s.database.standbyNodes > 0 ? 1 : 0))
                : undefined;
        const observability =
            monitor || alerts || webRecords
                ? new Observability(name, { zone: zoneName, monitor, web: webRecords, databaseMetrics, alerts }, child)
                : undefined;

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

        const droplets = [
            ...fixedDroplets(webPool),
            ...fixedDroplets(appTier?.pool),
            ...(edge?.haproxy?.droplets ?? []),
        ];
        // What the public reaches: the edge (load balancers or HAProxy's reserved IPs), or (tier 0) the droplet itself.
        const entryPoints = edge ? edge.addresses : fixedDroplets(webPool).map((d) => d.ipv4Address);
        const dns = new Dns(
            `${name}-dns`,
            {
                zone: zoneName,
                addresses: entryPoints,
                records: s.dns.records,
                // DNS moves to an address only once it serves: a reserved IP once it is on a droplet that passed its
                // gate, a load balancer once the web pool behind it passed theirs (a tier 0 → 1 move).
                after: edge?.haproxy ? edge.haproxy.assignments : entry ? gatedResources(webPool) : [],
            },
            child,
        );
        this.dnsRecords = dns.managed;
        resolveSiteRecords(pulumi.output(dns.records));

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
            // Once the gated fixed droplets serve, as autoscaleJoinsProject (servingGates.ts) relies on; never an
            // autoscale pool, whose template may take this project's id.
            { ...child, dependsOn: [...fixedGates(webPool), ...fixedGates(appTier?.pool)] },
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

        this.tier = s.tier;
        this.protectedDroplets =
            !s.database && webPool.kind === "fixed"
                ? webUserData.userData.apply((userData) => {
                      const fingerprint: DropletFingerprint = dropletFingerprint({
                          region: s.region,
                          sshKeys: s.sshKeys,
                          userData,
                      });
                      return Object.fromEntries(webPool.pool.dropletNames.map((n) => [n, { ...fingerprint }]));
                  })
                : undefined;
        this.loadBalancerIps = edge ? entryPoints : [];
        this.dropletIps = droplets.map((d) => d.ipv4Address);
        this.autoscalePoolIds = [webPool, appTier?.pool].flatMap((p) =>
            p?.kind === "autoscale" ? [p.pool.pool.id] : [],
        );
        this.acmePeersName = edge?.haproxy && acmePeersName ? `${acmePeersName}.${s.domain}` : undefined;
        this.databaseHost = database?.cluster.privateHost;
        this.databaseUri = database && pulumi.secret(database.cluster.privateUri);
        this.appSecretsEnv =
            database &&
            pulumi.secret(
                pulumi
                    .all([database.appUser.password, cache ? cache.cluster.password : undefined])
                    .apply(([db, c]) => `DATABASE_PASSWORD=${db}\n${c === undefined ? "" : `CACHE_PASSWORD=${c}\n`}`),
            );
        this.cdnEndpoint = cdnEndpoint;
        this.logsDashboardsUrl = logs?.dashboardsUrl;
        this.logsDashboardsPassword = logs && pulumi.secret(logs.cluster.uiPassword);
        this.registerOutputs({
            url: this.url,
            tier: this.tier,
            loadBalancerIps: this.loadBalancerIps,
            dropletIps: this.dropletIps,
            autoscalePoolIds: this.autoscalePoolIds,
            acmePeersName: this.acmePeersName,
            databaseHost: this.databaseHost,
            databaseUri: this.databaseUri,
            appSecretsEnv: this.appSecretsEnv,
            cdnEndpoint: this.cdnEndpoint,
            dnsRecords: this.dnsRecords,
            logsDashboardsUrl: this.logsDashboardsUrl,
            logsDashboardsPassword: this.logsDashboardsPassword,
            dataResources: this.dataResources,
            protectedDroplets: this.protectedDroplets,
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
