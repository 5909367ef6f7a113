import assert from "node:assert/strict";
import * as policy from "@pulumi/policy";
import {
    hostOf,
    isNarrowSource,
    isPrivateAddress,
    isWorldCidr,
    parsePortRange,
    portRangeIncludes,
} from "../../policies/lib/net";
import { databaseRamGb } from "../../policies/lib/sizes";
import { isGlobalLoadBalancer, loadBalancerType } from "../../policies/lib/loadBalancer";
import { dropletTlsIn, proxyBalancerIn } from "../../policies/lib/proxies";
import { isUnknown, read, readList, Undecided, UndecidedDuringPreview } from "../../policies/lib/unknowns";
import {
    databaseServerIn,
    installsHaproxy,
    memoByText,
    onlyWatches,
    secretsIn,
    takesOverReservedIp,
} from "../../policies/lib/userData";
import { UNKNOWN } from "../support/policyHarness";
import * as digitalocean from "@pulumi/digitalocean";
import { forType, validateResourceOfTypes } from "../../policies/lib/policy";
import { dropletUserData, rememberUserData } from "../../policies/lib/stateUserData";
import { createHash } from "node:crypto";
import { renderCloudInit } from "../../components/hostConfig/cloudInit";
import { renderHaproxyConfig } from "../../components/hostConfig/haproxy";
import {
    configuresHaproxy,
    haproxyFrontends,
    haproxyServerTemplates,
    haproxyServers,
    haproxyTlsGaps,
} from "../../policies/lib/haproxy";

const proxy = (policy as unknown as { unknownCheckingProxy: <T>(o: T) => T }).unknownCheckingProxy;
const UnknownValueError = (policy as unknown as { UnknownValueError: new (...a: any[]) => Error }).UnknownValueError;

describe("policy helpers", () => {
    describe("unknown values (@pulumi/policy 1.21 proxies throw UnknownValueError on access)", () => {
        it("confirms the proxy throws on an unknown property", () => {
            const props = proxy({ ip: UNKNOWN }) as Record<string, unknown>;
            assert.throws(() => props.ip, UnknownValueError);
        });

        it("reads unknown properties, nested values and list elements as UNKNOWN", () => {
            const props = proxy({ ip: UNKNOWN, rules: [{ port: UNKNOWN }, { port: 80 }], tags: ["a", UNKNOWN] });
            assert.ok(isUnknown(read(props, "ip")));
            assert.ok(isUnknown(read(props, "rules", 0, "port")));
            assert.equal(read(props, "rules", 1, "port"), 80);
            assert.equal(read(props, "missing", "deeper"), undefined);
            assert.deepEqual(readList(props, "tags"), { values: ["a"], unknown: true });
        });

        it("reads each of the seven sentinels the proxy treats as unknown as UNKNOWN, behind the proxy and in plain data", () => {
            const internals = require("@pulumi/policy/proxy") as Record<string, string>;
            const names = Object.keys(internals).filter((k) => /^unknown[A-Za-z]+Value$/.test(k));
            assert.equal(names.length, 7);
            for (const name of names) {
                const raw = { top: internals[name], nested: { list: ["a", internals[name]] } };
                const proxied = proxy(raw) as Record<string, unknown>;
                assert.throws(() => proxied.top, UnknownValueError, name);
                for (const props of [proxied, raw]) {
                    assert.ok(isUnknown(read(props, "top")), name);
                    assert.ok(isUnknown(read(props, "top", "deeper")), name);
                    assert.ok(isUnknown(read(props, "nested", "list", 1)), name);
                    assert.deepEqual(readList(props, "nested", "list"), { values: ["a"], unknown: true }, name);
                }
            }
        });

        it("hands back an object value behind the proxy, so reading into it directly still throws on an unknown", () => {
            const props = proxy({ template: { size: "s-1vcpu-1gb", tags: [UNKNOWN] } });
            const template = read(props, "template") as { size: string; tags: unknown[] };
            assert.equal(template.size, "s-1vcpu-1gb");
            assert.throws(() => template.tags[0], UnknownValueError);
        });

        it("lets every other error through", () => {
            const hostile = new Proxy(
                {},
                {
                    get: () => {
                        throw new RangeError("boom");
                    },
                },
            );
            assert.throws(() => read(hostile, "x"), RangeError);
        });

        it("ends an undecided validation with an UnknownValueError, which the host reports as advisory", () => {
            const undecided = new Undecided();
            undecided.settle();
            undecided.note('Droplet "a"\'s tags are not known yet.');
            assert.throws(
                () => undecided.settle(),
                (e: Error) =>
                    e instanceof UnknownValueError &&
                    e instanceof UndecidedDuringPreview &&
                    e.message ===
                        'cannot decide during preview, because values the cloud computes are still unknown: Droplet "a"\'s tags are not known yet. The check runs again with real values during `pulumi up`.',
            );
        });
    });

    describe("network", () => {
        it("takes an office's or a VPN's sources for narrow, and a content network's ranges or the world for wide", () => {
            for (const source of ["198.18.7.0/24", "203.0.113.10", "198.51.100.0/20", "2001:db8:100::/48"])
                assert.ok(isNarrowSource(source), source);
            // Blocks as wide as a content network's (copies of Cloudflare's list hold IPv4 /13s and IPv6 /32s).
            for (const source of ["104.16.0.0/13", "2400:cb00::/32", "10.0.0.0/16", "0.0.0.0/0", "::/0", "1.2.3.4/x"])
                assert.ok(!isNarrowSource(source), source);
        });

        it("recognises world CIDRs in every spelling", () => {
            for (const cidr of ["0.0.0.0/0", "::/0", "0::/0", " ::0/0 ", "10.0.0.0/0"])
                assert.ok(isWorldCidr(cidr), cidr);
            for (const cidr of ["0.0.0.0", "10.0.0.0/8", "203.0.113.7/32", "::1/128"])
                assert.ok(!isWorldCidr(cidr), cidr);
        });

        it("parses firewall port ranges", () => {
            assert.deepEqual(parsePortRange("22"), [22, 22]);
            assert.deepEqual(parsePortRange("8000-9000"), [8000, 9000]);
            assert.deepEqual(parsePortRange("all"), [1, 65535]);
            assert.deepEqual(parsePortRange(undefined), [1, 65535]);
            assert.ok(portRangeIncludes("1-65535", 22) && !portRangeIncludes("80", 22));
        });

        it("extracts the host of an uptime check target", () => {
            assert.equal(hostOf("https://Example.com:443/health"), "example.com");
            assert.equal(hostOf("example.com"), "example.com");
            assert.equal(hostOf("http://198.51.100.10/healthz"), "198.51.100.10");
        });
    });

    it("reads RAM from every database size slug DigitalOcean lists", () => {
        assert.equal(databaseRamGb("db-s-1vcpu-1gb"), 1);
        assert.equal(databaseRamGb("db-s-1vcpu-2gb"), 2);
        assert.equal(databaseRamGb("db-amd-2vcpu-8gb"), 8);
        assert.equal(databaseRamGb("gd-2vcpu-8gb-intel"), 8);
        assert.equal(databaseRamGb("so1_5-2vcpu-16gb"), 16);
        assert.equal(databaseRamGb("c-96-intel"), undefined);
    });

    describe("user data", () => {
        it("finds database servers installed by packages or containers", () => {
            assert.equal(databaseServerIn("apt-get install -y nginx mariadb-server"), "mariadb-server");
            assert.equal(databaseServerIn("packages:\n  - postgresql-16\n"), "postgresql-16");
            assert.equal(databaseServerIn("docker run -d mysql:8.4"), "mysql container");
            assert.equal(databaseServerIn("services:\n  db:\n    image: mongo:7\n"), "mongo container");
            assert.equal(databaseServerIn("apt-get install -y mysql-client libpq-dev postgresql-client"), undefined);
            assert.equal(databaseServerIn("DATABASE_URL=postgres://db:5432/app"), undefined);
        });

        it("recognises database images of any registry and owner, PostgreSQL extension packages, and no router", () => {
            const images = [
                "services:\n  db:\n    image: pgvector/pgvector:pg16\n",
                "image: bitnami/postgresql:16",
                'image: "timescale/timescaledb-ha:pg16"',
                "docker run -d --name db mysql/mysql-server:8.0",
                "docker run -d ghcr.io/cloudnative-pg/postgresql:16",
                "docker run -d -v pgdata:/var/lib/postgresql/data postgis/postgis:16-3.4",
            ];
            assert.deepEqual(images.map(databaseServerIn), [
                "pgvector/pgvector container",
                "bitnami/postgresql container",
                "timescale/timescaledb-ha container",
                "mysql/mysql-server container",
                "ghcr.io/cloudnative-pg/postgresql container",
                "postgis/postgis container",
            ]);
            assert.equal(databaseServerIn("apt-get install -y postgresql-16-postgis-3"), "postgresql-16-postgis-3");
            // PGDG's unit on RHEL, and MySQL's on RHEL.
            assert.equal(databaseServerIn("systemctl enable --now postgresql-16"), "postgresql-16 service");
            assert.equal(databaseServerIn("systemctl start mysqld"), "mysqld service");
            assert.equal(databaseServerIn("packages:\n  - postgresql-15-pgvector=0.5.1-1\n"), "postgresql-15-pgvector");
            // Not servers: a client or exporter image, the PostGIS scripts alone, MySQL Router, a client from an image.
            const clients = [
                "image: prometheuscommunity/postgres-exporter:v0.15.0",
                "apt-get install -y postgresql-16-postgis-3-scripts postgresql-client-16",
                "systemctl enable --now mysql-router mysqlrouter",
                "docker run --rm bitnami/postgresql:16 psql -h db.example.com -c 'select 1'",
            ];
            assert.deepEqual(clients.map(databaseServerIn), [undefined, undefined, undefined, undefined]);
        });

        it("reads a docker run command as docker does: flag values are not the image, the command may continue", () => {
            const servers = [
                // A container named after its database: the name is --name's value, the image comes after.
                "docker run --name mysql mysql:8",
                "docker run -d \\\n  --name db \\\n  -e POSTGRES_PASSWORD_FILE=/run/secrets/pg \\\n  postgres:16\n",
                "docker run -dp 5432:5432 --restart=always postgres",
                "docker container run -d -p27017:27017 -v 'mongo data:/data/db' docker.io/library/mongo:7@sha256:" +
                    "ab".repeat(32),
                "docker run -d -- mariadb:11 --character-set-server=utf8mb4",
                // Substitutions are part of their word; a command inside a quoted string reads that string's escapes.
                "docker run -d -e POSTGRES_PASSWORD=$(cat /root/pg_pass) --name db postgres:16",
                "docker run -d -e HOST_IP=$(hostname -I | awk '{print $1}') -e PW=`cat /root/pw` mysql:8",
                'runcmd:\n  - "docker run -d -e \\"POSTGRES_PASSWORD=a b\\" postgres:16"\n',
                "runcmd:\n  - 'docker run -d -e ''POSTGRES_PASSWORD=a b'' postgres:16'\n",
                "bash -c 'docker run -d -e PW='\\''a b'\\'' postgres'",
                "CID=$(docker run -d postgres)",
            ];
            assert.deepEqual(servers.map(databaseServerIn), [
                "mysql container",
                "postgres container",
                "postgres container",
                "mongo container",
                "mariadb container",
                "postgres container",
                "mysql container",
                "postgres container",
                "postgres container",
                "postgres container",
                "postgres container",
            ]);
            const notServers = [
                // A web server whose hostname or network alias names a database, a client run from a database image.
                "docker run -d --hostname postgres --network-alias mysql nginx:1.27",
                "docker run --rm -e PGPASSWORD=x --network host postgres:16 psql -h db.example.com -c 'select 1'",
                "docker run --rm -it mysql:8 mysql -h db.example.com",
                "docker run -d registry.example.net/shop:1.4; echo mysql",
            ];
            assert.deepEqual(notServers.map(databaseServerIn), [undefined, undefined, undefined, undefined]);
        });

        it("recognises an HAProxy install", () => {
            assert.ok(installsHaproxy("#cloud-config\npackages:\n  - haproxy\n"));
            assert.ok(!installsHaproxy("# we used to run haproxy here\n"));
        });

        it("recognises keepalived that takes a reserved IP over through DigitalOcean's API, and nothing less", () => {
            const install = "apt-get install -y nginx keepalived\n";
            assert.ok(takesOverReservedIp(`${install}doctl compute reserved-ip-action assign 203.0.113.9 $ID\n`));
            assert.ok(takesOverReservedIp(`${install}curl -X POST $API/v2/floating_ips/203.0.113.9/actions\n`));
            assert.ok(takesOverReservedIp(`${install}notify_master "/usr/local/bin/assign-ip 203.0.113.9 $ID"\n`));
            // keepalived with a VRRP address only (no cloud API call moves a DigitalOcean IP), or not installed
            assert.ok(!takesOverReservedIp(`${install}virtual_ipaddress { 10.0.0.100 }\n`));
            assert.ok(!takesOverReservedIp("# keepalived used to assign-ip here\napt-get install -y nginx\n"));
        });

        it("finds literal secrets but not references", () => {
            assert.deepEqual(secretsIn("export API_TOKEN=abc123\nDB_PASSWORD=$(cat /run/db)\nX_FILE=/x\n"), [
                { kind: "a literal value for API_TOKEN", line: 1, key: "API_TOKEN" },
            ]);
            assert.deepEqual(secretsIn("--password=${DB_PASSWORD}\nkey: value\n"), []);
            assert.deepEqual(secretsIn('token: "s3cr3t"\n'), [
                { kind: "a literal value for token", line: 1, key: "token" },
            ]);
            assert.deepEqual(secretsIn("url: https://example.com/token\n"), []);
        });

        it("scans each distinct text once while it is among the last few, and forgets the oldest beyond that", () => {
            const scanned: string[] = [];
            const length = memoByText((text: string) => {
                scanned.push(text);
                return text.length;
            }, 2);
            // Equal texts from different deserializations are different string objects with one answer.
            assert.deepEqual([length("ab"), length(["a", "b"].join("")), length("xyz"), length("ab")], [2, 2, 3, 2]);
            assert.deepEqual(scanned, ["ab", "xyz"]);
            assert.equal(length("four"), 4); // evicts "ab", the oldest
            assert.equal(length("ab"), 2);
            assert.deepEqual(scanned, ["ab", "xyz", "four", "ab"]);
        });
    });
    describe("validateResourceOfTypes", () => {
        const seen: string[] = [];
        const validate = validateResourceOfTypes(
            forType(digitalocean.Droplet, (droplet, args) => void seen.push(`droplet ${args.name} ${droplet.size}`)),
            forType(
                digitalocean.DropletAutoscale,
                (pool, args) => void seen.push(`pool ${args.name} ${pool.config.maxInstances}`),
            ),
        );
        const call = (type: string, name: string, props: Record<string, unknown>) =>
            validate(
                {
                    type,
                    name,
                    props,
                    notApplicable: (reason?: string) => {
                        throw new Error(`not applicable: ${reason}`);
                    },
                } as unknown as policy.ResourceValidationArgs,
                () => undefined,
            );

        it("runs the one validation for the resource's type", () => {
            seen.length = 0;
            call("digitalocean:index/droplet:Droplet", "web-0", { size: "s-1vcpu-1gb" });
            call("digitalocean:index/dropletAutoscale:DropletAutoscale", "web", { config: { maxInstances: 5 } });
            assert.deepEqual(seen, ["droplet web-0 s-1vcpu-1gb", "pool web 5"]);
        });

        it("passes other types without calling notApplicable (no Error per resource of every other type)", () => {
            seen.length = 0;
            assert.equal(call("digitalocean:index/loadBalancer:LoadBalancer", "lb", {}), undefined);
            assert.deepEqual(seen, []);
        });
    });

    describe("haproxy.cfg reader", () => {
        // The program's own renderer, so the pack and the HAProxy engine agree on what TLS termination looks like.
        const rendered = (tls: boolean) =>
            renderCloudInit({
                kind: "haproxy",
                webPool: { name: "webstack-metrics-web.example.com", port: 80 },
                algorithm: "roundrobin",
                tls,
                domain: "example.com",
            });

        it("finds TLS on 443 and the HTTP redirect in the engine's cloud-config", () => {
            assert.equal(configuresHaproxy(rendered(true)), true);
            assert.deepEqual(haproxyTlsGaps(rendered(true)), []);
        });

        it("lists the servers of a backend that names them (the renderer's listed mode)", () => {
            const listed = renderHaproxyConfig({
                backends: [
                    { host: "10.0.0.2", port: 80 },
                    { host: "10.0.0.3", port: 80 },
                ],
                algorithm: "roundrobin",
                tls: true,
                domain: "example.com",
            });
            assert.deepEqual(haproxyServers(listed), ["10.0.0.2:80", "10.0.0.3:80"]);
        });

        it("reports one gap, the missing TLS listener, for a plain-HTTP config", () => {
            assert.deepEqual(haproxyTlsGaps(rendered(false)), ["no-tls-listener"]);
        });

        it("reads frontends, binds and redirects, ignoring comments", () => {
            const cfg =
                "frontend fe\n  bind *:80\n  # redirect scheme https\n  bind 0.0.0.0:443 ssl crt /c.pem\nlisten stats\n  bind :8404\n";
            assert.deepEqual(
                haproxyFrontends(cfg).map((f) => [
                    f.name,
                    f.binds.map((b) => [b.port, b.ssl, b.crt]),
                    f.redirectsToHttps,
                ]),
                [
                    [
                        "fe",
                        [
                            [80, false, false],
                            [443, true, true],
                        ],
                        false,
                    ],
                    ["stats", [[8404, false, false]], false],
                ],
            );
            assert.deepEqual(haproxyTlsGaps(cfg), ["no-redirect"]);
        });

        it("reads the engine's server-template: the web pool's name, port and slots", () => {
            assert.deepEqual(haproxyServerTemplates(rendered(true)), [
                { name: "webstack-metrics-web.example.com", port: 80, slots: 100 },
            ]);
        });

        it("counts a template's range as high - low + 1 servers, takes one without a port, and reads listen sections", () => {
            const cfg = [
                "frontend fe",
                "  bind :80",
                "  default_backend web",
                "backend web",
                "  server-template w 3-5 web.internal.:8080 check",
                "  server-template x 2 more.internal check",
                "backend acme",
                "  server-template a 4 acme.internal:80",
                "listen api",
                "  bind :9000",
                "  server-template api 1-2 api.internal:9000",
            ].join("\n");
            assert.deepEqual(haproxyServerTemplates(cfg), [
                { name: "web.internal", port: 8080, slots: 3 },
                { name: "more.internal", port: undefined, slots: 2 },
                { name: "api.internal", port: 9000, slots: 2 },
            ]);
        });

        it("does not take an installed but unconfigured HAProxy for a load balancer", () => {
            assert.equal(configuresHaproxy("#!/bin/bash\napt-get install -y haproxy\n"), false);
        });
    });
});

describe("TLS a droplet terminates itself (policies/lib/proxies.ts dropletTlsIn)", () => {
    it("names the web server certbot works with, and none for a standalone certificate", () => {
        const standalone =
            "#!/bin/sh\napt-get install -y mosquitto certbot python3-certbot-nginx\ncertbot certonly --standalone -d mqtt.example.io -n\n";
        const webroot =
            "#!/bin/sh\napt-get install -y nginx certbot\ncertbot certonly --webroot -w /var/www/html -d example.io\n" +
            "cat > /etc/nginx/sites-enabled/site <<X\nserver { listen 443 ssl; }\nserver { listen 80; return 301 https://$host$request_uri; }\nX\n";
        assert.deepEqual([standalone, webroot, "certbot --apache -d example.io -n\n"].map(dropletTlsIn), [
            { how: "certbot", tlsGaps: ["no-tls-listener"] },
            { how: "nginx with certbot", tlsGaps: [] },
            { how: "Apache with certbot", tlsGaps: [] },
        ]);
    });

    it("reads the containers it starts as docker does: an image over continued lines, not a container's name", () => {
        const caddyfile =
            "write_files:\n  - path: /srv/Caddyfile\n    content: |\n      shop.example.io {\n        reverse_proxy app:3000\n      }\n";
        const continued = `#cloud-config\n${caddyfile}runcmd:\n  - |\n    docker run -d -p 80:80 -p 443:443 \\\n      -v /srv/Caddyfile:/etc/caddy/Caddyfile \\\n      caddy:2.8\n`;
        const named = "#cloud-config\nruncmd:\n  - docker run -d --name swag -p 443:443 nginx:1.27\n";
        assert.deepEqual([continued, named].map(dropletTlsIn), [
            { how: "Caddy (automatic HTTPS)", tlsGaps: [] },
            undefined,
        ]);
    });
});

describe("a self-run load balancer (policies/lib/proxies.ts proxyBalancerIn)", () => {
    it("reads the containers it starts as docker does: an image over continued lines, not a container's name", () => {
        const caddyfile =
            "write_files:\n  - path: /srv/Caddyfile\n    content: |\n      shop.example.io {\n" +
            "        reverse_proxy 10.20.0.31:3000 10.20.0.32:3000\n      }\n";
        const continued = `#cloud-config\n${caddyfile}runcmd:\n  - |\n    docker run -d -p 80:80 -p 443:443 \\\n      -v /srv/Caddyfile:/etc/caddy/Caddyfile \\\n      caddy:2.8\n`;
        // An app container named after the proxy in front of it, whose own config lists its peers.
        const peers =
            'write_files:\n  - path: /srv/app.toml\n    content: |\n      [[peer]]\n      url = "http://10.20.0.31:7000"\n' +
            '      [[peer]]\n      url = "http://10.20.0.32:7000"\n';
        const named = `#cloud-config\n${peers}runcmd:\n  - docker run -d --name traefik -v /srv/app.toml:/app.toml ghcr.io/acme/app:1.4\n`;
        assert.deepEqual([continued, named].map(proxyBalancerIn), [
            { software: "Caddy", servers: ["10.20.0.31:3000", "10.20.0.32:3000"], tlsGaps: [] },
            undefined,
        ]);
    });
});

describe("a load balancer's type (policies/lib/loadBalancer.ts)", () => {
    it("reads the type in any case, an unset type as REGIONAL and an unknown one as undefined", () => {
        const type = (props: Record<string, unknown>) => read(proxy(props), "type");
        assert.equal(loadBalancerType(type({ type: "global" })), "GLOBAL");
        assert.equal(loadBalancerType(type({ type: "Regional_Network" })), "REGIONAL_NETWORK");
        assert.equal(loadBalancerType(type({})), "REGIONAL");
        assert.equal(loadBalancerType(type({ type: UNKNOWN })), undefined);
        assert.deepEqual(
            [{ type: "gLoBaL" }, { type: "REGIONAL" }, {}, { type: UNKNOWN }].map((p) => isGlobalLoadBalancer(type(p))),
            [true, false, false, false],
        );
    });
});

describe("policy helpers for the QPS monitor", () => {
    it("tells VPC and unique-local addresses from public ones", () => {
        for (const ip of ["10.10.1.13", "172.16.0.1", "172.31.255.255", "192.168.1.1", "100.64.0.1", "fd12:3456::1"])
            assert.equal(isPrivateAddress(ip), true, ip);
        for (const ip of ["198.51.100.4", "172.32.0.1", "192.169.0.1", "100.128.0.1", "2001:db8::1", "8.8.8.8"])
            assert.equal(isPrivateAddress(ip), false, ip);
    });

    it("recognises a metrics-only host, and not a web server that runs an exporter", () => {
        assert.equal(onlyWatches("#cloud-config\npackages:\n  - prometheus\n  - prometheus-alertmanager\n"), true);
        assert.equal(onlyWatches("#cloud-config\npackages:\n  - nginx\n  - prometheus-nginx-exporter\n"), false);
        assert.equal(onlyWatches("#cloud-config\npackages:\n  - prometheus\n  - nginx\n"), false);
        assert.equal(onlyWatches("#!/bin/bash\napt-get install -y python3-venv\n"), false);
    });
});

describe("a droplet's user data in the state (policies/lib/stateUserData.ts)", () => {
    const sha1 = (text: string) => createHash("sha1").update(text).digest("hex");
    const text = "#cloud-config\npackages: [nginx, vector]\n# stateUserData.spec";

    it("reads the provider's SHA-1 as the text a droplet policy saw in Analyze, through forType's droplet case", () => {
        assert.ok(isUnknown(dropletUserData({ userData: sha1(text) })));
        const seen: unknown[] = [];
        const validate = validateResourceOfTypes(forType(digitalocean.Droplet, (props) => void seen.push(props)));
        validate({ type: "digitalocean:index/droplet:Droplet", props: { userData: text } } as never, () => undefined);
        assert.equal(seen.length, 1);
        assert.equal(dropletUserData({ userData: sha1(text) }), text);
    });

    it("keeps text, an absent value and an unknown one as they are, and a hash no Analyze explained as unknown", () => {
        rememberUserData({ userData: "#!/bin/sh\necho seen" });
        assert.equal(dropletUserData({ userData: "#!/bin/sh\necho plain" }), "#!/bin/sh\necho plain");
        assert.equal(dropletUserData({}), undefined);
        assert.ok(isUnknown(dropletUserData({ userData: UNKNOWN })));
        assert.ok(isUnknown(dropletUserData({ userData: sha1("never seen") })));
        // A hash given as user data is not remembered as a text: it explains nothing.
        rememberUserData({ userData: sha1("x") });
        assert.ok(isUnknown(dropletUserData({ userData: sha1(sha1("x")) })));
    });
});

describe("secrets in a MIME multipart user data and GitLab tokens (policies/lib/userData.ts secretsIn)", () => {
    it("reads each part as cloud-init does: a cloud-config part's encoded write_files, and a base64 part decoded", () => {
        const env = Buffer.from("APP_ENV=production\nSMTP_PASSWORD=Wz9!kq2Lr7vX\n").toString("base64");
        const script = Buffer.from("#!/bin/bash\nexport DO_TOKEN=dop_v1_" + "a".repeat(64) + "\n").toString("base64");
        const mime = [
            'Content-Type: multipart/mixed; boundary="MIMEBOUNDARY"',
            "MIME-Version: 1.0",
            "",
            "--MIMEBOUNDARY",
            "Content-Transfer-Encoding: 7bit",
            "Content-Type: text/cloud-config",
            "",
            "#cloud-config",
            "write_files:",
            "  - path: /etc/app/app.env",
            "    encoding: b64",
            `    content: ${env}`,
            "--MIMEBOUNDARY",
            "Content-Transfer-Encoding: base64",
            "Content-Type: text/x-shellscript",
            "",
            script,
            "--MIMEBOUNDARY--",
            "",
        ].join("\r\n");
        assert.deepEqual(
            secretsIn(mime).map((f) => `${f.line}: ${f.kind}`),
            [
                '12: a literal value for SMTP_PASSWORD in write_files "/etc/app/app.env" of MIME part 1 (text/cloud-config) (encoding b64, decoded line 2)',
                "17: a DigitalOcean API token (dop_v1_…) in MIME part 2 (base64, decoded line 2)",
            ],
        );
    });

    it("finds a GitLab runner token passed to gitlab-runner register", () => {
        const text =
            "#!/bin/bash\ngitlab-runner register --non-interactive --url https://gitlab.com --token glrt-t1_Fz8kq2Lr7vXa9PwMnB3c\n";
        assert.deepEqual(
            secretsIn(text).map((f) => `${f.line}: ${f.kind}`),
            ["2: a GitLab token"],
        );
    });
});
