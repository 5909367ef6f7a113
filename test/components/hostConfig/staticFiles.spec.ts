// Where the static files come from (the config keys are test/components/settings/staticFiles.spec.ts): the env
// file, unit and cloud-config parts, and the copy script run for real (sh, skopeo, umoci, curl,
// tar) against OCI images built here and an archive served over HTTPS on loopback; then nginx serves the result.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import * as path from "node:path";
import { Document, isSeq } from "yaml";
import { renderNginxConfig } from "../../../components/hostConfig/nginx";
import {
    STATIC_FILES_ENV,
    STATIC_FILES_SCRIPT,
    STATIC_FILES_SERVICE,
    type StaticFiles,
    skopeoReference,
    staticFilesEnv,
    staticFilesFor,
    staticFilesParts,
    staticFilesProblems,
    staticFilesScript,
    staticFilesUnit,
} from "../../../components/hostConfig/staticFiles";
import { HEADER } from "../../../components/hostConfig/types";
import { cloudInitSchema, freePort, requireTool, run, tempDir } from "../../support/hostTools";
import { get, startCountingApp, startNginx } from "../../../tools/loopback/staticSite";

const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const URL_ = "https://assets.example.com/shop-1.4.2-static.tar.gz";

const IMAGE: StaticFiles = staticFilesFor(
    { urlPrefix: "/static/", source: { kind: "image", dir: "/app/static" } },
    "ghcr.io/acme/shop:1.4.2",
);
const ARCHIVE: StaticFiles = {
    urlPrefix: "/assets/",
    source: { kind: "archive", archiveUrl: URL_, archiveSha256: SHA },
};

describe("static files: host renderers", () => {
    it("writes the script's source as single-quoted shell assignments", () => {
        assert.equal(
            staticFilesEnv(IMAGE),
            [
                HEADER,
                "STATIC_SOURCE='image'",
                "STATIC_IMAGE='docker://ghcr.io/acme/shop:1.4.2'",
                "STATIC_IMAGE_DIR='/app/static'",
                "STATIC_URL_PREFIX='/static/'",
                "STATIC_ROOT='/var/lib/webstack/static'",
                "",
            ].join("\n"),
        );
        assert.equal(
            staticFilesEnv(ARCHIVE),
            [
                HEADER,
                "STATIC_SOURCE='archive'",
                `STATIC_ARCHIVE_URL='${URL_}'`,
                `STATIC_ARCHIVE_SHA256='${SHA}'`,
                "STATIC_URL_PREFIX='/assets/'",
                "STATIC_ROOT='/var/lib/webstack/static'",
                "",
            ].join("\n"),
        );
    });

    it("drops an image's tag where a digest pins it, which skopeo requires", () => {
        const digest = `sha256:${SHA}`;
        assert.deepEqual(
            [
                "ghcr.io/acme/shop:1.4.2",
                `ghcr.io/acme/shop:1.4.2@${digest}`,
                `registry.example.com:5000/shop:v1@${digest}`,
                `registry.example.com:5000/shop@${digest}`,
                `shop:1@${digest}`,
            ].map(skopeoReference),
            [
                "docker://ghcr.io/acme/shop:1.4.2",
                `docker://ghcr.io/acme/shop@${digest}`,
                `docker://registry.example.com:5000/shop@${digest}`,
                `docker://registry.example.com:5000/shop@${digest}`,
                `docker://shop@${digest}`,
            ],
        );
    });

    it("refuses values that would break out of the env file or the script, listing each", () => {
        const bad: StaticFiles = {
            urlPrefix: "/static/'$(reboot)'/",
            source: { kind: "image", image: "ghcr.io/acme/shop:1'", dir: "/app/static;reboot" },
        };
        assert.deepEqual(staticFilesProblems(bad), [
            `staticFiles.urlPrefix: must be a URL path that starts and ends with "/" and names at least one directory ("/" alone would take every path from the app), of letters, digits and "._~-", at most 64 characters, such as "/static/"; got "/static/'$(reboot)'/".`,
            `staticFiles.source.image: must be a container image reference such as "ghcr.io/acme/shop:1.4.2"; got "ghcr.io/acme/shop:1'".`,
            `staticFiles.source.dir: must be an absolute directory inside the app's image other than "/", of letters, digits and "._@+~-", at most 255 characters, no trailing "/", such as "/app/static"; got "/app/static;reboot".`,
        ]);
        assert.throws(() => staticFilesEnv(bad), /^Error: Invalid static files:\n {2}- staticFiles\.urlPrefix/);
    });

    it("installs skopeo and umoci for an image, curl for an archive, and copies before nginx starts", () => {
        const parts = staticFilesParts(IMAGE);
        assert.deepEqual(
            {
                packages: parts.packages,
                files: parts.writeFiles.map((f) => [f.path, f.permissions, f.owner, f.defer]),
                runcmd: parts.runcmd.map((c) => c.join(" ")),
            },
            {
                packages: ["skopeo", "umoci"],
                files: [
                    [STATIC_FILES_ENV, "0644", "root:root", true],
                    [STATIC_FILES_SCRIPT, "0700", "root:root", true],
                    [`/etc/systemd/system/${STATIC_FILES_SERVICE}`, "0644", "root:root", true],
                ],
                runcmd: [
                    "systemctl daemon-reload",
                    `systemctl enable ${STATIC_FILES_SERVICE}`,
                    `systemctl start ${STATIC_FILES_SERVICE}`,
                ],
            },
        );
        assert.deepEqual(staticFilesParts(ARCHIVE).packages, ["curl"]);
        const unit = staticFilesUnit();
        assert.deepEqual(
            ["Before=", "StartLimit", "Type=", "Restart", "TimeoutStartSec=", "Environment="].map((k) =>
                unit.split("\n").filter((l) => l.startsWith(k)),
            ),
            [
                // Not ordered before nginx: a reboot never waits for a registry.
                [],
                ["StartLimitIntervalSec=0"],
                ["Type=oneshot"],
                ["Restart=on-failure", "RestartSec=15s", "RestartSteps=6", "RestartMaxDelaySec=10min"],
                ["TimeoutStartSec=11min"],
                ["Environment=HOME=/root"],
            ],
        );
    });

    it("writes a unit that systemd-analyze verify accepts", function () {
        const analyze = requireTool(this, "systemd-analyze");
        const { dir, remove } = tempDir("static-unit");
        try {
            // verify resolves ExecStart: point it at a binary that exists here.
            const unit = staticFilesUnit().replace(STATIC_FILES_SCRIPT, "/bin/true");
            fs.writeFileSync(path.join(dir, STATIC_FILES_SERVICE), unit);
            const result = run(analyze, ["verify", path.join(dir, STATIC_FILES_SERVICE)]);
            assert.equal(result.status, 0, result.output);
            // Nothing to say about the unit, except that a systemd older than 254 (Debian 12 has 252; Ubuntu 24.04,
            // where it runs, has 255) does not know the backoff keys yet.
            const version = Number(/^systemd (\d+)/.exec(run(analyze, ["--version"]).output)?.[1]);
            const older = (l: string) => version < 254 && /Unknown key '(RestartSteps|RestartMaxDelaySec)'/.test(l);
            assert.deepEqual(
                result.output.split("\n").filter((l) => l.trim() !== "" && !older(l)),
                [],
                result.output,
            );
            fs.writeFileSync(
                path.join(dir, STATIC_FILES_SERVICE),
                unit.replace("Restart=on-failure", "Restart=always"),
            );
            assert.notEqual(run(analyze, ["verify", path.join(dir, STATIC_FILES_SERVICE)]).status, 0);
        } finally {
            remove();
        }
    });

    it("passes cloud-init's schema check as a cloud-config of its own", async function () {
        const cloudInit = requireTool(this, "cloud-init");
        const parts = staticFilesParts(IMAGE);
        const doc = new Document(
            { package_update: true, packages: parts.packages, write_files: parts.writeFiles, runcmd: parts.runcmd },
            { version: "1.1" },
        );
        const runcmd = doc.get("runcmd");
        if (isSeq(runcmd)) for (const c of runcmd.items) if (isSeq(c)) c.flow = true;
        const result = await cloudInitSchema(cloudInit, `#cloud-config\n${doc.toString({ lineWidth: 0 })}`);
        assert.equal(result.status, 0, result.output);
        assert.match(result.output, /Valid/);
    });
});

/** One OCI image layout built with umoci (rootless), each tag a layer on top of the previous. */
class Layout {
    private last = "base";
    constructor(
        private readonly umoci: string,
        readonly dir: string,
    ) {
        this.exec(["init", "--layout", dir]);
        this.exec(["new", "--image", `${dir}:base`]);
    }

    /** Tags a new image: the previous one with `change` applied to its root file system. */
    tag(tag: string, change: (rootfs: string) => void): string {
        const bundle = `${this.dir}.bundle`;
        this.exec(["unpack", "--rootless", "--image", `${this.dir}:${this.last}`, bundle]);
        change(path.join(bundle, "rootfs"));
        this.exec(["repack", "--image", `${this.dir}:${tag}`, bundle]);
        fs.rmSync(bundle, { recursive: true, force: true });
        this.last = tag;
        return `oci:${this.dir}:${tag}`;
    }

    private exec(args: string[]): void {
        const result = run(this.umoci, args);
        assert.equal(result.status, 0, result.output);
    }
}

const write = (root: string, files: Record<string, string>) => {
    for (const [name, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
        fs.writeFileSync(path.join(root, name), content);
    }
};

/** Real nginx on loopback serving `root`'s published tree under /static/, in front of a counting app stand-in. */
async function serveTree(nginx: string, dir: string, root: string, behindLoadBalancer: boolean) {
    const app = await startCountingApp(await freePort());
    try {
        fs.mkdirSync(dir);
        const webPort = await freePort();
        const staticFiles = { urlPrefix: "/static/", root: path.join(root, "current") };
        const upstream = { host: "127.0.0.1", port: app.port };
        const rendered = renderNginxConfig({ listenPort: webPort, upstream, behindLoadBalancer, staticFiles });
        return { app, site: await startNginx(nginx, dir, rendered, webPort), webPort };
    } catch (err) {
        await app.close();
        throw err;
    }
}

/** Every file and directory under `dir` with its mode, symbolic links as `-> target`. */
function tree(dir: string): string[] {
    if (!fs.existsSync(dir)) return ["(missing)"];
    return fs
        .readdirSync(dir, { recursive: true, encoding: "utf8" })
        .sort()
        .map((name) => {
            const stat = fs.lstatSync(path.join(dir, name));
            if (stat.isSymbolicLink()) return `${name} -> ${fs.readlinkSync(path.join(dir, name))}`;
            return `${name} ${(stat.mode & 0o777).toString(8)}${stat.isDirectory() ? "/" : ""}`;
        });
}

describe("static files: the copy script on a real directory tree", function () {
    this.timeout(30000);
    let tmp: ReturnType<typeof tempDir>;
    let root: string;
    let script: string;
    let layout: Layout;
    const images: Record<string, string> = {};

    before(function () {
        const umoci = requireTool(this, "umoci");
        requireTool(this, "skopeo");
        tmp = tempDir("static-copy");
        fs.chmodSync(tmp.dir, 0o755);
        root = path.join(tmp.dir, "var-lib-webstack-static");
        script = path.join(tmp.dir, "webstack-static-files");
        fs.writeFileSync(script, staticFilesScript(), { mode: 0o700 });
        layout = new Layout(umoci, path.join(tmp.dir, "layout"));
        images.v1 = layout.tag("v1", (fs_) => {
            write(fs_, {
                "app/static/css/app.3f2a9c1b.css": "body{}\n",
                "app/static/old.txt": "only in v1\n",
                "app/server.js": "not served\n",
            });
            // A link out of the tree would let nginx read any file of the droplet: it must not survive the copy.
            fs.symlinkSync("/etc/passwd", path.join(fs_, "app/static/passwd"));
        });
        images.v2 = layout.tag("v2", (fs_) => {
            fs.rmSync(path.join(fs_, "app/static/old.txt"));
            write(fs_, { "app/static/new.txt": "only in v2\n" });
        });
        images.emptyDir = layout.tag("empty", (fs_) => {
            fs.rmSync(path.join(fs_, "app/static"), { recursive: true });
            fs.mkdirSync(path.join(fs_, "app/static"));
        });
        images.linkedDir = layout.tag("linked", (fs_) => {
            fs.rmSync(path.join(fs_, "app/static"), { recursive: true });
            fs.symlinkSync("/etc", path.join(fs_, "app/static"));
        });
    });

    after(() => tmp?.remove());

    /**
     * Runs the script with an env file for `sf`, the image read from `image` (an oci: layout); killed after 30 s.
     * Asynchronous: the archive tests' HTTPS server lives in this process and must keep answering.
     */
    async function copy(sf: StaticFiles, image?: string, env: NodeJS.ProcessEnv = {}) {
        const envFile = path.join(tmp.dir, "static-files.env");
        fs.writeFileSync(envFile, staticFilesEnv(sf, { root, imageReference: image }));
        const child = spawn("/bin/sh", [script, envFile], { env: { ...process.env, ...env } });
        let stdout = "";
        let stderr = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        const kill = setTimeout(() => child.kill("SIGKILL"), 30_000);
        const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        clearTimeout(kill);
        const leftovers = fs.existsSync(root) ? fs.readdirSync(root).filter((n) => n.startsWith("work.")) : [];
        assert.deepEqual(leftovers, [], "the script leaves no work directory");
        return { status, stdout, stderr };
    }
    const published = () => tree(path.join(root, "current", "static"));
    const current = () => fs.readlinkSync(path.join(root, "current"));

    it("publishes the image's directory as the last layer has it, regular files only, readable by nginx", async () => {
        const result = await copy(IMAGE, images.v2);
        assert.deepEqual(result, {
            status: 0,
            stdout: `webstack-static-files: published 2 files from /app/static in ${images.v2} under /static/\n`,
            stderr: "",
        });
        assert.deepEqual(published(), ["css 755/", "css/app.3f2a9c1b.css 644", "new.txt 644"]);
        assert.match(current(), /^releases\/\d{14}\.\d+$/);
        assert.deepEqual(fs.readdirSync(root).sort(), ["current", "releases"]);
    });

    it("keeps the published copy and downloads nothing on a reboot with the same source", async () => {
        const before = current();
        fs.renameSync(layout.dir, `${layout.dir}.away`);
        try {
            assert.deepEqual(await copy(IMAGE, images.v2), {
                status: 0,
                stdout: `webstack-static-files: /app/static in ${images.v2} is already published under /static/\n`,
                stderr: "",
            });
        } finally {
            fs.renameSync(`${layout.dir}.away`, layout.dir);
        }
        assert.equal(current(), before);
    });

    it("replaces the whole tree when the source changes, removing the previous release", async () => {
        const result = await copy(IMAGE, images.v1);
        assert.equal(
            result.stdout,
            `webstack-static-files: published 2 files from /app/static in ${images.v1} under /static/\n`,
        );
        assert.deepEqual(published(), ["css 755/", "css/app.3f2a9c1b.css 644", "old.txt 644"]);
        assert.deepEqual(fs.readdirSync(path.join(root, "releases")), [current().slice("releases/".length)]);
    });

    it("keeps the files it had and exits 1 with one line when the image cannot be fetched", async () => {
        const before = current();
        const missing = `oci:${tmp.dir}/no-such-layout:v9`;
        const result = await copy(IMAGE, missing);
        assert.equal(result.status, 1);
        assert.match(
            result.stdout,
            new RegExp(
                `^webstack-static-files: could not fetch /app/static in ${missing} \\([^\\n]+\\); /static/ keeps the files it had\\n$`,
            ),
        );
        assert.deepEqual([current(), published()], [before, ["css 755/", "css/app.3f2a9c1b.css 644", "old.txt 644"]]);
    });

    it("publishes an empty tree with one line when the image lacks the directory, is empty, or links it elsewhere", async () => {
        const lines = [];
        for (const [sf, image] of [
            [{ ...IMAGE, source: { ...IMAGE.source, dir: "/app/public" } } as StaticFiles, images.v2],
            [IMAGE, images.emptyDir],
            [IMAGE, images.linkedDir],
        ] as const) {
            const r = await copy(sf, image);
            lines.push([r.status, r.stdout]);
        }
        assert.deepEqual(lines, [
            [0, `webstack-static-files: /app/public is not a directory in ${images.v2}; /static/ answers 404\n`],
            [0, `webstack-static-files: published 0 files from /app/static in ${images.emptyDir} under /static/\n`],
            [
                0,
                `webstack-static-files: /app/static in ${images.linkedDir} goes through a symbolic link, which is not followed; /static/ answers 404\n`,
            ],
        ]);
        assert.deepEqual(published(), []);
    });

    it("keeps a new droplet's health path failing behind a load balancer until a copy publishes, an empty tree too", async function () {
        const nginx = requireTool(this, "nginx");
        const shared = root;
        root = path.join(tmp.dir, "new-droplet");
        let served: Awaited<ReturnType<typeof serveTree>> | undefined;
        try {
            served = await serveTree(nginx, path.join(tmp.dir, "nginx-health"), root, true);
            const { app, webPort } = served;
            assert.equal((await copy(IMAGE, `oci:${tmp.dir}/no-such-layout:v9`)).status, 1);
            assert.equal((await get(webPort, "/healthz")).status, 503, "no copy yet: out of service, no gate passes");
            const lacking = await copy(
                { ...IMAGE, source: { ...IMAGE.source, dir: "/app/public" } } as StaticFiles,
                images.v2,
            );
            assert.equal(lacking.status, 0);
            const [health, asset] = [
                await get(webPort, "/healthz"),
                await get(webPort, "/static/css/app.3f2a9c1b.css"),
            ];
            assert.deepEqual([health.status, asset.status, app.paths], [200, 404, ["/healthz"]]);
        } finally {
            await served?.site.stop();
            await served?.app.close();
            root = shared;
        }
    });

    describe("from an archive over HTTPS", () => {
        let server: https.Server | undefined;
        let port = 0;
        let archive: Buffer;
        let ca: string;

        before(async function () {
            const openssl = requireTool(this, "openssl");
            requireTool(this, "curl");
            const made = run(openssl, [
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                "-addext", "subjectAltName=IP:127.0.0.1",
                "-keyout", path.join(tmp.dir, "key.pem"), "-out", path.join(tmp.dir, "cert.pem"),
            ]); // prettier-ignore
            assert.equal(made.status, 0, made.output);
            ca = path.join(tmp.dir, "cert.pem");
            const src = path.join(tmp.dir, "archive-src");
            write(src, { "index.html": "<h1>shop</h1>\n", "js/app.0123abcd.js": "run()\n" });
            const tar = run("tar", ["-czf", path.join(tmp.dir, "static.tar.gz"), "-C", src, "."]);
            assert.equal(tar.status, 0, tar.output);
            archive = fs.readFileSync(path.join(tmp.dir, "static.tar.gz"));
            server = https.createServer(
                { key: fs.readFileSync(path.join(tmp.dir, "key.pem")), cert: fs.readFileSync(ca) },
                (req, res) => {
                    if (req.url !== "/static.tar.gz") return void res.writeHead(404).end();
                    res.writeHead(200, { "Content-Length": archive.length }).end(archive);
                },
            );
            port = await freePort();
            await new Promise<void>((resolve) => server!.listen(port, "127.0.0.1", resolve));
        });

        after(async () => {
            server?.closeAllConnections();
            await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
        });

        const fromArchive = (file: string, sha256: string): StaticFiles => ({
            urlPrefix: "/static/",
            source: { kind: "archive", archiveUrl: `https://127.0.0.1:${port}/${file}`, archiveSha256: sha256 },
        });
        // curl trusts the loopback server's self-signed certificate through CURL_CA_BUNDLE only.
        const trust = () => ({ CURL_CA_BUNDLE: ca });

        it("refuses an archive whose SHA-256 differs, keeping the files it had", async () => {
            const before = published();
            const actual = createHash("sha256").update(archive).digest("hex");
            const result = await copy(fromArchive("static.tar.gz", SHA), undefined, trust());
            assert.deepEqual(
                [result.status, result.stdout, published()],
                [
                    1,
                    `webstack-static-files: refusing https://127.0.0.1:${port}/static.tar.gz: its sha256 is ${actual}, not ${SHA}; /static/ keeps the files it had\n`,
                    before,
                ],
            );
        });

        it("exits 1 with one line when the archive cannot be downloaded", async () => {
            const result = await copy(fromArchive("gone.tar.gz", SHA), undefined, trust());
            assert.equal(result.status, 1);
            assert.match(
                result.stdout,
                /^webstack-static-files: could not fetch https:\/\/127\.0\.0\.1:\d+\/gone\.tar\.gz \(curl: \(22\)[^\n]*404[^\n]*\); \/static\/ keeps the files it had\n$/,
            );
        });

        it("publishes the archive's files when its SHA-256 matches, and nginx serves them from there", async function () {
            const nginx = requireTool(this, "nginx");
            const sha = createHash("sha256").update(archive).digest("hex");
            const result = await copy(fromArchive("static.tar.gz", sha), undefined, trust());
            assert.equal(
                result.stdout,
                `webstack-static-files: published 2 files from https://127.0.0.1:${port}/static.tar.gz under /static/\n`,
            );
            assert.deepEqual(published(), ["index.html 644", "js 755/", "js/app.0123abcd.js 644"]);

            const { app, site, webPort } = await serveTree(nginx, path.join(tmp.dir, "nginx"), root, false);
            try {
                const asset = await get(webPort, "/static/js/app.0123abcd.js");
                assert.deepEqual(
                    [asset.status, asset.body.toString(), asset.headers["cache-control"], app.paths],
                    [200, "run()\n", "public, max-age=31536000, immutable", []],
                );
            } finally {
                await site.stop();
                await app.close();
            }
        });
    });
});
