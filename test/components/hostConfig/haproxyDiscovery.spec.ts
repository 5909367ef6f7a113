// HAProxy that finds the web pool and its ACME peers in DNS at run time (so web-pool changes stop replacing the HAProxy
// droplets, and a challenge is answered whichever droplet Let's Encrypt reaches), and that accepts 2xx/3xx as healthy.
// Rendered text, `haproxy -c`, then the real HAProxy 2.6 against a loopback DNS stub.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import {
    ACME_PEER_SLOTS,
    type HaproxyConfigOptions,
    WEB_POOL_SLOTS,
    haproxyConfigProblems,
    renderHaproxyConfig,
} from "../../../components/hostConfig/haproxy";
import { type DnsStub, startDnsStub } from "../../support/dnsStub";
import { eventually, freePort, haproxyCheck, requireTool, selfSignedPem, tempDir } from "../../support/hostTools";
import { Processes, loopbackHaproxy, request, startHaproxy } from "../../support/loopback";

const DOMAIN = "example.test";
const WEB_NAME = `webstack-metrics-web.${DOMAIN}`;
const PEERS_NAME = `webstack-lb-peers.${DOMAIN}`;
const DISCOVERED: HaproxyConfigOptions = {
    webPool: { name: WEB_NAME, port: 80 },
    acmePeers: { name: PEERS_NAME },
    algorithm: "roundrobin",
    tls: true,
    domain: DOMAIN,
};

/** The lines of the section `header` (a top-level HAProxy section), trimmed. */
function section(text: string, header: string): string[] {
    const lines = text.split("\n");
    const start = lines.indexOf(header);
    assert.ok(start >= 0, `no section "${header}" in:\n${text}`);
    const body: string[] = [];
    for (const line of lines.slice(start + 1)) {
        if (line === "" || !line.startsWith(" ")) break;
        body.push(line.trim());
    }
    return body;
}

describe("renderHaproxyConfig with run-time discovery", () => {
    const config = renderHaproxyConfig(DISCOVERED);

    it("fills the web backend from DNS, checks 2xx/3xx as healthy, and retries a refused connection elsewhere", () => {
        assert.deepEqual(section(config, "backend web"), [
            "balance roundrobin",
            "option httpchk GET /healthz",
            `http-check send hdr Host ${DOMAIN}`,
            "http-check expect rstatus ^[23]",
            "retry-on conn-failure",
            "retries 1",
            "option redispatch 1",
            "default-server check inter 5s fall 3 rise 2 resolvers webstack resolve-prefer ipv4 init-addr none",
            `server-template web ${WEB_POOL_SLOTS} ${WEB_NAME}:80`,
        ]);
        assert.equal(WEB_POOL_SLOTS, 100);
    });

    it("keeps the last good DNS answer for an hour when the resolver fails", () => {
        assert.deepEqual(section(config, "resolvers webstack"), [
            "parse-resolv-conf",
            "accepted_payload_size 8192",
            "resolve_retries 3",
            "timeout resolve 1s",
            "timeout retry 1s",
            "hold valid 10s",
            "hold other 1h",
            "hold refused 1h",
            "hold nx 1h",
            "hold timeout 1h",
        ]);
    });

    it("sends ACME challenges to the peers in turn, and a peer's forwarded challenge to the local certbot", () => {
        assert.deepEqual(section(config, "frontend http"), [
            "bind :80",
            "http-request set-header X-Forwarded-Proto http",
            "acl acme_challenge path_beg /.well-known/acme-challenge/",
            "http-request redirect scheme https code 301 unless acme_challenge",
            "acl acme_from_peer req.hdr(X-Webstack-Acme-Peer) -m found",
            "use_backend acme if acme_challenge acme_from_peer",
            "use_backend acme_peers if acme_challenge",
            "default_backend web",
        ]);
        assert.deepEqual(section(config, "backend acme"), ["retries 0", "server certbot 127.0.0.1:8888"]);
        assert.deepEqual(section(config, "backend acme_peers"), [
            "balance roundrobin",
            "http-request set-header X-Webstack-Acme-Peer 1",
            "retry-on conn-failure empty-response 404 503",
            `retries ${ACME_PEER_SLOTS}`,
            "option redispatch 1",
            "default-server resolvers webstack resolve-prefer ipv4 init-addr none",
            `server-template peer ${ACME_PEER_SLOTS} ${PEERS_NAME}:80`,
        ]);
    });

    it("renders the same text whatever the web pool's size: resizing it never rewrites the file", () => {
        assert.equal(renderHaproxyConfig({ ...DISCOVERED }), config);
        assert.doesNotMatch(config, /server web-\d/);
    });

    it("passes haproxy -c", function () {
        const haproxy = requireTool(this, "haproxy");
        const openssl = requireTool(this, "openssl");
        const result = haproxyCheck(haproxy, openssl, DOMAIN, (certDir) =>
            renderHaproxyConfig({ ...DISCOVERED, certDir }),
        );
        assert.equal(result.status, 0, result.output);
        assert.doesNotMatch(result.output, /WARNING|ALERT/);
    });

    it("refuses listed and discovered web servers together, and ACME peers without TLS", () => {
        assert.deepEqual(
            haproxyConfigProblems({ ...DISCOVERED, tls: false, backends: [{ host: "10.0.0.2", port: 80 }] }),
            [
                "webPool: the web servers are either listed (backends) or discovered (webPool); got both.",
                'acmePeers: ACME challenges exist only with tls true; got tls "false".',
            ],
        );
        assert.deepEqual(haproxyConfigProblems({ ...DISCOVERED, webPool: { name: "a b", port: 0 } }), [
            'webPool.name: must be an IPv4 address or a DNS name; got "a b".',
            'webPool.port: must be an integer from 1 to 65535; got "0".',
        ]);
    });
});

describe("HAProxy discovery on loopback (real HAProxy, a DNS stub)", function () {
    this.timeout(30000);
    const procs = new Processes();
    let dns: DnsStub;
    let remove = () => undefined as void;
    let dir: string;
    let certDir: string;
    let webPort: number;

    before(async function () {
        requireTool(this, "haproxy");
        const openssl = requireTool(this, "openssl");
        const tmp = tempDir("haproxy-discovery");
        remove = tmp.remove;
        dir = tmp.dir;
        certDir = path.join(dir, "certs");
        fs.mkdirSync(certDir, { mode: 0o700 });
        fs.writeFileSync(path.join(certDir, `${DOMAIN}.pem`), selfSignedPem(openssl, dir, DOMAIN), { mode: 0o600 });
        dns = await startDnsStub();
        webPort = await freePort();
    });

    after(async () => {
        await procs.stopAll();
        await dns?.close();
        remove();
    });

    /** A web server stand-in on its own loopback address; its health answers `healthStatus`. */
    async function web(host: string, healthStatus: number): Promise<http.Server> {
        const server = procs.track(
            http.createServer((req, res) => {
                res.statusCode = req.url === "/healthz" ? healthStatus : 200;
                res.end(host);
            }),
        );
        await new Promise<void>((r) => server.listen(webPort, host, () => r()));
        return server;
    }

    it("serves from the droplets DNS lists, follows the records, and counts a 204 health answer as healthy", async function () {
        const haproxy = requireTool(this, "haproxy");
        await web("127.0.0.31", 200);
        await web("127.0.0.32", 204);
        dns.set(WEB_NAME, ["127.0.0.31"]);
        const port = await freePort();
        const cfg = loopbackHaproxy(
            renderHaproxyConfig({
                ...DISCOVERED,
                acmePeers: undefined,
                tls: false,
                webPool: { name: WEB_NAME, port: webPort },
            }),
            {
                http: `127.0.0.1:${port}`,
                dnsPort: dns.port,
                check: { inter: "100ms", fall: 2, rise: 2 },
            },
        );
        await startHaproxy(procs, haproxy, dir, "discovery", cfg, { host: "127.0.0.1", port });
        const servedBy = async () => {
            const hosts = new Set<string>();
            for (let i = 0; i < 8; i++) hosts.add((await request({ host: "127.0.0.1", port }, "/", DOMAIN)).body);
            return [...hosts].sort();
        };
        await eventually("the first web server serves", async () => (await servedBy()).join() === "127.0.0.31");
        dns.set(WEB_NAME, ["127.0.0.31", "127.0.0.32"]);
        await eventually(
            "a new record adds a server (whose health answers 204)",
            async () => (await servedBy()).join() === "127.0.0.31,127.0.0.32",
        );
        dns.set(WEB_NAME, ["127.0.0.32"]);
        await eventually(
            "a removed record takes its server out",
            async () => (await servedBy()).join() === "127.0.0.32",
        );
    });

    it("answers an ACME challenge whichever peer Let's Encrypt reaches: the peer holding the token answers", async function () {
        const haproxy = requireTool(this, "haproxy");
        const peerPort = await freePort();
        // Peer B's certbot holds the token; peer A's certbot is not running.
        const certbotB = await freePort();
        const certbotA = await freePort();
        const token = procs.track(
            http.createServer((req, res) => {
                const ok = req.url === "/.well-known/acme-challenge/tok-b";
                res.statusCode = ok ? 200 : 404;
                res.end(ok ? "tok-b.thumbprint" : "");
            }),
        );
        await new Promise<void>((r) => token.listen(certbotB, "127.0.0.1", () => r()));
        dns.set(PEERS_NAME, ["127.0.0.41", "127.0.0.42"]);
        dns.set(WEB_NAME, ["127.0.0.31"]);
        const peer = (host: string, certbot: number, https: number) =>
            loopbackHaproxy(
                renderHaproxyConfig({ ...DISCOVERED, certDir, webPool: { name: WEB_NAME, port: webPort } }),
                {
                    http: `${host}:${peerPort}`,
                    https: `${host}:${https}`,
                    dnsPort: dns.port,
                    acmeLocalPort: certbot,
                    peerPort,
                },
            );
        await startHaproxy(procs, haproxy, dir, "peer-a", peer("127.0.0.41", certbotA, await freePort()), {
            host: "127.0.0.41",
            port: peerPort,
        });
        await startHaproxy(procs, haproxy, dir, "peer-b", peer("127.0.0.42", certbotB, await freePort()), {
            host: "127.0.0.42",
            port: peerPort,
        });
        for (const host of ["127.0.0.41", "127.0.0.42"]) {
            await eventually(`peer ${host} answers the challenge for B's token`, async () => {
                const reply = await request({ host, port: peerPort }, "/.well-known/acme-challenge/tok-b", DOMAIN);
                return reply.status === 200 && reply.body === "tok-b.thumbprint";
            });
        }
        // Once both peers are resolved, every attempt succeeds, whichever peer is asked and whichever it asks first.
        for (let i = 0; i < 6; i++) {
            const host = i % 2 ? "127.0.0.41" : "127.0.0.42";
            const reply = await request({ host, port: peerPort }, "/.well-known/acme-challenge/tok-b", DOMAIN);
            assert.deepEqual([reply.status, reply.body], [200, "tok-b.thumbprint"], `attempt ${i} at ${host}`);
        }
        const unknown = await request(
            { host: "127.0.0.41", port: peerPort },
            "/.well-known/acme-challenge/nobody",
            DOMAIN,
        );
        assert.ok(unknown.status === 404 || unknown.status === 503, `an unknown token got ${unknown.status}`);
        const page = await request({ host: "127.0.0.41", port: peerPort }, "/shop", DOMAIN);
        assert.deepEqual([page.status, page.headers.location], [301, `https://${DOMAIN}/shop`]);
    });
});
