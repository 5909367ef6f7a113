import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { requireValidArgs } from "./validate";

export const DNS_TTL_SECONDS = 300;

export interface DnsArgs {
    /** The zone (apex domain) DigitalOcean hosts, e.g. "example.com". */
    readonly zone: pulumi.Input<string>;
    /** Addresses the apex and `www` resolve to: one A record per address per name (several = DNS round robin). */
    readonly addresses: pulumi.Input<string>[];
}

/**
 * The A records of the apex and `www`: to the droplet at tier 0, to every public load balancer above.
 * The zone itself is created before the certificate (Let's Encrypt validates through it), so it is passed in.
 */
export class Dns extends pulumi.ComponentResource {
    readonly records: digitalocean.DnsRecord[];

    constructor(name: string, args: DnsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Dns", name, {}, opts);
        requireValidArgs(this, "Dns", name, [
            [args.addresses.length > 0, "addresses: at least one address is required for the apex and www records; got none."],
        ]);
        this.records = (["apex", "www"] as const).flatMap((label) =>
            args.addresses.map(
                (value, i) =>
                    new digitalocean.DnsRecord(
                        `${name}-${label}-${i}`,
                        { domain: args.zone, type: "A", name: label === "apex" ? "@" : "www", value, ttl: DNS_TTL_SECONDS },
                        { parent: this },
                    ),
            ),
        );
        this.registerOutputs({});
    }
}
