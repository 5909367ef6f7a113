// A host's add-ons (the nginx exporter, its push agent, log shipping) join its role's cloud-config as data and the
// whole is serialized once; whether the user data is a secret is read off the host alone.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { type Host, holdsSecret, renderCloudInit } from "../../../components/hostConfig/cloudInit";
import { SHIPPER_PASSWORD_PATH, RSYSLOG_SHIPPER_PATH } from "../../../components/hostConfig/logShipper";
import { METADATA_LOCK_SCRIPT, METADATA_LOCK_SERVICE } from "../../../components/hostConfig/metadataLock";
import { AGENT_CONFIG_PATH, AGENT_PASSWORD_PATH } from "../../../components/hostConfig/metricsPush";
import { NGINX_EXPORTER_SETUP } from "../../../components/hostConfig/prometheus";
import type { CloudConfig } from "../../../components/hostConfig/types";
import { NGINX_SITE_PATH } from "../../../components/hostConfig/nginx";
import { hostUserData } from "../../../components/hostRoles";
import { ROLES } from "../../support/hostRoles";

const PUSH = { host: "webstack-metrics-push.example.com", password: "a".repeat(64) };
const LOGS = { host: "private-logs.db.ondigitalocean.com", port: 25060, user: "log-writer", password: "pw-1" };
const load = (host: Host) =>
    parse(renderCloudInit(host).replace(/^#cloud-config\n/, ""), { version: "1.1" }) as CloudConfig;

describe("host add-ons, rendered once with the role", () => {
    it("appends the exporter, its agent, one metadata lock and the shipping, in that order, to a web role", () => {
        const config = load({ ...ROLES.web, exporter: { push: PUSH }, shipping: LOGS });
        const files = config.write_files.map((f) => f.path);
        const at = (path: string) => files.indexOf(path);
        assert.equal(files.filter((p) => p === METADATA_LOCK_SCRIPT).length, 1);
        assert.equal(at(NGINX_SITE_PATH), 0);
        assert.ok(at(NGINX_SITE_PATH) < at(NGINX_EXPORTER_SETUP), files.join(", "));
        assert.ok(at(NGINX_EXPORTER_SETUP) < at(AGENT_CONFIG_PATH), files.join(", "));
        assert.ok(at(AGENT_PASSWORD_PATH) < at(METADATA_LOCK_SCRIPT), files.join(", "));
        assert.ok(at(METADATA_LOCK_SCRIPT) < at(SHIPPER_PASSWORD_PATH), files.join(", "));
        assert.ok(at(SHIPPER_PASSWORD_PATH) < at(RSYSLOG_SHIPPER_PATH), files.join(", "));
        const lock = ["systemctl", "enable", "--now", METADATA_LOCK_SERVICE];
        assert.deepEqual(config.runcmd[1], lock);
        assert.equal(config.runcmd.filter((c) => c.join(" ") === lock.join(" ")).length, 1);
    });

    it("locks the metadata service for the shipper's password alone, and not for add-ons without secrets", () => {
        const has = (host: Host) => load(host).write_files.some((f) => f.path === METADATA_LOCK_SCRIPT);
        assert.equal(has({ ...ROLES.web, exporter: {}, shipping: LOGS }), true);
        assert.equal(
            has({ ...ROLES.web, exporter: { push: { host: PUSH.host } }, shipping: { ...LOGS, password: undefined } }),
            false,
        );
    });

    it("refuses the exporter on a role that runs no nginx", () => {
        assert.throws(() => renderCloudInit({ ...ROLES.app, exporter: {} }), {
            message:
                'Invalid metrics push:\n  - exporter: applies only to roles that run nginx; got a role of kind "app".',
        });
    });

    it("finds a secret in a host exactly when a secret file, key or password is set in it", () => {
        const cases: [string, Host, boolean][] = [
            ["all-in-one", ROLES["all-in-one"], false],
            [
                "web-and-app with its secrets file",
                { ...ROLES["web-and-app"], secrets: { DATABASE_PASSWORD: "x" } },
                true,
            ],
            ["web-and-app, secrets delivered by hand", ROLES["web-and-app"], false],
            ["web shipping without the password", { ...ROLES.web, shipping: { ...LOGS, password: undefined } }, false],
            ["web shipping with the password", { ...ROLES.web, shipping: LOGS }, true],
            ["web pushing with the password", { ...ROLES.web, exporter: { push: PUSH } }, true],
            ["haproxy with a custom certificate", { ...ROLES["haproxy with TLS"], certificatePem: "PEM" }, true],
            [
                "monitor with the Slack webhook",
                { kind: "monitor", stack: "p", retentionDays: 14, slack: { channel: "#o", url: "u" } },
                true,
            ],
            [
                "monitor, secrets by hand",
                { kind: "monitor", stack: "p", retentionDays: 14, slack: { channel: "#o" } },
                false,
            ],
        ];
        assert.deepEqual(
            cases.map(([label, host]) => [label, holdsSecret(host)]),
            cases.map(([label, , secret]) => [label, secret]),
        );
    });

    it("decides secrecy from a host whose values are still to come as from the same host known", async () => {
        const pending = {
            ...ROLES.web,
            upstream: { host: pulumi.output("10.0.0.9"), port: 8080 },
            shipping: { ...LOGS, password: pulumi.output("pw-1") },
        };
        const known = { ...ROLES.web, upstream: { host: "10.0.0.9", port: 8080 }, shipping: LOGS };
        const spec = hostUserData(pending);
        assert.equal(spec.userDataIsSecret, true);
        assert.equal(await (spec.userData as unknown as { isSecret: Promise<boolean> }).isSecret, true);
        assert.equal(
            await (spec.userData as unknown as { promise(): Promise<string> }).promise(),
            renderCloudInit(known),
        );
        const plain = hostUserData({ ...ROLES.web, upstream: { host: pulumi.output("10.0.0.9"), port: 8080 } });
        assert.equal(plain.userDataIsSecret, false);
        assert.equal(await (plain.userData as unknown as { isSecret: Promise<boolean> }).isSecret, false);
    });
});
