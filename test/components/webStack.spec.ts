import assert from "node:assert/strict";
import { WORLD } from "../../components/firewalls";
import { RecordedResource, plain, redact } from "../../plan/capture/recorder";
import { byName, exampleConfig, output, runProgram, short } from "../support/program";

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));
const TAGS = (...roles: string[]) => ["project", "stack", ...roles].map((r) => `Tag webstack-tag-${r}`);

function tier0(): string[] {
    return [
        "WebStack webstack",
        "Network webstack-network",
        "Vpc webstack-network-vpc",
        ...TAGS("web"),
        "ServerPool webstack-web",
        "Droplet webstack-web-0",
        "Domain webstack-zone",
        "Dns webstack-dns",
        "DnsRecord webstack-dns-apex-0",
        "DnsRecord webstack-dns-www-0",
        "Project webstack-project",
    ];
}
function tier1(): string[] {
    return [
        "WebStack webstack",
        "DataTier webstack",
        "Edge webstack",
        "Network webstack-network",
        "Vpc webstack-network-vpc",
        ...TAGS("web", "db"),
        "ServerPool webstack-web",
        ...range(2, (i) => `Droplet webstack-web-${i}`),
        "Stash webstack-web-serving",
        "LoadBalancers webstack-lb",
        "LoadBalancer webstack-lb-0",
        "Database webstack-db",
        "DatabaseCluster webstack-db-cluster",
        "DatabaseReplica webstack-db-replica-0",
        "DatabaseDb webstack-db-app",
        "DatabaseUser webstack-db-app-user",
        "Domain webstack-zone",
        "Dns webstack-dns",
        "DnsRecord webstack-dns-apex-0",
        "DnsRecord webstack-dns-www-0",
        "Project webstack-project",
    ];
}
const MONITORING = [
    "Monitoring webstack-monitoring",
    ...[
        "droplet-cpu",
        "droplet-memory",
        "droplet-disk",
        "lb-5xx",
        "lb-droplet-health",
        "lb-latency",
        "db-cpu",
        "db-memory",
        "db-disk",
    ].map((k) => `MonitorAlert webstack-monitoring-${k}`),
    "UptimeCheck webstack-monitoring-uptime",
    ...["down", "latency", "ssl-expiry"].map((k) => `UptimeAlert webstack-monitoring-uptime-${k}`),
];
/** The log store from tier 2, and a sink from the MySQL cluster. */
const LOG_STORE = [
    "Tag webstack-tag-logs",
    "LogStore webstack-logs",
    "DatabaseCluster webstack-logs-cluster",
    "DatabaseFirewall webstack-logs-firewall",
    "DatabaseUser webstack-logs-writer",
    "DatabaseLogsinkOpensearch webstack-logs-sink-mysql",
];
/**
 * The monitor droplet, its firewall, one metrics DNS record per web droplet, and the SRV record of the database's
 * metrics endpoint (the primary's; a second one with standby nodes).
 */
const QPS_MONITOR = (web: number) => [
    "Tag webstack-tag-monitor",
    "ServerPool webstack-monitor",
    "Droplet webstack-monitor-0",
    "Firewall webstack-firewall-monitor",
    ...range(web, (i) => `DnsRecord webstack-metrics-web-${i}`),
    "DnsRecord webstack-mysql-metrics-0",
];
function tier2(web = 2, app = 2, lbs = 1, replicas = 1): string[] {
    return [
        "WebStack webstack",
        "DataTier webstack",
        "AppTier webstack",
        "Edge webstack",
        "Observability webstack",
        "Network webstack-network",
        "Vpc webstack-network-vpc",
        ...TAGS("web", "app", "db"),
        "ServerPool webstack-web",
        ...range(web, (i) => `Droplet webstack-web-${i}`),
        "Stash webstack-web-serving",
        "ServerPool webstack-app",
        ...range(app, (i) => `Droplet webstack-app-${i}`),
        "Stash webstack-app-serving",
        "LoadBalancers webstack-lb",
        ...range(lbs, (i) => `LoadBalancer webstack-lb-${i}`),
        "LoadBalancers webstack-app-lb",
        "LoadBalancer webstack-app-lb-0",
        "Tls webstack-tls",
        "Certificate webstack-tls-cert",
        "Database webstack-db",
        "DatabaseCluster webstack-db-cluster",
        ...range(replicas, (i) => `DatabaseReplica webstack-db-replica-${i}`),
        "DatabaseDb webstack-db-app",
        "DatabaseUser webstack-db-app-user",
        "DatabaseFirewall webstack-db-firewall",
        ...range(replicas, (i) => `DatabaseFirewall webstack-db-replica-${i}-firewall`),
        ...LOG_STORE,
        ...QPS_MONITOR(web),
        "Firewalls webstack-firewall",
        "Firewall webstack-firewall-web",
        "Firewall webstack-firewall-app",
        ...MONITORING,
        "Domain webstack-zone",
        "Dns webstack-dns",
        ...range(lbs, (i) => `DnsRecord webstack-dns-apex-${i}`),
        ...range(lbs, (i) => `DnsRecord webstack-dns-www-${i}`),
        "Project webstack-project",
    ];
}
function tier3(): string[] {
    return [
        ...tier2(4, 4, 2, 2),
        "Tag webstack-tag-cache",
        "Cache webstack-cache",
        "DatabaseCluster webstack-cache-cluster",
        "DatabaseFirewall webstack-cache-firewall",
        "DatabaseLogsinkOpensearch webstack-logs-sink-valkey",
        "StaticAssets webstack-static",
        "SpacesBucket webstack-static-bucket",
        "Cdn webstack-static-cdn",
    ];
}

const sorted = (list: string[]) => [...list].sort();
const inputs = (r: RecordedResource) => plain(r.inputs) as Record<string, any>;

describe("WebStack: resources per tier", () => {
    const expected: Record<number, () => string[]> = { 0: tier0, 1: tier1, 2: () => tier2(), 3: tier3 };
    for (const tier of [0, 1, 2, 3]) {
        it(`builds exactly the tier ${tier} resource set`, async () => {
            const { resources } = await runProgram(exampleConfig(tier));
            assert.deepEqual(sorted(resources.map(short)), sorted(expected[tier]()));
        });
    }

    it("creates no load balancer, managed database or firewall at tier 0", async () => {
        const { resources } = await runProgram(exampleConfig(0));
        const types = new Set(resources.map((r) => r.type.split(":").pop()));
        for (const absent of [
            "LoadBalancer",
            "DatabaseCluster",
            "Firewall",
            "DatabaseFirewall",
            "MonitorAlert",
            "Certificate",
        ])
            assert.equal(types.has(absent), false, absent);
    });

    it("points the apex and www at the single droplet at tier 0", async () => {
        const { resources } = await runProgram(exampleConfig(0));
        const ip = byName(resources, "webstack-web-0").state.ipv4Address;
        for (const name of ["webstack-dns-apex-0", "webstack-dns-www-0"]) {
            const r = inputs(byName(resources, name));
            assert.deepEqual({ type: r.type, value: r.value, ttl: r.ttl }, { type: "A", value: ip, ttl: 300 });
        }
        assert.equal(inputs(byName(resources, "webstack-dns-apex-0")).name, "@");
        assert.equal(inputs(byName(resources, "webstack-dns-www-0")).name, "www");
    });

    it("points one A record per name at each public load balancer at tier 3", async () => {
        const { resources } = await runProgram(exampleConfig(3));
        const ips = ["webstack-lb-0", "webstack-lb-1"].map((n) => byName(resources, n).state.ip);
        const records = resources
            .filter((r) => r.type.endsWith("DnsRecord"))
            .map((r) => `${inputs(r).name} ${inputs(r).value}`);
        // Plus one record per web droplet's private address, which the monitor discovers them by, and the SRV
        // record of the database's metrics endpoint.
        const webIps = range(4, (i) => String(byName(resources, `webstack-web-${i}`).state.ipv4AddressPrivate));
        const dbHost = String(byName(resources, "webstack-db-cluster").state.host);
        assert.deepEqual(
            sorted(records),
            sorted([
                ...ips.flatMap((ip) => [`@ ${ip}`, `www ${ip}`]),
                ...webIps.map((ip) => `webstack-metrics-web ${ip}`),
                `_webstack-mysql-metrics._tcp ${dbHost}.`,
            ]),
        );
    });

    it("honours pool, load balancer and replica overrides", async () => {
        const { resources } = await runProgram({
            ...exampleConfig(2),
            web: { count: 3 },
            app: { count: 5 },
            loadBalancer: { count: 2 },
            database: { readReplicas: 0 },
        });
        assert.deepEqual(sorted(resources.map(short)), sorted(tier2(3, 5, 2, 0)));
    });
});

describe("WebStack: load balancers", () => {
    it("forwards plain HTTP to the web tag with a health check at tier 1", async () => {
        const { resources } = await runProgram(exampleConfig(1));
        const lb = inputs(byName(resources, "webstack-lb-0"));
        assert.deepEqual(lb.forwardingRules, [
            { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 },
        ]);
        assert.equal(lb.dropletTag, "webstack-dev-web");
        assert.equal(lb.network, "EXTERNAL");
        assert.deepEqual(lb.healthcheck, {
            protocol: "http",
            port: 80,
            path: "/healthz",
            checkIntervalSeconds: 10,
            responseTimeoutSeconds: 5,
            healthyThreshold: 3,
            unhealthyThreshold: 3,
        });
        assert.equal(lb.redirectHttpToHttps, false);
        assert.equal(lb.tlsCipherPolicy, undefined);
    });

    it("terminates TLS with the certificate, redirects HTTP and uses STRONG ciphers at tier 2", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const lb = inputs(byName(resources, "webstack-lb-0"));
        const certName = byName(resources, "webstack-tls-cert").state.name;
        assert.deepEqual(lb.forwardingRules, [
            {
                entryProtocol: "https",
                entryPort: 443,
                targetProtocol: "http",
                targetPort: 80,
                certificateName: certName,
            },
            { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 },
        ]);
        assert.deepEqual(
            [lb.redirectHttpToHttps, lb.tlsCipherPolicy, lb.disableLetsEncryptDnsRecords],
            [true, "STRONG", true],
        );
        assert.deepEqual(inputs(byName(resources, "webstack-tls-cert")), {
            type: "lets_encrypt",
            domains: ["example.com", "www.example.com"],
        });
    });

    it("puts the app pool behind an internal TCP load balancer on the app port at tier 2, so X-Forwarded-* pass through", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), app: { port: 9000 } });
        const lb = inputs(byName(resources, "webstack-app-lb-0"));
        assert.deepEqual(
            { network: lb.network, dropletTag: lb.dropletTag, forwardingRules: lb.forwardingRules },
            {
                network: "INTERNAL",
                dropletTag: "webstack-dev-app",
                forwardingRules: [{ entryProtocol: "tcp", entryPort: 9000, targetProtocol: "tcp", targetPort: 9000 }],
            },
        );
    });

    it("health-checks the app pool over HTTP on the app's health path", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), app: { port: 9000, healthPath: "/ready" } });
        assert.deepEqual(inputs(byName(resources, "webstack-app-lb-0")).healthcheck, {
            protocol: "http",
            port: 9000,
            path: "/ready",
            checkIntervalSeconds: 10,
            responseTimeoutSeconds: 5,
            healthyThreshold: 3,
            unhealthyThreshold: 3,
        });
    });

    it("health-checks the web pool through nginx on the app's health path", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), app: { healthPath: "/ready" } });
        const check = inputs(byName(resources, "webstack-lb-0")).healthcheck;
        assert.deepEqual(
            { protocol: check.protocol, port: check.port, path: check.path },
            { protocol: "http", port: 80, path: "/ready" },
        );
    });
});

describe("WebStack: firewalls", () => {
    it("opens web to its load balancer on 80, app to its internal load balancer on the app port, SSH to admins only", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const lbId = byName(resources, "webstack-lb-0").id;
        const appLbId = byName(resources, "webstack-app-lb-0").id;
        const outbound = [
            { protocol: "tcp", portRange: "1-65535", destinationAddresses: WORLD },
            { protocol: "udp", portRange: "1-65535", destinationAddresses: WORLD },
            { protocol: "icmp", destinationAddresses: WORLD },
        ];
        const ssh = { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.10/32"] };
        assert.deepEqual(inputs(byName(resources, "webstack-firewall-web")), {
            tags: ["webstack-dev-web"],
            inboundRules: [
                { protocol: "tcp", portRange: "80", sourceLoadBalancerUids: [lbId] },
                { protocol: "tcp", portRange: "9113", sourceTags: ["webstack-dev-monitor"] },
                ssh,
            ],
            outboundRules: outbound,
        });
        // The monitor serves nothing; SSH from the admins is its one door.
        assert.deepEqual(inputs(byName(resources, "webstack-firewall-monitor")), {
            tags: ["webstack-dev-monitor"],
            inboundRules: [ssh],
            outboundRules: outbound,
        });
        assert.deepEqual(inputs(byName(resources, "webstack-firewall-app")), {
            tags: ["webstack-dev-app"],
            inboundRules: [{ protocol: "tcp", portRange: "8080", sourceLoadBalancerUids: [appLbId] }, ssh],
            outboundRules: outbound,
        });
    });

    it("closes SSH when no admin CIDR is given", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), adminCidrs: [] });
        for (const [name, doors] of [
            ["webstack-firewall-web", 2],
            ["webstack-firewall-app", 1],
            ["webstack-firewall-monitor", 0],
        ] as const) {
            assert.equal(inputs(byName(resources, name)).inboundRules.length, doors, name);
            assert.ok(!JSON.stringify(inputs(byName(resources, name)).inboundRules).includes('"22"'), name);
        }
    });

    it("trusts only the app tag in the cache firewall, and the app and monitor tags in the database firewall at tier 3", async () => {
        const { resources } = await runProgram(exampleConfig(3));
        for (const [fw, cluster, tags] of [
            ["webstack-db-firewall", "webstack-db-cluster", ["webstack-dev-app", "webstack-dev-monitor"]],
            ["webstack-cache-firewall", "webstack-cache-cluster", ["webstack-dev-app"]],
        ] as const) {
            const rules = tags.map((value) => ({ type: "tag", value }));
            assert.deepEqual(inputs(byName(resources, fw)), { clusterId: byName(resources, cluster).id, rules });
        }
        assert.equal(byName(resources, "webstack-cache-cluster").protect, true);
    });
});

describe("WebStack: droplets", () => {
    it("tags droplets with project, stack and role, uses SSH keys and the VPC", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const vpc = byName(resources, "webstack-network-vpc").id;
        for (const [name, role, size] of [
            ["webstack-web-1", "web", "s-1vcpu-1gb"],
            ["webstack-app-0", "app", "s-1vcpu-2gb"],
        ]) {
            const d = inputs(byName(resources, name));
            assert.deepEqual(
                {
                    tags: d.tags,
                    sshKeys: d.sshKeys,
                    vpcUuid: d.vpcUuid,
                    image: d.image,
                    size: d.size,
                    monitoring: d.monitoring,
                    region: d.region,
                },
                {
                    tags: ["webstack", "webstack-dev", `webstack-dev-${role}`],
                    sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"],
                    vpcUuid: vpc,
                    image: "ubuntu-24-04-x64",
                    size,
                    monitoring: true,
                    region: "nyc3",
                },
            );
        }
    });

    for (const [tier, monitoring] of [
        [0, false],
        [1, false],
        [2, true],
        [3, true],
    ] as const) {
        it(`sets the monitoring agent to ${monitoring} on every droplet at tier ${tier}`, async () => {
            const { resources } = await runProgram(exampleConfig(tier));
            const droplets = resources.filter((r) => r.type.endsWith("droplet:Droplet"));
            assert.deepEqual([...new Set(droplets.map((d) => inputs(d).monitoring))], [monitoring]);
        });
    }

    it("renders each role's user data: MySQL on the droplet only at tier 0", async () => {
        const t0 = await runProgram(exampleConfig(0));
        assert.match(inputs(byName(t0.resources, "webstack-web-0")).userData, /mysql-server/);
        const t2 = await runProgram(exampleConfig(2));
        const appLbIp = byName(t2.resources, "webstack-app-lb-0").state.ip;
        const web = inputs(byName(t2.resources, "webstack-web-0")).userData as string;
        const app = inputs(byName(t2.resources, "webstack-app-0")).userData as string;
        assert.doesNotMatch(web + app, /mysql-server/);
        assert.ok(web.includes(`${appLbIp}:8080`), "nginx proxies to the internal load balancer");
        assert.ok(
            app.includes(byName(t2.resources, "webstack-db-cluster").state.privateHost as string),
            "the app knows the private database host",
        );
    });
});

describe("WebStack: database", () => {
    it("builds a single-node MySQL 8 in the VPC with one replica, protected, at tier 1", async () => {
        const { resources } = await runProgram(exampleConfig(1));
        const vpc = byName(resources, "webstack-network-vpc").id;
        const cluster = byName(resources, "webstack-db-cluster");
        assert.deepEqual(inputs(cluster), {
            engine: "mysql",
            version: "8",
            size: "db-s-1vcpu-2gb",
            region: "nyc3",
            nodeCount: 1,
            privateNetworkUuid: vpc,
            tags: ["webstack", "webstack-dev", "webstack-dev-db"],
        });
        assert.equal(cluster.protect, true);
        const replica = byName(resources, "webstack-db-replica-0");
        assert.deepEqual(inputs(replica), {
            clusterId: cluster.id,
            size: "db-s-1vcpu-2gb",
            region: "nyc3",
            privateNetworkUuid: vpc,
            tags: ["webstack", "webstack-dev", "webstack-dev-db"],
        });
        assert.equal(replica.protect, true);
        assert.equal(
            resources.some((r) => r.type.endsWith("DatabaseFirewall")),
            false,
            "tier 1 has no database firewall, as in the seed",
        );
    });

    it("adds standby nodes when database.standbyNodes is set", async () => {
        const { resources } = await runProgram({ ...exampleConfig(3), database: { standbyNodes: 1 } });
        assert.equal(inputs(byName(resources, "webstack-db-cluster")).nodeCount, 2);
    });

    it("leaves the database unprotected when database.protect is false", async () => {
        const { resources } = await runProgram({ ...exampleConfig(1), database: { protect: false } });
        assert.equal(byName(resources, "webstack-db-cluster").protect, false);
    });

    it("exports the database URI only as a secret", async () => {
        const run = await runProgram(exampleConfig(1));
        const uri = output(run, "databaseUri");
        assert.equal(uri.secret, true);
        assert.match(String(uri.value), /^mysql:\/\//);
        assert.deepEqual(output(run, "url"), { value: "http://example.com", secret: false });
    });
});

describe("WebStack: monitoring", () => {
    it("alerts on droplets by tag, load balancers and the database by id, to the configured e-mails", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const lbIds = ["webstack-lb-0", "webstack-app-lb-0"].map((n) => byName(resources, n).id);
        const dbIds = ["webstack-db-cluster", "webstack-logs-cluster"].map((n) => byName(resources, n).id);
        const alerts = resources.filter((r) => r.type.endsWith("MonitorAlert")).map((r) => inputs(r));
        assert.deepEqual(
            alerts.map((a) => [a.type, a.compare, a.value, a.window, a.enabled, a.tags ?? a.entities, a.alerts]).sort(),
            [
                [
                    "v1/insights/droplet/cpu",
                    "GreaterThan",
                    80,
                    "5m",
                    true,
                    ["webstack-dev-web", "webstack-dev-app", "webstack-dev-monitor"],
                    { emails: ["ops@example.com"] },
                ],
                [
                    "v1/insights/droplet/memory_utilization_percent",
                    "GreaterThan",
                    85,
                    "5m",
                    true,
                    ["webstack-dev-web", "webstack-dev-app", "webstack-dev-monitor"],
                    { emails: ["ops@example.com"] },
                ],
                [
                    "v1/insights/droplet/disk_utilization_percent",
                    "GreaterThan",
                    85,
                    "5m",
                    true,
                    ["webstack-dev-web", "webstack-dev-app", "webstack-dev-monitor"],
                    { emails: ["ops@example.com"] },
                ],
                [
                    "v1/insights/lbaas/increase_in_http_error_rate_percentage_5xx",
                    "GreaterThan",
                    5,
                    "5m",
                    true,
                    lbIds,
                    { emails: ["ops@example.com"] },
                ],
                [
                    "v1/insights/lbaas/droplet_health",
                    "LessThan",
                    100,
                    "5m",
                    true,
                    lbIds,
                    { emails: ["ops@example.com"] },
                ],
                [
                    "v1/insights/lbaas/high_http_request_response_time_95p",
                    "GreaterThan",
                    2,
                    "5m",
                    true,
                    lbIds,
                    { emails: ["ops@example.com"] },
                ],
                ["v1/dbaas/alerts/cpu_alerts", "GreaterThan", 80, "5m", true, dbIds, { emails: ["ops@example.com"] }],
                [
                    "v1/dbaas/alerts/memory_utilization_alerts",
                    "GreaterThan",
                    85,
                    "5m",
                    true,
                    dbIds,
                    { emails: ["ops@example.com"] },
                ],
                [
                    "v1/dbaas/alerts/disk_utilization_alerts",
                    "GreaterThan",
                    80,
                    "5m",
                    true,
                    dbIds,
                    { emails: ["ops@example.com"] },
                ],
            ].sort(),
        );
    });

    it("checks the HTTPS site and alerts when it is down, slow or its certificate expires", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const check = byName(resources, "webstack-monitoring-uptime");
        assert.deepEqual(inputs(check), {
            target: "https://example.com",
            type: "https",
            regions: ["us_east", "us_west", "eu_west", "se_asia"],
            enabled: true,
        });
        const uptime = resources.filter((r) => r.type.endsWith("UptimeAlert")).map((r) => inputs(r));
        assert.deepEqual(uptime, [
            { checkId: check.id, type: "down", period: "2m", notifications: [{ emails: ["ops@example.com"] }] },
            {
                checkId: check.id,
                type: "latency",
                threshold: 2000,
                comparison: "greater_than",
                period: "5m",
                notifications: [{ emails: ["ops@example.com"] }],
            },
            {
                checkId: check.id,
                type: "ssl_expiry",
                threshold: 14,
                comparison: "less_than",
                period: "1h",
                notifications: [{ emails: ["ops@example.com"] }],
            },
        ]);
    });

    it("sends alerts to Slack with the webhook URL kept secret", async () => {
        const { resources } = await runProgram(
            {
                ...exampleConfig(2),
                alerts: { slackChannel: "#ops" },
                slackWebhookUrl: "https://hooks.slack.com/services/T/B/X",
            },
            { secretKeys: ["slackWebhookUrl"] },
        );
        const alert = byName(resources, "webstack-monitoring-droplet-cpu");
        assert.deepEqual(inputs(alert).alerts, {
            slacks: [{ channel: "#ops", url: "https://hooks.slack.com/services/T/B/X" }],
        });
        assert.deepEqual(
            (redact(alert.inputs) as Record<string, unknown>).alerts,
            { slacks: [{ channel: "#ops", url: "[secret]" }] },
            "the URL travels only as a secret",
        );
    });
});

describe("WebStack: static assets", () => {
    it("keeps the Spaces bucket private, versioned, its old versions expiring after 30 days, and protected behind the CDN at tier 3", async () => {
        const { resources } = await runProgram(exampleConfig(3));
        const bucket = byName(resources, "webstack-static-bucket");
        assert.deepEqual(inputs(bucket), {
            region: "nyc3",
            acl: "private",
            versioning: { enabled: true },
            lifecycleRules: [
                {
                    id: "expire-noncurrent-versions",
                    enabled: true,
                    noncurrentVersionExpiration: { days: 30 },
                    abortIncompleteMultipartUploadDays: 7,
                },
                { id: "remove-expired-delete-markers", enabled: true, expiration: { expiredObjectDeleteMarker: true } },
            ],
            forceDestroy: false,
        });
        assert.equal(bucket.protect, true);
        assert.deepEqual(inputs(byName(resources, "webstack-static-cdn")), {
            origin: bucket.state.bucketDomainName,
            ttl: 3600,
        });
    });
});

describe("WebStack: secrets and replicas reach the app droplets", () => {
    it("makes app user data a secret and lists it in additionalSecretOutputs at tier 2", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const app = byName(resources, "webstack-app-0");
        assert.deepEqual(
            {
                userData: (redact(app.inputs) as Record<string, unknown>).userData,
                declared: app.additionalSecretOutputs,
            },
            { userData: "[secret]", declared: ["userData"] },
        );
    });

    it("keeps web user data plain at tier 2 without logs (nginx only, no secret)", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), logs: { enabled: false } });
        const web = byName(resources, "webstack-web-0");
        assert.deepEqual(
            {
                secret: (redact(web.inputs) as Record<string, unknown>).userData === "[secret]",
                declared: web.additionalSecretOutputs,
            },
            { secret: false, declared: [] },
        );
    });

    it("makes web user data a declared secret at tier 2 with logs, which carries the log shipper's password", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const web = byName(resources, "webstack-web-0");
        assert.deepEqual(
            {
                secret: (redact(web.inputs) as Record<string, unknown>).userData === "[secret]",
                declared: web.additionalSecretOutputs,
            },
            { secret: true, declared: ["userData"] },
        );
    });

    it("makes an autoscaled app pool's template a secret and lists it in additionalSecretOutputs", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), app: { autoscale: { min: 2, max: 4 } } });
        const pool = byName(resources, "webstack-app-pool");
        assert.deepEqual(pool.additionalSecretOutputs, ["dropletTemplate"]);
        assert.match(inputs(pool).dropletTemplate.userData, /DATABASE_PASSWORD=mock-password-\d+/);
    });

    it("puts autoscaled pools' members in the stack's DigitalOcean project through the template when no fixed pool is gated", async () => {
        const { resources } = await runProgram({
            ...exampleConfig(2),
            web: { autoscale: { min: 2, max: 5 } },
            app: { autoscale: { min: 2, max: 4 } },
        });
        const project = byName(resources, "webstack-project");
        assert.ok(project.id);
        for (const pool of ["webstack-web-pool", "webstack-app-pool"])
            assert.equal(inputs(byName(resources, pool)).dropletTemplate.projectId, project.id, pool);
    });

    it("leaves an autoscaled pool beside a gated fixed pool out of the project, which waits for the fixed pool's gates, and says so", async () => {
        const run = await runProgram({ ...exampleConfig(2), app: { autoscale: { min: 2, max: 4 } } });
        assert.equal(inputs(byName(run.resources, "webstack-app-pool")).dropletTemplate.projectId, undefined);
        assert.deepEqual(
            run.warnings.filter((w) => w.includes("default project")),
            [
                `The members of the autoscaled app pool join the account's default project, not "webstack-dev": the stack's project lists the fixed pool's droplets, so it exists only once their readiness gates pass, and those gates need the autoscaled pool to serve first.`,
            ],
        );
    });

    it("keeps app user data free of secrets and undeclared with secrets.delivery manual", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), secrets: { delivery: "manual" } });
        const app = byName(resources, "webstack-app-0");
        assert.deepEqual(
            { declared: app.additionalSecretOutputs, password: /mock-password/.test(inputs(app).userData) },
            { declared: [], password: false },
        );
    });

    it("tells the app droplets the CDN's host name at tier 3 with static assets, and nothing about a CDN without", async () => {
        const { resources } = await runProgram(exampleConfig(3));
        const endpoint = String(byName(resources, "webstack-static-cdn").state.endpoint);
        for (const i of [0, 1, 2, 3])
            assert.ok(inputs(byName(resources, `webstack-app-${i}`)).userData.includes(`CDN_ENDPOINT=${endpoint}\n`));
        const plain2 = await runProgram(exampleConfig(2));
        assert.ok(!inputs(byName(plain2.resources, "webstack-app-0")).userData.includes("CDN_ENDPOINT"));
    });

    it("hands the app the replicas' private hosts as DATABASE_READ_HOSTS at tier 3", async () => {
        const { resources } = await runProgram(exampleConfig(3));
        const hosts = resources.filter((r) => r.type.endsWith("DatabaseReplica")).map((r) => r.state.privateHost);
        assert.equal(hosts.length, 2);
        assert.ok(
            inputs(byName(resources, "webstack-app-0")).userData.includes(`DATABASE_READ_HOSTS=${hosts.join(",")}\n`),
        );
    });
});
