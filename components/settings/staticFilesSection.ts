// The stack config section about the static files nginx serves from each web droplet's disk: where they come from
// (the app's image by default, an archive pinned by its SHA-256, or none) and the URL prefix. The values reach
// nginx, a shell-sourced env file and a script verbatim, so they are checked with the patterns of
// hostConfig/staticFiles.ts, and every key the chosen source would ignore is refused rather than silently dropped.
import type { TierContext } from "./configKeys";
import { type ConfigReader, show } from "./configReader";
import { StaticFilesSource } from "./choices";
import {
    EXPECTED,
    type StaticFilesSettings,
    isArchiveUrl,
    isImageDir,
    isSha256,
    isUrlPrefix,
} from "../hostConfig/staticFiles";

const ARCHIVE_EXAMPLE = "https://assets.example.com/static.tar.gz";
const SHA256_EXAMPLE = "$(sha256sum static.tar.gz | cut -c1-64)";

/**
 * `staticFiles.*`: undefined with `staticFiles.source` "none" (nginx proxies every path, as before static files
 * existed) or when a value is invalid (then every problem is on `r`, each with the bad value, what is allowed and
 * the fix).
 */
export function readStaticFiles(r: ConfigReader<TierContext>): StaticFilesSettings | undefined {
    const before = r.problems.length;
    const kind = r.choice<StaticFilesSource>("staticFiles.source");
    const key = (field: string) => `staticFiles.${field}`;
    const value = (field: string, ok: (v: unknown) => boolean, expected: string, example: string) => {
        const v = r.get(key(field));
        if (v !== undefined && !ok(v))
            r.problem(
                `${r.path(key(field))}: expected ${expected}; got ${show(v)}. Fix: ${r.setCmd(key(field), example)}`,
            );
        return v as string | undefined;
    };
    const defaultPrefix = r.fallback<string>(key("urlPrefix"));
    const defaultDir = r.fallback<string>(key("imageDir"));
    const urlPrefix = value("urlPrefix", isUrlPrefix, EXPECTED.urlPrefix, defaultPrefix);
    const imageDir = value("imageDir", isImageDir, EXPECTED.imageDir, defaultDir);
    const archiveUrl = value("archiveUrl", isArchiveUrl, EXPECTED.archiveUrl, ARCHIVE_EXAMPLE);
    const archiveSha256 = value("archiveSha256", isSha256, EXPECTED.archiveSha256, SHA256_EXAMPLE);

    const sourceCmd = (to: StaticFilesSource) => r.setCmd(key("source"), to);
    const rm = (field: string) => `pulumi config rm --path '${r.path(key(field))}'`;
    const misplaced = (field: string, v: unknown, belongsTo: StaticFilesSource) =>
        r.problem(
            `${r.path(key(field))}: applies only with staticFiles.source "${belongsTo}"; got ${show(v)} with source "${kind}". Fix: ${sourceCmd(belongsTo)}, or ${rm(field)}`,
        );
    if (kind !== StaticFilesSource.image && imageDir !== undefined) misplaced("imageDir", imageDir, "image");
    if (kind !== StaticFilesSource.archive) {
        if (archiveUrl !== undefined) misplaced("archiveUrl", archiveUrl, "archive");
        if (archiveSha256 !== undefined) misplaced("archiveSha256", archiveSha256, "archive");
    }
    if (kind === StaticFilesSource.none && urlPrefix !== undefined)
        r.problem(
            `${r.path(key("urlPrefix"))}: has no effect with staticFiles.source "none", where nginx proxies every path to the app; got ${show(urlPrefix)}. Fix: ${rm("urlPrefix")}, or ${sourceCmd("image")}`,
        );
    if (kind === StaticFilesSource.archive) {
        const required = (field: string, v: unknown, example: string) => {
            if (v === undefined)
                r.problem(
                    `${r.path(key(field))}: required with staticFiles.source "archive"; got none. Fix: ${r.setCmd(key(field), example)}`,
                );
        };
        required("archiveUrl", archiveUrl, ARCHIVE_EXAMPLE);
        required("archiveSha256", archiveSha256, SHA256_EXAMPLE);
    }
    if (kind === StaticFilesSource.none || r.problems.length > before) return undefined;
    return {
        urlPrefix: urlPrefix ?? defaultPrefix,
        source:
            kind === StaticFilesSource.image
                ? { kind, dir: imageDir ?? defaultDir }
                : { kind, archiveUrl: archiveUrl!, archiveSha256: archiveSha256! },
    };
}
