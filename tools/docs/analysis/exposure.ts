// Exposure proof. From the captured Firewall, LoadBalancer, Droplet, DropletAutoscale,
// DatabaseCluster/Replica and DatabaseFirewall resources, computes every (target, port, source) a packet may
// take in: droplets without a cloud firewall are open on every port to the internet; a droplet with one
// accepts exactly the union of its firewalls' inbound rules (DigitalOcean denies the rest); an external load
// balancer accepts its entry ports from the internet (or its own `firewall.allow` list), an internal one from
// the VPC; a database cluster accepts its port from its DatabaseFirewall's rules, or from anywhere when it has none,
// and so does each read replica with its own firewall (a replica is a cluster of its own: the provider firewalls it
// through its `uuid`, terraform-provider-digitalocean@401992a1 docs/resources/database_replica.md:34-42 and :61).
// Pure; exposureMarkdown runs the program.
import { plain, type RecordedResource } from "../../../plan/capture/recorder";
import { captureInChild } from "../../../plan/capture/inChild";
import { exampleConfig } from "../../../examples/variants";
import { doType } from "../../../plan/capture/doTypes";

export type Captured = Pick<
    RecordedResource,
    "urn" | "type" | "name" | "custom" | "id" | "inputs" | "propertyDependencies"
> &
    Partial<Pick<RecordedResource, "state">>;

export interface Exposure {
    /** Logical name of the resource reached. */
    target: string;
    kind: "droplet" | "autoscale pool" | "load balancer" | "database";
    /** "80", "8000-9000", "all" or "icmp". */
    port: string;
    /** "internet" (0.0.0.0/0, ::/0 or no firewall at all), "vpc", a CIDR, "tag:<name>", "load balancer <name>", "droplet <name>". */
    source: string;
}

export const INTERNET = "internet";
const WORLD = new Set(["0.0.0.0/0", "::/0", "0.0.0.0/0,::/0"]);
const T = doType;
const DROPLET = T("droplet:Droplet");
const AUTOSCALE = T("dropletAutoscale:DropletAutoscale");
const FIREWALL = T("firewall:Firewall");
const LB = T("loadBalancer:LoadBalancer");
const CLUSTER = T("databaseCluster:DatabaseCluster");
const REPLICA = T("databaseReplica:DatabaseReplica");
const DB_FIREWALL = T("databaseFirewall:DatabaseFirewall");
/**
 * The connection ports DigitalOcean gives each engine today (the mock engine answers the same): a capture keeps a
 * cluster's inputs, not the port it reports, which is what the program itself connects to (components/hostRoles.ts).
 */
const ENGINE_PORTS: Record<string, number> = { mysql: 25060, pg: 25060, valkey: 25061, redis: 25061, mongodb: 27017 };

type Props = Record<string, any>;
const propsOf = (r: Captured): Props => plain(r.inputs) as Props;
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function portOf(rule: Props): string {
    if (rule.protocol === "icmp") return "icmp";
    const range = String(rule.portRange ?? "all");
    return range === "all" || range === "0" || range === "1-65535" ? "all" : range;
}

/** Computes every way in. */
export function computeExposure(resources: readonly Captured[]): Exposure[] {
    const custom = resources.filter((r) => r.custom);
    const byId = new Map(custom.map((r) => [String(r.id), r]));
    const out: Exposure[] = [];
    const sourceOfAddress = (a: string) => (WORLD.has(a) ? INTERNET : a);

    // Cloud firewalls on droplets and autoscale pools.
    const firewalls = custom.filter((r) => r.type === FIREWALL).map(propsOf);
    const hosts = custom
        .filter((r) => r.type === DROPLET || r.type === AUTOSCALE)
        .map((r) => {
            const p = propsOf(r);
            const tags = (r.type === AUTOSCALE ? list(p.dropletTemplate?.tags) : list(p.tags)).map(String);
            return { r, tags, kind: r.type === AUTOSCALE ? ("autoscale pool" as const) : ("droplet" as const) };
        });
    for (const { r, tags, kind } of hosts) {
        const applied = firewalls.filter(
            (f) =>
                list(f.tags).some((t) => tags.includes(String(t))) ||
                list(f.dropletIds).map(String).includes(String(r.id)),
        );
        if (applied.length === 0) {
            out.push({ target: r.name, kind, port: "all", source: INTERNET });
            continue;
        }
        for (const rule of applied.flatMap((f) => list(f.inboundRules) as Props[])) {
            const port = portOf(rule);
            const sources = [
                ...list(rule.sourceAddresses).map((a) => sourceOfAddress(String(a))),
                ...list(rule.sourceTags).map((t) => `tag:${t}`),
                ...list(rule.sourceLoadBalancerUids).map((u) => `load balancer ${byId.get(String(u))?.name ?? u}`),
                ...list(rule.sourceDropletIds).map((d) => `droplet ${byId.get(String(d))?.name ?? d}`),
                ...list(rule.sourceKubernetesIds).map((k) => `kubernetes ${k}`),
            ];
            for (const source of sources) out.push({ target: r.name, kind, port, source });
        }
    }

    // Load balancers: external ones face the internet (or their own allow list), internal ones the VPC.
    for (const r of custom.filter((x) => x.type === LB)) {
        const p = propsOf(r);
        const allows = list(p.firewall?.allows).map(String);
        const sources =
            p.network === "INTERNAL"
                ? ["vpc"]
                : allows.length
                  ? allows.map((a) => sourceOfAddress(a.replace(/^(ip|cidr):/, "")))
                  : [INTERNET];
        for (const rule of list(p.forwardingRules) as Props[]) {
            for (const source of sources)
                out.push({ target: r.name, kind: "load balancer", port: String(rule.entryPort), source });
        }
    }

    // Managed databases and caches: each cluster's DatabaseFirewalls, and each read replica's own (by its uuid).
    const clusters = custom.filter((r) => r.type === CLUSTER);
    const dbFirewalls = custom.filter((r) => r.type === DB_FIREWALL);
    const guarded = (target: Captured, clusterId: unknown) =>
        dbFirewalls.filter(
            (f) =>
                (clusterId !== undefined && String(propsOf(f).clusterId) === String(clusterId)) ||
                (f.propertyDependencies.clusterId ?? []).includes(target.urn),
        );
    const sourcesOf = (firewalls: Captured[]): string[] => {
        if (firewalls.length === 0) return [INTERNET];
        return firewalls
            .flatMap((f) => list(propsOf(f).rules) as Props[])
            .map((rule) =>
                rule.type === "ip_addr"
                    ? sourceOfAddress(String(rule.value))
                    : rule.type === "tag"
                      ? `tag:${rule.value}`
                      : `${rule.type} ${byId.get(String(rule.value))?.name ?? rule.value}`,
            );
    };
    for (const cluster of clusters) {
        const port = String(ENGINE_PORTS[String(propsOf(cluster).engine)] ?? "all");
        const replicas = custom.filter(
            (r) =>
                r.type === REPLICA &&
                (String(propsOf(r).clusterId) === String(cluster.id) ||
                    (r.propertyDependencies.clusterId ?? []).includes(cluster.urn)),
        );
        const targets = [
            { target: cluster, sources: sourcesOf(guarded(cluster, cluster.id)) },
            ...replicas.map((r) => ({ target: r, sources: sourcesOf(guarded(r, r.state?.uuid)) })),
        ];
        for (const { target, sources } of targets)
            for (const source of sources) out.push({ target: target.name, kind: "database", port, source });
    }
    return out;
}

/** The (target, port) pairs reachable from the whole internet, as "target:port", sorted. */
export const internetFacing = (exposures: readonly Exposure[]): string[] =>
    [...new Set(exposures.filter((e) => e.source === INTERNET).map((e) => `${e.target}:${e.port}`))].sort();

// ---------------------------------------------------------------------------------------------------------
// The docs table (docs/guarantees.md).

export const EXPOSURE_STACKS: { label: string; config: Record<string, unknown> }[] = [
    ...[0, 1, 2, 3].map((tier) => ({ label: `tier ${tier}`, config: exampleConfig(tier) })),
    ...[2, 3].map((tier) => ({
        label: `tier ${tier}, haproxy`,
        config: { ...exampleConfig(tier), loadBalancer: { engine: "haproxy" } },
    })),
];

const NUMERIC_ORDER = new Intl.Collator("en", { numeric: true });

/**
 * "lb-0:80, lb-0:443, lb-1:80" → "lb-0, lb-1: 80, 443" (targets that expose the same ports together), in name order:
 * the order a run registers resources in depends on the SDK's timing, and the table must not.
 */
function grouped(exposures: readonly Exposure[], keep: (e: Exposure) => boolean, sourceShown = false): string {
    const byName = (x: Exposure, y: Exposure) =>
        NUMERIC_ORDER.compare(x.target, y.target) || x.source.localeCompare(y.source);
    const portsOf = new Map<string, Set<string>>();
    for (const e of exposures.filter(keep).sort(byName)) {
        const key = `${e.target.replace(/^webstack-/, "")}${sourceShown ? ` ← ${e.source.replace(/^tag:/, "tag ")}` : ""}`;
        if (!portsOf.has(key)) portsOf.set(key, new Set());
        portsOf.get(key)!.add(e.port);
    }
    const byPorts = new Map<string, string[]>();
    for (const [target, ports] of portsOf) {
        const p = [...ports].sort((a, b) => Number(a) - Number(b) || a.localeCompare(b)).join(", ");
        byPorts.set(p, [...(byPorts.get(p) ?? []), target]);
    }
    return (
        [...byPorts]
            .map(([ports, targets]) => `${targets.join(", ")}: ${ports === "all" ? "**every port**" : ports}`)
            .join("; ") || "—"
    );
}

export function exposureTable(
    stacks: readonly { label: string; exposures: Exposure[]; adminCidrs: readonly string[] }[],
): string {
    return [
        "| Stack | From the whole internet | From the admin CIDRs | Databases and cache accept |",
        "|---|---|---|---|",
        ...stacks.map(({ label, exposures, adminCidrs }) => {
            const internet = grouped(exposures, (e) => e.source === INTERNET);
            const admin = grouped(exposures, (e) => adminCidrs.includes(e.source));
            const data = grouped(exposures, (e) => e.kind === "database" && !e.target.includes("replica"), true);
            return `| ${label} | ${internet} | ${admin} | ${data} |`;
        }),
    ].join("\n");
}

/** The `exposure` block of docs/guarantees.md: each tier's default stack, run through the program in a child process. */
export async function exposureMarkdown(): Promise<string> {
    const captures = await captureInChild(EXPOSURE_STACKS.map((s) => ({ config: s.config })));
    return exposureBlock(
        EXPOSURE_STACKS.map((s, i) => {
            if (captures[i].error) throw new Error(`${s.label}: ${captures[i].error}`);
            return computeExposure(captures[i].resources as Captured[]);
        }),
    );
}

/** The `exposure` block from the exposures of EXPOSURE_STACKS, in order (test/guarantees/exposure.spec.ts computes them in-process). */
export function exposureBlock(exposures: readonly Exposure[][]): string {
    const stacks = EXPOSURE_STACKS.map((s, i) => {
        const adminCidrs = Array.isArray(s.config.adminCidrs) ? s.config.adminCidrs.map(String) : [];
        return { label: s.label, exposures: exposures[i], adminCidrs };
    });
    return `Computed by tools/docs/analysis/exposure.ts from the captured firewalls, load balancers, droplets and database firewalls (the admin CIDRs column: the stack's \`adminCidrs\`, 203.0.113.10/32 in these stacks; each read replica by its own database firewall).\n\n${exposureTable(stacks)}`;
}
