import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DNS_TTL_SECONDS } from "./dns";
import { METRICS_PUSH_NAME, type UserDataSpec, WEB_METRICS_NAME } from "./hostRoles";
import { Monitoring, type MonitoringArgs } from "./monitoring";
import { ServerPool } from "./serverPool";

export interface ObservabilityArgs {
    /** The zone the metrics DNS records go in. */
    readonly zone: pulumi.Input<string>;
    /**
     * The QPS monitor (when the stack collects logs): its droplet, and the web pool it collects from, scraped
     * through one DNS record per fixed droplet, or pushing from an autoscale pool (no record can name its members).
     */
    readonly monitor?: UserDataSpec & {
        readonly size: string;
        readonly region: string;
        readonly vpcUuid: pulumi.Input<string>;
        readonly sshKeys: readonly string[];
        readonly tags: pulumi.Input<string>[];
        readonly monitoring: boolean;
        readonly web: readonly digitalocean.Droplet[] | "autoscale";
    };
    /** DigitalOcean's alert policies and the uptime check (tier 2+). */
    readonly alerts?: MonitoringArgs;
}

/**
 * What watches the site: the monitor droplet (Prometheus + Alertmanager, QPS) with the DNS records it finds the web
 * droplets by, or that an autoscale pool pushes to, and DigitalOcean's alert policies and uptime check.
 */
export class Observability extends pulumi.ComponentResource {
    /** The monitor droplet (a pool of one). */
    readonly monitor?: ServerPool;
    /** The web droplets' metrics records, and the monitor's push record (autoscale web pools). */
    readonly records: digitalocean.DnsRecord[];
    readonly alerts?: Monitoring;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Observability", name, {}, opts);
        // These were WebStack's own children before it was composed of children by responsibility: the alias keeps
        // each URN, and their children inherit it (pulumi/pulumi@1b5949891b step_generator.go:621-654).
        const adopted = { parent: this, aliases: opts?.parent ? [{ parent: opts.parent }] : [] };
        const record = (suffix: string, label: string, value: pulumi.Input<string>) =>
            new digitalocean.DnsRecord(
                `${name}-${suffix}`,
                { domain: args.zone, type: "A", name: label, value, ttl: DNS_TTL_SECONDS },
                adopted,
            );
        const m = args.monitor;
        const scraped = m && m.web !== "autoscale" ? m.web : [];
        this.records = scraped.map((d, i) => record(`metrics-web-${i}`, WEB_METRICS_NAME, d.ipv4AddressPrivate));
        if (m) {
            const { web, ...droplet } = m;
            this.monitor = new ServerPool(`${name}-monitor`, { ...droplet, count: 1 }, adopted);
            if (web === "autoscale")
                this.records.push(
                    record("metrics-push", METRICS_PUSH_NAME, this.monitor.droplets[0].ipv4AddressPrivate),
                );
        }
        this.alerts = args.alerts && new Monitoring(`${name}-monitoring`, args.alerts, adopted);
        this.registerOutputs({ monitor: this.monitor, records: this.records, alerts: this.alerts });
    }
}
