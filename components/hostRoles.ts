// What each droplet of a stack runs, as data: its host role (hostConfig/) with its add-ons (log shipping, the
// nginx exporter and its push agent), fed with the outputs of the resources it uses (database hosts, passwords,
// the internal load balancer's address) while they are still to come. `hostUserData` renders a host once, when
// its values are known, and decides from the host alone whether its user data is a secret.
import { createHmac } from "node:crypto";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { Cache } from "./cache";
import type { Database } from "./database";
import { type Host, type HostAddOns, holdsSecret, renderCloudInit } from "./hostConfig/cloudInit";
import { drainSeconds } from "./hostConfig/drain";
import { CHECK } from "./hostConfig/haproxy";
import type { LogShipping } from "./hostConfig/logShipper";
import { staticFilesFor } from "./hostConfig/staticFiles";
import { HEALTH_CHECK } from "./loadBalancers";
import type { LogStore } from "./logStore";
import type { ReplacingInputs } from "./protectedDroplets";
import type { StackSettings } from "./settings/stackSettings";

/** A value still to come: itself or an Output of it; an object may also hold its fields still to come. */
export type Pending<T> =
    | pulumi.Input<T>
    | (T extends readonly unknown[] ? never : T extends object ? { readonly [K in keyof T]: Pending<T[K]> } : never);

/** A droplet's user data and whether it carries secrets (a pool lists it in additionalSecretOutputs then). */
export interface UserDataSpec {
    readonly userData: pulumi.Output<string>;
    readonly userDataIsSecret: boolean;
}

/**
 * A host's user data, rendered once its values are known. Secret when the host holds a secret (an app secrets
 * file, a private key, a password): then the text is a Pulumi secret from end to end, and declared one.
 */
export function hostUserData(host: Pending<Host>): UserDataSpec {
    const secret = holdsSecret(host);
    const text = pulumi.output(host as pulumi.Input<Host>).apply((h) => renderCloudInit(h as Host));
    return { userData: secret ? pulumi.secret(text) : text, userDataIsSecret: secret };
}

/**
 * The relative name whose A records are the web droplets' private addresses. Public DNS then tells anyone the
 * VPC addresses of the web droplets; they are unreachable from outside the VPC, and the alternative (the monitor
 * reading DigitalOcean's API for `digitalocean_sd_configs`) would put an API token on the droplet.
 */
export const WEB_METRICS_NAME = "webstack-metrics-web";

/**
 * The relative name whose A records are the HAProxy droplets' private addresses: each forwards an ACME challenge it
 * cannot answer to the others through it (hostConfig/haproxy.ts `acmePeers`), so a new droplet obtains its
 * certificate while the reserved IP still points at the droplet it replaces.
 */
export const ACME_PEERS_NAME = "webstack-lb-peers";

/**
 * The relative name of the SRV records that point at the managed MySQL cluster's metrics endpoints (one for the
 * primary, one for the standby nodes): the monitor discovers them there, so its user data stays the same when
 * standby nodes come or go (hostConfig/prometheus.ts `database.srvName`).
 */
export const DATABASE_METRICS_SRV = "_webstack-mysql-metrics._tcp";

/**
 * Seconds a serving droplet fails its health path before nginx stops (hostConfig/drain.ts): as long as the slowest
 * load balancer that checks it takes to take it out, DigitalOcean's (loadBalancers.ts) or HAProxy's (its `inter`,
 * `fall` and `timeout check`): 10 s × 3 + 5 s = 35 s.
 */
export const DRAIN_SECONDS = drainSeconds([
    {
        intervalSeconds: HEALTH_CHECK.checkIntervalSeconds,
        unhealthyThreshold: HEALTH_CHECK.unhealthyThreshold,
        timeoutSeconds: HEALTH_CHECK.responseTimeoutSeconds,
    },
    {
        intervalSeconds: parseInt(CHECK.inter, 10),
        unhealthyThreshold: CHECK.fall,
        timeoutSeconds: parseInt(CHECK.timeout, 10),
    },
]);

/**
 * The relative name whose A record is the monitor's private address: where an autoscale web pool's agents push
 * (components/hostConfig/metricsPush.ts). A name, so the pool's template never changes when the monitor does.
 */
export const METRICS_PUSH_NAME = "webstack-metrics-push";

/** The derivation of the push password: 64 hex digits, which nginx's `{PLAIN}` file and Prometheus both hold as is. */
export function pushPasswordFrom(logWriterPassword: string): string {
    return createHmac("sha256", logWriterPassword).update("webstack metrics push").digest("hex");
}

/**
 * The push user's password: an HMAC of the log writer's password (both are the stack's, and the monitor holds the
 * log password already), so it needs no generator resource and changes only when that password does.
 */
const metricsPushPassword = (logs: LogStore) => pulumi.secret(logs.writer.password.apply(pushPasswordFrom));

/** The stack's resources a host reads its settings from. */
export interface HostSources {
    readonly database?: Database;
    readonly cache?: Cache;
    /** The log store every host ships to, when the stack collects logs. */
    readonly logs?: LogStore;
    /** The host name of the CDN in front of the static-assets bucket, which the app is told (CDN_ENDPOINT). */
    readonly cdnEndpoint?: pulumi.Output<string>;
}

/**
 * Where a host ships its logs: the store's private host as the shipper's user, with the password in the user data
 * only with `secrets.delivery: userData` (with `manual`, an operator copies it to the host).
 */
function shipping(s: StackSettings, logs: LogStore): Pending<LogShipping> {
    const to = logs.shippingWithoutPassword;
    return {
        host: to.host,
        port: to.port,
        user: to.user,
        password: s.secretsDelivery === "userData" ? logs.writer.password : undefined,
        caCertificate: to.caCertificate,
    };
}

/**
 * The add-ons of a pool's hosts when the stack collects logs: the shipping, and on the web pool the nginx
 * exporter, which an autoscaled pool's members push from (no DNS record can name them for the monitor to scrape).
 */
export function addOns(
    s: StackSettings,
    logs: LogStore | undefined,
    pool: { readonly nginx: boolean; readonly autoscaled: boolean },
): Pending<HostAddOns> {
    if (!logs) return {};
    const push = pool.autoscaled && {
        host: `${METRICS_PUSH_NAME}.${s.domain}`,
        password: s.secretsDelivery === "userData" ? metricsPushPassword(logs) : undefined,
    };
    return {
        exporter: pool.nginx && s.logs ? { push: push || undefined } : undefined,
        shipping: shipping(s, logs),
    };
}

/** Host, user, database and the replicas' private hosts, which reach the app as DATABASE_READ_HOSTS. */
function databaseEndpoint(database: Database) {
    return (
        pulumi
            .all([
                database.cluster.privateHost,
                database.cluster.port,
                database.appUser.name,
                database.appDatabase.name,
                pulumi.all(database.replicas.map((r) => r.privateHost)),
            ])
            // The port as the cluster reports it, not a constant: DigitalOcean assigns it.
            .apply(([host, port, user, db, readHosts]) => ({ host, port, user, database: db, readHosts }))
    );
}

/**
 * The app's secrets when `secrets.delivery` is "userData" (undefined with "manual": an operator copies the file).
 * DigitalOcean has no instance identity or secret store; user data is the one channel it feeds to droplets it
 * creates itself, autoscale members included (docs.digitalocean.com/products/droplets/how-to/use-autoscale-pools).
 */
function appSecrets(s: StackSettings, database: Database, cache?: Cache) {
    if (s.secretsDelivery !== "userData") return undefined;
    return pulumi
        .all([database.appUser.password, cache ? cache.cluster.password : undefined])
        .apply(([db, c]) => ({ DATABASE_PASSWORD: db, ...(c === undefined ? {} : { CACHE_PASSWORD: c }) }));
}

/** Tier 2+: the app droplets (app container only). */
export function appHost(
    s: StackSettings,
    { database, cache, logs, cdnEndpoint }: HostSources & { database: Database },
): Pending<Host> {
    return {
        kind: "app",
        app: s.app,
        database: databaseEndpoint(database),
        cache:
            cache &&
            pulumi.all([cache.cluster.privateHost, cache.cluster.port]).apply(([host, port]) => ({ host, port })),
        secrets: appSecrets(s, database, cache),
        cdnEndpoint,
        drainSeconds: DRAIN_SECONDS,
        ...addOns(s, logs, { nginx: false, autoscaled: s.appPool?.autoscale !== undefined }),
    };
}

/**
 * The web droplets: tier 0 all in one (no secret: the host makes its own MySQL password), tier 1 nginx and the app
 * with managed MySQL, from tier 2 nginx alone in front of the app pool's internal load balancer at `upstream`. Each
 * serves the static files from its own disk unless `staticFiles.source` is none; from the app's image, so from
 * tier 2 the web droplets' user data names `app.image` too, and a release replaces them as well.
 */
export function webHost(
    s: StackSettings,
    webPort: number,
    { database, logs, cdnEndpoint }: HostSources,
    upstream?: pulumi.Output<string>,
): Pending<Host> {
    const observed = addOns(s, logs, { nginx: true, autoscaled: s.web.autoscale !== undefined });
    const staticFiles = s.staticFiles && staticFilesFor(s.staticFiles, s.app.image);
    if (upstream) {
        return {
            kind: "web",
            webPort,
            upstream: { host: upstream, port: s.app.port },
            healthPath: s.app.healthPath,
            staticFiles,
            drainSeconds: DRAIN_SECONDS,
            ...observed,
        };
    }
    if (!database) return { kind: "all-in-one", app: s.app, webPort, staticFiles, ...observed };
    return {
        kind: "web-and-app",
        app: s.app,
        webPort,
        database: databaseEndpoint(database),
        secrets: appSecrets(s, database),
        staticFiles,
        cdnEndpoint,
        drainSeconds: DRAIN_SECONDS,
        ...observed,
    };
}

/**
 * Tier 0's droplet, which holds MySQL: the inputs that replace it (protectedDroplets.ts), from the settings alone (its
 * host has no value still to come: no managed database, no log store), so the preflight can compare them with what
 * the stack's previous update exported before anything is created. Undefined above tier 0.
 */
export function dataDropletInputs(s: StackSettings, webPort: number): ReplacingInputs | undefined {
    if (s.database) return undefined;
    return { region: s.region, sshKeys: s.sshKeys, userData: renderCloudInit(webHost(s, webPort, {}) as Host) };
}

/**
 * HAProxy droplets: they find the web droplets by WEB_METRICS_NAME (one A record per fixed web droplet, kept by the
 * stack), so no web-pool change touches their user data, and with Let's Encrypt their peers by ACME_PEERS_NAME, whose
 * forwarded challenges they trust from `vpcRange` only (the VPC's range, where the peers' private addresses are); or
 * they carry the custom certificate, delivered in user data.
 */
export function haproxyHost(
    s: StackSettings,
    webPort: number,
    logs: LogStore | undefined,
    vpcRange: pulumi.Input<string>,
): Pending<Host> {
    const haproxy = s.loadBalancer?.engine === "haproxy" ? s.loadBalancer : undefined;
    if (!haproxy) throw new Error("haproxyHost needs the haproxy engine");
    const custom = s.certificate?.kind === "custom" ? s.certificate : undefined;
    return {
        kind: "haproxy",
        webPool: { name: `${WEB_METRICS_NAME}.${s.domain}`, port: webPort },
        acmePeers:
            s.certificate?.kind === "lets_encrypt"
                ? { name: `${ACME_PEERS_NAME}.${s.domain}`, trustedFrom: vpcRange }
                : undefined,
        algorithm: haproxy.algorithm,
        tls: s.certificate !== undefined,
        domain: s.domain,
        healthPath: s.app.healthPath,
        certificatePem:
            custom &&
            pulumi.secret(
                [custom.leafCertificate, custom.certificateChain, custom.privateKey]
                    .filter((p) => p)
                    .map((p) => `${p!.trim()}\n`)
                    .join(""),
            ),
        ...addOns(s, logs, { nginx: false, autoscaled: false }),
    };
}

/**
 * Where the SRV records of DATABASE_METRICS_SRV point: the `count` metrics endpoints of the cluster (the API lists one
 * for the primary and one for its standby nodes, digitalocean/openapi@7c1300c
 * specification/resources/databases/models/database_cluster.yml:170-177), each `host.` (SRV targets are absolute
 * names; the provider reads them back with the final dot, terraform-provider-digitalocean@401992a1
 * digitalocean/domain/resource_record.go:218-222) and its port. The provider writes each endpoint as
 * https://host:port/metrics (digitalocean/database/resource_database_cluster.go:768-780) and keeps an empty list until
 * it has read the cluster back; until then the primary's host on 9273, the port DigitalOcean documents
 * (docs.digitalocean.com/products/databases/mysql/how-to/monitor-clusters/), stands in, and the records are edited in
 * place once the endpoints are known.
 */
export function metricsEndpointTargets(
    database: Database,
    count: number,
): pulumi.Output<{ readonly value: string; readonly port: number }>[] {
    return Array.from({ length: count }, (_, i) =>
        pulumi.all([database.cluster.metricsEndpoints, database.cluster.host]).apply(([endpoints, host]) => {
            const known = endpoints?.[i] ?? endpoints?.[0];
            const url = known ? new URL(known) : undefined;
            return { value: `${url?.hostname ?? host}.`, port: url?.port ? Number(url.port) : 9273 };
        }),
    );
}

/**
 * The monitor droplet (Prometheus + Alertmanager): scrapes the fixed web pool through WEB_METRICS_NAME or receives
 * an autoscaled web pool's pushes, scrapes the database's metrics endpoint, alerts through Slack and e-mail; its
 * secrets only with `secrets.delivery: userData`. `parent` scopes the data sources it reads.
 */
export function monitorHost(
    s: StackSettings,
    { database, logs }: HostSources & { logs: LogStore },
    autoscaledWeb: boolean,
    parent: pulumi.Resource,
): Pending<Host> {
    const withSecrets = s.secretsDelivery === "userData";
    const credentials = database && digitalocean.getDatabaseMetricsCredentialsOutput({ parent });
    const ca = database && digitalocean.getDatabaseCaOutput({ clusterId: database.cluster.id }, { parent });
    const smtp = s.alerts.smtp;
    return {
        kind: "monitor",
        stack: s.stack,
        retentionDays: s.logs!.indexDaysMax,
        webTargetsName: autoscaledWeb ? undefined : `${WEB_METRICS_NAME}.${s.domain}`,
        database: database && {
            // Discovered through DATABASE_METRICS_SRV (Observability keeps one SRV record per endpoint), so standby
            // nodes coming or going edit DNS records instead of replacing the monitor and its history.
            srvName: `${DATABASE_METRICS_SRV}.${s.domain}`,
            username: credentials!.username,
            password: withSecrets ? credentials!.password : undefined,
            caCertificate: ca!.certificate,
        },
        webPush: autoscaledWeb ? { password: withSecrets ? metricsPushPassword(logs) : undefined } : undefined,
        slack: s.alerts.slack && { channel: s.alerts.slack.channel, url: withSecrets ? s.alerts.slack.url : undefined },
        email: smtp && { ...smtp, to: s.alerts.emails, password: withSecrets ? smtp.password : undefined },
        // The monitor ships its own logs too (journal: Prometheus, Alertmanager, sshd), like every role.
        shipping: shipping(s, logs),
    };
}
