// The stack config section about logs and QPS: one searchable log store (DigitalOcean Managed
// OpenSearch) fed by the managed databases' log sinks and a shipper on every droplet, and a monitor droplet that
// collects requests and queries per second. On by default from tier 2, an option at tier 1.
import { ConfigReader } from "./configReader";
import type { LogsSettings } from "./stackSettings";
import type { Tier, TierProfile } from "./tiers";

/**
 * OpenSearch plans DigitalOcean offers for a one-node cluster (API `responses/options.yml`, digitalocean/openapi
 * 7c1300c; ../shared/reference/logs-metrics-qps.md §1.2). Nodes cannot be downsized, so the default is the smallest.
 */
export const OPENSEARCH_SIZES = [
    "db-s-1vcpu-2gb",
    "db-s-2vcpu-4gb",
    "gd-2vcpu-8gb",
    "m3-2vcpu-16gb",
    "db-s-4vcpu-8gb",
    "gd-4vcpu-16gb",
] as const;
/** The droplet Prometheus and Alertmanager run on ($12/month; Debian/Ubuntu packages, no Docker). */
export const MONITOR_SIZE = "s-1vcpu-2gb";
/** Days of logs (and of QPS samples) kept by default: two weeks covers a fortnight's incident reviews. */
export const DEFAULT_INDEX_DAYS = 14;

/** `logs.enabled`, `logs.indexDaysMax`, `logs.size`: undefined when the stack collects no logs. */
export function readLogs(r: ConfigReader, tier: Tier, profile: TierProfile): LogsSettings | undefined {
    r.onlyFrom(
        ["logs.enabled", "logs.indexDaysMax", "logs.size"],
        1,
        tier,
        "tier 0 is one server with no managed database to forward logs from",
    );
    if (tier === 0 || !r.bool("logs.enabled", profile.monitoring)) return undefined;
    return {
        // The log sink API accepts 1 to 10,000 days (API models/logsink/opensearch_logsink.yml `index_days_max`).
        indexDaysMax: r.integer("logs.indexDaysMax", DEFAULT_INDEX_DAYS, 1, 10000),
        size: r.oneOf("logs.size", OPENSEARCH_SIZES[0], OPENSEARCH_SIZES, "OpenSearch plans"),
        monitorSize: MONITOR_SIZE,
    };
}
