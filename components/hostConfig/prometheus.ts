// Pure renderers of QPS: the monitor droplet's Prometheus (prometheus.yml, recording and
// alert rules) config and its cloud-config (alertmanager.yml: alertmanager.ts), plus the nginx exporter every web
// role runs.
//
// Packages are the Debian/Ubuntu archive's `prometheus`, `prometheus-alertmanager` and `prometheus-nginx-exporter`
// (Debian 12 `apt-cache policy`; checked with Debian 12's 2.42.0, 0.25.0 and 0.11.0, whose units
// run `$ARGS` from /etc/default/<unit> as user `prometheus`). No Grafana: it is not in the archive; the Prometheus UI
// (graph and alerts pages) is the one place QPS is viewed, through an SSH tunnel (docs/monitoring.md).
//
// Web targets are found by DNS (`dns_sd_configs`, type A) on a name whose records the stack keeps pointing at the
// web droplets' private addresses, so the monitor's user data never lists droplet addresses: resizing the web pool
// changes DNS records, not the monitor (changed user data would replace it and lose its history). The database's
// metrics endpoints are found the same way when `database.srvName` is given: one SRV record per endpoint (the API
// lists one for the primary and one for the standby nodes, digitalocean/openapi
// specification/resources/databases/models/database_cluster.yml:170-177), so adding or removing standby nodes edits
// DNS records instead of the monitor's user data; otherwise they are static targets.
import { stringify } from "yaml";
import {
    type AlertReceivers,
    SLACK_WEBHOOK_PATH,
    SMTP_PASSWORD_PATH,
    alertReceiverProblems,
    renderAlertmanagerConfig,
} from "./alertmanager";
import { checkHost, checkPort } from "./checks";
import { NGINX_STATUS_PATH, NGINX_STATUS_PORT } from "./logShipper";
import { type CloudConfig, type WriteFile, HEADER, file } from "./types";
import { withMetadataLock } from "./metadataLock";
import { METRICS_PUSH_PORT, nodeExporterPin, pushListenerParts, pushPasswordProblems } from "./metricsPush";
import {
    NGINX_EXPORTER_PORT,
    PROMETHEUS_DEFAULTS,
    PROMETHEUS_LISTEN,
    PROMETHEUS_SECRETS_DIR,
    SECRETS_DIR_COMMAND,
} from "./prometheusHost";

export { NGINX_EXPORTER_PORT, PROMETHEUS_DEFAULTS, PROMETHEUS_LISTEN };

export const NGINX_EXPORTER_DEFAULTS = "/etc/default/prometheus-nginx-exporter";
/** Writes the exporter's flags at boot: the listen address is the droplet's private IPv4, known only there. */
export const NGINX_EXPORTER_SETUP = "/usr/local/sbin/webstack-nginx-exporter-setup";
/** Alertmanager, like Prometheus, listens on loopback only. */
export const ALERTMANAGER_LISTEN = "127.0.0.1:9093";
export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";
export const PROMETHEUS_RULES_PATH = "/etc/prometheus/webstack-rules.yml";
export const ALERTMANAGER_CONFIG_PATH = "/etc/prometheus/alertmanager.yml";
export const ALERTMANAGER_DEFAULTS = "/etc/default/prometheus-alertmanager";
/** The managed database's CA (public, from `getDatabaseCa`): the metrics endpoint's certificate chains to it. */
export const DATABASE_CA_PATH = "/etc/prometheus/database-ca.crt";
/**
 * Secret file (0600). Owned by `prometheus`, not root: the daemons run as that user (the packages' units) and
 * read it through `password_file`, so the secret never sits in a config file (Alertmanager's: alertmanager.ts).
 */
export const DATABASE_METRICS_PASSWORD_PATH = `${PROMETHEUS_SECRETS_DIR}/database-metrics-password`;

/** The path of DigitalOcean's MySQL metrics endpoint, `https://<host>:9273/metrics` (docs.digitalocean.com/products/databases/mysql/how-to/monitor-clusters/). */
export const DATABASE_METRICS_PATH = "/metrics";

/** Spike: the total rate is this many times the rate one day earlier (and above MIN_RATE). Drop: under 1 / this. */
export const SPIKE_FACTOR = 3;
/** Requests (or queries) per second under which neither a spike nor a drop is worth a page. */
export const MIN_RATE = 1;

/** What the monitor scrapes and where its alerts go (`slack`, `email`: AlertReceivers). */
export interface MonitorConfig extends AlertReceivers {
    /** The stack's name, added to every series and alert as `stack` (several stacks may share a Slack channel). */
    readonly stack: string;
    /** Days of samples Prometheus keeps (`logs.indexDaysMax`), 1 to 10,000. */
    readonly retentionDays: number;
    /** The DNS name whose A records are the web droplets' private addresses; undefined when none are known (autoscale). */
    readonly webTargetsName?: string;
    /**
     * Autoscale web pools push instead (metricsPush.ts): the monitor receives remote writes behind nginx on its
     * private IPv4. `password` (a secret, in a 0640 file nginx reads) is undefined with `secrets.delivery: manual`.
     */
    readonly webPush?: { readonly password?: string };
    /** The managed MySQL cluster's metrics endpoints: listed, or discovered from DNS. */
    readonly database?: {
        /** `https://host:9273/metrics` as the provider reports them; written into prometheus.yml. Or `srvName`. */
        readonly endpoints?: readonly string[];
        /**
         * A DNS name whose SRV records point at the endpoints' hosts and port (Prometheus `dns_sd_configs` type SRV),
         * instead of `endpoints`: the monitor's user data then stays the same whatever the endpoints are.
         */
        readonly srvName?: string;
        readonly username: string;
        /**
         * Written to DATABASE_METRICS_PASSWORD_PATH (0600): the user data carrying it must be a secret. Undefined
         * with `secrets.delivery: manual`: an operator copies it there.
         */
        readonly password?: string;
        readonly caCertificate: string;
    };
}

/** `host:port` and path of a metrics endpoint URL. */
function endpointParts(endpoint: string): { target: string; path: string } {
    const url = new URL(endpoint);
    return { target: `${url.hostname}:${url.port || "443"}`, path: url.pathname || "/metrics" };
}

/** Every problem with `config`, as `path: message; got "value".` lines (empty when valid). */
export function monitorConfigProblems(config: MonitorConfig): string[] {
    const problems: string[] = [];
    if (typeof config?.stack !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(config.stack)) {
        problems.push(`stack: must be 1 to 64 letters, digits, ".", "_" or "-"; got "${String(config?.stack)}".`);
    }
    if (!Number.isInteger(config?.retentionDays) || config.retentionDays < 1 || config.retentionDays > 10000) {
        problems.push(`retentionDays: must be an integer from 1 to 10000; got "${String(config?.retentionDays)}".`);
    }
    if (config?.webTargetsName !== undefined) checkHost(problems, "webTargetsName", config.webTargetsName);
    if (config?.webTargetsName !== undefined && config.webPush)
        problems.push(`webPush: the web pool is either scraped (webTargetsName) or pushes, not both; got both.`);
    problems.push(...pushPasswordProblems(config?.webPush?.password, "webPush.password"));
    const db = config?.database;
    if (db) {
        if (db.srvName !== undefined) {
            checkHost(problems, "database.srvName", db.srvName.replace(/^_/, "").replace(/\._/g, "."));
            if (db.endpoints !== undefined)
                problems.push(`database.endpoints: the endpoints are either listed or discovered (srvName); got both.`);
        } else if (!Array.isArray(db.endpoints) || db.endpoints.length === 0)
            problems.push(`database.endpoints: at least one endpoint is required; got none.`);
        (db.endpoints ?? []).forEach((e, i) => {
            try {
                const { target } = endpointParts(e);
                const [host, port] = target.split(":");
                checkHost(problems, `database.endpoints[${i}]`, host);
                checkPort(problems, `database.endpoints[${i}]`, Number(port));
                if (!e.startsWith("https://"))
                    problems.push(`database.endpoints[${i}]: must be an https:// URL; got "${e}".`);
            } catch {
                problems.push(
                    `database.endpoints[${i}]: must be a URL such as "https://host:9273/metrics"; got "${String(e)}".`,
                );
            }
        });
        if (typeof db.username !== "string" || !/^[A-Za-z0-9_.-]{1,64}$/.test(db.username)) {
            problems.push(
                `database.username: must be 1 to 64 letters, digits, ".", "_" or "-"; got "${String(db.username)}".`,
            );
        }
        if (
            db.password !== undefined &&
            (typeof db.password !== "string" || db.password === "" || /\s/.test(db.password))
        ) {
            problems.push(
                `database.password: must be non-empty text without whitespace; got a value of type ${typeof db.password}.`,
            );
        }
    }
    problems.push(...alertReceiverProblems(config ?? {}));
    return problems;
}

/** prometheus.yml: Prometheus itself, the web droplets' nginx exporters (DNS discovery) and the MySQL endpoint. */
export function renderPrometheusConfig(config: MonitorConfig): string {
    const scrape: Record<string, unknown>[] = [
        { job_name: "prometheus", static_configs: [{ targets: [PROMETHEUS_LISTEN] }] },
    ];
    if (config.webTargetsName) {
        scrape.push({
            job_name: "web",
            // Records carry the Dns TTL (300 s); a minute's refresh notices a new droplet soon after DNS does.
            dns_sd_configs: [
                { names: [config.webTargetsName], type: "A", port: NGINX_EXPORTER_PORT, refresh_interval: "60s" },
            ],
        });
    }
    if (config.database) {
        const srvName = config.database.srvName;
        const parts = (config.database.endpoints ?? []).map(endpointParts);
        // DigitalOcean's documented scrape config for the endpoint: HTTPS, the cluster's CA, basic auth with the
        // account's metrics credentials (docs.digitalocean.com/products/databases/mysql/how-to/monitor-clusters/).
        // An SRV target is the endpoint's host name (Prometheus drops the trailing dot), so TLS verifies that name.
        scrape.push({
            job_name: "mysql",
            scheme: "https",
            metrics_path: srvName ? DATABASE_METRICS_PATH : parts[0].path,
            tls_config: { ca_file: DATABASE_CA_PATH },
            basic_auth: { username: config.database.username, password_file: DATABASE_METRICS_PASSWORD_PATH },
            ...(srvName
                ? { dns_sd_configs: [{ names: [srvName], type: "SRV", refresh_interval: "60s" }] }
                : { static_configs: [{ targets: parts.map((p) => p.target) }] }),
        });
    }
    const doc = {
        global: { scrape_interval: "30s", evaluation_interval: "30s", external_labels: { stack: config.stack } },
        rule_files: [PROMETHEUS_RULES_PATH],
        alerting: { alertmanagers: [{ static_configs: [{ targets: [ALERTMANAGER_LISTEN] }] }] },
        scrape_configs: scrape,
    };
    return `${HEADER}\n${stringify(doc, { lineWidth: 0 })}`;
}

/** A spike and a drop alert on a recorded total rate, against the same rate one day earlier. */
function spikeAndDrop(name: string, series: string, what: string): Record<string, unknown>[] {
    const dayAgo = `(${series} offset 1d)`;
    return [
        {
            alert: `${name}Spike`,
            expr: `${series} > ${SPIKE_FACTOR} * ${dayAgo} and ${series} > ${MIN_RATE}`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
                summary: `${what} is over ${SPIKE_FACTOR}x the rate one day ago: {{ $value | humanize }}/s.`,
            },
        },
        {
            alert: `${name}Drop`,
            expr: `${series} < ${dayAgo} / ${SPIKE_FACTOR} and ${dayAgo} > ${MIN_RATE}`,
            for: "15m",
            labels: { severity: "critical" },
            annotations: { summary: `${what} fell under a third of the rate one day ago: {{ $value | humanize }}/s.` },
        },
    ];
}

/** Recording rules for requests and queries per second (per server and in total) and the QPS alerts. */
export function renderPrometheusRules(config: MonitorConfig): string {
    const records: Record<string, unknown>[] = [];
    const alerts: Record<string, unknown>[] = [
        {
            alert: "ScrapeTargetDown",
            expr: "up == 0",
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "{{ $labels.job }} target {{ $labels.instance }} has not answered scrapes for 5 minutes.",
            },
        },
    ];
    if (config.webTargetsName || config.webPush) {
        // stub_status's `requests` counter: every request nginx handled, the load balancer's health checks included.
        records.push(
            { record: "instance:nginx_http_requests:rate5m", expr: 'rate(nginx_http_requests_total{job="web"}[5m])' },
            {
                record: "job:nginx_http_requests:rate5m",
                expr: 'sum by (job) (rate(nginx_http_requests_total{job="web"}[5m]))',
            },
        );
        alerts.push(...spikeAndDrop("WebRequests", "job:nginx_http_requests:rate5m", "Web requests per second"));
        alerts.push(
            {
                // The load balancer's health checks reach nginx every few seconds, so zero while the exporters
                // answer means nothing reaches the web tier at all: the load balancer or DNS sends traffic elsewhere.
                alert: "WebRequestsStopped",
                expr: 'job:nginx_http_requests:rate5m == 0 and on (job) (count by (job) (up{job="web"} == 1) > 0)',
                for: "10m",
                labels: { severity: "critical" },
                annotations: {
                    summary: "No request has reached any web server for 10 minutes, health checks included.",
                },
            },
            {
                alert: "WebTargetsMissing",
                expr: 'absent(up{job="web"})',
                for: "10m",
                labels: { severity: "warning" },
                annotations: {
                    summary: config.webTargetsName
                        ? `DNS name ${config.webTargetsName} lists no web server to scrape.`
                        : `No web server has pushed its samples (port ${METRICS_PUSH_PORT}) for 10 minutes.`,
                },
            },
        );
    }
    if (config.database) {
        // DigitalOcean's agent reads `mysql_questions` from the endpoint; Advanced MySQL uses mysqld_exporter's
        // name (logs-metrics-qps.md §2.4, do-agent whitelist.go): whichever exists is the query rate.
        const questions = (range: string) =>
            `rate(mysql_questions{job="mysql"}[${range}]) or rate(mysql_global_status_questions{job="mysql"}[${range}])`;
        records.push(
            { record: "instance:mysql_questions:rate5m", expr: questions("5m") },
            { record: "job:mysql_questions:rate5m", expr: "sum by (job) (instance:mysql_questions:rate5m)" },
        );
        alerts.push(...spikeAndDrop("DatabaseQueries", "job:mysql_questions:rate5m", "Database queries per second"));
    }
    const doc = {
        groups: [
            ...(records.length > 0 ? [{ name: "webstack-qps", rules: records }] : []),
            { name: "webstack-qps-alerts", rules: alerts },
        ],
    };
    return `${HEADER}\n${stringify(doc, { lineWidth: 0 })}`;
}

const prometheusFile = (path: string, content: string): WriteFile => ({
    ...file(path, content, "0600"),
    owner: "prometheus:prometheus",
});

/** The monitor droplet's cloud-config object: packages, configs, secret files (0600) and the restart. */
export function monitorCloudConfig(config: MonitorConfig): CloudConfig {
    const problems = monitorConfigProblems(config);
    if (problems.length > 0) throw new Error(`Invalid monitor config:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    const db = config.database;
    const prometheusArgs = [
        `--config.file=${PROMETHEUS_CONFIG_PATH}`,
        `--storage.tsdb.retention.time=${config.retentionDays}d`,
        `--web.listen-address=${PROMETHEUS_LISTEN}`,
        ...(config.webPush ? ["--web.enable-remote-write-receiver"] : []),
    ];
    const push = config.webPush
        ? pushListenerParts(config.webPush.password)
        : { packages: [], writeFiles: [], runcmd: [] };
    // An empty cluster address turns off Alertmanager's gossip listener (0.0.0.0:9094 by default): one instance.
    const alertmanagerArgs = [
        `--config.file=${ALERTMANAGER_CONFIG_PATH}`,
        `--web.listen-address=${ALERTMANAGER_LISTEN}`,
        "--cluster.listen-address=",
    ];
    const monitor: CloudConfig = {
        package_update: true,
        packages: ["prometheus", "prometheus-alertmanager", ...push.packages],
        write_files: [
            nodeExporterPin(),
            file(PROMETHEUS_CONFIG_PATH, renderPrometheusConfig(config), "0644"),
            file(PROMETHEUS_RULES_PATH, renderPrometheusRules(config), "0644"),
            file(ALERTMANAGER_CONFIG_PATH, renderAlertmanagerConfig(config), "0644"),
            file(PROMETHEUS_DEFAULTS, `${HEADER}\nARGS="${prometheusArgs.join(" ")}"\n`, "0644"),
            file(ALERTMANAGER_DEFAULTS, `${HEADER}\nARGS="${alertmanagerArgs.join(" ")}"\n`, "0644"),
            ...(db
                ? [
                      file(DATABASE_CA_PATH, db.caCertificate, "0644"),
                      ...(db.password !== undefined
                          ? [prometheusFile(DATABASE_METRICS_PASSWORD_PATH, db.password)]
                          : []),
                  ]
                : []),
            ...(config.slack?.url !== undefined ? [prometheusFile(SLACK_WEBHOOK_PATH, config.slack.url)] : []),
            ...push.writeFiles,
            ...(config.email?.password !== undefined
                ? [prometheusFile(SMTP_PASSWORD_PATH, config.email.password)]
                : []),
        ],
        // The packages started both daemons on their stock configs before write_files ran.
        runcmd: [
            SECRETS_DIR_COMMAND,
            ["systemctl", "restart", "prometheus.service", "prometheus-alertmanager.service"],
            ...push.runcmd,
        ],
    };
    // The metrics password, the Slack webhook, the SMTP password and the push password are in the user data, which the
    // metadata service serves to any local process (prometheus included): lock it to root as on the app droplets.
    const holdsSecret =
        db?.password !== undefined ||
        config.slack?.url !== undefined ||
        config.email?.password !== undefined ||
        config.webPush?.password !== undefined;
    return holdsSecret ? withMetadataLock(monitor) : monitor;
}

/**
 * The boot script of the web roles' exporter: nginx's loopback stub_status in, the droplet's private IPv4 out
 * (DigitalOcean metadata `interfaces/private/0/ipv4/address`, docs.digitalocean.com/reference/api/metadata/
 * network-interfaces). Tier 1 has no cloud firewall, so the exporter must not listen on the public interface.
 */
export function nginxExporterSetupScript(): string {
    return [
        "#!/bin/sh",
        HEADER,
        "set -eu",
        "ip=$(curl -fsS --retry 5 http://169.254.169.254/metadata/v1/interfaces/private/0/ipv4/address)",
        `printf 'ARGS="--nginx.scrape-uri=http://127.0.0.1:${NGINX_STATUS_PORT}${NGINX_STATUS_PATH} --web.listen-address=%s:${NGINX_EXPORTER_PORT}"\\n' "$ip" > ${NGINX_EXPORTER_DEFAULTS}`,
        "systemctl restart prometheus-nginx-exporter.service",
        "",
    ].join("\n");
}

/** The cloud-config parts a web role adds for QPS: the exporter package, its setup script, and running it. */
export function nginxExporterParts(): { packages: string[]; writeFiles: WriteFile[]; runcmd: string[][] } {
    return {
        packages: ["prometheus-nginx-exporter"],
        writeFiles: [file(NGINX_EXPORTER_SETUP, nginxExporterSetupScript(), "0700")],
        runcmd: [[NGINX_EXPORTER_SETUP]],
    };
}
