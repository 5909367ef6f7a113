// App roles that carry their secrets write them into the root-only secrets file and lock the metadata
// service (which serves the user data) to root, persistently; HAProxy gets a custom certificate the same way.
// The rendered documents are checked exactly, and with the real `cloud-init schema`.
import assert from "node:assert/strict";
import { parse } from "yaml";
import { APP_SERVICE, DATABASE_SECRETS_PATH } from "../../../components/hostConfig/appUnit";
import { renderCloudInit } from "../../../components/hostConfig/cloudInit";
import { METADATA_LOCK_SCRIPT, METADATA_LOCK_SERVICE } from "../../../components/hostConfig/metadataLock";
import type { CloudConfig, HostRole, WriteFile } from "../../../components/hostConfig/types";
import { APP, CACHE, DATABASE, ROLES, WEB_POOL } from "../../support/hostRoles";
import { cloudInitSchema, requireTool } from "../../support/hostTools";

const SECRETS = { DATABASE_PASSWORD: "s3cr3t-db-pass", CACHE_PASSWORD: "s3cr3t-cache-pass" };
const HEADER = "# Rendered by webstack (components/hostConfig); overwritten when the droplet is rebuilt.";
const PEM =
    "-----BEGIN CERTIFICATE-----\nMIIleaf\n-----END CERTIFICATE-----\n-----BEGIN PRIVATE KEY-----\nMIIkey\n-----END PRIVATE KEY-----\n";

const SECRET_ROLES = {
    "app with secrets": {
        kind: "app",
        app: APP,
        database: { ...DATABASE, readHosts: ["private-replica-0.db.ondigitalocean.com"] },
        cache: CACHE,
        secrets: SECRETS,
        drainSeconds: 35,
    },
    "web-and-app with secrets": {
        kind: "web-and-app",
        app: { ...APP, healthPath: "/ready" },
        webPort: 80,
        database: DATABASE,
        secrets: { DATABASE_PASSWORD: "p" },
        drainSeconds: 35,
    },
    "haproxy with a custom certificate": {
        kind: "haproxy",
        webPool: WEB_POOL,
        algorithm: "roundrobin",
        tls: true,
        domain: "example.com",
        certificatePem: PEM,
    },
} satisfies Record<string, HostRole>;

const rendered = (role: HostRole) => parse(renderCloudInit(role), { version: "1.1" }) as CloudConfig;
const fileAt = (config: CloudConfig, path: string): WriteFile => {
    const found = config.write_files.filter((f) => f.path === path);
    assert.equal(found.length, 1, `exactly one write_files entry for ${path}`);
    return found[0];
};

const LOCK_SCRIPT = [
    "#!/bin/sh",
    HEADER,
    "# Keeps the metadata service (and the user data it serves, which holds this host's secrets) away from",
    "# containers and non-root users. Idempotent: webstack-metadata-lock.service runs it at every boot, before docker,",
    "# and do-agent.service before each start, so the agent's user passes whenever it was installed.",
    "set -eu",
    "addr=169.254.169.254/32",
    "iptables -w -N DOCKER-USER 2>/dev/null || true",
    'iptables -w -C DOCKER-USER -d "$addr" -j DROP 2>/dev/null || iptables -w -I DOCKER-USER 1 -d "$addr" -j DROP',
    "{",
    "    echo '*filter'",
    "    echo ':WEBSTACK-METADATA - [0:0]'",
    "    echo '-A WEBSTACK-METADATA -m owner --uid-owner 0 -j RETURN'",
    '    if agent=$(id -u do-agent 2>/dev/null); then echo "-A WEBSTACK-METADATA -m owner --uid-owner $agent -j RETURN"; fi',
    "    echo '-A WEBSTACK-METADATA -j DROP'",
    "    echo 'COMMIT'",
    "} | iptables-restore -w --noflush",
    'iptables -w -C OUTPUT -d "$addr" -j WEBSTACK-METADATA 2>/dev/null || iptables -w -I OUTPUT 1 -d "$addr" -j WEBSTACK-METADATA',
    "",
].join("\n");

const LOCK_UNIT = [
    HEADER,
    "[Unit]",
    "Description=Keep the metadata service (169.254.169.254) away from containers and non-root users",
    "DefaultDependencies=no",
    "After=local-fs.target",
    "Before=network-pre.target docker.service",
    "Wants=network-pre.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    "ExecStart=/usr/local/sbin/webstack-metadata-lock",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
].join("\n");

describe("secrets delivered in user data", () => {
    it("writes the secrets file root-only, in Docker env-file form, in the final stage", () => {
        assert.deepEqual(fileAt(rendered(SECRET_ROLES["app with secrets"]), DATABASE_SECRETS_PATH), {
            path: "/etc/webstack/secrets/database.env",
            content: "DATABASE_PASSWORD=s3cr3t-db-pass\nCACHE_PASSWORD=s3cr3t-cache-pass\n",
            owner: "root:root",
            permissions: "0600",
            defer: true,
        });
    });

    it("writes the metadata lock script exactly, root-only", () => {
        assert.deepEqual(fileAt(rendered(SECRET_ROLES["app with secrets"]), METADATA_LOCK_SCRIPT), {
            path: METADATA_LOCK_SCRIPT,
            content: LOCK_SCRIPT,
            owner: "root:root",
            permissions: "0700",
            defer: true,
        });
    });

    it("re-applies the lock at every boot from a unit ordered before docker", () => {
        assert.equal(
            fileAt(rendered(SECRET_ROLES["app with secrets"]), `/etc/systemd/system/${METADATA_LOCK_SERVICE}`).content,
            LOCK_UNIT,
        );
    });

    it("locks the metadata service before it enables the app (app role)", () => {
        assert.deepEqual(rendered(SECRET_ROLES["app with secrets"]).runcmd, [
            ["systemctl", "daemon-reload"],
            ["install", "-d", "-m", "0700", "-o", "root", "-g", "root", "/etc/webstack/secrets"],
            ["systemctl", "enable", "--now", METADATA_LOCK_SERVICE],
            ["systemctl", "enable", APP_SERVICE],
            ["systemctl", "enable", "--now", "webstack-app.path"],
            // Then the identity, the proxy in front of the container and the drain (cloudInit.spec.ts).
            ["/usr/local/sbin/webstack-serving-identity"],
            ["rm", "-f", "/etc/nginx/sites-enabled/default"],
            ["ln", "-sfn", "/etc/nginx/sites-available/webstack-app", "/etc/nginx/sites-enabled/webstack-app"],
            ["systemctl", "enable", "nginx.service"],
            ["systemctl", "reload-or-restart", "nginx.service"],
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", "webstack-drain.service"],
        ]);
    });

    it("keeps the password out of runcmd, so it never shows in a process list", () => {
        assert.equal(JSON.stringify(rendered(SECRET_ROLES["app with secrets"]).runcmd).includes("s3cr3t"), false);
    });

    it("hands the app its read replicas as DATABASE_READ_HOSTS", () => {
        assert.match(
            fileAt(rendered(SECRET_ROLES["app with secrets"]), "/etc/webstack/app.env").content,
            /^DATABASE_READ_HOSTS=private-replica-0\.db\.ondigitalocean\.com$/m,
        );
    });

    it("writes neither the secrets file nor the lock when the secrets are delivered by hand", () => {
        const paths = rendered(ROLES.app).write_files.map((f) => f.path);
        assert.deepEqual(
            paths.filter((p) => p === DATABASE_SECRETS_PATH || p === METADATA_LOCK_SCRIPT),
            [],
        );
    });

    it("refuses a secret that is not one line, without showing it", () => {
        assert.throws(
            () =>
                renderCloudInit({
                    ...SECRET_ROLES["app with secrets"],
                    secrets: { DATABASE_PASSWORD: "a\nCACHE_HOST=evil" },
                }),
            {
                message:
                    'Invalid host role "app":\n  - secrets.DATABASE_PASSWORD: must be one non-empty line of text; got a value that is not (value not shown).',
            },
        );
    });

    it("installs a custom certificate for HAProxy root-only, without certbot, behind the metadata lock", () => {
        const config = rendered(SECRET_ROLES["haproxy with a custom certificate"]);
        assert.deepEqual(fileAt(config, "/etc/haproxy/certs/example.com.pem"), {
            path: "/etc/haproxy/certs/example.com.pem",
            content: PEM,
            owner: "root:root",
            permissions: "0600",
            defer: true,
        });
        assert.deepEqual(config.packages, ["haproxy"]);
        assert.deepEqual(config.runcmd, [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", METADATA_LOCK_SERVICE],
            ["haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"],
            ["systemctl", "enable", "haproxy.service"],
            ["systemctl", "restart", "haproxy.service"],
        ]);
    });

    for (const [name, role] of Object.entries(SECRET_ROLES)) {
        it(`passes cloud-init schema for ${name}`, async function () {
            const cloudInit = requireTool(this, "cloud-init");
            const result = await cloudInitSchema(cloudInit, renderCloudInit(role));
            assert.equal(result.status, 0, result.output);
            assert.match(result.output, /Valid cloud-config/);
        });
    }
});
