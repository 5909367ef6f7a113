import assert from "node:assert/strict";
import { createHmac } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { WORLD } from "../../components/firewalls";
import { RecordedResource, plain, redact } from "../../plan/capture/recorder";
import { exampleConfig, byName, runProgram, short } from "../support/program";

const inputs = (r: RecordedResource) => plain(r.inputs) as Record<string, any>;
const haproxy = (tier: number, extra: Record<string, unknown> = {}) => ({
    ...exampleConfig(tier),
    loadBalancer: { engine: "haproxy", ...extra },
});
const namesOf = (resources: RecordedResource[], type: string) =>
    resources
        .filter((r) => r.type.endsWith(type))
        .map((r) => r.name)
        .sort();

describe("Load balancer engine: haproxy", () => {
    for (const [tier, count] of [
        [1, 1],
        [2, 1],
        [3, 2],
    ] as const) {
        it(`replaces the DigitalOcean load balancers with ${count} HAProxy droplet(s) behind reserved IPs at tier ${tier}`, async () => {
            const { resources } = await runProgram(haproxy(tier));
            assert.deepEqual(
                namesOf(resources, "loadBalancer:LoadBalancer"),
                tier >= 2 ? ["webstack-app-lb-0"] : [],
                "only the internal app load balancer stays managed",
            );
            const lbs = Array.from({ length: count }, (_, i) => i);
            assert.deepEqual(
                resources
                    .filter((r) => r.name.startsWith("webstack-haproxy"))
                    .map(short)
                    .sort(),
                [
                    "HaproxyBalancers webstack-haproxy",
                    ...lbs.flatMap((i) => [
                        `Droplet webstack-haproxy-${i}`,
                        `ReservedIp webstack-haproxy-ip-${i}`,
                        `ReservedIpAssignment webstack-haproxy-ip-assignment-${i}`,
                        // With Let's Encrypt (TLS from tier 2) the droplets find their ACME peers in DNS.
                        ...(tier >= 2 ? [`DnsRecord webstack-haproxy-peer-${i}`] : []),
                    ]),
                ].sort(),
            );
            assert.equal(
                resources.some((r) => r.type.endsWith("Certificate")),
                false,
                "HAProxy obtains its certificate on the host",
            );
            const ips = lbs.map((i) => byName(resources, `webstack-haproxy-ip-${i}`).state.ipAddress);
            // The discovery records (web droplets', peers' private addresses; the database's metrics) are not for
            // the public.
            const records = resources
                .filter(
                    (r) =>
                        r.type.endsWith("DnsRecord") &&
                        !["webstack-metrics-web", "webstack-lb-peers", "_webstack-mysql-metrics._tcp"].includes(
                            inputs(r).name,
                        ),
                )
                .map((r) => `${inputs(r).name} ${inputs(r).value}`);
            assert.deepEqual(records.sort(), ips.flatMap((ip) => [`@ ${ip}`, `www ${ip}`]).sort());
        });
    }

    it("balances the web droplets it finds in DNS with the chosen algorithm, and TLS from tier 2", async () => {
        const { resources } = await runProgram(haproxy(2, { algorithm: "leastconn" }));
        const config = parseYaml(inputs(byName(resources, "webstack-haproxy-0")).userData) as {
            write_files: { path: string; content: string }[];
        };
        const cfg = config.write_files.find((f) => f.path === "/etc/haproxy/haproxy.cfg")!.content;
        // No address of a web droplet in HAProxy's user data: a web-pool change never replaces the HAProxy droplets.
        assert.match(cfg, /^ {4}server-template web 100 webstack-metrics-web\.example\.com:80$/m);
        assert.match(cfg, /^ {4}server-template peer 10 webstack-lb-peers\.example\.com:80$/m);
        // Only the VPC's peers may mark a challenge as forwarded: the range DigitalOcean gave the stack's VPC.
        const vpc = resources.find((r) => r.type === "digitalocean:index/vpc:Vpc")!;
        assert.match(
            cfg,
            new RegExp(
                `^ {4}http-request del-header X-Webstack-Acme-Peer unless \\{ src ${String(vpc.state.ipRange).replace(/\./g, "\\.")} \\}$`,
                "m",
            ),
        );
        for (const i of [0, 1]) {
            const web = byName(resources, `webstack-web-${i}`);
            assert.ok(!cfg.includes(String(web.state.ipv4AddressPrivate)), `web-${i}'s address is not listed`);
            const record = inputs(byName(resources, `webstack-metrics-web-${i}`));
            assert.deepEqual(
                { name: record.name, type: record.type, value: record.value, ttl: record.ttl },
                { name: "webstack-metrics-web", type: "A", value: web.state.ipv4AddressPrivate, ttl: 30 },
            );
        }
        const peer = inputs(byName(resources, "webstack-haproxy-peer-0"));
        assert.deepEqual(
            { name: peer.name, type: peer.type, value: peer.value, ttl: peer.ttl },
            {
                name: "webstack-lb-peers",
                type: "A",
                value: byName(resources, "webstack-haproxy-0").state.ipv4AddressPrivate,
                ttl: 30,
            },
        );
        assert.match(cfg, /balance leastconn/);
        assert.match(cfg, /bind :443 ssl crt/);
    });

    it("keeps the web records without a monitor at tier 1, where HAProxy still finds the web droplets through them", async () => {
        const { resources } = await runProgram(haproxy(1));
        assert.deepEqual(namesOf(resources, "dnsRecord:DnsRecord"), [
            "webstack-dns-apex-0",
            "webstack-dns-www-0",
            "webstack-metrics-web-0",
            "webstack-metrics-web-1",
        ]);
        assert.deepEqual(namesOf(resources, "droplet:Droplet"), [
            "webstack-haproxy-0",
            "webstack-web-0",
            "webstack-web-1",
        ]);
    });

    it("opens only 80 and 443 to the world on the HAProxy droplets, and web only to the HAProxy tag", async () => {
        const { resources } = await runProgram({ ...haproxy(2), adminCidrs: [] });
        assert.deepEqual(inputs(byName(resources, "webstack-firewall-lb")).inboundRules, [
            { protocol: "tcp", portRange: "80", sourceAddresses: WORLD },
            { protocol: "tcp", portRange: "443", sourceAddresses: WORLD },
        ]);
        assert.deepEqual(inputs(byName(resources, "webstack-firewall-web")).inboundRules, [
            { protocol: "tcp", portRange: "80", sourceTags: ["webstack-dev-lb"] },
            { protocol: "tcp", portRange: "9113", sourceTags: ["webstack-dev-monitor"] },
        ]);
    });

    it("watches the HAProxy droplets with the droplet alerts", async () => {
        const { resources } = await runProgram(haproxy(2));
        assert.deepEqual(inputs(byName(resources, "webstack-monitoring-droplet-cpu")).tags, [
            "webstack-dev-web",
            "webstack-dev-app",
            "webstack-dev-lb",
            "webstack-dev-monitor",
        ]);
        assert.equal(inputs(byName(resources, "webstack-haproxy-0")).monitoring, true);
    });
});

describe("Autoscaled pools", () => {
    it("builds DigitalOcean autoscale pools for web and app instead of fixed droplets", async () => {
        const { resources } = await runProgram({
            ...exampleConfig(2),
            web: { autoscale: { min: 2, max: 6, targetCpu: 70 } },
            app: { autoscale: { min: 3, max: 9 } },
        });
        // Only the monitor is a fixed droplet; with no fixed web droplet it has no web targets to discover.
        assert.deepEqual(namesOf(resources, "droplet:Droplet"), ["webstack-monitor-0"]);
        assert.equal(
            namesOf(resources, "dnsRecord:DnsRecord").filter((n) => n.startsWith("webstack-metrics-web")).length,
            0,
        );
        assert.deepEqual(namesOf(resources, "DropletAutoscale"), ["webstack-app-pool", "webstack-web-pool"]);
        const web = inputs(byName(resources, "webstack-web-pool"));
        assert.deepEqual(web.config, {
            minInstances: 2,
            maxInstances: 6,
            targetCpuUtilization: 0.7,
            cooldownMinutes: 5,
        });
        assert.deepEqual(web.dropletTemplate.tags, ["webstack", "webstack-dev", "webstack-dev-web"]);
        assert.deepEqual(inputs(byName(resources, "webstack-app-pool")).config, {
            minInstances: 3,
            maxInstances: 9,
            targetCpuUtilization: 0.6,
            cooldownMinutes: 5,
        });
        assert.equal(
            inputs(byName(resources, "webstack-lb-0")).dropletTag,
            "webstack-dev-web",
            "the load balancer finds members by tag",
        );
    });

    for (const tier of [2, 3]) {
        it(`pushes an autoscaled web pool's requests per second to the monitor at tier ${tier}: agent in the template, receiver behind a DNS name, firewall from the web tag, the request-rate alerts`, async () => {
            const { resources } = await runProgram({
                ...exampleConfig(tier),
                adminCidrs: [],
                web: { autoscale: { min: 2, max: 6 } },
            });
            const monitor = byName(resources, "webstack-monitor-0");
            assert.deepEqual(inputs(byName(resources, "webstack-metrics-push")), {
                domain: "example.com",
                type: "A",
                name: "webstack-metrics-push",
                value: monitor.state.ipv4AddressPrivate,
                ttl: 30,
            });
            type Files = { write_files: { path: string; content: string }[] };
            const fileIn = (userData: string, p: string) =>
                (parseYaml(userData) as Files).write_files.find((f) => f.path === p)?.content;
            const pool = byName(resources, "webstack-web-pool");
            const template = inputs(pool).dropletTemplate.userData as string;
            assert.match(
                fileIn(template, "/etc/prometheus/webstack-agent.yml")!,
                /url: http:\/\/webstack-metrics-push\.example\.com:9091\/api\/v1\/write\n/,
            );
            const writer = byName(resources, "webstack-logs-writer").state.password as string;
            const password = createHmac("sha256", writer).update("webstack metrics push").digest("hex");
            assert.equal(fileIn(template, "/etc/prometheus/secrets/metrics-push-password"), password);
            assert.equal(
                fileIn(inputs(monitor).userData, "/etc/nginx/webstack-metrics-push.htpasswd"),
                `webstack-push:{PLAIN}${password}\n`,
            );
            assert.equal(
                (redact(pool.inputs) as { dropletTemplate: { userData: unknown } }).dropletTemplate.userData,
                "[secret]",
            );
            assert.deepEqual(inputs(byName(resources, "webstack-firewall-monitor")).inboundRules, [
                { protocol: "tcp", portRange: "9091", sourceTags: ["webstack-dev-web"] },
            ]);
            const lbs = resources
                .filter((r) => r.type.endsWith("loadBalancer:LoadBalancer") && r.name.startsWith("webstack-lb-"))
                .map((r) => r.id);
            assert.equal(lbs.length, tier === 3 ? 2 : 1);
            assert.deepEqual(inputs(byName(resources, "webstack-firewall-web")).inboundRules, [
                { protocol: "tcp", portRange: "80", sourceLoadBalancerUids: lbs },
            ]);
            const rules = fileIn(inputs(monitor).userData, "/etc/prometheus/webstack-rules.yml")!;
            for (const alert of ["WebRequestsSpike", "WebRequestsDrop", "WebRequestsStopped", "DatabaseQueriesSpike"])
                assert.ok(rules.includes(`alert: ${alert}\n`), alert);
        });
    }

    it("leaves the push password to the operator with secrets.delivery manual", async () => {
        const { resources } = await runProgram({
            ...exampleConfig(2),
            secrets: { delivery: "manual" },
            web: { autoscale: { min: 2, max: 6 } },
            app: { count: 2 },
        });
        const has = (userData: string, p: string) =>
            (parseYaml(userData) as { write_files: { path: string }[] }).write_files.some((f) => f.path === p);
        assert.equal(
            has(
                inputs(byName(resources, "webstack-web-pool")).dropletTemplate.userData,
                "/etc/prometheus/secrets/metrics-push-password",
            ),
            false,
        );
        assert.equal(
            has(inputs(byName(resources, "webstack-monitor-0")).userData, "/etc/nginx/webstack-metrics-push.htpasswd"),
            false,
        );
    });

    it("refuses autoscale with a fixed count, at tier 0, and with the haproxy engine", async () => {
        await assert.rejects(
            runProgram({
                ...exampleConfig(1),
                web: { count: 3, autoscale: { min: 2 } },
                loadBalancer: { engine: "haproxy" },
            }),
            {
                message: [
                    'Invalid configuration for stack "dev":',
                    "  - webstack:web.count: conflicts with web.autoscale; a pool is either fixed or autoscaled; got \"3\". Fix: pulumi config rm --path 'webstack:web.count'",
                    '  - webstack:web.autoscale: needs the managed engine; HAProxy finds the web droplets through one DNS record per droplet, which the stack cannot keep for members DigitalOcean creates itself; got "{"min":2}". Fix: pulumi config set --path \'webstack:loadBalancer.engine\' managed',
                ].join("\n"),
            },
        );
        await assert.rejects(
            runProgram({ ...exampleConfig(0), web: { autoscale: { min: 2 } } }),
            /webstack:web.autoscale: applies only at tier 1 and above \(tier 0 is one server by design\)/,
        );
    });
});
