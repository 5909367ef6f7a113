// The pack over other teams' deployed stacks (realWorldStacks.ts), through the real analyzer host: policies/index.ts
// spawned as the CLI spawns it, driven over gRPC as `pulumi policy analyze --file` drives it (Remediate and Analyze per
// resource with its inputs, AnalyzeStack with every resource's outputs). Each stack gets its exact verdict: every
// finding, "<level> <policy or stack check>: <message>", in report order.
import assert from "node:assert/strict";
import * as path from "node:path";
import { checkOfFinding } from "../../policies/catalog";
import { analyzeRun } from "../../plan/policyHost/analyzeRun";
import { PolicyHost } from "../../plan/policyHost/host";
import type { PolicyConfig } from "../../plan/policyHost/protocol";
import { readStackExport } from "../../plan/stackExport";
import { alive, ROOT } from "../support/planRuns";
import {
    apiWithManagedPostgres,
    apiWithReplicas,
    bastionAndRunners,
    CADDY_COMPOSE,
    caddyBehindTcpPassthrough,
    cloudConfigWithEncodedFiles,
    devBox,
    keepalivedPair,
    k3sCluster,
    marketplaceSite,
    marketplaceSiteOnReservedIpv6,
    NGINX_CERTBOT,
    officeAdminTool,
    RealWorldStack,
    selfTlsDroplet,
    siteWithMailRecords,
    stackExport,
    wireguardGateway,
    mailServer,
    cloudflareOrigin,
} from "./realWorldStacks";

const NO_LB =
    "The stack has 0 managed internet-facing load balancers but needs at least 1. Add a digitalocean.LoadBalancer with network EXTERNAL in front of the droplets.";
const worldOpen = (fw: string, port: number) =>
    `mandatory firewall-no-world-ingress: Firewall "${fw}" admits tcp port ${port} from "0.0.0.0/0", "::/0" to its droplets, so anyone on the internet reaches them directly, and the stack has no load balancer to admit instead. Restrict sourceAddresses to the CIDRs that need the port, or put a load balancer in front of the droplets and admit it with sourceLoadBalancerUids; a service that must face the internet itself (a mail exchanger on port 25) belongs in this policy's allowedPorts.`;
const singleDroplet = (names: string[], droplet: string, ip: string) => [
    `mandatory public-endpoint-load-balanced: DNS (${names.map((n) => `"${n}"`).join(", ")}) sends the public straight to droplet "${droplet}" and the stack has no load balancer, so that one server is a single point of failure. Put a DigitalOcean load balancer in front of at least two droplets and point the DNS records at its ip.`,
    `mandatory load-balancer-min-count: ${NO_LB}`,
    ...names.map(
        (n) =>
            `mandatory dns-record-targets-load-balancer: DNS record "${n}" (A) points at droplet "${droplet}" (${ip}) instead of a load balancer, so the name fails with that droplet. Point it at a load balancer's ip.`,
    ),
];
const secretAdvice =
    "(value not shown); user data is stored in droplet metadata, readable from inside the droplet and in the state. Load it at boot from a file or secret store instead (e.g. PASSWORD_FILE=/path, $(cat /run/secrets/…)).";

describe("the pack on other teams' deployed stacks (real policy host, pulumi policy analyze semantics)", function () {
    this.timeout(60000);
    let host: PolicyHost;

    before(() => {
        host = PolicyHost.start({ packDir: path.join(ROOT, "policies"), project: "audit", stack: "prod" });
    });
    after(async () => {
        await host.close();
        assert.equal(alive(host.pid!), false);
    });

    async function verdict(stack: RealWorldStack, config?: Record<string, PolicyConfig>): Promise<string[]> {
        const { run } = readStackExport(stackExport(stack));
        const result = await analyzeRun(host, run, config, () => undefined, "snapshot");
        return result.findings.map((f) => {
            const message = f.message
                .split("\n")
                .slice(1)
                .join("\n")
                .replace(/^[a-z0-9-]+: /, "");
            return `${f.level} ${checkOfFinding(f)}: ${message}`;
        });
    }

    describe("a droplet serves the web only when something sends web traffic to it", () => {
        it("finds nothing on a bastion with a reserved IP and a bastion. name, and two CI runners behind it", async () => {
            assert.deepEqual(await verdict(bastionAndRunners()), []);
        });

        it("finds nothing on three self-managed k3s nodes started with --disable traefik and named in DNS by their private addresses", async () => {
            assert.deepEqual(await verdict(k3sCluster()), []);
        });

        it("finds nothing on a developer's SSH box whose DNS name points at it and whose firewall admits only SSH", async () => {
            assert.deepEqual(await verdict(devBox()), []);
        });

        it("finds nothing on an admin tool named in DNS whose firewall opens its web ports to the office only", async () => {
            assert.deepEqual(await verdict(officeAdminTool()), []);
        });

        it("takes a WireGuard gateway whose firewall admits only SSH and UDP 51820 for no website: only its open port is reported", async () => {
            assert.deepEqual(await verdict(wireguardGateway()), [
                `mandatory firewall-no-world-ingress: Firewall "vpn-in" admits udp port 51820 from "0.0.0.0/0", "::/0" to its droplets, so anyone on the internet reaches them directly, and the stack has no load balancer to admit instead. Restrict sourceAddresses to the CIDRs that need the port, or put a load balancer in front of the droplets and admit it with sourceLoadBalancerUids; a service that must face the internet itself (a mail exchanger on port 25) belongs in this policy's allowedPorts.`,
            ]);
        });

        it("still judges a droplet that serves on another TCP port (an app on 3000 that DNS names) as a website", async () => {
            const findings = await verdict(mailServer(["3000"]));
            for (const line of singleDroplet(["mail.example.org"], "mail", "198.51.100.25"))
                assert.ok(findings.includes(line), `${line}\nnot in\n${findings.join("\n")}`);
            assert.ok(findings.includes(worldOpen("mail-in", 3000)));
        });

        it("judges a Cloudflare-proxied origin open only to Cloudflare's ranges as the public site it is: one droplet behind a proxy that does not fail over", async () => {
            assert.deepEqual(await verdict(cloudflareOrigin()), [
                ...singleDroplet(["www.example.org"], "origin", "203.0.113.95"),
                'mandatory uptime-check-public-endpoint: No enabled uptime check watches the public endpoint ("www.example.org"), so an outage is noticed by users first. Add a digitalocean.UptimeCheck with target "https://www.example.org" and a digitalocean.UptimeAlert of type "down" that notifies someone.',
            ]);
        });

        it("takes a mail server whose firewall opens only mail ports to the world for no website: only those ports are reported", async () => {
            assert.deepEqual(
                await verdict(mailServer()),
                [25, 465, 587, 993].map((port) => worldOpen("mail-in", port)),
            );
        });

        it("judges a 1-Click WordPress droplet that DNS names as serving, in the spof, TLS, uptime and log checks alike, with the MySQL its image installs, and the tmux box beside it in none", async () => {
            assert.deepEqual(await verdict(marketplaceSite()), [
                'mandatory droplet-no-database-server: Droplet "wp" runs a database server (mysql-server) from its 1-Click image "wordpress-24-04": a database on droplets has no managed standby, automatic failover or managed backups, so when the machine fails the data is unavailable until someone promotes or rebuilds a server, and it is only as safe as the copies the droplets make themselves. Move the database to a DigitalOcean managed database cluster with a standby node (nodeCount: 2).',
                ...singleDroplet(["www.example.blog"], "wp", "203.0.113.80").slice(0, 3),
                'mandatory public-endpoint-tls: DNS ("www.example.blog") sends the public to droplet "wp" and the stack has no load balancer, so nothing in it terminates TLS or renews a certificate. Put a load balancer with an HTTPS rule and certificateName in front of the droplet and point DNS at it, or terminate TLS on the droplet with a certificate it renews (Caddy, Traefik with ACME, certbot).',
                'mandatory uptime-check-public-endpoint: No enabled uptime check watches the public endpoint ("www.example.blog"), so an outage is noticed by users first. Add a digitalocean.UptimeCheck with target "https://www.example.blog" and a digitalocean.UptimeAlert of type "down" that notifies someone.',
                'mandatory droplet-logs-shipped: Droplet "wp" serves requests but its user data installs no log shipper, so its logs stay on the machine and are lost with it; install and configure one (e.g. rsyslog-elasticsearch with an omelasticsearch action, Fluent Bit or Vector).',
                worldOpen("wp-web", 80),
                worldOpen("wp-web", 443),
            ]);
        });

        it("judges the same droplet alike when a reserved IPv6 and an AAAA record name it", async () => {
            const v4 = await verdict(marketplaceSite());
            assert.deepEqual(
                await verdict(marketplaceSiteOnReservedIpv6()),
                v4.map((line) =>
                    line.replace(
                        '(A) points at droplet "wp" (203.0.113.80)',
                        '(AAAA) points at droplet "wp" (2a03:b0c0:2:f0::80)',
                    ),
                ),
            );
        });
    });

    describe("a reserved IP that keepalived fails over between droplets", () => {
        it("takes two nginx droplets sharing a floating IP for no single point of failure, and their web ports as the public entry", async () => {
            assert.deepEqual(await verdict(keepalivedPair()), []);
        });

        it("still takes one such droplet alone for a single point of failure", async () => {
            assert.deepEqual(await verdict(keepalivedPair(1)), [
                ...singleDroplet(["www.example.com"], "web-a", "203.0.113.200"),
                worldOpen("web-in", 80),
                worldOpen("web-in", 443),
            ]);
        });
    });

    describe("TLS passed through a load balancer as raw TCP", () => {
        it("takes tcp 443 to Caddy droplets for TLS on the droplets; raw TCP on 80 is still reported", async () => {
            assert.deepEqual(await verdict(caddyBehindTcpPassthrough()), [
                'mandatory load-balancer-no-plaintext-tcp: Load balancer "edge-lb" forwards raw TCP on port 80, so plain HTTP passes through it unencrypted and the load balancer cannot redirect it to HTTPS: HTTPS holds only where every droplet behind it redirects by itself. Use entryProtocol "http" with redirectHttpToHttps: true, or remove the rule.',
            ]);
        });
    });

    describe("TLS terminated on the droplet", () => {
        it("credits Caddy in the containers a Compose file starts (a Domain's ipAddress and a DnsRecord name the site); the single droplet stays a SPOF", async () => {
            assert.deepEqual(await verdict(selfTlsDroplet(CADDY_COMPOSE, "blog.example.net")), [
                ...singleDroplet(["example.net", "blog.example.net"], "web", "203.0.113.40"),
                worldOpen("site-web", 80),
                worldOpen("site-web", 443),
            ]);
        });

        it("credits nginx whose certificate and redirect certbot --nginx sets up from user data", async () => {
            assert.deepEqual(await verdict(selfTlsDroplet(NGINX_CERTBOT, "shop.example.net")), [
                ...singleDroplet(["example.net", "shop.example.net"], "web", "203.0.113.40"),
                worldOpen("site-web", 80),
                worldOpen("site-web", 443),
            ]);
        });
    });

    it("takes an app that reaches a managed PostgreSQL cluster (DATABASE_URL, psql, pg_isready in the postgres image) for a client: nothing to report", async () => {
        assert.deepEqual(await verdict(apiWithManagedPostgres()), []);
    });

    it("keeps sudo NOPASSWD rules and lock_passwd quiet and finds the passwords in base64 and gzip+base64 write_files", async () => {
        assert.deepEqual(await verdict(cloudConfigWithEncodedFiles()), [
            `advisory droplet-user-data-secrets: Droplet "worker"'s user data contains a literal value for SMTP_PASSWORD in write_files "/etc/app/app.env" (encoding b64, decoded line 2) on line 15 ${secretAdvice}`,
            `advisory droplet-user-data-secrets: Droplet "worker"'s user data contains a literal value for password in write_files "/root/.my.cnf" (encoding gz+b64, decoded line 3) on line 19 ${secretAdvice}`,
        ]);
    });

    it("counts a load balancer's backends whose firewalls admit it on 80 while it targets and health-checks 8080 as unreachable", async () => {
        assert.deepEqual(await verdict(apiWithManagedPostgres(["80"])), [
            'mandatory load-balancer-min-backends: Load balancer "api-lb" lists 2 backends, but the cloud firewalls of "api-1" (tcp 8080), "api-2" (tcp 8080) do not admit it on those target or health-check ports, so only 0 can serve; fewer than 2 working backends means one droplet failure takes the service down. Add an inbound rule on those ports whose sourceLoadBalancerUids lists the load balancer\'s id to the firewalls covering them.',
        ]);
    });

    it("watches www and leaves DKIM, SendGrid, DMARC and ssh. names out of the uptime endpoint", async () => {
        assert.deepEqual(await verdict(siteWithMailRecords()), []);
    });

    it("reports read replicas without a firewall on their uuid, and a firewall pointed at a replica's id", async () => {
        assert.deepEqual(await verdict(apiWithReplicas()), [
            'mandatory database-firewall-required: Database firewall "orders-read-lon-trusted" sets clusterId to database replica "orders-read-lon"\'s id ("9e8d7c6b-0000-4000-8000-0000000000d1/replicas/orders-read-lon"), which names no cluster DigitalOcean can firewall; set clusterId to the replica\'s uuid.',
            "mandatory database-firewall-required: Database replica \"orders-read-lon\" has no DatabaseFirewall, so any address on the internet can connect to it with valid credentials. Add one digitalocean.DatabaseFirewall with clusterId set to the replica's uuid (not its id) and rules trusting the app droplets' tag.",
            "mandatory database-firewall-required: Database replica \"orders-read-nyc\" has no DatabaseFirewall, so any address on the internet can connect to it with valid credentials. Add one digitalocean.DatabaseFirewall with clusterId set to the replica's uuid (not its id) and rules trusting the app droplets' tag.",
        ]);
    });

    it("turns the budget and the availability target on from their thresholds alone (no enforcement level in the config)", async () => {
        assert.deepEqual(
            await verdict(apiWithManagedPostgres(), { "stack-monthly-budget": { properties: { maxMonthlyUsd: 100 } } }),
            [
                'mandatory stack-monthly-budget: The stack is estimated at $180.00 a month, over its budget of $100.00 (maxMonthlyUsd) by $80.00; the largest items are "orders" $120.00 (Managed pg cluster db-s-2vcpu-4gb × 2 nodes (primary + 1 standby)), "api-1" $24.00 (Droplet s-2vcpu-4gb), "api-2" $24.00 (Droplet s-2vcpu-4gb). Remove or resize them, or raise maxMonthlyUsd.',
            ],
        );
        assert.deepEqual(
            await verdict(apiWithManagedPostgres(), {
                "stack-availability-target": { properties: { minAvailability: 0.99999 } },
            }),
            [
                'mandatory stack-availability-target: The stack\'s expected monthly availability is 99.8999 % (about 43.2 minutes down in a 30-day month), below its target of 99.9990 % (minAvailability 0.99999); the weakest stages are load balancer "api-lb" (regional) 99.9000 %, web servers behind "api-lb" 99.9999 %, database "orders" (2 nodes) 99.9999 %. Add instances to them, or lower minAvailability.',
            ],
        );
    });
});
