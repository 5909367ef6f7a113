// The expected monthly availability of a DigitalOcean stack's request path, from DigitalOcean's published SLAs
// and the stack's single points of failure. Pure (no I/O): the offline plan and the pack's
// stack-availability-target policy call the same function on the same captured graph. docs/availability.md
// states the model and its assumptions.
import { isUnknown, read } from "./unknowns";
import { isGlobalLoadBalancer } from "./loadBalancer";
import { isWorldCidr, parsePortRange } from "./net";
import { databaseServerIn, installsMetricsServer, installsWebServer, onlyWatches } from "./userData";
import { dropletUserData } from "./stateUserData";

/** Where a figure comes from: a published SLA, or an assumption the docs state. */
export interface AvailabilitySource {
    readonly monthly: number;
    readonly basis: "sla" | "assumed";
    readonly what: string;
    readonly url?: string;
    /** The date the source shows ("Last Updated"), or the date it was read when it shows none. */
    readonly date: string;
}

export const AVAILABILITY_SOURCES = {
    droplet: {
        monthly: 0.9999,
        basis: "sla",
        what: "DigitalOcean CPU Droplet SLA: 99.99 % Monthly Uptime Percentage per Droplet (Last Updated on June 3, 2025)",
        url: "https://www.digitalocean.com/sla/cpu-droplets",
        date: "2025-06-03",
    },
    regionalLoadBalancer: {
        monthly: 0.999,
        basis: "sla",
        what: "DigitalOcean Regional Load Balancer SLA: 99.9 % Monthly Uptime Percentage per load balancer (the stored copy shows no date; read 2026-11-25)",
        url: "https://www.digitalocean.com/sla/regional-load-balancers",
        date: "2026-11-25",
    },
    globalLoadBalancer: {
        monthly: 0.9999,
        basis: "sla",
        what: "DigitalOcean Global Load Balancer SLA: 99.99 % Monthly Uptime Percentage per load balancer (Last Updated on November 18, 2025)",
        url: "https://www.digitalocean.com/sla/global-load-balancers",
        date: "2025-11-18",
    },
    spaces: {
        monthly: 0.999,
        basis: "sla",
        what: "DigitalOcean Spaces SLA: 99.9 % Uptime per bucket (the stored copy shows no date; read 2026-11-25); off the dynamic request path, listed for reference",
        url: "https://www.digitalocean.com/sla/spaces",
        date: "2026-11-25",
    },
    databaseNode: {
        monthly: 0.9999,
        basis: "assumed",
        what: "No Managed Databases SLA was found (searched 2026-11-25); a node is taken to be as available as a Droplet, and standby nodes fail over in parallel",
        date: "2026-11-25",
    },
    dns: {
        monthly: 1,
        basis: "assumed",
        what: "No DigitalOcean DNS SLA was found (searched 2026-11-25); DNS is listed on the path but not counted",
        date: "2026-11-25",
    },
} as const satisfies Record<string, AvailabilitySource>;

export type SourceKey = keyof typeof AVAILABILITY_SOURCES;

/** A resource as the model reads it: type, name and its properties (outputs in a policy, state in the plan). */
export interface AvailabilityResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly props: unknown;
}

/** Managed database engines that are not on a web request's path. */
const OFF_REQUEST_PATH_ENGINES = ["opensearch", "kafka"];

export type StageKind = "dns" | "edge" | "web" | "app" | "database" | "cache" | "server";

/** One stage of the request path: instances in parallel, the stage in series with the others. */
export interface AvailabilityStage {
    readonly kind: StageKind;
    /** What the stage is, e.g. `load balancer "web-lb" (regional)`. */
    readonly label: string;
    /** Resource names in the stage. */
    readonly resources: readonly string[];
    /** How many instances serve the stage at once (parallel). */
    readonly instances: number;
    readonly availability: number;
    readonly source: SourceKey;
}

export interface AvailabilityEstimate {
    /** The product of every stage: the expected monthly availability of a request. */
    readonly availability: number;
    /** Expected downtime in a 30-day month, in minutes (one decimal). */
    readonly downtimeMinutesPerMonth: number;
    readonly stages: readonly AvailabilityStage[];
    /** Stages served by one instance: the stack's single points of failure on the request path. */
    readonly singlePoints: readonly string[];
}

const MONTH_MINUTES = 30 * 24 * 60;
const T = (name: string) => `digitalocean:index/${name}`;

/** n instances of availability a in parallel: the stage is down only when all of them are. */
export const parallel = (a: number, n: number): number => 1 - Math.pow(1 - a, n);

/** Availability rounded to 8 decimal places, so reports and tests compare exact numbers. */
export const round8 = (a: number): number => Math.round(a * 1e8) / 1e8;

/** "99.9899 %" (four decimals, truncated towards the worse side so a rounding never reads as meeting a target). */
export const percent = (a: number): string => `${(Math.floor(round8(a) * 1e6) / 1e4).toFixed(4)} %`;

const str = (v: unknown): string | undefined =>
    typeof v === "string" && v !== "" ? v : typeof v === "number" ? String(v) : undefined;
const strings = (v: unknown): string[] =>
    Array.isArray(v) ? v.map(str).filter((s): s is string => s !== undefined) : [];
const known = (v: unknown): unknown => (isUnknown(v) ? undefined : v);

interface Backend {
    name: string;
    instances: number;
}

/**
 * Whether a droplet's cloud firewalls (by tag or by droplet id) are all known and none has an inbound rule `opens`
 * accepts (an unknown rule list counts as opening). False for a droplet no firewall covers (DigitalOcean then admits
 * all).
 */
function firewallsAdmitNo(
    firewalls: readonly AvailabilityResource[],
    opens: (rule: unknown) => boolean,
): (d: { id?: string; tags: readonly string[] }) => boolean {
    const rules = firewalls.map((fw) => ({
        tags: strings(known(read(fw.props, "tags"))),
        ids: strings(known(read(fw.props, "dropletIds"))),
        inbound: known(read(fw.props, "inboundRules")),
    }));
    return (d) => {
        const covering = rules.filter(
            (fw) => fw.tags.some((t) => d.tags.includes(t)) || (d.id !== undefined && fw.ids.includes(d.id)),
        );
        return covering.length > 0 && !covering.some((fw) => !Array.isArray(fw.inbound) || fw.inbound.some(opens));
    };
}

const isSshPort = (rule: unknown): boolean => {
    const range = parsePortRange(str(known(read(rule, "portRange"))));
    return range !== undefined && range[0] === 22 && range[1] === 22;
};

/** A rule that admits some address of the whole internet on a port but 22 (or may: its sources are not known yet). */
function admitsWorld(rule: unknown): boolean {
    const sources = read(rule, "sourceAddresses");
    // Not known yet (a preview): it may admit the world. Absent: the rule admits tags, droplets or balancers.
    if (isUnknown(sources) || (sources !== undefined && !Array.isArray(sources))) return true;
    if (sources === undefined) return false;
    if (!sources.some((a) => typeof a === "string" && isWorldCidr(a))) return false;
    return !isSshPort(rule);
}

/** A rule that admits anything but SSH (tcp 22) and ping (icmp), from any source: a port something may serve on. */
function admitsMoreThanSsh(rule: unknown): boolean {
    const protocol = known(read(rule, "protocol"));
    return !(protocol === "icmp" || (protocol === "tcp" && isSshPort(rule)));
}

/** Estimates the stack's expected monthly availability over its request path. */
export function estimateAvailability(resources: readonly AvailabilityResource[]): AvailabilityEstimate {
    const of = (type: string) => resources.filter((r) => r.type === T(type));
    const droplets = of("droplet:Droplet").map((r) => ({
        name: r.name,
        id: str(known(read(r.props, "id"))),
        tags: strings(known(read(r.props, "tags"))),
        userData: known(dropletUserData(r.props)),
    }));
    const pools = of("dropletAutoscale:DropletAutoscale").map((r) => {
        const min = Number(
            known(read(r.props, "config", "minInstances")) ??
                known(read(r.props, "config", "targetNumberInstances")) ??
                1,
        );
        return {
            name: r.name,
            instances: Number.isFinite(min) && min > 0 ? min : 1,
            tags: strings(known(read(r.props, "dropletTemplate", "tags"))),
        };
    });
    const closed = firewallsAdmitNo(of("firewall:Firewall"), admitsWorld);
    const sshOnly = firewallsAdmitNo(of("firewall:Firewall"), admitsMoreThanSsh);
    const balanced = new Set<string>();
    const backendsOf = (lb: AvailabilityResource): Backend[] => {
        const tag = str(known(read(lb.props, "dropletTag")));
        const ids = new Set(strings(known(read(lb.props, "dropletIds"))));
        const found: Backend[] = [];
        for (const d of droplets)
            if ((tag && d.tags.includes(tag)) || (d.id && ids.has(d.id))) found.push({ name: d.name, instances: 1 });
        for (const p of pools) if (tag && p.tags.includes(tag)) found.push(p);
        for (const b of found) balanced.add(b.name);
        return found;
    };

    const stages: AvailabilityStage[] = [];
    if (of("dnsRecord:DnsRecord").length + of("domain:Domain").length > 0) {
        const names = [...of("domain:Domain"), ...of("dnsRecord:DnsRecord")].map((r) => r.name);
        stages.push({
            kind: "dns",
            label: "DNS (no published SLA; not counted)",
            resources: names,
            instances: 1,
            availability: AVAILABILITY_SOURCES.dns.monthly,
            source: "dns",
        });
    }

    // Load balancers with the same backends are alternatives for one another (DNS lists each of them);
    // load balancers in front of different backends are different stages in series.
    const groups = new Map<
        string,
        { lbs: AvailabilityResource[]; backends: Backend[]; internal: boolean; global: boolean }
    >();
    for (const lb of of("loadBalancer:LoadBalancer")) {
        const backends = backendsOf(lb);
        const internal = String(known(read(lb.props, "network")) ?? "EXTERNAL").toUpperCase() === "INTERNAL";
        const global = isGlobalLoadBalancer(read(lb.props, "type"));
        const key = `${internal}|${global}|${backends.map((b) => b.name).join(",")}`;
        const group = groups.get(key) ?? { lbs: [], backends, internal, global };
        group.lbs.push(lb);
        groups.set(key, group);
    }
    const ordered = [...groups.values()].sort((a, b) => Number(a.internal) - Number(b.internal));
    for (const g of ordered) {
        const source: SourceKey = g.global ? "globalLoadBalancer" : "regionalLoadBalancer";
        const names = g.lbs.map((lb) => lb.name);
        stages.push({
            kind: "edge",
            label: `${g.internal ? "internal " : ""}load balancer${names.length === 1 ? "" : "s"} ${names.map((n) => `"${n}"`).join(", ")} (${g.global ? "global" : "regional"})`,
            resources: names,
            instances: names.length,
            availability: parallel(AVAILABILITY_SOURCES[source].monthly, names.length),
            source,
        });
        if (g.backends.length === 0) continue;
        const instances = g.backends.reduce((n, b) => n + b.instances, 0);
        stages.push({
            kind: g.internal ? "app" : "web",
            label: `${g.internal ? "app" : "web"} servers behind ${names.map((n) => `"${n}"`).join(", ")}`,
            resources: g.backends.map((b) => b.name),
            instances,
            availability: parallel(AVAILABILITY_SOURCES.droplet.monthly, instances),
            source: "droplet",
        });
    }
    // A server no managed load balancer spreads traffic over serves on its own: each is a stage of one.
    for (const d of [...droplets, ...pools.map((p) => ({ name: p.name, instances: p.instances }))]) {
        if (balanced.has(d.name)) continue;
        // A metrics host (Prometheus, Grafana, … and no web server) watches the stack; no request waits on it.
        if ("userData" in d && typeof d.userData === "string" && onlyWatches(d.userData)) continue;
        // So does one that runs a web server in front of its metrics server (nginx taking pushed samples) when its
        // cloud firewalls admit nothing from the internet but SSH. Without a firewall it counts: it may be the site.
        if ("id" in d && typeof d.userData === "string" && installsMetricsServer(d.userData) && closed(d)) continue;
        // A bastion or a CI runner: no web or database server, and its firewalls admit nothing but SSH and ping from
        // anyone. No request reaches it. (An app server behind a self-run web tier admits its port from that tier.)
        if (
            "id" in d &&
            typeof d.userData === "string" &&
            !installsWebServer(d.userData) &&
            databaseServerIn(d.userData) === undefined &&
            sshOnly(d)
        )
            continue;
        const instances = "instances" in d ? d.instances : 1;
        stages.push({
            kind: "server",
            label: `server "${d.name}" (no load balancer in front)`,
            resources: [d.name],
            instances,
            availability: parallel(AVAILABILITY_SOURCES.droplet.monthly, instances),
            source: "droplet",
        });
    }
    for (const cluster of of("databaseCluster:DatabaseCluster")) {
        const engine = String(known(read(cluster.props, "engine")) ?? "");
        const nodes = Math.max(1, Number(known(read(cluster.props, "nodeCount")) ?? 1) || 1);
        // Search and streaming engines (a log store, an event bus) serve no page: a request does not wait on them.
        if (OFF_REQUEST_PATH_ENGINES.includes(engine)) continue;
        const cache = engine === "valkey" || engine === "redis";
        stages.push({
            kind: cache ? "cache" : "database",
            label: `${cache ? "cache" : "database"} "${cluster.name}" (${nodes} node${nodes === 1 ? ", no standby" : "s"})`,
            resources: [cluster.name],
            instances: nodes,
            availability: parallel(AVAILABILITY_SOURCES.databaseNode.monthly, nodes),
            source: "databaseNode",
        });
    }

    const availability = round8(stages.reduce((a, s) => a * s.availability, 1));
    return {
        availability,
        downtimeMinutesPerMonth: Math.round((1 - availability) * MONTH_MINUTES * 10) / 10,
        stages: stages.map((s) => ({ ...s, availability: round8(s.availability) })),
        singlePoints: stages.filter((s) => s.instances === 1 && s.kind !== "dns").flatMap((s) => s.resources),
    };
}

/** The stages that cost the most availability, worst first. */
export function weakestStages(estimate: AvailabilityEstimate, max = 3): AvailabilityStage[] {
    return [...estimate.stages]
        .filter((s) => s.availability < 1)
        .sort((a, b) => a.availability - b.availability)
        .slice(0, max);
}
