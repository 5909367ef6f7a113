// Real processes on loopback for the data-plane tests and the release rehearsals: nginx running a rendered site,
// HAProxy running a rendered (or stand-in) config, small Node HTTP and TCP servers, and one bounded request helper.
// Every process is tracked and stopped (SIGTERM, then SIGKILL after 2 s); every server closes its sockets.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import { DRAIN_FLAG } from "../../components/hostConfig/drain";
import { IDENTITY_DIR } from "../../components/hostConfig/servingIdentity";
import { loopbackNginx } from "./hostTools";

/** Starts `executable` and remembers it for `stopAll`; stdout/stderr go nowhere unless REHEARSAL_DEBUG is set. */
export class Processes {
    private readonly children = new Set<ChildProcess>();
    private readonly servers = new Set<net.Server>();

    spawn(executable: string, args: readonly string[]): ChildProcess {
        const child = spawn(executable, args, { stdio: process.env.REHEARSAL_DEBUG ? "inherit" : "ignore" });
        this.children.add(child);
        child.once("exit", () => this.children.delete(child));
        return child;
    }

    track<T extends net.Server>(server: T): T {
        const open = new Set<net.Socket>();
        server.on("connection", (s: net.Socket) => {
            open.add(s);
            s.on("close", () => open.delete(s));
        });
        server.on("secureConnection", (s: net.Socket) => {
            open.add(s);
            s.on("close", () => open.delete(s));
        });
        (server as unknown as { __sockets: Set<net.Socket> }).__sockets = open;
        this.servers.add(server);
        return server;
    }

    /** Closes a server and every connection it holds. */
    async close(server: net.Server): Promise<void> {
        this.servers.delete(server);
        for (const s of (server as unknown as { __sockets?: Set<net.Socket> }).__sockets ?? []) s.destroy();
        if (server instanceof http.Server) server.closeAllConnections();
        if (!server.listening) return;
        await new Promise<void>((resolve) => server.close(() => resolve()));
    }

    /** SIGTERM (or `signal`), then SIGKILL after 2 s; resolves once the process has exited. */
    async stop(child: ChildProcess, signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
        child.kill(signal);
        const timer = setTimeout(() => child.kill("SIGKILL"), 2000);
        await exited;
        clearTimeout(timer);
    }

    async stopAll(): Promise<void> {
        await Promise.all([...this.children].map((c) => this.stop(c)));
        await Promise.all([...this.servers].map((s) => this.close(s)));
    }
}

/** Resolves once `host:port` accepts a TCP connection (at most `ms`). */
export async function waitForPort(host: string, port: number, ms = 5000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
        const ok = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, host);
            s.once("connect", () => (s.destroy(), resolve(true)));
            s.once("error", () => resolve(false));
        });
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`${host}:${port} did not accept connections within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 25));
    }
}

export interface Reply {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: string;
}

/**
 * One request on a fresh connection, bounded by `timeoutMs`; `tls` adds the server name and the CA to trust,
 * `localAddress` the source address, `method` and `headers` what the request says besides its Host.
 */
export function request(
    target: { host: string; port: number },
    pathName: string,
    hostHeader: string,
    opts: {
        tls?: { ca: string; servername: string };
        timeoutMs?: number;
        localAddress?: string;
        method?: string;
        headers?: Record<string, string>;
    } = {},
): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const options = {
            host: target.host,
            port: target.port,
            path: pathName,
            method: opts.method ?? "GET",
            localAddress: opts.localAddress,
            headers: { Host: hostHeader, Connection: "close", ...opts.headers },
            agent: false as const,
        };
        const req = opts.tls
            ? https.request({ ...options, ca: opts.tls.ca, servername: opts.tls.servername })
            : http.request(options);
        const timer = setTimeout(
            () => req.destroy(new Error(`no answer within ${opts.timeoutMs ?? 3000} ms`)),
            opts.timeoutMs ?? 3000,
        );
        req.on("response", (res) => {
            let body = "";
            res.setEncoding("utf8").on("data", (d: string) => (body += d));
            res.on(
                "end",
                () => (clearTimeout(timer), resolve({ status: res.statusCode ?? 0, headers: res.headers, body })),
            );
            res.on("error", (err) => (clearTimeout(timer), reject(err)));
        });
        req.on("error", (err) => (clearTimeout(timer), reject(err)));
        req.end();
    });
}

/** Paths a rendered host config uses, moved into a node's own directory. */
export interface NodePaths {
    readonly dir: string;
    readonly identityDir: string;
    readonly drainFlag: string;
}

export function nodePaths(root: string, name: string): NodePaths {
    const dir = path.join(root, name);
    fs.mkdirSync(dir, { recursive: true });
    // nginx's workers drop root (to nobody) when the tests run as root: they must reach the drain flag, as www-data
    // reaches /run/webstack on a droplet (drain.ts creates it 0755).
    fs.chmodSync(root, 0o755);
    fs.chmodSync(dir, 0o755);
    return { dir, identityDir: path.join(dir, "identity"), drainFlag: path.join(dir, "draining") };
}

/** A rendered nginx site moved to loopback: listen address, identity snippets and drain flag under the node's dir. */
export function localizeSite(site: string, listen: string, paths: NodePaths): string {
    const moved = site
        .replace(/^(\s*listen\s+)\d+(?=[\s;])/gm, `$1${listen}`)
        .split(IDENTITY_DIR)
        .join(paths.identityDir)
        .split(DRAIN_FLAG)
        .join(paths.drainFlag);
    if (moved === site) throw new Error("the site has nothing to move to loopback");
    return moved;
}

/** Starts nginx on a localized site and waits until it listens on `host:port`. */
export async function startNginx(
    procs: Processes,
    nginx: string,
    paths: NodePaths,
    site: string,
    listen: { host: string; port: number },
): Promise<ChildProcess> {
    const sitePath = path.join(paths.dir, "site.conf");
    fs.writeFileSync(sitePath, site);
    const child = procs.spawn(nginx, [...loopbackNginx(paths.dir, sitePath), "-g", "daemon off;"]);
    await waitForPort(listen.host, listen.port);
    return child;
}

/** How a rendered haproxy.cfg is moved to loopback. */
export interface HaproxyLoopback {
    readonly http: string;
    readonly https?: string;
    /** The DNS stub that replaces the droplet's resolver (`parse-resolv-conf`). */
    readonly dnsPort?: number;
    /** Where this instance's certbot stand-in listens instead of 127.0.0.1:8888. */
    readonly acmeLocalPort?: number;
    /** The port peers' HTTP frontends listen on instead of 80. */
    readonly peerPort?: number;
    /** Check timing instead of the rendered 5 s / 3 / 2. */
    readonly check?: { readonly inter: string; readonly fall: number; readonly rise: number };
}

/**
 * The rendered haproxy.cfg on loopback: no chroot, user, daemon, stats socket or syslog (the test is not root and has
 * no syslog), bind addresses and the resolver, certbot and peer ports moved, a maxconn an unprivileged process can
 * open files for, and the checks scaled when asked. Every other line runs as rendered.
 */
export function loopbackHaproxy(config: string, at: HaproxyLoopback): string {
    let text = config
        .split("\n")
        .filter((l) => !/^\s+(chroot|user|group|daemon|stats socket|stats timeout|log \/dev\/log)\b/.test(l))
        .join("\n")
        .replace(/^(\s+bind ):80$/m, `$1${at.http}`)
        .replace(/^(\s+maxconn )\d+$/m, "$1256");
    if (at.https) text = text.replace(/^(\s+bind ):443 /m, `$1${at.https} `);
    if (at.dnsPort) text = text.replace(/^(\s+)parse-resolv-conf$/m, `$1nameserver stub 127.0.0.1:${at.dnsPort}`);
    if (at.acmeLocalPort) text = text.replace(/^(\s+server certbot 127\.0\.0\.1:)8888$/m, `$1${at.acmeLocalPort}`);
    if (at.peerPort) text = text.replace(/^(\s+server-template peer \d+ \S+:)80$/m, `$1${at.peerPort}`);
    if (at.check)
        text = text.replace(
            /check inter 5s fall 3 rise 2/g,
            `check inter ${at.check.inter} fall ${at.check.fall} rise ${at.check.rise}`,
        );
    return text;
}

/** Writes `config` into `dir`, checks it with `haproxy -c` and starts HAProxy in the foreground. */
export async function startHaproxy(
    procs: Processes,
    haproxy: string,
    dir: string,
    name: string,
    config: string,
    listen: { host: string; port: number },
): Promise<ChildProcess> {
    const file = path.join(dir, `${name}.cfg`);
    fs.writeFileSync(file, config);
    // Not spawnSync: servers on this event loop (a rehearsal's app stand-ins) go on answering meanwhile.
    const checked = await new Promise<{ failed: boolean; output: string }>((resolve) =>
        execFile(haproxy, ["-c", "-f", file], { encoding: "utf8", timeout: 10_000 }, (err, stdout, stderr) =>
            resolve({ failed: err !== null, output: `${stdout}${stderr}` }),
        ),
    );
    if (checked.failed) throw new Error(`haproxy -c ${name}:\n${checked.output}\n${config}`);
    const child = procs.spawn(haproxy, ["-db", "-f", file]);
    await waitForPort(listen.host, listen.port);
    return child;
}
