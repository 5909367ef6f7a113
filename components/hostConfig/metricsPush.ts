// Pure renderers of QPS collection from autoscale web pools. An autoscale pool's members are not
// resources of the stack, so no DNS record the monitor could discover them by exists, and the alternative
// (`digitalocean_sd_configs` on the monitor) needs a DigitalOcean API token there. Instead each member pushes:
//
//   web droplet: nginx stub_status → prometheus-nginx-exporter (private IP:9113)
//                → Prometheus in agent mode (scrapes it as job "web", remote-writes)
//   monitor:     nginx on its private IP:9091 (basic auth, only /api/v1/write) → Prometheus's remote-write receiver
//
// So series arrive with the same job and instance labels the monitor's DNS-discovered scrape gives fixed pools,
// and the recording rules and alerts are the same. Agent mode and the receiver are Prometheus features from 2.32
// and 2.33 (prometheus.io/docs/prometheus/latest/feature_flags/#prometheus-agent, …/storage/#overview); Debian 12
// ships 2.42, the version these renderers are checked with. Prometheus 3 replaced `--enable-feature=agent` with
// `--agent`: the droplet image's archive version (ubuntu-24-04-x64) is assumed 2.x and was not checked here.
import {
    NGINX_EXPORTER_PORT,
    PROMETHEUS_DEFAULTS,
    PROMETHEUS_LISTEN,
    PROMETHEUS_SECRETS_DIR,
    SECRETS_DIR_COMMAND,
} from "./prometheusHost";
import { HEADER, type WriteFile, file } from "./types";

/** The monitor's push listener (nginx, private IPv4 only) and the only path it forwards. */
export const METRICS_PUSH_PORT = 9091;
export const METRICS_PUSH_PATH = "/api/v1/write";
/** The one basic-auth user of the push listener. */
export const METRICS_PUSH_USER = "webstack-push";

/** Monitor: nginx's site, the listen include its boot script writes, and the password file (`{PLAIN}` scheme). */
export const PUSH_SITE_PATH = "/etc/nginx/conf.d/webstack-metrics-push.conf";
export const PUSH_LISTEN_PATH = "/etc/nginx/webstack-metrics-push-listen.conf";
export const PUSH_HTPASSWD_PATH = "/etc/nginx/webstack-metrics-push.htpasswd";
export const PUSH_LISTENER_SETUP = "/usr/local/sbin/webstack-metrics-push-setup";

/** Web droplets: the agent's config, its target file (written at boot), its password file and its setup script. */
export const AGENT_CONFIG_PATH = "/etc/prometheus/webstack-agent.yml";
export const AGENT_TARGETS_PATH = "/etc/prometheus/webstack-agent-targets.json";
export const AGENT_PASSWORD_PATH = `${PROMETHEUS_SECRETS_DIR}/metrics-push-password`;
export const AGENT_SETUP = "/usr/local/sbin/webstack-metrics-agent-setup";
export const AGENT_STORAGE_PATH = "/var/lib/prometheus/agent";

/**
 * Debian's and Ubuntu's `prometheus` package recommends `prometheus-node-exporter`, which apt installs by default
 * and which listens on every interface (:9100); tier 1 has no cloud firewall. A negative pin keeps apt from
 * installing it (apt_preferences(5): "P < 0 prevents the version from being installed"). Written before
 * cloud-init installs packages (not deferred: write_files runs in the init stage, packages in the final one).
 */
export const NODE_EXPORTER_PIN_PATH = "/etc/apt/preferences.d/webstack-no-node-exporter";
export function nodeExporterPin(): WriteFile {
    const content = [
        "# Rendered by webstack (components/hostConfig): prometheus recommends the node exporter, which would listen on every interface.",
        "Package: prometheus-node-exporter",
        "Pin: release *",
        "Pin-Priority: -1",
        "",
    ].join("\n");
    return { ...file(NODE_EXPORTER_PIN_PATH, content, "0644"), defer: false };
}

/** What a web droplet pushes to: the monitor's push name (a DNS name, so the template never changes with it). */
export interface MetricsPush {
    /** The DNS name whose A record is the monitor's private IPv4. */
    readonly host: string;
    /** The push user's password (a secret; written 0600). Undefined with `secrets.delivery: manual`. */
    readonly password?: string;
}

/** The URL the agents write to. */
export function pushUrl(host: string): string {
    return `http://${host}:${METRICS_PUSH_PORT}${METRICS_PUSH_PATH}`;
}

/** A password the push listener can hold in `{PLAIN}` form: letters and digits only (no `:` or newline). */
export function pushPasswordProblems(password: string | undefined, path: string): string[] {
    return password === undefined || /^[A-Za-z0-9]{16,128}$/.test(password)
        ? []
        : [`${path}: must be 16 to 128 letters or digits; got a value that is not (value not shown).`];
}

/** The agent's prometheus.yml: scrape the local exporter as job "web", remote-write every sample to the monitor. */
export function renderAgentConfig(push: MetricsPush): string {
    return [
        HEADER,
        "global:",
        "  scrape_interval: 30s",
        "scrape_configs:",
        "  - job_name: web",
        // The target is the droplet's private address, known only on the droplet: the setup script writes it.
        "    file_sd_configs:",
        `      - files: [${AGENT_TARGETS_PATH}]`,
        "remote_write:",
        `  - url: ${pushUrl(push.host)}`,
        "    basic_auth:",
        `      username: ${METRICS_PUSH_USER}`,
        `      password_file: ${AGENT_PASSWORD_PATH}`,
        "",
    ].join("\n");
}

/** The agent's boot script: its target is the exporter on the droplet's private IPv4 (the same instance label as a scrape). */
export function agentSetupScript(): string {
    return [
        "#!/bin/sh",
        HEADER,
        "set -eu",
        "ip=$(curl -fsS --retry 5 http://169.254.169.254/metadata/v1/interfaces/private/0/ipv4/address)",
        `printf '[{"targets": ["%s:${NGINX_EXPORTER_PORT}"]}]\\n' "$ip" > ${AGENT_TARGETS_PATH}`,
        SECRETS_DIR_COMMAND.join(" "),
        "systemctl restart prometheus.service",
        "",
    ].join("\n");
}

/** The cloud-config parts an autoscaled web role adds to push its QPS: the agent package, config, secret and setup. */
export function metricsAgentParts(push: MetricsPush): {
    packages: string[];
    writeFiles: WriteFile[];
    runcmd: string[][];
} {
    const args = [
        "--enable-feature=agent",
        `--config.file=${AGENT_CONFIG_PATH}`,
        `--storage.agent.path=${AGENT_STORAGE_PATH}`,
        `--web.listen-address=${PROMETHEUS_LISTEN}`,
    ];
    return {
        packages: ["prometheus"],
        writeFiles: [
            nodeExporterPin(),
            file(AGENT_CONFIG_PATH, renderAgentConfig(push), "0644"),
            file(PROMETHEUS_DEFAULTS, `${HEADER}\nARGS="${args.join(" ")}"\n`, "0644"),
            ...(push.password !== undefined
                ? [{ ...file(AGENT_PASSWORD_PATH, push.password, "0600"), owner: "prometheus:prometheus" }]
                : []),
            file(AGENT_SETUP, agentSetupScript(), "0700"),
        ],
        runcmd: [[AGENT_SETUP]],
    };
}

/** The monitor's push site: the receiver's one path behind basic auth, everything else 404. */
export function renderPushSite(): string {
    return [
        HEADER,
        "server {",
        // `listen <private IPv4>:9091;`, written at boot: never the public interface (tier 1 has no cloud firewall).
        `    include ${PUSH_LISTEN_PATH};`,
        "    server_name _;",
        "    access_log off;",
        // Remote-write requests are snappy-compressed batches of at most queue_config.max_samples_per_send samples: 8m is headroom.
        "    client_max_body_size 8m;",
        `    location = ${METRICS_PUSH_PATH} {`,
        '        auth_basic "webstack metrics push";',
        `        auth_basic_user_file ${PUSH_HTPASSWD_PATH};`,
        `        proxy_pass http://${PROMETHEUS_LISTEN};`,
        "    }",
        "    location / {",
        "        return 404;",
        "    }",
        "}",
        "",
    ].join("\n");
}

/** The monitor's push listener boot script: bind nginx to the private IPv4, drop the stock site, reload. */
export function pushListenerSetupScript(): string {
    return [
        "#!/bin/sh",
        HEADER,
        "set -eu",
        "ip=$(curl -fsS --retry 5 http://169.254.169.254/metadata/v1/interfaces/private/0/ipv4/address)",
        `printf 'listen %s:${METRICS_PUSH_PORT};\\n' "$ip" > ${PUSH_LISTEN_PATH}`,
        "rm -f /etc/nginx/sites-enabled/default",
        "nginx -t",
        "systemctl restart nginx.service",
        "",
    ].join("\n");
}

/**
 * The cloud-config parts the monitor adds to receive pushes: nginx, its site, the password (nginx's `{PLAIN}`
 * scheme, nginx.org/en/docs/http/ngx_http_auth_basic_module.html; 0640 root:www-data, since nginx's workers read it
 * per request as www-data) and the listener setup. Prometheus itself also needs `--web.enable-remote-write-receiver`.
 */
export function pushListenerParts(password: string | undefined): {
    packages: string[];
    writeFiles: WriteFile[];
    runcmd: string[][];
} {
    return {
        packages: ["nginx"],
        writeFiles: [
            file(PUSH_SITE_PATH, renderPushSite(), "0644"),
            ...(password !== undefined
                ? [
                      {
                          ...file(PUSH_HTPASSWD_PATH, `${METRICS_PUSH_USER}:{PLAIN}${password}\n`, "0600"),
                          owner: "root:www-data",
                          permissions: "0640",
                      },
                  ]
                : []),
            file(PUSH_LISTENER_SETUP, pushListenerSetupScript(), "0700"),
        ],
        runcmd: [[PUSH_LISTENER_SETUP]],
    };
}
