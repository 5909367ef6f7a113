// The stack config sections about capacity: the web and app pools (fixed or autoscaled), the load balancers, the
// managed database and the extras (cache, static assets). Bounds and defaults (from the tier profile) are the
// keys' declarations (configKeys.ts).
import catalog from "./doCatalog.json";
import { WEB_POOL_SLOTS } from "../hostConfig/haproxy";
import type { TierContext } from "./configKeys";
import { ConfigReader, fieldsOf, quoteAll, show } from "./configReader";
import { LIMITS } from "./limits";
import { AutoscaleSettings, PoolSettings, StackSettings } from "./stackSettings";
import { Tier, TierProfile } from "./tiers";

type Reader = ConfigReader<TierContext>;

/** `web.autoscale` / `app.autoscale`: {min, max, targetCpu} instead of a fixed count. */
function readAutoscale(r: Reader, role: "web" | "app", region: string): AutoscaleSettings | undefined {
    const key = `${role}.autoscale`;
    if (!r.given(key)) return undefined;
    // The API's droplet template accepts fewer regions than droplets do (no atl1, ric1): digitalocean/openapi
    // specification/resources/autoscale_pools/models/autoscale_pool_droplet_template.yml, region enum.
    if (!catalog.autoscaleRegions.includes(region)) {
        r.problem(
            `${r.path(key)}: DigitalOcean autoscale pools are not offered in ${show(region)}; expected a region among ${quoteAll(catalog.autoscaleRegions)}. Fix: pulumi config rm --path '${r.path(key)}', or pulumi config set ${r.path("region")} nyc3`,
        );
    }
    const fields = fieldsOf(r.spec(key))!;
    const value = r.structured(key, Object.keys(fields), "2");
    const num = (sub: string, fallback?: number) => r.field(`${key}.${sub}`, fields[sub], value[sub], fallback);
    const min = num("min");
    const max = num("max", Math.max(min, r.defaultOf<number>(fields.max)));
    if (max < min)
        r.problem(
            `${r.path(`${key}.max`)}: must be at least ${role}.autoscale.min (${min}); got ${show(max)}. Fix: ${r.setCmd(`${key}.max`, min)}`,
        );
    if (r.given(`${role}.count`)) {
        r.problem(
            `${r.path(`${role}.count`)}: conflicts with ${role}.autoscale; a pool is either fixed or autoscaled; got ${show(r.get(`${role}.count`))}. Fix: pulumi config rm --path '${r.path(`${role}.count`)}'`,
        );
    }
    return { min, max, targetCpu: num("targetCpu") };
}

/** The web pool (the single all-in-one server at tier 0) and, from tier 2, the app pool. */
export function readPools(
    r: Reader,
    tier: Tier,
    profile: TierProfile,
    region: string,
): { web: PoolSettings & { backups: boolean }; appPool?: PoolSettings } {
    r.onlyFrom(r.fieldsFrom("web"), tier, "tier 0 is one server by design");
    const size = r.choice("web.size");
    const backups = r.flag("web.backups");
    if (backups && r.given("web.autoscale")) {
        r.problem(
            `${r.path("web.backups")}: applies only to a fixed pool; autoscale members are replaced, not restored; got ${show(r.get("web.backups"))}. Fix: pulumi config rm --path '${r.path("web.backups")}'`,
        );
    }
    const web =
        tier === 0
            ? {
                  count: r.integer(
                      "web.count",
                      r.fallback("web.count"),
                      { min: 1, max: 1 },
                      " at tier 0 (one server; choose tier 1 for a pool)",
                  ),
                  size,
                  backups,
              }
            : {
                  count: r.int("web.count", ` at tier ${tier}`),
                  size,
                  autoscale: readAutoscale(r, "web", region),
                  backups,
              };
    if (tier === 0 && size in catalog.dropletSizes && (catalog.dropletSizes as Record<string, number>)[size] < 2) {
        r.problem(
            `${r.path("web.size")}: must have at least 2 GB of memory at tier 0 (nginx, the app and MySQL share the droplet); got ${show(size)}. Fix: pulumi config set --path '${r.path("web.size")}' s-1vcpu-2gb`,
        );
    }
    r.onlyFrom(r.fieldsFrom("app"), tier, "web and app servers share droplets below tier 2");
    const appPool = profile.app && {
        count: r.int("app.count", ` at tier ${tier}`),
        size: r.choice("app.size"),
        autoscale: readAutoscale(r, "app", region),
    };
    return { web, appPool };
}

export function readLoadBalancer(
    r: Reader,
    tier: Tier,
    profile: TierProfile,
    web: PoolSettings,
): StackSettings["loadBalancer"] {
    r.onlyFrom(r.fieldsFrom("loadBalancer"), tier, "tier 0 has no load balancer");
    if (!profile.loadBalancer) return undefined;
    const engine = r.choice<"managed" | "haproxy">("loadBalancer.engine");
    const count = r.int("loadBalancer.count", ` at tier ${tier}`);
    if (engine === "managed") {
        for (const key of ["loadBalancer.algorithm", "loadBalancer.size"]) {
            if (r.given(key)) {
                r.problem(
                    `${r.path(key)}: applies only to the haproxy engine (DigitalOcean load balancers choose their own); got ${show(r.get(key))}. Fix: pulumi config rm --path '${r.path(key)}'`,
                );
            }
        }
        return { engine, count, sizeUnit: r.int("loadBalancer.sizeUnit") };
    }
    if (r.given("loadBalancer.sizeUnit")) {
        r.problem(
            `${r.path("loadBalancer.sizeUnit")}: applies only to the managed engine; size HAProxy droplets with loadBalancer.size; got ${show(r.get("loadBalancer.sizeUnit"))}. Fix: pulumi config rm --path '${r.path("loadBalancer.sizeUnit")}'`,
        );
    }
    // HAProxy finds the web droplets in DNS and keeps WEB_POOL_SLOTS servers for them: during a replacement of the
    // whole pool the old droplets answer the name together with the new ones until the update's deletes.
    const slots = WEB_POOL_SLOTS / 2;
    if (!web.autoscale && web.count > slots) {
        r.problem(
            `${r.path("web.count")}: must be at most ${slots} with the haproxy engine, whose ${WEB_POOL_SLOTS} server slots hold the old and the new web droplets together while an update replaces them; got ${show(web.count)}. Fix: pulumi config set --path '${r.path("web.count")}' ${slots}, or pulumi config set --path '${r.path("loadBalancer.engine")}' managed`,
        );
    }
    if (web.autoscale) {
        r.problem(
            `${r.path("web.autoscale")}: needs the managed engine; HAProxy finds the web droplets through one DNS record per droplet, which the stack cannot keep for members DigitalOcean creates itself; got ${show(r.get("web.autoscale"))}. Fix: pulumi config set --path '${r.path("loadBalancer.engine")}' managed`,
        );
    }
    return {
        engine,
        count,
        size: r.choice("loadBalancer.size"),
        algorithm: r.choice("loadBalancer.algorithm"),
    };
}

export function readDatabase(r: Reader, tier: Tier, profile: TierProfile): StackSettings["database"] {
    r.onlyFrom(r.fieldsFrom("database"), tier, "MySQL runs on the droplet at tier 0");
    if (!profile.database) return undefined;
    const standbyNodes = r.int("database.standbyNodes");
    const size = r.choice("database.size");
    if (standbyNodes > 0 && (catalog.databaseMemoryGb as Record<string, number>)[size] < 2) {
        r.problem(
            `${r.path("database.standbyNodes")}: standby nodes need a plan with at least 2 GB of memory; got ${standbyNodes} standby node(s) on ${show(size)}. Fix: pulumi config set --path '${r.path("database.size")}' db-s-1vcpu-2gb`,
        );
    }
    return {
        size,
        standbyNodes,
        readReplicas: r.int("database.readReplicas"),
        protect: r.flag("database.protect"),
    };
}

/** The Valkey cache (tier 2+) and the Spaces + CDN static assets (tier 1+, in a Spaces region). */
export function readExtras(r: Reader, tier: Tier, region: string) {
    r.onlyFrom(r.fieldsFrom("cache"), tier, "the cache is trusted by the app servers' tag, which exists from tier 2");
    const cache = tier >= 2 && r.flag("cache.enabled") ? { size: r.choice("cache.size") } : undefined;
    r.onlyFrom(r.fieldsFrom("staticAssets"), tier, "static assets are served beside a load balanced site");
    const staticAssets = tier >= 1 && r.flag("staticAssets.enabled");
    if (staticAssets && !catalog.spacesRegions.includes(region)) {
        r.problem(
            `${r.path("region")}: Spaces (static assets) is not offered in ${show(region)}; expected ${quoteAll(catalog.spacesRegions)}. Fix: pulumi config set ${r.path("region")} nyc3, or pulumi config set --path '${r.path("staticAssets.enabled")}' false`,
        );
    }
    return { cache, staticAssets };
}

/**
 * With the haproxy engine and Let's Encrypt, every HAProxy droplet orders its own certificate for the apex and www:
 * at most LIMITS.haproxyLetsEncrypt.max of them, or the last ones stay on the self-signed placeholder for a week, and
 * their readiness gates (which ask for a valid certificate) time out.
 */
export function checkAcmeIssuers(
    r: Reader,
    loadBalancer: StackSettings["loadBalancer"],
    certificate: StackSettings["certificate"],
): void {
    const { max } = LIMITS.haproxyLetsEncrypt;
    if (loadBalancer?.engine !== "haproxy" || certificate?.kind !== "lets_encrypt" || loadBalancer.count <= max) return;
    r.problem(
        `${r.path("loadBalancer.count")}: must be at most ${max} with the haproxy engine and Let's Encrypt: every HAProxy droplet orders a certificate for the same two names, and Let's Encrypt issues at most ${max} per exact set of names every 7 days, so the droplets beyond ${max} would serve a self-signed certificate for a week; got ${show(loadBalancer.count)}. Fix: pulumi config set --path '${r.path("loadBalancer.count")}' ${max}, or pulumi config set --path '${r.path("certificate.kind")}' custom with tlsPrivateKey and tlsCertificate, or pulumi config set --path '${r.path("loadBalancer.engine")}' managed`,
    );
}
