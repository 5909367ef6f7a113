import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { adoptedBy } from "./adoption";
import { DISCOVERY_TTL_SECONDS } from "./dns";
import { DATABASE_METRICS_SRV, METRICS_PUSH_NAME, type UserDataSpec, WEB_METRICS_NAME } from "./hostRoles";
import { Monitoring, type MonitoringArgs } from "./monitoring";
import { type RoleGateArgs, gateStash, roleGate } from "./readiness/servingGate";
import { ServerPool } from "./serverPool";

export interface ObservabilityArgs {
    /** The zone the discovery records go in. */
    readonly zone: pulumi.Input<string>;
    /**
     * The QPS monitor (when the stack collects logs): its droplet, and whether the web pool pushes to it (an autoscale
     * pool, whose members no DNS record can name) instead of being scraped through the web records.
     */
    readonly monitor?: UserDataSpec & {
        readonly size: string;
        readonly region: string;
        readonly vpcUuid: pulumi.Input<string>;
        readonly sshKeys: readonly string[];
        readonly tags: pulumi.Input<string>[];
        readonly monitoring: boolean;
        readonly webPushes: boolean;
    };
    /**
     * The fixed web droplets, each named by one A record under WEB_METRICS_NAME (its private address), which the
     * monitor scrapes and HAProxy balances over. With `gate` (the haproxy engine) the records get a gate Stash, created
     * or updated once every HAProxy droplet serves through each new record's droplet: HAProxy sees a droplet only once
     * its record exists, so the gate can only run after the record's creation.
     */
    readonly web?: {
        readonly droplets: readonly digitalocean.Droplet[];
        readonly gate?: Omit<RoleGateArgs, "release" | "role">;
        /** Without `gate`: what the records wait for (the web pool's gate Stash). @default nothing */
        readonly after?: readonly pulumi.Resource[];
    };
    /** The managed MySQL cluster's metrics endpoints, one SRV record each (hostRoles.ts metricsEndpointTargets). */
    readonly databaseMetrics?: readonly pulumi.Input<{ readonly value: string; readonly port: number }>[];
    /** DigitalOcean's alert policies and the uptime check (tier 2+). */
    readonly alerts?: MonitoringArgs;
}

/**
 * What watches the site and what its droplets find each other by: the monitor droplet (Prometheus + Alertmanager,
 * QPS), the web droplets' records (the monitor's targets and HAProxy's web pool), the database's metrics SRV records,
 * the record an autoscale pool pushes to, and DigitalOcean's alert policies and uptime check.
 */
export class Observability extends pulumi.ComponentResource {
    /** The monitor droplet (a pool of one). */
    readonly monitor?: ServerPool;
    /** The web droplets' records, and the monitor's push record (autoscale web pools). */
    readonly records: digitalocean.DnsRecord[];
    /** With a gate: the Stash holding the web droplets' ids once each new one serves through its record (servingGate.ts). */
    readonly webGate?: pulumi.Stash;
    /** The SRV records of the database's metrics endpoints. */
    readonly databaseMetricsRecords: digitalocean.DnsRecord[];
    readonly alerts?: Monitoring;

    constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Observability", name, {}, opts);
        // These were WebStack's own children: aliased to it, so every URN is kept (adoption.ts).
        const adopted = adoptedBy(this, opts);
        const record = (
            suffix: string,
            label: string,
            value: pulumi.Input<string>,
            options: pulumi.CustomResourceOptions = {},
        ) =>
            new digitalocean.DnsRecord(
                `${name}-${suffix}`,
                { domain: args.zone, type: "A", name: label, value, ttl: DISCOVERY_TTL_SECONDS },
                { ...adopted, ...options },
            );
        const web = args.web;
        // A replaced droplet has a new address: a new record, created (and its gate passed) before the old one is
        // deleted at the end of the update, so the droplets serving now stay in HAProxy's pool meanwhile. DigitalOcean edits a
        // record's value in place otherwise (terraform-provider-digitalocean@401992a1
        // digitalocean/domain/resource_record.go:88-95, `value` is not ForceNew); `replaceOnChanges` turns that diff
        // into a replacement (pulumi/pulumi v3.248.0 pkg/resource/deploy/step_generator.go:1825-1826, :2909-2941).
        this.records = (web?.droplets ?? []).map((d, i) =>
            record(`metrics-web-${i}`, WEB_METRICS_NAME, d.ipv4AddressPrivate, {
                replaceOnChanges: ["value"],
                ...(web?.after && web.after.length > 0 ? { dependsOn: [...web.after] } : {}),
            }),
        );
        // The gate runs once the records exist: its Stash holds each web droplet's id as read through its record.
        this.webGate =
            web?.gate && web.droplets.length > 0
                ? gateStash(
                      `${name}-metrics-web-serving`,
                      this.records.map((r, i) => pulumi.all([r.id, web.droplets[i].id]).apply(([, id]) => id)),
                      roleGate(`${name}-web-gate`, { ...web.gate, role: "web" }),
                      { parent: this },
                  )
                : undefined;
        const m = args.monitor;
        if (m) {
            const { webPushes, ...droplet } = m;
            this.monitor = new ServerPool(`${name}-monitor`, { ...droplet, count: 1 }, adopted);
            if (webPushes)
                this.records.push(
                    record("metrics-push", METRICS_PUSH_NAME, this.monitor.droplets[0].ipv4AddressPrivate),
                );
        }
        // SRV targets and ports are edited in place: nothing else depends on them, and the monitor re-resolves them.
        this.databaseMetricsRecords = (args.databaseMetrics ?? []).map((target, i) => {
            const t = pulumi.output(target);
            return new digitalocean.DnsRecord(
                `${name}-mysql-metrics-${i}`,
                {
                    domain: args.zone,
                    type: "SRV",
                    name: DATABASE_METRICS_SRV,
                    // The provider requires priority, weight and port with SRV (resource_record.go:130-138, :166-169).
                    priority: 0,
                    weight: 0,
                    port: t.port,
                    value: t.value,
                    ttl: DISCOVERY_TTL_SECONDS,
                },
                adopted,
            );
        });
        this.alerts = args.alerts && new Monitoring(`${name}-monitoring`, args.alerts, adopted);
        this.registerOutputs({
            monitor: this.monitor,
            records: this.records,
            webGate: this.webGate,
            databaseMetricsRecords: this.databaseMetricsRecords,
            alerts: this.alerts,
        });
    }
}
