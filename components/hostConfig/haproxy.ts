// Pure renderer of /etc/haproxy/haproxy.cfg for the self-managed load balancer engine.
// No Pulumi, no I/O: options in, text out.
import { HOST_PATTERN, checkHealthPath, checkHost, checkPort, formatProblems } from "./checks";
import { HEALTH_CHECK_PATH, type Endpoint } from "./types";

export const HAPROXY_CONFIG_PATH = "/etc/haproxy/haproxy.cfg";
/** HAProxy loads every PEM (chain + key) in this directory; the certbot deploy hook writes `<domain>.pem` here. */
export const HAPROXY_CERT_DIR = "/etc/haproxy/certs";
/** certbot's standalone HTTP-01 server listens here on loopback; HAProxy keeps port 80 and routes challenges to it. */
export const ACME_HTTP01_PORT = 8888;

/** Server slots the web backend keeps for run-time discovery: a full replacement of 50 web droplets (old and new
 *  answer the name together until the update's deletes). A constant, so resizing the pool never rewrites this file. */
export const WEB_POOL_SLOTS = 100;
/**
 * Slots for the ACME peers: every HAProxy droplet of the stack, old and new during a replacement. With Let's Encrypt
 * `loadBalancer.count` is at most LIMITS.haproxyLetsEncrypt.max (5: settings/limits.ts), so 10. A challenge is asked
 * of at most this many peers: one try and ACME_PEER_SLOTS - 1 retries, each on another server.
 */
export const ACME_PEER_SLOTS = 10;
/**
 * The request header a peer sets when it forwards an ACME challenge, so the receiver asks its own certbot. Trusted
 * only from the VPC (`acmePeers.trustedFrom`): from anywhere else HAProxy deletes it before routing.
 */
export const ACME_PEER_HEADER = "X-Webstack-Acme-Peer";
/**
 * An HTTP-01 challenge path: the token "MUST have at least 128 bits of entropy. It MUST NOT contain any characters
 * outside the base64url alphabet" (RFC 8555 §8.3; §8.1 for the path), so at least 22 characters of [A-Za-z0-9_-].
 * Only such paths are asked of the peers; any other path under the prefix is answered by the local certbot alone.
 * "[.]" rather than a backslash, which HAProxy's configuration parser treats as an escape character.
 */
const ACME_TOKEN_PATH = "^/[.]well-known/acme-challenge/[A-Za-z0-9_-]{22,}$";

export interface HaproxyConfigOptions {
    /** Web servers to balance over (private addresses and the nginx port), 1 to 100; or `webPool` instead. A fixed
     *  list is in the user data, so every web-pool change replaces the HAProxy droplets. */
    readonly backends?: readonly Endpoint[];
    /**
     * Run-time discovery of the web pool instead of `backends`: HAProxy resolves `name` (A records: the web droplets'
     * private IPv4 addresses) through the droplet's resolver and fills up to WEB_POOL_SLOTS servers on `port`, so a
     * web-pool change edits DNS records and leaves the HAProxy droplets alone.
     */
    readonly webPool?: { readonly name: string; readonly port: number };
    /**
     * With `tls`: the DNS name whose A records are every HAProxy droplet's private IPv4 address. An ACME HTTP-01
     * challenge reaches whichever droplet DNS sent Let's Encrypt to, not necessarily the one that ordered the
     * certificate, so each droplet asks its peers in turn (HTTP on port 80, marked with ACME_PEER_HEADER) until one
     * answers other than 404; a marked request from `trustedFrom` (the VPC's range, where the peers' requests come
     * from) is answered by the local certbot. Without it challenges go to the local certbot only. `trustedFrom`
     * defaults to the private ranges of RFC 1918, which hold every DigitalOcean VPC and which no client on the
     * internet can complete a TCP handshake from. @default undefined
     */
    readonly acmePeers?: { readonly name: string; readonly trustedFrom?: string };
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
 * which go to certbot on 127.0.0.1:8888, or with `acmePeers` to whichever peer holds the token), one HTTPS frontend
 * on 443 when `tls`, and one backend health-checking every web server (listed, or discovered from DNS with `webPool`)
 * with `GET <healthPath>` through its nginx to the app. Throws one Error listing every invalid option.
 */
export function renderHaproxyConfig(opts: HaproxyConfigOptions): string {
    const problems = haproxyConfigProblems(opts);
    if (problems.length > 0) {
        throw new Error(`Invalid HAProxy options:\n${formatProblems(problems)}`);
    }
    const certDir = opts.certDir ?? HAPROXY_CERT_DIR;
    const discovery = opts.webPool !== undefined || (opts.tls && opts.acmePeers !== undefined);
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
        `    timeout check ${CHECK.timeout}`,
        "",
        "frontend http",
        "    bind :80",
        // A request from the internet that claims to come from a peer would be answered by this droplet's certbot
        // alone; only the peers in the VPC may say so.
        ...(opts.tls && opts.acmePeers
            ? [
                  `    http-request del-header ${ACME_PEER_HEADER} unless { src ${opts.acmePeers.trustedFrom ?? PRIVATE_RANGES.join(" ")} }`,
              ]
            : []),
        "    http-request set-header X-Forwarded-Proto http",
        ...(opts.tls
            ? [
                  "    acl acme_challenge path_beg /.well-known/acme-challenge/",
                  "    http-request redirect scheme https code 301 unless acme_challenge",
                  ...(opts.acmePeers
                      ? [
                            `    acl acme_from_peer req.hdr(${ACME_PEER_HEADER}) -m found`,
                            `    acl acme_token path_reg ${ACME_TOKEN_PATH}`,
                            "    use_backend acme if acme_challenge acme_from_peer",
                            "    use_backend acme_peers if acme_token",
                        ]
                      : []),
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
        ...(discovery ? resolversSection() : []),
        "backend web",
        `    balance ${opts.algorithm}`,
        `    option httpchk GET ${opts.healthPath ?? HEALTH_CHECK_PATH}`,
        `    http-check send hdr Host ${opts.domain}`,
        // What DigitalOcean's load balancers accept: "a status code response in the range of 200 to 399"
        // (docs.digitalocean.com/glossary/health-check/), so an app answering 204 or 301 is healthy behind either engine.
        "    http-check expect rstatus ^[23]",
        ...(opts.webPool
            ? [
                  // A droplet that stops answering (deleted while DNS still lists it) costs no request: a failed
                  // connection is retried once on another server.
                  "    retry-on conn-failure",
                  "    retries 1",
                  "    option redispatch 1",
                  `    default-server check inter ${CHECK.inter} fall ${CHECK.fall} rise ${CHECK.rise} ${DISCOVERED}`,
                  `    server-template web ${WEB_POOL_SLOTS} ${opts.webPool.name}:${opts.webPool.port}`,
              ]
            : [
                  `    default-server check inter ${CHECK.inter} fall ${CHECK.fall} rise ${CHECK.rise}`,
                  ...(opts.backends ?? []).map((b, i) => `    server web-${i} ${b.host}:${b.port}`),
              ]),
        ...(opts.tls
            ? [
                  "",
                  "backend acme",
                  // A peer asked for a token it does not hold, with no certbot running, answers 503 at once instead of
                  // retrying its own refused connection (each retry on the same server waits a second).
                  ...(opts.acmePeers ? ["    retries 0"] : []),
                  `    server certbot 127.0.0.1:${ACME_HTTP01_PORT}`,
              ]
            : []),
        ...(opts.tls && opts.acmePeers
            ? [
                  "",
                  "backend acme_peers",
                  "    balance roundrobin",
                  `    http-request set-header ${ACME_PEER_HEADER} 1`,
                  // The peer without the token answers 404 (or 503 while its certbot is not running): ask the next
                  // one, a different server on every retry, at most once per slot, so one request from the internet
                  // costs at most ACME_PEER_SLOTS requests inside the VPC. Peers are in the same VPC: a second to
                  // connect is plenty, and a peer that is gone costs no more.
                  "    retry-on conn-failure empty-response 404 503",
                  `    retries ${ACME_PEER_SLOTS - 1}`,
                  "    option redispatch 1",
                  "    timeout connect 1s",
                  `    default-server ${DISCOVERED}`,
                  `    server-template peer ${ACME_PEER_SLOTS} ${opts.acmePeers.name}:80`,
              ]
            : []),
    ];
    return `${lines.join("\n")}\n`;
}

/** RFC 1918 §3. */
const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"];
const IPV4_CIDR = /^(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\/(?:3[0-2]|[12]?\d)$/;

/** The web backend's check: every 5 s, 5 s to answer, 3 failures take a server out, 2 passes bring it back. */
export const CHECK = { inter: "5s", timeout: "5s", fall: 3, rise: 2 } as const;
/** Servers filled from DNS start without an address (and so in maintenance) until the first answer. */
const DISCOVERED = "resolvers webstack resolve-prefer ipv4 init-addr none";

/**
 * The droplet's resolver (Ubuntu: systemd-resolved's stub, which caches answers for the records' TTL), asked every
 * second. An answer is used for 10 s; when the resolver fails (times out, refuses, errs, or says the name is gone) the
 * last good answer is kept for an hour, so a DNS outage never empties the web backend. EDNS0 answers up to 8 KB carry
 * WEB_POOL_SLOTS A records (16 bytes each) without truncation.
 */
function resolversSection(): string[] {
    return [
        "resolvers webstack",
        "    parse-resolv-conf",
        "    accepted_payload_size 8192",
        "    resolve_retries 3",
        "    timeout resolve 1s",
        "    timeout retry 1s",
        "    hold valid 10s",
        "    hold other 1h",
        "    hold refused 1h",
        "    hold nx 1h",
        "    hold timeout 1h",
        "",
    ];
}

/** Every problem with `opts`, as `path: message; got "value".` lines (empty when valid). */
export function haproxyConfigProblems(opts: HaproxyConfigOptions): string[] {
    const problems: string[] = [];
    if (opts.webPool !== undefined) {
        if (opts.backends !== undefined)
            problems.push(`webPool: the web servers are either listed (backends) or discovered (webPool); got both.`);
        checkHost(problems, "webPool.name", opts.webPool?.name);
        checkPort(problems, "webPool.port", opts.webPool?.port);
    } else if (!Array.isArray(opts.backends) || opts.backends.length < 1 || opts.backends.length > 100) {
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
    if (opts.acmePeers !== undefined) {
        checkHost(problems, "acmePeers.name", opts.acmePeers?.name);
        const from = opts.acmePeers?.trustedFrom;
        if (from !== undefined && (typeof from !== "string" || !IPV4_CIDR.test(from)))
            problems.push(
                `acmePeers.trustedFrom: must be an IPv4 range such as "10.10.0.0/20"; got "${String(opts.acmePeers?.trustedFrom)}".`,
            );
        if (opts.tls !== true)
            problems.push(`acmePeers: ACME challenges exist only with tls true; got tls "${String(opts.tls)}".`);
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
