// Hygiene: data is hard to lose by accident and secrets stay out of droplet metadata. Advisory by
// default; a stack's config can make any of these mandatory. The Spaces checks cover Trivy's and
// Checkov's DigitalOcean Spaces rules (public ACL, versioning, force destroy).
import { digitalocean } from "./lib/digitalocean";
import { remediateResourceOfType, validateResourceOfType } from "@pulumi/policy";
import { withChanges } from "./lib/remediate";
import type { PolicyConfigSchema } from "@pulumi/policy";
import { configWithDefaults } from "./lib/config";
import { q } from "./lib/messages";
import { forType, validateResourceOfTypes, WebstackPolicy, WebstackResourcePolicy } from "./lib/policy";
import { decideLater, isUnknown, read } from "./lib/unknowns";
import { ownerOnlyFileLines, secretsIn } from "./lib/userData";

export const databaseClusterProtected: WebstackResourcePolicy = {
    name: "database-cluster-protected",
    description: "Checks that every database cluster has the protect resource option set.",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: { properties: {} },
    rationale:
        "A renamed resource, a changed force-new input or a careless `pulumi destroy` deletes a database and its data; protect makes Pulumi refuse.",
    remediationSteps: "Pass { protect: true } in the database cluster's resource options.",
    validateResource: validateResourceOfType(digitalocean.DatabaseCluster, (_cluster, args, reportViolation) => {
        if (args.opts.protect) return;
        reportViolation(
            `Database cluster "${args.name}" is not protected, so a replacement or \`pulumi destroy\` deletes it with its data; pass { protect: true } in its resource options.`,
        );
    }),
};

export const spacesBucketPrivate: WebstackResourcePolicy = {
    name: "spaces-bucket-private",
    description: "Checks that every Spaces bucket has acl private.",
    enforcementLevel: "advisory",
    severity: "high",
    configSchema: { properties: {} },
    rationale:
        "A public-read bucket lists and serves every object to anyone; public assets belong behind a CDN or per-object ACLs, not a public bucket.",
    remediationSteps:
        'Set acl: "private" and serve public assets through a digitalocean.Cdn or per-object ACLs; at enforcement level remediate the pack sets acl: "private" itself.',
    // Safe for the stack's resources: a CDN in front of the bucket and per-object ACLs keep serving; only anonymous
    // listing and reads of the bucket itself stop, which is what the policy is for.
    remediateResource: remediateResourceOfType(digitalocean.SpacesBucket, (bucket) => {
        const acl = read(bucket, "acl");
        if (acl === undefined || acl === null || acl === "private" || isUnknown(acl)) return undefined;
        return withChanges(bucket, { acl: "private" });
    }),
    validateResource: validateResourceOfType(digitalocean.SpacesBucket, (bucket, args, reportViolation) => {
        const acl = read(bucket, "acl");
        if (isUnknown(acl)) decideLater(`Spaces bucket "${args.name}"'s acl is not known yet.`);
        if (acl === undefined || acl === null || acl === "private") return; // the provider defaults acl to private
        reportViolation(
            `Spaces bucket "${args.name}" has acl ${q(acl)}, so anyone can list and read its objects; set acl: "private".`,
        );
    }),
};

export const spacesBucketVersioning: WebstackResourcePolicy = {
    name: "spaces-bucket-versioning",
    description: "Checks that every Spaces bucket has versioning enabled.",
    enforcementLevel: "advisory",
    severity: "low",
    configSchema: { properties: {} },
    rationale:
        "Without versioning an overwrite or delete is permanent; versioning keeps the previous object to restore.",
    remediationSteps: "Set versioning: { enabled: true } (and a lifecycle rule expiring old versions).",
    validateResource: validateResourceOfType(digitalocean.SpacesBucket, (bucket, args, reportViolation) => {
        const enabled = read(bucket, "versioning", "enabled");
        if (isUnknown(enabled)) decideLater(`Spaces bucket "${args.name}"'s versioning is not known yet.`);
        if (enabled === true) return;
        reportViolation(
            `Spaces bucket "${args.name}" has versioning ${enabled === false ? "disabled" : "unset"}, so an overwritten or deleted object is gone for good; set versioning: { enabled: true }.`,
        );
    }),
};

export const spacesBucketNoForceDestroy: WebstackResourcePolicy = {
    name: "spaces-bucket-no-force-destroy",
    description: "Checks that no Spaces bucket sets forceDestroy.",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: { properties: {} },
    rationale:
        "forceDestroy lets a replacement or destroy delete a bucket that still holds objects, taking the data with it.",
    remediationSteps: "Remove forceDestroy (or set it to false) and empty buckets deliberately.",
    validateResource: validateResourceOfType(digitalocean.SpacesBucket, (bucket, args, reportViolation) => {
        const force = read(bucket, "forceDestroy");
        if (isUnknown(force)) decideLater(`Spaces bucket "${args.name}"'s forceDestroy is not known yet.`);
        if (force !== true) return;
        reportViolation(
            `Spaces bucket "${args.name}" sets forceDestroy: true, so deleting or replacing it deletes every object in it; remove forceDestroy.`,
        );
    }),
};

const dropletUserDataSecretsSchema: PolicyConfigSchema = {
    properties: {
        ignoreKeys: {
            type: "array",
            items: { type: "string" },
            default: [],
            description:
                'Variable names whose literal values are known not to be secrets (e.g. a placeholder such as "SMTP_PASSWORD" in a template that is filled at boot).',
        },
        acceptSecretFilesInSecretUserData: {
            type: "boolean",
            default: false,
            description:
                "Accept user data as the channel that delivers secret files: a literal secret is not reported when it lies in the content of a cloud-config write_files entry readable by its owner only (permissions 0600 or 0400) and the resource declares that user data a secret output (additionalSecretOutputs), so the state keeps it encrypted. Secrets anywhere else in the user data are still reported.",
        },
    },
};

interface UserDataSecretsConfig {
    ignoreKeys: string[];
    acceptSecretFilesInSecretUserData: boolean;
}

/**
 * Reports literal secrets in some user data, naming the kind and line but never the value. `declaredSecret`: the
 * resource lists the property holding the user data in additionalSecretOutputs.
 */
function checkSecrets(
    owner: string,
    userData: unknown,
    config: UserDataSecretsConfig,
    declaredSecret: boolean,
    report: (message: string) => void,
): void {
    if (isUnknown(userData)) decideLater(`${owner}'s user data is not known yet.`);
    if (typeof userData !== "string") return;
    const findings = secretsIn(userData);
    if (findings.length === 0) return;
    const ignored = new Set(config.ignoreKeys.map((k) => k.toLowerCase()));
    // Parsing the cloud-config is the costly part: only user data with a literal secret needs it.
    const accepted =
        config.acceptSecretFilesInSecretUserData && declaredSecret ? ownerOnlyFileLines(userData) : new Set<number>();
    for (const finding of findings) {
        if (finding.key !== undefined && ignored.has(finding.key.toLowerCase())) continue;
        if (accepted.has(finding.line)) continue;
        report(
            `${owner}'s user data contains ${finding.kind} on line ${finding.line} (value not shown); user data is stored in droplet metadata, readable from inside the droplet and in the state. ` +
                "Load it at boot from a file or secret store instead (e.g. PASSWORD_FILE=/path, $(cat /run/secrets/…)).",
        );
    }
}

export const dropletUserDataSecrets: WebstackResourcePolicy = {
    name: "droplet-user-data-secrets",
    description:
        "Checks that droplet user data (and autoscale droplet templates) carries no literal secrets, also inside cloud-config write_files entries it decodes as cloud-init does (b64, gz+b64) and inside the parts of a MIME multipart user data: passwords (in variables or inside URLs), tokens, DigitalOcean, GitHub, GitLab and Slack tokens, private keys, or hex or base64 key material under a *_KEY or *_CERT name; sudoers tags (NOPASSWD) and booleans (lock_passwd: true) are not secrets.",
    enforcementLevel: "advisory",
    severity: "high",
    configSchema: dropletUserDataSecretsSchema,
    rationale:
        "User data is kept in droplet metadata for the droplet's life, served to any process on it at 169.254.169.254, and stored in Pulumi state; a secret there leaks widely.",
    remediationSteps:
        "Reference secrets instead of embedding them: a *_FILE=/path variable, $(cat /file), ${VAR} from a secret store, or a managed database's credentials fetched at boot.",
    validateResource: validateResourceOfTypes(
        // The analyzer receives secret values unwrapped (@pulumi/policy 1.21 deserializeProperties(…, false) in
        // server.js), so a policy cannot see an input's secretness; it does see additionalSecretOutputs.
        forType(digitalocean.Droplet, (droplet, args, reportViolation) => {
            const config = configWithDefaults<UserDataSecretsConfig>(dropletUserDataSecretsSchema, args);
            const declared = (args.opts.additionalSecretOutputs ?? []).includes("userData");
            checkSecrets(`Droplet "${args.name}"`, read(droplet, "userData"), config, declared, reportViolation);
        }),
        forType(digitalocean.DropletAutoscale, (pool, args, reportViolation) => {
            const config = configWithDefaults<UserDataSecretsConfig>(dropletUserDataSecretsSchema, args);
            const declared = (args.opts.additionalSecretOutputs ?? []).includes("dropletTemplate");
            checkSecrets(
                `Droplet autoscale pool "${args.name}"`,
                read(pool, "dropletTemplate", "userData"),
                config,
                declared,
                reportViolation,
            );
        }),
    ),
};

export const hygienePolicies: WebstackPolicy[] = [
    databaseClusterProtected,
    spacesBucketPrivate,
    spacesBucketVersioning,
    spacesBucketNoForceDestroy,
    dropletUserDataSecrets,
];
