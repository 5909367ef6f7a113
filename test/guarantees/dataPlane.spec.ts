// The real haproxy and nginx binaries run the configs the program renders, on
// loopback only, in front of a stub app (a Node HTTP server echoing what it received) and a TCP stand-in for the
// internal load balancer (a Node net proxy, as the internal DigitalOcean LB now forwards TCP). Requests are real:
// HTTP is redirected to HTTPS, www is served with a certificate valid for its name, the app sees
// X-Forwarded-Proto: https and X-Forwarded-For, and health turns red when the app stops and green when it returns.
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
import { eventually, freePort, loopbackNginx, requireTool, run, tempDir } from "../support/hostTools";

const DOMAIN = "example.test";
const HEALTH = "/healthz";

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

/** The stub app: echoes method, path and headers as JSON; answers the health path while it runs. */
function startApp(port: number): Promise<http.Server> {
    const server = tracked(
        http.createServer((req, res) => {
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

        app = await startApp(ports.app);
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
        app = await startApp(ports.app);
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
