// The project's cost model: turns resources (type + plain inputs) into one monthly line item per billable
// resource, priced from `policies/lib/prices.json` (every figure there names its source and date). Pure: no
// Pulumi runtime, no I/O, so the offline plan, the README and tests all share one answer.
import { loadBalancerType } from "./loadBalancer";
import defaultPrices from "./prices.json";

export interface PriceEntry {
    readonly usdMonth: number;
    readonly source: string;
    readonly date: string;
}

export interface PriceRule<T> {
    readonly value: T;
    readonly source: string;
    readonly date: string;
}

export interface PriceTable {
    readonly currency: string;
    readonly collected: string;
    readonly sources: Readonly<
        Record<
            string,
            { readonly what: string; readonly date: string; readonly confidence: string; readonly url?: string }
        >
    >;
    readonly prices: Readonly<Record<string, PriceEntry>>;
    readonly rules: {
        readonly uptimeFreeChecks: PriceRule<number>;
        readonly spacesIncludedOutboundGib: PriceRule<number>;
        readonly loadBalancerDefaultSizeUnit: PriceRule<number>;
        readonly loadBalancerLegacySizeNodes: PriceRule<Readonly<Record<string, number>>>;
        readonly dropletBackupWeeklyFraction: PriceRule<number>;
    };
    /** Resource types DigitalOcean does not bill (firewalls, DNS, VPCs, alerts, …). */
    readonly free: Readonly<Record<string, { readonly source: string; readonly date: string }>>;
}

export const prices: PriceTable = defaultPrices as PriceTable;

/** What the cost model needs to know about a resource: inputs with secrets already unwrapped. */
export interface PricedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    /** False for component resources, which cost nothing themselves. @default true */
    readonly custom?: boolean;
    readonly inputs: Readonly<Record<string, unknown>>;
}

export interface CostItem {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly description: string;
    readonly monthlyUsd: number;
    /** Keys of `prices` the figure came from (traceable to a source and date). */
    readonly priceKeys: readonly string[];
}

export interface UnpricedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly reason: string;
}

export interface CostEstimate {
    readonly currency: string;
    /** The date the price table was collected. */
    readonly pricesCollected: string;
    readonly monthlyUsd: number;
    readonly items: readonly CostItem[];
    /** Billable-looking resources the table cannot price: the estimate is a lower bound while this is non-empty. */
    readonly unpriced: readonly UnpricedResource[];
}

const T = (name: string) => `digitalocean:index/${name}`;

/** Rounds to cents; sums are done in cents so totals are exact. */
const cents = (usd: number) => Math.round(usd * 100);

/** Which end of its range each pool is priced at: autoscale pools and autoscaled DOKS node pools. */
export type PoolEnd = "min" | "max";

/** An autoscale pool's bounds: minInstances and maxInstances (a fixed targetNumberInstances is both). */
function poolSize(inputs: Readonly<Record<string, unknown>>): { min: number; max: number } {
    const config = (inputs.config ?? {}) as Record<string, unknown>;
    const min = Number(config.minInstances ?? config.targetNumberInstances ?? 0);
    return { min, max: Math.max(min, Number(config.maxInstances ?? config.targetNumberInstances ?? min)) };
}

/**
 * A DOKS node pool's bounds (a KubernetesNodePool's inputs, or a KubernetesCluster's `nodePool`): `nodeCount`, or
 * minNodes and maxNodes when `autoScale` is on; undefined when the inputs give no count.
 */
function nodePoolSize(pool: Readonly<Record<string, unknown>>): { min: number; max: number } | undefined {
    const count = (key: string): number | undefined => {
        const value = pool[key];
        return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
    };
    const autoScale = pool.autoScale === true;
    const min = autoScale ? (count("minNodes") ?? count("nodeCount")) : count("nodeCount");
    if (min === undefined) return undefined;
    return { min, max: autoScale ? Math.max(min, count("maxNodes") ?? min) : min };
}

/**
 * The line of `min` to `max` droplets of one size at `usd` each, priced at `end`: with a range, the description shows
 * both ends and says which one the total counts.
 */
function fleet(
    label: string,
    size: string,
    usd: number,
    { min, max }: { min: number; max: number },
    end: PoolEnd,
    fixed = "",
): { description: string; monthlyUsd: number } {
    const count = end === "max" ? max : min;
    if (min === max) return { description: `${label}: ${min} × Droplet ${size}${fixed}`, monthlyUsd: count * usd };
    const at = (n: number) => `$${(cents(n * usd) / 100).toFixed(2)}`;
    return {
        description: `${label}: ${min}–${max} × Droplet ${size}, ${at(min)} at min to ${at(max)} at max (total counts ${end})`,
        monthlyUsd: count * usd,
    };
}

/**
 * The stack's monthly cost range: `min` is `estimateCost(...).monthlyUsd` (every pool at its minimum), `max` the same
 * with every pool at its maximum.
 */
export function costRange(
    resources: readonly PricedResource[],
    table: PriceTable = prices,
): { min: number; max: number } {
    return {
        min: estimateCost(resources, table).monthlyUsd,
        max: estimateCost(resources, table, "max").monthlyUsd,
    };
}

/**
 * Estimates the monthly list price of a stack: one item per billable resource, in the order given; each pool at
 * `end` of its range (the minimum unless told otherwise: the floor a pool never goes below).
 */
export function estimateCost(
    resources: readonly PricedResource[],
    table: PriceTable = prices,
    end: PoolEnd = "min",
): CostEstimate {
    const items: CostItem[] = [];
    const unpriced: UnpricedResource[] = [];
    let spacesSubscribed = false;
    let uptimeChecks = 0;
    let unclaimedAssignments = resources.filter(
        (r) =>
            r.custom !== false &&
            (r.type === T("reservedIpAssignment:ReservedIpAssignment") ||
                r.type === T("floatingIpAssignment:FloatingIpAssignment")),
    ).length;

    for (const r of resources) {
        if (r.custom === false || !r.type.startsWith("digitalocean:")) continue;
        const inputs = r.inputs;
        const item = (description: string, monthlyUsd: number, priceKeys: string[]) =>
            items.push({
                urn: r.urn,
                type: r.type,
                name: r.name,
                description,
                monthlyUsd: cents(monthlyUsd) / 100,
                priceKeys,
            });
        const price = (key: string): number | undefined => table.prices[key]?.usdMonth;
        const missing = (reason: string) => unpriced.push({ urn: r.urn, type: r.type, name: r.name, reason });

        switch (r.type) {
            case T("droplet:Droplet"): {
                const key = `droplet/${String(inputs.size)}`;
                const usd = price(key);
                if (usd === undefined) {
                    missing(`no price for droplet size "${String(inputs.size)}"`);
                    break;
                }
                item(`Droplet ${String(inputs.size)}`, usd, [key]);
                if (inputs.backups === true) {
                    const fraction = table.rules.dropletBackupWeeklyFraction.value;
                    item(
                        `Weekly backups of ${String(inputs.size)} (${fraction * 100} % of the droplet price)`,
                        usd * fraction,
                        [key],
                    );
                }
                break;
            }
            case T("dropletAutoscale:DropletAutoscale"): {
                const template = (inputs.dropletTemplate ?? {}) as Record<string, unknown>;
                const key = `droplet/${String(template.size)}`;
                const usd = price(key);
                if (usd === undefined) {
                    missing(`no price for droplet size "${String(template.size)}"`);
                    break;
                }
                const line = fleet(
                    "Autoscale pool",
                    String(template.size),
                    usd,
                    poolSize(inputs),
                    end,
                    " (fixed size)",
                );
                item(line.description, line.monthlyUsd, [key]);
                break;
            }
            // DOKS: the control plane is free, a high-availability one costs a monthly fee, and worker nodes "are
            // charged at the same rate as Droplets" of their size (docs.digitalocean.com/products/kubernetes/details/
            // pricing/, source do-docs-kubernetes in prices.json). A cluster's `nodePool` is its default pool.
            case T("kubernetesCluster:KubernetesCluster"):
            case T("kubernetesNodePool:KubernetesNodePool"): {
                const cluster = r.type === T("kubernetesCluster:KubernetesCluster");
                const pool = (cluster ? (inputs.nodePool ?? {}) : inputs) as Record<string, unknown>;
                // Left out, `ha` is the API's choice by Kubernetes version, and the state holds the answer after the
                // create (terraform-provider-digitalocean@401992a1 kubernetes/resource_kubernetes_cluster.go:86-93).
                const ha = cluster ? inputs.ha : false;
                if (ha === true)
                    item("Kubernetes high-availability control plane", price("kubernetes/ha-control-plane")!, [
                        "kubernetes/ha-control-plane",
                    ]);
                else if (ha !== false)
                    missing(
                        "whether its control plane is highly available (ha) is not set or not known yet, so DigitalOcean decides by Kubernetes version",
                    );
                const poolSize = pool.size;
                const key = `droplet/${String(poolSize)}`;
                const usd = price(key);
                const size = nodePoolSize(pool);
                if (usd === undefined) missing(`no price for the node pool's droplet size "${String(poolSize)}"`);
                else if (size === undefined)
                    missing("the node pool's nodeCount (or minNodes) is not set or not known yet");
                else {
                    const label = cluster ? "Kubernetes default node pool" : "Kubernetes node pool";
                    const line = fleet(label, String(poolSize), usd, size, end);
                    item(line.description, line.monthlyUsd, [key]);
                }
                break;
            }
            case T("loadBalancer:LoadBalancer"): {
                const type = loadBalancerType(inputs.type) ?? "REGIONAL";
                if (type === "GLOBAL") {
                    item("Global load balancer", price("load-balancer/global")!, ["load-balancer/global"]);
                    break;
                }
                const legacy = table.rules.loadBalancerLegacySizeNodes.value;
                const nodes = Number(
                    inputs.sizeUnit ??
                        (typeof inputs.size === "string" ? legacy[inputs.size] : undefined) ??
                        table.rules.loadBalancerDefaultSizeUnit.value,
                );
                const key =
                    type === "REGIONAL_NETWORK" ? "load-balancer/regional-network-node" : "load-balancer/regional-node";
                const kind = type === "REGIONAL_NETWORK" ? "Regional network load balancer" : "Regional load balancer";
                item(`${kind}, ${nodes} node${nodes === 1 ? "" : "s"}`, nodes * price(key)!, [key]);
                break;
            }
            case T("databaseCluster:DatabaseCluster"): {
                // OpenSearch has its own (lower) per-node prices.
                const key = `${inputs.engine === "opensearch" ? "opensearch-node" : "database-node"}/${String(inputs.size)}`;
                const usd = price(key);
                const nodes = Number(inputs.nodeCount ?? 1);
                if (usd === undefined) {
                    missing(`no price for database size "${String(inputs.size)}"`);
                    break;
                }
                const engine = String(inputs.engine ?? "database");
                const what =
                    engine === "valkey" || engine === "redis" ? `Managed ${engine} cache` : `Managed ${engine} cluster`;
                const standby = nodes - 1;
                const shape = standby > 0 ? `primary + ${standby} standby` : "primary only";
                item(
                    `${what} ${String(inputs.size)} × ${nodes} node${nodes === 1 ? "" : "s"} (${shape})`,
                    nodes * usd,
                    [key],
                );
                break;
            }
            case T("databaseReplica:DatabaseReplica"): {
                const key = `database-node/${String(inputs.size)}`;
                const usd = price(key);
                if (usd === undefined) missing(`no price for database size "${String(inputs.size)}"`);
                else item(`Read-only replica ${String(inputs.size)}`, usd, [key]);
                break;
            }
            case T("spacesBucket:SpacesBucket"): {
                // One Spaces subscription covers every bucket in the account.
                if (!spacesSubscribed) {
                    spacesSubscribed = true;
                    item(
                        "Spaces subscription (250 GiB storage, 1 TiB transfer included)",
                        price("spaces-subscription")!,
                        ["spaces-subscription"],
                    );
                } else {
                    item("Spaces bucket (covered by the Spaces subscription)", 0, ["spaces-subscription"]);
                }
                break;
            }
            case T("cdn:Cdn"):
                item(
                    `CDN bandwidth within the Spaces allowance (${table.rules.spacesIncludedOutboundGib.value} GiB/month)`,
                    price("cdn-within-spaces-allowance")!,
                    ["cdn-within-spaces-allowance"],
                );
                break;
            case T("uptimeCheck:UptimeCheck"): {
                uptimeChecks++;
                const free = table.rules.uptimeFreeChecks.value;
                if (uptimeChecks <= free) item(`Uptime check (free: ${free} included)`, 0, ["uptime-check"]);
                else item("Uptime check", price("uptime-check")!, ["uptime-check"]);
                break;
            }
            case T("reservedIp:ReservedIp"):
            case T("floatingIp:FloatingIp"): {
                // Assigned through its own dropletId, or by a ReservedIpAssignment of the same stack (the
                // assignment's ipAddress is an output of the IP, so the pair is matched by count, not by value).
                const assigned = inputs.dropletId !== undefined || unclaimedAssignments-- > 0;
                if (assigned)
                    item("Reserved IP assigned to a droplet (free while assigned)", price("reserved-ip/assigned")!, [
                        "reserved-ip/assigned",
                    ]);
                else
                    item("Reserved IPv4 not assigned to a droplet", price("reserved-ip/ipv4-unassigned")!, [
                        "reserved-ip/ipv4-unassigned",
                    ]);
                break;
            }
            default:
                if (!table.free[r.type]) missing("type not in policies/lib/prices.json");
        }
    }
    const total = items.reduce((sum, i) => sum + cents(i.monthlyUsd), 0) / 100;
    return { currency: table.currency, pricesCollected: table.collected, monthlyUsd: total, items, unpriced };
}
