// HAProxy that finds the web pool and its ACME peers in DNS at run time (so web-pool changes stop replacing the HAProxy
// droplets, and a challenge is answered whichever droplet Let's Encrypt reaches), and that accepts 2xx/3xx as healthy.
// Rendered text, `haproxy -c`, then the real HAProxy 2.6 against a loopback DNS stub.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import * as path from "node:path";
import {
    ACME_PEER_HEADER,
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
    acmePeers: { name: PEERS_NAME, trustedFrom: "10.10.0.0/20" },
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

    it("sends token-shaped ACME challenges to the peers in turn, at most once each, trusting the peer mark from the VPC only", () => {
        assert.deepEqual(section(config, "frontend http"), [
            "bind :80",
            "http-request del-header X-Webstack-Acme-Peer unless { src 10.10.0.0/20 }",
            "http-request set-header X-Forwarded-Proto http",
            "acl acme_challenge path_beg /.well-known/acme-challenge/",
            "http-request redirect scheme https code 301 unless acme_challenge",
            "acl acme_from_peer req.hdr(X-Webstack-Acme-Peer) -m found",
            "acl acme_token path_reg ^/[.]well-known/acme-challenge/[A-Za-z0-9_-]{22,}$",
            "use_backend acme if acme_challenge acme_from_peer",
            "use_backend acme_peers if acme_token",
            "use_backend acme if acme_challenge",
            "default_backend web",
        ]);
        assert.deepEqual(section(config, "backend acme"), ["retries 0", "server certbot 127.0.0.1:8888"]);
        assert.deepEqual(section(config, "backend acme_peers"), [
            "balance roundrobin",
            "http-request set-header X-Webstack-Acme-Peer 1",
            "retry-on conn-failure empty-response 404 503",
            "retries 9",
            "option redispatch 1",
            "timeout connect 1s",
            "default-server resolvers webstack resolve-prefer ipv4 init-addr none",
            "server-template peer 10 webstack-lb-peers.example.test:80",
        ]);
        assert.equal(ACME_PEER_SLOTS, 10);
    });

    it("trusts the peer mark from the private ranges of RFC 1918 when no VPC range is given", () => {
        const text = renderHaproxyConfig({ ...DISCOVERED, acmePeers: { name: PEERS_NAME } });
        assert.equal(
            section(text, "frontend http")[1],
            "http-request del-header X-Webstack-Acme-Peer unless { src 10.0.0.0/8 172.16.0.0/12 192.168.0.0/16 }",
        );
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
        assert.deepEqual(
            haproxyConfigProblems({
                ...DISCOVERED,
                webPool: { name: "a b", port: 0 },
                acmePeers: { name: PEERS_NAME, trustedFrom: "10.10.0.0/20 }" },
            }),
            [
                'webPool.name: must be an IPv4 address or a DNS name; got "a b".',
                'webPool.port: must be an integer from 1 to 65535; got "0".',
                'acmePeers.trustedFrom: must be an IPv4 range such as "10.10.0.0/20"; got "10.10.0.0/20 }".',
            ],
        );
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
});

describe("HAProxy ACME peers on loopback (real HAProxy, a DNS stub, two peers in a VPC stand-in)", function () {
    this.timeout(30000);
    const procs = new Processes();
    let dns: DnsStub;
    let remove = () => undefined as void;
    let peerPort: number;
    /** The token peer B's certbot holds: 43 base64url characters, as Let's Encrypt's are (RFC 8555 §8.3). */
    const TOKEN = "LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0";
    const PEERS = { a: "127.0.0.41", b: "127.0.0.42" } as const;
    /** The VPC stand-in: 127.0.0.40 to 127.0.0.47 hold the peers; a client on the internet is 127.0.0.9. */
    const VPC = "127.0.0.40/29";
    const INTERNET = "127.0.0.9";
    const asked = { a: [] as string[], b: [] as string[] };

    /** A certbot stand-in that answers `token` (or nothing) and records every path it is asked. */
    async function certbot(paths: string[], token?: string): Promise<number> {
        const port = await freePort();
        const server = procs.track(
            http.createServer((req, res) => {
                paths.push(req.url ?? "");
                const ok = token !== undefined && req.url === `/.well-known/acme-challenge/${token}`;
                res.statusCode = ok ? 200 : 404;
                res.end(ok ? `${token}.thumbprint` : "");
            }),
        );
        await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
        return port;
    }

    /** A GET from `from` with `headers`, as a client of the peer at `host`. */
    const get = (host: string, pathName: string, from: string, headers: Record<string, string> = {}) =>
        request({ host, port: peerPort }, pathName, DOMAIN, { localAddress: from, headers, timeoutMs: 5000 });

    before(async function () {
        const haproxy = requireTool(this, "haproxy");
        const openssl = requireTool(this, "openssl");
        const tmp = tempDir("haproxy-acme");
        remove = tmp.remove;
        const certDir = path.join(tmp.dir, "certs");
        fs.mkdirSync(certDir, { mode: 0o700 });
        fs.writeFileSync(path.join(certDir, `${DOMAIN}.pem`), selfSignedPem(openssl, tmp.dir, DOMAIN), { mode: 0o600 });
        dns = await startDnsStub();
        peerPort = await freePort();
        dns.set(PEERS_NAME, [PEERS.a, PEERS.b]);
        dns.set(WEB_NAME, ["127.0.0.31"]);
        const certbots = { a: await certbot(asked.a), b: await certbot(asked.b, TOKEN) };
        for (const peer of ["a", "b"] as const) {
            const host = PEERS[peer];
            const cfg = loopbackHaproxy(
                renderHaproxyConfig({
                    ...DISCOVERED,
                    certDir,
                    webPool: { name: WEB_NAME, port: await freePort() },
                    acmePeers: { name: PEERS_NAME, trustedFrom: VPC },
                }),
                {
                    http: `${host}:${peerPort}`,
                    https: `${host}:${await freePort()}`,
                    dnsPort: dns.port,
                    acmeLocalPort: certbots[peer],
                    peerPort,
                },
                // A droplet asks its peers from its own private address, as over the VPC.
            ).replace("backend acme_peers\n", `backend acme_peers\n    source ${host}\n`);
            await startHaproxy(procs, haproxy, tmp.dir, `peer-${peer}`, cfg, { host, port: peerPort });
        }
        for (const host of [PEERS.a, PEERS.b]) {
            await eventually(`peer ${host} answers the challenge for B's token`, async () => {
                const reply = await get(host, `/.well-known/acme-challenge/${TOKEN}`, INTERNET);
                return reply.status === 200 && reply.body === `${TOKEN}.thumbprint`;
            });
        }
    });

    after(async () => {
        await procs.stopAll();
        await dns?.close();
        remove();
    });

    beforeEach(() => {
        asked.a.length = 0;
        asked.b.length = 0;
    });

    it("answers a challenge whichever peer Let's Encrypt reaches: the peer holding the token answers", async () => {
        for (let i = 0; i < 6; i++) {
            const host = i % 2 ? PEERS.a : PEERS.b;
            const reply = await get(host, `/.well-known/acme-challenge/${TOKEN}`, INTERNET);
            assert.deepEqual([reply.status, reply.body], [200, `${TOKEN}.thumbprint`], `attempt ${i} at ${host}`);
        }
        const page = await get(PEERS.a, "/shop", INTERNET);
        assert.equal(page.status, 301);
    });

    it("ignores the peer mark from the internet: the challenge still goes to the peer holding the token", async () => {
        const forged = await get(PEERS.a, `/.well-known/acme-challenge/${TOKEN}`, INTERNET, {
            [ACME_PEER_HEADER]: "1",
        });
        assert.deepEqual([forged.status, forged.body], [200, `${TOKEN}.thumbprint`]);
        // From the VPC the mark is a peer's: only the local certbot is asked, which does not hold the token.
        const fromPeer = await get(PEERS.a, `/.well-known/acme-challenge/${TOKEN}`, "127.0.0.43", {
            [ACME_PEER_HEADER]: "1",
        });
        assert.equal(fromPeer.status, 404);
        assert.deepEqual(
            asked.b.filter((p) => p.endsWith(TOKEN)).length,
            1,
            "B was asked once, for the forged request",
        );
    });

    it("asks no peer for a path that is not a challenge token, and each peer at most a bounded number of times", async () => {
        const short = await get(PEERS.a, "/.well-known/acme-challenge/nobody", INTERNET);
        assert.equal(short.status, 404);
        assert.deepEqual([asked.a, asked.b], [["/.well-known/acme-challenge/nobody"], []]);
        asked.a.length = 0;
        const unknown = "x".repeat(43);
        const reply = await get(PEERS.a, `/.well-known/acme-challenge/${unknown}`, INTERNET);
        assert.equal(reply.status, 404);
        const total = asked.a.length + asked.b.length;
        assert.ok(total >= 2 && total <= ACME_PEER_SLOTS, `one request from the internet cost ${total} inside the VPC`);
        assert.ok(asked.a.length > 0 && asked.b.length > 0, "both peers were asked");
    });
});
