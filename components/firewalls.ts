import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export const WORLD = ["0.0.0.0/0", "::/0"];

/** A TCP port open to the given sources (DigitalOcean load balancers, droplet tags or addresses). */
export interface InboundRule {
    readonly port: number;
    readonly sources: {
        readonly sourceLoadBalancerUids?: pulumi.Input<string>[];
        readonly sourceTags?: pulumi.Input<string>[];
        readonly sourceAddresses?: string[];
    };
}

/** One role's door: who may open which port on the droplets carrying `tag`. */
export interface FirewallRole {
    /** Role name, used in the logical name (`${name}-${role}`). */
    readonly role: string;
    /** Tag of the droplets the firewall applies to. */
    readonly tag: pulumi.Input<string>;
    /** The only ports open besides SSH from the admin CIDRs. */
    readonly inbound: readonly InboundRule[];
}

export interface FirewallsArgs {
    readonly roles: readonly FirewallRole[];
    /** CIDRs allowed to SSH; when empty, port 22 is closed. */
    readonly adminCidrs: readonly string[];
}

/**
 * Per-role cloud firewalls (tier 2+): the internet reaches only the load balancers (HAProxy droplets on 80
 * and 443 with the haproxy engine); each role accepts its one port from its load balancer, SSH only from the admin CIDRs, and may reach out (package updates,
 * image pulls, DNS, the managed database).
 */
export class Firewalls extends pulumi.ComponentResource {
    readonly firewalls: digitalocean.Firewall[];

    constructor(name: string, args: FirewallsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Firewalls", name, {}, opts);
        const ssh =
            args.adminCidrs.length > 0
                ? [{ protocol: "tcp", portRange: "22", sourceAddresses: [...args.adminCidrs] }]
                : [];
        const outboundRules = [
            { protocol: "tcp", portRange: "1-65535", destinationAddresses: WORLD },
            { protocol: "udp", portRange: "1-65535", destinationAddresses: WORLD },
            { protocol: "icmp", destinationAddresses: WORLD },
        ];
        this.firewalls = args.roles.map(
            (r) =>
                new digitalocean.Firewall(
                    `${name}-${r.role}`,
                    {
                        tags: [r.tag],
                        inboundRules: [
                            ...r.inbound.map((i) => ({ protocol: "tcp", portRange: String(i.port), ...i.sources })),
                            ...ssh,
                        ],
                        outboundRules,
                    },
                    { parent: this },
                ),
        );
        this.registerOutputs({});
    }
}
