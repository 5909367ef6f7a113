// The static location of the nginx site: its exact text, nginx -t, and the real nginx serving a tree on loopback in
// front of an app stand-in that records every request it gets (none may be for a static path).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as zlib from "node:zlib";
import {
    type NginxSiteOptions,
    STATIC_CACHE_CONTROL,
    nginxConfigProblems,
    renderNginxConfig,
} from "../../../components/hostConfig/nginx";
import { STATIC_FILES_ROOT } from "../../../components/hostConfig/staticFiles";
import { freePort, nginxTest, requireTool, tempDir } from "../../support/hostTools";
import {
    type CountingApp,
    type RunningNginx,
    get,
    startCountingApp,
    startNginx,
} from "../../../tools/loopback/staticSite";

const LOCAL: NginxSiteOptions = {
    listenPort: 80,
    upstream: { host: "127.0.0.1", port: 8080 },
    behindLoadBalancer: false,
    staticFiles: { urlPrefix: "/static/" },
};

/** The lines between `header {` and its closing brace at the same indentation, trimmed. */
function blockOf(text: string, header: string): string[] {
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.trim() === `${header} {`);
    assert.ok(start >= 0, `no block "${header}" in:\n${text}`);
    const indent = lines[start].length - lines[start].trimStart().length;
    const end = lines.findIndex((l, i) => i > start && l === `${" ".repeat(indent)}}`);
    return lines.slice(start + 1, end).map((l) => l.trim());
}

describe("renderNginxConfig with static files", () => {
    it("serves the prefix from the published copy with try_files, sendfile, open_file_cache, gzip and Cache-Control", () => {
        assert.deepEqual(blockOf(renderNginxConfig(LOCAL), "location ^~ /static/"), [
            `root ${STATIC_FILES_ROOT};`,
            "try_files $uri =404;",
            "sendfile on;",
            "tcp_nopush on;",
            "open_file_cache max=10000 inactive=60s;",
            "open_file_cache_valid 30s;",
            "open_file_cache_errors on;",
            "gzip on;",
            "gzip_static on;",
            "gzip_vary on;",
            "gzip_proxied any;",
            "gzip_comp_level 5;",
            "gzip_min_length 1024;",
            "gzip_types text/css text/plain text/xml text/javascript application/javascript application/json application/xml application/wasm image/svg+xml;",
            "add_header Cache-Control $webstack_static_cache_control;",
        ]);
    });

    it("picks Cache-Control by file name: HTML first, then content-hashed names, then the rest", () => {
        assert.deepEqual(blockOf(renderNginxConfig(LOCAL), "map $uri $webstack_static_cache_control"), [
            'default "public, max-age=300";',
            '"~*\\.html?$" "no-cache";',
            '"~[.-][0-9a-f]{8,64}(\\.[A-Za-z0-9]+)+$" "public, max-age=31536000, immutable";',
        ]);
    });

    it("leaves the site as before without static files: no map, no static location", () => {
        const site = renderNginxConfig({ ...LOCAL, staticFiles: undefined });
        assert.doesNotMatch(site, /webstack_static|location \^~|gzip|root /);
    });

    it("keeps the health check's exact location, which nginx prefers to any prefix", () => {
        const site = renderNginxConfig({ ...LOCAL, healthPath: "/static/health" });
        assert.ok(blockOf(site, "location = /static/health").includes("proxy_pass http://webstack_app;"));
    });

    it("refuses a prefix or root nginx would read as more than a path, listing each", () => {
        assert.deepEqual(nginxConfigProblems({ ...LOCAL, staticFiles: { urlPrefix: "/", root: "/srv/x/" } }), [
            'staticFiles.urlPrefix: must be a URL path that starts and ends with "/" and names at least one directory ("/" alone would take every path from the app), of letters, digits and "._~-", at most 64 characters, such as "/static/"; got "/".',
            'staticFiles.root: must be an absolute directory, no trailing "/"; got "/srv/x/".',
        ]);
        assert.deepEqual(
            ["static/", "/static", "/static/../", "/a b/", "/x;/", `/${"a".repeat(64)}/`].flatMap((urlPrefix) =>
                nginxConfigProblems({ ...LOCAL, staticFiles: { urlPrefix } }).map((p) => p.split(";")[0]),
            ),
            Array(6).fill(
                'staticFiles.urlPrefix: must be a URL path that starts and ends with "/" and names at least one directory ("/" alone would take every path from the app), of letters, digits and "._~-", at most 64 characters, such as "/static/"',
            ),
        );
    });

    for (const [name, opts] of [
        ["in front of the local app", LOCAL],
        [
            "behind a load balancer, a nested prefix",
            { ...LOCAL, behindLoadBalancer: true, staticFiles: { urlPrefix: "/assets/v2/" } },
        ],
    ] as const) {
        it(`passes nginx -t ${name}`, async function () {
            const nginx = requireTool(this, "nginx");
            const result = await nginxTest(nginx, renderNginxConfig(opts));
            assert.equal(result.status, 0, result.output);
            assert.match(result.output, /test is successful/);
        });
    }
});

describe("static files on loopback: real nginx serves them from disk, the app stand-in sees none", function () {
    this.timeout(20000);
    const CSS = "body { color: #222; }\n".repeat(150);
    const JS = "export const answer = () => 42;\n".repeat(200);
    let tmp: ReturnType<typeof tempDir>;
    let root: string;
    let app: CountingApp | undefined;
    let site: RunningNginx | undefined;

    before(async function () {
        const nginx = requireTool(this, "nginx");
        tmp = tempDir("static-site");
        // nginx's workers run as another user (www-data on Ubuntu, nobody here), as the copy script assumes.
        fs.chmodSync(tmp.dir, 0o755);
        root = path.join(tmp.dir, "root");
        const files: Record<string, string | Buffer> = {
            "static/css/app.3f2a9c1b.css": CSS,
            // A precompressed copy whose text differs, so a test can tell it was sent (build tools write these).
            "static/css/app.3f2a9c1b.css.gz": zlib.gzipSync("precompressed copy\n"),
            "static/js/main.js": JS,
            "static/index.html": "<!doctype html><title>shop</title>\n",
            "static/img/logo.png": Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]),
        };
        for (const [name, content] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(root, name)), { recursive: true });
            fs.writeFileSync(path.join(root, name), content);
        }
        app = await startCountingApp(await freePort());
        const port = await freePort();
        site = await startNginx(
            nginx,
            tmp.dir,
            renderNginxConfig({
                listenPort: port,
                upstream: { host: "127.0.0.1", port: app.port },
                behindLoadBalancer: true,
                healthPath: "/healthz",
                staticFiles: { urlPrefix: "/static/", root },
            }),
            port,
        );
    });

    beforeEach(() => app?.paths.splice(0));

    after(async () => {
        await site?.stop();
        await app?.close();
        tmp?.remove();
    });

    it("serves a content-hashed file from disk with a year of immutable caching, ETag and Last-Modified", async () => {
        const reply = await get(site!.port, "/static/css/app.3f2a9c1b.css");
        const mtime = fs.statSync(path.join(root, "static/css/app.3f2a9c1b.css")).mtime;
        assert.deepEqual(
            {
                status: reply.status,
                body: reply.body.toString(),
                type: reply.headers["content-type"],
                cache: reply.headers["cache-control"],
                etag: /^"[0-9a-f]+-[0-9a-f]+"$/.test(String(reply.headers.etag)),
                modified: reply.headers["last-modified"],
                encoding: reply.headers["content-encoding"],
            },
            {
                status: 200,
                body: CSS,
                type: "text/css",
                cache: STATIC_CACHE_CONTROL.fingerprinted,
                etag: true,
                modified: mtime.toUTCString(),
                encoding: undefined,
            },
        );
        assert.deepEqual(app!.paths, []);
    });

    it("answers a revalidation with 304 from disk", async () => {
        const first = await get(site!.port, "/static/img/logo.png");
        const again = await get(site!.port, "/static/img/logo.png", { "If-None-Match": String(first.headers.etag) });
        assert.deepEqual(
            [first.status, again.status, again.headers["cache-control"]],
            [200, 304, STATIC_CACHE_CONTROL.other],
        );
        assert.deepEqual(app!.paths, []);
    });

    it("has HTML revalidated on every use and keeps other files five minutes", async () => {
        const html = await get(site!.port, "/static/index.html");
        const png = await get(site!.port, "/static/img/logo.png");
        assert.deepEqual(
            [html.headers["content-type"], html.headers["cache-control"], png.headers["cache-control"]],
            ["text/html", STATIC_CACHE_CONTROL.html, STATIC_CACHE_CONTROL.other],
        );
    });

    it("sends the precompressed .gz beside a file to a client that accepts gzip", async () => {
        const reply = await get(site!.port, "/static/css/app.3f2a9c1b.css", { "Accept-Encoding": "gzip" });
        assert.deepEqual(
            [reply.headers["content-encoding"], reply.headers.vary, zlib.gunzipSync(reply.body).toString()],
            ["gzip", "Accept-Encoding", "precompressed copy\n"],
        );
        assert.deepEqual(app!.paths, []);
    });

    it("compresses text without a .gz on the fly, and sends it as is to a client that does not accept gzip", async () => {
        const gz = await get(site!.port, "/static/js/main.js", { "Accept-Encoding": "gzip" });
        const plain = await get(site!.port, "/static/js/main.js");
        assert.deepEqual(
            [gz.headers["content-encoding"], zlib.gunzipSync(gz.body).toString(), gz.body.length < JS.length],
            ["gzip", JS, true],
        );
        assert.deepEqual([plain.headers["content-encoding"], plain.body.toString()], [undefined, JS]);
    });

    it("answers 404 for a missing file or a directory under the prefix, logging nothing and asking no app", async () => {
        const statuses = await Promise.all(
            ["/static/missing.css", "/static/css/", "/static/css"].map(async (p) => (await get(site!.port, p)).status),
        );
        assert.deepEqual(statuses, [404, 404, 404]);
        assert.deepEqual(app!.paths, []);
        assert.doesNotMatch(site!.errorLog(), /missing\.css|\[error\]/);
    });

    it("proxies every other path, the health path and look-alikes of the prefix to the app", async () => {
        const replies = await Promise.all(
            ["/orders?id=7", "/healthz", "/staticfile.css"].map((p) => get(site!.port, p)),
        );
        assert.deepEqual(
            replies.map((r) => [r.status, r.body.toString()]),
            Array(3).fill([200, "from the app\n"]),
        );
        assert.deepEqual([...app!.paths].sort(), ["/healthz", "/orders?id=7", "/staticfile.css"]);
    });

    it("answers 404 for the prefix, and keeps serving the app, while no copy is published", async function () {
        const nginx = requireTool(this, "nginx");
        const dir = path.join(tmp.dir, "unpublished");
        fs.mkdirSync(dir);
        const port = await freePort();
        const empty = await startNginx(
            nginx,
            dir,
            renderNginxConfig({
                ...LOCAL,
                listenPort: port,
                upstream: { host: "127.0.0.1", port: app!.port },
                staticFiles: { urlPrefix: "/static/", root: path.join(dir, "never-published", "current") },
            }),
            port,
        );
        try {
            const [asset, page] = [await get(port, "/static/css/app.3f2a9c1b.css"), await get(port, "/cart")];
            assert.deepEqual([asset.status, page.status, app!.paths], [404, 200, ["/cart"]]);
        } finally {
            await empty.stop();
        }
    });

    it("fails the health check behind a load balancer until the copy has published a tree, then asks the app", async function () {
        const nginx = requireTool(this, "nginx");
        const dir = path.join(tmp.dir, "publishing");
        fs.mkdirSync(dir);
        const staticDir = path.join(dir, "static");
        const port = await freePort();
        const publishing = await startNginx(
            nginx,
            dir,
            renderNginxConfig({
                listenPort: port,
                upstream: { host: "127.0.0.1", port: app!.port },
                behindLoadBalancer: true,
                staticFiles: { urlPrefix: "/static/", root: path.join(staticDir, "current") },
            }),
            port,
        );
        try {
            const before = [await get(port, "/healthz"), await get(port, "/cart")];
            assert.deepEqual(
                before.map((r) => r.status),
                [503, 200],
                "no load balancer sends users, and no gate passes, before the files are in place",
            );
            assert.deepEqual(app!.paths, ["/cart"]);
            // What the copy script does: a release directory, then the `current` link to it in one rename.
            fs.mkdirSync(path.join(staticDir, "releases", "1", "static"), { recursive: true });
            fs.symlinkSync("releases/1", path.join(staticDir, "current.new"));
            fs.renameSync(path.join(staticDir, "current.new"), path.join(staticDir, "current"));
            const after = await get(port, "/healthz");
            assert.deepEqual([after.status, after.body.toString()], [200, "from the app\n"]);
            assert.deepEqual(app!.paths, ["/cart", "/healthz"]);
        } finally {
            await publishing.stop();
        }
    });
});
