// `webstack:staticFiles.*` through the real parser (parseSettings with the one declaration): defaults at every
// tier, the archive source, "none", and every problem at once with its exact text.
import assert from "node:assert/strict";
import { parseSettings } from "../../../components/settings/stackConfig";
import { ConfigError } from "../../../components/settings/stackSettings";
import { exampleConfig } from "../../support/program";

/** A tier's example stack with `staticFiles` as `pulumi config set --path` stores it. */
function read(staticFiles?: Record<string, unknown>, tier = 0) {
    const values = { ...exampleConfig(tier), ...(staticFiles === undefined ? {} : { staticFiles }) };
    try {
        return { settings: parseSettings("dev", values).staticFiles, problems: [] };
    } catch (err) {
        assert.ok(err instanceof ConfigError, String(err));
        return { settings: undefined, problems: [...err.problems] };
    }
}

const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const URL_ = "https://assets.example.com/shop-1.4.2-static.tar.gz";
const SET = "pulumi config set --path 'webstack:staticFiles";
const RM = "pulumi config rm --path 'webstack:staticFiles";
const EXPECTED_PREFIX =
    'expected a URL path that starts and ends with "/" and names at least one directory ("/" alone would take every path from the app), of letters, digits and "._~-", at most 64 characters, such as "/static/"';

describe("Stack config: staticFiles", () => {
    for (const tier of [0, 1, 2, 3]) {
        it(`serves /static/ from the image's /app/static when nothing is set, at tier ${tier}`, () => {
            assert.deepEqual(read(undefined, tier), {
                settings: { urlPrefix: "/static/", source: { kind: "image", dir: "/app/static" } },
                problems: [],
            });
        });
    }

    it("reads another directory and prefix, or an archive with its checksum", () => {
        assert.deepEqual(read({ imageDir: "/srv/app/public/build", urlPrefix: "/assets/v2/" }).settings, {
            urlPrefix: "/assets/v2/",
            source: { kind: "image", dir: "/srv/app/public/build" },
        });
        assert.deepEqual(read({ source: "archive", archiveUrl: URL_, archiveSha256: SHA }, 2).settings, {
            urlPrefix: "/static/",
            source: { kind: "archive", archiveUrl: URL_, archiveSha256: SHA },
        });
    });

    it("proxies everything, as before, with source none", () => {
        assert.deepEqual(read({ source: "none" }, 3), { settings: undefined, problems: [] });
    });

    it("reports every bad value at once, with the value, what is allowed and the fix", () => {
        const { settings, problems } = read({
            source: "archive",
            urlPrefix: "/",
            imageDir: "app/static",
            archiveUrl: "http://user:pw@assets.example.com/static.zip?sig=1",
            archiveSha256: SHA.toUpperCase(),
        });
        assert.equal(settings, undefined);
        assert.deepEqual(problems, [
            `webstack:staticFiles.urlPrefix: ${EXPECTED_PREFIX}; got "/". Fix: ${SET}.urlPrefix' /static/`,
            `webstack:staticFiles.imageDir: expected an absolute directory inside the app's image other than "/", of letters, digits and "._@+~-", at most 255 characters, no trailing "/", such as "/app/static"; got "app/static". Fix: ${SET}.imageDir' /app/static`,
            `webstack:staticFiles.archiveUrl: expected an https:// URL of a .tar.gz or .tgz archive, without credentials, query or fragment, at most 2048 characters, such as "https://assets.example.com/shop-1.4.2-static.tar.gz"; got "http://user:pw@assets.example.com/static.zip?sig=1". Fix: ${SET}.archiveUrl' https://assets.example.com/static.tar.gz`,
            `webstack:staticFiles.archiveSha256: expected the archive's SHA-256 as 64 lower-case hexadecimal digits (what \`sha256sum\` prints); got "${SHA.toUpperCase()}". Fix: ${SET}.archiveSha256' $(sha256sum static.tar.gz | cut -c1-64)`,
            `webstack:staticFiles.imageDir: applies only with staticFiles.source "image"; got "app/static" with source "archive". Fix: ${SET}.source' image, or ${RM}.imageDir'`,
        ]);
    });

    it("reports its problems together with the other keys' problems", () => {
        const values = { ...exampleConfig(1), web: { count: 1 }, staticFiles: { source: "archive" } };
        assert.throws(
            () => parseSettings("dev", values),
            (err: ConfigError) => {
                assert.deepEqual(err.problems, [
                    `webstack:web.count: must be an integer from 2 to 1000 at tier 1; got "1". Fix: pulumi config set --path 'webstack:web.count' 2`,
                    `webstack:staticFiles.archiveUrl: required with staticFiles.source "archive"; got none. Fix: ${SET}.archiveUrl' https://assets.example.com/static.tar.gz`,
                    `webstack:staticFiles.archiveSha256: required with staticFiles.source "archive"; got none. Fix: ${SET}.archiveSha256' $(sha256sum static.tar.gz | cut -c1-64)`,
                ]);
                return true;
            },
        );
    });

    it("asks for the archive's URL and checksum with source archive", () => {
        assert.deepEqual(read({ source: "archive" }).problems, [
            `webstack:staticFiles.archiveUrl: required with staticFiles.source "archive"; got none. Fix: ${SET}.archiveUrl' https://assets.example.com/static.tar.gz`,
            `webstack:staticFiles.archiveSha256: required with staticFiles.source "archive"; got none. Fix: ${SET}.archiveSha256' $(sha256sum static.tar.gz | cut -c1-64)`,
        ]);
    });

    it("refuses keys that the chosen source would ignore, and an unknown source or key", () => {
        assert.deepEqual(read({ source: "none", urlPrefix: "/assets/", archiveUrl: URL_ }).problems, [
            `webstack:staticFiles.archiveUrl: applies only with staticFiles.source "archive"; got "${URL_}" with source "none". Fix: ${SET}.source' archive, or ${RM}.archiveUrl'`,
            `webstack:staticFiles.urlPrefix: has no effect with staticFiles.source "none", where nginx proxies every path to the app; got "/assets/". Fix: ${RM}.urlPrefix', or ${SET}.source' image`,
        ]);
        assert.deepEqual(read({ source: "s3", dir: "/app/static" }).problems, [
            `webstack:staticFiles.dir: unknown key; allowed keys are "source", "imageDir", "urlPrefix", "archiveUrl" or "archiveSha256". Fix: ${RM}.dir'`,
            `webstack:staticFiles.source: expected "image", "archive" or "none"; got "s3". Fix: ${SET}.source' image`,
        ]);
    });

    it("refuses a staticFiles that is not an object, naming its keys", () => {
        assert.deepEqual(read("none" as unknown as Record<string, unknown>).problems, [
            `webstack:staticFiles: expected an object with keys "source", "imageDir", "urlPrefix", "archiveUrl" or "archiveSha256"; got "none". Fix: ${SET}.source' <value>`,
        ]);
    });

    it("accepts only prefixes and directories that nginx and the script take verbatim", () => {
        const bad = ["/static", "static/", "/./", "/a/../", "/a b/", "/$x/", "/a'b/", `/${"a".repeat(63)}/`, 7];
        assert.deepEqual(
            bad.map((urlPrefix) => read({ urlPrefix }).problems.length),
            bad.map(() => 1),
        );
        const dirs = ["/", "/app/", "/app/../etc", "/app/.hidden", "/app dir", "/app/*", ["/app"]];
        assert.deepEqual(
            dirs.map((imageDir) => read({ imageDir }).problems.length),
            dirs.map(() => 1),
        );
    });
});
