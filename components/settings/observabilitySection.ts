// The stack config section about logs and QPS: one searchable log store (DigitalOcean Managed
// OpenSearch) fed by the managed databases' log sinks and a shipper on every droplet, and a monitor droplet that
// collects requests and queries per second. On by default from tier 2, an option at tier 1.
import type { TierContext } from "./configKeys";
import type { ConfigReader } from "./configReader";
import type { LogsSettings } from "./stackSettings";
import type { Tier } from "./tiers";

/** `logs.enabled`, `logs.indexDaysMax`, `logs.size`: undefined when the stack collects no logs. */
export function readLogs(r: ConfigReader<TierContext>, tier: Tier): LogsSettings | undefined {
    r.onlyFrom(r.fieldsFrom("logs"), tier, "tier 0 is one server with no managed database to forward logs from");
    if (tier === 0 || !r.flag("logs.enabled")) return undefined;
    return {
        indexDaysMax: r.int("logs.indexDaysMax"),
        size: r.choice("logs.size"),
        monitorSize: r.choice("logs.monitorSize"),
    };
}
