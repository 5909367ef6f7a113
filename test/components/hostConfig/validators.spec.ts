import assert from "node:assert/strict";
import { HaproxyConfigOptions, renderHaproxyConfig } from "../../../components/hostConfig/haproxy";
import { NginxSiteOptions, nginxConfigProblems, renderNginxConfig } from "../../../components/hostConfig/nginx";
import { APP_LB, WEB_BACKENDS } from "../../support/hostRoles";
import { haproxyCheck, nginxTest, requireTool } from "../../support/hostTools";

const LOCAL: NginxSiteOptions = {
    listenPort: 80,
    upstream: { host: "127.0.0.1", port: 8080 },
    behindLoadBalancer: false,
};
const BEHIND_LB: NginxSiteOptions = { listenPort: 8081, upstream: APP_LB, behindLoadBalancer: true };

const TLS: HaproxyConfigOptions = {
    backends: WEB_BACKENDS,
    algorithm: "roundrobin",
    tls: true,
    domain: "www.example.com",
};
const PLAIN: HaproxyConfigOptions = {
    backends: WEB_BACKENDS.slice(0, 1),
    algorithm: "leastconn",
    tls: false,
    domain: "www.example.com",
};

/** The lines of the `name { ... }` block that starts at column 0 or 4. */
function block(text: string, header: string): string[] {
    const lines = text.split("\n");
    const start = lines.findIndex((l) => l.trim() === `${header} {` || l === header);
    assert.ok(start >= 0, `no block "${header}" in:\n${text}`);
    const indent = lines[start].length - lines[start].trimStart().length;
    const body: string[] = [];
    for (const line of lines.slice(start + 1)) {
        if (line.trim() === "}" && line.length - line.trimStart().length === indent) break;
        if (lines[start] === header && (line === "" || !line.startsWith(" "))) break;
        body.push(line.trim());
    }
    return body.filter((l) => l !== "");
}

describe("renderNginxConfig", () => {
    it("proxies the load balancer's health check on /healthz to the app, with timeouts under the check's 5 s", () => {
        // The rest of the location (identity, drain, a connection per check, tier 0's form): nginxHealth.spec.ts.
        const health = block(renderNginxConfig(BEHIND_LB), "location = /healthz");
        assert.deepEqual(
            health.filter((l) => /^proxy_(pass|\w+_timeout) /.test(l)),
            ["proxy_pass http://webstack_app;", "proxy_connect_timeout 2s;", "proxy_read_timeout 4s;"],
        );
    });

    it("checks the app's own health path when one is given", () => {
        assert.ok(
            block(renderNginxConfig({ ...LOCAL, healthPath: "/status/ready" }), "location = /status/ready").includes(
                "proxy_pass http://webstack_app;",
            ),
        );
        assert.equal(
            renderNginxConfig({ ...LOCAL, healthPath: "/status/ready" }).includes("location = /healthz"),
            false,
        );
    });

    it("refuses a health path nginx would read as more than a path", () => {
        assert.deepEqual(nginxConfigProblems({ ...LOCAL, healthPath: "/ok; return 200" }), [
            'healthPath: must be an absolute URL path of letters, digits and "/._~-" (at most 128 characters) such as "/healthz"; got "/ok; return 200".',
        ]);
    });

    it("listens on the given port, IPv4 only, as the default server", () => {
        const server = block(renderNginxConfig(BEHIND_LB), "server");
        assert.deepEqual(
            server.filter((l) => l.startsWith("listen ")),
            ["listen 8081 default_server;"],
        );
    });

    it("proxies everything else to exactly the given upstream with forwarded headers and bounded timeouts", () => {
        const site = renderNginxConfig(BEHIND_LB);
        assert.deepEqual(block(site, "upstream webstack_app"), [
            "server 10.110.0.9:8080;",
            "keepalive 16;",
            "keepalive_timeout 50s;",
        ]);
        assert.deepEqual(block(site, "location /"), [
            "proxy_pass http://webstack_app;",
            "proxy_http_version 1.1;",
            'proxy_set_header Connection "";',
            "proxy_set_header Host $host;",
            "proxy_set_header X-Real-IP $remote_addr;",
            "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
            "proxy_set_header X-Forwarded-Proto $webstack_forwarded_proto;",
            "proxy_connect_timeout 5s;",
            "proxy_send_timeout 60s;",
            "proxy_read_timeout 60s;",
        ]);
    });

    it("passes on the load balancer's X-Forwarded-Proto only when a load balancer sits in front", () => {
        assert.deepEqual(block(renderNginxConfig(BEHIND_LB), "map $http_x_forwarded_proto $webstack_forwarded_proto"), [
            "default $http_x_forwarded_proto;",
            '""      $scheme;',
        ]);
        const local = renderNginxConfig(LOCAL);
        assert.doesNotMatch(local, /http_x_forwarded_proto/);
        assert.match(local, /^ {8}proxy_set_header X-Forwarded-Proto \$scheme;$/m);
    });

    it("renders byte-identical text for equal options", () => {
        assert.equal(renderNginxConfig({ ...BEHIND_LB, upstream: { ...APP_LB } }), renderNginxConfig(BEHIND_LB));
    });

    for (const [name, opts] of [
        ["in front of the local app", LOCAL],
        ["behind a load balancer, proxying to the internal load balancer", BEHIND_LB],
        ["proxying to a DNS name", { ...BEHIND_LB, upstream: { host: "localhost", port: 9000 } }],
    ] as const) {
        it(`passes nginx -t ${name}`, async function () {
            const nginx = requireTool(this, "nginx");
            const result = await nginxTest(nginx, renderNginxConfig(opts));
            assert.equal(result.status, 0, result.output);
            assert.match(result.output, /test is successful/);
        });
    }

    it("is caught by nginx -t when the site is broken (the check is real)", async function () {
        const nginx = requireTool(this, "nginx");
        const result = await nginxTest(
            nginx,
            renderNginxConfig(LOCAL).replace("proxy_read_timeout 60s;", "proxy_read_timeout sixty;"),
        );
        assert.notEqual(result.status, 0);
        assert.match(result.output, /proxy_read_timeout/);
    });

    it("reports every invalid option at once", () => {
        assert.throws(
            () =>
                renderNginxConfig({
                    listenPort: 0,
                    upstream: { host: "app pool", port: 65536 },
                    behindLoadBalancer: true,
                }),
            {
                message: [
                    "Invalid nginx site options:",
                    '  - listenPort: must be an integer from 1 to 65535; got "0".',
                    '  - upstream.host: must be an IPv4 address or a DNS name; got "app pool".',
                    '  - upstream.port: must be an integer from 1 to 65535; got "65536".',
                ].join("\n"),
            },
        );
    });
});

describe("renderHaproxyConfig", () => {
    it("health-checks every web server with GET /healthz and balances with the chosen algorithm", () => {
        assert.deepEqual(block(renderHaproxyConfig(TLS), "backend web"), [
            "balance roundrobin",
            "option httpchk GET /healthz",
            "http-check send hdr Host www.example.com",
            "http-check expect rstatus ^[23]",
            "default-server check inter 5s fall 3 rise 2",
            "server web-0 10.110.0.2:80",
            "server web-1 10.110.0.3:80",
            "server web-2 10.110.0.4:80",
        ]);
        assert.deepEqual(block(renderHaproxyConfig(PLAIN), "backend web").slice(0, 1), ["balance leastconn"]);
    });

    it("redirects HTTP to HTTPS except Let's Encrypt challenges, which go to certbot on loopback, when TLS is on", () => {
        const config = renderHaproxyConfig(TLS);
        assert.deepEqual(block(config, "frontend http"), [
            "bind :80",
            "http-request set-header X-Forwarded-Proto http",
            "acl acme_challenge path_beg /.well-known/acme-challenge/",
            "http-request redirect scheme https code 301 unless acme_challenge",
            "use_backend acme if acme_challenge",
            "default_backend web",
        ]);
        assert.deepEqual(block(config, "backend acme"), ["server certbot 127.0.0.1:8888"]);
    });

    it("terminates TLS on 443 with the certificates in /etc/haproxy/certs, TLS 1.2 or newer only", () => {
        const config = renderHaproxyConfig(TLS);
        assert.deepEqual(block(config, "frontend https"), [
            "bind :443 ssl crt /etc/haproxy/certs alpn h2,http/1.1",
            "http-request set-header X-Forwarded-Proto https",
            'http-response set-header Strict-Transport-Security "max-age=31536000"',
            "default_backend web",
        ]);
        assert.match(config, /^ {4}ssl-default-bind-options ssl-min-ver TLSv1\.2 no-tls-tickets$/m);
        assert.match(
            renderHaproxyConfig({ ...TLS, certDir: "/tmp/certs" }),
            /^ {4}bind :443 ssl crt \/tmp\/certs alpn h2,http\/1\.1$/m,
        );
    });

    it("serves plain HTTP on 80 only, without redirect or ACME backend, when TLS is off", () => {
        const config = renderHaproxyConfig(PLAIN);
        assert.doesNotMatch(config, /:443|redirect|acme|ssl crt/);
        assert.deepEqual(block(config, "frontend http"), [
            "bind :80",
            "http-request set-header X-Forwarded-Proto http",
            "default_backend web",
        ]);
    });

    it("renders byte-identical text for equal options", () => {
        assert.equal(
            renderHaproxyConfig({ ...TLS, backends: WEB_BACKENDS.map((b) => ({ ...b })) }),
            renderHaproxyConfig(TLS),
        );
    });

    for (const [name, opts] of [
        ["with TLS and round robin", TLS],
        ["without TLS and least connections", PLAIN],
        ["with TLS and least connections", { ...TLS, algorithm: "leastconn" }],
    ] as const) {
        it(`passes haproxy -c ${name}`, function () {
            const haproxy = requireTool(this, "haproxy");
            const openssl = requireTool(this, "openssl");
            const result = haproxyCheck(haproxy, openssl, opts.domain, (certDir) =>
                renderHaproxyConfig({ ...opts, certDir }),
            );
            assert.equal(result.status, 0, result.output);
            assert.match(result.output, /Configuration file is valid/);
        });
    }

    it("is caught by haproxy -c when the config is broken (the check is real)", function () {
        const haproxy = requireTool(this, "haproxy");
        const openssl = requireTool(this, "openssl");
        const result = haproxyCheck(haproxy, openssl, TLS.domain, (certDir) =>
            renderHaproxyConfig({ ...TLS, certDir }).replace("balance roundrobin", "balance sometimes"),
        );
        assert.notEqual(result.status, 0);
        assert.match(result.output, /balance only supports/);
    });

    it("reports every invalid option at once", () => {
        assert.throws(
            () =>
                renderHaproxyConfig({
                    backends: [
                        { host: "10.0.0.2", port: 80 },
                        { host: "10.0.0.3 backup", port: 0 },
                    ],
                    algorithm: "source" as "roundrobin",
                    tls: true,
                    domain: "example",
                    certDir: "certs",
                }),
            {
                message: [
                    "Invalid HAProxy options:",
                    '  - backends[1].host: must be an IPv4 address or a DNS name; got "10.0.0.3 backup".',
                    '  - backends[1].port: must be an integer from 1 to 65535; got "0".',
                    '  - algorithm: expected "roundrobin" or "leastconn"; got "source".',
                    '  - domain: must be a fully qualified DNS name such as "www.example.com"; got "example".',
                    '  - certDir: must be an absolute path without spaces; got "certs".',
                ].join("\n"),
            },
        );
    });
});
