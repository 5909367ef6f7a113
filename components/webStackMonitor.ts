// WebStack's wiring of QPS, kept beside it (webStack.ts stays under the layout limit): the
// monitor droplet (Prometheus + Alertmanager), the DNS records it discovers the web droplets by, and the nginx
// exporter added to the web roles' user data.
import { createHmac } from "node:crypto";
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { Database } from "./database";
import { DNS_TTL_SECONDS } from "./dns";
import { addNginxExporter, renderMonitorCloudInit } from "./hostConfig/cloudInit";
import type { MetricsPush } from "./hostConfig/metricsPush";
import type { MonitorConfig } from "./hostConfig/prometheus";
import type { UserData } from "./hostUserData";
import type { LogStore } from "./logStore";
import { ServerPool } from "./serverPool";
import type { StackSettings } from "./settings/stackSettings";
import { shippedUserData } from "./webStackLogs";

/**
 * The relative name whose A records are the web droplets' private addresses. Public DNS then tells anyone the
 * VPC addresses of the web droplets; they are unreachable from outside the VPC, and the alternative (the monitor
 * reading DigitalOcean's API for `digitalocean_sd_configs`) would put an API token on the droplet.
 */
export const WEB_METRICS_NAME = "webstack-metrics-web";

/**
 * The relative name whose A record is the monitor's private address: where an autoscale web pool's agents push
 * (components/hostConfig/metricsPush.ts). A name, so the pool's template never changes when the monitor does.
 */
export const METRICS_PUSH_NAME = "webstack-metrics-push";

/** The roles that run nginx, and so the exporter, when the stack has a monitor. */
const NGINX_ROLES = ["web"];

/**
 * The push user's password: an HMAC of the log writer's password (both are the stack's, and the monitor holds the
 * log password already), so it needs no generator resource and changes only when that password does.
 */
export function metricsPushPassword(logs: LogStore): pulumi.Output<string> {
    return pulumi.secret(logs.writer.password.apply(pushPasswordFrom));
}

/** The derivation itself: 64 hex digits, which nginx's `{PLAIN}` file and Prometheus's password file both hold as is. */
export function pushPasswordFrom(logWriterPassword: string): string {
    return createHmac("sha256", logWriterPassword).update("webstack metrics push").digest("hex");
}

/** A pool's user data as it boots with the stack's observability: the exporter (and push) and the log shipping. */
export function observedUserData(
    userData: UserData,
    role: string,
    s: StackSettings,
    autoscaled: boolean,
    logs?: LogStore,
): UserData {
    return shippedUserData(
        withQpsExporter(userData, role, s, autoscaled, logs),
        role === "app" ? "app" : "web",
        logs,
        s.secretsDelivery,
    );
}

/**
 * A pool's user data with the nginx exporter added (web roles, when the stack has a monitor). An autoscaled web
 * pool also pushes its samples to the monitor: no DNS record can name its members for the monitor to scrape.
 */
export function withQpsExporter(
    userData: UserData,
    role: string,
    s: StackSettings,
    autoscaled: boolean,
    logs?: LogStore,
): UserData {
    if (!s.logs || !logs || !NGINX_ROLES.includes(role)) return userData;
    if (!autoscaled) {
        const text = pulumi.output(userData.text).apply((t) => addNginxExporter(t));
        return { text: userData.secret ? pulumi.secret(text) : text, secret: userData.secret };
    }
    const withPassword = s.secretsDelivery === "userData";
    const host = `${METRICS_PUSH_NAME}.${s.domain}`;
    const push: pulumi.Output<MetricsPush> = withPassword
        ? metricsPushPassword(logs).apply((password) => ({ host, password }))
        : pulumi.output({ host });
    const text = pulumi.all([userData.text, push]).apply(([t, p]) => addNginxExporter(t, p));
    return withPassword || userData.secret ? { text: pulumi.secret(text), secret: true } : { text, secret: false };
}

/** The monitor droplet and the web droplets' metrics DNS records; undefined when the stack collects no logs. */
export function createMonitor(
    name: string,
    s: StackSettings,
    tags: { readonly common: pulumi.Input<string>[]; readonly monitor?: pulumi.Input<string> },
    zone: pulumi.Input<string>,
    /** The fixed web droplets (scraped through DNS records), or "autoscale" (they push). */
    webPool: readonly digitalocean.Droplet[] | "autoscale",
    data: { database?: Database; logs?: LogStore },
    droplet: { region: string; vpcUuid: pulumi.Input<string>; sshKeys: readonly string[] },
    parent: pulumi.Resource,
): ServerPool | undefined {
    if (!s.logs) return undefined;
    const database = data.database;
    const child = { parent };
    const autoscaled = webPool === "autoscale";
    const webDroplets = autoscaled ? [] : webPool;
    webDroplets.forEach(
        (d, i) =>
            new digitalocean.DnsRecord(
                `${name}-metrics-web-${i}`,
                { domain: zone, type: "A", name: WEB_METRICS_NAME, value: d.ipv4AddressPrivate, ttl: DNS_TTL_SECONDS },
                child,
            ),
    );
    const withSecrets = s.secretsDelivery === "userData";
    const credentials = database && digitalocean.getDatabaseMetricsCredentialsOutput(child);
    const ca = database && digitalocean.getDatabaseCaOutput({ clusterId: database.cluster.id }, child);
    const db =
        database &&
        pulumi
            .all([database.cluster.metricsEndpoints, database.cluster.host, credentials!, ca!])
            .apply(([endpoints, host, c, caCert]): MonitorConfig["database"] => ({
                // Empty until the provider has read the cluster back (TF v2.89.0 persists an empty list): the
                // endpoint DigitalOcean documents is the cluster's host on 9273 (logs-metrics-qps.md §2.4).
                endpoints: endpoints && endpoints.length > 0 ? endpoints : [`https://${host}:9273/metrics`],
                username: c.username,
                password: withSecrets ? c.password : undefined,
                caCertificate: caCert.certificate,
            }));
    const slack = s.alerts.slack && {
        channel: s.alerts.slack.channel,
        url: withSecrets ? s.alerts.slack.url : undefined,
    };
    const pushPassword = autoscaled && data.logs && withSecrets ? metricsPushPassword(data.logs) : undefined;
    const smtp = s.alerts.smtp;
    const email: MonitorConfig["email"] = smtp && {
        ...smtp,
        to: s.alerts.emails,
        password: withSecrets ? smtp.password : undefined,
    };
    const text = pulumi.all([db, pushPassword]).apply(([dbConfig, password]) =>
        renderMonitorCloudInit({
            stack: s.stack,
            retentionDays: s.logs!.indexDaysMax,
            webTargetsName: webDroplets.length > 0 ? `${WEB_METRICS_NAME}.${s.domain}` : undefined,
            webPush: autoscaled ? { password } : undefined,
            database: dbConfig,
            slack,
            email,
        }),
    );
    // The monitor ships its own logs too (journal: Prometheus, Alertmanager, sshd), like every role.
    const userData = shippedUserData(
        { text: withSecrets ? pulumi.secret(text) : text, secret: withSecrets },
        "monitor",
        data.logs,
        s.secretsDelivery,
    );
    const monitor = new ServerPool(
        `${name}-monitor`,
        {
            ...droplet,
            count: 1,
            size: s.logs.monitorSize,
            tags: [...tags.common, ...(tags.monitor ? [tags.monitor] : [])],
            userData: userData.text,
            userDataIsSecret: userData.secret,
            monitoring: s.monitoring,
        },
        child,
    );
    if (autoscaled) {
        new digitalocean.DnsRecord(
            `${name}-metrics-push`,
            {
                domain: zone,
                type: "A",
                name: METRICS_PUSH_NAME,
                value: monitor.droplets[0].ipv4AddressPrivate,
                ttl: DNS_TTL_SECONDS,
            },
            child,
        );
    }
    return monitor;
}
