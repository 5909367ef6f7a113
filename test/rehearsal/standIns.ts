// The stand-ins of a release rehearsal, all real processes on loopback: a load balancer that checks health the way the
// stack configures DigitalOcean's (HAProxy), droplets that boot like cloud-init (nginx first, the app later) and drain
// before shutdown like the rendered units, and a clock that runs the project's gate scaled down.
//
// Time is scaled down by SCALE consistently: every duration of the real platform (check interval and timeout, the
// drain, cloud-init's boot, the gate's pause and probe timeout) is divided by it, so a case takes seconds.
import { type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as net from "node:net";
import * as path from "node:path";
import type { GateClock } from "../../components/readiness/gate";
import type { GateDeps } from "../../components/readiness/servingGate";
import { probeHealth, type ProbeTarget } from "../../components/readiness/probe";
import { identityDirective, type IdentityRole } from "../../components/hostConfig/servingIdentity";
import { Processes, type NodePaths, localizeSite, nodePaths, startNginx, waitForPort } from "../support/loopback";

/** Real seconds per rehearsal millisecond divided by 1000: 1 real second lasts 20 ms here. */
export const SCALE = 50;
export const scaled = (realSeconds: number) => Math.max(1, Math.round((realSeconds * 1000) / SCALE));

/**
 * How long cloud-init takes to install nginx and start the app on a new droplet (apt, docker pull). Inference: about
 * 2 to 4 minutes; the lower end is used, which only makes the case without a gate harder to fail.
 */
export const BOOT_SECONDS = 120;

/** A load balancer's health check as the program configures it (the LoadBalancer's `healthcheck` input). */
export interface CheckSettings {
    readonly path: string;
    readonly intervalSeconds: number;
    readonly timeoutSeconds: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
}

/** A clock for the gate in platform time: `now` is real time × SCALE, a pause lasts its length ÷ SCALE. */
export function scaledClock(): GateClock {
    const start = performance.now();
    return {
        now: () => (performance.now() - start) * SCALE,
        sleep: (ms) => new Promise((resolve) => setTimeout(resolve, Math.max(1, ms / SCALE))),
    };
}

/** The gate's dependencies on loopback: its requests go to `route(target)`, its timeouts are scaled. */
export function gateDeps(route: (target: ProbeTarget) => { address: string; port: number }, log: string[]): GateDeps {
    return {
        clock: scaledClock(),
        log: (m) => log.push(m),
        probe: (target) =>
            probeHealth({ ...target, ...route(target), timeoutMs: Math.max(200, target.timeoutMs / SCALE) }),
    };
}

/** Sends a command to HAProxy's runtime API (stats socket) and returns its answer. */
function runtimeCommand(socket: string, command: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const c = net.connect(socket);
        let out = "";
        c.on("data", (d) => (out += d.toString()));
        c.on("end", () => resolve(out));
        c.on("error", reject);
        c.end(`${command}\n`);
    });
}

export interface Backend {
    readonly name: string;
    readonly host: string;
    readonly port: number;
}

/**
 * A DigitalOcean load balancer stand-in: HAProxy checking `check.path` every interval with the timeout and the
 * thresholds given (scaled), healthy on 200-399 ("The success criteria for HTTP and HTTPS health checks is a status
 * code response in the range of 200 to 399", docs.digitalocean.com/glossary/health-check/), forwarding only to healthy
 * backends, with no retry on another backend (none is documented). It targets a tag: a backend joins when its droplet
 * is created (`join`), starting down until it passes `healthyThreshold` checks, as new droplets do behind
 * DigitalOcean's load balancers, which "only forward requests to Droplets that pass health checks".
 */
export class LoadBalancerStandIn {
    private constructor(
        readonly port: number,
        private readonly socket: string,
        readonly process: ChildProcess,
    ) {}

    static async start(
        procs: Processes,
        haproxy: string,
        dir: string,
        opts: {
            name: string;
            port: number;
            mode: "http" | "tcp";
            domain: string;
            check: CheckSettings;
            /** Present from the start (the old droplets); the others join later. */
            initial: readonly Backend[];
            later: readonly Backend[];
        },
    ): Promise<LoadBalancerStandIn> {
        const socket = path.join(dir, `${opts.name}.sock`);
        const c = opts.check;
        const config = [
            "global",
            "    maxconn 512",
            `    stats socket ${socket} mode 600 level admin`,
            "defaults",
            `    mode ${opts.mode}`,
            "    timeout connect 1s",
            "    timeout client 30s",
            "    timeout server 30s",
            `    timeout check ${scaled(c.timeoutSeconds)}ms`,
            "    retries 0",
            `frontend ${opts.name}`,
            `    bind 127.0.0.1:${opts.port}`,
            "    default_backend pool",
            "backend pool",
            "    balance roundrobin",
            `    option httpchk GET ${c.path}`,
            `    http-check send hdr Host ${opts.domain}`,
            "    http-check expect rstatus ^[23]",
            `    default-server check inter ${scaled(c.intervalSeconds)}ms fall ${c.unhealthyThreshold} rise ${c.healthyThreshold}`,
            ...opts.initial.map((b) => `    server ${b.name} ${b.host}:${b.port}`),
            // Not yet created: checked (and failing) but sent nothing until they join.
            ...opts.later.map((b) => `    server ${b.name} ${b.host}:${b.port} weight 0`),
            "",
        ].join("\n");
        const file = path.join(dir, `${opts.name}.cfg`);
        fs.writeFileSync(file, config);
        const child = procs.spawn(haproxy, ["-db", "-f", file]);
        // Ours once its runtime socket exists (the port alone could be another process's, taken since freePort).
        for (const deadline = Date.now() + 10_000; !fs.existsSync(socket);) {
            if (child.exitCode !== null) throw new Error(`${opts.name}: HAProxy exited (${child.exitCode}) at start`);
            if (Date.now() > deadline) throw new Error(`${opts.name}: HAProxy did not open ${socket} within 10 s`);
            await new Promise((r) => setTimeout(r, 10));
        }
        await waitForPort("127.0.0.1", opts.port);
        const lb = new LoadBalancerStandIn(opts.port, socket, child);
        // Their checks have failed (nothing listens yet), so they start down when they join.
        const later = new Set(opts.later.map((b) => b.name));
        for (const deadline = Date.now() + 10_000; ;) {
            const rows = await lb.servers();
            if (rows.filter((r) => later.has(r.name) && r.status === "DOWN").length === later.size) break;
            if (Date.now() > deadline)
                throw new Error(`${opts.name}: the servers not yet created never failed a check`);
            await new Promise((r) => setTimeout(r, 10));
        }
        return lb;
    }

    /** A droplet with the tag now exists: the backend joins, down until it passes `healthyThreshold` checks. */
    async join(name: string): Promise<void> {
        await runtimeCommand(this.socket, `set weight pool/${name} 1`);
    }

    private async servers(): Promise<{ name: string; status: string; weight: number }[]> {
        const csv = await runtimeCommand(this.socket, "show stat");
        // CSV columns: pxname, svname, …, status (18th), weight (19th).
        return csv
            .split("\n")
            .map((l) => l.split(","))
            .filter((f) => f[0] === "pool" && f[1] !== "BACKEND" && f[1] !== "FRONTEND" && f.length > 18)
            .map((f) => ({ name: f[1], status: f[17], weight: Number(f[18]) }));
    }

    /** The backends the load balancer sends requests to now. */
    async healthy(): Promise<string[]> {
        return (await this.servers()).filter((s) => s.status === "UP" && s.weight > 0).map((s) => s.name);
    }
}

/** The app in its container: answers every path once started; before that its port is closed. */
export async function startApp(
    procs: Processes,
    at: { host: string; port: number },
    name: string,
): Promise<http.Server> {
    const server = procs.track(
        http.createServer((req, res) => {
            res.setHeader("Content-Type", "text/plain");
            res.end(`${name} ${req.url}`);
        }),
    );
    await new Promise<void>((resolve) => server.listen(at.port, at.host, () => resolve()));
    return server;
}

/** A droplet of the rehearsal: its nginx (a rendered site) and, where the app runs on it, the app. */
export interface Droplet {
    readonly id: string;
    readonly name: string;
    readonly host: string;
    readonly paths: NodePaths;
    nginx?: ChildProcess;
    app?: http.Server;
    /** Resolves when the droplet serves (cloud-init done). */
    booted: Promise<void>;
}

/**
 * Creates a droplet: cloud-init first installs nginx with the rendered `site` (after half the boot time), then starts
 * the app (after the whole boot time), as the rendered user data orders them. The identity snippet is what the boot
 * script writes from the metadata service (its real run: nginxHealth.spec.ts).
 */
export function createDroplet(
    procs: Processes,
    nginx: string,
    root: string,
    spec: {
        id: string;
        name: string;
        host: string;
        role: IdentityRole;
        site: string;
        listenPort: number;
        app?: { port: number };
        bootSeconds: number;
    },
): Droplet {
    const paths = nodePaths(root, spec.name);
    fs.mkdirSync(paths.identityDir, { recursive: true, mode: 0o755 });
    fs.writeFileSync(
        path.join(paths.identityDir, `${spec.role}.conf`),
        `${identityDirective(spec.role, { droplet: spec.id, release: "0123456789ab" })}\n`,
    );
    const droplet: Droplet = { id: spec.id, name: spec.name, host: spec.host, paths, booted: Promise.resolve() };
    const site = localizeSite(spec.site, `${spec.host}:${spec.listenPort}`, paths);
    const wait = (realSeconds: number) => new Promise((r) => setTimeout(r, scaled(realSeconds)));
    droplet.booted = (async () => {
        await wait(spec.bootSeconds / 2);
        droplet.nginx = await startNginx(procs, nginx, paths, site, { host: spec.host, port: spec.listenPort });
        await wait(spec.bootSeconds / 2);
        if (spec.app) droplet.app = await startApp(procs, { host: "127.0.0.1", port: spec.app.port }, spec.name);
    })();
    return droplet;
}

/** A droplet that serves from the start (an old one). */
export async function runningDroplet(
    procs: Processes,
    nginx: string,
    root: string,
    spec: Parameters<typeof createDroplet>[3],
): Promise<Droplet> {
    const droplet = createDroplet(procs, nginx, root, { ...spec, bootSeconds: 0 });
    await droplet.booted;
    await waitForPort(spec.host, spec.listenPort);
    return droplet;
}

/**
 * Deletes a droplet as Pulumi does with `gracefulShutdown`: the shutdown stops the drain unit first (health answers
 * 503 for `drainSeconds`), then nginx (SIGQUIT: finishes what it serves) and the app.
 */
export async function deleteDroplet(procs: Processes, droplet: Droplet, drainSeconds: number): Promise<void> {
    await droplet.booted;
    fs.writeFileSync(droplet.paths.drainFlag, "");
    await new Promise((r) => setTimeout(r, scaled(drainSeconds)));
    if (droplet.nginx) await procs.stop(droplet.nginx, "SIGQUIT");
    if (droplet.app) await procs.close(droplet.app);
}
