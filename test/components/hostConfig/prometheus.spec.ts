// The monitor droplet's Prometheus and Alertmanager configs, checked by the real tools
// (promtool check config / check rules, amtool check-config), the user data's secret files, and the nginx exporter
// the web roles add.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { renderCloudInit } from "../../../components/hostConfig/cloudInit";
import { METADATA_LOCK_SCRIPT, METADATA_LOCK_SERVICE } from "../../../components/hostConfig/metadataLock";
import {
    ALERTMANAGER_CONFIG_PATH,
    DATABASE_CA_PATH,
    DATABASE_METRICS_PASSWORD_PATH,
    type MonitorConfig,
    NGINX_EXPORTER_SETUP,
    PROMETHEUS_DEFAULTS,
    PROMETHEUS_RULES_PATH,
    monitorConfigProblems,
    nginxExporterSetupScript,
    renderPrometheusConfig,
    renderPrometheusRules,
} from "../../../components/hostConfig/prometheus";
import { SLACK_WEBHOOK_PATH, renderAlertmanagerConfig } from "../../../components/hostConfig/alertmanager";
import { ROLES } from "../../support/hostRoles";
import { cloudInitSchema, requireTool, run, tempDir } from "../../support/hostTools";

/** The monitor droplet's user data for `config`. */
const renderMonitor = (config: MonitorConfig) => renderCloudInit({ kind: "monitor", ...config });

const PASSWORD = "m3tricsPassw0rdSecret";
const WEBHOOK = "https://hooks.slack.com/services/T000/B000/qpsWebhookSecret";
const FULL: MonitorConfig = {
    stack: "prod",
    retentionDays: 14,
    webTargetsName: "webstack-metrics-web.example.com",
    database: {
        endpoints: ["https://web-db-do-user-1-0.b.db.ondigitalocean.com:9273/metrics"],
        username: "doadmin-metrics",
        password: PASSWORD,
        caCertificate: "-----BEGIN CERTIFICATE-----\nMIIBfake\n-----END CERTIFICATE-----\n",
    },
    slack: { channel: "#ops", url: WEBHOOK },
};
const BARE: MonitorConfig = { stack: "dev", retentionDays: 1 };

interface Doc {
    packages: string[];
    write_files: { path: string; content: string; owner: string; permissions: string }[];
    runcmd: string[][];
}
const docOf = (userData: string) => parse(userData.replace(/^#cloud-config\n/, ""), { version: "1.1" }) as Doc;

/** The config files in `dir`, their host paths moved there (promtool and amtool check the files they name). */
function relocate(text: string, dir: string): string {
    return text
        .split(PROMETHEUS_RULES_PATH)
        .join(path.join(dir, "rules.yml"))
        .split(DATABASE_CA_PATH)
        .join(path.join(dir, "ca.crt"))
        .split(DATABASE_METRICS_PASSWORD_PATH)
        .join(path.join(dir, "password"))
        .split(SLACK_WEBHOOK_PATH)
        .join(path.join(dir, "webhook"));
}

describe("monitor droplet configs", () => {
    for (const [label, config] of [
        ["with web, database and Slack", FULL],
        ["with nothing but Prometheus itself", BARE],
    ] as const) {
        it(`passes promtool check config and check rules ${label}`, function () {
            const promtool = requireTool(this, "promtool");
            const { dir, remove } = tempDir("prometheus");
            try {
                fs.writeFileSync(path.join(dir, "ca.crt"), FULL.database!.caCertificate);
                fs.writeFileSync(path.join(dir, "password"), PASSWORD);
                fs.writeFileSync(path.join(dir, "rules.yml"), renderPrometheusRules(config));
                fs.writeFileSync(path.join(dir, "prometheus.yml"), relocate(renderPrometheusConfig(config), dir));
                const rules = run(promtool, ["check", "rules", path.join(dir, "rules.yml")]);
                assert.equal(rules.status, 0, rules.output);
                const checked = run(promtool, ["check", "config", path.join(dir, "prometheus.yml")]);
                assert.equal(checked.status, 0, checked.output);
            } finally {
                remove();
            }
        });

        it(`passes amtool check-config ${label}`, function () {
            const amtool = requireTool(this, "amtool");
            const { dir, remove } = tempDir("alertmanager");
            try {
                fs.writeFileSync(path.join(dir, "webhook"), WEBHOOK);
                fs.writeFileSync(path.join(dir, "alertmanager.yml"), relocate(renderAlertmanagerConfig(config), dir));
                const checked = run(amtool, ["check-config", path.join(dir, "alertmanager.yml")]);
                assert.equal(checked.status, 0, checked.output);
            } finally {
                remove();
            }
        });
    }

    it("records requests and queries per second per server and in total, and alerts on a spike, a drop and a stop", () => {
        const rules = parse(renderPrometheusRules(FULL)) as {
            groups: { name: string; rules: { record?: string; alert?: string; expr: string }[] }[];
        };
        const records = rules.groups.flatMap((g) => g.rules.filter((r) => r.record).map((r) => r.record));
        assert.deepEqual(records, [
            "instance:nginx_http_requests:rate5m",
            "job:nginx_http_requests:rate5m",
            "instance:mysql_questions:rate5m",
            "job:mysql_questions:rate5m",
        ]);
        const alerts = rules.groups.flatMap((g) => g.rules.filter((r) => r.alert).map((r) => r.alert));
        assert.deepEqual(alerts, [
            "ScrapeTargetDown",
            "WebRequestsSpike",
            "WebRequestsDrop",
            "WebRequestsStopped",
            "WebTargetsMissing",
            "DatabaseQueriesSpike",
            "DatabaseQueriesDrop",
        ]);
        const spike = rules.groups[1].rules.find((r) => r.alert === "WebRequestsSpike")!;
        assert.equal(
            spike.expr,
            "job:nginx_http_requests:rate5m > 3 * (job:nginx_http_requests:rate5m offset 1d) and job:nginx_http_requests:rate5m > 1",
        );
    });

    it("discovers the web droplets by DNS and scrapes the database over HTTPS with its CA and a password file", () => {
        const config = parse(renderPrometheusConfig(FULL)) as { scrape_configs: Record<string, unknown>[] };
        assert.deepEqual(config.scrape_configs[1], {
            job_name: "web",
            dns_sd_configs: [
                { names: ["webstack-metrics-web.example.com"], type: "A", port: 9113, refresh_interval: "60s" },
            ],
        });
        assert.deepEqual(config.scrape_configs[2], {
            job_name: "mysql",
            scheme: "https",
            metrics_path: "/metrics",
            tls_config: { ca_file: DATABASE_CA_PATH },
            basic_auth: { username: "doadmin-metrics", password_file: DATABASE_METRICS_PASSWORD_PATH },
            static_configs: [{ targets: ["web-db-do-user-1-0.b.db.ondigitalocean.com:9273"] }],
        });
        assert.ok(!renderPrometheusConfig(FULL).includes(PASSWORD));
    });

    it("keeps the samples logs.indexDaysMax days and listens on loopback only", () => {
        const doc = docOf(renderMonitor(FULL));
        const defaults = doc.write_files.find((f) => f.path === PROMETHEUS_DEFAULTS)!;
        assert.match(defaults.content, /--storage\.tsdb\.retention\.time=14d/);
        assert.match(defaults.content, /--web\.listen-address=127\.0\.0\.1:9090/);
        assert.deepEqual(doc.packages, ["prometheus", "prometheus-alertmanager"]);
    });

    it("holds the metrics password and the Slack webhook only in 0600 files the daemons' user owns", () => {
        const userData = renderMonitor(FULL);
        const doc = docOf(userData);
        const secretFiles = doc.write_files.filter((f) => f.content.includes(PASSWORD) || f.content.includes(WEBHOOK));
        assert.deepEqual(
            secretFiles.map((f) => [f.path, f.permissions, f.owner]),
            [
                [DATABASE_METRICS_PASSWORD_PATH, "0600", "prometheus:prometheus"],
                [SLACK_WEBHOOK_PATH, "0600", "prometheus:prometheus"],
            ],
        );
        assert.ok(!doc.write_files.find((f) => f.path === ALERTMANAGER_CONFIG_PATH)!.content.includes(WEBHOOK));
    });

    it("locks the metadata service to root first when its user data holds a secret, and not without one", () => {
        const lockFirst = (userData: string) => {
            const doc = docOf(userData) as Doc & { runcmd: string[][] };
            return { lock: doc.write_files.some((f) => f.path === METADATA_LOCK_SCRIPT), first: doc.runcmd[1] };
        };
        assert.deepEqual(lockFirst(renderMonitor(FULL)), {
            lock: true,
            first: ["systemctl", "enable", "--now", METADATA_LOCK_SERVICE],
        });
        const manual: MonitorConfig = {
            ...FULL,
            database: { ...FULL.database!, password: undefined },
            slack: { channel: "#ops" },
        };
        assert.equal(lockFirst(renderMonitor(manual)).lock, false);
    });

    it("writes no secret file when the secrets are delivered by hand", () => {
        const manual: MonitorConfig = {
            ...FULL,
            database: { ...FULL.database!, password: undefined },
            slack: { channel: "#ops" },
        };
        const userData = renderMonitor(manual);
        assert.ok(!userData.includes(PASSWORD) && !userData.includes(WEBHOOK));
        assert.deepEqual(
            docOf(userData).write_files.filter((f) => f.permissions === "0600"),
            [],
        );
        // The operator copies them into a directory that exists, 0700 and the daemons' own.
        assert.deepEqual(docOf(userData).runcmd[0], [
            "install",
            "-d",
            "-m",
            "0700",
            "-o",
            "prometheus",
            "-g",
            "prometheus",
            "/etc/prometheus/secrets",
        ]);
    });

    it("lists every problem of an invalid config", () => {
        assert.deepEqual(monitorConfigProblems({ stack: "a b", retentionDays: 0, webTargetsName: "bad name" }), [
            'stack: must be 1 to 64 letters, digits, ".", "_" or "-"; got "a b".',
            'retentionDays: must be an integer from 1 to 10000; got "0".',
            'webTargetsName: must be an IPv4 address or a DNS name; got "bad name".',
        ]);
        assert.throws(() => renderMonitor({ ...BARE, retentionDays: 0 }), /Invalid monitor config/);
    });

    it("passes cloud-init schema for the monitor and for a web role with the exporter", async function () {
        const cloudInit = requireTool(this, "cloud-init");
        for (const userData of [renderMonitor(FULL), renderCloudInit({ ...ROLES.web, exporter: {} })]) {
            const checked = await cloudInitSchema(cloudInit, userData);
            assert.equal(checked.status, 0, checked.output);
        }
    });

    it("adds the nginx exporter to a web role, reading stub_status and listening on the private address", () => {
        const doc = docOf(renderCloudInit({ ...ROLES.web, exporter: {} }));
        assert.ok(doc.packages.includes("prometheus-nginx-exporter"));
        assert.deepEqual(doc.runcmd.at(-1), [NGINX_EXPORTER_SETUP]);
        const script = nginxExporterSetupScript();
        assert.match(script, /interfaces\/private\/0\/ipv4\/address/);
        assert.match(
            script,
            /--nginx\.scrape-uri=http:\/\/127\.0\.0\.1:61080\/stub_status --web\.listen-address=%s:9113/,
        );
    });

    it("writes an exporter setup script sh accepts", () => {
        const { dir, remove } = tempDir("exporter");
        try {
            fs.writeFileSync(path.join(dir, "setup"), nginxExporterSetupScript());
            const checked = run("/bin/sh", ["-n", path.join(dir, "setup")]);
            assert.equal(checked.status, 0, checked.output);
        } finally {
            remove();
        }
    });
});
