import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DropletSpec, createDroplets, hasSshKey } from "./serverPool";
import { LIMITS } from "./settings/limits";
import { inBounds, requireValidArgs } from "./validate";

export interface HaproxyBalancersArgs extends DropletSpec {
    /** HAProxy droplets, 1 to 10; each gets a reserved IP and its own DNS A records (active-active). */
    readonly count: number;
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
        requireValidArgs(this, "HaproxyBalancers", name, [
            inBounds("count", args.count, LIMITS.loadBalancers),
            hasSshKey(args.sshKeys),
        ]);
        this.droplets = createDroplets(name, args.count, args, this);
        this.reservedIps = this.droplets.map((droplet, i) => {
            const ip = new digitalocean.ReservedIp(`${name}-ip-${i}`, { region: args.region }, { parent: this });
            new digitalocean.ReservedIpAssignment(
                `${name}-ip-assignment-${i}`,
                { ipAddress: ip.ipAddress, dropletId: droplet.id.apply(Number) },
                { parent: this },
            );
            return ip;
        });
        this.registerOutputs({ droplets: this.droplets, reservedIps: this.reservedIps });
    }
}
