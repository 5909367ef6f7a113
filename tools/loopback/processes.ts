// Processes the tests and the bench run on loopback: where the real Debian tools are, a free port, a wait on
// state instead of a sleep, and a complete nginx.conf around one site. test/support/hostTools.ts adds what only the
// tests need (skipping a test when a tool is missing, the validators' one-shot runs).
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";

/** Debian package that provides each tool. */
export const TOOL_PACKAGES = {
    "cloud-init": "cloud-init",
    nginx: "nginx-light",
    haproxy: "haproxy",
    openssl: "openssl",
    // Rsyslogd -N1 on the log shipper's config; the package brings rsyslog and its omelasticsearch output.
    rsyslogd: "rsyslog-elasticsearch",
    // Promtool check config/rules and amtool check-config on the monitor droplet's configs.
    promtool: "prometheus",
    amtool: "prometheus-alertmanager",
    // The agent → receiver path on loopback, and apt's policy engine on the node-exporter pin.
    prometheus: "prometheus",
    "apt-cache": "apt",
    // The static files' copy script: the image without a daemon (skopeo, umoci) or an archive (curl); and
    // systemd-analyze verify on its unit.
    skopeo: "skopeo",
    umoci: "umoci",
    curl: "curl",
    "systemd-analyze": "systemd",
    // The metadata lock's rules run for real in network namespaces of their own.
    iptables: "iptables",
    "iptables-restore": "iptables",
    ip: "iproute2",
    unshare: "util-linux",
    nsenter: "util-linux",
    setpriv: "util-linux",
} as const;
export type Tool = keyof typeof TOOL_PACKAGES;

// nginx and haproxy live in /usr/sbin, which is not on every user's PATH.
const EXTRA_DIRS = ["/usr/local/sbin", "/usr/sbin", "/sbin"];

/** Absolute path of `tool`, or undefined when it is not installed. */
export function findTool(tool: Tool): string | undefined {
    const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...EXTRA_DIRS];
    for (const dir of dirs) {
        const candidate = path.join(dir, tool);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // not in this directory
        }
    }
    return undefined;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export async function freePort(): Promise<number> {
    // The kernel may hand a port back once its probe closed; a caller that has not bound its last one yet (servers
    // started at once by cases running side by side) must not get it again.
    for (;;) {
        const port = await probePort();
        if (!given.has(port)) {
            given.add(port);
            return port;
        }
    }
}

/** The ports freePort gave in this process. */
const given = new Set<number>();

function probePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const { port } = server.address() as net.AddressInfo;
            server.close(() => resolve(port));
        });
    });
}

/** Polls until `check` holds (at most `ms`), so the test waits on state, not on fixed sleeps. */
export async function eventually(what: string, check: () => Promise<boolean>, ms = 8000): Promise<void> {
    const deadline = Date.now() + ms;
    for (;;) {
        if (await check().catch(() => false)) return;
        if (Date.now() > deadline) assert.fail(`${what} within ${ms} ms`);
        await new Promise((r) => setTimeout(r, 100));
    }
}

/**
 * Writes `dir`/nginx.conf: a complete config that includes `sitePath` inside `http {}` (where Ubuntu's stock
 * nginx.conf includes sites-enabled/* and conf.d/*), with pid, error log and temp paths under `dir`, so nginx runs
 * without root beside anything else. Returns the arguments that point nginx at it (add "-t", or "-g daemon off;").
 */
export function loopbackNginx(dir: string, sitePath: string): string[] {
    const temp = ["client_body", "proxy", "fastcgi", "uwsgi", "scgi"].map((t) => `    ${t}_temp_path ${dir}/${t};`);
    const conf = [
        `pid ${dir}/nginx.pid;`,
        `error_log ${dir}/error.log;`,
        "events { worker_connections 64; }",
        "http {",
        "    access_log off;",
        ...temp,
        `    include ${sitePath};`,
        "}",
        "",
    ];
    fs.writeFileSync(path.join(dir, "nginx.conf"), conf.join("\n"));
    return ["-p", `${dir}/`, "-e", `${dir}/error.log`, "-c", `${dir}/nginx.conf`];
}
