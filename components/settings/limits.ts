// The numeric bounds of webstack's settings, each stated once: the config parser checks keys against them
// (configKeys.ts names them per key) and the components check their args against the same ones.

/** An inclusive integer range. */
export interface Bounds {
    readonly min: number;
    readonly max: number;
}

export const LIMITS = {
    /** Droplets in one fixed pool: webstack's ceiling; the account's droplet limit is checked by the preflight. */
    poolDroplets: { min: 1, max: 1000 },
    /** Web or app droplets in a fixed pool above tier 0 (two, so one can fail). */
    pooledDroplets: { min: 2, max: 1000 },
    /**
     * Members of an autoscale pool: webstack's ceiling, well inside the API's 1 to 500 (min) and 1 to 1,000 (max)
     * (digitalocean/openapi@7c1300c specification/resources/autoscale_pools/models/autoscale_pool_dynamic_config.yml).
     */
    autoscaleDroplets: { min: 1, max: 50 },
    /** Target average CPU of an autoscale pool, percent: inside the API's 5 to 100 % (same file). */
    autoscaleCpuPercent: { min: 10, max: 90 },
    /** Public load balancers, or HAProxy droplets, of one stack (active-active behind DNS). */
    loadBalancers: { min: 1, max: 10 },
    /**
     * HAProxy droplets that obtain Let's Encrypt certificates: each orders one for the same two names, and Let's
     * Encrypt issues at most 5 "per exact set of identifiers" every 7 days (letsencrypt.org/docs/rate-limits/,
     * "New Certificates per Exact Set of Identifiers"), so a sixth droplet would get none for a week.
     */
    haproxyLetsEncrypt: { min: 1, max: 5 },
    /**
     * Nodes per managed load balancer: the provider accepts 1 to 200 (terraform-provider-digitalocean@401992a
     * digitalocean/loadbalancer/resource_loadbalancer.go:180); the API spec says at most 100
     * (digitalocean/openapi@7c1300c load_balancers/models/load_balancer_base.yml:40-44).
     */
    loadBalancerNodes: { min: 1, max: 200 },
    /** Standby nodes of the managed MySQL cluster (a cluster has one to three nodes). */
    standbyNodes: { min: 0, max: 2 },
    /** Read-only replicas of the managed MySQL cluster. */
    readReplicas: { min: 0, max: 5 },
    /** Days a log sink keeps (API models/logsink/opensearch_logsink.yml `index_days_max`). */
    logIndexDays: { min: 1, max: 10000 },
    /** The app container's port: unprivileged, so the container needs no capability to bind it. */
    appPort: { min: 1024, max: 65535 },
    /** Any TCP port. */
    port: { min: 1, max: 65535 },
    /** A DNS record's time to live, seconds. */
    dnsTtl: { min: 30, max: 86400 },
    /** An MX record's priority. */
    mxPriority: { min: 0, max: 65535 },
    /** A CAA record's flags: "An unsigned integer between 0-255" (digitalocean/openapi domains/models/domain_record.yml:64). */
    caaFlags: { min: 0, max: 255 },
    /**
     * Minutes a readiness gate waits for a new droplet to serve (components/readiness/servingGate.ts): at least the
     * few minutes cloud-init takes (packages, an image pull), at most two hours.
     */
    gateTimeoutMinutes: { min: 5, max: 120 },
} as const satisfies Record<string, Bounds>;

/** `1 to 10,000`: a range as the docs and messages that describe it in words write it. */
export const rangeText = (b: Bounds): string => `${b.min.toLocaleString("en-US")} to ${b.max.toLocaleString("en-US")}`;

/** True for an integer inside `b`. */
export const isWithin = (value: unknown, b: Bounds): value is number =>
    typeof value === "number" && Number.isInteger(value) && value >= b.min && value <= b.max;
