import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DROPLET_IMAGE } from "./cloudInit";

export interface HaproxyBalancersArgs {
    /** HAProxy droplets, 1 to 10; each gets a reserved IP and its own DNS A records (active-active). */
    readonly count: number;
    /** Droplet size slug. */
    readonly size: string;
    readonly region: string;
    readonly vpcUuid: pulumi.Input<string>;
    readonly sshKeys: readonly string[];
    /** Tags, the load balancer role tag included (firewalls and alerts target it). */
    readonly tags: pulumi.Input<string>[];
    /** Rendered cloud-config (HAProxy, its backends, certbot when TLS is on). */
    readonly userData: pulumi.Input<string>;
    /** Installs the DigitalOcean metrics agent. */
    readonly monitoring: boolean;
}

/**
 * Self-managed load balancers: HAProxy droplets (`loadBalancer.engine: haproxy`), each behind a reserved IP so
 * DNS keeps pointing at the same address when a droplet is replaced (changed backends rewrite user data,
 * which replaces the droplet). One HAProxy droplet is a single machine: a single point of failure.
 */
export class HaproxyBalancers extends pulumi.ComponentResource {
    readonly droplets: digitalocean.Droplet[];
    readonly reservedIps: digitalocean.ReservedIp[];

    constructor(name: string, args: HaproxyBalancersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:HaproxyBalancers", name, {}, opts);
        this.droplets = Array.from(
            { length: args.count },
            (_, i) =>
                new digitalocean.Droplet(
                    `${name}-${i}`,
                    {
                        image: DROPLET_IMAGE,
                        size: args.size,
                        region: args.region,
                        vpcUuid: args.vpcUuid,
                        sshKeys: [...args.sshKeys],
                        tags: args.tags,
                        userData: args.userData,
                        monitoring: args.monitoring,
                        ipv6: true,
                        gracefulShutdown: true,
                    },
                    { parent: this },
                ),
        );
        this.reservedIps = this.droplets.map((droplet, i) => {
            const ip = new digitalocean.ReservedIp(`${name}-ip-${i}`, { region: args.region }, { parent: this });
            new digitalocean.ReservedIpAssignment(`${name}-ip-assignment-${i}`, { ipAddress: ip.ipAddress, dropletId: droplet.id.apply(Number) }, { parent: this });
            return ip;
        });
        this.registerOutputs({ ips: this.reservedIps.map((ip) => ip.ipAddress) });
    }
}
