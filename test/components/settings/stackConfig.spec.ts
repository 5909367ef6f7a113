import assert from "node:assert/strict";
import { TIER_PROFILES } from "../../../components/settings/tiers";
import { parseStackConfig } from "../../../components/settings/stackConfig";
import { encodeConfig, exampleConfig } from "../../support/program";
import { configProblems, parseConfig } from "../../support/stackConfig";

const parse = parseConfig;
const problems = configProblems;

describe("Stack config: defaults per tier", () => {
    for (const tier of [0, 1, 2, 3] as const) {
        it(`resolves tier ${tier} to its profile`, () => {
            const s = parse(exampleConfig(tier));
            const p = TIER_PROFILES[tier];
            assert.deepEqual(
                {
                    web: { count: s.web.count, size: s.web.size },
                    app: s.appPool && { count: s.appPool.count, size: s.appPool.size },
                    lb:
                        s.loadBalancer?.engine === "managed"
                            ? { count: s.loadBalancer.count, sizeUnit: s.loadBalancer.sizeUnit }
                            : undefined,
                    db: s.database && {
                        size: s.database.size,
                        standbyNodes: s.database.standbyNodes,
                        readReplicas: s.database.readReplicas,
                    },
                    cache: s.cache,
                    cdn: s.staticAssets,
                    fw: s.firewalls,
                    tls: s.certificate !== undefined,
                    mon: s.monitoring,
                },
                {
                    web: p.web,
                    app: p.app,
                    lb: p.loadBalancer,
                    db: p.database,
                    cache: p.cache,
                    cdn: p.staticAssets,
                    fw: p.firewalls,
                    tls: p.tls,
                    mon: p.monitoring,
                },
            );
        });
    }

    it("defaults the app to a placeholder that answers its health path on 8080, and protects the database", () => {
        const s = parse(exampleConfig(1));
        assert.deepEqual(s.app, {
            image: "us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0",
            port: 8080,
            healthPath: "/healthz",
        });
        assert.equal(s.database?.protect, true);
        assert.deepEqual([s.region, s.environment, s.vpcIpRange], ["nyc3", "Development", undefined]);
    });

    it("accepts the plain-text forms pulumi new prompts produce", () => {
        const s = parseStackConfig("dev", {
            "webstack:tier": "2",
            "webstack:domain": "example.com",
            "webstack:sshKeys": "12345, 3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa",
            "webstack:alertEmail": "ops@example.com",
        });
        assert.deepEqual(
            [s.sshKeys, s.alerts.emails],
            [["12345", "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"], ["ops@example.com"]],
        );
    });

    it("ignores keys of other namespaces such as digitalocean:token", () => {
        assert.equal(parseStackConfig("dev", { ...encodeConfig(exampleConfig(0)), "digitalocean:token": "x" }).tier, 0);
    });
});

describe("Stack config: validation messages", () => {
    it("reports a bad tier with the allowed values and the fix", () => {
        assert.deepEqual(problems({ ...exampleConfig(0), tier: 4 }), [
            'webstack:tier: expected "0", "1", "2" or "3"; got "4". Fix: pulumi config set webstack:tier 3',
        ]);
    });

    it("reports a missing tier, domain and SSH key together", () => {
        assert.deepEqual(problems({}), [
            'webstack:tier: required; expected "0", "1", "2" or "3". Fix: pulumi config set webstack:tier 0',
            'webstack:domain: required; the DNS zone DigitalOcean will host (e.g. "example.com"). Fix: pulumi config set webstack:domain example.com',
            "webstack:sshKeys: required; at least one SSH key fingerprint (DigitalOcean e-mails root passwords for droplets without keys). Fix: pulumi config set --path 'webstack:sshKeys[0]' <fingerprint from \"doctl compute ssh-key list\">",
        ]);
    });

    it("reports every problem at once, in key order, with paths, values and fixes", () => {
        assert.deepEqual(
            problems({
                ...exampleConfig(1),
                tierr: 2,
                web: { count: 1, sise: "x" },
                region: "mars1",
                adminCidrs: ["0.0.0.0/0", "10.0.0.1"],
                database: { standbyNodes: 3 },
            }),
            [
                'webstack:tierr: unknown key; allowed keys are "tier", "region", "domain", "environment", "vpcIpRange", "sshKeys", "adminCidrs", "alerts", "alertEmail", "slackWebhookUrl", "smtpPassword", "app", "web", "database", "loadBalancer", "certificate", "dns", "tlsPrivateKey", "tlsCertificate", "tlsCertificateChain", "cache", "staticAssets", "releases", "secrets", "allowDataLoss" or "logs". Fix: pulumi config rm \'webstack:tierr\'',
                'webstack:web.sise: unknown key; allowed keys are "count", "size", "autoscale" or "backups". Fix: pulumi config rm --path \'webstack:web.sise\'',
                'webstack:region: expected "ams3", "atl1", "blr1", "fra1", "lon1", "nyc1", "nyc3", "ric1", "sfo2", "sfo3", "sgp1", "syd1" or "tor1"; got "mars1". Fix: pulumi config set webstack:region nyc3',
                "webstack:adminCidrs[0]: SSH from the whole internet is refused; expected a CIDR narrower than /0; got \"0.0.0.0/0\". Fix: pulumi config set --path 'webstack:adminCidrs[0]' 203.0.113.7/32",
                'webstack:adminCidrs[1]: expected an IPv4 or IPv6 CIDR such as "203.0.113.7/32"; got "10.0.0.1". Fix: pulumi config set --path \'webstack:adminCidrs[1]\' 203.0.113.7/32',
                "webstack:web.count: must be an integer from 2 to 1000 at tier 1; got \"1\". Fix: pulumi config set --path 'webstack:web.count' 2",
                "webstack:database.standbyNodes: must be an integer from 0 to 2; got \"3\". Fix: pulumi config set --path 'webstack:database.standbyNodes' 0",
            ],
        );
    });

    it("refuses standby nodes on a plan under 2 GB", () => {
        assert.deepEqual(problems({ ...exampleConfig(3), database: { standbyNodes: 1, size: "db-s-1vcpu-1gb" } }), [
            "webstack:database.standbyNodes: standby nodes need a plan with at least 2 GB of memory; got 1 standby node(s) on \"db-s-1vcpu-1gb\". Fix: pulumi config set --path 'webstack:database.size' db-s-1vcpu-2gb",
        ]);
    });

    it("refuses keys that do not apply at the tier", () => {
        assert.deepEqual(problems({ ...exampleConfig(0), app: { count: 3 }, loadBalancer: { count: 2 } }), [
            "webstack:app.count: applies only at tier 2 and above (web and app servers share droplets below tier 2); got \"3\" at tier 0. Fix: pulumi config rm --path 'webstack:app.count'",
            "webstack:loadBalancer.count: applies only at tier 1 and above (tier 0 has no load balancer); got \"2\" at tier 0. Fix: pulumi config rm --path 'webstack:loadBalancer.count'",
        ]);
    });

    it("sizes the QPS monitor from logs.monitorSize, a droplet size, and only where a stack collects logs", () => {
        assert.equal(parseConfig(exampleConfig(2)).logs?.monitorSize, "s-1vcpu-2gb");
        assert.equal(
            parseConfig({ ...exampleConfig(2), logs: { monitorSize: "s-2vcpu-4gb" } }).logs?.monitorSize,
            "s-2vcpu-4gb",
        );
        assert.deepEqual(problems({ ...exampleConfig(0), logs: { monitorSize: "s-2vcpu-4gb" } }), [
            "webstack:logs.monitorSize: applies only at tier 1 and above (tier 0 is one server with no managed database to forward logs from); got \"s-2vcpu-4gb\" at tier 0. Fix: pulumi config rm --path 'webstack:logs.monitorSize'",
        ]);
        assert.match(
            problems({ ...exampleConfig(2), logs: { monitorSize: "huge" } }).join("\n"),
            /^webstack:logs\.monitorSize: expected one of \d+ droplet sizes \(e\.g\. "[^"]+", .*\); got "huge"\. Fix: pulumi config set --path 'webstack:logs\.monitorSize' s-1vcpu-2gb$/,
        );
    });

    it("requires an alert target from tier 2", () => {
        assert.deepEqual(problems({ ...exampleConfig(2), alerts: { emails: [] } }), [
            "webstack:alerts.emails: required at tier 2; alert policies need at least one e-mail or Slack target. Fix: pulumi config set --path 'webstack:alerts.emails[0]' ops@example.com",
        ]);
    });

    it("requires the Slack webhook URL to be stored encrypted", () => {
        assert.deepEqual(
            problems({
                ...exampleConfig(2),
                alerts: { slackChannel: "#ops" },
                slackWebhookUrl: "https://hooks.slack.com/services/T/B/X",
            }),
            [
                "webstack:slackWebhookUrl: must be stored encrypted; it is in plain text. Fix: pulumi config set --secret webstack:slackWebhookUrl <value>",
            ],
        );
    });

    it("requires PEM material for a custom certificate", () => {
        assert.deepEqual(problems({ ...exampleConfig(2), certificate: { kind: "custom" } }), [
            'webstack:tlsPrivateKey: required as PEM text when certificate.kind is "custom"; got nothing. Fix: pulumi config set --secret webstack:tlsPrivateKey < privkey.pem',
            'webstack:tlsCertificate: required as PEM text when certificate.kind is "custom"; got nothing. Fix: pulumi config set webstack:tlsCertificate < cert.pem',
        ]);
    });

    it("refuses a structured key given as text, and wrong types", () => {
        assert.deepEqual(problems({ ...exampleConfig(1), web: "big", database: { protect: "yes" }, sshKeys: true }), [
            'webstack:web: expected an object with keys "count", "size", "autoscale" or "backups"; got "big". Fix: pulumi config set --path \'webstack:web.count\' <value>',
            "webstack:sshKeys: expected a list; got \"true\". Fix: pulumi config set --path 'webstack:sshKeys[0]' <fingerprint>",
            "webstack:database.protect: expected true or false; got \"yes\". Fix: pulumi config set --path 'webstack:database.protect' true",
        ]);
    });

    it("needs a Spaces region for static assets", () => {
        assert.deepEqual(problems({ ...exampleConfig(3), region: "nyc1" }), [
            'webstack:region: Spaces (static assets) is not offered in "nyc1"; expected "ams3", "atl1", "blr1", "fra1", "lon1", "nyc3", "sfo2", "sfo3", "sgp1", "syd1" or "tor1". Fix: pulumi config set webstack:region nyc3, or pulumi config set --path \'webstack:staticAssets.enabled\' false',
        ]);
    });

    it("formats the whole error as pulumi up prints it", () => {
        assert.throws(() => parse({ ...exampleConfig(0), tier: "x" }), {
            message:
                'Invalid configuration for stack "dev":\n  - webstack:tier: expected "0", "1", "2" or "3"; got "x". Fix: pulumi config set webstack:tier 0',
        });
    });
});

describe("Stack config: secrets delivery and health path", () => {
    it("delivers secrets in user data by default", () => {
        assert.equal(parse(exampleConfig(2)).secretsDelivery, "userData");
    });

    it("accepts secrets.delivery manual with fixed pools", () => {
        assert.equal(parse({ ...exampleConfig(2), secrets: { delivery: "manual" } }).secretsDelivery, "manual");
    });

    it("refuses an unknown secrets.delivery", () => {
        assert.deepEqual(problems({ ...exampleConfig(2), secrets: { delivery: "vault" } }), [
            `webstack:secrets.delivery: expected "userData" or "manual"; got "vault". Fix: pulumi config set --path 'webstack:secrets.delivery' userData`,
        ]);
    });

    it("refuses an autoscaled app pool with secrets.delivery manual", () => {
        assert.deepEqual(
            problems({ ...exampleConfig(2), app: { autoscale: { min: 2, max: 4 } }, secrets: { delivery: "manual" } }),
            [
                `webstack:app.autoscale: needs secrets.delivery "userData"; DigitalOcean creates autoscale members itself, so no one can copy the secrets file onto them with secrets.delivery "manual"; got "{"min":2,"max":4}". Fix: pulumi config set --path 'webstack:secrets.delivery' userData, or pulumi config rm --path 'webstack:app.autoscale'`,
            ],
        );
    });

    it("refuses tier-1 web.autoscale with secrets.delivery manual (web droplets carry the app there)", () => {
        assert.deepEqual(
            problems({ ...exampleConfig(1), web: { autoscale: { min: 2, max: 4 } }, secrets: { delivery: "manual" } }),
            [
                `webstack:web.autoscale: needs secrets.delivery "userData"; DigitalOcean creates autoscale members itself, so no one can copy the secrets file onto them with secrets.delivery "manual"; got "{"min":2,"max":4}". Fix: pulumi config set --path 'webstack:secrets.delivery' userData, or pulumi config rm --path 'webstack:web.autoscale'`,
            ],
        );
    });

    it("accepts tier-2 web.autoscale with secrets.delivery manual (web droplets carry no secret there)", () => {
        assert.equal(
            parse({ ...exampleConfig(2), web: { autoscale: { min: 2, max: 4 } }, secrets: { delivery: "manual" } })
                .secretsDelivery,
            "manual",
        );
    });

    it("refuses a custom certificate for HAProxy with secrets.delivery manual", () => {
        const config = {
            ...exampleConfig(2),
            loadBalancer: { engine: "haproxy" },
            certificate: { kind: "custom" },
            tlsPrivateKey: "-----BEGIN PRIVATE KEY-----\nk\n-----END PRIVATE KEY-----\n",
            tlsCertificate: "-----BEGIN CERTIFICATE-----\nc\n-----END CERTIFICATE-----\n",
            secrets: { delivery: "manual" },
        };
        assert.deepEqual(problems(config, ["tlsPrivateKey"]), [
            `webstack:certificate.kind: "custom" with the haproxy engine needs secrets.delivery "userData", the channel that carries the private key to the HAProxy droplets; got "custom" with secrets.delivery "manual". Fix: pulumi config set --path 'webstack:secrets.delivery' userData`,
        ]);
    });

    it("takes the app's health path", () => {
        assert.equal(
            parse({ ...exampleConfig(2), app: { healthPath: "/status/ready" } }).app.healthPath,
            "/status/ready",
        );
    });

    it("refuses a health path that is not a plain absolute path", () => {
        assert.deepEqual(problems({ ...exampleConfig(2), app: { healthPath: "healthz?x=1" } }), [
            `webstack:app.healthPath: expected an absolute URL path of letters, digits and "/._~-" (at most 128 characters) that the app answers with 2xx when it serves, such as "/healthz"; got "healthz?x=1". Fix: pulumi config set --path 'webstack:app.healthPath' /healthz`,
        ]);
    });
});
