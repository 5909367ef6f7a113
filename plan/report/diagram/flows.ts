// Flows a cloud firewall admits between droplet pools by tag or droplet id (a monitor scraping exporters, agents
// pushing to it): drawn dashed with their ports, since no user's request takes them. Kept beside model.ts, which
// draws the request path.
import type { RecordedResource } from "../../capture/recorder";
import { doType } from "../../capture/doTypes";

/** An edge as model.ts draws it (its FlowEdge). */
interface FlowEdge {
    from: string;
    to: string;
    label: string;
    dashed: boolean;
}

/** What the flows read of the diagram under construction. */
export interface FlowSource {
    readonly resources: readonly RecordedResource[];
    readonly firewalls: readonly RecordedResource[];
    readonly nodeOf: ReadonlyMap<string, string>;
    readonly edges: FlowEdge[];
    addEdge(e: FlowEdge): void;
}

export const asArray = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const str = (v: unknown): string => (v === undefined || v === null ? "" : String(v));

/** A droplet's tags, or an autoscale pool's template tags. */
function tagsOf(r: RecordedResource): string[] {
    const template = (r.inputs.dropletTemplate ?? {}) as Record<string, unknown>;
    return asArray(r.type === doType("dropletAutoscale:DropletAutoscale") ? template.tags : r.inputs.tags).map(str);
}

/** Adds a dashed edge, labelled with the protocol and ports, for each tag-sourced inbound rule between two pools. */
export function firewallFlows(b: FlowSource): void {
    const pools = b.resources.filter(
        (r) =>
            (r.type === doType("droplet:Droplet") || r.type === doType("dropletAutoscale:DropletAutoscale")) &&
            b.nodeOf.has(r.urn),
    );
    for (const fw of b.firewalls) {
        const covered = asArray(fw.inputs.tags).map(str);
        const ids = asArray(fw.inputs.dropletIds).map(str);
        const targets = pools.filter((p) => tagsOf(p).some((t) => covered.includes(t)) || ids.includes(p.id));
        for (const rule of asArray(fw.inputs.inboundRules) as Record<string, unknown>[]) {
            const sourceTags = asArray(rule.sourceTags).map(str);
            const sourceIds = asArray(rule.sourceDropletIds).map(str);
            const sources = pools.filter(
                (p) => tagsOf(p).some((t) => sourceTags.includes(t)) || sourceIds.includes(p.id),
            );
            for (const from of new Set(sources.map((p) => b.nodeOf.get(p.urn)!))) {
                for (const to of new Set(targets.map((p) => b.nodeOf.get(p.urn)!))) {
                    // A request flow already drawn stays as it is; from a pool public DNS names (self-run balancers
                    // such as HAProxy droplets) the admitted flow is the request path itself: solid, like a load
                    // balancer's.
                    if (b.edges.some((e) => e.from === from && e.to === to && !e.dashed)) continue;
                    const entry = b.edges.some((e) => e.to === from && !e.dashed && e.from.startsWith("dns_"));
                    b.addEdge({
                        from,
                        to,
                        label: entry ? "" : `${str(rule.protocol) || "tcp"} ${str(rule.portRange)}`.trim(),
                        dashed: !entry,
                    });
                }
            }
        }
    }
}

/** Reserved IPs belong to the droplet they are assigned to: DNS records at them point at that droplet's pool. */
export function reservedIpOwners(b: FlowSource & { readonly ipOwners: Map<string, string> }): void {
    for (const a of b.resources.filter((r) => r.type === doType("reservedIpAssignment:ReservedIpAssignment"))) {
        const droplet = b.resources.find(
            (r) => r.type === doType("droplet:Droplet") && r.id !== "" && r.id === str(a.inputs.dropletId),
        );
        const node = droplet && b.nodeOf.get(droplet.urn);
        if (node) b.ipOwners.set(str(a.inputs.ipAddress), node);
    }
}
