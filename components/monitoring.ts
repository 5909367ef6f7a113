import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { requireValidArgs } from "./validate";

export interface AlertTargets {
    readonly emails: readonly string[];
    readonly slack?: { readonly channel: string; readonly url: pulumi.Input<string> };
}

export interface MonitoringArgs {
    /** Tags of every droplet to watch (the agent must be on for memory and disk). */
    readonly dropletTags: pulumi.Input<string>[];
    /** Ids of every load balancer, public and internal. */
    readonly loadBalancerIds: pulumi.Input<string>[];
    /** Ids of the managed database clusters: MySQL and the Valkey cache share the dbaas alert types. */
    readonly databaseIds: pulumi.Input<string>[];
    /** https:// URL of the public site, checked from several regions. */
    readonly url: string;
    readonly targets: AlertTargets;
    /**
     * What the uptime check waits for: the site's DNS records, which wait for the readiness gates, so it starts
     * checking once the site serves and its alerts do not report the first deployment as an outage. @default nothing
     */
    readonly uptimeAfter?: pulumi.Input<pulumi.Resource[]>;
}

/** A metric alert: DigitalOcean type, comparison, threshold in the type's unit, and the 5-minute window. */
export interface AlertRule {
    readonly key: string;
    readonly type: string;
    readonly compare: "GreaterThan" | "LessThan";
    readonly value: number;
    /** The unit DigitalOcean measures `type` in (see THRESHOLD_UNITS). */
    readonly unit: "%" | "s";
    readonly description: string;
}

/**
 * The unit of each alert type's `value`. Percent types: the type table of digitalocean/openapi@7c1300c
 * specification/resources/monitoring/monitoring_create_alertPolicy.yml:44-55 ("alert on the percent of CPU
 * utilization", "... memory utilization", "... disk utilization", "the percent increase of 5xx level http errors", and
 * for v1/dbaas/alerts/* "the percent ... average across the database cluster"). `droplet_health` is the percentage of
 * healthy backends (the control panel's "Droplet health"; the spec says only "Droplet health status changes"), so
 * LessThan 100 fires when any backend is down.
 * The load balancer response-time types: the alert-policy table gives no unit (":54", "alert on high 95th percentile
 * http response time"), nor does the provider ("DigitalOcean will show the correct unit in the web panel",
 * terraform-provider-digitalocean@401992a1 docs/resources/monitor_alert.md:69-70). The metrics API serves the same
 * series "in seconds" (monitoring_get_lb_droplets_http_response_time_95p.yml:6), and no DigitalOcean source names
 * milliseconds, so the threshold is in seconds. Still an inference: docs/monitoring.md says how to confirm it once.
 */
export const THRESHOLD_UNITS: Readonly<Record<string, AlertRule["unit"]>> = {
    "v1/insights/droplet/cpu": "%",
    "v1/insights/droplet/memory_utilization_percent": "%",
    "v1/insights/droplet/disk_utilization_percent": "%",
    "v1/insights/lbaas/increase_in_http_error_rate_percentage_5xx": "%",
    "v1/insights/lbaas/droplet_health": "%",
    "v1/insights/lbaas/high_http_request_response_time_95p": "s",
    "v1/dbaas/alerts/cpu_alerts": "%",
    "v1/dbaas/alerts/memory_utilization_alerts": "%",
    "v1/dbaas/alerts/disk_utilization_alerts": "%",
};

export const DROPLET_ALERTS: readonly AlertRule[] = [
    {
        key: "droplet-cpu",
        type: "v1/insights/droplet/cpu",
        compare: "GreaterThan",
        value: 80,
        unit: "%",
        description: "Droplet CPU above 80% for 5 minutes",
    },
    {
        key: "droplet-memory",
        type: "v1/insights/droplet/memory_utilization_percent",
        compare: "GreaterThan",
        value: 85,
        unit: "%",
        description: "Droplet memory above 85% for 5 minutes",
    },
    {
        key: "droplet-disk",
        type: "v1/insights/droplet/disk_utilization_percent",
        compare: "GreaterThan",
        value: 85,
        unit: "%",
        description: "Droplet disk above 85% for 5 minutes",
    },
];
export const LOAD_BALANCER_ALERTS: readonly AlertRule[] = [
    {
        key: "lb-5xx",
        type: "v1/insights/lbaas/increase_in_http_error_rate_percentage_5xx",
        compare: "GreaterThan",
        value: 5,
        unit: "%",
        description: "Load balancer 5xx rate above 5% for 5 minutes",
    },
    {
        key: "lb-droplet-health",
        type: "v1/insights/lbaas/droplet_health",
        compare: "LessThan",
        value: 100,
        unit: "%",
        description: "A load balancer backend is unhealthy",
    },
    {
        key: "lb-latency",
        type: "v1/insights/lbaas/high_http_request_response_time_95p",
        compare: "GreaterThan",
        value: 2,
        unit: "s",
        description: "Load balancer 95th percentile response time above 2 s for 5 minutes",
    },
];
export const DATABASE_ALERTS: readonly AlertRule[] = [
    {
        key: "db-cpu",
        type: "v1/dbaas/alerts/cpu_alerts",
        compare: "GreaterThan",
        value: 80,
        unit: "%",
        description: "Database CPU above 80% for 5 minutes",
    },
    {
        key: "db-memory",
        type: "v1/dbaas/alerts/memory_utilization_alerts",
        compare: "GreaterThan",
        value: 85,
        unit: "%",
        description: "Database memory above 85% for 5 minutes",
    },
    {
        key: "db-disk",
        type: "v1/dbaas/alerts/disk_utilization_alerts",
        compare: "GreaterThan",
        value: 80,
        unit: "%",
        description: "Database disk above 80% for 5 minutes",
    },
];
/**
 * Uptime alerts: site down (2 minutes), latency above 2,000 ms, certificate expiring within 14 days. Units from
 * digitalocean/openapi specification/resources/uptime/models/alert.yml: `latency` in milliseconds, `ssl_expiry`
 * in days, `down` without a threshold.
 */
export const UPTIME_ALERTS: readonly {
    key: string;
    type: string;
    period: string;
    threshold?: number;
    comparison?: string;
}[] = [
    { key: "down", type: "down", period: "2m" },
    { key: "latency", type: "latency", threshold: 2000, comparison: "greater_than", period: "5m" },
    { key: "ssl-expiry", type: "ssl_expiry", threshold: 14, comparison: "less_than", period: "1h" },
];

/**
 * Alert policies for every droplet, load balancer and database, and an HTTPS uptime check with down,
 * latency and certificate-expiry alerts (tier 2+).
 */
export class Monitoring extends pulumi.ComponentResource {
    readonly alerts: digitalocean.MonitorAlert[];
    readonly uptimeCheck: digitalocean.UptimeCheck;
    readonly uptimeAlerts: digitalocean.UptimeAlert[];

    constructor(name: string, args: MonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Monitoring", name, {}, opts);
        requireValidArgs(this, "Monitoring", name, [
            [
                args.targets.emails.length > 0 || args.targets.slack !== undefined,
                "targets: at least one e-mail or Slack target is required; an alert nobody receives is no alert; got none.",
            ],
            [/^https?:\/\/\S+$/.test(args.url), `url: must be an http(s) URL; got "${args.url}".`],
        ]);
        const emails = args.targets.emails.length > 0 ? [...args.targets.emails] : undefined;
        const slacks = args.targets.slack
            ? [{ channel: args.targets.slack.channel, url: pulumi.secret(args.targets.slack.url) }]
            : undefined;
        const alert = (rule: AlertRule, scope: { tags?: pulumi.Input<string>[]; entities?: pulumi.Input<string>[] }) =>
            new digitalocean.MonitorAlert(
                `${name}-${rule.key}`,
                {
                    type: rule.type,
                    compare: rule.compare,
                    value: rule.value,
                    window: "5m",
                    enabled: true,
                    description: rule.description,
                    alerts: { emails, slacks },
                    ...scope,
                },
                { parent: this },
            );
        this.alerts = [
            ...DROPLET_ALERTS.map((r) => alert(r, { tags: args.dropletTags })),
            ...LOAD_BALANCER_ALERTS.map((r) => alert(r, { entities: args.loadBalancerIds })),
            ...(args.databaseIds.length > 0
                ? DATABASE_ALERTS.map((r) => alert(r, { entities: args.databaseIds }))
                : []),
        ];
        this.uptimeCheck = new digitalocean.UptimeCheck(
            `${name}-uptime`,
            { target: args.url, type: "https", regions: ["us_east", "us_west", "eu_west", "se_asia"], enabled: true },
            { parent: this, dependsOn: args.uptimeAfter },
        );
        this.uptimeAlerts = UPTIME_ALERTS.map(
            ({ key, ...alert }) =>
                new digitalocean.UptimeAlert(
                    `${name}-uptime-${key}`,
                    { checkId: this.uptimeCheck.id, ...alert, notifications: [{ emails, slacks }] },
                    { parent: this },
                ),
        );
        this.registerOutputs({ alerts: this.alerts, uptimeCheck: this.uptimeCheck, uptimeAlerts: this.uptimeAlerts });
    }
}
