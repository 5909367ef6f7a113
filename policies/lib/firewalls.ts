// What the stack's cloud firewalls let through to a droplet or an autoscale pool's droplets. DigitalOcean applies
// every firewall that covers a droplet (by dropletIds or by a tag the droplet carries) and admits a packet when any
// inbound rule of any of them does; a droplet no firewall covers admits everything
// (docs.digitalocean.com/products/networking/firewalls/how-to/configure-rules/).
import { digitalocean } from "./digitalocean";
import type { PolicyResource } from "@pulumi/policy";
import { isPrivateAddress, isWorldCidr, parsePortRange } from "./net";
import { StackIndex } from "./stack";
import { isUnknown, read, readList, readString, readStrings } from "./unknowns";

interface Rule {
    protocol: string | undefined;
    /** Inclusive port range; undefined means every port ("all", "0" or no range). */
    range: [number, number] | undefined;
    /** Load balancers the rule names in sourceLoadBalancerUids (or, unknown in preview, depends on). */
    loadBalancers: Set<string>;
    /** Whether the rule admits the whole internet, or a private (VPC) range a load balancer's traffic comes from. */
    world: boolean;
    privateRange: boolean;
    unknown: boolean;
}

interface FirewallView {
    name: string;
    ids: Set<string>;
    tags: Set<string>;
    rules: Rule[];
    unknown: boolean;
}

function firewalls(stack: StackIndex): FirewallView[] {
    return stack.memo("firewallViews", () =>
        stack.of(digitalocean.Firewall).map((fw) => {
            const rules = readList(fw.props, "inboundRules");
            const lbDeps = (fw.propertyDependencies?.inboundRules ?? []).filter((d) =>
                d.isType(digitalocean.LoadBalancer),
            );
            const ids = stack.resolve(fw, "dropletIds", [digitalocean.Droplet]);
            const tags = stack.tagNames(fw, "tags");
            return {
                name: fw.name,
                ids: new Set(ids.targets.map((d) => d.urn)),
                tags: new Set(tags.names),
                unknown: rules.unknown || ids.undecided || tags.undecided,
                rules: rules.values.map((r): Rule => {
                    const protocol = readString(r, "protocol");
                    const portRange = readString(r, "portRange");
                    const sources = readStrings(r, "sourceAddresses");
                    const uids = readStrings(r, "sourceLoadBalancerUids");
                    const named = stack.resolve(fw, "inboundRules", [digitalocean.LoadBalancer], uids);
                    const range = typeof portRange === "string" ? portRange.trim().toLowerCase() : "";
                    return {
                        protocol: typeof protocol === "string" ? protocol.toLowerCase() : undefined,
                        range: range === "" || range === "all" || range === "0" ? undefined : parsePortRange(range),
                        loadBalancers: new Set([...named.targets, ...(uids.unknown ? lbDeps : [])].map((lb) => lb.urn)),
                        world: sources.values.some(isWorldCidr),
                        privateRange: sources.values.some((a) => isPrivateAddress(a.split("/")[0])),
                        unknown: isUnknown(protocol) || isUnknown(portRange) || sources.unknown || uids.unknown,
                    };
                }),
            };
        }),
    );
}

/** A port a load balancer must reach on its backends: a forwarding rule's target, or its health check. */
export interface BackendPort {
    protocol: "tcp" | "udp";
    port: number;
}

/**
 * The ports a load balancer connects to on its backends: each forwarding rule's targetPort and the health check's
 * port (DigitalOcean's default health check is http on port 80: digitalocean/openapi@7c1300c
 * specification/resources/load_balancers/models/health_check.yml). Undefined when a port is not known yet.
 */
export function backendPorts(lb: PolicyResource): BackendPort[] | undefined {
    const rules = readList(lb.props, "forwardingRules");
    if (rules.unknown) return undefined;
    const ports: BackendPort[] = [];
    for (const rule of rules.values) {
        const port = read(rule, "targetPort");
        const protocol = readString(rule, "targetProtocol");
        if (isUnknown(port) || isUnknown(protocol)) return undefined;
        if (typeof port === "number") ports.push({ protocol: protocol === "udp" ? "udp" : "tcp", port });
    }
    const check = read(lb.props, "healthcheck");
    if (isUnknown(check)) return undefined;
    const checkPort = check === undefined || check === null ? 80 : read(check, "port");
    if (isUnknown(checkPort)) return undefined;
    if (typeof checkPort === "number") ports.push({ protocol: "tcp", port: checkPort });
    return ports.filter((p, i) => ports.findIndex((q) => q.protocol === p.protocol && q.port === p.port) === i);
}

/**
 * Whether the cloud firewalls covering a droplet (or an autoscale pool's droplets, by its template's tags) admit a
 * load balancer on every port: true, false, or "undecided" when a covering firewall is not known yet. A rule admits
 * it when it names the load balancer in sourceLoadBalancerUids, or admits the whole internet or a private range (the
 * VPC addresses load balancer traffic arrives from).
 */
export function admitsLoadBalancer(
    stack: StackIndex,
    backend: PolicyResource,
    lb: PolicyResource,
    ports: readonly BackendPort[],
): { admitted: boolean | "undecided"; closed: BackendPort[] } {
    const pool = backend.isType(digitalocean.DropletAutoscale);
    const tags = pool ? stack.templateTags(backend).names : stack.tagNames(backend, "tags").names;
    const covering = firewalls(stack).filter((fw) => fw.ids.has(backend.urn) || tags.some((t) => fw.tags.has(t)));
    if (covering.length === 0) return { admitted: true, closed: [] };
    const closed = ports.filter(
        (p) =>
            !covering.some((fw) =>
                fw.rules.some(
                    (r) =>
                        (r.protocol === p.protocol || r.protocol === undefined) &&
                        (r.range === undefined || (r.range[0] <= p.port && p.port <= r.range[1])) &&
                        (r.loadBalancers.has(lb.urn) || r.world || r.privateRange),
                ),
            ),
    );
    if (closed.length === 0) return { admitted: true, closed };
    const unknown = covering.some((fw) => fw.unknown || fw.rules.some((r) => r.unknown));
    return { admitted: unknown ? "undecided" : false, closed };
}
