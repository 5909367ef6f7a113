// What would replace a droplet that holds data (tier 0's, which runs MySQL): a fingerprint of the inputs that force
// its replacement, which the stack exports and the next update's preflight compares before anything is created. Pure.
//
// Why: the droplet is protected, and the engine refuses to replace a protected resource only when it reaches its step,
// in the middle of the update ("unable to replace resource … as it is currently marked for protection", pulumi/pulumi
// v3.248.0 pkg/resource/deploy/step_generator.go:1833-1850); it allows it when this update unprotects the resource
// ("we do allow unprotecting and replacing to happen in a single update cycle", :1835-1837), which loses the database.
// The droplet's inputs that force replacement and come from the stack's config are `region`, `sshKeys` and `userData`
// (tools/docs/analysis/forceNew.json, from the provider's schema); `image` is a constant and `monitoring` is off at tier 0.
import { createHash } from "node:crypto";
import { parse } from "yaml";

/** Short digests of a droplet's replacing inputs, by part: `region`, `sshKeys`, and each part of its user data. */
export type DropletFingerprint = Readonly<Record<string, string>>;

/** The inputs of a droplet that force its replacement when they change and that the stack's config decides. */
export interface ReplacingInputs {
    readonly region: string;
    readonly sshKeys: readonly string[];
    /** The `#cloud-config` user data. */
    readonly userData: string;
}

/** 12 hex digits: 48 bits tell two versions apart, and the fingerprint stays short in the stack's outputs. */
const digest = (value: unknown): string =>
    createHash("sha256").update(JSON.stringify(value)).digest("hex").slice(0, 12);

/** The user data part that names a file of `write_files`. */
const FILE = "file ";
/** The part that covers the whole user data (its layout included), so no change goes unnoticed. */
const WHOLE = "user data";

/**
 * The fingerprint of `inputs`: the region, the SSH keys (a set in the provider, `ssh_keys` schema.TypeSet in
 * terraform-provider-digitalocean@06e95bce digitalocean/droplet/resource_droplet.go: their order replaces nothing), the
 * whole user data, each top-level key of its cloud-config but `write_files`, and each file it writes, by path.
 */
export function dropletFingerprint(inputs: ReplacingInputs): DropletFingerprint {
    const parts: Record<string, string> = {
        region: digest(inputs.region),
        sshKeys: digest([...inputs.sshKeys].sort()),
        [WHOLE]: digest(inputs.userData),
    };
    const config = parse(inputs.userData.replace(/^#cloud-config\n/, ""), { version: "1.1" }) as Record<
        string,
        unknown
    >;
    for (const [key, value] of Object.entries(config ?? {})) {
        if (key !== "write_files") parts[key] = digest(value);
    }
    for (const f of (config?.write_files ?? []) as { path: string }[]) parts[`${FILE}${f.path}`] = digest(f);
    return parts;
}

/**
 * What differs between two fingerprints, as a clause: `its user data changes: packages, runcmd, the file
 * /etc/nginx/sites-available/webstack; adds the files …`, `its region changes`. Empty when nothing does.
 */
export function fingerprintChanges(before: DropletFingerprint, after: DropletFingerprint): string {
    const label = (part: string) => (part.startsWith(FILE) ? part.slice(FILE.length) : part);
    const isData = (part: string) => part !== "region" && part !== "sshKeys" && part !== WHOLE;
    const changed = Object.keys(after).filter((p) => isData(p) && p in before && before[p] !== after[p]);
    const added = Object.keys(after).filter((p) => isData(p) && !(p in before));
    const removed = Object.keys(before).filter((p) => isData(p) && !(p in after));
    const clauses: string[] = [];
    for (const key of ["region", "sshKeys"])
        if (before[key] !== after[key]) clauses.push(`its ${key} ${key === "sshKeys" ? "change" : "changes"}`);
    const userData = [
        changed.length > 0 ? `changes ${changed.map(label).join(", ")}` : "",
        added.length > 0 ? `adds ${added.map(label).join(", ")}` : "",
        removed.length > 0 ? `drops ${removed.map(label).join(", ")}` : "",
    ].filter((c) => c);
    if (userData.length > 0) clauses.push(`its user data ${userData.join("; ")}`);
    else if (before[WHOLE] !== after[WHOLE]) clauses.push("its user data changes (its layout)");
    return clauses.join("; ");
}

/** True for a value read back from the stack's outputs that has the shape of fingerprints by droplet name. */
export function isFingerprints(value: unknown): value is Record<string, DropletFingerprint> {
    const isRecord = (v: unknown): v is Record<string, unknown> =>
        typeof v === "object" && v !== null && !Array.isArray(v);
    return (
        isRecord(value) &&
        Object.values(value).every((fp) => isRecord(fp) && Object.values(fp).every((d) => typeof d === "string"))
    );
}
