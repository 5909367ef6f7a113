import assert from "node:assert/strict";
import * as digitalocean from "@pulumi/digitalocean";
import { estimateAvailability, parallel, percent } from "../../policies/lib/availability";
import { stackAvailabilityTarget, stackMonthlyBudget } from "../../policies/targets";
import { UNKNOWN, materialize, ref, runStack, spec, type Spec } from "../support/policyHarness";
import { plainDatabase, plainDroplet, plainDroplets, plainLoadBalanced, plainSingleDroplet } from "./plainStacks";
import { bastionAndRunners } from "./realWorldStacks";
import { mutate } from "./stacks";

describe("availability model (policies/lib/availability.ts)", () => {
    it("composes n instances in parallel as 1 - (1 - a)^n", () => {
        assert.equal(parallel(0.999, 2), 0.999999);
    });

    it("prints availability as a percentage truncated to four decimals", () => {
        assert.equal(percent(0.99899999), "99.8999 %");
    });

    it("puts a regional load balancer (99.9 %) in series with the two droplets behind it", () => {
        const estimate = estimateAvailability(materialize(plainLoadBalanced()));
        assert.deepEqual(
            estimate.stages.map((s) => [s.kind, s.label, s.instances, s.availability]),
            [
                ["edge", 'load balancer "edge" (regional)', 1, 0.999],
                ["web", 'web servers behind "edge"', 2, 0.99999999],
            ],
        );
        assert.equal(estimate.availability, 0.99899999);
        assert.equal(estimate.downtimeMinutesPerMonth, 43.2);
        assert.deepEqual(estimate.singlePoints, ["edge"]);
    });

    it("leaves a bastion and CI runners off the request path: no web or database server, firewalls admitting SSH only", () => {
        const stages = (specs: Spec[]) => estimateAvailability(materialize(specs)).stages.map((s) => s.resources);
        assert.deepEqual(stages(bastionAndRunners().specs), [["zone", "bastion-dns"]]);
        // The same droplets with a port besides SSH open to other droplets may be an app tier: they count.
        const serving = mutate(bastionAndRunners().specs, "ci-ssh", (fw) =>
            (fw.inboundRules as unknown[]).push({ protocol: "tcp", portRange: "8080", sourceTags: ["web"] }),
        );
        assert.deepEqual(stages(serving), [["zone", "bastion-dns"], ["bastion"], ["runner-1"], ["runner-2"]]);
    });

    it("counts each droplet without a load balancer in front as a stage of its own, and a two-node cluster in parallel", () => {
        // The backend serves on a port of its own (from the office here), so requests reach it: it is on the path.
        const specs = mutate(plainDatabase(), "backend-fw", (fw) =>
            (fw.inboundRules as unknown[]).push({
                protocol: "tcp",
                portRange: "8000",
                sourceAddresses: ["198.18.0.0/24"],
            }),
        );
        const estimate = estimateAvailability(materialize(specs));
        assert.deepEqual(
            estimate.stages.map((s) => [s.kind, s.resources, s.availability]),
            [
                ["server", ["app"], 0.9999],
                ["server", ["worker"], 0.9999],
                ["database", ["orders"], 0.99999999],
            ],
        );
        assert.equal(estimate.availability, 0.9998);
        assert.deepEqual(estimate.singlePoints, ["app", "worker"]);
    });

    describe("a metrics host with a web server in front of its metrics server(nginx taking pushed samples)", () => {
        const METRICS = "#cloud-config\npackages:\n  - prometheus\n  - nginx\n";
        const stack = (inbound: Record<string, unknown>[] | undefined) => [
            ...plainDroplets().filter((s) => s.name !== "app" && s.name !== "worker"),
            plainDroplet("metrics", "backend", 31, METRICS),
            ...(inbound
                ? [
                      spec(digitalocean.Firewall, "metrics-fw", {
                          id: "fw-metrics",
                          name: "metrics-fw",
                          tags: [ref("backend")],
                          inboundRules: inbound,
                      }),
                  ]
                : []),
        ];
        const servers = (specs: ReturnType<typeof stack>) =>
            estimateAvailability(materialize(specs))
                .stages.filter((s) => s.kind === "server")
                .map((s) => s.resources[0]);
        const push = { protocol: "tcp", portRange: "9091", sourceTags: [ref("backend")] };

        it("leaves it off the request path when its firewalls admit nothing from the internet but SSH", () => {
            assert.deepEqual(
                servers(stack([push, { protocol: "tcp", portRange: "22", sourceAddresses: ["0.0.0.0/0", "::/0"] }])),
                [],
            );
        });

        it("counts it once a firewall admits the internet on a web port", () => {
            assert.deepEqual(
                servers(stack([push, { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0"] }])),
                ["metrics"],
            );
        });

        it("counts it while a rule's sources are not known yet (a preview): they may be the world", () => {
            assert.deepEqual(servers(stack([push, { protocol: "tcp", portRange: "443", sourceAddresses: UNKNOWN }])), [
                "metrics",
            ]);
        });

        it("counts it when no firewall covers it (DigitalOcean then admits everything)", () => {
            assert.deepEqual(servers(stack(undefined).filter((s) => s.name !== "backend-fw")), ["metrics"]);
        });
    });

    it("treats two load balancers in front of the same droplets as alternatives", () => {
        const specs = plainLoadBalanced();
        const edge = specs.find((s) => s.name === "edge")!;
        specs.push(
            spec(digitalocean.LoadBalancer, "edge-2", {
                ...edge.props,
                id: "0c7e5a91-3333-4000-8000-00000000cc02",
                name: "edge-2",
            }),
        );
        const estimate = estimateAvailability(materialize(specs));
        assert.deepEqual(
            estimate.stages.map((s) => [s.label, s.availability]),
            [
                ['load balancers "edge", "edge-2" (regional)', 0.999999],
                ['web servers behind "edge", "edge-2"', 0.99999999],
            ],
        );
        assert.equal(estimate.availability, 0.99999899);
    });
});

/** A DOKS cluster of three s-4vcpu-8gb nodes with the given `ha`. */
const dokCluster = (ha: unknown) =>
    spec(digitalocean.KubernetesCluster, "platform", {
        id: "c0ffee00-0000-4000-8000-000000000001",
        name: "platform",
        region: "fra1",
        version: "1.33.1-do.0",
        ha,
        nodePool: { name: "default", size: "s-4vcpu-8gb", nodeCount: 3 },
    });

describe("stack-monthly-budget", () => {
    it("is not applicable while maxMonthlyUsd is 0 (the default)", async () => {
        const outcome = await runStack(stackMonthlyBudget, materialize(plainDatabase()));
        assert.equal(outcome.notApplicable, true);
    });

    it("passes a stack within its budget", async () => {
        const outcome = await runStack(stackMonthlyBudget, materialize(plainDatabase()), { maxMonthlyUsd: 168 });
        assert.deepEqual(outcome.violations, []);
    });

    it("names the total, the budget, the excess and the three largest items of a stack over budget", async () => {
        const outcome = await runStack(stackMonthlyBudget, materialize(plainDatabase()), { maxMonthlyUsd: 150 });
        assert.deepEqual(outcome.violations, [
            'The stack is estimated at $168.00 a month, over its budget of $150.00 (maxMonthlyUsd) by $18.00; the largest items are "orders" $120.00 (Managed pg cluster db-s-2vcpu-4gb × 2 nodes (primary + 1 standby)), "app" $24.00 (Droplet s-2vcpu-4gb), "worker" $24.00 (Droplet s-2vcpu-4gb). Remove or resize them, or raise maxMonthlyUsd.',
        ]);
    });

    it("says the estimate is a lower bound when a resource cannot be priced", async () => {
        const specs = plainSingleDroplet();
        specs.push(
            spec(digitalocean.Droplet, "gpu", {
                id: "510000099",
                name: "gpu",
                region: "fra1",
                size: "gpu-h100x1-80gb",
                image: "debian-12-x64",
            }),
        );
        const outcome = await runStack(stackMonthlyBudget, materialize(specs), { maxMonthlyUsd: 10 });
        assert.deepEqual(outcome.violations, [
            'The stack is estimated at $24.00 a month (a lower bound: 1 resources are not priced), over its budget of $10.00 (maxMonthlyUsd) by $14.00; the largest items are "blog" $24.00 (Droplet s-2vcpu-4gb). Remove or resize them, or raise maxMonthlyUsd.',
        ]);
    });

    it("prices a DOKS cluster's worker nodes and HA control plane, which before counted nothing and passed", async () => {
        const outcome = await runStack(
            stackMonthlyBudget,
            materialize([
                dokCluster(true),
                spec(digitalocean.KubernetesNodePool, "jobs", {
                    id: "c0ffee00-0000-4000-8000-000000000002",
                    clusterId: ref("platform", "id"),
                    name: "jobs",
                    size: "s-2vcpu-4gb",
                    autoScale: true,
                    minNodes: 1,
                    maxNodes: 5,
                }),
            ]),
            { maxMonthlyUsd: 150 },
        );
        assert.deepEqual(outcome.violations, [
            'The stack is estimated at $208.00 a month, over its budget of $150.00 (maxMonthlyUsd) by $58.00; the largest items are "platform" $144.00 (Kubernetes default node pool: 3 × Droplet s-4vcpu-8gb), "platform" $40.00 (Kubernetes high-availability control plane), "jobs" $24.00 (Kubernetes node pool: 1–5 × Droplet s-2vcpu-4gb, $24.00 at min to $120.00 at max (total counts min)). Remove or resize them, or raise maxMonthlyUsd.',
        ]);
    });

    it("prices what is known of a DOKS cluster during preview and calls the total a lower bound for the rest", async () => {
        const outcome = await runStack(stackMonthlyBudget, materialize([dokCluster(UNKNOWN)]), { maxMonthlyUsd: 100 });
        assert.deepEqual(outcome.violations, [
            'The stack is estimated at $144.00 a month (a lower bound: 1 resources are not priced), over its budget of $100.00 (maxMonthlyUsd) by $44.00; the largest items are "platform" $144.00 (Kubernetes default node pool: 3 × Droplet s-4vcpu-8gb). Remove or resize them, or raise maxMonthlyUsd.',
        ]);
        assert.deepEqual(outcome.undecided, []);
    });
});

describe("stack-availability-target", () => {
    it("is not applicable while minAvailability is 0 (the default)", async () => {
        const outcome = await runStack(stackAvailabilityTarget, materialize(plainLoadBalanced()));
        assert.equal(outcome.notApplicable, true);
    });

    it("passes a stack whose estimate meets the target", async () => {
        const outcome = await runStack(stackAvailabilityTarget, materialize(plainLoadBalanced()), {
            minAvailability: 0.998,
        });
        assert.deepEqual(outcome.violations, []);
    });

    it("names the estimate, the target and the weakest stages of a stack below target", async () => {
        const outcome = await runStack(stackAvailabilityTarget, materialize(plainLoadBalanced()), {
            minAvailability: 0.9995,
        });
        assert.deepEqual(outcome.violations, [
            `The stack's expected monthly availability is 99.8999 % (about 43.2 minutes down in a 30-day month), below its target of 99.9500 % (minAvailability 0.9995); the weakest stages are load balancer "edge" (regional) 99.9000 %, web servers behind "edge" 99.9999 %. Add instances to them, or lower minAvailability.`,
        ]);
    });
});
