// What the stack exposes to the public: DNS address records and what they point at, external load
// balancers, and self-managed load balancer droplets. Shared by the SPOF, TLS and monitoring families.
import * as digitalocean from "@pulumi/digitalocean";
import type { PolicyResource } from "@pulumi/policy";
import { configuresHaproxy, haproxyServers, haproxyTlsGaps } from "./haproxy";
import { proxyBalancerIn } from "./proxies";
import { StackIndex } from "./stack";
import { isPrivateAddress, isWorldCidr } from "./net";
import { isUnknown, read, readList, readString } from "./unknowns";
import { installsHaproxy } from "./userData";

export type TargetKind = "droplet" | "loadBalancer" | "elsewhere" | "undecided";

export interface AddressRecord {
    record: PolicyResource;
    /** "A" or "AAAA". */
    type: string;
    /** "www.example.com", "example.com", or the record name when its domain is unknown. */
    fqdn: string;
    /** The record's value, or "(unknown)" during preview. */
    value: string;
    kind: TargetKind;
    target?: PolicyResource;
    /** For a droplet target: whether the record holds a reserved (floating) IP assigned to it or the droplet's own address. */
    via?: "reservedIp" | "dropletAddress";
}

/** True when `ip` is one of the droplet's own addresses (not a reserved IP assigned to it). */
function ownAddress(droplet: PolicyResource, ip: string): boolean {
    return ["ipv4Address", "ipv6Address", "ipv4AddressPrivate"].some((key) => readString(droplet.props, key) === ip);
}

/** The zone a record belongs to: its `domain`, or the Domain resource it depends on when unknown. */
function domainOf(record: PolicyResource): string | undefined {
    const domain = readString(record.props, "domain");
    if (typeof domain === "string") return domain.toLowerCase().replace(/\.$/, "");
    const dep = (record.propertyDependencies?.domain ?? []).find((d) => d.isType(digitalocean.Domain));
    const name = dep ? readString(dep.props, "name") : undefined;
    return typeof name === "string" ? name.toLowerCase() : undefined;
}

/** The record's fully qualified name. */
export function fqdnOf(record: PolicyResource): string {
    const name = readString(record.props, "name");
    const domain = domainOf(record);
    const label = typeof name === "string" ? name : "(unknown name)";
    if (!domain) return label;
    if (label === "@" || label === "") return domain;
    return label.endsWith(`.${domain}`) || label === domain ? label : `${label}.${domain}`;
}

/** The assignment resources that attach a reserved (or floating) IP to a droplet. */
function assignmentsOf(stack: StackIndex, ip: PolicyResource): PolicyResource[] {
    const address = readString(ip.props, "ipAddress");
    return [...stack.of(digitalocean.ReservedIpAssignment), ...stack.of(digitalocean.FloatingIpAssignment)].filter(
        (a) =>
            (a.propertyDependencies?.ipAddress ?? []).some((d) => d.urn === ip.urn) ||
            (typeof address === "string" && readString(a.props, "ipAddress") === address),
    );
}

/** URNs of the droplets a load balancer targets, by tag or by id. */
function loadBalancedDroplets(stack: StackIndex): Set<string> {
    const tags = new Set<string>();
    const urns = new Set<string>();
    for (const lb of stack.of(digitalocean.LoadBalancer)) {
        for (const t of stack.tagNames(lb, "dropletTag").names) tags.add(t);
        for (const d of stack.resolve(lb, "dropletIds", [digitalocean.Droplet]).targets) urns.add(d.urn);
    }
    for (const d of stack.of(digitalocean.Droplet))
        if (stack.tagNames(d, "tags").names.some((t) => tags.has(t))) urns.add(d.urn);
    return urns;
}

/** URNs of the droplets some cloud firewall covers and none opens to the world on a port other than SSH. */
function worldClosedDroplets(stack: StackIndex): Set<string> {
    const firewalls = stack.of(digitalocean.Firewall).map((fw) => {
        const rules = readList(fw.props, "inboundRules");
        const open =
            rules.unknown ||
            rules.values.some((r) => {
                const sources = readList(r, "sourceAddresses");
                return (
                    sources.unknown ||
                    (readString(r, "portRange") !== "22" &&
                        sources.values.some((a) => typeof a === "string" && isWorldCidr(a)))
                );
            });
        return {
            tags: new Set(stack.tagNames(fw, "tags").names),
            ids: new Set(stack.resolve(fw, "dropletIds", [digitalocean.Droplet]).targets.map((d) => d.urn)),
            open,
        };
    });
    const closed = new Set<string>();
    for (const d of stack.of(digitalocean.Droplet)) {
        const tags = stack.tagNames(d, "tags").names;
        const covering = firewalls.filter((fw) => fw.ids.has(d.urn) || tags.some((t) => fw.tags.has(t)));
        if (covering.length > 0 && covering.every((fw) => !fw.open)) closed.add(d.urn);
    }
    return closed;
}

/** A and AAAA records and what they point at. */
export function addressRecords(stack: StackIndex): AddressRecord[] {
    const result: AddressRecord[] = [];
    // Droplets the public cannot reach on their own: a load balancer fronts them, or their firewalls admit no world traffic.
    const internal = new Set([...loadBalancedDroplets(stack), ...worldClosedDroplets(stack)]);
    for (const record of stack.of(digitalocean.DnsRecord)) {
        const type = readString(record.props, "type");
        const fqdn = fqdnOf(record);
        if (isUnknown(type)) {
            result.push({ record, type: "(unknown type)", fqdn, value: "(unknown)", kind: "undecided" });
            continue;
        }
        if (typeof type !== "string" || !["A", "AAAA"].includes(type.toUpperCase())) continue;
        const value = readString(record.props, "value");
        // A VPC (RFC 1918) or unique-local address is reachable only inside the private network: such a record is
        // service discovery (e.g. Prometheus dns_sd_configs), not an entry point the public uses.
        if (typeof value === "string" && isPrivateAddress(value)) continue;
        if (typeof value === "string") {
            const target = stack.resourceAtIp(value);
            if (target && target.isType(digitalocean.LoadBalancer)) {
                result.push({ record, type: type.toUpperCase(), fqdn, value, kind: "loadBalancer", target });
                continue;
            }
            if (target && target.isType(digitalocean.Droplet)) {
                result.push({
                    record,
                    type: type.toUpperCase(),
                    fqdn,
                    value,
                    kind: "droplet",
                    target,
                    via: ownAddress(target, value) ? "dropletAddress" : "reservedIp",
                });
                continue;
            }
        }
        // Unknown value, or an IP this stack's outputs do not show: ask the engine what the value came from.
        let viaReservedIp = false;
        const deps = (record.propertyDependencies?.value ?? []).flatMap((d): PolicyResource[] => {
            if (d.isType(digitalocean.Droplet) || d.isType(digitalocean.LoadBalancer)) return [d];
            if (
                d.isType(digitalocean.ReservedIp) ||
                d.isType(digitalocean.ReservedIpAssignment) ||
                d.isType(digitalocean.FloatingIp)
            ) {
                viaReservedIp = true;
                const direct = stack.resolve(d, "dropletId", [digitalocean.Droplet]).targets;
                if (direct.length > 0 || d.isType(digitalocean.ReservedIpAssignment)) return direct;
                // A reserved IP assigned by a separate ReservedIpAssignment (or FloatingIpAssignment).
                return assignmentsOf(stack, d).flatMap(
                    (a) => stack.resolve(a, "dropletId", [digitalocean.Droplet]).targets,
                );
            }
            return [];
        });
        const droplets = deps.filter((d) => d.isType(digitalocean.Droplet));
        const lbs = deps.filter((d) => d.isType(digitalocean.LoadBalancer));
        const shown = typeof value === "string" ? value : "(unknown)";
        // In preview a record at such a droplet may hold its private address (discovery) or its public one (a
        // bypass of the load balancer): only the known value tells.
        if (isUnknown(value) && droplets.length > 0 && lbs.length === 0 && droplets.every((d) => internal.has(d.urn))) {
            result.push({ record, type: type.toUpperCase(), fqdn, value: "(unknown)", kind: "undecided" });
        } else if (droplets.length > 0 && lbs.length === 0)
            result.push({
                record,
                type: type.toUpperCase(),
                fqdn,
                value: shown,
                kind: "droplet",
                target: droplets[0],
                via: viaReservedIp ? "reservedIp" : "dropletAddress",
            });
        else if (lbs.length > 0 && droplets.length === 0)
            result.push({ record, type: type.toUpperCase(), fqdn, value: shown, kind: "loadBalancer", target: lbs[0] });
        else if (isUnknown(value) || deps.length > 0)
            result.push({ record, type: type.toUpperCase(), fqdn, value: shown, kind: "undecided" });
        else result.push({ record, type: type.toUpperCase(), fqdn, value: shown, kind: "elsewhere" });
    }
    return result;
}

/** Droplets that DNS address records send the public to, each with the names pointing at it (in record order). */
export function dropletsBehindDns(records: readonly AddressRecord[]): { droplet: PolicyResource; names: string[] }[] {
    const byUrn = new Map<string, { droplet: PolicyResource; names: string[] }>();
    for (const record of records) {
        if (record.kind !== "droplet" || !record.target) continue;
        const entry = byUrn.get(record.target.urn) ?? { droplet: record.target, names: [] };
        if (!entry.names.includes(record.fqdn)) entry.names.push(record.fqdn);
        byUrn.set(record.target.urn, entry);
    }
    return [...byUrn.values()];
}

/** True for a load balancer that faces the internet (network EXTERNAL, DigitalOcean's default); undefined when unknown. */
export function isExternal(lb: PolicyResource): boolean | undefined {
    const network = readString(lb.props, "network");
    if (isUnknown(network)) return undefined;
    return !(typeof network === "string" && network.toUpperCase() === "INTERNAL");
}

/** Managed load balancers known to face the internet. */
export function externalLoadBalancers(stack: StackIndex): PolicyResource[] {
    return stack.of(digitalocean.LoadBalancer).filter((lb) => isExternal(lb) === true);
}

/** Load balancers whose network (EXTERNAL or INTERNAL) is not known yet. */
export function loadBalancersOfUnknownNetwork(stack: StackIndex): PolicyResource[] {
    return stack.of(digitalocean.LoadBalancer).filter((lb) => isExternal(lb) === undefined);
}

/** Droplets whose user data installs HAProxy: self-managed load balancers, one machine each. */
export function haproxyDroplets(stack: StackIndex): PolicyResource[] {
    return stack.of(digitalocean.Droplet).filter((d) => {
        const userData = readString(d.props, "userData");
        return typeof userData === "string" && installsHaproxy(userData);
    });
}

/** Whether a droplet is an HAProxy load balancer: its user data installs HAProxy and configures a frontend. */
export function isHaproxyBalancer(droplet: PolicyResource): boolean | "undecided" {
    const userData = readString(droplet.props, "userData");
    if (isUnknown(userData)) return "undecided";
    return typeof userData === "string" && configuresHaproxy(userData);
}

/** A self-run load balancer on a droplet: the software, the backends it lists, what its TLS set-up lacks. */
export interface BalancerConfig {
    software: "HAProxy" | "nginx" | "Caddy" | "Traefik";
    /** Where the backends are listed, for messages. */
    config: string;
    servers: string[];
    tlsGaps(httpsPort: number): ("no-tls-listener" | "no-redirect")[];
}

/** The load balancer a droplet's user data configures (HAProxy, or nginx, Caddy or Traefik over two or more backends). */
export function balancerOf(droplet: PolicyResource): BalancerConfig | undefined | "undecided" {
    const userData = readString(droplet.props, "userData");
    if (isUnknown(userData)) return "undecided";
    if (typeof userData !== "string") return undefined;
    if (configuresHaproxy(userData))
        return {
            software: "HAProxy",
            config: "haproxy.cfg",
            servers: haproxyServers(userData),
            tlsGaps: (port) => haproxyTlsGaps(userData, port),
        };
    const proxy = proxyBalancerIn(userData);
    return proxy
        ? {
              software: proxy.software,
              config: `${proxy.software} configuration`,
              servers: proxy.servers,
              tlsGaps: () => proxy.tlsGaps,
          }
        : undefined;
}

/** Whether a droplet is a self-run load balancer (see balancerOf). */
export function isSelfManagedBalancer(droplet: PolicyResource): boolean | "undecided" {
    const found = balancerOf(droplet);
    return found === "undecided" ? found : found !== undefined;
}

/** The public entry when the stack balances load on its own droplets (loadBalancer.engine: haproxy and the like). */
export interface SelfManagedEntry {
    /** HAProxy droplets the public reaches, each with the DNS names pointing at it. */
    balancers: { droplet: PolicyResource; names: string[] }[];
    /** Other droplets DNS points at, whose user data is known and configures no HAProxy. */
    plain: { droplet: PolicyResource; names: string[] }[];
    /** Droplets DNS points at whose user data is not known yet. */
    undecided: { droplet: PolicyResource; names: string[] }[];
}

/**
 * Self-managed load balancers: the HAProxy droplets DNS points at. A stack whose DNS points at no droplet
 * (its records live elsewhere) counts every public HAProxy droplet, since the public can only be meant to reach those.
 */
export function selfManagedEntry(
    stack: StackIndex,
    records: readonly AddressRecord[] = addressRecords(stack),
): SelfManagedEntry {
    const entry: SelfManagedEntry = { balancers: [], plain: [], undecided: [] };
    const behindDns = dropletsBehindDns(records);
    // nginx, Caddy and Traefik also run as plain web servers in front of an app pool, so a droplet running them is a
    // self-run balancer only when it receives the public traffic: DNS points at it or a reserved IP is assigned to
    // it. HAProxy is installed for nothing else, so without DNS every public HAProxy droplet counts.
    const reserved = new Set(
        [
            digitalocean.ReservedIpAssignment,
            digitalocean.FloatingIpAssignment,
            digitalocean.ReservedIp,
            digitalocean.FloatingIp,
        ].flatMap((cls) =>
            stack
                .of(cls)
                .flatMap((r) => stack.resolve(r, "dropletId", [digitalocean.Droplet]).targets.map((d) => d.urn)),
        ),
    );
    const candidates =
        behindDns.length > 0
            ? behindDns
            : stack
                  .of(digitalocean.Droplet)
                  .filter(
                      (d) =>
                          read(d.props, "publicNetworking") !== false &&
                          (reserved.has(d.urn) ? isSelfManagedBalancer(d) !== false : isHaproxyBalancer(d) !== false),
                  )
                  .map((droplet) => ({ droplet, names: [] }));
    for (const c of candidates) {
        const kind = isSelfManagedBalancer(c.droplet);
        (kind === "undecided" ? entry.undecided : kind ? entry.balancers : entry.plain).push(c);
    }
    return entry;
}

/** A droplet's label for messages: `droplet "web-0"`, noting a self-managed HAProxy. */
export function describeDroplet(droplet: PolicyResource): string {
    const userData = readString(droplet.props, "userData");
    const haproxy = typeof userData === "string" && installsHaproxy(userData);
    if (haproxy) return `droplet "${droplet.name}" (a self-managed HAProxy on one machine)`;
    const balancer = balancerOf(droplet);
    return typeof balancer === "object"
        ? `droplet "${droplet.name}" (a self-managed ${balancer.software} load balancer on one machine)`
        : `droplet "${droplet.name}"`;
}
