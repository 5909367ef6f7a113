// The health location every serving droplet runs (web site and the app droplets' identity proxy), with the real
// nginx, sh and curl: the identity the boot script reads from a stand-in metadata service shows on the health path
// only, a draining droplet answers 503, each check opens its own upstream connection, and the identity proxy passes
// the forwarded headers to the app unchanged.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import {
    APP_PROXY_SITE_PATH,
    appLoopbackPort,
    appProxyParts,
    renderAppProxyConfig,
} from "../../../components/hostConfig/appProxy";
import { renderNginxConfig } from "../../../components/hostConfig/nginx";
import {
    IDENTITY_DIR,
    IDENTITY_SCRIPT,
    identityDirective,
    identityParts,
    identityScript,
} from "../../../components/hostConfig/servingIdentity";
import { freePort, nginxTest, requireTool, tempDir } from "../../support/hostTools";
import {
    type NodePaths,
    Processes,
    localizeSite,
    nodePaths,
    request,
    startNginx,
    waitForPort,
} from "../../support/loopback";

const HEALTH = "/healthz";
const USER_DATA = "#cloud-config\npackages: [nginx]\n";
const RELEASE = createHash("sha256").update(USER_DATA).digest("hex").slice(0, 12);

/** The lines of the block opened by `header {` (nested blocks included), trimmed. */
function block(text: string, header: string): string[] {
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.trim() === `${header} {`);
    assert.ok(start >= 0, `no block "${header}" in:\n${text}`);
    const indent = lines[start].length - lines[start].trimStart().length;
    const body: string[] = [];
    for (const line of lines.slice(start + 1)) {
        if (line.trim() === "}" && line.length - line.trimStart().length === indent) break;
        body.push(line.trim());
    }
    return body.filter((l) => l !== "");
}

const HEALTH_BLOCK = [
    "access_log off;",
    "include /etc/nginx/webstack-identity/*.conf;",
    "if (-f /run/webstack/draining) {",
    "return 503;",
    "}",
    "proxy_pass http://webstack_app;",
    "proxy_http_version 1.1;",
    "proxy_set_header Connection close;",
    "proxy_set_header Host $host;",
    "proxy_connect_timeout 2s;",
    "proxy_read_timeout 4s;",
];

describe("health location: what it renders", () => {
    it("is the same on the web site and on the app droplets' identity proxy", () => {
        const web = renderNginxConfig({
            listenPort: 80,
            upstream: { host: "10.0.0.9", port: 8080 },
            behindLoadBalancer: true,
        });
        assert.deepEqual(block(web, "location = /healthz"), HEALTH_BLOCK);
        assert.deepEqual(block(renderAppProxyConfig({ appPort: 8080 }), "location = /healthz"), HEALTH_BLOCK);
    });

    it("renders tier 0's health location as before the gates: no identity, no drain, a pooled connection", () => {
        const tier0 = renderNginxConfig({
            listenPort: 80,
            upstream: { host: "127.0.0.1", port: 8080 },
            behindLoadBalancer: false,
            staticFiles: { urlPrefix: "/static/" },
        });
        assert.deepEqual(block(tier0, "location = /healthz"), [
            "access_log off;",
            "proxy_pass http://webstack_app;",
            "proxy_http_version 1.1;",
            'proxy_set_header Connection "";',
            "proxy_set_header Host $host;",
            "proxy_connect_timeout 2s;",
            "proxy_read_timeout 4s;",
        ]);
    });

    it("fails the health path of a web droplet that serves static files until the copy has published them", () => {
        const web = renderNginxConfig({
            listenPort: 80,
            upstream: { host: "10.0.0.9", port: 8080 },
            behindLoadBalancer: true,
            staticFiles: { urlPrefix: "/static/" },
        });
        assert.deepEqual(block(web, "location = /healthz"), [
            ...HEALTH_BLOCK.slice(0, 5),
            "if (!-d /var/lib/webstack/static/current) {",
            "return 503;",
            "}",
            ...HEALTH_BLOCK.slice(5),
        ]);
    });

    it("puts the identity on no other location", () => {
        for (const site of [
            renderNginxConfig({ listenPort: 80, upstream: { host: "10.0.0.9", port: 8080 }, behindLoadBalancer: true }),
            renderAppProxyConfig({ appPort: 8080 }),
        ]) {
            assert.equal(site.split(IDENTITY_DIR).length, 2, "the identity snippet is included once");
            assert.doesNotMatch(block(site, "location /").join("\n"), /identity|add_header/);
        }
    });

    it("renders the app proxy: the app port in front of the container on loopback, same limits as the web site", () => {
        const site = renderAppProxyConfig({ appPort: 8080, healthPath: "/ready" });
        assert.deepEqual(block(site, "upstream webstack_app"), [
            "server 127.0.0.1:18080;",
            "keepalive 16;",
            "keepalive_timeout 50s;",
        ]);
        assert.deepEqual(block(site, "server").slice(0, 8), [
            "listen 8080 default_server;",
            "server_name _;",
            "server_tokens off;",
            "client_max_body_size 10m;",
            "client_body_timeout 15s;",
            "client_header_timeout 15s;",
            "keepalive_timeout 65s;",
            "send_timeout 30s;",
        ]);
        assert.ok(site.includes("    location = /ready {\n"));
        assert.deepEqual(block(site, "location /"), [
            "proxy_pass http://webstack_app;",
            "proxy_http_version 1.1;",
            'proxy_set_header Connection "";',
            "proxy_set_header Host $host;",
            "proxy_connect_timeout 5s;",
            "proxy_send_timeout 60s;",
            "proxy_read_timeout 60s;",
        ]);
        assert.equal(appLoopbackPort(18080), 18081);
        assert.throws(() => renderAppProxyConfig({ appPort: 0, healthPath: "/a b" }), {
            message: [
                "Invalid app proxy options:",
                '  - appPort: must be an integer from 1 to 65535; got "0".',
                '  - healthPath: must be an absolute URL path of letters, digits and "/._~-" (at most 128 characters) such as "/healthz"; got "/a b".',
            ].join("\n"),
        });
    });

    it("adds the app proxy as cloud-config parts: nginx, the site, switching nginx to it", () => {
        const parts = appProxyParts({ appPort: 8080 });
        assert.deepEqual(parts.packages, ["nginx"]);
        assert.deepEqual(
            parts.writeFiles.map((f) => [f.path, f.permissions]),
            [[APP_PROXY_SITE_PATH, "0644"]],
        );
        assert.deepEqual(parts.runcmd, [
            ["rm", "-f", "/etc/nginx/sites-enabled/default"],
            ["ln", "-sfn", APP_PROXY_SITE_PATH, "/etc/nginx/sites-enabled/webstack-app"],
            ["systemctl", "enable", "nginx.service"],
            ["systemctl", "reload-or-restart", "nginx.service"],
        ]);
        assert.deepEqual(identityParts("app").runcmd, [[IDENTITY_SCRIPT]]);
        assert.deepEqual(
            identityParts("app").writeFiles.map((f) => [f.path, f.permissions]),
            [[IDENTITY_SCRIPT, "0700"]],
        );
    });

    for (const [name, site] of [
        [
            "the web site",
            renderNginxConfig({
                listenPort: 80,
                upstream: { host: "127.0.0.1", port: 8080 },
                behindLoadBalancer: true,
            }),
        ],
        ["the app proxy", renderAppProxyConfig({ appPort: 8080 })],
    ] as const) {
        it(`passes nginx -t for ${name} before the identity exists (a glob include may match nothing)`, async function () {
            const nginx = requireTool(this, "nginx");
            const result = await nginxTest(nginx, site);
            assert.equal(result.status, 0, result.output);
        });
    }

    it("is caught by nginx -t when the identity snippet is broken (the include is real)", async function () {
        const nginx = requireTool(this, "nginx");
        const { dir, remove } = tempDir("identity");
        try {
            fs.writeFileSync(path.join(dir, "web.conf"), "add_header X-Webstack-Web;\n");
            const site = renderNginxConfig({
                listenPort: 80,
                upstream: { host: "127.0.0.1", port: 8080 },
                behindLoadBalancer: true,
            });
            const broken = await nginxTest(nginx, site.split(IDENTITY_DIR).join(dir));
            assert.notEqual(broken.status, 0);
            assert.match(broken.output, /invalid number of arguments in "add_header" directive/);
            fs.writeFileSync(
                path.join(dir, "web.conf"),
                `${identityDirective("web", { droplet: "7", release: RELEASE })}\n`,
            );
            const fine = await nginxTest(nginx, site.split(IDENTITY_DIR).join(dir));
            assert.equal(fine.status, 0, fine.output);
        } finally {
            remove();
        }
    });
});

describe("health location on loopback: identity, drain, a connection per check", function () {
    this.timeout(30000);
    const procs = new Processes();
    let remove = () => undefined as void;
    let root: string;
    let metadata: http.Server;
    let metadataPort: number;
    let appConnections = 0;
    let app: http.Server;
    let appPort: number;
    let seen: http.IncomingHttpHeaders[] = [];

    before(async function () {
        requireTool(this, "nginx");
        const tmp = tempDir("health");
        remove = tmp.remove;
        root = tmp.dir;
        metadataPort = await freePort();
        metadata = procs.track(
            http.createServer((req, res) => {
                if (req.url === "/metadata/v1/id") res.end("381920");
                else if (req.url === "/metadata/v1/user-data") res.end(USER_DATA);
                else {
                    res.statusCode = 404;
                    res.end();
                }
            }),
        );
        await new Promise<void>((r) => metadata.listen(metadataPort, "127.0.0.1", () => r()));
        appPort = await freePort();
        app = procs.track(
            http.createServer((req, res) => {
                seen.push(req.headers);
                res.end(req.url === HEALTH ? "ok" : "page");
            }),
        );
        app.on("connection", () => appConnections++);
        await new Promise<void>((r) => app.listen(appPort, "127.0.0.1", () => r()));
    });

    after(async () => {
        await procs.stopAll();
        remove();
    });

    /**
     * Runs the real boot script (sh, curl, sha256sum) against a stand-in metadata service, asynchronously: the
     * stand-in answers from this process's event loop.
     */
    async function execIdentityScript(
        role: "web" | "app",
        paths: { identityDir: string },
        at = metadataPort,
        retries?: number,
    ): Promise<{ code: number | null; output: string }> {
        const script = identityScript(role, `http://127.0.0.1:${at}/metadata/v1`, retries)
            .split(IDENTITY_DIR)
            .join(paths.identityDir);
        const file = path.join(root, `identity-${role}.sh`);
        fs.writeFileSync(file, script, { mode: 0o700 });
        return new Promise((resolve) =>
            execFile("/bin/sh", [file], { timeout: 10_000 }, (err, stdout, stderr) =>
                resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, output: stdout + stderr }),
            ),
        );
    }

    async function runIdentityScript(role: "web" | "app", paths: { identityDir: string }): Promise<void> {
        const result = await execIdentityScript(role, paths);
        assert.equal(result.code, 0, result.output);
    }

    it("announces nothing and exits 1 when the metadata service answers 500 or empty, after retrying", async function () {
        requireTool(this, "curl");
        for (const [answer, message] of [
            [500, "could not read"],
            [200, "the metadata service returned empty user data"],
        ] as const) {
            const asked: string[] = [];
            const failing = procs.track(
                http.createServer((req, res) => {
                    asked.push(req.url ?? "");
                    if (req.url === "/metadata/v1/id") res.end("381920");
                    else {
                        res.statusCode = answer;
                        res.end();
                    }
                }),
            );
            const port = await freePort();
            await new Promise<void>((r) => failing.listen(port, "127.0.0.1", () => r()));
            const paths = nodePaths(root, `identity-fails-${answer}`);
            const result = await execIdentityScript("web", paths, port, 1);
            await new Promise<void>((r) => failing.close(() => r()));
            assert.equal(result.code, 1, result.output);
            assert.match(
                result.output,
                new RegExp(`^webstack-serving-identity: ${message}.*; nothing is announced\\n$`, "m"),
            );
            assert.equal(fs.existsSync(path.join(paths.identityDir, "web.conf")), false);
            const userDataReads = asked.filter((u) => u === "/metadata/v1/user-data").length;
            // curl retries a 500 (a transient error), not an empty 200.
            assert.equal(userDataReads, answer === 500 ? 2 : 1);
        }
    });

    /** The web site rendered in front of the app stub, on a free loopback port (returned). */
    async function startWebSite(nginx: string, paths: NodePaths): Promise<number> {
        const port = await freePort();
        const site = renderNginxConfig({
            listenPort: 80,
            upstream: { host: "127.0.0.1", port: appPort },
            behindLoadBalancer: true,
        });
        await startNginx(procs, nginx, paths, localizeSite(site, `127.0.0.1:${port}`, paths), {
            host: "127.0.0.1",
            port,
        });
        return port;
    }

    it("announces the droplet id and release on the health path only, and answers 503 while draining", async function () {
        const nginx = requireTool(this, "nginx");
        const paths = nodePaths(root, "web");
        await runIdentityScript("web", paths);
        assert.equal(
            fs.readFileSync(path.join(paths.identityDir, "web.conf"), "utf8"),
            `add_header X-Webstack-Web "droplet=381920; release=${RELEASE}" always;\n`,
        );
        const port = await startWebSite(nginx, paths);
        const at = { host: "127.0.0.1", port };
        const health = await request(at, HEALTH, "example.com");
        assert.deepEqual(
            [health.status, health.body, health.headers["x-webstack-web"]],
            [200, "ok", `droplet=381920; release=${RELEASE}`],
        );
        const page = await request(at, "/shop", "example.com");
        assert.deepEqual([page.status, page.body, page.headers["x-webstack-web"]], [200, "page", undefined]);

        fs.writeFileSync(paths.drainFlag, "");
        const draining = await request(at, HEALTH, "example.com");
        assert.deepEqual(
            [draining.status, draining.headers["x-webstack-web"]],
            [503, `droplet=381920; release=${RELEASE}`],
        );
        assert.equal((await request(at, "/shop", "example.com")).status, 200, "pages are still served while draining");
        fs.rmSync(paths.drainFlag);
        assert.equal((await request(at, HEALTH, "example.com")).status, 200);
    });

    it("opens a new upstream connection for every health check, so a TCP load balancer spreads them", async function () {
        const nginx = requireTool(this, "nginx");
        const paths = nodePaths(root, "web-connections");
        const port = await startWebSite(nginx, paths);
        const before = appConnections;
        for (let i = 0; i < 5; i++)
            assert.equal((await request({ host: "127.0.0.1", port }, HEALTH, "example.com")).status, 200);
        assert.equal(appConnections - before, 5);
        const pages = appConnections;
        for (let i = 0; i < 5; i++) await request({ host: "127.0.0.1", port }, "/", "example.com");
        assert.equal(appConnections - pages, 1, "pages reuse one kept-alive upstream connection");
    });

    it("runs the app proxy: the app's answers and the forwarded headers pass unchanged, the health path names the droplet", async function () {
        const nginx = requireTool(this, "nginx");
        const paths = nodePaths(root, "app");
        await runIdentityScript("app", paths);
        const port = await freePort();
        // The container is published on appLoopbackPort(appPort); here the app stub stands in at its own port.
        const site = renderAppProxyConfig({ appPort: 8080 }).replace(
            `server 127.0.0.1:${appLoopbackPort(8080)};`,
            `server 127.0.0.1:${appPort};`,
        );
        await startNginx(procs, nginx, paths, localizeSite(site, `127.0.0.1:${port}`, paths), {
            host: "127.0.0.1",
            port,
        });
        await waitForPort("127.0.0.1", port);
        seen = [];
        const reply = await new Promise<http.IncomingMessage>((resolve, reject) =>
            http
                .get(
                    {
                        host: "127.0.0.1",
                        port,
                        path: "/orders",
                        headers: {
                            Host: "example.com",
                            "X-Forwarded-Proto": "https",
                            "X-Forwarded-For": "198.51.100.23, 10.110.0.5",
                            "X-Real-IP": "10.110.0.5",
                        },
                        agent: false,
                    },
                    resolve,
                )
                .on("error", reject),
        );
        reply.resume();
        assert.equal(reply.statusCode, 200);
        assert.equal(reply.headers["x-webstack-app"], undefined);
        assert.deepEqual(
            [seen[0].host, seen[0]["x-forwarded-proto"], seen[0]["x-forwarded-for"], seen[0]["x-real-ip"]],
            ["example.com", "https", "198.51.100.23, 10.110.0.5", "10.110.0.5"],
        );
        const health = await request({ host: "127.0.0.1", port }, HEALTH, "example.com");
        assert.deepEqual(
            [health.status, health.headers["x-webstack-app"]],
            [200, `droplet=381920; release=${RELEASE}`],
        );
    });
});
