// The static files nginx serves from a web droplet's own disk: where they come from (by default the app's image,
// so each release serves the files of the code it ships; or an archive pinned by its SHA-256), the boot script
// and systemd unit that copy them there, and the checks of every value that reaches them. Pure: options in, text
// out. The `staticFiles.*` config keys are declared in settings/configKeys.ts and read by
// settings/staticFilesSection.ts with the checks and texts below.
//
// Why skopeo + umoci, not docker: a tier-2+ web droplet runs no container, and a daemon (plus its iptables rules)
// only to copy files out would stay on the request path's host for nothing. skopeo copies an image from a
// registry with no daemon; umoci applies its layers in order, whiteouts included, as an unprivileged extraction
// (no device nodes, no set-uid files). Both are Ubuntu 24.04 universe packages, like docker.io, which the app
// roles already install: skopeo 1.13.3+ds1-2ubuntu0.24.04.3 (6.0 MB, packages.ubuntu.com/noble/skopeo) and
// umoci 0.4.7+ds-4ubuntu0.24.04.3 (2.2 MB, packages.ubuntu.com/noble-updates/amd64/umoci). Registry credentials:
// nothing in webstack runs `docker login`, so both the app unit and this copy pull anonymously, and from a private
// registry neither gets anything (the copy logs "could not fetch" and retries). Once a login is delivered, skopeo
// reads the file it writes: it falls back to `$HOME/.docker/config.json` (containers/image
// docs/containers-auth.json.5.md @ fbc069d6), and the unit sets HOME=/root.
import { checkImage, formatProblems } from "./checks";
import { HEADER, type StaticFiles, SYSTEMD_DIR, type WriteFile, file } from "./types";

export type { StaticFiles };

/** Everything the copy keeps on the droplet: `releases/<id>/`, the `current` link to one of them, a work dir. */
export const STATIC_FILES_DIR = "/var/lib/webstack/static";
/** nginx's `root` for the prefix: the published release (files at `<root><urlPrefix>`). */
export const STATIC_FILES_ROOT = `${STATIC_FILES_DIR}/current`;
export const STATIC_FILES_SCRIPT = "/usr/local/sbin/webstack-static-files";
/** Where the script reads its source from (0644: it holds no secret). */
export const STATIC_FILES_ENV = "/etc/webstack/static-files.env";
export const STATIC_FILES_SERVICE = "webstack-static-files.service";

/** What the stack config says (the image itself is `app.image`). */
export interface StaticFilesSettings {
    /** URL prefix served from disk, such as "/static/". */
    readonly urlPrefix: string;
    readonly source:
        | { readonly kind: "image"; /** Absolute directory inside the app's image. */ readonly dir: string }
        | {
              readonly kind: "archive";
              readonly archiveUrl: string;
              /** 64 lower-case hex digits. */
              readonly archiveSha256: string;
          };
}

/** The host's static files for `settings`, the app running `image`. */
export function staticFilesFor(settings: StaticFilesSettings, image: string): StaticFiles {
    const { source } = settings;
    return { urlPrefix: settings.urlPrefix, source: source.kind === "image" ? { ...source, image } : source };
}

// Values below reach nginx, a shell-sourced env file and a script verbatim: the patterns admit no quote, space,
// `$`, `;`, backslash or glob character, and no "." or ".." path segment.

/** "/" + one or more segments + "/"; "/" alone would take every path away from the app. */
export const URL_PREFIX_PATTERN = /^\/(?:[A-Za-z0-9_~-][A-Za-z0-9._~-]*\/)+$/;
export const URL_PREFIX_MAX = 64;
/** An absolute directory other than "/" (which would publish the whole image), no trailing slash. */
export const ABSOLUTE_DIR_PATTERN = /^(?:\/[A-Za-z0-9_@+~-][A-Za-z0-9._@+~-]*)+$/;
export const IMAGE_DIR_MAX = 255;
/** https, a host name, an optional port, a path ending in .tar.gz or .tgz; no credentials, query or fragment. */
export const ARCHIVE_URL_PATTERN = /^https:\/\/[A-Za-z0-9.-]+(?::\d{1,5})?\/[A-Za-z0-9._~\/%+-]*\.(?:tar\.gz|tgz)$/;
export const ARCHIVE_URL_MAX = 2048;
export const SHA256_PATTERN = /^[0-9a-f]{64}$/;

const fits = (pattern: RegExp, max: number) => (value: unknown) =>
    typeof value === "string" && value.length <= max && pattern.test(value);
export const isUrlPrefix = fits(URL_PREFIX_PATTERN, URL_PREFIX_MAX);
export const isImageDir = fits(ABSOLUTE_DIR_PATTERN, IMAGE_DIR_MAX);
export const isArchiveUrl = fits(ARCHIVE_URL_PATTERN, ARCHIVE_URL_MAX);
export const isSha256 = fits(SHA256_PATTERN, 64);

/** What each value must be, as the config parser and the renderers say it. */
export const EXPECTED = {
    urlPrefix:
        'a URL path that starts and ends with "/" and names at least one directory ("/" alone would take every path from the app), of letters, digits and "._~-", at most 64 characters, such as "/static/"',
    imageDir:
        'an absolute directory inside the app\'s image other than "/", of letters, digits and "._@+~-", at most 255 characters, no trailing "/", such as "/app/static"',
    archiveUrl:
        'an https:// URL of a .tar.gz or .tgz archive, without credentials, query or fragment, at most 2048 characters, such as "https://assets.example.com/shop-1.4.2-static.tar.gz"',
    archiveSha256: "the archive's SHA-256 as 64 lower-case hexadecimal digits (what `sha256sum` prints)",
} as const;

/** Every problem with `sf`, as `path: message; got "value".` lines (empty when valid). */
export function staticFilesProblems(sf: StaticFiles, path = "staticFiles"): string[] {
    const problems: string[] = [];
    const check = (ok: boolean, key: keyof typeof EXPECTED, value: unknown) => {
        if (!ok) problems.push(`${path}.${key}: must be ${EXPECTED[key]}; got "${String(value)}".`);
    };
    check(isUrlPrefix(sf?.urlPrefix), "urlPrefix", sf?.urlPrefix);
    const source = sf?.source;
    switch (source?.kind) {
        case "image":
            checkImage(problems, `${path}.source.image`, source.image);
            if (!isImageDir(source.dir))
                problems.push(`${path}.source.dir: must be ${EXPECTED.imageDir}; got "${String(source.dir)}".`);
            break;
        case "archive":
            if (!isArchiveUrl(source.archiveUrl))
                problems.push(
                    `${path}.source.archiveUrl: must be ${EXPECTED.archiveUrl}; got "${String(source.archiveUrl)}".`,
                );
            if (!isSha256(source.archiveSha256))
                problems.push(
                    `${path}.source.archiveSha256: must be ${EXPECTED.archiveSha256}; got "${String(source.archiveSha256)}".`,
                );
            break;
        default:
            problems.push(
                `${path}.source.kind: expected "image" or "archive"; got "${String((source as { kind?: unknown })?.kind)}".`,
            );
    }
    return problems;
}

/**
 * skopeo's reference for a Docker image: `docker://` + the image, without the tag when a digest pins it
 * (containers/image refuses "Docker references with both a tag and digest"; checked with skopeo 1.9.3, and
 * containers/image docker/docker_transport.go), while Docker takes both and goes by the digest.
 */
export function skopeoReference(image: string): string {
    const at = image.indexOf("@");
    if (at < 0) return `docker://${image}`;
    const name = image.slice(0, at);
    const slash = name.lastIndexOf("/");
    const colon = name.indexOf(":", slash + 1);
    return `docker://${colon < 0 ? name : name.slice(0, colon)}${image.slice(at)}`;
}

/**
 * The script's env file. `overrides` exist for the loopback tests: another root and another skopeo transport
 * (`oci:<dir>:<tag>`) in place of the registry.
 */
export function staticFilesEnv(sf: StaticFiles, overrides: { root?: string; imageReference?: string } = {}): string {
    const problems = staticFilesProblems(sf);
    if (problems.length > 0) throw new Error(`Invalid static files:\n${formatProblems(problems)}`);
    const source = sf.source;
    const vars: Record<string, string> =
        source.kind === "image"
            ? {
                  STATIC_SOURCE: "image",
                  STATIC_IMAGE: overrides.imageReference ?? skopeoReference(source.image),
                  STATIC_IMAGE_DIR: source.dir,
              }
            : {
                  STATIC_SOURCE: "archive",
                  STATIC_ARCHIVE_URL: source.archiveUrl,
                  STATIC_ARCHIVE_SHA256: source.archiveSha256,
              };
    vars.STATIC_URL_PREFIX = sf.urlPrefix;
    vars.STATIC_ROOT = overrides.root ?? STATIC_FILES_DIR;
    // Sourced by /bin/sh: every value is single-quoted, and none can hold a quote (checked above).
    const lines = Object.entries(vars).map(([k, v]) => `${k}='${v}'`);
    return [HEADER, ...lines, ""].join("\n");
}

/**
 * The copy script (POSIX sh; the same text on every host). It publishes a new release and switches the
 * `current` link to it with one rename, so nginx never sees a half-copied tree; it never stops nginx or the app:
 * a directory the image lacks publishes an empty tree (the prefix answers 404) and logs one line, and a failed
 * fetch keeps what is published, logs one line and exits 1 (systemd retries).
 */
export function staticFilesScript(): string {
    return `#!/bin/sh
${HEADER}
# Copies the static files nginx serves onto this droplet. Usage: webstack-static-files [ENV_FILE]
# (default ${STATIC_FILES_ENV}). ${STATIC_FILES_SERVICE} runs it at every boot and until it succeeds; a copy
# already published from the same source is kept, so a reboot downloads nothing.
set -eu
umask 022
. "\${1:-${STATIC_FILES_ENV}}"
root=$STATIC_ROOT
prefix=\${STATIC_URL_PREFIX%/}
log() { printf 'webstack-static-files: %s\\n' "$*"; }

case $STATIC_SOURCE in
image) origin="$STATIC_IMAGE_DIR in $STATIC_IMAGE" ;;
archive) origin="$STATIC_ARCHIVE_URL" ;;
*) log "STATIC_SOURCE must be image or archive; got \\"$STATIC_SOURCE\\""; exit 1 ;;
esac
stamp="$STATIC_SOURCE $origin \${STATIC_ARCHIVE_SHA256:-} $STATIC_URL_PREFIX"
if [ -f "$root/current/.source" ] && [ "$(cat "$root/current/.source")" = "$stamp" ]; then
    log "$origin is already published under $STATIC_URL_PREFIX"
    exit 0
fi

mkdir -p "$root/releases"
rm -rf "$root"/work.*
work=$root/work.$$
trap 'rm -rf "$work"' EXIT
mkdir "$work"
fail() {
    log "could not fetch $origin ($(tail -n 1 "$work/log" 2>/dev/null)); $STATIC_URL_PREFIX keeps the files it had"
    exit 1
}

src=$work/rootfs
case $STATIC_SOURCE in
image)
    # No daemon: skopeo downloads the layers, umoci applies them in order (whiteouts included) as an
    # unprivileged extraction, so the image can carry no device node or set-uid file onto this host.
    timeout 300 skopeo copy --retry-times 3 "$STATIC_IMAGE" "oci:$work/image:static" >"$work/log" 2>&1 || fail
    timeout 300 umoci raw unpack --rootless --image "$work/image:static" "$src" >"$work/log" 2>&1 || fail
    # A symbolic link in the path would point into this host's file system, not the image's: not followed.
    for part in $(printf '%s' "$STATIC_IMAGE_DIR" | tr '/' ' '); do
        src=$src/$part
        if [ -L "$src" ]; then break; fi
    done
    ;;
archive)
    timeout 300 curl --fail --silent --show-error --location --retry 3 --output "$work/archive" \\
        "$STATIC_ARCHIVE_URL" 2>"$work/log" || fail
    actual=$(sha256sum "$work/archive" | cut -c1-64)
    if [ "$actual" != "$STATIC_ARCHIVE_SHA256" ]; then
        log "refusing $STATIC_ARCHIVE_URL: its sha256 is $actual, not $STATIC_ARCHIVE_SHA256; $STATIC_URL_PREFIX keeps the files it had"
        exit 1
    fi
    mkdir "$src"
    # GNU tar refuses members that would land outside the directory, through ".." or a link.
    tar -xzf "$work/archive" -C "$src" --no-same-owner --no-same-permissions >"$work/log" 2>&1 || fail
    ;;
esac

release=$root/releases/$(date +%Y%m%d%H%M%S).$$
mkdir -p "$release$prefix"
if [ -L "$src" ]; then
    summary="$STATIC_IMAGE_DIR in $STATIC_IMAGE goes through a symbolic link, which is not followed; $STATIC_URL_PREFIX answers 404"
elif [ ! -d "$src" ]; then
    summary="$STATIC_IMAGE_DIR is not a directory in $STATIC_IMAGE; $STATIC_URL_PREFIX answers 404"
else
    rmdir "$release$prefix"
    mv "$src" "$release$prefix"
    # Only regular files and directories are served: a symbolic link could name any file on this host.
    find "$release$prefix" ! -type f ! -type d -exec rm -f {} +
    chmod -R u=rwX,go=rX "$release"
    summary="published $(find "$release$prefix" -type f | wc -l) files from $origin under $STATIC_URL_PREFIX"
fi
printf '%s\\n' "$stamp" >"$release/.source"
ln -sfn "releases/\${release##*/}" "$root/current.new"
mv -T "$root/current.new" "$root/current"
for old in "$root"/releases/*; do
    if [ "$old" != "$release" ]; then rm -rf "$old"; fi
done
log "$summary"
`;
}

/**
 * How the copy is retried until it succeeds: 15 s after the first failure, then longer each time up to 10 minutes
 * (`RestartSteps=`/`RestartMaxDelaySec=`, systemd 254 and later: systemd.service(5),
 * www.freedesktop.org/software/systemd/man/latest/systemd.service.html#RestartSteps=; Ubuntu 24.04 runs systemd 255,
 * packages.ubuntu.com/noble/systemd; systemd/systemd@000d6582 src/core/service.c `service_restart_usec_next` spreads
 * the delays geometrically between the two), never giving up: a registry that is down for an hour must not leave the
 * droplet without its files for good. Older systemd ignores the two keys and retries every 15 s.
 */
const STATIC_FILES_RETRY = { firstSeconds: 15, steps: 6, maxMinutes: 10 } as const;

/**
 * The unit that runs the script at boot and retries it until it succeeds. It is not ordered before nginx: at first
 * boot cloud-init's runcmd starts it before nginx switches to the site (cloudInit.ts `withStaticFiles`), and at a
 * reboot the published tree is already there, so nginx need not wait for a registry. Until a tree is published the
 * health path answers 503 (nginx.ts `healthLocation`), so no load balancer sends users and no gate passes the droplet
 * without its files; a directory missing from the image still publishes an empty tree (the prefix answers 404).
 */
export function staticFilesUnit(): string {
    return [
        HEADER,
        "[Unit]",
        "Description=Copy the static files nginx serves (webstack)",
        "Wants=network-online.target",
        "After=network-online.target",
        // Never stop retrying (systemd.unit(5): an interval of 0 disables the start rate limit).
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Type=oneshot",
        `ExecStart=${STATIC_FILES_SCRIPT}`,
        // skopeo finds `docker login`'s credentials through $HOME, which systemd sets only with User=.
        "Environment=HOME=/root",
        // A oneshot unit has no start timeout by default; the script bounds each download and unpack to 300 s.
        "TimeoutStartSec=11min",
        // Restart=on-failure is allowed for Type=oneshot since systemd/systemd#7474 (Ubuntu 24.04 has systemd 255).
        "Restart=on-failure",
        `RestartSec=${STATIC_FILES_RETRY.firstSeconds}s`,
        `RestartSteps=${STATIC_FILES_RETRY.steps}`,
        `RestartMaxDelaySec=${STATIC_FILES_RETRY.maxMinutes}min`,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/**
 * The cloud-config parts of a web host that serves `sf`: packages, files and the commands that copy the files
 * before nginx switches to the webstack site (so a new droplet passes its health check with its files in place).
 */
export function staticFilesParts(sf: StaticFiles): { packages: string[]; writeFiles: WriteFile[]; runcmd: string[][] } {
    return {
        packages: sf.source.kind === "image" ? ["skopeo", "umoci"] : ["curl"],
        writeFiles: [
            file(STATIC_FILES_ENV, staticFilesEnv(sf), "0644"),
            file(STATIC_FILES_SCRIPT, staticFilesScript(), "0700"),
            file(`${SYSTEMD_DIR}/${STATIC_FILES_SERVICE}`, staticFilesUnit(), "0644"),
        ],
        runcmd: [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", STATIC_FILES_SERVICE],
            ["systemctl", "start", STATIC_FILES_SERVICE],
        ],
    };
}
