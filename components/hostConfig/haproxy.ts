// Pure renderer of /etc/haproxy/haproxy.cfg for the self-managed load balancer engine.
// No Pulumi, no I/O: options in, text out.
import { HOST_PATTERN, checkHealthPath, checkHost, checkPort, formatProblems } from "./checks";
import { HEALTH_CHECK_PATH, type Endpoint } from "./types";

export const HAPROXY_CONFIG_PATH = "/etc/haproxy/haproxy.cfg";
/** HAProxy loads every PEM (chain + key) in this directory; the certbot deploy hook writes `<domain>.pem` here. */
export const HAPROXY_CERT_DIR = "/etc/haproxy/certs";
/** certbot's standalone HTTP-01 server listens here on loopback; HAProxy keeps port 80 and routes challenges to it. */
export const ACME_HTTP01_PORT = 8888;

export interface HaproxyConfigOptions {
    /** Web servers to balance over (private addresses and the nginx port); at least one, at most 100. */
    readonly backends: readonly Endpoint[];
    /** `roundrobin` spreads requests evenly; `leastconn` prefers the server with the fewest open connections. */
    readonly algorithm: "roundrobin" | "leastconn";
    /** true: terminate TLS on 443 with the certificates in `certDir` and redirect HTTP to HTTPS (except ACME
     *  challenges); false: plain HTTP on 80 only. */
    readonly tls: boolean;
    /** The public name the certificate is issued for; also sent to backends in health checks. */
    readonly domain: string;
    /** Directory of PEM files for `bind ... ssl crt`; must hold at least one certificate when `tls` is true.
     *  @default "/etc/haproxy/certs" */
    readonly certDir?: string;
    /** The app's health path, checked through each web server's nginx (which proxies it to the app).
     *  @default "/healthz" */
    readonly healthPath?: string;
}

/**
 * Renders haproxy.cfg: one HTTP frontend on 80 (redirecting to HTTPS when `tls`, except ACME HTTP-01 challenges,
 * which go to certbot on 127.0.0.1:8888), one HTTPS frontend on 443 when `tls`, and one backend health-checking
 * every server with `GET <healthPath>` through its nginx to the app. Throws one Error listing every invalid option.
 */
export function renderHaproxyConfig(opts: HaproxyConfigOptions): string {
    const problems = haproxyConfigProblems(opts);
    if (problems.length > 0) {
        throw new Error(`Invalid HAProxy options:\n${formatProblems(problems)}`);
    }
    const certDir = opts.certDir ?? HAPROXY_CERT_DIR;
    const lines = [
        "# Rendered by webstack (components/hostConfig/haproxy.ts). Changes are overwritten on the next rebuild.",
        "global",
        "    log /dev/log local0",
        "    log /dev/log local1 notice",
        "    chroot /var/lib/haproxy",
        "    stats socket /run/haproxy/admin.sock mode 660 level admin",
        "    stats timeout 30s",
        "    user haproxy",
        "    group haproxy",
        "    daemon",
        "    maxconn 20000",
        // Mozilla "intermediate" profile: TLS 1.2 with AEAD ciphers only, and TLS 1.3.
        "    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
        "    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
        "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
        "",
        "defaults",
        "    log global",
        "    mode http",
        "    option httplog",
        "    option dontlognull",
        "    option forwardfor",
        "    timeout connect 5s",
        "    timeout client 60s",
        "    timeout server 60s",
        "    timeout http-request 10s",
        "    timeout http-keep-alive 10s",
        "    timeout queue 30s",
        "    timeout check 5s",
        "",
        "frontend http",
        "    bind :80",
        "    http-request set-header X-Forwarded-Proto http",
        ...(opts.tls
            ? [
                  "    acl acme_challenge path_beg /.well-known/acme-challenge/",
                  "    http-request redirect scheme https code 301 unless acme_challenge",
                  "    use_backend acme if acme_challenge",
              ]
            : []),
        "    default_backend web",
        "",
        ...(opts.tls
            ? [
                  "frontend https",
                  `    bind :443 ssl crt ${certDir} alpn h2,http/1.1`,
                  "    http-request set-header X-Forwarded-Proto https",
                  '    http-response set-header Strict-Transport-Security "max-age=31536000"',
                  "    default_backend web",
                  "",
              ]
            : []),
        "backend web",
        `    balance ${opts.algorithm}`,
        `    option httpchk GET ${opts.healthPath ?? HEALTH_CHECK_PATH}`,
        `    http-check send hdr Host ${opts.domain}`,
        "    http-check expect status 200",
        "    default-server check inter 5s fall 3 rise 2",
        ...opts.backends.map((b, i) => `    server web-${i} ${b.host}:${b.port}`),
        ...(opts.tls ? ["", "backend acme", `    server certbot 127.0.0.1:${ACME_HTTP01_PORT}`] : []),
    ];
    return `${lines.join("\n")}\n`;
}

/** Every problem with `opts`, as `path: message; got "value".` lines (empty when valid). */
export function haproxyConfigProblems(opts: HaproxyConfigOptions): string[] {
    const problems: string[] = [];
    if (!Array.isArray(opts.backends) || opts.backends.length < 1 || opts.backends.length > 100) {
        const got = Array.isArray(opts.backends) ? `${opts.backends.length} backends` : String(opts.backends);
        problems.push(`backends: must list 1 to 100 web servers; got "${got}".`);
    } else {
        opts.backends.forEach((b, i) => {
            checkHost(problems, `backends[${i}].host`, b?.host);
            checkPort(problems, `backends[${i}].port`, b?.port);
        });
    }
    if (opts.algorithm !== "roundrobin" && opts.algorithm !== "leastconn") {
        problems.push(`algorithm: expected "roundrobin" or "leastconn"; got "${String(opts.algorithm)}".`);
    }
    if (typeof opts.tls !== "boolean") {
        problems.push(`tls: must be true or false; got "${String(opts.tls)}".`);
    }
    if (typeof opts.domain !== "string" || !HOST_PATTERN.test(opts.domain) || !opts.domain.includes(".")) {
        problems.push(
            `domain: must be a fully qualified DNS name such as "www.example.com"; got "${String(opts.domain)}".`,
        );
    }
    if (opts.healthPath !== undefined) checkHealthPath(problems, "healthPath", opts.healthPath);
    if (
        opts.certDir !== undefined &&
        (typeof opts.certDir !== "string" || !/^\/[A-Za-z0-9._\/-]*$/.test(opts.certDir))
    ) {
        problems.push(`certDir: must be an absolute path without spaces; got "${String(opts.certDir)}".`);
    }
    return problems;
}
