import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

import { DROPLET_IMAGE } from "./cloudInit";

export interface ServerPoolArgs {
    /** Number of droplets, 1 to 50. */
    readonly count: number;
    /** Droplet size slug, e.g. "s-1vcpu-1gb". */
    readonly size: string;
    readonly region: string;
    readonly vpcUuid: pulumi.Input<string>;
    /** SSH key fingerprints or ids installed for root; never empty (DigitalOcean e-mails passwords otherwise). */
    readonly sshKeys: readonly string[];
    /** Tags, the role tag included; load balancers and firewalls target the role tag. */
    readonly tags: pulumi.Input<string>[];
    /** Rendered cloud-config. Changing it replaces the droplets (create before delete). */
    readonly userData: pulumi.Input<string>;
    /** Installs the DigitalOcean metrics agent (memory and disk alerts need it). Changing it replaces the droplets. */
    readonly monitoring: boolean;
}

/** A pool of identical droplets of one role, numbered `${name}-0` … `${name}-(count-1)`. */
export class ServerPool extends pulumi.ComponentResource {
    readonly droplets: digitalocean.Droplet[];

    constructor(name: string, args: ServerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:ServerPool", name, {}, opts);
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
        this.registerOutputs({ publicIps: this.droplets.map((d) => d.ipv4Address) });
    }
}
