// WebStack's wiring of the QPS half of issue 15, kept beside it (webStack.ts stays under the layout limit): the
// monitor droplet (Prometheus + Alertmanager), the DNS records it discovers the web droplets by, and the nginx
// exporter added to the web roles' user data.
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { Database } from "./database";
import { DNS_TTL_SECONDS } from "./dns";
import { addNginxExporter, renderMonitorCloudInit } from "./hostConfig/cloudInit";
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

/** The roles that run nginx, and so the exporter, when the stack has a monitor. */
const NGINX_ROLES = ["web"];

/** A pool's user data with the nginx exporter added (web roles, when the stack has a monitor). */
export function withQpsExporter(userData: UserData, role: string, s: StackSettings): UserData {
    if (!s.logs || !NGINX_ROLES.includes(role)) return userData;
    const text = pulumi.output(userData.text).apply(addNginxExporter);
    return { text: userData.secret ? pulumi.secret(text) : text, secret: userData.secret };
}

/** The monitor droplet and the web droplets' metrics DNS records; undefined when the stack collects no logs. */
export function createMonitor(
    name: string,
    s: StackSettings,
    tags: { readonly common: pulumi.Input<string>[]; readonly monitor?: pulumi.Input<string> },
    zone: pulumi.Input<string>,
    webDroplets: readonly digitalocean.Droplet[],
    data: { database?: Database; logs?: LogStore },
    droplet: { region: string; vpcUuid: pulumi.Input<string>; sshKeys: readonly string[] },
    parent: pulumi.Resource,
): ServerPool | undefined {
    if (!s.logs) return undefined;
    const database = data.database;
    const child = { parent };
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
    const slack = s.alerts.slack && { channel: s.alerts.slack.channel, url: withSecrets ? s.alerts.slack.url : undefined };
    const smtp = s.alerts.smtp;
    const email: MonitorConfig["email"] = smtp && { ...smtp, to: s.alerts.emails, password: withSecrets ? smtp.password : undefined };
    const text = pulumi.all([db]).apply(([dbConfig]) =>
        renderMonitorCloudInit({
            stack: s.stack,
            retentionDays: s.logs!.indexDaysMax,
            webTargetsName: webDroplets.length > 0 ? `${WEB_METRICS_NAME}.${s.domain}` : undefined,
            database: dbConfig,
            slack,
            email,
        }),
    );
    // The monitor ships its own logs too (journal: Prometheus, Alertmanager, sshd), like every role (issue 15).
    const userData = shippedUserData({ text: withSecrets ? pulumi.secret(text) : text, secret: withSecrets }, "monitor", data.logs, s.secretsDelivery);
    return new ServerPool(
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
}
