// Pure renderers of the log shipping every droplet role runs from tier 2: rsyslog with its
// Elasticsearch/OpenSearch output (omelasticsearch) sends the host's journal/syslog stream, nginx's JSON access log
// and error log, HAProxy's log and the app container's output to DigitalOcean Managed OpenSearch.
//
// Why rsyslog: it is preinstalled on Ubuntu, its OpenSearch output is the distribution package
// `rsyslog-elasticsearch` (Debian/Ubuntu archive, no third-party apt repository to trust), and `rsyslogd -N1`
// checks the generated config offline (test/components/hostConfig/logShipping.spec.ts). Fluent Bit would need
// a third-party apt repository, packages.fluentbit.io (docs.fluentbit.io/manual/installation/linux/ubuntu).
//
// The OpenSearch password is never in the rsyslog config: `pwd` is rsyslog's backtick constant
// `` `cat FILE` `` (rsyslog "Backticks" in constant strings, rsyslog >= 8.33; checked with 8.2302), read once
// at start, as root, from a root-only file that cloud-init writes from the (Pulumi-secret) user data.
import { checkHost, checkPort } from "./checks";
import { HEADER, type WriteFile, file } from "./types";

/** Where the shipper's OpenSearch credential lives on the host (0600 root; the password only, no newline). */
export const SHIPPER_PASSWORD_PATH = "/etc/webstack/secrets/log-shipper-password";
/** The CA certificate of the OpenSearch cluster (public; from the cluster's CA, `getDatabaseCa`). */
export const SHIPPER_CA_PATH = "/etc/webstack/opensearch-ca.crt";
/**
 * The rsyslog drop-in. "40-" sorts before Debian/Ubuntu haproxy's `49-haproxy.conf`, which writes HAProxy's
 * messages to /var/log/haproxy.log and then stops processing them: a later action would never see them.
 */
export const RSYSLOG_SHIPPER_PATH = "/etc/rsyslog.d/40-webstack-opensearch.conf";
/** nginx's JSON access log and stub_status (http context; Ubuntu's nginx.conf includes conf.d/*.conf in `http {}`). */
export const NGINX_LOGGING_PATH = "/etc/nginx/conf.d/webstack-logging.conf";
/** Named *.log so Debian/Ubuntu's /etc/logrotate.d/nginx rotates it; imfile follows the rotation. */
export const NGINX_JSON_ACCESS_LOG = "/var/log/nginx/access-json.log";
export const NGINX_ERROR_LOG = "/var/log/nginx/error.log";
/**
 * nginx stub_status on loopback for the QPS exporter. 61080 is above Linux's ephemeral port range
 * (32768-60999) and far from the app's usual ports.
 */
export const NGINX_STATUS_PORT = 61080;
export const NGINX_STATUS_PATH = "/stub_status";
/** Every index the shippers and the database log sinks write starts with this (the writer user's ACL). */
export const LOG_INDEX_PREFIX = "logs-";

/** Where and as whom the shipper writes. */
export interface LogShipping {
    /** OpenSearch host (the cluster's private host in the VPC). */
    readonly host: string;
    /** OpenSearch HTTPS port (25060 on DigitalOcean). */
    readonly port: number;
    /** OpenSearch user allowed to write the `logs-*` indices. */
    readonly user: string;
    /**
     * The user's password: written to SHIPPER_PASSWORD_PATH (0600); the user data carrying it must be a secret.
     * Undefined with `secrets.delivery: manual`: an operator copies it there, as the app's secrets file.
     */
    readonly password?: string;
    /** PEM CA of the cluster; undefined to trust the system bundle. */
    readonly caCertificate?: string;
    /** false only for the loopback test's plain-HTTP stand-in. @default true */
    readonly https?: boolean;
}

/** What a host role produces: nginx logs (web roles) and/or everything else through syslog. */
export type ShippedRole = "web" | "app" | "web-and-app" | "all-in-one" | "haproxy" | "monitor";

const servesNginx = (role: ShippedRole) => role !== "app" && role !== "haproxy" && role !== "monitor";

/** Every problem with `logs`, as `path: message; got "value".` lines (empty when valid). */
export function logShippingProblems(logs: LogShipping): string[] {
    const problems: string[] = [];
    checkHost(problems, "logs.host", logs?.host);
    checkPort(problems, "logs.port", logs?.port);
    if (typeof logs?.user !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(logs.user)) {
        problems.push(`logs.user: must be 1 to 64 letters, digits, "_" or "-"; got "${String(logs?.user)}".`);
    }
    // Shown by type only: it is a secret.
    if (
        logs?.password !== undefined &&
        (typeof logs.password !== "string" || logs.password === "" || /[\s`"\\]/.test(logs.password))
    ) {
        problems.push(
            `logs.password: must be non-empty text without whitespace, quotes, backticks or backslashes; got a value of type ${typeof logs?.password}.`,
        );
    }
    return problems;
}

/** The nginx http-context file: the JSON access log format, its log file, and stub_status on loopback. */
export function renderNginxLogging(): string {
    // escape=json makes every variable a valid JSON string body; numbers nginx always prints ($status,
    // $body_bytes_sent, $request_time) stay unquoted. $upstream_response_time may be "-" or "0.010, 0.002"
    // (retries), so it is a string. The load balancer sets X-Forwarded-For (DigitalOcean docs, load balancer
    // features); without one (tier 0) the client is $remote_addr.
    const fields = [
        `"time":"$time_iso8601"`,
        `"client":"$webstack_client"`,
        `"remote_addr":"$remote_addr"`,
        `"x_forwarded_for":"$http_x_forwarded_for"`,
        `"method":"$request_method"`,
        `"uri":"$request_uri"`,
        `"protocol":"$server_protocol"`,
        `"status":$status`,
        `"bytes_sent":$body_bytes_sent`,
        `"request_time":$request_time`,
        `"upstream_response_time":"$upstream_response_time"`,
        `"upstream_status":"$upstream_status"`,
        `"host":"$host"`,
        `"referer":"$http_referer"`,
        `"user_agent":"$http_user_agent"`,
    ];
    return [
        HEADER,
        "map $http_x_forwarded_for $webstack_client {",
        '    ""      $remote_addr;',
        "    default $http_x_forwarded_for;",
        "}",
        `log_format webstack_json escape=json '{${fields.join(",")}}';`,
        `access_log ${NGINX_JSON_ACCESS_LOG} webstack_json;`,
        "",
        "# Requests per second for the QPS exporter (prometheus-nginx-exporter); loopback only.",
        "server {",
        `    listen 127.0.0.1:${NGINX_STATUS_PORT};`,
        "    access_log off;",
        `    location = ${NGINX_STATUS_PATH} {`,
        "        stub_status;",
        "        allow 127.0.0.1;",
        "        deny all;",
        "    }",
        "}",
        "",
    ].join("\n");
}

/** rsyslog's `"…"` string with the characters its parser treats specially escaped. */
const rs = (text: string) => text.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

/**
 * The rsyslog drop-in for `role`: everything rsyslog receives from the journal and /dev/log (sshd, cloud-init,
 * the app container's output through its systemd unit, HAProxy's `log /dev/log`) plus, on nginx roles, the JSON
 * access log (sent as a nested object, so status and timings are fields) and the error log, into daily indices
 * `logs-<role>-YYYY-MM-DD`. Disk-assisted queues keep logs through an OpenSearch outage; bulk mode batches.
 */
export function renderRsyslogShipper(role: ShippedRole, logs: LogShipping): string {
    const index = `${LOG_INDEX_PREFIX}${role}`;
    const https = logs.https !== false;
    const action = (queue: string, template: string, searchIndex: string) =>
        [
            'action(type="omelasticsearch"',
            `       server="${rs(logs.host)}" serverport="${logs.port}" usehttps="${https ? "on" : "off"}"`,
            ...(https && logs.caCertificate ? [`       tls.cacert="${SHIPPER_CA_PATH}"`] : []),
            `       uid="${rs(logs.user)}" pwd=\`cat ${SHIPPER_PASSWORD_PATH}\``,
            `       template="${template}" searchIndex="${searchIndex}" dynSearchIndex="on"`,
            // OpenSearch 2 rejects mapping types in bulk requests; rsyslog before 8.2510 sends `_type` unless told
            // the server is version 8+ (rsyslog docs, omelasticsearch esVersion.major). Ubuntu 24.04 ships 8.2312.
            '       esVersion.major="8" bulkmode="on" maxbytes="1m"',
            `       queue.type="LinkedList" queue.filename="${queue}" queue.maxDiskSpace="256m" queue.saveOnShutdown="on"`,
            '       action.resumeRetryCount="-1" action.resumeInterval="10")',
        ].join("\n");
    const lines = [
        HEADER,
        'module(load="omelasticsearch")',
        "",
        `template(name="webstack_index_${role}" type="string" string="${index}-%timereported:1:10:date-rfc3339%")`,
        'template(name="webstack_syslog_doc" type="string"',
        `         string="{\\"@timestamp\\":\\"%timereported:::date-rfc3339%\\",\\"host\\":\\"%hostname:::json%\\",\\"role\\":\\"${role}\\",\\"log\\":\\"syslog\\",\\"program\\":\\"%programname:::json%\\",\\"severity\\":\\"%syslogseverity-text%\\",\\"facility\\":\\"%syslogfacility-text%\\",\\"message\\":\\"%msg:::json%\\"}")`,
        "",
        "# The journal and /dev/log (default ruleset); rsyslog's own files under /var/log are written as before.",
        action("webstack_syslog", "webstack_syslog_doc", `webstack_index_${role}`),
    ];
    if (servesNginx(role)) {
        lines.push(
            "",
            'module(load="imfile")',
            // nginx writes each access entry as one JSON object (NGINX_LOGGING_PATH): embedded as is, not quoted.
            'template(name="webstack_access_doc" type="string"',
            `         string="{\\"@timestamp\\":\\"%timereported:::date-rfc3339%\\",\\"host\\":\\"%hostname:::json%\\",\\"role\\":\\"${role}\\",\\"log\\":\\"nginx-access\\",\\"nginx\\":%msg%}")`,
            'template(name="webstack_file_doc" type="string"',
            `         string="{\\"@timestamp\\":\\"%timereported:::date-rfc3339%\\",\\"host\\":\\"%hostname:::json%\\",\\"role\\":\\"${role}\\",\\"log\\":\\"%syslogtag:::json%\\",\\"message\\":\\"%msg:::json%\\"}")`,
            `input(type="imfile" File="${NGINX_JSON_ACCESS_LOG}" Tag="nginx-access" ruleset="webstack_nginx_access")`,
            `input(type="imfile" File="${NGINX_ERROR_LOG}" Tag="nginx-error" ruleset="webstack_nginx_error")`,
            'ruleset(name="webstack_nginx_access") {',
            action("webstack_access", "webstack_access_doc", `webstack_index_${role}`),
            "}",
            'ruleset(name="webstack_nginx_error") {',
            action("webstack_error", "webstack_file_doc", `webstack_index_${role}`),
            "}",
        );
    }
    return `${lines.join("\n")}\n`;
}

/** The cloud-config parts a role's shipping adds: packages, files (the password 0600) and commands. */
export function logShippingParts(
    role: ShippedRole,
    logs: LogShipping,
): { packages: string[]; writeFiles: WriteFile[]; runcmd: string[][] } {
    const writeFiles = [
        ...(logs.password !== undefined ? [file(SHIPPER_PASSWORD_PATH, logs.password, "0600")] : []),
        ...(logs.caCertificate ? [file(SHIPPER_CA_PATH, logs.caCertificate, "0644")] : []),
        file(RSYSLOG_SHIPPER_PATH, renderRsyslogShipper(role, logs), "0644"),
        ...(servesNginx(role) ? [file(NGINX_LOGGING_PATH, renderNginxLogging(), "0644")] : []),
    ];
    return {
        packages: ["rsyslog", "rsyslog-elasticsearch"],
        writeFiles,
        // rsyslog read its stock config before write_files ran; restart it on ours.
        runcmd: [["systemctl", "restart", "rsyslog.service"]],
    };
}
