import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export interface StaticAssetsArgs {
    /** A region that offers Spaces. */
    readonly region: string;
    /** Protects the bucket from deletion and replacement (the stack passes `database.protect`). */
    readonly protect: boolean;
}

/**
 * A private, versioned Spaces bucket for static assets with DigitalOcean's CDN in front (tier 3).
 * The bucket's listing stays private; objects meant for the CDN are uploaded with a public-read ACL.
 * Spaces has no tags.
 */
export class StaticAssets extends pulumi.ComponentResource {
    readonly bucket: digitalocean.SpacesBucket;
    readonly cdn: digitalocean.Cdn;
    /** Logical names of the children that hold data. */
    readonly dataResourceNames: string[];

    constructor(name: string, args: StaticAssetsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:StaticAssets", name, {}, opts);
        this.bucket = new digitalocean.SpacesBucket(
            `${name}-bucket`,
            { region: args.region, acl: "private", versioning: { enabled: true }, forceDestroy: false },
            { parent: this, protect: args.protect },
        );
        this.dataResourceNames = [`${name}-bucket`];
        this.cdn = new digitalocean.Cdn(
            `${name}-cdn`,
            { origin: this.bucket.bucketDomainName, ttl: 3600 },
            { parent: this },
        );
        this.registerOutputs({ bucket: this.bucket, cdn: this.cdn, dataResourceNames: this.dataResourceNames });
    }
}
