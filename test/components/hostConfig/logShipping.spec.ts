// The log shipping every role adds, checked by the real tools (rsyslogd -N1, nginx -t) and, end to
// end, by a loopback run: rsyslogd with the generated config delivers one nginx access-log line to a stand-in
// OpenSearch bulk endpoint on 127.0.0.1.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { parse } from "yaml";
import { renderCloudInit } from "../../../components/hostConfig/cloudInit";
import {
    type LogShipping,
    NGINX_ERROR_LOG,
    NGINX_JSON_ACCESS_LOG,
    RSYSLOG_SHIPPER_PATH,
    SHIPPER_PASSWORD_PATH,
    type ShippedRole,
    renderNginxLogging,
    renderRsyslogShipper,
} from "../../../components/hostConfig/logShipper";
import { renderNginxConfig } from "../../../components/hostConfig/nginx";
import { ROLES } from "../../support/hostRoles";
import { freePort, nginxTest, requireTool, run, tempDir } from "../../support/hostTools";
import { METADATA_LOCK_SCRIPT, METADATA_LOCK_SERVICE } from "../../../components/hostConfig/metadataLock";

const PASSWORD = "s3cretShipperPassw0rd";
const LOGS: LogShipping = {
    host: "private-logs-do-user-1.db.ondigitalocean.com",
    port: 25060,
    user: "log-writer",
    password: PASSWORD,
    caCertificate: "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n",
};
const SHIPPED: ShippedRole[] = ["web", "app", "web-and-app", "all-in-one", "haproxy", "monitor"];

/** The config with every host path moved into `dir` (and the password file written there). */
function relocated(config: string, dir: string): string {
    fs.writeFileSync(path.join(dir, "password"), PASSWORD);
    return config
        .split(SHIPPER_PASSWORD_PATH)
        .join(path.join(dir, "password"))
        .split(NGINX_JSON_ACCESS_LOG)
        .join(path.join(dir, "access-json.log"))
        .split(NGINX_ERROR_LOG)
        .join(path.join(dir, "error.log"))
        .replace(/tls\.cacert="[^"]*"/g, `tls.cacert="${path.join(dir, "ca.crt")}"`);
}

/** A master rsyslog.conf as Debian/Ubuntu's sets the globals, including our drop-in. */
function master(dir: string, dropIn: string): string {
    fs.writeFileSync(path.join(dir, "ca.crt"), LOGS.caCertificate!);
    fs.writeFileSync(path.join(dir, "drop-in.conf"), relocated(dropIn, dir));
    const file = path.join(dir, "rsyslog.conf");
    fs.writeFileSync(file, `global(workDirectory="${dir}")\ninclude(file="${path.join(dir, "drop-in.conf")}")\n`);
    return file;
}

describe("log shipping", () => {
    describe("renderCloudInit with logs", () => {
        it("writes the password root-only, and only into its own file", () => {
            const doc = parse(
                renderCloudInit({ ...ROLES.web, shipping: LOGS } as never).replace(/^#cloud-config\n/, ""),
            ) as {
                write_files: { path: string; content: string; permissions: string }[];
            };
            const holding = doc.write_files.filter((f) => f.content.includes(PASSWORD));
            assert.deepEqual(
                holding.map((f) => [f.path, f.permissions, f.content]),
                [[SHIPPER_PASSWORD_PATH, "0600", PASSWORD]],
            );
            const shipper = doc.write_files.find((f) => f.path === RSYSLOG_SHIPPER_PATH)!;
            assert.equal(shipper.permissions, "0644");
            assert.match(shipper.content, /pwd=`cat \/etc\/webstack\/secrets\/log-shipper-password`/);
        });

        it("installs rsyslog's OpenSearch output and restarts rsyslog last", () => {
            const doc = parse(
                renderCloudInit({ ...ROLES.app, shipping: LOGS } as never).replace(/^#cloud-config\n/, ""),
            ) as {
                packages: string[];
                runcmd: string[][];
            };
            assert.deepEqual(doc.packages.slice(-2), ["rsyslog", "rsyslog-elasticsearch"]);
            assert.deepEqual(doc.runcmd.at(-1), ["systemctl", "restart", "rsyslog.service"]);
        });

        it("locks the metadata service to root first when the user data carries the shipper's password, and not without it", () => {
            const lock = (logs: LogShipping) => {
                const doc = parse(
                    renderCloudInit({ ...ROLES.web, shipping: logs } as never).replace(/^#cloud-config\n/, ""),
                ) as {
                    write_files: { path: string }[];
                    runcmd: string[][];
                };
                return {
                    lock: doc.write_files.some((f) => f.path === METADATA_LOCK_SCRIPT),
                    first: doc.runcmd.slice(0, 2),
                };
            };
            assert.deepEqual(lock(LOGS), {
                lock: true,
                first: [
                    ["systemctl", "daemon-reload"],
                    ["systemctl", "enable", "--now", METADATA_LOCK_SERVICE],
                ],
            });
            assert.equal(lock({ ...LOGS, password: undefined }).lock, false);
        });

        it("leaves the user data as before without logs", () => {
            assert.doesNotMatch(renderCloudInit(ROLES.web as never), /rsyslog/);
        });

        it("refuses a password that would break out of rsyslog's backtick constant, naming only its type", () => {
            assert.throws(
                () => renderCloudInit({ ...ROLES.web, shipping: { ...LOGS, password: "a`b" } } as never),
                (e: Error) =>
                    e.message ===
                    'Invalid log shipping for host role "web":\n  - logs.password: must be non-empty text without whitespace, quotes, backticks or backslashes; got a value of type string.',
            );
        });
    });

    describe("renderRsyslogShipper", () => {
        it("reads nginx's JSON access and error logs only on nginx roles", () => {
            assert.match(renderRsyslogShipper("web", LOGS), /File="\/var\/log\/nginx\/access-json.log"/);
            assert.doesNotMatch(renderRsyslogShipper("app", LOGS), /imfile/);
            assert.doesNotMatch(renderRsyslogShipper("haproxy", LOGS), /imfile/);
        });

        it("drops mapping types for OpenSearch 2 and writes daily logs-<role> indices", () => {
            const text = renderRsyslogShipper("haproxy", LOGS);
            assert.match(text, /esVersion\.major="8"/);
            assert.match(text, /string="logs-haproxy-%timereported:1:10:date-rfc3339%"/);
        });

        for (const role of SHIPPED) {
            it(`passes rsyslogd -N1 for the ${role} role`, function () {
                const rsyslogd = requireTool(this, "rsyslogd");
                const { dir, remove } = tempDir("rsyslog");
                try {
                    const result = run(rsyslogd, ["-N1", "-f", master(dir, renderRsyslogShipper(role, LOGS))]);
                    assert.equal(result.status, 0, result.output);
                } finally {
                    remove();
                }
            });
        }
    });

    describe("renderNginxLogging", () => {
        it("logs status, request and upstream time and the forwarded client as JSON", () => {
            const text = renderNginxLogging();
            for (const field of [
                '"status":$status',
                '"request_time":$request_time',
                '"upstream_response_time":"$upstream_response_time"',
                '"client":"$webstack_client"',
            ]) {
                assert.ok(text.includes(field), field);
            }
            assert.match(text, /log_format webstack_json escape=json/);
        });

        it("passes nginx -t beside the web site", async function () {
            const nginx = requireTool(this, "nginx");
            const { dir, remove } = tempDir("nginx-logging");
            try {
                const logging = renderNginxLogging()
                    .split(NGINX_JSON_ACCESS_LOG)
                    .join(path.join(dir, "access-json.log"));
                const site = renderNginxConfig({
                    listenPort: 80,
                    upstream: { host: "10.110.0.9", port: 8080 },
                    behindLoadBalancer: true,
                });
                const result = await nginxTest(nginx, `${logging}\n${site}`);
                assert.equal(result.status, 0, result.output);
            } finally {
                remove();
            }
        });
    });

    it("delivers one nginx access-log line to a stand-in OpenSearch bulk endpoint on loopback", async function () {
        this.timeout(30000);
        const rsyslogd = requireTool(this, "rsyslogd");
        const { dir, remove } = tempDir("rsyslog-loopback");
        const bodies: string[] = [];
        const server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (c: Buffer) => (body += c.toString("utf8")));
            req.on("end", () => {
                if (req.method === "POST") bodies.push(`${req.url}\n${req.headers.authorization ?? ""}\n${body}`);
                res.setHeader("content-type", "application/json");
                res.end(
                    req.method === "POST"
                        ? JSON.stringify({ took: 1, errors: false, items: [{ create: { status: 201 } }] })
                        : "{}",
                );
            });
        });
        const port = await freePort();
        await new Promise<void>((ok) => server.listen(port, "127.0.0.1", ok));
        const line = JSON.stringify({
            time: "2026-12-01T10:00:00+00:00",
            client: "198.51.100.23",
            status: 200,
            request_time: 0.012,
            upstream_response_time: "0.010",
        });
        fs.writeFileSync(path.join(dir, "access-json.log"), `${line}\n`);
        fs.writeFileSync(path.join(dir, "error.log"), "");
        const conf = master(dir, renderRsyslogShipper("web", { ...LOGS, host: "127.0.0.1", port, https: false }));
        const child = spawn(rsyslogd, ["-n", "-f", conf, "-i", path.join(dir, "rsyslogd.pid")], { stdio: "ignore" });
        try {
            const deadline = Date.now() + 20000;
            while (!bodies.some((b) => b.includes("198.51.100.23")) && Date.now() < deadline)
                await new Promise((r) => setTimeout(r, 200));
            const delivered = bodies.find((b) => b.includes("198.51.100.23"));
            assert.ok(delivered, `nothing delivered; requests seen:\n${bodies.join("\n---\n")}`);
            const [url, auth, ...ndjson] = delivered.split("\n");
            assert.match(url, /^\/_bulk/);
            assert.equal(auth, `Basic ${Buffer.from(`log-writer:${PASSWORD}`).toString("base64")}`);
            const [meta, doc] = ndjson.filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, any>);
            assert.match(JSON.stringify(meta), /"_index":"logs-web-\d{4}-\d{2}-\d{2}"/);
            assert.doesNotMatch(JSON.stringify(meta), /_type/);
            assert.equal(doc.log, "nginx-access");
            assert.equal(doc.role, "web");
            assert.deepEqual(doc.nginx, JSON.parse(line));
        } finally {
            child.kill("SIGTERM");
            await new Promise((r) => setTimeout(r, 200));
            if (child.exitCode === null) child.kill("SIGKILL");
            server.close();
            remove();
        }
    });
});
