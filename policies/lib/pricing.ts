// The project's cost model: turns resources (type + plain inputs) into one monthly line item per billable
// resource, priced from `policies/lib/prices.json` (every figure there names its source and date). Pure: no
// Pulumi runtime, no I/O, so the offline plan, the README and tests all share one answer.
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

/** An autoscale pool's bounds: minInstances and maxInstances (a fixed targetNumberInstances is both). */
function poolSize(inputs: Readonly<Record<string, unknown>>): { min: number; max: number } {
    const config = (inputs.config ?? {}) as Record<string, unknown>;
    const min = Number(config.minInstances ?? config.targetNumberInstances ?? 0);
    return { min, max: Math.max(min, Number(config.maxInstances ?? config.targetNumberInstances ?? min)) };
}

/**
 * The stack's monthly cost range: `min` is `estimateCost(...).monthlyUsd` (every autoscale pool at minInstances),
 * `max` the same with every pool at maxInstances.
 */
export function costRange(
    resources: readonly PricedResource[],
    table: PriceTable = prices,
): { min: number; max: number } {
    const min = estimateCost(resources, table).monthlyUsd;
    const atMax = resources.map((r) => {
        if (r.type !== T("dropletAutoscale:DropletAutoscale")) return r;
        const { max } = poolSize(r.inputs);
        return {
            ...r,
            inputs: {
                ...r.inputs,
                config: { ...((r.inputs.config ?? {}) as object), minInstances: max, maxInstances: max },
            },
        };
    });
    return { min, max: estimateCost(atMax, table).monthlyUsd };
}

/** Estimates the monthly list price of a stack: one item per billable resource, in the order given. */
export function estimateCost(resources: readonly PricedResource[], table: PriceTable = prices): CostEstimate {
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
                const pool = poolSize(inputs);
                const template = (inputs.dropletTemplate ?? {}) as Record<string, unknown>;
                const key = `droplet/${String(template.size)}`;
                const usd = price(key);
                if (usd === undefined) {
                    missing(`no price for droplet size "${String(template.size)}"`);
                } else if (pool.min === pool.max) {
                    item(
                        `Autoscale pool: ${pool.min} × Droplet ${String(template.size)} (fixed size)`,
                        pool.min * usd,
                        [key],
                    );
                } else {
                    // The pool runs between min and max; the estimate's total counts the minimum, the floor the
                    // pool never goes below, and the description shows the ceiling.
                    const at = (n: number) => `$${(cents(n * usd) / 100).toFixed(2)}`;
                    item(
                        `Autoscale pool: ${pool.min}–${pool.max} × Droplet ${String(template.size)}, ${at(pool.min)} at min to ${at(pool.max)} at max (total counts min)`,
                        pool.min * usd,
                        [key],
                    );
                }
                break;
            }
            case T("loadBalancer:LoadBalancer"): {
                const type = String(inputs.type ?? "REGIONAL").toUpperCase();
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
