import assert from "node:assert/strict";
import { costRange, estimateCost, prices, type PricedResource } from "../../policies/lib/pricing";
import { PROD, runPlan, startTierPlans, tierArgs } from "../support/planRuns";
import { readSharedReference } from "../support/sharedReference";
import { HAPROXY_ARGS, HAPROXY_PROD_ARGS, autoscaleArgs } from "../../examples/variants";

const T = (name: string) => `digitalocean:index/${name}`;
let n = 0;
const res = (type: string, inputs: Record<string, unknown>, custom = true): PricedResource => {
    n++;
    return { urn: `urn:pulumi:dev::webstack::${T(type)}::r${n}`, type: T(type), name: `r${n}`, custom, inputs };
};
/** A figure straight from the table, so the expectations below are hand sums of table entries. */
const P = (key: string) => {
    const entry = prices.prices[key];
    assert.ok(entry, `policies/lib/prices.json has no "${key}"`);
    return entry.usdMonth;
};

describe("price table (policies/lib/prices.json)", () => {
    it("names a known source and an ISO date for every entry", () => {
        for (const [key, entry] of [
            ...Object.entries(prices.prices),
            ...Object.entries(prices.rules),
            ...Object.entries(prices.free),
        ]) {
            assert.ok(prices.sources[entry.source], `${key}: unknown source "${entry.source}"`);
            assert.match(entry.date, /^\d{4}-\d{2}-\d{2}$/, key);
        }
        for (const [key, s] of Object.entries(prices.sources)) assert.match(s.date, /^\d{4}-\d{2}-\d{2}$/, key);
    });

    it("prices every droplet and database size the shared reference lists, as the reference does", function () {
        const reference = readSharedReference<any>(this, "do-prices.json");
        for (const [slug, s] of Object.entries<{ usd_month: number }>(reference.droplets.sizes))
            assert.equal(P(`droplet/${slug}`), s.usd_month, slug);
        for (const [slug, usd] of Object.entries<number>(reference.managed_databases.per_node_by_slug))
            assert.equal(P(`database-node/${slug}`), usd, slug);
        assert.equal(P("load-balancer/regional-node"), reference.load_balancer.regional_usd_per_node_month);
        assert.equal(P("uptime-check"), reference.uptime_checks.usd_per_check_month);
        assert.equal(P("spaces-subscription"), reference.spaces.base_usd_month);
    });
});

describe("cost model (policies/lib/pricing.ts)", () => {
    it("prices a droplet by its size and its weekly backups at a fifth of that", () => {
        const c = estimateCost([res("droplet:Droplet", { size: "s-2vcpu-4gb", backups: true })]);
        assert.deepEqual(
            c.items.map((i) => i.monthlyUsd),
            [P("droplet/s-2vcpu-4gb"), Math.round(P("droplet/s-2vcpu-4gb") * 20) / 100],
        );
    });

    it("prices a regional load balancer per node, from sizeUnit or the legacy size", () => {
        const c = estimateCost([
            res("loadBalancer:LoadBalancer", { sizeUnit: 3 }),
            res("loadBalancer:LoadBalancer", { size: "lb-large" }),
            res("loadBalancer:LoadBalancer", {}),
        ]);
        assert.deepEqual(
            c.items.map((i) => i.monthlyUsd),
            [
                3 * P("load-balancer/regional-node"),
                6 * P("load-balancer/regional-node"),
                P("load-balancer/regional-node"),
            ],
        );
    });

    it("prices network and global load balancers at their own rates", () => {
        const c = estimateCost([
            res("loadBalancer:LoadBalancer", { type: "REGIONAL_NETWORK", sizeUnit: 2 }),
            res("loadBalancer:LoadBalancer", { type: "GLOBAL" }),
        ]);
        assert.deepEqual(
            c.items.map((i) => i.monthlyUsd),
            [2 * P("load-balancer/regional-network-node"), P("load-balancer/global")],
        );
    });

    it("prices a database cluster per node (primary plus standby) and a replica by its size", () => {
        const c = estimateCost([
            res("databaseCluster:DatabaseCluster", { engine: "mysql", size: "db-s-2vcpu-4gb", nodeCount: 2 }),
            res("databaseReplica:DatabaseReplica", { size: "db-s-1vcpu-2gb" }),
        ]);
        assert.deepEqual(
            c.items.map((i) => i.monthlyUsd),
            [2 * P("database-node/db-s-2vcpu-4gb"), P("database-node/db-s-1vcpu-2gb")],
        );
        assert.match(c.items[0].description, /primary \+ 1 standby/);
    });

    it("prices a Valkey cache like a database node and calls it a cache", () => {
        const c = estimateCost([
            res("databaseCluster:DatabaseCluster", { engine: "valkey", size: "db-s-1vcpu-1gb", nodeCount: 1 }),
        ]);
        assert.equal(c.monthlyUsd, P("database-node/db-s-1vcpu-1gb"));
        assert.match(c.items[0].description, /valkey cache/);
    });

    it("charges one Spaces subscription for all buckets and nothing for CDN bandwidth within the allowance", () => {
        const c = estimateCost([
            res("spacesBucket:SpacesBucket", {}),
            res("spacesBucket:SpacesBucket", {}),
            res("cdn:Cdn", {}),
        ]);
        assert.deepEqual(
            c.items.map((i) => i.monthlyUsd),
            [P("spaces-subscription"), 0, 0],
        );
    });

    it("charges uptime checks beyond the free one", () => {
        const c = estimateCost([
            res("uptimeCheck:UptimeCheck", {}),
            res("uptimeCheck:UptimeCheck", {}),
            res("uptimeCheck:UptimeCheck", {}),
        ]);
        assert.deepEqual(
            c.items.map((i) => i.monthlyUsd),
            [0, P("uptime-check"), P("uptime-check")],
        );
    });

    it("prices an autoscale pool at minInstances and shows the range up to maxInstances", () => {
        const pool = res("dropletAutoscale:DropletAutoscale", {
            config: { minInstances: 2, maxInstances: 5 },
            dropletTemplate: { size: "s-1vcpu-2gb" },
        });
        const c = estimateCost([pool]);
        assert.equal(c.monthlyUsd, 2 * P("droplet/s-1vcpu-2gb"));
        assert.equal(
            c.items[0].description,
            "Autoscale pool: 2–5 × Droplet s-1vcpu-2gb, $24.00 at min to $60.00 at max (total counts min)",
        );
        assert.deepEqual(costRange([pool, res("droplet:Droplet", { size: "s-1vcpu-1gb" })]), {
            min: 2 * P("droplet/s-1vcpu-2gb") + P("droplet/s-1vcpu-1gb"),
            max: 5 * P("droplet/s-1vcpu-2gb") + P("droplet/s-1vcpu-1gb"),
        });
    });

    it("prices a pool with a fixed targetNumberInstances as that many droplets", () => {
        const c = estimateCost([
            res("dropletAutoscale:DropletAutoscale", {
                config: { targetNumberInstances: 3 },
                dropletTemplate: { size: "s-1vcpu-1gb" },
            }),
        ]);
        assert.equal(c.monthlyUsd, 3 * P("droplet/s-1vcpu-1gb"));
        assert.equal(c.items[0].description, "Autoscale pool: 3 × Droplet s-1vcpu-1gb (fixed size)");
    });

    it("prices DOKS worker nodes as droplets of their size (autoscaled pools at minNodes) and an HA control plane", () => {
        assert.equal(P("kubernetes/ha-control-plane"), 40);
        const resources = [
            res("kubernetesCluster:KubernetesCluster", { ha: true, nodePool: { size: "s-2vcpu-4gb", nodeCount: 3 } }),
            res("kubernetesCluster:KubernetesCluster", { nodePool: { size: "s-1vcpu-2gb", nodeCount: 1 } }),
            res("kubernetesNodePool:KubernetesNodePool", {
                size: "s-4vcpu-8gb",
                autoScale: true,
                minNodes: 1,
                maxNodes: 4,
            }),
            res("kubernetesNodePool:KubernetesNodePool", { size: "s-4vcpu-8gb", autoScale: true, nodeCount: 2 }),
            // A null count (a converted program's) is no count.
            res("kubernetesNodePool:KubernetesNodePool", { size: "s-4vcpu-8gb", nodeCount: null }),
        ];
        const c = estimateCost(resources);
        const [two, eight] = [P("droplet/s-2vcpu-4gb"), P("droplet/s-4vcpu-8gb")];
        assert.deepEqual(
            c.items.map((i) => [i.description, i.monthlyUsd, i.priceKeys]),
            [
                ["Kubernetes high-availability control plane", 40, ["kubernetes/ha-control-plane"]],
                ["Kubernetes default node pool: 3 × Droplet s-2vcpu-4gb", 3 * two, ["droplet/s-2vcpu-4gb"]],
                [
                    "Kubernetes default node pool: 1 × Droplet s-1vcpu-2gb",
                    P("droplet/s-1vcpu-2gb"),
                    ["droplet/s-1vcpu-2gb"],
                ],
                [
                    `Kubernetes node pool: 1–4 × Droplet s-4vcpu-8gb, $${eight.toFixed(2)} at min to $${(4 * eight).toFixed(2)} at max (total counts min)`,
                    eight,
                    ["droplet/s-4vcpu-8gb"],
                ],
                ["Kubernetes node pool: 2 × Droplet s-4vcpu-8gb", 2 * eight, ["droplet/s-4vcpu-8gb"]],
            ],
        );
        assert.deepEqual(
            c.unpriced.map((u) => [u.name, u.reason]),
            [
                [
                    resources[1].name,
                    "whether its control plane is highly available (ha) is not set or not known yet, so DigitalOcean decides by Kubernetes version",
                ],
                [resources[4].name, "the node pool's nodeCount (or minNodes) is not set or not known yet"],
            ],
        );
        const fixed = 40 + 3 * two + P("droplet/s-1vcpu-2gb") + 2 * eight;
        assert.deepEqual(costRange(resources), { min: fixed + eight, max: fixed + 4 * eight });
    });

    it("prices reserved IPs free while assigned (by dropletId or a ReservedIpAssignment) and $5 unassigned", () => {
        assert.equal(P("reserved-ip/assigned"), 0);
        assert.equal(P("reserved-ip/ipv4-unassigned"), 5);
        const c = estimateCost([
            res("reservedIp:ReservedIp", { region: "nyc3" }),
            res("reservedIpAssignment:ReservedIpAssignment", { ipAddress: "192.0.2.1", dropletId: 1 }),
            res("reservedIp:ReservedIp", { region: "nyc3", dropletId: 2 }),
            res("reservedIp:ReservedIp", { region: "nyc3" }),
        ]);
        assert.deepEqual(
            c.items.map((i) => [i.description, i.monthlyUsd]),
            [
                ["Reserved IP assigned to a droplet (free while assigned)", 0],
                ["Reserved IP assigned to a droplet (free while assigned)", 0],
                ["Reserved IPv4 not assigned to a droplet", P("reserved-ip/ipv4-unassigned")],
            ],
        );
        assert.deepEqual(c.unpriced, []);
    });

    it("lists free resources under no item and unknown billable ones as unpriced", () => {
        const c = estimateCost([
            res("firewall:Firewall", {}),
            res("vpc:Vpc", {}),
            res("volume:Volume", { size: 100 }),
            res("droplet:Droplet", { size: "x-unknown" }),
            res("droplet:Droplet", {}, false),
        ]);
        assert.deepEqual(c.items, []);
        assert.deepEqual(
            c.unpriced.map((u) => u.type),
            [T("volume:Volume"), T("droplet:Droplet")],
        );
    });

    it("adds totals in cents, so they are exact", () => {
        const c = estimateCost(
            Array.from({ length: 10 }, () => res("droplet:Droplet", { size: "s-1vcpu-1gb", backups: true })),
        );
        assert.equal(c.monthlyUsd, 10 * (P("droplet/s-1vcpu-1gb") * 1.2));
    });
});

describe("cost of each tier's default stack (examples/stack.yaml), through npm run plan", function () {
    this.timeout(90000);
    before(() => startTierPlans());
    const total = async (tier: number, ...extra: string[]) => {
        const run = await runPlan(tierArgs(tier, ...extra));
        assert.ok(run.code === 0 || run.code === 1, run.stderr);
        return JSON.parse(run.stdout).cost.monthlyUsd as number;
    };
    const lb = () => P("load-balancer/regional-node");
    const web = () => P("droplet/s-1vcpu-1gb");
    const app = () => P("droplet/s-1vcpu-2gb");
    const db = () => P("database-node/db-s-1vcpu-2gb");
    // The one-node OpenSearch log store from tier 2.
    const logs = () => P("opensearch-node/db-s-1vcpu-2gb");
    // The Prometheus monitor droplet from tier 2.
    const monitor = () => P("droplet/s-1vcpu-2gb");

    it("tier 0: one 2 GB droplet running everything, with its weekly backups (20 % of the droplet)", async () => {
        assert.equal(await total(0), P("droplet/s-1vcpu-2gb") + P("droplet/s-1vcpu-2gb") * 0.2);
    });
    it("tier 1: load balancer, two web droplets, a MySQL primary and one read replica", async () => {
        assert.equal(await total(1), lb() + 2 * web() + db() + db());
    });
    it("tier 2: adds an internal app load balancer, two app droplets, the OpenSearch log store, the monitor droplet and a free uptime check", async () => {
        assert.equal(await total(2), 2 * lb() + 2 * web() + 2 * app() + db() + db() + logs() + monitor() + 0);
    });
    it("tier 3: two load balancers, four web and four app droplets, two replicas, Valkey, the log store, the monitor, Spaces and CDN", async () => {
        assert.equal(
            await total(3),
            3 * lb() +
                4 * web() +
                4 * app() +
                3 * db() +
                P("database-node/db-s-1vcpu-1gb") +
                logs() +
                monitor() +
                P("spaces-subscription") +
                0 +
                0,
        );
    });
    it("production (tier 3 with a standby): one more database node", async () => {
        const prod = await total(3, ...PROD);
        assert.equal(prod, (await total(3)) + db());
    });
});

describe("cost per tier per load-balancer engine and with autoscaling, through npm run plan", function () {
    this.timeout(180000);
    // The same plans as the acceptance table (test/plan/acceptance.spec.ts): runPlan memoizes by arguments.
    const HAPROXY = HAPROXY_ARGS;
    const AUTOSCALE: Record<number, string[]> = { 1: autoscaleArgs(1), 2: autoscaleArgs(2), 3: autoscaleArgs(3) };
    const HAPROXY_PROD = HAPROXY_PROD_ARGS;
    before(() => {
        for (const tier of [1, 2, 3]) {
            void runPlan(tierArgs(tier, ...HAPROXY));
            void runPlan(tierArgs(tier, ...AUTOSCALE[tier]));
        }
        void runPlan(tierArgs(3, ...HAPROXY_PROD));
    });
    const plan = async (tier: number, extra: string[]) => {
        const run = await runPlan(tierArgs(tier, ...extra));
        assert.ok(run.code === 0 || run.code === 1, run.stderr);
        return JSON.parse(run.stdout) as {
            cost: { monthlyUsd: number; unpriced: unknown[]; items: { type: string; description: string }[] };
            resources: PricedResource[];
        };
    };
    // Hand sums from the table: web s-1vcpu-1gb $6, app s-1vcpu-2gb $12, HAProxy s-1vcpu-1gb $6 (loadBalancer.size
    // default), load balancer node $12, MySQL db-s-1vcpu-2gb $30 per node, Valkey db-s-1vcpu-1gb $15, Spaces $5,
    // reserved IPs $0 while assigned, one uptime check free, the OpenSearch log store $19 and the s-1vcpu-2gb monitor
    // droplet $12 from tier 2.
    const expected = {
        haproxy: {
            1: 6 + 2 * 6 + 30 + 30 + 0,
            2: 6 + 12 + 2 * 6 + 2 * 12 + 30 + 30 + 19 + 12 + 0,
            3: 2 * 6 + 12 + 4 * 6 + 4 * 12 + 3 * 30 + 15 + 19 + 12 + 5 + 0,
        },
        autoscaleMin: {
            1: 12 + 2 * 6 + 30 + 30,
            2: 2 * 12 + 2 * 6 + 2 * 12 + 30 + 30 + 19 + 12,
            3: 3 * 12 + 2 * 6 + 2 * 12 + 3 * 30 + 15 + 19 + 12 + 5,
        },
        autoscaleMax: {
            1: 12 + 5 * 6 + 30 + 30,
            2: 2 * 12 + 5 * 6 + 4 * 12 + 30 + 30 + 19 + 12,
            3: 3 * 12 + 8 * 6 + 8 * 12 + 3 * 30 + 15 + 19 + 12 + 5,
        },
    } as const;

    for (const tier of [1, 2, 3] as const) {
        it(`haproxy, tier ${tier}: HAProxy droplets priced as droplets, reserved IPs free while assigned: $${expected.haproxy[tier]}`, async () => {
            const doc = await plan(tier, HAPROXY);
            assert.equal(doc.cost.monthlyUsd, expected.haproxy[tier]);
            assert.deepEqual(doc.cost.unpriced, []);
            assert.ok(
                doc.cost.items.some(
                    (i) =>
                        i.type === "digitalocean:index/reservedIp:ReservedIp" &&
                        /free while assigned/.test(i.description),
                ),
            );
        });

        it(`autoscaling, tier ${tier}: the total counts minInstances ($${expected.autoscaleMin[tier]}), the range reaches $${expected.autoscaleMax[tier]}`, async () => {
            const doc = await plan(tier, AUTOSCALE[tier]);
            assert.equal(doc.cost.monthlyUsd, expected.autoscaleMin[tier]);
            assert.deepEqual(costRange(doc.resources), {
                min: expected.autoscaleMin[tier],
                max: expected.autoscaleMax[tier],
            });
            assert.ok(doc.cost.items.some((i) => / at min to .* at max \(total counts min\)$/.test(i.description)));
        });
    }

    it("haproxy, production (standby, two HAProxy droplets, app pool 2–8): the tier-3 total plus a standby node, with 2 app droplets at min", async () => {
        const doc = await plan(3, HAPROXY_PROD);
        assert.equal(doc.cost.monthlyUsd, expected.haproxy[3] + 30 - 4 * 12 + 2 * 12);
    });
});
