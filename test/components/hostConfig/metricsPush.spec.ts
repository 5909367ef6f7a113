// QPS from autoscale web pools. Each member runs Prometheus in agent mode and pushes to the monitor's
// nginx push listener. Checked by the real tools (promtool --agent, nginx -t via a running nginx, apt's policy
// engine for the node-exporter pin, cloud-init schema) and, on loopback, by the real agent → nginx → Prometheus
// path delivering one exporter's counter with the labels the monitor's rules select.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import { parse } from "yaml";
import { renderCloudInit } from "../../../components/hostConfig/cloudInit";
import { METADATA_LOCK_SCRIPT } from "../../../components/hostConfig/metadataLock";
import {
    AGENT_CONFIG_PATH,
    AGENT_PASSWORD_PATH,
    AGENT_SETUP,
    AGENT_TARGETS_PATH,
    METRICS_PUSH_USER,
    NODE_EXPORTER_PIN_PATH,
    PUSH_HTPASSWD_PATH,
    PUSH_LISTEN_PATH,
    PUSH_LISTENER_SETUP,
    PUSH_SITE_PATH,
    agentSetupScript,
    nodeExporterPin,
    renderAgentConfig,
    renderPushSite,
} from "../../../components/hostConfig/metricsPush";
import {
    type MonitorConfig,
    NGINX_EXPORTER_SETUP,
    PROMETHEUS_DEFAULTS,
    monitorConfigProblems,
    renderPrometheusRules,
} from "../../../components/hostConfig/prometheus";
import { ROLES } from "../../support/hostRoles";
import { request } from "../../support/loopback";
import {
    cloudInitSchema,
    eventually,
    freePort,
    loopbackNginx,
    requireTool,
    run,
    tempDir,
} from "../../support/hostTools";

/** The monitor droplet's user data for `config`. */
const renderMonitor = (config: MonitorConfig) => renderCloudInit({ kind: "monitor", ...config });

const PASSWORD = "0123456789abcdef0123456789abcdefPushSecret";
const PUSH = { host: "webstack-metrics-push.example.com", password: PASSWORD };
const MONITOR: MonitorConfig = { stack: "prod", retentionDays: 14, webPush: { password: PASSWORD } };

interface Doc {
    packages: string[];
    write_files: { path: string; content: string; owner: string; permissions: string; defer: boolean }[];
    runcmd: string[][];
}
const docOf = (userData: string) => parse(userData.replace(/^#cloud-config\n/, ""), { version: "1.1" }) as Doc;
const fileOf = (doc: Doc, p: string) => doc.write_files.find((f) => f.path === p);

describe("metrics push from autoscale web pools", () => {
    it("scrapes the local exporter as job web and remote-writes to the monitor's push name with a password file", () => {
        assert.deepEqual(parse(renderAgentConfig(PUSH)), {
            global: { scrape_interval: "30s" },
            scrape_configs: [{ job_name: "web", file_sd_configs: [{ files: [AGENT_TARGETS_PATH] }] }],
            remote_write: [
                {
                    url: "http://webstack-metrics-push.example.com:9091/api/v1/write",
                    basic_auth: { username: METRICS_PUSH_USER, password_file: AGENT_PASSWORD_PATH },
                },
            ],
        });
        assert.ok(!renderAgentConfig(PUSH).includes(PASSWORD), "the password is only in its file");
    });

    it("passes promtool check config --agent", function () {
        const promtool = requireTool(this, "promtool");
        const { dir, remove } = tempDir("agent");
        try {
            fs.writeFileSync(path.join(dir, "targets.json"), '[{"targets": ["10.10.0.5:9113"]}]\n');
            fs.writeFileSync(path.join(dir, "password"), PASSWORD);
            const config = renderAgentConfig(PUSH)
                .replace(AGENT_TARGETS_PATH, path.join(dir, "targets.json"))
                .replace(AGENT_PASSWORD_PATH, path.join(dir, "password"));
            fs.writeFileSync(path.join(dir, "agent.yml"), config);
            const checked = run(promtool, ["check", "config", "--agent", path.join(dir, "agent.yml")]);
            assert.equal(checked.status, 0, checked.output);
        } finally {
            remove();
        }
    });

    it("adds the agent to an autoscaled web role: package, config, flags, 0600 password, boot script, metadata lock", () => {
        const doc = docOf(renderCloudInit({ ...ROLES.web, exporter: { push: PUSH } }));
        assert.deepEqual(doc.packages, ["nginx", "prometheus-nginx-exporter", "prometheus"]);
        assert.equal(
            fileOf(doc, PROMETHEUS_DEFAULTS)!.content.split("\n")[1],
            'ARGS="--enable-feature=agent --config.file=/etc/prometheus/webstack-agent.yml --storage.agent.path=/var/lib/prometheus/agent --web.listen-address=127.0.0.1:9090"',
        );
        assert.deepEqual(
            doc.write_files
                .filter((f) => f.content.includes(PASSWORD))
                .map((f) => [f.path, f.permissions, f.owner, f.content]),
            [[AGENT_PASSWORD_PATH, "0600", "prometheus:prometheus", PASSWORD]],
        );
        assert.equal(fileOf(doc, AGENT_CONFIG_PATH)!.content, renderAgentConfig(PUSH));
        assert.ok(
            fileOf(doc, METADATA_LOCK_SCRIPT),
            "the password is in the user data: the metadata service is locked",
        );
        assert.deepEqual(doc.runcmd.slice(-2), [[NGINX_EXPORTER_SETUP], [AGENT_SETUP]]);
        assert.deepEqual(doc.runcmd[1], ["systemctl", "enable", "--now", "webstack-metadata-lock.service"]);
    });

    it("writes no password and no lock when the secrets are delivered by hand, and the boot script still makes the directory", () => {
        const doc = docOf(renderCloudInit({ ...ROLES.web, exporter: { push: { host: PUSH.host } } }));
        assert.equal(fileOf(doc, AGENT_PASSWORD_PATH), undefined);
        assert.equal(fileOf(doc, METADATA_LOCK_SCRIPT), undefined);
        assert.ok(
            agentSetupScript().includes("install -d -m 0700 -o prometheus -g prometheus /etc/prometheus/secrets\n"),
        );
    });

    it("refuses a push password nginx's {PLAIN} file cannot hold and a bad host, listing both", () => {
        assert.throws(
            () => renderCloudInit({ ...ROLES.web, exporter: { push: { host: "bad host", password: "short:pw" } } }),
            {
                message: [
                    "Invalid metrics push:",
                    "  - push.password: must be 16 to 128 letters or digits; got a value that is not (value not shown).",
                    '  - push.host: must be an IPv4 address or a DNS name; got "bad host".',
                ].join("\n"),
            },
        );
    });

    it("pins the node exporter prometheus recommends out of apt's reach, written before packages install", function () {
        const aptCache = requireTool(this, "apt-cache");
        const pin = nodeExporterPin();
        assert.deepEqual([pin.path, pin.defer, pin.permissions], [NODE_EXPORTER_PIN_PATH, false, "0644"]);
        const { dir, remove } = tempDir("apt-pin");
        try {
            fs.writeFileSync(path.join(dir, "webstack-no-node-exporter"), pin.content);
            const policy = (parts: string) =>
                run(aptCache, ["-o", `Dir::Etc::PreferencesParts=${parts}`, "policy", "prometheus-node-exporter"]);
            const pinned = policy(dir);
            assert.equal(pinned.status, 0, pinned.output);
            assert.match(pinned.output, /Candidate: \(none\)/);
            const empty = path.join(dir, "empty");
            fs.mkdirSync(empty);
            assert.doesNotMatch(policy(empty).output, /Candidate: \(none\)/, "without the pin apt would install it");
        } finally {
            remove();
        }
    });

    it("gives the monitor the receiver: the flag, nginx on the private address, the {PLAIN} password 0640 for nginx's workers", () => {
        const doc = docOf(renderMonitor(MONITOR));
        assert.deepEqual(doc.packages, ["prometheus", "prometheus-alertmanager", "nginx"]);
        assert.match(fileOf(doc, PROMETHEUS_DEFAULTS)!.content, / --web\.enable-remote-write-receiver"\n$/);
        assert.deepEqual(
            doc.write_files
                .filter((f) => f.content.includes(PASSWORD))
                .map((f) => [f.path, f.permissions, f.owner, f.content]),
            [[PUSH_HTPASSWD_PATH, "0640", "root:www-data", `webstack-push:{PLAIN}${PASSWORD}\n`]],
        );
        assert.equal(fileOf(doc, PUSH_SITE_PATH)!.content, renderPushSite());
        assert.ok(fileOf(doc, METADATA_LOCK_SCRIPT));
        assert.deepEqual(doc.runcmd.at(-1), [PUSH_LISTENER_SETUP]);
        assert.equal(fileOf(doc, NODE_EXPORTER_PIN_PATH)!.defer, false);
        const scraped = docOf(renderMonitor({ stack: "prod", retentionDays: 14 }));
        assert.deepEqual(scraped.packages, ["prometheus", "prometheus-alertmanager"], "no nginx when nothing pushes");
    });

    it("records and alerts on pushed web requests as on scraped ones", () => {
        const rules = (c: MonitorConfig) =>
            parse(renderPrometheusRules(c)) as {
                groups: { rules: { record?: string; alert?: string; annotations?: { summary: string } }[] }[];
            };
        const pushed = rules(MONITOR).groups.flatMap((g) => g.rules);
        const scraped = rules({
            ...MONITOR,
            webPush: undefined,
            webTargetsName: "webstack-metrics-web.example.com",
        }).groups.flatMap((g) => g.rules);
        assert.deepEqual(
            pushed.map((r) => r.record ?? r.alert),
            scraped.map((r) => r.record ?? r.alert),
        );
        assert.equal(
            pushed.find((r) => r.alert === "WebTargetsMissing")!.annotations!.summary,
            "No web server has pushed its samples (port 9091) for 10 minutes.",
        );
    });

    it("lists a monitor that both scrapes and receives the web pool, and a bad push password", () => {
        assert.deepEqual(
            monitorConfigProblems({
                ...MONITOR,
                webTargetsName: "webstack-metrics-web.example.com",
                webPush: { password: "x" },
            }),
            [
                "webPush: the web pool is either scraped (webTargetsName) or pushes, not both; got both.",
                "webPush.password: must be 16 to 128 letters or digits; got a value that is not (value not shown).",
            ],
        );
    });

    it("passes cloud-init schema for the pushing web role and the receiving monitor", async function () {
        const cloudInit = requireTool(this, "cloud-init");
        for (const userData of [renderCloudInit({ ...ROLES.web, exporter: { push: PUSH } }), renderMonitor(MONITOR)]) {
            const checked = await cloudInitSchema(cloudInit, userData);
            assert.equal(checked.status, 0, checked.output);
        }
    });
});

/**
 * The rendered push path with real processes on loopback: a stand-in exporter (a Node server answering one counter)
 * ← the real Prometheus agent (the rendered config and flags) → the real nginx (the rendered site and password
 * file) → a real Prometheus with the receiver flag. Only addresses, paths and timings (scrape every 1 s, send
 * batches after 1 s) are moved; each move is asserted to have happened. Bounded: random free ports, a temp dir, 20 s.
 * Most of the ~6 s the delivery takes is the agent's discovery manager, which hands the scraper its first targets on
 * its 5 s update tick (prometheus/discovery/manager.go, `updatert: 5 * time.Second`).
 */
describe("metrics push on loopback: agent → nginx (basic auth) → Prometheus receiver", function () {
    this.timeout(30000);
    const children: ChildProcess[] = [];
    let exporter: http.Server | undefined;
    let remove = () => undefined as void;
    let ports: { exporter: number; nginx: number; server: number; agent: number };

    /** `text` with `from` replaced by `to`, failing when `from` is absent (a move that did nothing proves nothing). */
    const move = (text: string, from: string, to: string) => {
        assert.ok(text.includes(from), `expected ${JSON.stringify(from)} in the rendered text`);
        return text.split(from).join(to);
    };

    before(async function () {
        const prometheus = requireTool(this, "prometheus");
        const nginx = requireTool(this, "nginx");
        const tmp = tempDir("push");
        remove = tmp.remove;
        const dir = tmp.dir;
        ports = {
            exporter: await freePort(),
            nginx: await freePort(),
            server: await freePort(),
            agent: await freePort(),
        };

        exporter = http.createServer((_req, res) => {
            res.setHeader("Content-Type", "text/plain; version=0.0.4");
            res.end("# TYPE nginx_http_requests_total counter\nnginx_http_requests_total 42\n");
        });
        await new Promise<void>((resolve) => exporter!.listen(ports.exporter, "127.0.0.1", () => resolve()));

        // The monitor's Prometheus, with the flag the monitor's defaults add.
        const monitorArgs = fileOf(docOf(renderMonitor(MONITOR)), PROMETHEUS_DEFAULTS)!.content;
        assert.ok(monitorArgs.includes("--web.enable-remote-write-receiver"));
        fs.writeFileSync(path.join(dir, "server.yml"), "global:\n  scrape_interval: 1h\n");
        children.push(
            spawn(prometheus, [
                `--config.file=${dir}/server.yml`,
                `--storage.tsdb.path=${dir}/tsdb`,
                `--web.listen-address=127.0.0.1:${ports.server}`,
                "--web.enable-remote-write-receiver",
            ], { stdio: "ignore" }), // prettier-ignore
        );

        // nginx with the monitor's push site: listen include and upstream moved, the rendered {PLAIN} file.
        fs.writeFileSync(path.join(dir, "listen.conf"), `listen 127.0.0.1:${ports.nginx};\n`);
        // nginx's workers read the file per request as an unprivileged user (www-data on the host, whose group the
        // rendered 0640 root:www-data mode serves; `nobody` here): the temp dir and file are made readable to it.
        fs.chmodSync(dir, 0o755);
        fs.writeFileSync(path.join(dir, "htpasswd"), `${METRICS_PUSH_USER}:{PLAIN}${PASSWORD}\n`, { mode: 0o644 });
        let site = move(renderPushSite(), PUSH_LISTEN_PATH, path.join(dir, "listen.conf"));
        site = move(site, PUSH_HTPASSWD_PATH, path.join(dir, "htpasswd"));
        site = move(site, "proxy_pass http://127.0.0.1:9090;", `proxy_pass http://127.0.0.1:${ports.server};`);
        fs.writeFileSync(path.join(dir, "site.conf"), site);
        const nginxArgs = loopbackNginx(dir, path.join(dir, "site.conf"));
        const checked = run(nginx, ["-t", ...nginxArgs]);
        assert.equal(checked.status, 0, checked.output);
        children.push(spawn(nginx, [...nginxArgs, "-g", "daemon off;"], { stdio: "ignore" }));

        // The agent as an autoscaled web droplet's user data sets it up: its config and its flags.
        const web = docOf(
            renderCloudInit({ ...ROLES.web, exporter: { push: { host: "127.0.0.1", password: PASSWORD } } }),
        );
        let agent = fileOf(web, AGENT_CONFIG_PATH)!.content;
        agent = move(agent, "127.0.0.1:9091", `127.0.0.1:${ports.nginx}`);
        agent = move(agent, "scrape_interval: 30s", "scrape_interval: 1s");
        // Timing only, like the interval: a batch leaves after 1 s instead of the default 5 s (queue_config.batch_send_deadline).
        agent = move(agent, "    basic_auth:\n", "    queue_config:\n      batch_send_deadline: 1s\n    basic_auth:\n");
        agent = move(agent, AGENT_TARGETS_PATH, path.join(dir, "targets.json"));
        agent = move(agent, AGENT_PASSWORD_PATH, path.join(dir, "password"));
        fs.writeFileSync(path.join(dir, "agent.yml"), agent);
        fs.writeFileSync(
            path.join(dir, "targets.json"),
            JSON.stringify([{ targets: [`127.0.0.1:${ports.exporter}`] }]),
        );
        fs.writeFileSync(path.join(dir, "password"), fileOf(web, AGENT_PASSWORD_PATH)!.content);
        const args = /^ARGS="(.*)"$/m.exec(fileOf(web, PROMETHEUS_DEFAULTS)!.content)![1].split(" ");
        const agentArgs = args.map((a) =>
            a.startsWith("--config.file=")
                ? `--config.file=${dir}/agent.yml`
                : a.startsWith("--storage.agent.path=")
                  ? `--storage.agent.path=${dir}/agent-wal`
                  : a.startsWith("--web.listen-address=")
                    ? `--web.listen-address=127.0.0.1:${ports.agent}`
                    : a,
        );
        assert.deepEqual(
            agentArgs.filter((a, i) => a === args[i]),
            ["--enable-feature=agent"],
        );
        children.push(spawn(prometheus, agentArgs, { stdio: process.env.PUSH_DEBUG ? "inherit" : "ignore" }));
    });

    after(async () => {
        // SIGKILL after 3 s: a Prometheus agent waits up to its flush deadline (1 min) for unsent samples.
        const exited = children.map((c) =>
            c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once("exit", r)),
        );
        for (const child of children) child.kill("SIGTERM");
        const kill = setTimeout(() => children.forEach((c) => c.kill("SIGKILL")), 3000);
        await Promise.all(exited);
        clearTimeout(kill);
        if (exporter) {
            exporter.closeAllConnections();
            await new Promise((r) => exporter!.close(r));
        }
        remove();
    });

    const get = (port: number, p: string, auth?: string) =>
        request({ host: "127.0.0.1", port }, p, "127.0.0.1", {
            method: p.endsWith("/write") ? "POST" : "GET",
            headers: auth ? { Authorization: `Basic ${Buffer.from(auth).toString("base64")}` } : {},
        });

    it("delivers the exporter's counter to the monitor's Prometheus as job web, instance the exporter's address", async () => {
        const query = `/api/v1/query?query=${encodeURIComponent('nginx_http_requests_total{job="web"}')}`;
        let seen: unknown;
        await eventually(
            "the pushed sample is queryable on the receiving Prometheus",
            async () => {
                const reply = JSON.parse((await get(ports.server, query)).body) as {
                    data: { result: { metric: Record<string, string>; value: [number, string] }[] };
                };
                seen = reply.data.result.map((r) => ({ ...r.metric, value: r.value[1] }));
                return reply.data.result.length > 0;
            },
            20000,
        );
        assert.deepEqual(seen, [
            { __name__: "nginx_http_requests_total", instance: `127.0.0.1:${ports.exporter}`, job: "web", value: "42" },
        ]);
    });

    it("refuses writes without the password or with a wrong one, and serves nothing else on the push port", async () => {
        assert.equal((await get(ports.nginx, "/api/v1/write")).status, 401);
        assert.equal((await get(ports.nginx, "/api/v1/write", `${METRICS_PUSH_USER}:wrong`)).status, 401);
        assert.equal(
            (await get(ports.nginx, "/api/v1/query?query=up", `${METRICS_PUSH_USER}:${PASSWORD}`)).status,
            404,
        );
    });
});
