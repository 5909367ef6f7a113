import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { LIMITS } from "./settings/limits";
import type { DnsRecordSettings } from "./settings/stackSettings";
import { requireValidArgs } from "./validate";

export const DNS_TTL_SECONDS = 300;

/**
 * The names the site answers on, as DigitalOcean names records relative to their zone, the apex as "@"
 * (digitalocean/openapi@7c1300c4 specification/resources/domains/models/domain_record.yml:16-19).
 */
export const SITE_RECORD_NAMES = ["@", "www"] as const;

/**
 * Records that droplets find each other by at run time (HAProxy's web pool and ACME peers, the monitor's targets):
 * the lowest TTL the stack accepts (LIMITS.dnsTtl), so a resolver sees a new droplet, or forgets a removed one, within
 * 30 s. DigitalOcean gives every record of one name the same TTL (terraform-provider-digitalocean@401992a1
 * digitalocean/domain/resource_record.go:205-207, RFC 2181 §5.2), so every record of such a name uses this one.
 */
export const DISCOVERY_TTL_SECONDS = LIMITS.dnsTtl.min;

export interface DnsArgs {
    /** The zone (apex domain) DigitalOcean hosts, e.g. "example.com": created by the stack or adopted. */
    readonly zone: pulumi.Input<string>;
    /** Addresses the apex and `www` resolve to: one A record per address per name (several = DNS round robin). */
    readonly addresses: pulumi.Input<string>[];
    /** Extra records to keep in the zone (MX, SPF/DKIM TXT, CAA, …), validated by the settings. @default [] */
    readonly records?: readonly DnsRecordSettings[];
    /**
     * What the apex and www records wait for before they are created or changed: the gated resources behind
     * `addresses` (the reserved IPs' assignments, the web droplets), so DNS never sends users to an address before it
     * serves. @default []
     */
    readonly after?: pulumi.Input<pulumi.Resource>[];
}

/** `${name}-<type>-<label>-<n>`: the same record keeps its logical name when others are added or removed before it. */
function recordKey(record: DnsRecordSettings, seen: Map<string, number>): string {
    const label = record.name === "@" ? "apex" : record.name.replace(/[^a-z0-9-]/g, "-");
    const base = `${record.type.toLowerCase()}-${label}`;
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    return `${base}-${n}`;
}

/**
 * The A records of the apex and `www` (to the droplet at tier 0, to every public load balancer above) and the
 * extra records of `dns.records`. The zone itself is created (or adopted) before the certificate, since Let's
 * Encrypt validates through it, so it is passed in.
 */
export class Dns extends pulumi.ComponentResource {
    readonly records: digitalocean.DnsRecord[];
    /** `<type> <fqdn> <value>` of every record the stack manages, for the stack's outputs. */
    readonly managed: pulumi.Output<string[]>;

    constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Dns", name, {}, opts);
        requireValidArgs(this, "Dns", name, [
            [
                args.addresses.length > 0,
                "addresses: at least one address is required for the apex and www records; got none.",
            ],
        ]);
        const site = SITE_RECORD_NAMES.flatMap((recordName) =>
            args.addresses.map(
                (value, i) =>
                    new digitalocean.DnsRecord(
                        `${name}-${recordName === "@" ? "apex" : recordName}-${i}`,
                        {
                            domain: args.zone,
                            type: "A",
                            name: recordName,
                            value,
                            ttl: DNS_TTL_SECONDS,
                        },
                        { parent: this, dependsOn: args.after },
                    ),
            ),
        );
        const seen = new Map<string, number>();
        const extra = (args.records ?? []).map(
            (r) =>
                new digitalocean.DnsRecord(
                    `${name}-${recordKey(r, seen)}`,
                    {
                        domain: args.zone,
                        type: r.type,
                        name: r.name,
                        value: r.value,
                        ttl: r.ttl,
                        priority: r.priority,
                        flags: r.flags,
                        tag: r.tag,
                    },
                    { parent: this },
                ),
        );
        this.records = [...site, ...extra];
        this.managed = pulumi.all(
            this.records.map((r) =>
                pulumi.all([r.type, r.fqdn, r.value]).apply(([type, fqdn, value]) => `${type} ${fqdn} ${value}`),
            ),
        );
        this.registerOutputs({ records: this.records, managed: this.managed });
    }
}
