// The pack on stacks built with the self-managed load-balancer engine (HAProxy droplets behind reserved IPs)
// and with droplet autoscale pools: a happy path each, then one mutation per `it`.
import assert from "node:assert/strict";
import * as digitalocean from "@pulumi/digitalocean";
import {
    dropletAlertCoverage,
    dropletMonitoringAgent,
    loadBalancerAlertCoverage,
    monitoringPolicies,
} from "../../policies/monitoring";
import {
    dropletFirewallCoverage,
    firewallNoWorldIngress,
    networkPolicies,
    resourcesSameVpc,
} from "../../policies/network";
import {
    dnsRecordTargetsLoadBalancer,
    loadBalancerMinBackends,
    loadBalancerMinCount,
    publicEndpointLoadBalanced,
    spofPolicies,
} from "../../policies/spof";
import { publicEndpointTls, tlsPolicies } from "../../policies/tls";
import { materialize, mandatoryPolicies, ref, run, runPack, spec, Spec } from "../support/policyHarness";
import { NGINX_BALANCER, plainGateway } from "./plainStacks";
import { autoscalePool, haproxyStack, haproxyUserData, mutate, named, openToWorld, tierStack, without } from "./stacks";

const mandatory = [...spofPolicies, ...tlsPolicies, ...monitoringPolicies, ...networkPolicies].filter(
    (p) => p.enforcementLevel === "mandatory",
);
const webs = ["web-0", "web-1", "web-2", "web-3"];

async function violations(
    policy: Parameters<typeof run>[0],
    specs: Spec[],
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const outcome = await run(policy, materialize(specs), config);
    assert.deepEqual(outcome.undecided, []);
    return outcome.violations;
}

/** One HAProxy droplet: the rest of the stack as haproxyStack(2). */
const single = () => haproxyStack(1);

describe("HAProxy engine (self-managed load balancers)", () => {
    it("passes every mandatory policy with two HAProxy droplets behind reserved IPs", async () => {
        assert.deepEqual(mandatoryPolicies(await runPack(mandatory, materialize(haproxyStack(2)))), []);
    });

    describe("SPOF", () => {
        it("reports one HAProxy droplet as a single point of failure, once", async () => {
            const findings = (await runPack(spofPolicies, materialize(single()))).filter(
                (f) => f.enforcementLevel === "mandatory",
            );
            assert.deepEqual(
                findings.map((f) => [f.policy, f.message]),
                [
                    [
                        "load-balancer-min-count",
                        'The stack\'s public entry is 1 self-managed HAProxy droplet ("haproxy-0") and no managed load balancer; each HAProxy droplet is one machine, so with fewer than 2 its failure or replacement takes the site down. Run at least 2 HAProxy droplets, each with its own reserved IP and DNS records, or use a digitalocean.LoadBalancer.',
                    ],
                ],
            );
        });

        it("counts HAProxy droplets against minSelfManagedLoadBalancers, not minLoadBalancers", async () => {
            assert.deepEqual(await violations(loadBalancerMinCount, haproxyStack(2), { minLoadBalancers: 2 }), []);
            assert.deepEqual(
                await violations(loadBalancerMinCount, haproxyStack(2), { minSelfManagedLoadBalancers: 3 }),
                [
                    'The stack\'s public entry is 2 self-managed HAProxy droplets ("haproxy-0", "haproxy-1") and no managed load balancer; each HAProxy droplet is one machine, so with fewer than 3 its failure or replacement takes the site down. Run at least 3 HAProxy droplets, each with its own reserved IP and DNS records, or use a digitalocean.LoadBalancer.',
                ],
            );
        });

        it("treats HAProxy droplets DNS points at as the load balancer in front of the web droplets", async () => {
            assert.deepEqual(await violations(publicEndpointLoadBalanced, single()), []);
        });

        it("reports a DNS record on an HAProxy droplet's own address instead of its reserved IP", async () => {
            const stack = mutate(haproxyStack(2), "dns-www-1", (r) => (r.value = ref("haproxy-1", "ipv4Address")));
            assert.deepEqual(await violations(dnsRecordTargetsLoadBalancer, stack), [
                'DNS record "www.example.com" (A) points at HAProxy droplet "haproxy-1"\'s own address (203.0.113.61), which changes whenever the droplet is replaced (any change to its user data replaces it). Assign a digitalocean.ReservedIp to the droplet and point the record at the reserved IP.',
            ]);
        });

        it("still reports a record on a droplet whose user data installs HAProxy without configuring a frontend", async () => {
            const stack = mutate(
                haproxyStack(2),
                "haproxy-1",
                (d) => (d.userData = "#!/bin/bash\napt-get install -y haproxy\n"),
            );
            const found = await violations(dnsRecordTargetsLoadBalancer, stack);
            assert.equal(found.length, 2);
            assert.match(
                found[0],
                /^DNS record "example.com" \(A\) points at droplet "haproxy-1" \(a self-managed HAProxy on one machine\) \(192\.0\.2\.101\) instead of a load balancer/,
            );
        });

        it("reports an HAProxy droplet that balances over fewer than minBackends servers", async () => {
            const stack = haproxyStack(2, (i) => haproxyUserData({ servers: i === 0 ? ["10.10.1.20:80"] : undefined }));
            assert.deepEqual(await violations(loadBalancerMinBackends, stack), [
                'HAProxy droplet "haproxy-0" balances over 1 server ("10.10.1.20:80") in the haproxy.cfg of its user data; fewer than 2 backends means one droplet failure takes the service down. List at least 2 web servers in its backend.',
            ]);
        });

        it("counts the A records of a server-template's name as its servers, and cannot decide while a record's type is unknown", async () => {
            const templated = haproxyUserData({ servers: [], templates: ["pool.example.com:80"] });
            const pool = (n: number, type: unknown = "A") =>
                spec(digitalocean.DnsRecord, `pool-${n}`, {
                    id: `pool-${n}`,
                    domain: ref("domain", "name"),
                    type,
                    name: "pool",
                    value: `10.10.1.${20 + n}`,
                    ttl: 30,
                });
            const stack = [...haproxyStack(2, (i) => (i === 0 ? templated : haproxyUserData())), pool(0)];
            assert.deepEqual(await violations(loadBalancerMinBackends, stack), [
                'HAProxy droplet "haproxy-0" balances over 1 server ("10.10.1.20:80") in the haproxy.cfg of its user data; fewer than 2 backends means one droplet failure takes the service down. List at least 2 web servers in its backend.',
            ]);
            assert.deepEqual(await violations(loadBalancerMinBackends, [...stack, pool(1)]), []);
            const preview = [...stack, pool(1, ref("web-0", "ipv4AddressPrivate"))];
            const outcome = await run(loadBalancerMinBackends, materialize(preview, { preview: true }));
            assert.deepEqual(outcome.violations, []);
            assert.deepEqual(outcome.undecided, [
                'cannot decide during preview, because values the cloud computes are still unknown: HAProxy droplet "haproxy-0" finds its servers in DNS records whose type is not known yet. The check runs again with real values during `pulumi up`.',
            ]);
        });

        it("reports cannot-decide, not a pass, when the HAProxy droplets' user data is unknown", async () => {
            const stack = haproxyStack(1).map((s) =>
                s.name === "haproxy-0"
                    ? { ...s, props: { ...s.props, userData: ref("web-0", "ipv4AddressPrivate") } }
                    : s,
            );
            const outcome = await run(loadBalancerMinCount, materialize(stack, { preview: true }));
            assert.deepEqual(outcome.violations, []);
            assert.equal(outcome.undecided.length, 1);
            assert.match(
                outcome.undecided[0],
                /Whether droplets "haproxy-0", which DNS points at, run HAProxy is not known yet/,
            );
        });
    });

    describe("TLS", () => {
        it("accepts HAProxy droplets that bind 443 with ssl crt and redirect HTTP", async () => {
            assert.deepEqual(await violations(publicEndpointTls, haproxyStack(2)), []);
        });

        it("reports an HAProxy droplet whose haproxy.cfg has no TLS listener", async () => {
            const stack = haproxyStack(2, (i) => haproxyUserData({ tls: i !== 1 }));
            assert.deepEqual(await violations(publicEndpointTls, stack), [
                'HAProxy droplet "haproxy-1" (DNS "example.com", "www.example.com") does not terminate TLS: no frontend in the haproxy.cfg of its user data binds port 443 with "ssl crt", so the public reaches it only in clear text. Add "bind :443 ssl crt <pem directory>" to a frontend and obtain the certificate on the host (e.g. certbot).',
            ]);
        });

        it("reports an HAProxy droplet that serves port 80 without redirecting to HTTPS", async () => {
            const stack = haproxyStack(2, (i) => haproxyUserData({ redirect: i !== 0 }));
            assert.deepEqual(await violations(publicEndpointTls, stack), [
                'HAProxy droplet "haproxy-0" (DNS "example.com", "www.example.com") serves plain HTTP on port 80 without redirecting to HTTPS. Add "http-request redirect scheme https" to the frontend that binds port 80 (unless the request is an ACME HTTP-01 challenge).',
            ]);
        });

        it("honours httpsPort from the config", async () => {
            const found = await violations(publicEndpointTls, haproxyStack(1), { httpsPort: 8443 });
            assert.equal(found.length, 1);
            assert.match(found[0], /^HAProxy droplet "haproxy-0" .* binds port 8443 with "ssl crt"/);
        });
    });

    describe("network", () => {
        it("lets a firewall covering only HAProxy droplets open 80 and 443 to the world", async () => {
            assert.deepEqual(await violations(firewallNoWorldIngress, haproxyStack(2)), []);
        });

        it("reports any other world-open port on the HAProxy droplets", async () => {
            const stack = openToWorld(haproxyStack(2), "fw-lb", "8404");
            assert.deepEqual(await violations(firewallNoWorldIngress, stack), [
                'Firewall "fw-lb" admits tcp port 8404 from "0.0.0.0/0" to its HAProxy droplets; a self-managed load balancer may open only tcp ports 80, 443 to the internet. Remove the rule or restrict its sourceAddresses to your admin CIDRs.',
            ]);
        });

        it("reports 80 open to the world on a firewall that also covers the web droplets", async () => {
            const stack = mutate(haproxyStack(2), "fw-lb", (fw) => (fw.tags = [ref("tag-lb"), ref("tag-web")]));
            const found = await violations(firewallNoWorldIngress, stack);
            assert.deepEqual(found, [
                'Firewall "fw-lb" admits tcp port 80 from "0.0.0.0/0", "::/0" to its droplets, bypassing the load balancer. Admit the load balancer with sourceLoadBalancerUids (or other droplets with sourceTags) instead of a world CIDR.',
                'Firewall "fw-lb" admits tcp port 443 from "0.0.0.0/0", "::/0" to its droplets, bypassing the load balancer. Admit the load balancer with sourceLoadBalancerUids (or other droplets with sourceTags) instead of a world CIDR.',
            ]);
        });

        it("reports cannot-decide, not a violation, while the HAProxy droplets' user data is unknown (first preview)", async () => {
            const stack = haproxyStack(2).map((s) =>
                s.name.startsWith("haproxy-") && s.cls === digitalocean.Droplet
                    ? { ...s, props: { ...s.props, userData: ref("web-0", "ipv4AddressPrivate") } }
                    : s,
            );
            const outcome = await run(firewallNoWorldIngress, materialize(stack, { preview: true }));
            assert.deepEqual(outcome.violations, []);
            assert.equal(outcome.undecided.length, 1);
            assert.match(
                outcome.undecided[0],
                /Firewall "fw-lb" opens tcp port 80 to the internet; whether it covers only HAProxy load balancers is not known yet/,
            );
        });

        it("does not exempt HAProxy droplets that DNS does not point at", async () => {
            const stack = without(haproxyStack(2), "dns-apex-1", "dns-www-1");
            const found = await violations(firewallNoWorldIngress, stack);
            assert.equal(found.length, 2);
            assert.match(found[0], /^Firewall "fw-lb" admits tcp port 80 .* bypassing the load balancer/);
        });
    });

    describe("monitoring", () => {
        it("requires droplet alerts on HAProxy droplets", async () => {
            const stack = haproxyStack(2).map((s) =>
                s.name.startsWith("alert-droplet-")
                    ? { ...s, props: { ...s.props, tags: [ref("tag-web"), ref("tag-app")] } }
                    : s,
            );
            const found = await violations(dropletAlertCoverage, stack);
            assert.deepEqual(found, [
                'Droplet "haproxy-0" has no enabled alert policy with a notification target, so nobody is told when it runs out of CPU, memory or disk. Add a digitalocean.MonitorAlert of type "v1/insights/droplet/cpu" whose tags include one of the droplet\'s tags (or whose entities list its id) with alerts.emails or alerts.slacks.',
                'Droplet "haproxy-1" has no enabled alert policy with a notification target, so nobody is told when it runs out of CPU, memory or disk. Add a digitalocean.MonitorAlert of type "v1/insights/droplet/cpu" whose tags include one of the droplet\'s tags (or whose entities list its id) with alerts.emails or alerts.slacks.',
            ]);
        });

        it("requires the monitoring agent on HAProxy droplets", async () => {
            const stack = mutate(haproxyStack(2), "haproxy-0", (d) => (d.monitoring = false));
            assert.deepEqual(await violations(dropletMonitoringAgent, stack), [
                'Droplet "haproxy-0" has monitoring false, so its memory and disk metrics are never collected and alerts on them cannot fire; set monitoring: true.',
            ]);
        });

        it("requires no load balancer (lbaas) alert for HAProxy droplets", async () => {
            const stack = haproxyStack(2).map((s) =>
                s.name.startsWith("alert-lb-") ? { ...s, props: { ...s.props, entities: [ref("lb-internal")] } } : s,
            );
            assert.deepEqual(await violations(loadBalancerAlertCoverage, stack), []);
        });
    });
});

describe("droplet autoscale pools", () => {
    /** The production-like stack with the web droplets replaced by an autoscale pool carrying the web tag. */
    const pooled = (min = 2, extra: Record<string, unknown> = {}) => [
        ...without(tierStack("prod"), ...webs),
        autoscalePool("web-pool", [ref("tag-web")], min, extra),
    ];

    it("pass every mandatory policy when the pool's template carries the load balancer's tag", async () => {
        assert.deepEqual(mandatoryPolicies(await runPack(mandatory, materialize(pooled()))), []);
    });

    it("count minInstances as the load balancer's backends", async () => {
        assert.deepEqual(await violations(loadBalancerMinBackends, pooled(1)), [
            'Load balancer "lb-0" sends traffic to 1 droplet (droplets tagged "shop-web", autoscale pools counted at minInstances); fewer than 2 backends means one droplet failure takes the service down. Run at least 2 droplets with its dropletTag or list them in dropletIds.',
            'Load balancer "lb-1" sends traffic to 1 droplet (droplets tagged "shop-web", autoscale pools counted at minInstances); fewer than 2 backends means one droplet failure takes the service down. Run at least 2 droplets with its dropletTag or list them in dropletIds.',
        ]);
    });

    it("must be covered by a firewall through the template's tags", async () => {
        const stack = [...without(tierStack("prod"), ...webs), autoscalePool("web-pool", ["shop-other"])];
        const found = await violations(dropletFirewallCoverage, stack);
        assert.deepEqual(found, [
            'Droplet autoscale pool "web-pool" is not covered by any cloud firewall through its template\'s tags ("shop-other"), so every port its droplets listen on is open to the internet. Add a digitalocean.Firewall whose tags include one of them.',
        ]);
    });

    it("must be covered by droplet alerts through the template's tags", async () => {
        const stack = [...without(tierStack("prod"), ...webs), autoscalePool("web-pool", ["shop-other"])];
        assert.deepEqual(await violations(dropletAlertCoverage, stack), [
            'Droplet autoscale pool "web-pool" has no enabled alert policy with a notification target, so nobody is told when it runs out of CPU, memory or disk. Add a digitalocean.MonitorAlert of type "v1/insights/droplet/cpu" whose tags include one of its template\'s tags with alerts.emails or alerts.slacks.',
        ]);
    });

    it("must create its droplets in the stack's VPC", async () => {
        const stack = [
            ...without(tierStack("prod"), ...webs),
            autoscalePool("web-pool", [ref("tag-web")], 2, { vpcUuid: "0f0f0f0f-0000-4000-8000-000000000099" }),
        ];
        const found = await violations(resourcesSameVpc, stack);
        assert.equal(found.length, 1);
        assert.match(
            found[0],
            /^Resources in region "nyc3" are split across 2 VPCs: .*VPC "0f0f0f0f-0000-4000-8000-000000000099" \(droplet autoscale pool "web-pool"\)/,
        );
    });

    it("must install the monitoring agent on its droplets", async () => {
        assert.deepEqual(await violations(dropletMonitoringAgent, pooled(2, { withDropletAgent: false })), [
            'Droplet autoscale pool "web-pool" has dropletTemplate.withDropletAgent false, so its droplets\' memory and disk metrics are never collected and alerts on them cannot fire; set withDropletAgent: true.',
        ]);
    });

    it("resolve unknown template tags during preview through the Tag resources they depend on", async () => {
        const outcome = await run(dropletFirewallCoverage, materialize(pooled(), { preview: true }));
        assert.deepEqual(outcome, { violations: [], undecided: [], notApplicable: false });
        assert.equal(named(pooled(), "web-pool").cls, digitalocean.DropletAutoscale);
    });
});

describe("nginx, Caddy and Traefik as self-run load balancers", () => {
    const caddy =
        "#cloud-config\npackages:\n  - caddy\nwrite_files:\n  - path: /etc/caddy/Caddyfile\n    content: |\n      gw.example.net {\n          reverse_proxy 10.20.0.31:3000 10.20.0.32:3000\n      }\n";
    const traefik = [
        "#cloud-config",
        "runcmd:",
        "  - docker run -d -p 80:80 -p 443:443 -v /etc/traefik:/etc/traefik traefik:v3.1",
        "write_files:",
        "  - path: /etc/traefik/dynamic.yml",
        "    content: |",
        "      http:",
        "        services:",
        "          app:",
        "            loadBalancer:",
        "              servers:",
        '                - url: "http://10.20.0.31:3000"',
        '                - url: "http://10.20.0.32:3000"',
        "",
    ].join("\n");

    it("treat an nginx droplet holding a reserved IP and balancing over two upstream servers as the load balancer", async () => {
        assert.deepEqual(await violations(publicEndpointLoadBalanced, plainGateway()), []);
        assert.deepEqual(await violations(loadBalancerMinBackends, plainGateway()), []);
        assert.deepEqual(await violations(publicEndpointTls, plainGateway()), []);
    });

    it("do not take nginx proxying to a local app for a load balancer", async () => {
        const local = NGINX_BALANCER.replace(/upstream app_pool \{[^}]*\}/, "").replace(
            "proxy_pass http://app_pool",
            "proxy_pass http://127.0.0.1:8080",
        );
        assert.deepEqual(await violations(publicEndpointLoadBalanced, plainGateway(local)), [
            'The stack runs 1 public droplet ("gateway") and no load balancer, so each droplet is a single point of failure for what it serves. Put a DigitalOcean load balancer in front of at least two droplets.',
        ]);
    });

    it("report an nginx balancer whose configuration terminates no TLS", async () => {
        const plain = NGINX_BALANCER.replace("listen 443 ssl;", "listen 8443;");
        assert.deepEqual(await violations(publicEndpointTls, plainGateway(plain)), [
            'nginx droplet "gateway" balances load but its nginx configuration in user data terminates no TLS on port 443, so the public reaches it only in clear text. Configure a TLS listener with a certificate obtained on the host, and redirect plain HTTP to HTTPS.',
        ]);
    });

    it("treat Caddy with a reverse_proxy over two upstreams as the load balancer", async () => {
        assert.deepEqual(await violations(publicEndpointLoadBalanced, plainGateway(caddy)), []);
    });

    it("treat Traefik with a service over two server URLs as the load balancer", async () => {
        assert.deepEqual(await violations(publicEndpointLoadBalanced, plainGateway(traefik)), []);
    });
});
