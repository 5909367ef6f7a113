import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export interface StaticAssetsArgs {
    /** A region that offers Spaces. */
    readonly region: string;
    /** Protects the bucket from deletion and replacement (the stack passes `database.protect`). */
    readonly protect: boolean;
}

/** Days an overwritten or deleted object's old version stays restorable before Spaces deletes it. */
export const NONCURRENT_VERSION_DAYS = 30;
/** Days before Spaces aborts an unfinished multipart upload, whose parts are stored (and billed) meanwhile. */
export const INCOMPLETE_UPLOAD_DAYS = 7;

/**
 * The bucket's lifecycle: versioning keeps every old version until someone deletes it, so old versions expire
 * after NONCURRENT_VERSION_DAYS, the delete markers they leave behind go once no version is left under them, and
 * abandoned multipart uploads go after INCOMPLETE_UPLOAD_DAYS. Fixed ids, so the provider never renames a rule.
 * Schema: @pulumi/digitalocean 4.80.1 types/input.d.ts SpacesBucketLifecycleRule; the provider sends it as an S3
 * PutBucketLifecycleConfiguration and its acceptance tests run both rule shapes against Spaces
 * (terraform-provider-digitalocean@401992a1 digitalocean/spaces/resource_spaces_bucket.go:634-725,
 * resource_spaces_bucket_test.go TestAccDigitalOceanSpacesBucket_LifecycleBasic, _LifecycleExpireMarkerOnly).
 */
export const LIFECYCLE_RULES = [
    {
        id: "expire-noncurrent-versions",
        enabled: true,
        noncurrentVersionExpiration: { days: NONCURRENT_VERSION_DAYS },
        abortIncompleteMultipartUploadDays: INCOMPLETE_UPLOAD_DAYS,
    },
    { id: "remove-expired-delete-markers", enabled: true, expiration: { expiredObjectDeleteMarker: true } },
];

/**
 * A private, versioned Spaces bucket for static assets with DigitalOcean's CDN in front (tier 3); old versions
 * expire (LIFECYCLE_RULES). The bucket's listing stays private; objects meant for the CDN are uploaded with a
 * public-read ACL. Spaces has no tags.
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
            {
                region: args.region,
                acl: "private",
                versioning: { enabled: true },
                lifecycleRules: LIFECYCLE_RULES,
                // A destroy fails while any object version is left; docs/troubleshooting.md empties it on purpose.
                forceDestroy: false,
            },
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
