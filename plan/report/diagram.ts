// The architecture drawn from the captured resource graph, never by hand: users → DNS → load balancers →
// droplet pools → databases (primary, standby, replicas), cache, CDN and Spaces, inside VPC and firewall
// boundaries, with monitoring attached. One model, two renderings: Graphviz DOT (→ SVG through a WASM build)
// and Mermaid (GitHub renders it in PR comments).
import type { RecordedResource } from "../capture/recorder";

export type NodeKind = "users" | "dns" | "lb" | "droplets" | "autoscale" | "db" | "standby" | "replica" | "cache" | "bucket" | "cdn" | "monitoring";

export interface DiagramNode {
    id: string;
    kind: NodeKind;
    /** Lines of the label. */
    label: string[];
    /** Id of the innermost boundary holding the node; "" at the top level. */
    group: string;
}

export interface DiagramEdge {
    from: string;
    to: string;
    label: string;
    /** Dashed: replication, monitoring; solid: request traffic. */
    dashed: boolean;
}

export interface DiagramGroup {
    id: string;
    kind: "vpc" | "firewall" | "database-firewall" | "database-cluster";
    label: string;
    parent: string;
}

export interface Diagram {
    nodes: DiagramNode[];
    edges: DiagramEdge[];
    groups: DiagramGroup[];
}

const T = (name: string) => `digitalocean:index/${name}`;
const safeId = (text: string) => text.replace(/[^A-Za-z0-9]+/g, "_").replace(/^_+|_+$/g, "");
const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

/** Builds the diagram model from recorded resources (secrets unwrapped or not: only names, sizes and links are read). */
export function buildDiagram(resources: readonly RecordedResource[]): Diagram {
    const nodes: DiagramNode[] = [];
    const edges: DiagramEdge[] = [];
    const groups: DiagramGroup[] = [];
    const nodeOf = new Map<string, string>(); // resource URN → node id
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const byId = new Map<string, RecordedResource>();
    for (const r of resources) if (r.id) byId.set(r.id, r);
    const of = (type: string) => resources.filter((r) => r.type === type);
    const addNode = (n: DiagramNode) => {
        if (!nodes.some((x) => x.id === n.id)) nodes.push(n);
        return n;
    };
    const addEdge = (e: DiagramEdge) => {
        if (e.from === e.to) return;
        const same = edges.find((x) => x.from === e.from && x.to === e.to);
        if (!same) edges.push(e);
        else if (e.label && !same.label.split(", ").includes(e.label)) same.label = same.label ? `${same.label}, ${e.label}` : e.label;
    };

    // Boundaries: VPCs hold what is placed in them; firewalls hold the droplet pools they cover.
    const vpcOf = (r: RecordedResource): string => {
        for (const key of ["vpcUuid", "privateNetworkUuid"]) {
            const dep = (r.propertyDependencies[key] ?? []).find((u) => byUrn.get(u)?.type === T("vpc:Vpc"));
            if (dep) return `vpc_${safeId(byUrn.get(dep)!.name)}`;
            const vpc = byId.get(str(r.inputs[key]));
            if (vpc?.type === T("vpc:Vpc")) return `vpc_${safeId(vpc.name)}`;
        }
        return "";
    };
    for (const v of of(T("vpc:Vpc")))
        groups.push({ id: `vpc_${safeId(v.name)}`, kind: "vpc", label: `VPC ${v.name} ${str(v.inputs.ipRange)}`.trim(), parent: "" });

    // Droplet pools: droplets of one parent and role (name without its index) form one node.
    const pools = new Map<string, RecordedResource[]>();
    for (const d of of(T("droplet:Droplet"))) {
        const role = d.name.replace(/-\d+$/, "");
        const key = `${d.parent}|${role}`;
        pools.set(key, [...(pools.get(key) ?? []), d]);
    }
    const firewalls = of(T("firewall:Firewall"));
    const coveringFirewall = (d: RecordedResource): RecordedResource | undefined =>
        firewalls.find((fw) => {
            const tags = asArray(fw.inputs.tags).map(str);
            const ids = asArray(fw.inputs.dropletIds).map(str);
            return asArray(d.inputs.tags).some((t) => tags.includes(str(t))) || ids.includes(d.id);
        });
    for (const fw of firewalls) {
        const covered = of(T("droplet:Droplet")).find((d) => coveringFirewall(d) === fw);
        const parent = covered ? vpcOf(covered) : "";
        groups.push({ id: `fw_${safeId(fw.name)}`, kind: "firewall", label: `Cloud firewall ${fw.name}`, parent });
    }
    for (const [key, members] of pools) {
        const role = key.split("|")[1];
        const sizes = [...new Set(members.map((m) => str(m.inputs.size)))].join(", ");
        const fw = coveringFirewall(members[0]);
        const id = `droplets_${safeId(role)}`;
        addNode({ id, kind: "droplets", label: [`${role} × ${members.length}`, `droplet ${sizes}`], group: fw ? `fw_${safeId(fw.name)}` : vpcOf(members[0]) });
        for (const m of members) nodeOf.set(m.urn, id);
    }
    for (const a of of(T("dropletAutoscale:DropletAutoscale"))) {
        const cfg = (a.inputs.config ?? {}) as Record<string, unknown>;
        const tpl = (a.inputs.dropletTemplate ?? {}) as Record<string, unknown>;
        const id = `autoscale_${safeId(a.name)}`;
        addNode({ id, kind: "autoscale", label: [`${a.name}`, `autoscale ${str(cfg.minInstances)}–${str(cfg.maxInstances)} × ${str(tpl.size)}`], group: "" });
        nodeOf.set(a.urn, id);
    }

    // Load balancers.
    for (const lb of of(T("loadBalancer:LoadBalancer"))) {
        const id = `lb_${safeId(lb.name)}`;
        const internal = str(lb.inputs.network).toUpperCase() === "INTERNAL";
        const rules = asArray(lb.inputs.forwardingRules) as Record<string, unknown>[];
        const entries = [...new Set(rules.map((r) => `${str(r.entryProtocol).toUpperCase()} ${str(r.entryPort)}`))].join(", ");
        const nodesCount = str(lb.inputs.sizeUnit || 1);
        addNode({
            id,
            kind: "lb",
            label: [`${lb.name}`, `${internal ? "internal " : ""}load balancer × ${nodesCount} node${nodesCount === "1" ? "" : "s"}`, entries].filter(Boolean),
            group: internal ? vpcOf(lb) : "",
        });
        nodeOf.set(lb.urn, id);
    }

    // Databases and caches: a cluster box holds the primary and its standby nodes; replicas sit beside it.
    const dbFirewalls = of(T("databaseFirewall:DatabaseFirewall"));
    for (const db of of(T("databaseCluster:DatabaseCluster"))) {
        const engine = str(db.inputs.engine);
        const cache = engine === "valkey" || engine === "redis";
        const nodesCount = Number(db.inputs.nodeCount ?? 1);
        const fw = dbFirewalls.find((f) => (f.propertyDependencies.clusterId ?? []).includes(db.urn) || str(f.inputs.clusterId) === db.id);
        let parent = vpcOf(db);
        if (fw) {
            const fwId = `dbfw_${safeId(fw.name)}`;
            if (!groups.some((g) => g.id === fwId)) groups.push({ id: fwId, kind: "database-firewall", label: `Database firewall ${fw.name}`, parent });
            parent = fwId;
        }
        const clusterId = `cluster_${safeId(db.name)}`;
        groups.push({ id: clusterId, kind: "database-cluster", label: `${cache ? "Managed cache" : "Managed database"} ${db.name}`, parent });
        const primary = `${cache ? "cache" : "db"}_${safeId(db.name)}`;
        addNode({
            id: primary,
            kind: cache ? "cache" : "db",
            label: [`${engine} ${str(db.inputs.version)} primary`.replace(/\s+/g, " "), str(db.inputs.size)],
            group: clusterId,
        });
        nodeOf.set(db.urn, primary);
        if (nodesCount > 1) {
            const standby = `standby_${safeId(db.name)}`;
            addNode({ id: standby, kind: "standby", label: [`standby × ${nodesCount - 1}`, str(db.inputs.size)], group: clusterId });
            addEdge({ from: primary, to: standby, label: "failover", dashed: true });
        }
    }
    for (const rep of of(T("databaseReplica:DatabaseReplica"))) {
        const id = `replica_${safeId(rep.name)}`;
        addNode({ id, kind: "replica", label: [`${rep.name}`, `read replica ${str(rep.inputs.size)}`], group: vpcOf(rep) });
        nodeOf.set(rep.urn, id);
        const source = (rep.propertyDependencies.clusterId ?? []).map((u) => nodeOf.get(u)).find(Boolean);
        if (source) addEdge({ from: source, to: id, label: "replication", dashed: true });
    }

    // Spaces and CDN.
    for (const b of of(T("spacesBucket:SpacesBucket"))) {
        const id = `bucket_${safeId(b.name)}`;
        addNode({ id, kind: "bucket", label: [`${b.name}`, `Spaces bucket (${str(b.inputs.acl) || "private"})`], group: "" });
        nodeOf.set(b.urn, id);
    }
    for (const c of of(T("cdn:Cdn"))) {
        const id = `cdn_${safeId(c.name)}`;
        addNode({ id, kind: "cdn", label: [`${c.name}`, `CDN${c.inputs.customDomain ? ` ${str(c.inputs.customDomain)}` : ""}`], group: "" });
        nodeOf.set(c.urn, id);
        for (const u of c.propertyDependencies.origin ?? c.dependencies) {
            const target = nodeOf.get(u);
            if (target) addEdge({ from: id, to: target, label: "origin", dashed: false });
        }
    }

    // DNS: one node per domain, an edge per record to what it points at.
    const domains = of(T("domain:Domain"));
    const dnsNodeFor = (domain: string) => {
        const id = `dns_${safeId(domain)}`;
        addNode({ id, kind: "dns", label: ["DNS", domain], group: "" });
        return id;
    };
    for (const d of domains) nodeOf.set(d.urn, dnsNodeFor(str(d.inputs.name) || d.name));
    const records = of(T("dnsRecord:DnsRecord"));
    const ipOwners = new Map<string, string>();
    for (const r of resources) {
        for (const k of ["ip", "ipv4Address", "endpoint", "bucketDomainName"]) {
            if (typeof r.state[k] === "string" && nodeOf.has(r.urn)) ipOwners.set(r.state[k] as string, nodeOf.get(r.urn)!);
        }
    }
    const pointsAt = (rec: RecordedResource): string | undefined =>
        (rec.propertyDependencies.value ?? []).map((u) => nodeOf.get(u)).find(Boolean) ?? ipOwners.get(str(rec.inputs.value).replace(/\.$/, ""));
    for (const rec of records) {
        const target = pointsAt(rec);
        if (!target) continue;
        const domainDep = (rec.propertyDependencies.domain ?? []).map((u) => nodeOf.get(u)).find(Boolean);
        const from = domainDep ?? dnsNodeFor(str(rec.inputs.domain));
        addEdge({ from, to: target, label: `${str(rec.inputs.name)} ${str(rec.inputs.type)}`, dashed: false });
    }
    const entry = nodes.filter((n) => n.kind === "dns");
    const fallbackEntry = entry.length ? [] : nodes.filter((n) => n.kind === "lb" && !n.label.some((l) => l.startsWith("internal")));
    if (entry.length || fallbackEntry.length || nodes.length) {
        addNode({ id: "users", kind: "users", label: ["Users"], group: "" });
        for (const n of [...entry, ...fallbackEntry]) addEdge({ from: "users", to: n.id, label: "", dashed: false });
    }

    // A CDN nothing points at is still reached by users (its endpoint serves the static assets).
    for (const n of nodes.filter((x) => x.kind === "cdn")) {
        if (!edges.some((e) => e.to === n.id) && nodes.some((x) => x.id === "users"))
            addEdge({ from: "users", to: n.id, label: "static assets", dashed: false });
    }

    // Load balancers forward to the pools carrying their target tag (or listed by id).
    for (const lb of of(T("loadBalancer:LoadBalancer"))) {
        const tag = str(lb.inputs.dropletTag);
        const ids = asArray(lb.inputs.dropletIds).map(str);
        for (const d of of(T("droplet:Droplet"))) {
            if ((tag && asArray(d.inputs.tags).map(str).includes(tag)) || ids.includes(d.id))
                addEdge({ from: `lb_${safeId(lb.name)}`, to: nodeOf.get(d.urn)!, label: "", dashed: false });
        }
        for (const a of of(T("dropletAutoscale:DropletAutoscale"))) {
            const tags = asArray(((a.inputs.dropletTemplate ?? {}) as Record<string, unknown>).tags).map(str);
            if (tag && tags.includes(tag)) addEdge({ from: `lb_${safeId(lb.name)}`, to: nodeOf.get(a.urn)!, label: "", dashed: false });
        }
    }
    // Pools talk to what their inputs depend on (an internal LB, a database, a cache, a bucket).
    const dataPlane = new Set<NodeKind>(["lb", "db", "cache", "replica", "bucket", "cdn"]);
    for (const d of [...of(T("droplet:Droplet")), ...of(T("dropletAutoscale:DropletAutoscale"))]) {
        for (const u of d.dependencies) {
            const target = nodeOf.get(u);
            const kind = nodes.find((n) => n.id === target)?.kind;
            if (target && kind && dataPlane.has(kind)) addEdge({ from: nodeOf.get(d.urn)!, to: target, label: "", dashed: false });
        }
    }
    // Database firewalls admit pools by tag or droplet: those pools are the database's clients.
    for (const fw of dbFirewalls) {
        const cluster = (fw.propertyDependencies.clusterId ?? []).map((u) => nodeOf.get(u)).find(Boolean);
        if (!cluster) continue;
        for (const rule of asArray(fw.inputs.rules) as Record<string, unknown>[]) {
            for (const d of of(T("droplet:Droplet"))) {
                const match =
                    (rule.type === "tag" && asArray(d.inputs.tags).map(str).includes(str(rule.value))) || (rule.type === "droplet" && str(rule.value) === d.id);
                if (match) addEdge({ from: nodeOf.get(d.urn)!, to: cluster, label: "", dashed: false });
            }
        }
    }

    // Monitoring: one node, dashed edges to what alert policies and uptime checks watch.
    const alerts = of(T("monitorAlert:MonitorAlert"));
    const checks = of(T("uptimeCheck:UptimeCheck"));
    const uptimeAlerts = of(T("uptimeAlert:UptimeAlert"));
    if (alerts.length || checks.length) {
        const label = ["Monitoring"];
        if (alerts.length) label.push(`${alerts.length} alert polic${alerts.length === 1 ? "y" : "ies"}`);
        if (checks.length)
            label.push(`${checks.length} uptime check${checks.length === 1 ? "" : "s"}, ${uptimeAlerts.length} alert${uptimeAlerts.length === 1 ? "" : "s"}`);
        addNode({ id: "monitoring", kind: "monitoring", label, group: "" });
        for (const a of alerts) {
            const tags = asArray(a.inputs.tags).map(str);
            const entities = asArray(a.inputs.entities).map(str);
            for (const r of resources) {
                const target = nodeOf.get(r.urn);
                if (!target) continue;
                const tagged =
                    tags.length > 0 &&
                    asArray(r.inputs.tags)
                        .map(str)
                        .some((t) => tags.includes(t));
                if (tagged || entities.includes(r.id) || (a.propertyDependencies.entities ?? []).includes(r.urn))
                    addEdge({ from: "monitoring", to: target, label: "", dashed: true });
            }
        }
        for (const c of checks) {
            const host = str(c.inputs.target)
                .replace(/^[a-z]+:\/\//, "")
                .split(/[/:]/)[0];
            const dns = nodes.find((n) => n.kind === "dns" && (host === n.label[1] || host.endsWith(`.${n.label[1]}`)));
            const target = dns?.id ?? ipOwners.get(host);
            if (target) addEdge({ from: "monitoring", to: target, label: "uptime", dashed: true });
        }
    }
    // Boundaries that hold nothing (a firewall covering no droplet) are not drawn.
    const holds = (id: string): boolean => nodes.some((n) => n.group === id) || groups.some((g) => g.parent === id && holds(g.id));
    return { nodes, edges, groups: groups.filter((g) => holds(g.id)) };
}

// ---------------------------------------------------------------------------------------------------------
// Renderers.

const DOT_STYLE: Record<NodeKind, string> = {
    users: 'shape=oval, fillcolor="#ffffff"',
    dns: 'shape=box, fillcolor="#e8f0fe"',
    lb: 'shape=box, fillcolor="#d2e3fc"',
    droplets: 'shape=box3d, fillcolor="#e6f4ea"',
    autoscale: 'shape=box3d, fillcolor="#e6f4ea"',
    db: 'shape=cylinder, fillcolor="#fce8e6"',
    standby: 'shape=cylinder, fillcolor="#fef7e0"',
    replica: 'shape=cylinder, fillcolor="#f3e8fd"',
    cache: 'shape=cylinder, fillcolor="#fff0e0"',
    bucket: 'shape=folder, fillcolor="#f1f3f4"',
    cdn: 'shape=box, fillcolor="#f1f3f4"',
    monitoring: 'shape=hexagon, fillcolor="#fff8e1"',
};
const GROUP_STYLE: Record<DiagramGroup["kind"], string> = {
    vpc: 'style="rounded,dashed"; color="#5f6368"',
    firewall: 'style="rounded,bold"; color="#d93025"',
    "database-firewall": 'style="rounded,bold"; color="#d93025"',
    "database-cluster": 'style="rounded"; color="#a142f4"',
};

const dotText = (s: string) => s.replace(/\\/g, "\\\\").replace(/"/g, '\\"');

function childrenOf(d: Diagram, parent: string) {
    return { groups: d.groups.filter((g) => g.parent === parent), nodes: d.nodes.filter((n) => n.group === parent) };
}

/** Graphviz DOT, left to right in the direction requests flow. */
export function toDot(d: Diagram, title: string): string {
    const lines = [
        "digraph webstack {",
        `  graph [rankdir=LR, fontname="Helvetica", fontsize=12, label="${dotText(title)}", labelloc=t, nodesep=0.4, ranksep=0.7];`,
        '  node [fontname="Helvetica", fontsize=11, style="filled,rounded", penwidth=1, margin="0.25,0.08"];',
        '  edge [fontname="Helvetica", fontsize=9, color="#5f6368"];',
    ];
    const emit = (parent: string, indent: string) => {
        const { groups, nodes } = childrenOf(d, parent);
        for (const n of nodes) lines.push(`${indent}${n.id} [label="${n.label.map(dotText).join("\\n")}", ${DOT_STYLE[n.kind]}];`);
        for (const g of groups) {
            lines.push(`${indent}subgraph cluster_${g.id} {`, `${indent}  label="${dotText(g.label)}"; ${GROUP_STYLE[g.kind]};`);
            emit(g.id, `${indent}  `);
            lines.push(`${indent}}`);
        }
    };
    emit("", "  ");
    for (const e of d.edges) {
        const attrs = [e.label ? `label="${dotText(e.label)}"` : "", e.dashed ? "style=dashed" : "", e.from === "monitoring" ? "constraint=false" : ""].filter(
            Boolean,
        );
        lines.push(`  ${e.from} -> ${e.to}${attrs.length ? ` [${attrs.join(", ")}]` : ""};`);
    }
    lines.push("}");
    return lines.join("\n") + "\n";
}

const MERMAID_SHAPE: Record<NodeKind, [string, string]> = {
    users: ["([", "])"],
    dns: ["[", "]"],
    lb: ["[", "]"],
    droplets: ["[", "]"],
    autoscale: ["[", "]"],
    db: ["[(", ")]"],
    standby: ["[(", ")]"],
    replica: ["[(", ")]"],
    cache: ["[(", ")]"],
    bucket: ["[", "]"],
    cdn: ["[", "]"],
    monitoring: ["{{", "}}"],
};
const mermaidText = (s: string) => s.replace(/"/g, "#quot;");

/** Mermaid flowchart text, as GitHub renders it in a ```mermaid block. */
export function toMermaid(d: Diagram): string {
    const lines = ["flowchart LR"];
    const emit = (parent: string, indent: string) => {
        const { groups, nodes } = childrenOf(d, parent);
        for (const n of nodes) {
            const [open, close] = MERMAID_SHAPE[n.kind];
            lines.push(`${indent}${n.id}${open}"${n.label.map(mermaidText).join("<br/>")}"${close}`);
        }
        for (const g of groups) {
            lines.push(`${indent}subgraph ${g.id}["${mermaidText(g.label)}"]`);
            emit(g.id, `${indent}  `);
            lines.push(`${indent}end`);
        }
    };
    emit("", "  ");
    for (const e of d.edges) {
        const arrow = e.dashed ? (e.label ? `-. "${mermaidText(e.label)}" .->` : "-.->") : e.label ? `-->|"${mermaidText(e.label)}"|` : "-->";
        lines.push(`  ${e.from} ${arrow} ${e.to}`);
    }
    return lines.join("\n") + "\n";
}

let graphviz: Promise<{ dot(src: string): string }> | undefined;

/** Starts loading the Graphviz WASM build (~0.2 s); call early so it overlaps other work. */
export function preloadGraphviz(): Promise<{ dot(src: string): string }> {
    graphviz ??= (require("@hpcc-js/wasm-graphviz") as typeof import("@hpcc-js/wasm-graphviz")).Graphviz.load();
    return graphviz;
}

/** Renders DOT to SVG in-process (no system Graphviz). */
export async function renderSvg(dot: string): Promise<string> {
    return (await preloadGraphviz()).dot(dot);
}
