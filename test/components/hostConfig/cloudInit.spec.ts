import assert from "node:assert/strict";
import { parse } from "yaml";
import {
    APP_ENV_PATH,
    APP_PATH_UNIT,
    APP_SERVICE,
    DATABASE_SECRETS_PATH,
    MYSQL_PASSWORD_PATH,
    SECRETS_DIR,
} from "../../../components/hostConfig/appUnit";
import { hostRoleProblems, renderCloudInit } from "../../../components/hostConfig/cloudInit";
import type { CloudConfig, HostRole, WriteFile } from "../../../components/hostConfig/types";
import { HAPROXY_CONFIG_PATH, renderHaproxyConfig } from "../../../components/hostConfig/haproxy";
import { NGINX_SITE_PATH, renderNginxConfig } from "../../../components/hostConfig/nginx";
import { APP_PROXY_SITE_PATH, renderAppProxyConfig } from "../../../components/hostConfig/appProxy";
import { ACME_PEER_WAIT, peerWaitScript } from "../../../components/hostConfig/certbot";
import { DRAIN_SCRIPT, DRAIN_SERVICE, drainScript, drainService } from "../../../components/hostConfig/drain";
import { IDENTITY_SCRIPT, identityScript } from "../../../components/hostConfig/servingIdentity";
import {
    APP,
    APP_LB,
    CACHE,
    DATABASE,
    ROLES,
    SECRET_MARKERS,
    WEB_POOL,
    ACME_PEERS,
    literalPasswordAssignments,
} from "../../support/hostRoles";
import { cloudInitSchema, nginxTest, requireTool } from "../../support/hostTools";

const APP_UNIT_PATH = `/etc/systemd/system/${APP_SERVICE}`;
const APP_PATH_UNIT_PATH = `/etc/systemd/system/${APP_PATH_UNIT}`;

/** Parses user data the way cloud-init does (PyYAML speaks YAML 1.1). */
function load(userData: string): CloudConfig {
    assert.ok(
        userData.startsWith("#cloud-config\n"),
        `user data must start with "#cloud-config": ${userData.slice(0, 40)}`,
    );
    return parse(userData, { version: "1.1" }) as CloudConfig;
}

function rendered(role: HostRole): CloudConfig {
    return load(renderCloudInit(role));
}

function fileAt(config: CloudConfig, path: string): WriteFile {
    const found = config.write_files.filter((f) => f.path === path);
    assert.equal(found.length, 1, `expected exactly one write_files entry for ${path}; got ${found.length}`);
    return found[0];
}

function paths(config: CloudConfig): string[] {
    return config.write_files.map((f) => f.path);
}

function envOf(config: CloudConfig): Record<string, string> {
    const lines = fileAt(config, APP_ENV_PATH).content.trimEnd().split("\n");
    return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

function commands(config: CloudConfig): string[] {
    return config.runcmd.map((c) => c.join(" "));
}

function unitLine(unit: string, key: string): string[] {
    return unit
        .split("\n")
        .filter((l) => l.startsWith(`${key}=`))
        .map((l) => l.slice(key.length + 1));
}

/**
 * A role behind a load balancer: the identity script for `role` runs before nginx loads the site that includes what
 * it writes, and the drain unit, sized for the slowest load balancer's checks (35 s), is enabled last.
 */
function itAnnouncesItselfAndDrains(config: CloudConfig, role: "web" | "app"): void {
    it(`announces the droplet as ${role} on the health path and drains for 35 s before nginx stops`, () => {
        assert.equal(fileAt(config, IDENTITY_SCRIPT).content, identityScript(role));
        assert.equal(fileAt(config, DRAIN_SCRIPT).content, drainScript(35));
        assert.equal(fileAt(config, `/etc/systemd/system/${DRAIN_SERVICE}`).content, drainService(35));
        const cmds = commands(config);
        const switched = cmds.lastIndexOf("systemctl reload-or-restart nginx.service");
        assert.ok(cmds.indexOf(IDENTITY_SCRIPT) >= 0 && cmds.indexOf(IDENTITY_SCRIPT) < switched, cmds.join("\n"));
        assert.deepEqual(cmds.slice(-2), ["systemctl daemon-reload", `systemctl enable --now ${DRAIN_SERVICE}`]);
    });
}

/** The role's nginx site, run through the real `nginx -t` (skipped where nginx is absent, outside CI). */
function itWritesAnNginxSiteThatPassesNginxT(config: CloudConfig): void {
    it("writes an nginx site that passes nginx -t", async function () {
        const nginx = requireTool(this, "nginx");
        const result = await nginxTest(nginx, fileAt(config, NGINX_SITE_PATH).content);
        assert.equal(result.status, 0, result.output);
    });
}

describe("renderCloudInit", () => {
    describe("every role", () => {
        for (const [name, role] of Object.entries(ROLES)) {
            it(`renders ${name} user data as #cloud-config YAML with package_update, packages, write_files and runcmd`, () => {
                const config = rendered(role);
                assert.deepEqual(Object.keys(config), ["package_update", "packages", "write_files", "runcmd"]);
                assert.equal(config.package_update, true);
                assert.ok(config.runcmd.every((c) => Array.isArray(c) && c.every((arg) => typeof arg === "string")));
            });

            it(`passes cloud-init schema for ${name}`, async function () {
                const cloudInit = requireTool(this, "cloud-init");
                const result = await cloudInitSchema(cloudInit, renderCloudInit(role));
                assert.equal(result.status, 0, result.output);
                assert.match(result.output, /Valid cloud-config/);
            });

            it(`renders byte-identical ${name} user data for equal inputs`, () => {
                const copy = JSON.parse(JSON.stringify(role)) as HostRole;
                assert.equal(renderCloudInit(copy), renderCloudInit(role));
                assert.equal(renderCloudInit(role), renderCloudInit(role));
            });

            it(`keeps every secret and credential out of ${name} user data`, () => {
                const userData = renderCloudInit(role);
                for (const marker of SECRET_MARKERS) assert.doesNotMatch(userData, marker);
                assert.deepEqual(literalPasswordAssignments(userData), []);
            });

            it(`writes every ${name} file as root with an explicit mode, after the packages are installed`, () => {
                for (const f of rendered(role).write_files) {
                    assert.equal(f.owner, "root:root", f.path);
                    assert.ok(["0600", "0644", "0700"].includes(f.permissions), `${f.path}: ${f.permissions}`);
                    assert.equal(f.defer, true, f.path);
                    assert.ok(f.content.endsWith("\n"), `${f.path} must end with a newline`);
                }
            });
        }

        it("is caught by cloud-init schema when user data is malformed (the check is real)", async function () {
            const cloudInit = requireTool(this, "cloud-init");
            const result = await cloudInitSchema(cloudInit, "#cloud-config\npackages: nginx\n");
            assert.notEqual(result.status, 0);
            assert.match(result.output, /packages: 'nginx' is not of type 'array'/);
        });

        it("changes user data when the app image changes (the droplet is replaced to run it)", () => {
            const other = {
                ...ROLES["web-and-app"],
                app: { ...APP, image: "registry.digitalocean.com/acme/shop:1.4.3" },
            } as const;
            assert.notEqual(renderCloudInit(other), renderCloudInit(ROLES["web-and-app"]));
        });
    });

    describe("all-in-one (tier 0)", () => {
        const config = rendered(ROLES["all-in-one"]);
        const unit = fileAt(config, APP_UNIT_PATH).content;
        const init = config.write_files.find((f) => f.path.endsWith("webstack-mysql-init"));

        it("installs exactly nginx, docker.io, mysql-server and openssl", () => {
            assert.deepEqual(config.packages, ["nginx", "docker.io", "mysql-server", "openssl"]);
        });

        it("serves the nginx site rendered for the local app on 127.0.0.1:8080, trusting no forwarded headers", () => {
            const site = fileAt(config, NGINX_SITE_PATH);
            assert.equal(
                site.content,
                renderNginxConfig({
                    listenPort: 80,
                    upstream: { host: "127.0.0.1", port: 8080 },
                    behindLoadBalancer: false,
                }),
            );
            assert.match(site.content, /^ {4}server 127\.0\.0\.1:8080;$/m);
            assert.equal(site.permissions, "0644");
        });

        it("generates the MySQL app password on the host with openssl rand into a root-only file", () => {
            assert.ok(init, "the MySQL setup script is written");
            assert.equal(init.permissions, "0700");
            assert.match(init.content, /^umask 077$/m);
            assert.ok(init.content.includes(`openssl rand -hex 32 > ${MYSQL_PASSWORD_PATH}.new`), init.content);
            assert.ok(init.content.includes(`chmod 0600 ${MYSQL_PASSWORD_PATH}`), init.content);
        });

        it("creates the app database and user with the generated password and writes the app's password env file on the host", () => {
            assert.ok(init);
            assert.ok(init.content.includes(`pw=$(cat ${MYSQL_PASSWORD_PATH})`));
            assert.match(init.content, /^CREATE DATABASE IF NOT EXISTS app CHARACTER SET utf8mb4;$/m);
            assert.match(init.content, /^CREATE USER IF NOT EXISTS 'app'@'localhost' IDENTIFIED BY '\$pw';$/m);
            assert.match(init.content, /^GRANT ALL PRIVILEGES ON app\.\* TO 'app'@'localhost';$/m);
            assert.ok(
                init.content.includes(`printf 'DATABASE_PASSWORD=%s\\n' "$pw" > ${DATABASE_SECRETS_PATH}.new`),
                init.content,
            );
            assert.ok(
                !paths(config).includes(DATABASE_SECRETS_PATH),
                "the password file is built on the host, never shipped",
            );
        });

        it("hands the app the socket, user and database but no password in a 0644 env file", () => {
            assert.deepEqual(envOf(config), {
                DATABASE_HOST: "localhost",
                DATABASE_PORT: "3306",
                DATABASE_SOCKET: "/run/mysqld/mysqld.sock",
                DATABASE_USER: "app",
                DATABASE_NAME: "app",
            });
            assert.equal(fileAt(config, APP_ENV_PATH).permissions, "0644");
        });

        it("runs the app container from systemd, restarting always, published on loopback only, with the MySQL socket mounted", () => {
            assert.deepEqual(unitLine(unit, "ExecStart"), [
                `/usr/bin/docker run --rm --name app -p 127.0.0.1:8080:8080 --env-file ${APP_ENV_PATH} --env-file ${DATABASE_SECRETS_PATH} --volume /run/mysqld:/run/mysqld ${APP.image}`,
            ]);
            assert.deepEqual(unitLine(unit, "Restart"), ["always"]);
            assert.deepEqual(unitLine(unit, "After"), ["network-online.target docker.service mysql.service"]);
            assert.deepEqual(unitLine(unit, "WantedBy"), ["multi-user.target"]);
        });

        it("sets MySQL up before enabling the app and enables nginx", () => {
            const cmds = commands(config);
            const initAt = cmds.indexOf("/usr/local/sbin/webstack-mysql-init");
            assert.ok(initAt >= 0, cmds.join("\n"));
            assert.ok(initAt < cmds.indexOf(`systemctl enable --now ${APP_PATH_UNIT}`));
            assert.ok(cmds.includes("rm -f /etc/nginx/sites-enabled/default"));
            assert.ok(cmds.includes(`ln -sfn ${NGINX_SITE_PATH} /etc/nginx/sites-enabled/webstack`));
            assert.ok(cmds.includes("systemctl reload-or-restart nginx.service"));
        });

        itWritesAnNginxSiteThatPassesNginxT(config);
    });

    describe("web-and-app (tier 1)", () => {
        const config = rendered(ROLES["web-and-app"]);
        const unit = fileAt(config, APP_UNIT_PATH).content;

        it("installs exactly nginx and docker.io (no MySQL server: the database is managed)", () => {
            assert.deepEqual(config.packages, ["nginx", "docker.io"]);
        });

        it("proxies nginx to the app on 127.0.0.1:8080 and passes on the load balancer's X-Forwarded-Proto", () => {
            const site = fileAt(config, NGINX_SITE_PATH).content;
            assert.equal(
                site,
                renderNginxConfig({
                    listenPort: 80,
                    upstream: { host: "127.0.0.1", port: 8080 },
                    behindLoadBalancer: true,
                }),
            );
            assert.match(site, /^ {8}proxy_set_header X-Forwarded-Proto \$webstack_forwarded_proto;$/m);
        });

        it("gives the app the managed database's host, port, user, database and sslmode REQUIRED, and no password", () => {
            assert.deepEqual(envOf(config), {
                DATABASE_HOST: DATABASE.host,
                DATABASE_PORT: "25060",
                DATABASE_USER: "app",
                DATABASE_NAME: "shop",
                DATABASE_SSLMODE: "REQUIRED",
            });
        });

        it("does not start the app until the operator has delivered the password file, and starts it when the file appears", () => {
            assert.deepEqual(unitLine(unit, "ConditionPathExists"), [DATABASE_SECRETS_PATH]);
            const pathUnit = fileAt(config, APP_PATH_UNIT_PATH).content;
            assert.deepEqual(unitLine(pathUnit, "PathExists"), [DATABASE_SECRETS_PATH]);
            assert.deepEqual(unitLine(pathUnit, "Unit"), [APP_SERVICE]);
            const cmds = commands(config);
            assert.ok(cmds.includes(`install -d -m 0700 -o root -g root ${SECRETS_DIR}`), cmds.join("\n"));
            assert.ok(cmds.includes(`systemctl enable ${APP_SERVICE}`));
            assert.ok(cmds.includes(`systemctl enable --now ${APP_PATH_UNIT}`));
            assert.ok(!paths(config).includes(DATABASE_SECRETS_PATH));
        });

        it("publishes the app on loopback only (tier 1 has no cloud firewall)", () => {
            assert.deepEqual(unitLine(unit, "ExecStart"), [
                `/usr/bin/docker run --rm --name app -p 127.0.0.1:8080:8080 --env-file ${APP_ENV_PATH} --env-file ${DATABASE_SECRETS_PATH} ${APP.image}`,
            ]);
        });

        itAnnouncesItselfAndDrains(config, "web");

        it("tells the app the CDN's host name when the stack has one, and nothing about it otherwise", () => {
            const cdn = "assets.nyc3.cdn.digitaloceanspaces.com";
            assert.equal(envOf(rendered({ ...ROLES["web-and-app"], cdnEndpoint: cdn })).CDN_ENDPOINT, cdn);
            assert.equal(envOf(config).CDN_ENDPOINT, undefined);
        });

        itWritesAnNginxSiteThatPassesNginxT(config);
    });

    describe("web (tier >= 2)", () => {
        const config = rendered(ROLES.web);

        it("installs exactly nginx", () => {
            assert.deepEqual(config.packages, ["nginx"]);
        });

        it("proxies to exactly the app pool's internal load balancer", () => {
            const site = fileAt(config, NGINX_SITE_PATH).content;
            assert.equal(site, renderNginxConfig({ listenPort: 80, upstream: APP_LB, behindLoadBalancer: true }));
            assert.deepEqual(site.match(/^ {4}server .*$/gm), ["    server 10.110.0.9:8080;"]);
        });

        it("writes the nginx site, the identity script and the drain: no container, unit or env file", () => {
            assert.deepEqual(paths(config), [
                NGINX_SITE_PATH,
                IDENTITY_SCRIPT,
                DRAIN_SCRIPT,
                `/etc/systemd/system/${DRAIN_SERVICE}`,
            ]);
            assert.ok(!commands(config).some((c) => c.includes("webstack-app")));
        });

        itAnnouncesItselfAndDrains(config, "web");

        itWritesAnNginxSiteThatPassesNginxT(config);
    });

    describe("app (tier >= 2)", () => {
        const config = rendered(ROLES.app);
        const unit = fileAt(config, APP_UNIT_PATH).content;

        it("installs exactly docker.io and nginx (the identity proxy)", () => {
            assert.deepEqual(config.packages, ["docker.io", "nginx"]);
            assert.deepEqual(paths(config), [
                APP_ENV_PATH,
                APP_UNIT_PATH,
                APP_PATH_UNIT_PATH,
                APP_PROXY_SITE_PATH,
                IDENTITY_SCRIPT,
                DRAIN_SCRIPT,
                `/etc/systemd/system/${DRAIN_SERVICE}`,
            ]);
        });

        it("publishes the container on loopback only, behind the identity proxy that takes the app port", () => {
            assert.deepEqual(unitLine(unit, "ExecStart"), [
                `/usr/bin/docker run --rm --name app -p 127.0.0.1:18080:8080 --env-file ${APP_ENV_PATH} --env-file ${DATABASE_SECRETS_PATH} ${APP.image}`,
            ]);
            assert.deepEqual(unitLine(unit, "Restart"), ["always"]);
            assert.equal(fileAt(config, APP_PROXY_SITE_PATH).content, renderAppProxyConfig({ appPort: 8080 }));
            const cmds = commands(config);
            assert.ok(cmds.indexOf(IDENTITY_SCRIPT) < cmds.indexOf("systemctl reload-or-restart nginx.service"));
        });

        itAnnouncesItselfAndDrains(config, "app");

        it("gives the app the database and cache connection facts, TLS required for both", () => {
            assert.deepEqual(envOf(config), {
                DATABASE_HOST: DATABASE.host,
                DATABASE_PORT: "25060",
                DATABASE_USER: "app",
                DATABASE_NAME: "shop",
                DATABASE_SSLMODE: "REQUIRED",
                CACHE_HOST: CACHE.host,
                CACHE_PORT: "25061",
                CACHE_TLS: "true",
            });
        });

        it("omits every cache setting when there is no cache", () => {
            const env = envOf(rendered(ROLES["app without cache"]));
            assert.deepEqual(
                Object.keys(env).filter((k) => k.startsWith("CACHE_")),
                [],
            );
            assert.equal(
                renderCloudInit({ ...ROLES.app, cache: undefined }),
                renderCloudInit(ROLES["app without cache"]),
            );
        });

        it("waits for the operator-delivered password file before starting the app", () => {
            assert.deepEqual(unitLine(unit, "ConditionPathExists"), [DATABASE_SECRETS_PATH]);
            assert.deepEqual(unitLine(fileAt(config, APP_PATH_UNIT_PATH).content, "PathExists"), [
                DATABASE_SECRETS_PATH,
            ]);
        });
    });

    describe("haproxy", () => {
        const tls = rendered(ROLES["haproxy with TLS"]);
        const plain = rendered(ROLES["haproxy without TLS"]);

        it("installs exactly haproxy, certbot and openssl with TLS, and only haproxy without", () => {
            assert.deepEqual(tls.packages, ["haproxy", "certbot", "openssl"]);
            assert.deepEqual(plain.packages, ["haproxy"]);
        });

        it("writes the HAProxy config that finds the web pool, and with TLS its ACME peers, in DNS", () => {
            assert.equal(
                fileAt(tls, HAPROXY_CONFIG_PATH).content,
                renderHaproxyConfig({
                    webPool: WEB_POOL,
                    acmePeers: ACME_PEERS,
                    algorithm: "roundrobin",
                    tls: true,
                    domain: "www.example.com",
                }),
            );
            assert.equal(
                fileAt(plain, HAPROXY_CONFIG_PATH).content,
                renderHaproxyConfig({
                    webPool: WEB_POOL,
                    algorithm: "leastconn",
                    tls: false,
                    domain: "www.example.com",
                }),
            );
        });

        it("makes certbot's first order wait until the peers' name lists the droplet", () => {
            assert.equal(fileAt(tls, ACME_PEER_WAIT).content, peerWaitScript(ACME_PEERS.name));
            assert.equal(fileAt(tls, ACME_PEER_WAIT).permissions, "0700");
            const service = fileAt(tls, "/etc/systemd/system/webstack-certbot.service").content;
            assert.deepEqual(unitLine(service, "ExecStartPre"), [ACME_PEER_WAIT]);
        });

        it("installs a self-signed placeholder certificate before starting HAProxy", () => {
            const cmds = commands(tls);
            const placeholder = cmds.indexOf("/usr/local/sbin/webstack-haproxy-placeholder-cert");
            assert.ok(
                placeholder >= 0 && placeholder < cmds.indexOf("systemctl restart haproxy.service"),
                cmds.join("\n"),
            );
            const script = fileAt(tls, "/usr/local/sbin/webstack-haproxy-placeholder-cert").content;
            assert.match(script, /^\[ -s \/etc\/haproxy\/certs\/www\.example\.com\.pem \] && exit 0$/m);
            assert.match(
                script,
                /^openssl req -x509 -newkey rsa:2048 -nodes -days 90 -subj "\/CN=www\.example\.com" /m,
            );
        });

        it("obtains the certificate with certbot standalone behind HAProxy and installs chain plus key for HAProxy", () => {
            const service = fileAt(tls, "/etc/systemd/system/webstack-certbot.service").content;
            assert.deepEqual(unitLine(service, "ExecStart"), [
                "/usr/bin/certbot certonly --standalone --non-interactive --agree-tos --register-unsafely-without-email --preferred-challenges http --http-01-address 127.0.0.1 --http-01-port 8888 --cert-name www.example.com --domain www.example.com --domain www.www.example.com --deploy-hook /usr/local/sbin/webstack-haproxy-cert-deploy",
            ]);
            assert.deepEqual(unitLine(service, "ConditionPathExists"), [
                "!/etc/letsencrypt/live/www.example.com/fullchain.pem",
            ]);
            const hook = fileAt(tls, "/usr/local/sbin/webstack-haproxy-cert-deploy").content;
            assert.match(
                hook,
                /^cat "\$lineage\/fullchain\.pem" "\$lineage\/privkey\.pem" > \/etc\/haproxy\/www\.example\.com\.pem\.new$/m,
            );
            assert.match(
                hook,
                /^mv \/etc\/haproxy\/www\.example\.com\.pem\.new \/etc\/haproxy\/certs\/www\.example\.com\.pem$/m,
            );
            assert.match(hook, /^systemctl reload haproxy\.service$/m);
        });

        it("retries the first certificate every 15 minutes until DNS points at the droplet", () => {
            const timer = fileAt(tls, "/etc/systemd/system/webstack-certbot.timer").content;
            assert.deepEqual(unitLine(timer, "OnCalendar"), ["*:0/15"]);
            assert.ok(commands(tls).includes("systemctl enable --now webstack-certbot.timer"));
        });

        it("writes no certbot, certificate or app files without TLS", () => {
            assert.deepEqual(paths(plain), [HAPROXY_CONFIG_PATH]);
            assert.deepEqual(commands(plain), [
                "haproxy -c -f /etc/haproxy/haproxy.cfg",
                "systemctl enable haproxy.service",
                "systemctl restart haproxy.service",
            ]);
        });
    });

    describe("roles other than all-in-one", () => {
        it("never install mysql-server", () => {
            for (const [name, role] of Object.entries(ROLES)) {
                if (role.kind === "all-in-one") continue;
                assert.ok(!rendered(role).packages.includes("mysql-server"), name);
            }
        });
    });

    describe("validation", () => {
        it("reports every invalid field of a role at once", () => {
            const role = {
                kind: "web-and-app",
                app: { image: "shop latest; rm -rf /", port: 80 },
                webPort: 80,
                database: { host: "db host", port: 0, user: "app'; DROP", database: "" },
            } as HostRole;
            assert.throws(() => renderCloudInit(role), {
                message: [
                    'Invalid host role "web-and-app":',
                    '  - app.image: must be a container image reference such as "ghcr.io/acme/shop:1.4.2"; got "shop latest; rm -rf /".',
                    '  - app.port: must differ from webPort, where nginx listens on the same host; got "80".',
                    '  - database.host: must be an IPv4 address or a DNS name; got "db host".',
                    '  - database.port: must be an integer from 1 to 65535; got "0".',
                    '  - database.user: must be 1 to 32 letters, digits, "_" or "-"; got "app\'; DROP".',
                    '  - database.database: must be 1 to 64 letters, digits, "_" or "-"; got "".',
                    '  - drainSeconds: must be an integer from 1 to 300; got "undefined".',
                ].join("\n"),
            });
        });

        it("rejects an all-in-one app port that the local MySQL server owns", () => {
            assert.deepEqual(hostRoleProblems({ kind: "all-in-one", app: { ...APP, port: 3306 }, webPort: 80 }), [
                'app.port: 3306 and 33060 belong to the local MySQL server; got "3306".',
            ]);
        });

        it("rejects an upstream or cache that is not a plain host name or IPv4 address", () => {
            assert.deepEqual(
                hostRoleProblems({ ...ROLES.web, webPort: 70000, upstream: { host: "10.0.0.1;", port: 8080 } }),
                [
                    'webPort: must be an integer from 1 to 65535; got "70000".',
                    'upstream.host: must be an IPv4 address or a DNS name; got "10.0.0.1;".',
                ],
            );
            assert.deepEqual(hostRoleProblems({ ...ROLES.app, cache: { host: "", port: 1.5 } }), [
                'cache.host: must be an IPv4 address or a DNS name; got "".',
                'cache.port: must be an integer from 1 to 65535; got "1.5".',
            ]);
        });

        it("rejects an HAProxy role with a bad web pool name, an unknown algorithm or a bare domain", () => {
            assert.deepEqual(
                hostRoleProblems({
                    kind: "haproxy",
                    webPool: { name: "web pool", port: 0 },
                    algorithm: "random" as "roundrobin",
                    tls: true,
                    domain: "localhost",
                }),
                [
                    'webPool.name: must be an IPv4 address or a DNS name; got "web pool".',
                    'webPool.port: must be an integer from 1 to 65535; got "0".',
                    'algorithm: expected "roundrobin" or "leastconn"; got "random".',
                    'domain: must be a fully qualified DNS name such as "www.example.com"; got "localhost".',
                ],
            );
        });

        it("rejects a serving role without a drain length it can render, and a CDN endpoint that is not a host", () => {
            assert.deepEqual(hostRoleProblems({ ...ROLES.web, drainSeconds: 0 }), [
                'drainSeconds: must be an integer from 1 to 300; got "0".',
            ]);
            assert.deepEqual(hostRoleProblems({ ...ROLES.app, cdnEndpoint: "cdn host", drainSeconds: 301 }), [
                'app.cdnEndpoint: must be an IPv4 address or a DNS name; got "cdn host".',
                'drainSeconds: must be an integer from 1 to 300; got "301".',
            ]);
        });

        it("rejects an unknown role kind", () => {
            assert.throws(() => renderCloudInit({ kind: "database" } as unknown as HostRole), {
                message:
                    'Invalid host role "database":\n  - kind: expected "all-in-one", "web-and-app", "web", "app" or "haproxy"; got "database".',
            });
        });
    });
});
