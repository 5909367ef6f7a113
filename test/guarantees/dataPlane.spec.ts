// The real haproxy and nginx binaries run the configs the program renders, on
// loopback only, in front of a stand-in for the default app image (a Node HTTP server that answers exactly the paths
// the image answers, echoing what it received, and 404 elsewhere: components/hostConfig/placeholderApps.ts) and a
// TCP stand-in for the internal load balancer (a Node net proxy, as the internal DigitalOcean LB now forwards TCP).
// Requests are real: HTTP is redirected to HTTPS, www is served with a certificate valid for its name, the app sees
// X-Forwarded-Proto: https and X-Forwarded-For, and health turns red when the app stops and green when it returns.
// The health path is the default `app.healthPath` and the app the default `app.image`, so a default image that does
// not answer the default health path fails here; so does any shipped stack or tier default that would.
// Bounded: random free ports, a temp prefix, short timeouts, every process stopped in `after`. Skipped on a
// workstation without the tools, failed in CI (requireTool).
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import { renderHaproxyConfig } from "../../components/hostConfig/haproxy";
import { renderNginxConfig } from "../../components/hostConfig/nginx";
import {
    NGINX_UNPRIVILEGED,
    type PlaceholderApp,
    answers,
    placeholderApp,
} from "../../components/hostConfig/placeholderApps";
import { parseStackConfig } from "../../components/settings/stackConfig";
import { TIERS, exampleConfig } from "../../examples/variants";
import { loadStackConfig } from "../../plan/capture/cliConfig";
import { encodeConfig } from "../support/program";
import { eventually, freePort, loopbackNginx, requireTool, run, tempDir } from "../support/hostTools";

const DOMAIN = "example.test";
const ROOT = path.resolve(__dirname, "..", "..");

/** The app every stack runs until it sets its own: the parser's defaults for `app.*`. */
const DEFAULT_APP = parseStackConfig("dev", encodeConfig(exampleConfig(1))).app;
const HEALTH = DEFAULT_APP.healthPath;

/** What an image answers, from its own source; a default image the table does not know fails every test here. */
function modelOf(image: string): PlaceholderApp {
    const app = placeholderApp(image);
    assert.ok(app, `${image} is not in components/hostConfig/placeholderApps.ts: add what it answers, from its source`);
    return app;
}

interface Reply {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/** One request with a 3 s budget; `tls` adds the SNI name and the CA to trust. */
function request(
    port: number,
    pathName: string,
    host: string,
    tls?: { ca: string; servername: string },
): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const options = {
            host: "127.0.0.1",
            port,
            path: pathName,
            headers: { Host: host },
            timeout: 3000,
            agent: false as const,
        };
        const req = tls ? https.request({ ...options, ca: tls.ca, servername: tls.servername }) : http.request(options);
        req.on("response", (res) => {
            let body = "";
            res.setEncoding("utf8").on("data", (d: string) => (body += d));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on("timeout", () => req.destroy(new Error(`request to ${port}${pathName} timed out`)));
        req.on("error", reject);
        req.end();
    });
}

/** The stand-in for `image`: 404 for every path the image does not answer; elsewhere it echoes path and headers. */
function startApp(port: number, image: string): Promise<http.Server> {
    const model = modelOf(image);
    const server = tracked(
        http.createServer((req, res) => {
            if (!answers(model, req.url ?? "/")) {
                res.statusCode = 404;
                res.end("404 Not Found\n");
                return;
            }
            res.setHeader("Content-Type", "application/json");
            res.end(JSON.stringify({ path: req.url, headers: req.headers }));
        }),
    );
    return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

/** Closes a server and every connection it holds (nginx keeps upstream connections alive), so close resolves. */
function stop(server: net.Server): Promise<void> {
    for (const socket of sockets.get(server) ?? []) socket.destroy();
    if (server instanceof http.Server) server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
}

const sockets = new WeakMap<net.Server, Set<net.Socket>>();
/** Remembers the server's open sockets for `stop`. */
function tracked<T extends net.Server>(server: T): T {
    const open = new Set<net.Socket>();
    sockets.set(server, open);
    server.on("connection", (socket: net.Socket) => {
        open.add(socket);
        socket.on("close", () => open.delete(socket));
    });
    return server;
}

/** The internal load balancer in TCP mode: bytes pass through, headers untouched. */
function startTcpProxy(port: number, target: number): Promise<net.Server> {
    const server = tracked(
        net.createServer((client) => {
            const upstream = net.connect(target, "127.0.0.1");
            client.pipe(upstream).pipe(client);
            const close = () => (client.destroy(), upstream.destroy());
            client.on("error", close);
            upstream.on("error", close);
        }),
    );
    return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

/** Loopback rewrite of the rendered haproxy.cfg: bind addresses, no chroot/user/daemon/syslog, a maxconn an
 *  unprivileged process can open files for, 200 ms checks. Everything else runs as rendered. */
function loopbackHaproxy(config: string, httpPort: number, httpsPort: number): string {
    return config
        .split("\n")
        .filter((l) => !/^\s+(chroot|user|group|daemon|stats socket|stats timeout|log \/dev\/log)\b/.test(l))
        .map((l) =>
            l
                .replace(/^(\s+bind ):80$/, `$1127.0.0.1:${httpPort}`)
                .replace(/^(\s+bind ):443 /, `$1127.0.0.1:${httpsPort} `),
        )
        .map((l) =>
            l.replace("default-server check inter 5s fall 3 rise 2", "default-server check inter 200ms fall 2 rise 2"),
        )
        .map((l) => l.replace(/^(\s+maxconn )\d+$/, "$1256"))
        .join("\n");
}

describe("data plane on loopback: haproxy → nginx → TCP internal LB → app", function () {
    this.timeout(60000);
    const children: ChildProcess[] = [];
    const servers: net.Server[] = [];
    let app: http.Server | undefined;
    let remove = () => undefined as void;
    let ports: { app: number; lb: number; nginx: number; http: number; https: number };
    let ca: string;

    before(async function () {
        const nginx = requireTool(this, "nginx");
        const haproxy = requireTool(this, "haproxy");
        const openssl = requireTool(this, "openssl");
        const tmp = tempDir("dataplane");
        remove = tmp.remove;
        const dir = tmp.dir;
        ports = {
            app: await freePort(),
            lb: await freePort(),
            nginx: await freePort(),
            http: await freePort(),
            https: await freePort(),
        };

        // One self-signed certificate for apex and www, as certbot now asks Let's Encrypt for both.
        const certs = path.join(dir, "certs");
        fs.mkdirSync(certs, { mode: 0o700 });
        const made = run(openssl, [
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${DOMAIN}`,
            "-addext", `subjectAltName=DNS:${DOMAIN},DNS:www.${DOMAIN}`,
            "-keyout", path.join(dir, "key.pem"), "-out", path.join(dir, "cert.pem"),
        ]); // prettier-ignore
        assert.equal(made.status, 0, made.output);
        ca = fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
        fs.writeFileSync(path.join(certs, `${DOMAIN}.pem`), ca + fs.readFileSync(path.join(dir, "key.pem"), "utf8"), {
            mode: 0o600,
        });

        app = await startApp(ports.app, DEFAULT_APP.image);
        servers.push(await startTcpProxy(ports.lb, ports.app));

        // nginx as the tier-2 web role renders it, pointed at the TCP stand-in.
        const site = renderNginxConfig({
            listenPort: ports.nginx,
            upstream: { host: "127.0.0.1", port: ports.lb },
            behindLoadBalancer: true,
            healthPath: HEALTH,
        });
        fs.writeFileSync(
            path.join(dir, "site.conf"),
            site.replace(`listen ${ports.nginx} `, `listen 127.0.0.1:${ports.nginx} `),
        );
        children.push(
            spawn(nginx, [...loopbackNginx(dir, path.join(dir, "site.conf")), "-g", "daemon off;"], {
                stdio: "ignore",
            }),
        );

        // HAProxy as the haproxy role renders it (TLS on, the one web server being our nginx).
        const cfg = renderHaproxyConfig({
            backends: [{ host: "127.0.0.1", port: ports.nginx }],
            algorithm: "roundrobin",
            tls: true,
            domain: DOMAIN,
            certDir: certs,
            healthPath: HEALTH,
        });
        fs.writeFileSync(path.join(dir, "haproxy.cfg"), loopbackHaproxy(cfg, ports.http, ports.https));
        const checked = run(haproxy, ["-c", "-f", path.join(dir, "haproxy.cfg")]);
        assert.equal(checked.status, 0, checked.output);
        children.push(
            spawn(haproxy, ["-db", "-f", path.join(dir, "haproxy.cfg")], {
                stdio: process.env.DATAPLANE_DEBUG ? "inherit" : "ignore",
            }),
        );

        await eventually(
            "HAProxy serves the app over HTTPS",
            async () => (await request(ports.https, "/", DOMAIN, { ca, servername: DOMAIN })).status === 200,
        );
    });

    after(async () => {
        for (const child of children) child.kill("SIGTERM");
        for (const server of servers) await stop(server);
        if (app?.listening) await stop(app);
        remove();
    });

    it("redirects plain HTTP to HTTPS", async () => {
        const reply = await request(ports.http, "/shop?x=1", DOMAIN);
        assert.deepEqual(
            { status: reply.status, location: reply.headers.location },
            { status: 301, location: `https://${DOMAIN}/shop?x=1` },
        );
    });

    it("serves www with a certificate valid for www (SNI and SAN checked by Node's TLS client)", async () => {
        const reply = await request(ports.https, "/", `www.${DOMAIN}`, { ca, servername: `www.${DOMAIN}` });
        assert.equal(reply.status, 200);
    });

    it("refuses a name the certificate does not cover (the check is real)", async () => {
        await assert.rejects(
            request(ports.https, "/", `shop.${DOMAIN}`, { ca, servername: `shop.${DOMAIN}` }),
            /altnames|Hostname/,
        );
    });

    it("reaches the app with X-Forwarded-Proto: https and the client in X-Forwarded-For", async () => {
        const reply = await request(ports.https, "/orders", DOMAIN, { ca, servername: DOMAIN });
        const echoed = JSON.parse(reply.body) as { path: string; headers: Record<string, string> };
        assert.deepEqual(
            {
                path: echoed.path,
                proto: echoed.headers["x-forwarded-proto"],
                forwardedFor: echoed.headers["x-forwarded-for"],
                host: echoed.headers.host,
            },
            { path: "/orders", proto: "https", forwardedFor: "127.0.0.1, 127.0.0.1", host: DOMAIN },
        );
    });

    it("turns health red when the app stops and green when it returns, at nginx and at HAProxy", async () => {
        assert.equal((await request(ports.nginx, HEALTH, DOMAIN)).status, 200);
        await stop(app!);
        await eventually(
            "nginx's health path fails without the app",
            async () => (await request(ports.nginx, HEALTH, DOMAIN)).status >= 500,
        );
        await eventually(
            "HAProxy takes the web server out (503)",
            async () => (await request(ports.https, "/", DOMAIN, { ca, servername: DOMAIN })).status === 503,
        );
        app = await startApp(ports.app, DEFAULT_APP.image);
        await eventually(
            "nginx's health path passes again",
            async () => (await request(ports.nginx, HEALTH, DOMAIN)).status === 200,
        );
        await eventually(
            "HAProxy serves again",
            async () => (await request(ports.https, "/", DOMAIN, { ca, servername: DOMAIN })).status === 200,
        );
    });
});

/** The app settings of every shipped stack (Pulumi.<stack>.yaml) and of every tier's defaults. */
function appsToServe(): { name: string; image: string; healthPath: string; port: number; behindLb: boolean }[] {
    const stacks = ["dev", "staging", "prod"].map((stack) => {
        const cfg = loadStackConfig({ cwd: ROOT, stack });
        return { name: `Pulumi.${stack}.yaml`, settings: parseStackConfig(stack, cfg.config, new Set(cfg.secretKeys)) };
    });
    const tiers = TIERS.map((tier) => ({
        name: `tier ${tier} defaults`,
        settings: parseStackConfig("dev", encodeConfig(exampleConfig(tier))),
    }));
    return [...stacks, ...tiers].map(({ name, settings }) => ({
        name,
        ...settings.app,
        behindLb: settings.loadBalancer !== undefined,
    }));
}

describe("data plane on loopback: the shipped stacks and every tier's defaults pass their own health check", function () {
    this.timeout(30000);
    const children: ChildProcess[] = [];
    const servers: http.Server[] = [];
    let remove = () => undefined as void;
    let nginxPath: string;
    let dir: string;

    before(function () {
        nginxPath = requireTool(this, "nginx");
        ({ dir, remove } = tempDir("health"));
    });

    after(async () => {
        for (const child of children) child.kill("SIGTERM");
        for (const server of servers) await stop(server);
        remove();
    });

    /** The status nginx, as the web role renders it with `healthPath`, answers for it in front of `image`. */
    async function healthThroughNginx(image: string, healthPath: string): Promise<number> {
        const [appPort, nginxPort] = [await freePort(), await freePort()];
        servers.push(await startApp(appPort, image));
        const site = path.join(dir, `site-${nginxPort}.conf`);
        const rendered = renderNginxConfig({
            listenPort: nginxPort,
            upstream: { host: "127.0.0.1", port: appPort },
            behindLoadBalancer: true,
            healthPath,
        });
        fs.writeFileSync(site, rendered.replace(`listen ${nginxPort} `, `listen 127.0.0.1:${nginxPort} `));
        const prefix = path.join(dir, `nginx-${nginxPort}`);
        fs.mkdirSync(prefix);
        children.push(spawn(nginxPath, [...loopbackNginx(prefix, site), "-g", "daemon off;"], { stdio: "ignore" }));
        let status = 0;
        await eventually("nginx answers", async () => {
            status = (await request(nginxPort, healthPath, DOMAIN)).status;
            return status !== 0;
        });
        return status;
    }

    it("serves 200 on the health path of every shipped stack and tier default behind a load balancer, on the image's port", async () => {
        const apps = appsToServe();
        assert.deepEqual(
            apps.filter((a) => a.port !== modelOf(a.image).port).map((a) => a.name),
            [],
            "every stack publishes the port its image listens on",
        );
        const checked = new Map<string, number>();
        for (const a of apps.filter((x) => x.behindLb)) {
            const key = `${a.image} ${a.healthPath}`;
            if (!checked.has(key)) checked.set(key, await healthThroughNginx(a.image, a.healthPath));
        }
        assert.deepEqual(
            [...checked.values()],
            [...checked.keys()].map(() => 200),
            [...checked.keys()].join(", "),
        );
        assert.deepEqual(
            apps.map((a) => a.name),
            [
                "Pulumi.dev.yaml",
                "Pulumi.staging.yaml",
                "Pulumi.prod.yaml",
                "tier 0 defaults",
                "tier 1 defaults",
                "tier 2 defaults",
                "tier 3 defaults",
            ],
        );
    });

    it("fails the health check of the former default, nginx-unprivileged with /healthz (the check is real)", async () => {
        assert.equal(await healthThroughNginx(NGINX_UNPRIVILEGED.repositories[0] + ":stable", "/healthz"), 404);
        assert.equal(await healthThroughNginx(NGINX_UNPRIVILEGED.repositories[0] + ":stable", "/"), 200);
    });
});
