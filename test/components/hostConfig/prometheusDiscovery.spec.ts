// The monitor finds the MySQL metrics endpoints by DNS (SRV) instead of listing them, so standby-node and replica
// changes, and the provider filling the endpoint list later, leave its user data (and its Prometheus history) alone.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { renderCloudInit } from "../../../components/hostConfig/cloudInit";
import {
    DATABASE_CA_PATH,
    DATABASE_METRICS_PASSWORD_PATH,
    type MonitorConfig,
    PROMETHEUS_RULES_PATH,
    monitorConfigProblems,
    renderPrometheusConfig,
    renderPrometheusRules,
} from "../../../components/hostConfig/prometheus";
import { requireTool, run, tempDir } from "../../support/hostTools";

const CA = "-----BEGIN CERTIFICATE-----\nMIIBdatabaseCA\n-----END CERTIFICATE-----\n";
const SRV = "_webstack-mysql-metrics._tcp.example.com";
const DISCOVERED: MonitorConfig = {
    stack: "prod",
    retentionDays: 14,
    webTargetsName: "webstack-metrics-web.example.com",
    database: { srvName: SRV, username: "doadmin-metrics", password: "m3tricsPassw0rd", caCertificate: CA },
    email: undefined,
};
const endpoints = (n: number) =>
    Array.from({ length: n }, (_, i) => `https://db-mysql-nyc3-1-do-user-1-${i}.b.db.ondigitalocean.com:9273/metrics`);

describe("monitor: MySQL metrics endpoints found by DNS", () => {
    it("scrapes whatever the SRV records name, over HTTPS with the cluster's CA and the metrics login", () => {
        const doc = parse(renderPrometheusConfig(DISCOVERED)) as { scrape_configs: Record<string, unknown>[] };
        assert.deepEqual(
            doc.scrape_configs.find((s) => s.job_name === "mysql"),
            {
                job_name: "mysql",
                scheme: "https",
                metrics_path: "/metrics",
                tls_config: { ca_file: DATABASE_CA_PATH },
                basic_auth: { username: "doadmin-metrics", password_file: DATABASE_METRICS_PASSWORD_PATH },
                dns_sd_configs: [{ names: [SRV], type: "SRV", refresh_interval: "60s" }],
            },
        );
    });

    it("keeps the endpoints out of the user data (listed, they change it with every standby change)", () => {
        const listed = (n: number) =>
            renderCloudInit({
                kind: "monitor",
                ...DISCOVERED,
                database: { ...DISCOVERED.database!, srvName: undefined, endpoints: endpoints(n) },
            });
        assert.notEqual(listed(1), listed(2), "listing the endpoints puts them in the user data");
        assert.doesNotMatch(renderCloudInit({ kind: "monitor", ...DISCOVERED }), /ondigitalocean\.com:9273/);
    });

    it("refuses listed and discovered endpoints together", () => {
        assert.deepEqual(
            monitorConfigProblems({ ...DISCOVERED, database: { ...DISCOVERED.database!, endpoints: endpoints(1) } }),
            ["database.endpoints: the endpoints are either listed or discovered (srvName); got both."],
        );
        assert.deepEqual(
            monitorConfigProblems({ ...DISCOVERED, database: { ...DISCOVERED.database!, srvName: "bad name" } }),
            ['database.srvName: must be an IPv4 address or a DNS name; got "bad name".'],
        );
    });

    it("passes promtool check config", function () {
        const promtool = requireTool(this, "promtool");
        const { dir, remove } = tempDir("prometheus-srv");
        try {
            fs.writeFileSync(path.join(dir, "ca.crt"), CA);
            fs.writeFileSync(path.join(dir, "password"), "m3tricsPassw0rd");
            fs.writeFileSync(path.join(dir, "rules.yml"), renderPrometheusRules(DISCOVERED));
            const text = renderPrometheusConfig(DISCOVERED)
                .split(PROMETHEUS_RULES_PATH)
                .join(path.join(dir, "rules.yml"))
                .split(DATABASE_CA_PATH)
                .join(path.join(dir, "ca.crt"))
                .split(DATABASE_METRICS_PASSWORD_PATH)
                .join(path.join(dir, "password"));
            fs.writeFileSync(path.join(dir, "prometheus.yml"), text);
            const checked = run(promtool, ["check", "config", path.join(dir, "prometheus.yml")]);
            assert.equal(checked.status, 0, checked.output);
        } finally {
            remove();
        }
    });
});
