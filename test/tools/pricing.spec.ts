import assert from "node:assert/strict";
import { estimateCost, prices, type PricedResource } from "../../components/pricing";
import { PROD, runPlan, startTierPlans, tierArgs } from "./support/planRuns";

const T = (name: string) => `digitalocean:index/${name}`;
let n = 0;
const res = (type: string, inputs: Record<string, unknown>, custom = true): PricedResource => {
    n++;
    return { urn: `urn:pulumi:dev::webstack::${T(type)}::r${n}`, type: T(type), name: `r${n}`, custom, inputs };
};
/** A figure straight from the table, so the expectations below are hand sums of table entries. */
const P = (key: string) => {
    const entry = prices.prices[key];
    assert.ok(entry, `components/prices.json has no "${key}"`);
    return entry.usdMonth;
};

describe("price table (components/prices.json)", () => {
    it("names a known source and an ISO date for every entry", () => {
        for (const [key, entry] of [...Object.entries(prices.prices), ...Object.entries(prices.rules), ...Object.entries(prices.free)]) {
            assert.ok(prices.sources[entry.source], `${key}: unknown source "${entry.source}"`);
            assert.match(entry.date, /^\d{4}-\d{2}-\d{2}$/, key);
        }
        for (const [key, s] of Object.entries(prices.sources)) assert.match(s.date, /^\d{4}-\d{2}-\d{2}$/, key);
    });

    it("prices every droplet and database size the shared reference lists, as the reference does", () => {
        const reference = require("../../../shared/reference/do-prices.json");
        for (const [slug, s] of Object.entries<{ usd_month: number }>(reference.droplets.sizes)) assert.equal(P(`droplet/${slug}`), s.usd_month, slug);
        for (const [slug, usd] of Object.entries<number>(reference.managed_databases.per_node_by_slug)) assert.equal(P(`database-node/${slug}`), usd, slug);
        assert.equal(P("load-balancer/regional-node"), reference.load_balancer.regional_usd_per_node_month);
        assert.equal(P("uptime-check"), reference.uptime_checks.usd_per_check_month);
        assert.equal(P("spaces-subscription"), reference.spaces.base_usd_month);
    });
});

describe("cost model (components/pricing.ts)", () => {
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
            [3 * P("load-balancer/regional-node"), 6 * P("load-balancer/regional-node"), P("load-balancer/regional-node")],
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
        const c = estimateCost([res("databaseCluster:DatabaseCluster", { engine: "valkey", size: "db-s-1vcpu-1gb", nodeCount: 1 })]);
        assert.equal(c.monthlyUsd, P("database-node/db-s-1vcpu-1gb"));
        assert.match(c.items[0].description, /valkey cache/);
    });

    it("charges one Spaces subscription for all buckets and nothing for CDN bandwidth within the allowance", () => {
        const c = estimateCost([res("spacesBucket:SpacesBucket", {}), res("spacesBucket:SpacesBucket", {}), res("cdn:Cdn", {})]);
        assert.deepEqual(
            c.items.map((i) => i.monthlyUsd),
            [P("spaces-subscription"), 0, 0],
        );
    });

    it("charges uptime checks beyond the free one", () => {
        const c = estimateCost([res("uptimeCheck:UptimeCheck", {}), res("uptimeCheck:UptimeCheck", {}), res("uptimeCheck:UptimeCheck", {})]);
        assert.deepEqual(
            c.items.map((i) => i.monthlyUsd),
            [0, P("uptime-check"), P("uptime-check")],
        );
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
        const c = estimateCost(Array.from({ length: 10 }, () => res("droplet:Droplet", { size: "s-1vcpu-1gb", backups: true })));
        assert.equal(c.monthlyUsd, 10 * (P("droplet/s-1vcpu-1gb") * 1.2));
    });
});

describe("cost of each tier's default stack (docs/architecture/stack.yaml), through npm run plan", function () {
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

    it("tier 0: one 2 GB droplet running everything", async () => {
        assert.equal(await total(0), P("droplet/s-1vcpu-2gb"));
    });
    it("tier 1: load balancer, two web droplets, a MySQL primary and one read replica", async () => {
        assert.equal(await total(1), lb() + 2 * web() + db() + db());
    });
    it("tier 2: adds an internal app load balancer, two app droplets and a free uptime check", async () => {
        assert.equal(await total(2), 2 * lb() + 2 * web() + 2 * app() + db() + db() + 0);
    });
    it("tier 3: two load balancers, four web and four app droplets, two replicas, Valkey, Spaces and CDN", async () => {
        assert.equal(await total(3), 3 * lb() + 4 * web() + 4 * app() + 3 * db() + P("database-node/db-s-1vcpu-1gb") + P("spaces-subscription") + 0 + 0);
    });
    it("production (tier 3 with a standby): one more database node", async () => {
        const prod = await total(3, ...PROD);
        assert.equal(prod, (await total(3)) + db());
    });
});
