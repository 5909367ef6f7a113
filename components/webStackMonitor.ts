// WebStack's wiring of QPS, kept beside it (webStack.ts stays under the layout limit): the
// monitor droplet (Prometheus + Alertmanager), the DNS records it discovers the web droplets by, and the nginx
// exporter added to the web roles' user data.
import * as digitalocean from "@pulumi/digitalocean";
import type * as pulumi from "@pulumi/pulumi";
import type { Database } from "./database";
import { DNS_TTL_SECONDS } from "./dns";
import { METRICS_PUSH_NAME, WEB_METRICS_NAME, hostUserData, monitorHost } from "./hostRoles";
import type { LogStore } from "./logStore";
import { ServerPool } from "./serverPool";
import type { StackSettings } from "./settings/stackSettings";

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
    const userData = hostUserData(
        monitorHost(s, { database, logs: data.logs! }, { autoscaled, scraped: webDroplets.length > 0 }, parent),
    );
    const monitor = new ServerPool(
        `${name}-monitor`,
        {
            ...droplet,
            count: 1,
            size: s.logs.monitorSize,
            tags: [...tags.common, ...(tags.monitor ? [tags.monitor] : [])],
            ...userData,
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
