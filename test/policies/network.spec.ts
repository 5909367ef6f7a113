import assert from "node:assert/strict";
import {
    databaseFirewallNoWorld,
    databaseFirewallRequired,
    dropletFirewallCoverage,
    dropletSshKeys,
    firewallNoWorldIngress,
    firewallNoWorldSsh,
    networkPolicies,
    resourcesSameVpc,
} from "../../policies/network";
import { materialize, ref, run, spec, Spec, UNKNOWN } from "../support/policyHarness";
import * as digitalocean from "@pulumi/digitalocean";
import { plainDatabase, plainDroplets } from "./plainStacks";
import { keepalivedPair } from "./realWorldStacks";
import { mutate, named, tierStack, without } from "./stacks";

const prod = () => tierStack("prod");
const inbound = (fw: Record<string, unknown>) => fw.inboundRules as Record<string, unknown>[];

async function violations(
    policy: Parameters<typeof run>[0],
    specs: Spec[],
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const outcome = await run(policy, materialize(specs), config);
    assert.deepEqual(outcome.undecided, []);
    return outcome.violations;
}

describe("network policies", () => {
    it("report nothing on the production-like stack, whose firewalls allow outbound traffic to the world", async () => {
        for (const policy of networkPolicies) assert.deepEqual(await violations(policy, prod()), [], policy.name);
    });

    describe("droplet-firewall-coverage", () => {
        it("reports droplets no firewall covers", async () => {
            const found = await violations(dropletFirewallCoverage, without(tierStack(2), "fw-app"));
            assert.deepEqual(
                found,
                ["app-0", "app-1"].map(
                    (n) =>
                        `Droplet "${n}" is not covered by any cloud firewall, so every port its software listens on is open to the internet. Add a digitalocean.Firewall whose tags include one of its tags ("shop-app"), or whose dropletIds list it.`,
                ),
            );
        });

        it("counts a firewall that lists the droplet in dropletIds", async () => {
            const specs = mutate(without(tierStack(2), "app-1"), "fw-app", (fw) => {
                delete fw.tags;
                fw.dropletIds = [ref("app-0")];
            });
            assert.deepEqual(await violations(dropletFirewallCoverage, specs), []);
        });

        it("decides during preview through the Tag resources the tags depend on", async () => {
            const outcome = await run(
                dropletFirewallCoverage,
                materialize(without(tierStack(2), "fw-app"), { preview: true }),
            );
            assert.equal(outcome.violations.length, 2);
            assert.deepEqual(outcome.undecided, []);
        });
    });

    describe("firewall-no-world-ingress", () => {
        it("reports any port of a droplet opened to the world", async () => {
            const specs = mutate(prod(), "fw-web", (fw) =>
                inbound(fw).push({ protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] }),
            );
            assert.deepEqual(await violations(firewallNoWorldIngress, specs), [
                'Firewall "fw-web" admits tcp port 443 from "0.0.0.0/0", "::/0" to its droplets, bypassing the load balancer. Admit the load balancer with sourceLoadBalancerUids (or other droplets with sourceTags) instead of a world CIDR.',
            ]);
        });

        it("accepts another team's firewall that admits SSH from an office range only", async () => {
            assert.deepEqual(await run(firewallNoWorldIngress, materialize(plainDroplets())), {
                violations: [],
                undecided: [],
                notApplicable: false,
            });
        });

        it("does not speak of a load balancer when the stack has none", async () => {
            const specs = mutate(plainDroplets(), "backend-fw", (fw) =>
                inbound(fw).push({ protocol: "tcp", portRange: "8000", sourceAddresses: ["0.0.0.0/0"] }),
            );
            assert.deepEqual(await violations(firewallNoWorldIngress, specs), [
                'Firewall "backend-fw" admits tcp port 8000 from "0.0.0.0/0" to its droplets, so anyone on the internet reaches them directly, and the stack has no load balancer to admit instead. Restrict sourceAddresses to the CIDRs that need the port, or put a load balancer in front of the droplets and admit it with sourceLoadBalancerUids; a service that must face the internet itself (a mail exchanger on port 25) belongs in this policy\'s allowedPorts.',
            ]);
        });

        for (const portRange of ["22", "1-65535"]) {
            it(`leaves a world-open tcp rule on ${portRange} (SSH included) to firewall-no-world-ssh`, async () => {
                const specs = mutate(plainDroplets(), "backend-fw", (fw) =>
                    inbound(fw).push({ protocol: "tcp", portRange, sourceAddresses: ["0.0.0.0/0"] }),
                );
                assert.deepEqual(await violations(firewallNoWorldIngress, specs), []);
                assert.equal((await violations(firewallNoWorldSsh, specs)).length, 1);
            });
        }

        it("honours allowedPorts and allowIcmp from the config", async () => {
            const specs = mutate(prod(), "fw-web", (fw) =>
                inbound(fw).push(
                    { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0"] },
                    { protocol: "icmp", sourceAddresses: ["0.0.0.0/0"] },
                ),
            );
            assert.deepEqual(await violations(firewallNoWorldIngress, specs, { allowedPorts: [443] }), []);
            assert.deepEqual(
                await violations(firewallNoWorldIngress, specs, { allowedPorts: [443], allowIcmp: false }),
                [
                    'Firewall "fw-web" admits icmp from "0.0.0.0/0" to its droplets, bypassing the load balancer. Admit the load balancer with sourceLoadBalancerUids (or other droplets with sourceTags) instead of a world CIDR.',
                ],
            );
        });
    });

    describe("firewall-no-world-ssh", () => {
        it("reports SSH open to the world", async () => {
            const specs = mutate(prod(), "fw-web", (fw) =>
                inbound(fw).push({ protocol: "tcp", portRange: "22", sourceAddresses: ["::/0"] }),
            );
            assert.deepEqual(await violations(firewallNoWorldSsh, specs), [
                'Firewall "fw-web" admits SSH (tcp port 22, which includes 22) from "::/0", exposing it to every scanner on the internet. Restrict sourceAddresses to your admin CIDRs, or reach the droplets through a VPN or bastion.',
            ]);
        });

        for (const [portRange, shown] of [
            ["1-65535", "tcp ports 1-65535"],
            ["all", "all tcp ports"],
            ["20-30", "tcp ports 20-30"],
        ]) {
            it(`reports the world-open port range "${portRange}" as SSH`, async () => {
                const specs = mutate(prod(), "fw-app", (fw) =>
                    inbound(fw).push({ protocol: "tcp", portRange, sourceAddresses: ["0.0.0.0/0"] }),
                );
                assert.deepEqual(await violations(firewallNoWorldSsh, specs), [
                    `Firewall "fw-app" admits SSH (${shown}, which includes 22) from "0.0.0.0/0", exposing it to every scanner on the internet. Restrict sourceAddresses to your admin CIDRs, or reach the droplets through a VPN or bastion.`,
                ]);
            });
        }

        it("accepts SSH from admin CIDRs", async () => {
            const specs = mutate(prod(), "fw-web", (fw) =>
                inbound(fw).push({ protocol: "tcp", portRange: "22", sourceAddresses: ["198.51.100.0/24"] }),
            );
            assert.deepEqual(await violations(firewallNoWorldSsh, specs), []);
            assert.deepEqual(await violations(firewallNoWorldIngress, specs), []);
        });
    });

    describe("droplet-ssh-keys", () => {
        it("accepts droplets created with SSH keys", async () => {
            assert.deepEqual(await run(dropletSshKeys, materialize(plainDroplets())), {
                violations: [],
                undecided: [],
                notApplicable: false,
            });
        });

        for (const blank of ["", "   "]) {
            it(`reports a droplet whose only sshKeys entry is ${JSON.stringify(blank)}`, async () => {
                assert.deepEqual(
                    await violations(
                        dropletSshKeys,
                        mutate(plainDroplets(), "app", (d) => (d.sshKeys = [blank])),
                    ),
                    [
                        'Droplet "app" has no SSH key: its sshKeys hold only empty strings, so DigitalOcean emails a root password and the droplet accepts password logins; set sshKeys to one or more SSH key ids or fingerprints.',
                    ],
                );
            });
        }

        it("reports an empty sshKeys entry beside a real key", async () => {
            assert.deepEqual(
                await violations(
                    dropletSshKeys,
                    mutate(plainDroplets(), "app", (d) => (d.sshKeys = [41270653, ""])),
                ),
                [
                    'Droplet "app" lists an empty string in sshKeys (entry 2), which names no SSH key; remove it, or replace it with a key id or fingerprint.',
                ],
            );
        });

        it("reports a droplet without SSH keys", async () => {
            assert.deepEqual(
                await violations(
                    dropletSshKeys,
                    mutate(prod(), "web-0", (d) => (d.sshKeys = [])),
                ),
                [
                    'Droplet "web-0" has no sshKeys, so DigitalOcean emails a root password and the droplet accepts password logins; set sshKeys to one or more SSH key ids or fingerprints.',
                ],
            );
        });
    });

    describe("database-firewall-required", () => {
        it("reports a cluster without a database firewall", async () => {
            assert.deepEqual(await violations(databaseFirewallRequired, without(prod(), "cache-fw")), [
                'Database cluster "cache" has no DatabaseFirewall, so any address on the internet can connect to it with valid credentials. Add one digitalocean.DatabaseFirewall with clusterId set to its id and rules trusting the app droplets\' tag.',
            ]);
        });

        it("reports two database firewalls on one cluster", async () => {
            const specs = mutate(prod(), "cache-fw", (fw) => (fw.clusterId = ref("db")));
            const found = await violations(databaseFirewallRequired, specs);
            assert.deepEqual(found, [
                'Database cluster "db" has 2 DatabaseFirewalls ("db-fw", "cache-fw"); each replaces its whole rule set, so they overwrite each other. Merge their rules into one DatabaseFirewall.',
                'Database cluster "cache" has no DatabaseFirewall, so any address on the internet can connect to it with valid credentials. Add one digitalocean.DatabaseFirewall with clusterId set to its id and rules trusting the app droplets\' tag.',
            ]);
        });

        it("matches firewalls to clusters during preview through clusterId's dependency", async () => {
            const outcome = await run(databaseFirewallRequired, materialize(prod(), { preview: true }));
            assert.deepEqual(outcome, { violations: [], undecided: [], notApplicable: false });
        });
    });

    describe("database-firewall-no-world", () => {
        it("accepts a database firewall that trusts a droplet tag", async () => {
            assert.deepEqual(await run(databaseFirewallNoWorld, materialize(plainDatabase())), {
                violations: [],
                undecided: [],
                notApplicable: false,
            });
        });

        it("reports a rule whose type DigitalOcean does not accept", async () => {
            const specs = mutate(plainDatabase(), "orders-trusted", (fw) =>
                (fw.rules as unknown[]).push({ type: "ip_address", value: "198.18.0.7" }),
            );
            assert.deepEqual(await violations(databaseFirewallNoWorld, specs), [
                'Database firewall "orders-trusted" has rule 2 of type "ip_address", which DigitalOcean does not accept (types: ip_addr, droplet, k8s, tag or app), so it restricts nothing and the provider rejects it. Change its type to one of those or remove the rule.',
            ]);
        });

        it("reports a firewall none of whose rules has a type DigitalOcean accepts, naming the case-sensitive spelling", async () => {
            const specs = mutate(
                plainDatabase(),
                "orders-trusted",
                (fw) => (fw.rules = [{ type: "TAG", value: ref("backend") }]),
            );
            assert.deepEqual(await violations(databaseFirewallNoWorld, specs), [
                'Database firewall "orders-trusted" trusts no source DigitalOcean recognises: its rules have type "TAG", not one of ip_addr, droplet, k8s, tag or app, so they restrict nothing and the provider rejects them. Give each rule one of those types (the API is case-sensitive: write "tag"), e.g. { type: "tag", value: <tag> } for the app droplets.',
            ]);
        });

        it("reports a world CIDR among the trusted sources", async () => {
            const specs = mutate(prod(), "db-fw", (fw) =>
                (fw.rules as unknown[]).push({ type: "ip_addr", value: "0.0.0.0/0" }),
            );
            assert.deepEqual(await violations(databaseFirewallNoWorld, specs), [
                'Database firewall "db-fw" trusts ip_addr "0.0.0.0/0", which admits the whole internet to the cluster; trust the app droplets by { type: "tag", value: <tag> } or specific addresses instead.',
            ]);
        });

        it("reports a database firewall with no rules", async () => {
            assert.deepEqual(
                await violations(
                    databaseFirewallNoWorld,
                    mutate(prod(), "db-fw", (fw) => (fw.rules = [])),
                ),
                [
                    'Database firewall "db-fw" has no rules, which leaves the cluster reachable from any address; add rules trusting the app droplets\' tag ({ type: "tag", value: <tag> }).',
                ],
            );
        });
    });

    describe("firewall-no-world-ingress on a keepalived failover pair", () => {
        it("lets a firewall covering only the pair open the web ports", async () => {
            assert.deepEqual(await violations(firewallNoWorldIngress, keepalivedPair().specs), []);
        });

        it("decides later while a droplet's user data is not known yet", async () => {
            const preview = mutate(keepalivedPair().specs, "web-b", (b) => (b.userData = UNKNOWN));
            const outcome = await run(firewallNoWorldIngress, materialize(preview));
            assert.deepEqual(outcome.violations, []);
            assert.equal(outcome.undecided.length, 1);
            assert.match(outcome.undecided[0], /Firewall "web-in" opens tcp port 80 .*keepalived failover pair/);
        });

        it("still reports the web ports of one such droplet alone", async () => {
            assert.equal((await violations(firewallNoWorldIngress, keepalivedPair(1).specs)).length, 2);
        });
    });

    describe("resources-same-vpc", () => {
        it("reports a database cluster left in the region's default VPC", async () => {
            const specs = mutate(tierStack(1), "db", (db) => delete db.privateNetworkUuid);
            assert.deepEqual(await violations(resourcesSameVpc, specs), [
                'Resources in region "nyc3" are split across 2 VPCs: VPC "vpc" (droplet "web-0", droplet "web-1", load balancer "lb-0", database replica "db-replica-0"); the default VPC of nyc3 (database cluster "db"); they cannot reach each other over the private network. Pass one VPC\'s id as vpcUuid and privateNetworkUuid to all of them.',
            ]);
        });

        it("judges a Kubernetes cluster given a vpcUuid with the database it uses, even in a stack with no droplet", async () => {
            const cluster = (props: Record<string, unknown>) =>
                spec(digitalocean.KubernetesCluster, "k8s", {
                    id: "c0ffee00-0000-4000-8000-000000000011",
                    name: "k8s",
                    region: "fra1",
                    version: "1.33.1-do.0",
                    nodePool: { name: "default", size: "s-2vcpu-4gb", nodeCount: 3 },
                    ...props,
                });
            const stackWith = (props: Record<string, unknown>) => [
                spec(digitalocean.Vpc, "main", { id: "6f1a0c52-0000-4000-8000-000000000011", region: "fra1" }),
                cluster(props),
                spec(digitalocean.DatabaseCluster, "pg", {
                    id: "c0ffee00-0000-4000-8000-000000000012",
                    name: "pg",
                    engine: "pg",
                    version: "16",
                    region: "fra1",
                    size: "db-s-1vcpu-2gb",
                    nodeCount: 2,
                }),
            ];
            assert.deepEqual(await violations(resourcesSameVpc, stackWith({ vpcUuid: ref("main") })), [
                'Resources in region "fra1" are split across 2 VPCs: VPC "main" (Kubernetes cluster "k8s"); the default VPC of fra1 (database cluster "pg"); they cannot reach each other over the private network. Pass one VPC\'s id as vpcUuid and privateNetworkUuid to all of them.',
            ]);
            // With no vpcUuid in its props (the state fills it in after the create) the cluster is not judged.
            assert.deepEqual(await violations(resourcesSameVpc, stackWith({})), []);
        });

        it("treats resources in other regions separately", async () => {
            const specs = [
                ...tierStack(1),
                spec(digitalocean.DatabaseReplica, "db-replica-ams", {
                    clusterId: ref("db"),
                    region: "ams3",
                    size: "db-s-1vcpu-2gb",
                }),
            ];
            assert.deepEqual(await violations(resourcesSameVpc, specs), []);
            assert.ok(named(specs, "db-replica-ams"));
        });
    });
});
