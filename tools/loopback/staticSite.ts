// Real nginx running a rendered site on loopback, an app stand-in that counts what reaches it, and one-shot HTTP
// requests: shared by the static-files specs and `npm run bench` (tools/bench/staticFiles.ts). Every process is
// bounded: nginx is stopped with SIGTERM, then SIGKILL after 3 s.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import { eventually, loopbackNginx } from "./processes";

/**
 * The media types of Ubuntu's stock nginx.conf (`include /etc/nginx/mime.types; default_type
 * application/octet-stream;`) for the extensions the specs serve, so Content-Type and gzip_types behave as on a
 * droplet without reading the system's file.
 */
const STOCK_HTTP_LEVEL = [
    "types {",
    "    text/html html htm;",
    "    text/css css;",
    "    application/javascript js;",
    "    text/plain txt;",
    "    image/png png;",
    "}",
    "default_type application/octet-stream;",
];

export interface RunningNginx {
    readonly port: number;
    /** The error log, for assertions that nginx logged nothing. */
    errorLog(): string;
    stop(): Promise<void>;
}

/**
 * Runs `site` (as renderNginxConfig wrote it for `port`) in `dir`, bound to 127.0.0.1 only, and waits until it
 * answers. `httpLevel` lines go into `http {}` before the site (default: the stock media types).
 */
export async function startNginx(
    nginx: string,
    dir: string,
    site: string,
    port: number,
    httpLevel: readonly string[] = STOCK_HTTP_LEVEL,
): Promise<RunningNginx> {
    const bound = site.replace(new RegExp(`listen ${port}(?=[ ;])`), `listen 127.0.0.1:${port}`);
    if (bound === site) throw new Error(`the site does not listen on ${port}`);
    fs.writeFileSync(path.join(dir, "site.conf"), bound);
    fs.writeFileSync(path.join(dir, "http.conf"), [...httpLevel, `include ${dir}/site.conf;`, ""].join("\n"));
    const child = spawn(nginx, [...loopbackNginx(dir, path.join(dir, "http.conf")), "-g", "daemon off;"], {
        stdio: "ignore",
    });
    const running: RunningNginx = {
        port,
        errorLog: () =>
            fs.existsSync(path.join(dir, "error.log")) ? fs.readFileSync(path.join(dir, "error.log"), "utf8") : "",
        stop: () => stopChild(child),
    };
    try {
        // A TCP connect, not a request: a request would reach the app stand-in and count.
        await eventually("nginx listens on loopback", () => accepts(port));
    } catch (err) {
        await running.stop();
        throw new Error(`${(err as Error).message}\n${running.errorLog()}`);
    }
    return running;
}

/** True when something accepts TCP connections on 127.0.0.1:`port`. */
function accepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = net.connect(port, "127.0.0.1");
        socket.once("connect", () => (socket.destroy(), resolve(true)));
        socket.once("error", () => resolve(false));
    });
}

/** SIGTERM, then SIGKILL after 3 s; resolves when the process has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
    if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
        const kill = setTimeout(() => child.kill("SIGKILL"), 3000);
        child.once("exit", () => (clearTimeout(kill), resolve()));
        child.kill("SIGTERM");
    });
}

export interface CountingApp {
    readonly port: number;
    /** The paths of every request that reached the app, in order. */
    readonly paths: string[];
    close(): Promise<void>;
}

/** The app stand-in: answers every request with `body` (200, text/css) and records its path. */
export function startCountingApp(port: number, body: Buffer | string = "from the app\n"): Promise<CountingApp> {
    const paths: string[] = [];
    const sockets = new Set<net.Socket>();
    const server = http.createServer((req, res) => {
        paths.push(req.url ?? "");
        res.writeHead(200, { "Content-Type": "text/css", "Content-Length": Buffer.byteLength(body) });
        res.end(body);
    });
    server.on("connection", (s) => (sockets.add(s), s.on("close", () => sockets.delete(s))));
    return new Promise((resolve) =>
        server.listen(port, "127.0.0.1", () =>
            resolve({
                port,
                paths,
                close: () => {
                    // nginx keeps upstream connections alive: close them so `close` resolves.
                    for (const s of sockets) s.destroy();
                    return new Promise<void>((done) => server.close(() => done()));
                },
            }),
        ),
    );
}

export interface Reply {
    status: number;
    headers: http.IncomingHttpHeaders;
    body: Buffer;
}

/** One GET with a 3 s budget, no keep-alive; status 0 when nothing answered. */
export function get(port: number, pathName: string, headers: Record<string, string> = {}): Promise<Reply> {
    return new Promise((resolve) => {
        const req = http.request({ host: "127.0.0.1", port, path: pathName, headers, timeout: 3000, agent: false });
        req.on("response", (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () =>
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
            );
        });
        req.on("timeout", () => req.destroy(new Error("timed out")));
        req.on("error", () => resolve({ status: 0, headers: {}, body: Buffer.alloc(0) }));
        req.end();
    });
}
