import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export interface NetworkArgs {
    /** DigitalOcean region slug, e.g. "nyc3". */
    readonly region: string;
    /**
     * Private IPv4 range of the VPC (RFC 1918, /16 to /28), overlapping no other VPC of the account. Undefined lets
     * DigitalOcean allocate a free /20, fixed for the VPC's life. @default undefined
     */
    readonly ipRange?: string;
    readonly description: string;
}

/**
 * The stack's VPC, at every tier. It exists from tier 0 because a managed database's `privateNetworkUuid`
 * forces replacement: the database must be born in the VPC it will keep through every tier upgrade.
 */
export class Network extends pulumi.ComponentResource {
    readonly vpc: digitalocean.Vpc;

    constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Network", name, {}, opts);
        this.vpc = new digitalocean.Vpc(
            `${name}-vpc`,
            { region: args.region, ipRange: args.ipRange, description: args.description },
            { parent: this },
        );
        this.registerOutputs({ vpc: this.vpc });
    }
}
