// What a serving droplet says about itself on the health path, so a readiness gate outside the VPC can tell that a
// new droplet answers through the path users take (components/readiness/). Pure: options in, text out.
//
// The identity is the droplet's numeric id and a 12-hex-digit digest of its user data (its "release"), both read
// once at boot from DigitalOcean's metadata service (docs.digitalocean.com/reference/api/metadata/droplet-properties:
// `/metadata/v1/id`; /products/droplets/how-to/retrieve-droplet-metadata: `/metadata/v1/user-data` "returns the user
// data that was supplied during the Droplet's creation"). What it reveals, and why that is accepted:
//   - it is sent on the health path only, never on pages, and names no address, name, region, size or package;
//   - a droplet id names a droplet only to the API, and every API call needs the account's token;
//   - the release is a truncated SHA-256 of the user data, which changes with every user data change. Where the user
//     data holds a generated secret (the app's database password, the log shipper's or the metrics push password:
//     app droplets, tier-1 web droplets and every droplet that ships logs, with secrets.delivery "userData"), the
//     digest depends on that secret and confirms nothing. Where it holds none (web droplets from tier 2 with
//     secrets.delivery "manual" or without log shipping), it is a function of the stack's configuration alone (the
//     image reference, the domain, ports and paths, the internal load balancer's private address): someone who
//     guesses every one of those inputs exactly can confirm the guess, such as which image tag runs. It carries no
//     version string, and confirming a guessed tag gives no access; the gate must be able to recompute it from the
//     user data it passed, so it is not salted with anything the droplet would have to be told separately.
import { HEADER, type WriteFile, file } from "./types";

/** The roles that announce themselves, and the response header each adds on the health path. */
export const IDENTITY_HEADERS = {
    /** nginx on a web droplet (tier >= 1; at tier 1 the app runs on the same droplet). */
    web: "X-Webstack-Web",
    /** The identity proxy in front of the app container on an app droplet (tier >= 2). */
    app: "X-Webstack-App",
} as const;
export type IdentityRole = keyof typeof IDENTITY_HEADERS;

/** What a droplet announces. */
export interface ServingIdentity {
    /** The droplet's id, digits only. */
    readonly droplet: string;
    /** The first 12 hex digits of the SHA-256 of its user data. */
    readonly release: string;
}

/** Hex digits of the release digest: 48 bits tell releases apart and reveal nothing. */
export const RELEASE_DIGITS = 12;

/** The header value, `droplet=<id>; release=<digest>`, as the boot script writes it. */
export function formatIdentity(identity: ServingIdentity): string {
    return `droplet=${identity.droplet}; release=${identity.release}`;
}

/**
 * Where the boot script writes the nginx snippet that adds the header. The health location includes
 * `IDENTITY_INCLUDE_GLOB`: a glob include that matches nothing is not an error in nginx, so the site is valid before
 * the script has run (and on hosts that never run it).
 */
export const IDENTITY_DIR = "/etc/nginx/webstack-identity";
export const IDENTITY_INCLUDE_GLOB = `${IDENTITY_DIR}/*.conf`;
export const identityIncludePath = (role: IdentityRole) => `${IDENTITY_DIR}/${role}.conf`;
export const IDENTITY_SCRIPT = "/usr/local/sbin/webstack-serving-identity";
const METADATA = "http://169.254.169.254/metadata/v1";
/** curl's retries of a metadata read: it retries timeouts, refused connections and 408, 429, 500, 502, 503 and 504
 *  (curl(1) `--retry`), waiting 1, 2, 4, 8 then 16 s. */
const METADATA_RETRIES = 5;

/** The nginx directive the snippet holds; `always` so a failing answer (502, 503) still says who gave it. */
export function identityDirective(role: IdentityRole, identity: ServingIdentity): string {
    return `add_header ${IDENTITY_HEADERS[role]} "${formatIdentity(identity)}" always;`;
}

/**
 * The boot script (run as root by cloud-init, before the metadata lock matters: root passes it) that reads the
 * droplet's id and user data from the metadata service and writes the nginx snippet for `role`, then reloads nginx
 * if it already runs. Each answer is fetched into a file and its status checked (`curl --fail`): a failed or empty
 * answer exits 1 and writes no snippet, so the droplet announces nothing and its gate cannot pass (a digest of a
 * failed answer piped into sha256sum would announce the digest of empty input, `e3b0c44298fc`). `metadataBase` and
 * `retries` are for tests that stand in for the metadata service.
 */
export function identityScript(role: IdentityRole, metadataBase = METADATA, retries = METADATA_RETRIES): string {
    const include = identityIncludePath(role);
    const fetch = (what: string, to: string) =>
        `curl -fsS --retry ${retries} --retry-connrefused -o "$tmp/${to}" ${metadataBase}/${what} || fail "could not read ${metadataBase}/${what}"`;
    return [
        "#!/bin/sh",
        HEADER,
        `# Announces this droplet on the health path (${IDENTITY_HEADERS[role]}), for the readiness gate.`,
        "set -eu",
        `fail() { echo "webstack-serving-identity: $1; nothing is announced" >&2; exit 1; }`,
        "tmp=$(mktemp -d)",
        `trap 'rm -rf "$tmp"' EXIT`,
        fetch("id", "id"),
        'id=$(cat "$tmp/id")',
        'case "$id" in ""|*[!0-9]*) fail "the metadata service returned no droplet id";; esac',
        fetch("user-data", "user-data"),
        '[ -s "$tmp/user-data" ] || fail "the metadata service returned empty user data"',
        `release=$(sha256sum "$tmp/user-data" | cut -c1-${RELEASE_DIGITS})`,
        `install -d -m 0755 ${IDENTITY_DIR}`,
        `printf 'add_header ${IDENTITY_HEADERS[role]} "droplet=%s; release=%s" always;\\n' "$id" "$release" > ${include}.new`,
        `mv ${include}.new ${include}`,
        "systemctl reload nginx.service 2>/dev/null || true",
        "",
    ].join("\n");
}

/** The cloud-config parts: the script, and running it (before nginx is reloaded with the site). */
export function identityParts(role: IdentityRole): { packages: string[]; writeFiles: WriteFile[]; runcmd: string[][] } {
    return {
        packages: [],
        writeFiles: [file(IDENTITY_SCRIPT, identityScript(role), "0700")],
        runcmd: [[IDENTITY_SCRIPT]],
    };
}
