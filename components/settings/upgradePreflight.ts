// The upgrade preflight: what this update would do to a live stack that the stack's owner must decide first, found
// from the stack's previous outputs before anything is created. Pure: index.ts reads the previous outputs and renders
// tier 0's droplet, then calls `upgradeProblems`; its problems join the account preflight's (preflight.ts), so
// `pulumi up` lists every one at once and `pulumi preview` warns.
import { type DropletFingerprint, fingerprintChanges } from "../protectedDroplets";
import { STATIC_FILES_SCRIPT } from "../hostConfig/staticFiles";
import { NAMESPACE, type StackSettings } from "./stackSettings";

/** What the stack's previous update exported (index.ts reads it through a StackReference to the stack itself). */
export interface PreviousUpdate {
    /** Its `url` output is there: an update completed since the stack was created or last destroyed. */
    readonly deployed: boolean;
    /** Its `tier` output, which every release from this one on exports; absent, an earlier release deployed it. */
    readonly tier?: number;
    /** Its `dataResources` output: the logical names of the resources that hold data (tier 0's droplet among them). */
    readonly dataResources?: readonly string[];
    /** Its `protectedDroplets` output: the fingerprint of each droplet that holds data, by logical name. */
    readonly protectedDroplets?: Readonly<Record<string, DropletFingerprint>>;
}

/** What this update would deploy, as far as the preflight needs it. */
export interface ThisUpdate {
    /** Tier 0's droplet as this update configures it (protectedDroplets.ts); undefined above tier 0. */
    readonly dataDroplet?: DropletFingerprint;
    /**
     * The same droplet as the release before fingerprints existed rendered it for these settings: static files off,
     * the health location without identity or drain (test/programUpgrade.spec.ts proves the rendering
     * byte-identical to that release's). The baseline when the previous update exported no fingerprint.
     */
    readonly dataDropletEarlierRelease?: DropletFingerprint;
    /** Whether the stack's config sets `staticFiles.source` itself (rather than taking the default). */
    readonly staticFilesSourceSet: boolean;
}

const path = (key: string) => `${NAMESPACE}:${key}`;
const set = (key: string, value: string | number | boolean) => `pulumi config set --path '${path(key)}' ${value}`;
/** Tier 0's droplets are the web pool's: `<stack name>-web-<i>` (components/pool.ts). */
const isWebDroplet = (name: string) => /-web-\d+$/.test(name);

/** Every decision this update needs from the stack's owner before it may run. */
export function upgradeProblems(s: StackSettings, previous: PreviousUpdate, now: ThisUpdate): string[] {
    if (!previous.deployed) return [];
    return [...dataDropletProblems(s, previous, now), ...staticFilesProblems(s, previous, now)];
}

/**
 * Tier 0's droplet holds MySQL, the site's only copy of its data: an update that would replace it (a changed user
 * data, region or SSH keys, or a tier move) loses the database unless its owner dumped it first. Refused unless
 * `allowDataLoss` says so for this one update, which also unprotects the droplet so the engine may replace it.
 */
function dataDropletProblems(s: StackSettings, previous: PreviousUpdate, now: ThisUpdate): string[] {
    if (s.allowDataLoss) return [];
    const fingerprints = previous.protectedDroplets;
    const droplets = fingerprints ? Object.keys(fingerprints) : (previous.dataResources ?? []).filter(isWebDroplet);
    if (droplets.length === 0) return [];
    const holds = (named: string) =>
        `tier 0 keeps MySQL, the site's only copy of its data, on its one droplet ${named}`;
    const allow = `pulumi config set ${path("allowDataLoss")} true`;
    if (!now.dataDroplet) {
        return [
            `${path("tier")}: ${holds(droplets.map((d) => `"${d}"`).join(", "))}, which moving to tier ${s.tier} replaces while the managed database starts empty; got ${s.tier} with allowDataLoss "false". Fix: dump the database, then ${allow} for this one update and load the dump into the managed database (docs/deploying.md#upgrading-a-stacks-tier-safely), or pulumi config set ${path("tier")} 0`,
        ];
    }
    return droplets.flatMap((droplet) => {
        const before = fingerprints?.[droplet] ?? now.dataDropletEarlierRelease;
        const what = before && fingerprintChanges(before, now.dataDroplet!);
        if (!what) return [];
        const staticAdded = what.includes(STATIC_FILES_SCRIPT) && !(`file ${STATIC_FILES_SCRIPT}` in (before ?? {}));
        const keep = [
            ...(staticAdded ? [`${set("staticFiles.source", "none")} (static files were off on it)`] : []),
            "keep the app.image, app.port, app.healthPath, region and sshKeys it runs with",
        ].join(", and ");
        return [
            `${path("allowDataLoss")}: ${holds(`"${droplet}"`)}, which this update would replace (${what}), starting an empty database; got "false". Fix: dump the database (docs/deploying.md#tier-0-keeps-its-data-on-its-droplet), then ${allow} for this one update, load the dump and pulumi config rm ${path("allowDataLoss")}; or leave the droplet as it is: ${keep}`,
        ];
    });
}

/**
 * Releases before this one sent the static prefix to the app like any path; this one serves it from each web
 * droplet's disk by default. A stack they deployed that does not choose says which it wants: the app of a stack
 * that serves `/static/` itself (Django with WhiteNoise, an image without the directory) would answer 404 there
 * after the update, while its health checks pass.
 */
function staticFilesProblems(s: StackSettings, previous: PreviousUpdate, now: ThisUpdate): string[] {
    if (previous.tier !== undefined || now.staticFilesSourceSet || !s.staticFiles) return [];
    const { urlPrefix, source } = s.staticFiles;
    // Unset, the source is the default: the app's image.
    const dir = source.kind === "image" ? source.dir : "";
    return [
        `${path("staticFiles.source")}: an earlier webstack release deployed this stack, and its nginx sent "${urlPrefix}" to the app; this release serves "${urlPrefix}" from each web droplet's disk by default, copied from ${dir} of app.image, so an app that serves it itself (Django with WhiteNoise, an image without that directory) would answer 404 there after this update while its health checks pass; got none (the default "image"). Fix: ${set("staticFiles.source", "image")} to serve the image's files from disk (and staticFiles.imageDir if they are not in ${dir}), or ${set("staticFiles.source", "none")} to keep the app answering "${urlPrefix}"`,
    ];
}
