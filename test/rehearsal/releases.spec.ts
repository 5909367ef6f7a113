// Release rehearsals with real processes on loopback: a release replaces serving droplets the way `pulumi up` does
// (new droplets created, cloud-init boots them, the replaced ones deleted at the end), while a prober sends requests
// the whole time. With the project's readiness gate the old droplets are deleted only once the gate has seen the new
// ones serve through the load balancer: no request fails. Without it (the negative control) they are deleted as soon as
// the new ones exist, as the engine did: requests fail.
//
// Stand-ins (test/rehearsal/standIns.ts): HAProxy as DigitalOcean's load balancers, with the path, interval, timeout
// and thresholds the program configures (read from its captured resources); nginx running the rendered sites; Node
// servers as the app container; a TCP proxy as a reserved IP. Platform time is divided by SCALE throughout (check
// interval, drain, cloud-init's boot, the gate's pauses and timeouts), so each case takes a few seconds.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as https from "node:https";
import * as net from "node:net";
import * as path from "node:path";
import { promisify } from "node:util";
import { renderAppProxyConfig } from "../../components/hostConfig/appProxy";
import { drainSeconds } from "../../components/hostConfig/drain";
import { CHECK, renderHaproxyConfig } from "../../components/hostConfig/haproxy";
import { renderNginxConfig } from "../../components/hostConfig/nginx";
import { runEdgeGate, runRoleGate } from "../../components/readiness/servingGate";
import { Prober, type ProberReport } from "../../tools/rehearsal/prober";
import { type DnsStub, startDnsStub } from "../support/dnsStub";
import { freePort, requireTool, tempDir } from "../support/hostTools";
import { Processes, loopbackHaproxy, startHaproxy, waitForPort } from "../support/loopback";
import { exampleConfig, runProgram } from "../support/program";
import {
    BOOT_SECONDS,
    type CheckSettings,
    LoadBalancerStandIn,
    SCALE,
    createDroplet,
    deleteDroplet,
    gateDeps,
    runningDroplet,
    scaled,
} from "./standIns";

const execFileAsync = promisify(execFile);
const DOMAIN = "example.com";
const TIMEOUT_MINUTES = 15;

/** The health checks the program gives its load balancers at `tier`, read from the captured resources. */
async function checksAt(tier: number): Promise<{ public: CheckSettings; internal?: CheckSettings }> {
    const run = await runProgram(exampleConfig(tier));
    const lbs = run.resources.filter((r) => r.type === "digitalocean:index/loadBalancer:LoadBalancer");
    const settings = (network: string): CheckSettings | undefined => {
        const lb = lbs.find((r) => r.inputs.network === network);
        if (!lb) return undefined;
        const h = lb.inputs.healthcheck as Record<string, number | string>;
        return {
            path: String(h.path),
            intervalSeconds: Number(h.checkIntervalSeconds),
            timeoutSeconds: Number(h.responseTimeoutSeconds),
            healthyThreshold: Number(h.healthyThreshold),
            unhealthyThreshold: Number(h.unhealthyThreshold),
        };
    };
    return { public: settings("EXTERNAL")!, internal: settings("INTERNAL") };
}

/** GET / through `port` on a fresh connection (2 s budget); resolves with the status. */
function get(port: number): Promise<{ status: number }> {
    return new Promise((resolve, reject) => {
        const req = http.get(
            { host: "127.0.0.1", port, path: "/", headers: { Host: DOMAIN }, agent: false, timeout: 2000 },
            (res) => {
                res.resume();
                res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
            },
        );
        req.on("timeout", () => req.destroy(new Error("no answer within 2 s")));
        req.on("error", reject);
    });
}

const summary = (r: ProberReport) =>
    `${r.sent} requests, ${r.failed} failed, longest gap ${r.longestGapMs} ms (${Math.round((r.longestGapMs * SCALE) / 1000)} s on the platform); first failures: ${JSON.stringify(r.failures.slice(0, 3))}`;

/** Runs the project's gate for each new droplet at once (as the engine runs their create steps), through the LB. */
function gateEach(
    fresh: readonly { id: string; name: string }[],
    role: "web" | "app",
    lbPort: number,
    healthPath: string,
    log: string[],
): Promise<void[]> {
    const deps = gateDeps(() => ({ address: "127.0.0.1", port: lbPort }), log);
    return Promise.all(
        fresh.map((d) =>
            runRoleGate(
                {
                    role,
                    entryKind: "load balancer",
                    domain: DOMAIN,
                    healthPath,
                    tls: false,
                    timeoutMinutes: TIMEOUT_MINUTES,
                    addresses: ["lb"],
                    droplet: d.id,
                    resource: d.name,
                },
                deps,
            ),
        ),
    );
}

/** The release with the gate, then again without it (the negative control), and what users saw in each. */
async function withAndWithoutGate(procs: Processes, release: (gated: boolean) => Promise<ProberReport>) {
    const gated = await release(true);
    await procs.stopAll();
    const ungated = await release(false);
    if (process.env.REHEARSAL_REPORT) console.log(`gated: ${summary(gated)}\nungated: ${summary(ungated)}`);
    assert.equal(gated.failed, 0, `with the gate: ${summary(gated)}`);
    assert.ok(ungated.failed > 0, `without the gate (negative control): ${summary(ungated)}`);
    // Probed densely enough to have seen the control's outage: no stretch without an answer even half as long.
    // (A count of requests is no measure: each HTTPS request takes a handshake, fewer on a loaded machine.)
    assert.ok(
        gated.longestGapMs * 2 < ungated.longestGapMs,
        `with the gate: ${summary(gated)}; without: ${summary(ungated)}`,
    );
}

/** What one case runs in: its own processes and directory, the tools, and the health checks at tiers 1 and 2. */
interface Rig {
    procs: Processes;
    base: string;
    nginx: string;
    haproxy: string;
    openssl: string;
    checks: Map<number, Awaited<ReturnType<typeof checksAt>>>;
}

/** Runs `rehearse` in a rig of its own, stopping its processes and removing its directory after. */
async function inRig(tools: Omit<Rig, "procs" | "base">, rehearse: (rig: Rig) => Promise<void>): Promise<void> {
    const tmp = tempDir("rehearsal");
    // nginx's workers (nobody, when the tests run as root) must reach each droplet's drain flag below it.
    fs.chmodSync(tmp.dir, 0o755);
    const rig = { ...tools, procs: new Processes(), base: tmp.dir };
    try {
        await rehearse(rig);
    } finally {
        await rig.procs.stopAll();
        tmp.remove();
    }
}

describe("release rehearsal (real processes, platform time ÷ 50)", function () {
    this.timeout(60000);
    // The cases run at once: their addresses and ports differ, and most of a case is waiting on scaled platform time.
    const cases = new Map<string, (rig: Rig) => Promise<void>>();
    const outcomes = new Map<string, Promise<void>>();
    /** Registers a case and its test, under one name. */
    const rehearsal = (name: string, rehearse: (rig: Rig) => Promise<void>) => {
        cases.set(name, rehearse);
        it("loses no request with the gate, and loses requests without it", () =>
            outcomes.get(name) ?? assert.fail(`the ${name} rehearsal never started`));
    };
    before(async function () {
        const tools = {
            nginx: requireTool(this, "nginx"),
            haproxy: requireTool(this, "haproxy"),
            openssl: requireTool(this, "openssl"),
            checks: new Map(),
        };
        // One program run at a time, before the cases start: the process has one mock engine.
        for (const tier of [1, 2]) tools.checks.set(tier, await checksAt(tier));
        for (const [name, rehearse] of cases) {
            const outcome = inRig(tools, rehearse);
            outcome.catch(() => undefined);
            outcomes.set(name, outcome);
        }
    });
    // Every case runs to its end (and stops its processes) even when a test did not wait for it: --grep, a timeout.
    after(() => Promise.allSettled(outcomes.values()));

    describe("tier 1: an app release replaces the web droplets (nginx + app)", () => {
        async function release({ procs, base, nginx, haproxy, checks }: Rig, gated: boolean): Promise<ProberReport> {
            const root = path.join(base, gated ? "gated" : "ungated");
            const { public: check } = checks.get(1)!;
            const drain = drainSeconds([check]);
            const lbPort = await freePort();
            const webPort = await freePort();
            const names = { old: ["web-old-0", "web-old-1"], new: ["web-new-0", "web-new-1"] };
            const hosts: Record<string, string> = {
                "web-old-0": "127.0.0.11",
                "web-old-1": "127.0.0.12",
                "web-new-0": "127.0.0.13",
                "web-new-1": "127.0.0.14",
            };
            const appPorts: Record<string, number> = {};
            for (const n of [...names.old, ...names.new]) appPorts[n] = await freePort();
            const spec = (name: string, i: number) => ({
                id: String(1000 + i),
                name,
                host: hosts[name],
                role: "web" as const,
                listenPort: webPort,
                // The tier-1 web role: nginx in front of the app on the same droplet.
                site: renderNginxConfig({
                    listenPort: 80,
                    upstream: { host: "127.0.0.1", port: appPorts[name] },
                    behindLoadBalancer: true,
                    healthPath: check.path,
                }),
                app: { port: appPorts[name] },
                bootSeconds: BOOT_SECONDS,
            });
            fs.mkdirSync(root, { recursive: true });
            const old = await Promise.all(names.old.map((n, i) => runningDroplet(procs, nginx, root, spec(n, i))));
            const lb = await LoadBalancerStandIn.start(procs, haproxy, root, {
                name: "lb",
                port: lbPort,
                mode: "http",
                domain: DOMAIN,
                check,
                initial: names.old.map((n) => ({ name: n, host: hosts[n], port: webPort })),
                later: names.new.map((n) => ({ name: n, host: hosts[n], port: webPort })),
            });
            await until(async () => (await lb.healthy()).length === 2, "the old droplets serve");
            const prober = new Prober({ send: () => get(lbPort), intervalMs: 5, concurrency: 2 });
            prober.start();

            // pulumi up: the new droplets are created (and join the tag), cloud-init boots them.
            const fresh = names.new.map((n, i) => createDroplet(procs, nginx, root, spec(n, i + 2)));
            await Promise.all(names.new.map((n) => lb.join(n)));
            const log: string[] = [];
            if (gated) {
                await gateEach(fresh, "web", lbPort, check.path, log);
            }
            // The end of the update: the replaced droplets are deleted (graceful shutdown, drain first).
            await Promise.all(old.map((d) => deleteDroplet(procs, d, drain)));
            await Promise.all(fresh.map((d) => d.booted));
            await until(async () => (await lb.healthy()).length === 2, "the new droplets serve");
            await new Promise((r) => setTimeout(r, scaled(check.intervalSeconds * 2)));
            const report = await prober.stop();
            if (gated) assert.equal(log.length, 4, log.join("\n"));
            return report;
        }

        rehearsal("tier 1", (rig) => withAndWithoutGate(rig.procs, (gated) => release(rig, gated)));
    });

    describe("tier 2: an app release replaces the app droplets behind the internal load balancer", () => {
        async function release({ procs, base, nginx, haproxy, ...rig }: Rig, gated: boolean): Promise<ProberReport> {
            const root = path.join(base, gated ? "gated" : "ungated");
            const checks = rig.checks.get(2)!;
            const internalCheck = checks.internal!;
            const drain = drainSeconds([internalCheck]);
            const [lbPort, ilbPort, webPort, appPort] = await Promise.all([
                freePort(),
                freePort(),
                freePort(),
                freePort(),
            ]);
            const appHosts: Record<string, string> = {
                "app-old-0": "127.0.0.21",
                "app-old-1": "127.0.0.22",
                "app-new-0": "127.0.0.23",
                "app-new-1": "127.0.0.24",
            };
            const containerPorts: Record<string, number> = {};
            for (const n of Object.keys(appHosts)) containerPorts[n] = await freePort();
            const appSpec = (name: string, i: number) => ({
                id: String(2000 + i),
                name,
                host: appHosts[name],
                role: "app" as const,
                listenPort: appPort,
                // The identity proxy in front of the container, which is published on loopback.
                site: renderAppProxyConfig({ appPort: 8080, healthPath: internalCheck.path }).replace(
                    /server 127\.0\.0\.1:\d+;/,
                    `server 127.0.0.1:${containerPorts[name]};`,
                ),
                app: { port: containerPorts[name] },
                bootSeconds: BOOT_SECONDS,
            });
            fs.mkdirSync(root, { recursive: true });
            const oldApps = await Promise.all(
                ["app-old-0", "app-old-1"].map((n, i) => runningDroplet(procs, nginx, root, appSpec(n, i))),
            );
            const ilb = await LoadBalancerStandIn.start(procs, haproxy, root, {
                name: "ilb",
                port: ilbPort,
                mode: "tcp",
                domain: DOMAIN,
                check: internalCheck,
                initial: ["app-old-0", "app-old-1"].map((n) => ({ name: n, host: appHosts[n], port: appPort })),
                later: ["app-new-0", "app-new-1"].map((n) => ({ name: n, host: appHosts[n], port: appPort })),
            });
            // The web droplets (nginx only) stay: the release does not touch them.
            const webSite = renderNginxConfig({
                listenPort: 80,
                upstream: { host: "127.0.0.1", port: ilbPort },
                behindLoadBalancer: true,
                healthPath: checks.public.path,
            });
            await Promise.all(
                ["127.0.0.31", "127.0.0.32"].map((host, i) =>
                    runningDroplet(procs, nginx, root, {
                        id: String(3000 + i),
                        name: `web-${i}`,
                        host,
                        role: "web",
                        listenPort: webPort,
                        site: webSite,
                        bootSeconds: 0,
                    }),
                ),
            );
            const lb = await LoadBalancerStandIn.start(procs, haproxy, root, {
                name: "lb",
                port: lbPort,
                mode: "http",
                domain: DOMAIN,
                check: checks.public,
                initial: ["127.0.0.31", "127.0.0.32"].map((host, i) => ({ name: `web-${i}`, host, port: webPort })),
                later: [],
            });
            await until(
                async () => (await lb.healthy()).length === 2 && (await ilb.healthy()).length === 2,
                "the stack serves",
            );
            const prober = new Prober({ send: () => get(lbPort), intervalMs: 5, concurrency: 2 });
            prober.start();

            const fresh = ["app-new-0", "app-new-1"].map((n, i) =>
                createDroplet(procs, nginx, root, appSpec(n, i + 2)),
            );
            await Promise.all(["app-new-0", "app-new-1"].map((n) => ilb.join(n)));
            const log: string[] = [];
            if (gated) {
                // The app droplets are seen through the path users take: the public load balancer, a web droplet's
                // nginx and the internal load balancer.
                await gateEach(fresh, "app", lbPort, checks.public.path, log);
            }
            await Promise.all(oldApps.map((d) => deleteDroplet(procs, d, drain)));
            await Promise.all(fresh.map((d) => d.booted));
            await until(
                async () => (await ilb.healthy()).length === 2 && (await lb.healthy()).length === 2,
                "the new app droplets serve",
            );
            await new Promise((r) => setTimeout(r, scaled(checks.public.intervalSeconds * 2)));
            const report = await prober.stop();
            if (gated) assert.equal(log.length, 4, log.join("\n"));
            return report;
        }

        rehearsal("tier 2", (rig) => withAndWithoutGate(rig.procs, (gated) => release(rig, gated)));
    });

    describe("HAProxy engine: a reserved IP moves to a new HAProxy droplet", () => {
        /** A certificate authority, and a certificate it signs for the apex and www (what Let's Encrypt would issue). */
        async function pki(openssl: string, dir: string): Promise<{ ca: string; valid: string; selfSigned: string }> {
            const at = (f: string) => path.join(dir, f);
            // Not spawnSync: the other cases' app stand-ins answer health checks on this event loop meanwhile.
            const ok = (args: string[]) => execFileAsync(openssl, args, { timeout: 30_000 });
            await ok(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=Rehearsal CA", "-keyout", at("ca.key"), "-out", at("ca.crt")]); // prettier-ignore
            await ok(["req", "-newkey", "rsa:2048", "-nodes", "-subj", `/CN=${DOMAIN}`, "-keyout", at("site.key"), "-out", at("site.csr")]); // prettier-ignore
            fs.writeFileSync(at("san.ext"), `subjectAltName=DNS:${DOMAIN},DNS:www.${DOMAIN}\n`);
            await ok(["x509", "-req", "-in", at("site.csr"), "-CA", at("ca.crt"), "-CAkey", at("ca.key"), "-CAcreateserial", "-days", "1", "-extfile", at("san.ext"), "-out", at("site.crt")]); // prettier-ignore
            // The placeholder the droplet serves until certbot has the real certificate (certbot.ts).
            await ok(["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", `/CN=${DOMAIN}`, "-addext", `subjectAltName=DNS:${DOMAIN},DNS:www.${DOMAIN}`, "-keyout", at("ph.key"), "-out", at("ph.crt")]); // prettier-ignore
            const read = (f: string) => fs.readFileSync(at(f), "utf8");
            return {
                ca: read("ca.crt"),
                valid: read("site.crt") + read("site.key"),
                selfSigned: read("ph.crt") + read("ph.key"),
            };
        }

        /** The reserved IP: a TCP forwarder whose target the assignment switches; connections already open stay. */
        async function reservedIp(procs: Processes, port: number): Promise<{ assign: (target: number) => void }> {
            let target = 0;
            const server = procs.track(
                net.createServer((client) => {
                    const upstream = net.connect(target, "127.0.0.1");
                    client.pipe(upstream).pipe(client);
                    const close = () => (client.destroy(), upstream.destroy());
                    client.on("error", close);
                    upstream.on("error", close);
                }),
            );
            await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
            return { assign: (t) => (target = t) };
        }

        async function release(
            { procs, base, haproxy, openssl }: Rig,
            gated: boolean,
            dns: DnsStub,
        ): Promise<ProberReport> {
            const root = path.join(base, gated ? "gated" : "ungated");
            fs.mkdirSync(root, { recursive: true });
            const certs = await pki(openssl, root);
            const webPort = await freePort();
            const webName = `webstack-metrics-web.${DOMAIN}`;
            // The web droplets, serving throughout (HAProxy finds them in DNS).
            for (const host of ["127.0.0.51", "127.0.0.52"]) {
                const server = procs.track(http.createServer((req, res) => res.end(`${host} ${req.url}`)));
                await new Promise<void>((r) => server.listen(webPort, host, () => r()));
            }
            dns.set(webName, ["127.0.0.51", "127.0.0.52"]);
            const edge = async (name: string, pem: string) => {
                const dir = path.join(root, name);
                const certDir = path.join(dir, "certs");
                fs.mkdirSync(certDir, { recursive: true, mode: 0o700 });
                fs.writeFileSync(path.join(certDir, `${DOMAIN}.pem`), pem, { mode: 0o600 });
                const [httpPort, httpsPort] = await Promise.all([freePort(), freePort()]);
                const config = loopbackHaproxy(
                    renderHaproxyConfig({
                        webPool: { name: webName, port: webPort },
                        algorithm: "roundrobin",
                        tls: true,
                        domain: DOMAIN,
                        certDir,
                        healthPath: "/healthz",
                    }),
                    {
                        http: `127.0.0.1:${httpPort}`,
                        https: `127.0.0.1:${httpsPort}`,
                        dnsPort: dns.port,
                        check: { inter: `${scaled(5)}ms`, fall: CHECK.fall, rise: CHECK.rise },
                    },
                );
                return { dir, certDir, httpsPort, config };
            };
            const old = await edge("edge-old", certs.valid);
            const oldProcess = await startHaproxy(procs, haproxy, old.dir, "haproxy", old.config, {
                host: "127.0.0.1",
                port: old.httpsPort,
            });
            const ripPort = await freePort();
            const rip = await reservedIp(procs, ripPort);
            rip.assign(old.httpsPort);
            const send = (i: number) =>
                new Promise<{ status: number }>((resolve, reject) => {
                    const servername = i % 2 ? DOMAIN : `www.${DOMAIN}`;
                    const req = https.get(
                        {
                            host: "127.0.0.1",
                            port: ripPort,
                            path: "/",
                            headers: { Host: servername },
                            servername,
                            ca: certs.ca,
                            agent: false,
                            timeout: 2000,
                        },
                        (res) => (res.resume(), res.on("end", () => resolve({ status: res.statusCode ?? 0 }))),
                    );
                    req.on("timeout", () => req.destroy(new Error("no answer within 2 s")));
                    req.on("error", reject);
                });
            let n = 0;
            await until(
                async () => (await send(0).catch(() => ({ status: 0 }))).status === 200,
                "the old HAProxy droplet serves",
            );
            const prober = new Prober({ send: () => send(n++), intervalMs: 5, concurrency: 2 });
            prober.start();

            // pulumi up: a new HAProxy droplet (its user data changed). cloud-init installs HAProxy with the
            // self-signed placeholder, then certbot obtains the real certificate (its deploy hook reloads HAProxy).
            const fresh = await edge("edge-new", certs.selfSigned);
            let freshProcess: ReturnType<Processes["spawn"]> | undefined;
            const booted = (async () => {
                await new Promise((r) => setTimeout(r, scaled(BOOT_SECONDS)));
                freshProcess = await startHaproxy(procs, haproxy, fresh.dir, "haproxy", fresh.config, {
                    host: "127.0.0.1",
                    port: fresh.httpsPort,
                });
                await new Promise((r) => setTimeout(r, scaled(60)));
                fs.writeFileSync(path.join(fresh.certDir, `${DOMAIN}.pem`), certs.valid, { mode: 0o600 });
                // A reload: the new process takes over the listeners from the old one (haproxy -sf).
                const reloaded = procs.spawn(haproxy, [
                    "-db",
                    "-f",
                    path.join(fresh.dir, "haproxy.cfg"),
                    "-sf",
                    String(freshProcess.pid),
                ]);
                freshProcess = reloaded;
                await waitForPort("127.0.0.1", fresh.httpsPort);
            })();
            const log: string[] = [];
            if (gated) {
                const deps = gateDeps(
                    (t) => ({ address: "127.0.0.1", port: t.address === DOMAIN ? ripPort : fresh.httpsPort }),
                    log,
                );
                await runEdgeGate(
                    {
                        domain: DOMAIN,
                        healthPath: "/healthz",
                        tls: true,
                        timeoutMinutes: TIMEOUT_MINUTES,
                        address: "new",
                        droplet: "5150",
                        resource: "haproxy-ip-assignment-0",
                        ca: certs.ca,
                    },
                    deps,
                );
            }
            // The assignment moves the reserved IP; the old droplet is deleted at the end of the update.
            rip.assign(fresh.httpsPort);
            await procs.stop(oldProcess, "SIGUSR1");
            await booted;
            await until(
                async () => (await send(1).catch(() => ({ status: 0 }))).status === 200,
                "the new droplet serves",
            );
            const report = await prober.stop();
            if (gated) {
                assert.equal(log.length, 2, log.join("\n"));
                assert.match(log[0], /with a valid certificate\.$/);
            }
            return report;
        }

        rehearsal("haproxy", async (rig) => {
            const dns = await startDnsStub();
            try {
                await withAndWithoutGate(rig.procs, (gated) => release(rig, gated, dns));
            } finally {
                await dns.close();
            }
        });
    });
});

/** Polls `check` until it holds (at most 10 s of real time). */
async function until(check: () => Promise<boolean>, what: string): Promise<void> {
    const deadline = Date.now() + 10_000;
    for (;;) {
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline) throw new Error(`${what}: not within 10 s`);
        await new Promise((r) => setTimeout(r, 20));
    }
}
