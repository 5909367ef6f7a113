// Exposure proof: what each tier's stack lets in from the internet, computed from the
// captured firewalls, load balancers, droplets and database firewalls of the real program.
import assert from "node:assert/strict";
import {
    Captured,
    EXPOSURE_STACKS,
    Exposure,
    INTERNET,
    computeExposure,
    exposureBlock,
    exposureTable,
    internetFacing,
} from "../../tools/docs/analysis/exposure";
import { assertGeneratedBlock } from "../support/generatedBlocks";
import { exampleConfig, runProgram } from "../support/program";

/** The exposure of a stack config, computed once per config for this file (several tests read the same stack). */
const exposures = new Map<string, Promise<Exposure[]>>();
const exposureOf = (config: Record<string, unknown>): Promise<Exposure[]> => {
    const key = JSON.stringify(config);
    if (!exposures.has(key))
        exposures.set(
            key,
            runProgram(config).then((run) => computeExposure(run.resources)),
        );
    return exposures.get(key)!;
};
const APP_TAG = "tag:webstack-dev-app";
const fake = (type: string, name: string, id: string, inputs: Record<string, unknown>): Captured =>
    ({
        urn: `urn:pulumi:dev::webstack::digitalocean:index/${type}::${name}`,
        type: `digitalocean:index/${type}`,
        name,
        custom: true,
        id,
        inputs,
        propertyDependencies: {},
    }) as Captured;

describe("exposure: the computation", () => {
    it("treats a droplet without a cloud firewall as open on every port to the internet", () => {
        assert.deepEqual(computeExposure([fake("droplet:Droplet", "d", "1", { tags: ["web"] })]), [
            { target: "d", kind: "droplet", port: "all", source: INTERNET },
        ]);
    });

    it("admits exactly the union of the inbound rules of the firewalls that match a droplet by tag or id", () => {
        const exposures = computeExposure([
            fake("droplet:Droplet", "d", "1", { tags: ["web"] }),
            fake("firewall:Firewall", "f1", "f1", {
                tags: ["web"],
                inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.7/32"] }],
            }),
            fake("firewall:Firewall", "f2", "f2", {
                dropletIds: [1],
                inboundRules: [{ protocol: "icmp", sourceAddresses: ["0.0.0.0/0", "::/0"] }],
            }),
            fake("firewall:Firewall", "f3", "f3", {
                tags: ["db"],
                inboundRules: [{ protocol: "tcp", portRange: "1-65535", sourceAddresses: ["0.0.0.0/0"] }],
            }),
        ]);
        assert.deepEqual(
            exposures.map((e) => `${e.port}←${e.source}`),
            ["22←203.0.113.7/32", "icmp←internet", "icmp←internet"],
        );
    });

    it("exposes an external load balancer's entry ports to the internet, or to its allow list, and an internal one to the VPC", () => {
        const rules = { forwardingRules: [{ entryPort: 443 }] };
        const e = computeExposure([
            fake("loadBalancer:LoadBalancer", "pub", "a", { ...rules, network: "EXTERNAL" }),
            fake("loadBalancer:LoadBalancer", "allow", "b", {
                ...rules,
                firewall: { allows: ["cidr:198.51.100.0/24"] },
            }),
            fake("loadBalancer:LoadBalancer", "int", "c", { ...rules, network: "INTERNAL" }),
        ]);
        assert.deepEqual(
            e.map((x) => `${x.target}:${x.port}←${x.source}`),
            ["pub:443←internet", "allow:443←198.51.100.0/24", "int:443←vpc"],
        );
    });

    it("opens a database without a database firewall to the internet, and its replicas with it", () => {
        const e = computeExposure([
            fake("databaseCluster:DatabaseCluster", "db", "c1", { engine: "mysql" }),
            fake("databaseReplica:DatabaseReplica", "r", "r1", { clusterId: "c1" }),
        ]);
        assert.deepEqual(internetFacing(e), ["db:25060", "r:25060"]);
    });

    it("gives each read replica the sources of its own database firewall (by the replica's uuid), or the internet without one", () => {
        const replica = (name: string, uuid: string) => ({
            ...fake("databaseReplica:DatabaseReplica", name, `${name}-id`, { clusterId: "c1" }),
            state: { uuid },
        });
        const firewall = (name: string, clusterId: string, tag: string) =>
            fake("databaseFirewall:DatabaseFirewall", name, name, { clusterId, rules: [{ type: "tag", value: tag }] });
        const e = computeExposure([
            fake("databaseCluster:DatabaseCluster", "db", "c1", { engine: "mysql" }),
            firewall("db-fw", "c1", "app"),
            replica("guarded", "u-1"),
            firewall("guarded-fw", "u-1", "reporting"),
            replica("open", "u-2"),
        ]);
        assert.deepEqual(
            e.map((x) => `${x.target}←${x.source}`),
            ["db←tag:app", "guarded←tag:reporting", "open←internet"],
        );
    });

    it("shows in the admin column only the stack's admin CIDRs, not other addresses a firewall admits", () => {
        const exposures = computeExposure([
            fake("droplet:Droplet", "web-0", "1", { tags: ["web"] }),
            fake("firewall:Firewall", "f", "f", {
                tags: ["web"],
                inboundRules: [
                    { protocol: "tcp", portRange: "22", sourceAddresses: ["203.0.113.10/32"] },
                    { protocol: "tcp", portRange: "9200", sourceAddresses: ["10.10.0.0/20"] },
                ],
            }),
        ]);
        const table = exposureTable([{ label: "s", exposures, adminCidrs: ["203.0.113.10/32"] }]);
        assert.equal(table.split("\n")[2], "| s | — | web-0: 22 | — |");
    });
});

describe("exposure: every tier's stack", function () {
    this.timeout(60000);

    it("is what docs/guarantees.md's exposure table shows", async () => {
        // One run at a time: the process has one mock engine.
        const exposures: Exposure[][] = [];
        for (const stack of EXPOSURE_STACKS) exposures.push(await exposureOf(stack.config));
        assertGeneratedBlock("exposure", exposureBlock(exposures));
    });

    it("tier 0 (seed task 0: one server, no firewall): the droplet is open on every port to the internet", async () => {
        assert.deepEqual(internetFacing(await exposureOf(exampleConfig(0))), ["webstack-web-0:all"]);
    });

    it('tier 1 (seed task 1: "no firewall"): the web droplets on every port, the load balancer on 80, the database on 25060', async () => {
        assert.deepEqual(internetFacing(await exposureOf(exampleConfig(1))), [
            "webstack-db-cluster:25060",
            "webstack-db-replica-0:25060",
            "webstack-lb-0:80",
            "webstack-web-0:all",
            "webstack-web-1:all",
        ]);
    });

    for (const tier of [2, 3]) {
        const lbs = tier === 2 ? 1 : 2;
        const entries = (prefix: string) =>
            Array.from({ length: lbs }, (_, i) => [`${prefix}-${i}:443`, `${prefix}-${i}:80`]).flat();

        it(`tier ${tier}: exposes exactly the public load balancers' 80 and 443 to the internet`, async () => {
            assert.deepEqual(internetFacing(await exposureOf(exampleConfig(tier))), entries("webstack-lb"));
        });

        it(`tier ${tier} with the haproxy engine: exposes exactly the HAProxy droplets' 80 and 443`, async () => {
            assert.deepEqual(
                internetFacing(await exposureOf({ ...exampleConfig(tier), loadBalancer: { engine: "haproxy" } })),
                entries("webstack-haproxy"),
            );
        });

        for (const engine of ["managed", "haproxy"]) {
            it(`tier ${tier} (${engine}): the log store accepts only the tags of the droplets that ship to it and the VPC's range, where the database sinks connect from`, async () => {
                const exposures = await exposureOf({ ...exampleConfig(tier), loadBalancer: { engine } });
                const sources = exposures
                    .filter((e) => e.kind === "database" && e.target === "webstack-logs-cluster")
                    .map((e) => e.source);
                assert.deepEqual([...new Set(sources)].sort(), [
                    "10.10.0.0/20",
                    "tag:webstack-dev-app",
                    ...(engine === "haproxy" ? ["tag:webstack-dev-lb"] : []),
                    "tag:webstack-dev-monitor",
                    "tag:webstack-dev-web",
                ]);
            });

            it(`tier ${tier} (${engine}): the database${tier === 3 ? ", its replicas and the cache" : " and its replica"} accept only the app tag (and the database the monitor's)`, async () => {
                const exposures = await exposureOf({ ...exampleConfig(tier), loadBalancer: { engine } });
                const data = exposures.filter((e) => e.kind === "database" && e.target !== "webstack-logs-cluster");
                // The monitor scrapes the MySQL cluster's metrics endpoint; the cache trusts the app alone.
                const sourcesOf = (prefix: string) =>
                    [...new Set(data.filter((e) => e.target.startsWith(prefix)).map((e) => e.source))].sort();
                assert.deepEqual(sourcesOf("webstack-db-"), [APP_TAG, "tag:webstack-dev-monitor"]);
                if (tier === 3) assert.deepEqual(sourcesOf("webstack-cache-"), [APP_TAG]);
                const targets = [...new Set(data.map((e) => e.target))].sort();
                assert.deepEqual(
                    targets,
                    [
                        "webstack-db-cluster",
                        ...Array.from({ length: tier - 1 }, (_, i) => `webstack-db-replica-${i}`),
                        ...(tier === 3 ? ["webstack-cache-cluster"] : []),
                    ].sort(),
                );
            });

            it(`tier ${tier} (${engine}): droplets accept their one port from the tier in front of them and SSH from the admin CIDR only`, async () => {
                const exposures = await exposureOf({ ...exampleConfig(tier), loadBalancer: { engine } });
                const hosts = exposures.filter((e) => e.kind === "droplet");
                const summary = (role: string) =>
                    [
                        ...new Set(
                            hosts
                                .filter((e) => e.target.startsWith(`webstack-${role}-`))
                                .map((e: Exposure) => `${e.port}←${e.source}`),
                        ),
                    ].sort();
                assert.deepEqual(
                    summary("web"),
                    [
                        "22←203.0.113.10/32",
                        engine === "managed" ? "80←load balancer webstack-lb-0" : "80←tag:webstack-dev-lb",
                        ...(engine === "managed" && tier === 3 ? ["80←load balancer webstack-lb-1"] : []),
                        "9113←tag:webstack-dev-monitor",
                    ].sort(),
                );
                // The monitor accepts SSH from the admins and nothing else.
                assert.deepEqual(summary("monitor"), ["22←203.0.113.10/32"]);
                assert.deepEqual(summary("app"), ["22←203.0.113.10/32", "8080←load balancer webstack-app-lb-0"]);
                assert.ok(exposures.filter((e) => e.target === "webstack-app-lb-0").every((e) => e.source === "vpc"));
            });
        }
    }

    it("would notice a world-open rule slipped into a tier 2 firewall (the proof is not vacuous)", async () => {
        const run = await runProgram(exampleConfig(2));
        const web = run.resources.find((r) => r.name === "webstack-firewall-web")!;
        const widened = {
            ...web,
            inputs: {
                ...web.inputs,
                inboundRules: [
                    ...(web.inputs.inboundRules as object[]),
                    { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0"] },
                ],
            },
        };
        assert.ok(
            internetFacing(computeExposure(run.resources.map((r) => (r === web ? widened : r)))).includes(
                "webstack-web-0:22",
            ),
        );
    });
});
