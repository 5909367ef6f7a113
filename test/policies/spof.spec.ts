import assert from "node:assert/strict";
import * as digitalocean from "@pulumi/digitalocean";
import {
    cacheClusterStandby,
    databaseClusterStandby,
    databaseStandbyPlanSize,
    dnsRecordTargetsLoadBalancer,
    dropletNoDatabaseServer,
    loadBalancerMinBackends,
    loadBalancerMinCount,
    publicEndpointLoadBalanced,
    spofPolicies,
} from "../../policies/spof";
import { materialize, ref, run, spec, Spec, UNKNOWN } from "../support/policyHarness";
import { keepalivedPair, officeAdminTool } from "./realWorldStacks";
import { mutate, tierStack, without } from "./stacks";

const prod = () => tierStack("prod");
/** An autoscale pool of 2 to 5 whose template carries the web tag, in `region`. */
const webPool = (name: string, region: string) =>
    spec(digitalocean.DropletAutoscale, name, {
        config: { minInstances: 2, maxInstances: 5, targetCpuUtilization: 0.6 },
        dropletTemplate: {
            size: "s-1vcpu-2gb",
            region,
            image: "ubuntu-24-04-x64",
            sshKeys: ["k"],
            tags: ["shop-web"],
        },
    });
const webs = ["web-1", "web-2", "web-3"];

async function violations(
    policy: Parameters<typeof run>[0],
    specs: Spec[],
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const outcome = await run(policy, materialize(specs), config);
    assert.deepEqual(outcome.undecided, []);
    return outcome.violations;
}

describe("SPOF policies", () => {
    it("apply to the production-like stack and report nothing on it except the advisory single-node cache", async () => {
        // The whole outcome, not only violations(): a policy that wrongly returns not-applicable must fail here.
        for (const policy of spofPolicies.filter((p) => p !== cacheClusterStandby)) {
            assert.deepEqual(
                await run(policy, materialize(prod())),
                { violations: [], undecided: [], notApplicable: false },
                policy.name,
            );
        }
    });

    describe("load-balancer-min-backends", () => {
        it("counts the droplets that carry the load balancer's dropletTag", async () => {
            assert.deepEqual(await violations(loadBalancerMinBackends, without(prod(), ...webs)), [
                'Load balancer "lb-0" sends traffic to 1 droplet (droplets tagged "shop-web"); fewer than 2 backends means one droplet failure takes the service down. Run at least 2 droplets with its dropletTag or list them in dropletIds.',
                'Load balancer "lb-1" sends traffic to 1 droplet (droplets tagged "shop-web"); fewer than 2 backends means one droplet failure takes the service down. Run at least 2 droplets with its dropletTag or list them in dropletIds.',
            ]);
        });

        it("honours minBackends from the config", async () => {
            const found = await violations(loadBalancerMinBackends, prod(), { minBackends: 5 });
            assert.equal(found.length, 3);
            assert.match(
                found[2],
                /^Load balancer "lb-internal" sends traffic to 4 droplets \(droplets tagged "shop-app"\)/,
            );
            assert.match(
                found[0],
                /^Load balancer "lb-0" sends traffic to 4 droplets \(droplets tagged "shop-web"\); fewer than 5 backends/,
            );
        });

        it("counts only the tagged droplets and pools in the load balancer's own region", async () => {
            // Two of the four web droplets and an autoscale pool of 2 carry the tag in another region: lb-0 and lb-1
            // (nyc3) reach two droplets, which still meets the default of 2; minBackends 3 shows the count.
            const moved = ["web-2", "web-3"].reduce(
                (stack, name) => mutate(stack, name, (d) => (d.region = "ams3")),
                prod(),
            );
            const stack = [...moved, webPool("web-pool-ams", "ams3")];
            const found = await violations(loadBalancerMinBackends, stack, { minBackends: 3 });
            assert.deepEqual(
                found.slice(0, 2).map((v) => v.split(";")[0]),
                [
                    'Load balancer "lb-0" sends traffic to 2 droplets (droplets tagged "shop-web")',
                    'Load balancer "lb-1" sends traffic to 2 droplets (droplets tagged "shop-web")',
                ],
            );
        });

        it("counts a global load balancer's droplets in every region, and leaves one over regional load balancers to them", async () => {
            const global = (lb: Record<string, unknown>) => {
                lb.type = "GLOBAL";
                delete lb.region;
                delete lb.forwardingRules;
            };
            const overDroplets = mutate(without(prod(), ...webs, "lb-1", "dns-apex-1", "dns-www-1"), "lb-0", global);
            assert.deepEqual(await violations(loadBalancerMinBackends, overDroplets), [
                'Load balancer "lb-0" sends traffic to 1 droplet (droplets tagged "shop-web"); fewer than 2 backends means one droplet failure takes the service down. Run at least 2 droplets with its dropletTag or list them in dropletIds.',
            ]);
            const overRegional = mutate(without(prod(), ...webs), "lb-0", (lb) => {
                global(lb);
                delete lb.dropletTag;
                lb.targetLoadBalancerIds = [ref("lb-1")];
            });
            assert.deepEqual(await violations(loadBalancerMinBackends, overRegional), [
                'Load balancer "lb-1" sends traffic to 1 droplet (droplets tagged "shop-web"); fewer than 2 backends means one droplet failure takes the service down. Run at least 2 droplets with its dropletTag or list them in dropletIds.',
            ]);
        });

        it("counts droplets listed in dropletIds", async () => {
            const stack = mutate(without(prod(), "lb-1", "dns-apex-1", "dns-www-1"), "lb-0", (lb) => {
                delete lb.dropletTag;
                lb.dropletIds = [ref("web-0")];
            });
            assert.deepEqual(await violations(loadBalancerMinBackends, stack), [
                'Load balancer "lb-0" sends traffic to 1 droplet (its dropletIds); fewer than 2 backends means one droplet failure takes the service down. Run at least 2 droplets with its dropletTag or list them in dropletIds.',
            ]);
        });

        it("reports a load balancer with neither dropletTag nor dropletIds", async () => {
            const stack = mutate(
                without(prod(), "lb-1", "dns-apex-1", "dns-www-1"),
                "lb-0",
                (lb) => delete lb.dropletTag,
            );
            assert.deepEqual(await violations(loadBalancerMinBackends, stack), [
                'Load balancer "lb-0" sends traffic to 0 droplets (it has neither dropletTag nor dropletIds); fewer than 2 backends means one droplet failure takes the service down. Run at least 2 droplets with its dropletTag or list them in dropletIds.',
            ]);
        });

        it("counts an autoscale pool whose template carries the tag at its minimum size", async () => {
            const stack = [...without(prod(), "web-0", ...webs), webPool("web-pool", "nyc3")];
            assert.deepEqual(await violations(loadBalancerMinBackends, stack), []);
        });

        it("reports cannot-decide instead of passing when the droplets' tags are unknown and untraceable", async () => {
            const outcome = await run(
                loadBalancerMinBackends,
                materialize(without(prod(), ...webs, "web-0"), { preview: true, withoutDependencies: true }),
            );
            assert.deepEqual(outcome.violations, []);
            assert.equal(outcome.undecided.length, 1);
            assert.match(
                outcome.undecided[0],
                /^cannot decide during preview.*Load balancer "lb-0" has 0 known backends of the 2 required/,
            );
        });

        it("resolves unknown tags during preview through the Tag resources they depend on", async () => {
            const outcome = await run(
                loadBalancerMinBackends,
                materialize(without(prod(), ...webs), { preview: true }),
            );
            assert.equal(outcome.violations.length, 2);
            assert.deepEqual(outcome.undecided, []);
        });
    });

    describe("public-endpoint-load-balanced", () => {
        it("reports DNS that sends the public to a droplet with no load balancer", async () => {
            assert.deepEqual(await violations(publicEndpointLoadBalanced, tierStack(0)), [
                'DNS ("example.com", "www.example.com") sends the public straight to droplet "server" and the stack has no load balancer, so that one server is a single point of failure. Put a DigitalOcean load balancer in front of at least two droplets and point the DNS records at its ip.',
            ]);
        });

        it("reports public droplets without a load balancer even when DNS lives elsewhere", async () => {
            assert.deepEqual(
                await violations(publicEndpointLoadBalanced, without(tierStack(0), "dns-apex", "dns-www")),
                [
                    'The stack runs 1 public droplet ("server") and no load balancer, so each droplet is a single point of failure for what it serves. Put a DigitalOcean load balancer in front of at least two droplets.',
                ],
            );
        });

        it("ignores droplets without public networking", async () => {
            const stack = mutate(
                without(tierStack(0), "dns-apex", "dns-www"),
                "server",
                (d) => (d.publicNetworking = false),
            );
            assert.deepEqual(await violations(publicEndpointLoadBalanced, stack), []);
        });
    });

    describe("load-balancer-min-count", () => {
        it("reports a stack with droplets and no managed load balancer", async () => {
            assert.deepEqual(await violations(loadBalancerMinCount, tierStack(0)), [
                "The stack has 0 managed internet-facing load balancers but needs at least 1. Add a digitalocean.LoadBalancer with network EXTERNAL in front of the droplets.",
            ]);
        });

        it("does not count an HAProxy droplet that configures no frontend and that DNS does not point at", async () => {
            const stack = [
                ...tierStack(0),
                spec(digitalocean.Droplet, "haproxy", {
                    region: "nyc3",
                    sshKeys: ["k"],
                    monitoring: true,
                    userData: "#!/bin/bash\napt-get install -y haproxy\n",
                }),
            ];
            assert.deepEqual(await violations(loadBalancerMinCount, stack), [
                'The stack has 0 managed internet-facing load balancers (HAProxy on "haproxy" runs on single droplets and does not count) but needs at least 1. Add a digitalocean.LoadBalancer with network EXTERNAL in front of the droplets.',
            ]);
        });

        it("honours minLoadBalancers and does not count internal load balancers", async () => {
            assert.deepEqual(await violations(loadBalancerMinCount, tierStack(2), { minLoadBalancers: 2 }), [
                "The stack has 1 managed internet-facing load balancer but needs at least 2. Add a digitalocean.LoadBalancer with network EXTERNAL in front of the droplets.",
            ]);
        });
    });

    describe("dns-record-targets-load-balancer", () => {
        it("reports address records that point at a droplet", async () => {
            assert.deepEqual(await violations(dnsRecordTargetsLoadBalancer, tierStack(0)), [
                'DNS record "example.com" (A) points at droplet "server" (203.0.113.10) instead of a load balancer, so the name fails with that droplet. Point it at a load balancer\'s ip.',
                'DNS record "www.example.com" (A) points at droplet "server" (203.0.113.10) instead of a load balancer, so the name fails with that droplet. Point it at a load balancer\'s ip.',
            ]);
        });

        it("follows a reserved IP to the droplet it is assigned to", async () => {
            const stack = [
                ...without(prod(), "dns-apex-1", "dns-www-0", "dns-www-1"),
                spec(digitalocean.ReservedIp, "web-ip", {
                    ipAddress: "192.0.2.7",
                    region: "nyc3",
                    dropletId: ref("web-0"),
                }),
            ];
            const changed = mutate(stack, "dns-apex-0", (r) => (r.value = ref("web-ip", "ipAddress")));
            assert.deepEqual(await violations(dnsRecordTargetsLoadBalancer, changed), [
                'DNS record "example.com" (A) points at droplet "web-0" (192.0.2.7) instead of a load balancer, so the name fails with that droplet. Point it at a load balancer\'s ip.',
            ]);
        });

        it("skips names listed in exemptRecordNames", async () => {
            assert.deepEqual(
                await violations(dnsRecordTargetsLoadBalancer, tierStack(0), {
                    exemptRecordNames: ["example.com", "www.example.com"],
                }),
                [],
            );
        });

        it("decides during preview from what the record's value depends on", async () => {
            const outcome = await run(dnsRecordTargetsLoadBalancer, materialize(tierStack(0), { preview: true }));
            assert.equal(
                outcome.violations[0],
                'DNS record "example.com" (A) points at droplet "server" instead of a load balancer, so the name fails with that droplet. Point it at a load balancer\'s ip.',
            );
        });

        it("reports cannot-decide when the value is unknown and its source untraceable", async () => {
            const outcome = await run(
                dnsRecordTargetsLoadBalancer,
                materialize(tierStack(0), { preview: true, withoutDependencies: true }),
            );
            assert.deepEqual(outcome.violations, []);
            assert.match(
                outcome.undecided[0],
                /DNS record "example\.com" points at a value that is not known yet\. DNS record "www\.example\.com" points at a value that is not known yet\./,
            );
        });
    });

    describe("dns-record-targets-load-balancer on a droplet its firewall opens to some sources only", () => {
        const withWebSources = (sources: string[]) =>
            mutate(officeAdminTool().specs, "admin-in", (fw) => {
                for (const rule of fw.inboundRules as { portRange: string; sourceAddresses: string[] }[])
                    if (rule.portRange !== "22") rule.sourceAddresses = sources;
            });

        it("skips a name for a droplet open to an office only", async () => {
            assert.deepEqual(await violations(dnsRecordTargetsLoadBalancer, withWebSources(["198.18.7.0/24"])), []);
        });

        it("skips a name for a droplet open to private ranges only (its VPC, a carrier-grade NAT VPN), however wide", async () => {
            assert.deepEqual(
                await violations(dnsRecordTargetsLoadBalancer, withWebSources(["10.10.0.0/16", "100.64.0.0/10"])),
                [],
            );
        });

        it("judges a name for an origin open to a content network's wide ranges as a public website", async () => {
            assert.deepEqual(
                await violations(dnsRecordTargetsLoadBalancer, withWebSources(["104.16.0.0/13", "2400:cb00::/32"])),
                [
                    'DNS record "admin.example.org" (A) points at droplet "admin" (203.0.113.90) instead of a load balancer, so the name fails with that droplet. Point it at a load balancer\'s ip.',
                ],
            );
        });
    });

    describe("a reserved IP that keepalived fails over between droplets (the three entry checks)", () => {
        const entryChecks = [publicEndpointLoadBalanced, loadBalancerMinCount, dnsRecordTargetsLoadBalancer];
        const pair = (change?: (webB: Record<string, unknown>) => void) => {
            const specs = keepalivedPair().specs;
            return change ? mutate(specs, "web-b", change) : specs;
        };

        it("accept a pair whose partner's user data moves the same IP", async () => {
            for (const policy of entryChecks) assert.deepEqual(await violations(policy, pair()), [], policy.name);
        });

        it("take a partner that moves another IP for none", async () => {
            const other = pair((b) => (b.userData = String(b.userData).replace("203.0.113.200", "203.0.113.201")));
            for (const policy of entryChecks) assert.equal((await violations(policy, other)).length, 1, policy.name);
        });

        it("take a partner whose user data names a longer address that starts with the IP for none", async () => {
            const prefixOnly = mutate(keepalivedPair().specs, "web-ip", (ip) => {
                ip.id = "203.0.113.20";
                ip.ipAddress = "203.0.113.20";
            });
            for (const policy of entryChecks)
                assert.equal((await violations(policy, prefixOnly)).length, 1, policy.name);
        });

        it("take a droplet of another region for no partner", async () => {
            const elsewhere = pair((b) => (b.region = "fra1"));
            for (const policy of entryChecks)
                assert.equal((await violations(policy, elsewhere)).length, 1, policy.name);
        });

        it("decide later, not fail, while a same-region droplet's user data is not known yet", async () => {
            const preview = pair((b) => (b.userData = UNKNOWN));
            for (const policy of entryChecks) {
                const outcome = await run(policy, materialize(preview));
                assert.deepEqual(outcome.violations, [], policy.name);
                assert.equal(outcome.undecided.length, 1, policy.name);
                assert.match(outcome.undecided[0], /fails? over .*\(keepalived\) is not known yet/, policy.name);
            }
        });
    });

    describe("droplet-no-database-server", () => {
        it("reports a droplet whose user data installs mysql-server", async () => {
            assert.deepEqual(await violations(dropletNoDatabaseServer, tierStack(0)), [
                'Droplet "server" installs a database server (mysql-server) from its user data: a database on droplets has no managed standby, automatic failover or managed backups, so when the machine fails the data is unavailable until someone promotes or rebuilds a server, and it is only as safe as the copies the droplets make themselves. Move the database to a DigitalOcean managed database cluster with a standby node (nodeCount: 2).',
            ]);
        });

        it("reports a database container started from user data", async () => {
            const stack = mutate(
                prod(),
                "app-0",
                (d) => (d.userData = "#!/bin/sh\ndocker run -d -v /data:/var/lib/postgresql/data postgres:16\n"),
            );
            assert.deepEqual(await violations(dropletNoDatabaseServer, stack), [
                'Droplet "app-0" installs a database server (postgres container) from its user data: a database on droplets has no managed standby, automatic failover or managed backups, so when the machine fails the data is unavailable until someone promotes or rebuilds a server, and it is only as safe as the copies the droplets make themselves. Move the database to a DigitalOcean managed database cluster with a standby node (nodeCount: 2).',
            ]);
        });

        it("reports a droplet running a 1-Click image that installs a database server, and no other image", async () => {
            const on = (image: string) => mutate(prod(), "app-0", (d) => (d.image = image));
            assert.deepEqual(await violations(dropletNoDatabaseServer, on("wordpress-24-04")), [
                'Droplet "app-0" runs a database server (mysql-server) from its 1-Click image "wordpress-24-04": a database on droplets has no managed standby, automatic failover or managed backups, so when the machine fails the data is unavailable until someone promotes or rebuilds a server, and it is only as safe as the copies the droplets make themselves. Move the database to a DigitalOcean managed database cluster with a standby node (nodeCount: 2).',
            ]);
            for (const image of ["ubuntu-24-04-x64", "docker-20-04", "wordpress", "lemp-snapshot"])
                assert.deepEqual(await violations(dropletNoDatabaseServer, on(image)), [], image);
            // The same image handed a managed cluster's credentials at first boot uses the cluster, not its own MySQL.
            const managed = mutate(on("wordpress-24-04"), "app-0", (d) => {
                d.userData = "#!/bin/sh\nprintf 'db_protocol=\"mysql\"\\n' > /root/.digitalocean_dbaas_credentials\n";
            });
            assert.deepEqual(await violations(dropletNoDatabaseServer, managed), []);
            assert.equal((await violations(dropletNoDatabaseServer, on("mern-24-04"))).length, 1);
        });

        it("does not mistake database clients or connection URLs for servers", async () => {
            const stack = mutate(
                prod(),
                "app-0",
                (d) =>
                    (d.userData =
                        "#cloud-config\npackages: [postgresql-client, mysql-client]\nruncmd:\n  - echo mysql://db.internal:25060/shop > /etc/shop/url\n"),
            );
            assert.deepEqual(await violations(dropletNoDatabaseServer, stack), []);
        });

        it("reports cannot-decide when the user data is unknown", async () => {
            const outcome = await run(
                dropletNoDatabaseServer,
                materialize(mutate(tierStack(0), "server", (d) => (d.userData = UNKNOWN))),
            );
            assert.deepEqual(outcome.violations, []);
            assert.match(outcome.undecided[0], /Droplet "server"'s user data is not known yet\./);
        });
    });

    describe("database-cluster-standby", () => {
        it("reports a primary database without a standby node, whatever its read replicas", async () => {
            assert.deepEqual(await violations(databaseClusterStandby, tierStack(3)), [
                'Database cluster "db" (mysql) has nodeCount 1, so its primary has no standby to fail over to and is a single point of failure; read replicas do not take over writes. Set nodeCount: 2 on a plan with at least 2 GB RAM.',
            ]);
        });

        it("honours minNodeCount from the config", async () => {
            const found = await violations(databaseClusterStandby, prod(), { minNodeCount: 3 });
            assert.deepEqual(found, [
                'Database cluster "db" (mysql) has nodeCount 2, so its primary has no standby to fail over to and is a single point of failure; read replicas do not take over writes. Set nodeCount: 3 on a plan with at least 2 GB RAM.',
            ]);
        });
    });

    describe("database-standby-plan-size", () => {
        it("reports standby nodes on a plan with less than 2 GB RAM", async () => {
            const stack = mutate(prod(), "db", (db) => (db.size = "db-s-1vcpu-1gb"));
            assert.deepEqual(await violations(databaseStandbyPlanSize, stack), [
                'Database cluster "db" asks for nodeCount 2 on size "db-s-1vcpu-1gb" (1 GB RAM), but DigitalOcean offers standby nodes only on plans with at least 2 GB RAM. Use size "db-s-1vcpu-2gb" or larger.',
            ]);
        });
    });

    describe("cache-cluster-standby", () => {
        it("reports a single-node cache, as advisory", async () => {
            assert.equal(cacheClusterStandby.enforcementLevel, "advisory");
            assert.deepEqual(await violations(cacheClusterStandby, prod()), [
                'Cache cluster "cache" (valkey) has nodeCount 1; if its node fails the site keeps running but loses its cache and sessions until the node is rebuilt. Set nodeCount: 2 for a standby node.',
            ]);
        });

        it("leaves caches out of database-cluster-standby", async () => {
            const stack = mutate(prod(), "cache", (c) => (c.engine = "redis"));
            assert.deepEqual(await violations(databaseClusterStandby, stack), []);
        });
    });
});
