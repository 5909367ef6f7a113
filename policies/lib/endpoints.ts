// What the stack exposes to the public: DNS address records and what they point at, external load
// balancers, and self-managed load balancer droplets. Shared by the SPOF, TLS and monitoring families.
import { digitalocean } from "./digitalocean";
import type { PolicyResource } from "@pulumi/policy";
import {
    type ServerTemplate,
    configuresHaproxy,
    haproxyServerTemplates,
    haproxyServers,
    haproxyTlsGaps,
} from "./haproxy";
import { proxyBalancerIn } from "./proxies";
import { StackIndex } from "./stack";
import { isNarrowSource, isPrivateAddress, isWorldCidr, parsePortRange, portRangeIncludes } from "./net";
import { type Unknown, decideLater, isUnknown, read, readList, readString } from "./unknowns";
import { installsHaproxy, takesOverReservedIp, webServerIn } from "./userData";
import { nameList } from "./messages";
import { dropletUserData } from "./stateUserData";

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
    // A reserved IPv6 and its assignment name the address `ip`; the IPv4 ones `ipAddress`.
    const key = ip.isType(digitalocean.ReservedIpv6) ? "ip" : "ipAddress";
    const address = readString(ip.props, key);
    const assignments = ip.isType(digitalocean.ReservedIpv6)
        ? stack.of(digitalocean.ReservedIpv6Assignment)
        : [...stack.of(digitalocean.ReservedIpAssignment), ...stack.of(digitalocean.FloatingIpAssignment)];
    return assignments.filter(
        (a) =>
            (a.propertyDependencies?.[key] ?? []).some((d) => d.urn === ip.urn) ||
            (typeof address === "string" && readString(a.props, key) === address),
    );
}

/** URNs of the droplets a load balancer targets, by tag or by id. */
function loadBalancedDroplets(stack: StackIndex): Set<string> {
    return stack.memo("loadBalancedDroplets", () => targetedBy(stack).droplets);
}

/** What the stack's load balancers target: droplet URNs (by dropletIds or dropletTag) and tag names. */
function targetedBy(stack: StackIndex): { droplets: Set<string>; tags: Set<string>; undecided: string[] } {
    return stack.memo("targetedBy", () => {
        const tags = new Set<string>();
        const droplets = new Set<string>();
        const undecided: string[] = [];
        for (const lb of stack.of(digitalocean.LoadBalancer)) {
            const byTag = stack.tagNames(lb, "dropletTag");
            const byId = stack.resolve(lb, "dropletIds", [digitalocean.Droplet]);
            if (byTag.undecided || byId.undecided) undecided.push(lb.name);
            for (const t of byTag.names) tags.add(t);
            for (const d of byId.targets) droplets.add(d.urn);
        }
        for (const d of stack.of(digitalocean.Droplet))
            if (stack.tagNames(d, "tags").names.some((t) => tags.has(t))) droplets.add(d.urn);
        return { droplets, tags, undecided };
    });
}

/**
 * TCP ports of services that are not websites, as IANA's service name registry assigns them
 * (www.iana.org/assignments/service-names-port-numbers): SSH 22, DNS 53, SMTP 25 and submission 465/587 (RFC 8314),
 * POP3 110/995, IMAP 143/993, XMPP 5222/5269, MQTT 1883/8883.
 */
const NOT_WEB_TCP_PORTS = new Set([22, 25, 53, 110, 143, 465, 587, 993, 995, 1883, 5222, 5269, 8883]);

/**
 * Whether an inbound rule can let web traffic in: TCP on any port but those of services that are not websites (a mail
 * server's, an MQTT broker's: NOT_WEB_TCP_PORTS), since an app may serve the web directly on any port (3000, 8000,
 * a Kubernetes NodePort), or UDP on 443 (HTTP/3). Ping serves nothing, and UDP elsewhere is WireGuard, DNS or a game,
 * not a website (a firewall rule's protocol is tcp, udp or icmp: digitalocean/openapi
 * specification/resources/firewalls/models/firewall_rule.yml `firewall_rule_base`). An unknown protocol or range may
 * be anything; a world-open port that is not a web port is firewall-no-world-ingress's to report.
 */
function carriesWeb(protocol: string | Unknown | undefined, portRange: string | Unknown | undefined): boolean {
    if (isUnknown(protocol) || isUnknown(portRange)) return true;
    if (protocol === "icmp") return false;
    if (protocol === "udp") return portRangeIncludes(portRange, 443);
    const range = parsePortRange(portRange);
    if (range === undefined) return true;
    for (let port = range[0]; port <= range[1]; port++) if (!NOT_WEB_TCP_PORTS.has(port)) return true;
    return false;
}

/**
 * Droplets whose cloud firewalls (at least one covers it) admit web traffic from no address source `wide` accepts; an
 * unknown rule or source list counts as wide.
 */
function dropletsWebClosedTo(stack: StackIndex, wide: (source: unknown) => boolean): Set<string> {
    const firewalls = stack.of(digitalocean.Firewall).map((fw) => {
        const rules = readList(fw.props, "inboundRules");
        const open =
            rules.unknown ||
            rules.values.some((r) => {
                const sources = readList(r, "sourceAddresses");
                return (
                    sources.unknown ||
                    (carriesWeb(readString(r, "protocol"), readString(r, "portRange")) && sources.values.some(wide))
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

/**
 * A source the public reaches a droplet through: the whole internet (0.0.0.0/0, ::/0), or a public range wider than an
 * office's (isNarrowSource), as a content network's proxy ranges are. A Cloudflare-proxied origin serves the public
 * through Cloudflare, and Cloudflare's proxy does not move to another origin unless a paid Load Balancing pool is set
 * up outside the stack (developers.cloudflare.com/load-balancing). A private range (a VPC's) is not public.
 */
const publicSource = (a: unknown): boolean =>
    typeof a !== "string" || isWorldCidr(a) || (!isNarrowSource(a) && !isPrivateAddress(a.trim().split("/")[0]));

/**
 * Droplets whose firewalls admit web traffic from no public source (publicSource): only an office, a VPN or the VPC
 * reaches them, or other droplets and load balancers by tag.
 */
function publicClosedDroplets(stack: StackIndex): Set<string> {
    return stack.memo("publicClosedDroplets", () => dropletsWebClosedTo(stack, publicSource));
}

/**
 * The address records of the stack: DnsRecord A and AAAA records, and the apex record a Domain creates from its
 * `ipAddress` ("If specified, this IP is used to created an initial A record for the domain": @pulumi/digitalocean
 * 4.80.1 domain.d.ts:47-48), each with what it points at. Computed once per view.
 */
export function addressRecords(stack: StackIndex): AddressRecord[] {
    return stack.memo("addressRecords", () => [...domainApexRecords(stack), ...dnsAddressRecords(stack)]);
}

/** The address record a DnsRecord (or a Domain's ipAddress) makes, if it is an A or AAAA record. */
export function addressRecordOf(stack: StackIndex, record: PolicyResource): AddressRecord | undefined {
    return stack
        .memo("addressRecordOf", () => new Map(addressRecords(stack).map((r) => [r.record.urn, r])))
        .get(record.urn);
}

/** What a known public address belongs to in this stack. */
function targetOfAddress(stack: StackIndex, value: string): Pick<AddressRecord, "kind" | "target" | "via"> | undefined {
    const target = stack.resourceAtIp(value);
    if (target && target.isType(digitalocean.LoadBalancer)) return { kind: "loadBalancer", target };
    if (target && target.isType(digitalocean.Droplet))
        return { kind: "droplet", target, via: ownAddress(target, value) ? "dropletAddress" : "reservedIp" };
    return undefined;
}

/** A Domain's `ipAddress`: the apex record DigitalOcean creates with the domain. */
function domainApexRecords(stack: StackIndex): AddressRecord[] {
    const result: AddressRecord[] = [];
    for (const domain of stack.of(digitalocean.Domain)) {
        const value = readString(domain.props, "ipAddress");
        const name = readString(domain.props, "name");
        const fqdn = typeof name === "string" ? name.toLowerCase().replace(/\.$/, "") : `(domain "${domain.name}")`;
        if (value === undefined || value === "") continue;
        const type = typeof value === "string" && value.includes(":") ? "AAAA" : "A";
        if (typeof value === "string") {
            if (isPrivateAddress(value)) continue;
            const found = targetOfAddress(stack, value);
            if (found) {
                result.push({ record: domain, type, fqdn, value, ...found });
                continue;
            }
        }
        const deps = (domain.propertyDependencies?.ipAddress ?? []).flatMap((d) => dependencyTargets(stack, d));
        const shown = typeof value === "string" ? value : "(unknown)";
        const droplets = deps.filter((d) => d.resource.isType(digitalocean.Droplet));
        const lbs = deps.filter((d) => d.resource.isType(digitalocean.LoadBalancer));
        if (droplets.length > 0 && lbs.length === 0)
            result.push({
                record: domain,
                type,
                fqdn,
                value: shown,
                kind: "droplet",
                target: droplets[0].resource,
                via: droplets[0].via,
            });
        else if (lbs.length > 0 && droplets.length === 0)
            result.push({ record: domain, type, fqdn, value: shown, kind: "loadBalancer", target: lbs[0].resource });
        else if (isUnknown(value) || deps.length > 0)
            result.push({ record: domain, type, fqdn, value: shown, kind: "undecided" });
        else result.push({ record: domain, type, fqdn, value: shown, kind: "elsewhere" });
    }
    return result;
}

/** The droplet or load balancer an input computed from resource `d` stands for (a reserved IP stands for its droplet). */
function dependencyTargets(
    stack: StackIndex,
    d: PolicyResource,
): { resource: PolicyResource; via: "reservedIp" | "dropletAddress" }[] {
    if (d.isType(digitalocean.Droplet) || d.isType(digitalocean.LoadBalancer))
        return [{ resource: d, via: "dropletAddress" }];
    if (
        d.isType(digitalocean.ReservedIp) ||
        d.isType(digitalocean.ReservedIpAssignment) ||
        d.isType(digitalocean.FloatingIp) ||
        d.isType(digitalocean.FloatingIpAssignment) ||
        d.isType(digitalocean.ReservedIpv6) ||
        d.isType(digitalocean.ReservedIpv6Assignment)
    ) {
        const direct = stack.resolve(d, "dropletId", [digitalocean.Droplet]).targets;
        const droplets =
            direct.length > 0 ||
            d.isType(digitalocean.ReservedIpAssignment) ||
            d.isType(digitalocean.FloatingIpAssignment) ||
            d.isType(digitalocean.ReservedIpv6Assignment)
                ? direct
                : assignmentsOf(stack, d).flatMap((a) => stack.resolve(a, "dropletId", [digitalocean.Droplet]).targets);
        return droplets.map((resource) => ({ resource, via: "reservedIp" as const }));
    }
    return [];
}

/** DnsRecord A and AAAA records and what they point at. */
function dnsAddressRecords(stack: StackIndex): AddressRecord[] {
    const result: AddressRecord[] = [];
    // Droplets the public cannot reach on their own: a load balancer fronts them, or their firewalls admit no public source.
    const internal = new Set([...loadBalancedDroplets(stack), ...publicClosedDroplets(stack)]);
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
            const known = targetOfAddress(stack, value);
            if (known) {
                result.push({ record, type: type.toUpperCase(), fqdn, value, ...known });
                continue;
            }
        }
        // Unknown value, or an IP this stack's outputs do not show: ask the engine what the value came from.
        const found = (record.propertyDependencies?.value ?? []).flatMap((d) => dependencyTargets(stack, d));
        const viaReservedIp = found.some((d) => d.via === "reservedIp");
        const deps = found.map((d) => d.resource);
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

/** Whether a public entry fails over to another droplet: yes, no, or not known yet (during preview). */
export type Failover = boolean | "undecided";

const IP_RESOURCES = [
    digitalocean.ReservedIp,
    digitalocean.FloatingIp,
    digitalocean.ReservedIpv6,
    digitalocean.ReservedIpAssignment,
    digitalocean.FloatingIpAssignment,
    digitalocean.ReservedIpv6Assignment,
];

/** The reserved (floating) IPs assigned to a droplet: their addresses, and the resources that name them. */
function reservedIpsOf(stack: StackIndex, droplet: PolicyResource): { addresses: string[]; urns: Set<string> } {
    const addresses: string[] = [];
    const urns = new Set<string>();
    for (const cls of IP_RESOURCES)
        for (const r of stack.of(cls)) {
            if (!stack.resolve(r, "dropletId", [digitalocean.Droplet]).targets.includes(droplet)) continue;
            urns.add(r.urn);
            for (const key of ["ipAddress", "ip"]) {
                const address = readString(r.props, key);
                if (typeof address === "string" && address !== "") addresses.push(address);
                // An assignment names its IP through the IP resource's output.
                for (const dep of r.propertyDependencies?.[key] ?? []) urns.add(dep.urn);
            }
        }
    return { addresses, urns };
}

/** True when `text` names `address` as a whole address: not 203.0.113.20 inside 203.0.113.200. */
function namesAddress(text: string, address: string): boolean {
    const escaped = address.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    return new RegExp(`(?<![\\w.:])${escaped}(?![\\w:]|\\.\\d)`, "i").test(text);
}

/**
 * Whether the reserved IP a droplet holds fails over to another droplet: the holder's user data runs keepalived that
 * moves a reserved IP through DigitalOcean's API (takesOverReservedIp), and so does another droplet of its region whose
 * user data names the same IP, by its address or through the IP resource it is built from (propertyDependencies). A
 * name on that IP is then served by whichever of them holds it, and does not fail with one machine. Not known yet when
 * the holder's or a same-region droplet's user data, or a region, is computed. `partners`: the droplets that make the
 * answer yes.
 */
function failoverOf(stack: StackIndex, holder: PolicyResource): { answer: Failover; partners: PolicyResource[] } {
    const cache = stack.memo("failoverOf", () => new Map<string, { answer: Failover; partners: PolicyResource[] }>());
    const cached = cache.get(holder.urn);
    if (cached !== undefined) return cached;
    const takesOver = (d: PolicyResource): Failover => {
        const userData = dropletUserData(d.props);
        return isUnknown(userData) ? "undecided" : typeof userData === "string" && takesOverReservedIp(userData);
    };
    let answer: Failover = takesOver(holder);
    let partners: PolicyResource[] = [];
    const region = readString(holder.props, "region");
    if (answer === true && typeof region !== "string") answer = "undecided";
    if (answer === true) {
        const ip = reservedIpsOf(stack, holder);
        const namesIp = (d: PolicyResource): boolean => {
            const userData = dropletUserData(d.props);
            return (
                (typeof userData === "string" && ip.addresses.some((a) => namesAddress(userData, a))) ||
                (d.propertyDependencies?.userData ?? []).some((dep) => ip.urns.has(dep.urn))
            );
        };
        const peers = stack.of(digitalocean.Droplet).filter((d) => d !== holder);
        const sameRegion = (d: PolicyResource) => readString(d.props, "region");
        partners = peers.filter((d) => sameRegion(d) === region && takesOver(d) === true && namesIp(d));
        const open = peers.some(
            (d) => isUnknown(sameRegion(d)) || (sameRegion(d) === region && takesOver(d) === "undecided"),
        );
        answer = partners.length > 0 ? true : open ? "undecided" : false;
    }
    const result = { answer, partners };
    cache.set(holder.urn, result);
    return result;
}

/** The droplets that take a failover pair's reserved IP over from its holder (none unless failoverOf's answer is yes). */
export function failoverPartners(stack: StackIndex, holder: PolicyResource): PolicyResource[] {
    const { answer, partners } = failoverOf(stack, holder);
    return answer === true ? partners : [];
}

/**
 * The droplets of failover pairs DNS reaches (failoverOf's answer yes): the holders of the reserved IPs and their partners. Their
 * web ports are the public entry, as an HAProxy droplet's are. `maybe`: while some answer is not known yet, its holder
 * and every droplet whose user data or region is not known yet may be members too.
 */
export function failoverMembers(stack: StackIndex): { members: Set<string>; maybe: Set<string> } {
    return stack.memo("failoverMembers", () => {
        const members = new Set<string>();
        const maybe = new Set<string>();
        for (const r of addressRecords(stack)) {
            const answer = reachesFailoverPair(stack, r);
            if (answer === false) continue;
            (answer === true ? members : maybe).add(r.target!.urn);
            for (const p of failoverOf(stack, r.target!).partners) members.add(p.urn);
        }
        if (maybe.size > 0)
            for (const d of stack.of(digitalocean.Droplet))
                if (isUnknown(dropletUserData(d.props)) || isUnknown(readString(d.props, "region"))) maybe.add(d.urn);
        return { members, maybe };
    });
}

/** Whether a DNS record reaches a droplet through a reserved IP that fails over to another droplet (see failoverOf). */
export function reachesFailoverPair(stack: StackIndex, record: AddressRecord): Failover {
    if (record.kind !== "droplet" || record.via !== "reservedIp" || !record.target) return false;
    return failoverOf(stack, record.target).answer;
}

/**
 * The droplets DNS points at, by whether every name on them reaches a reserved IP that fails over to another droplet:
 * true, false, or "undecided" when some name's answer is not known yet and none is a plain no.
 */
export function failoverEntries(stack: StackIndex): Map<string, Failover> {
    return stack.memo("failoverEntries", () => {
        const entries = new Map<string, Failover>();
        for (const r of addressRecords(stack)) {
            if (r.kind !== "droplet" || !r.target) continue;
            const here = reachesFailoverPair(stack, r);
            const before = entries.get(r.target.urn) ?? true;
            entries.set(r.target.urn, before === false || here === false ? false : before === true ? here : before);
        }
        return entries;
    });
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
        const userData = dropletUserData(d.props);
        return typeof userData === "string" && installsHaproxy(userData);
    });
}

/** Whether a droplet is an HAProxy load balancer: its user data installs HAProxy and configures a frontend. */
export function isHaproxyBalancer(droplet: PolicyResource): boolean | "undecided" {
    const userData = dropletUserData(droplet.props);
    if (isUnknown(userData)) return "undecided";
    return typeof userData === "string" && configuresHaproxy(userData);
}

/** A self-run load balancer on a droplet: the software, the backends it lists, what its TLS set-up lacks. */
export interface BalancerConfig {
    software: "HAProxy" | "nginx" | "Caddy" | "Traefik";
    /** Where the backends are listed, for messages. */
    config: string;
    servers: string[];
    /** Servers found at run time through DNS: the name whose A records are the backends, and the most it takes. */
    discovered: ServerTemplate[];
    tlsGaps(httpsPort: number): ("no-tls-listener" | "no-redirect")[];
}

/** The load balancer a droplet's user data configures (HAProxy, or nginx, Caddy or Traefik over two or more backends). */
export function balancerOf(droplet: PolicyResource): BalancerConfig | undefined | "undecided" {
    const userData = dropletUserData(droplet.props);
    if (isUnknown(userData)) return "undecided";
    if (typeof userData !== "string") return undefined;
    if (configuresHaproxy(userData))
        return {
            software: "HAProxy",
            config: "haproxy.cfg",
            servers: haproxyServers(userData),
            discovered: haproxyServerTemplates(userData),
            tlsGaps: (port) => haproxyTlsGaps(userData, port),
        };
    const proxy = proxyBalancerIn(userData);
    return proxy
        ? {
              software: proxy.software,
              config: `${proxy.software} configuration`,
              servers: proxy.servers,
              discovered: [],
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
export function selfManagedEntry(stack: StackIndex): SelfManagedEntry {
    // Five checks ask; the view answers once.
    return stack.memo("selfManagedEntry", () => computeSelfManagedEntry(stack, addressRecords(stack)));
}

function computeSelfManagedEntry(stack: StackIndex, records: readonly AddressRecord[]): SelfManagedEntry {
    const entry: SelfManagedEntry = { balancers: [], plain: [], undecided: [] };
    const behindDns = dropletsBehindDns(records);
    // nginx, Caddy and Traefik also run as plain web servers in front of an app pool, so a droplet running them is a
    // self-run balancer only when it receives the public traffic: DNS points at it or a reserved IP is assigned to
    // it. HAProxy is installed for nothing else, so without DNS every public HAProxy droplet counts.
    const reserved = reservedIpHolders(stack);
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
    const userData = dropletUserData(droplet.props);
    const haproxy = typeof userData === "string" && installsHaproxy(userData);
    if (haproxy) return `droplet "${droplet.name}" (a self-managed HAProxy on one machine)`;
    const balancer = balancerOf(droplet);
    return typeof balancer === "object"
        ? `droplet "${droplet.name}" (a self-managed ${balancer.software} load balancer on one machine)`
        : `droplet "${droplet.name}"`;
}

/** Why a droplet (or autoscale pool) serves the web, or why not: the one answer every check uses. */
export interface WebRole {
    serves: boolean | "undecided";
    /** For messages: "a load balancer targets it", "its user data runs nginx", `DNS "www.example.com" points at it`. */
    why: string;
    /** Serves the web and the public can reach it: a public address, and no cloud firewall closes it to the world. */
    public: boolean | "undecided";
}

/** First labels of names that are for SSH, not for the web (a bastion, a jump host). */
const MANAGEMENT_LABELS = /^(ssh|bastion|jump|jumphost|jumpbox|sftp)\d*$/i;

/** True for a DNS name meant for SSH (ssh.example.com, bastion-1.example.com) rather than for a website. */
export function isManagementName(fqdn: string): boolean {
    return MANAGEMENT_LABELS.test(fqdn.split(".")[0].replace(/-\d+$/, ""));
}

/**
 * Which droplets and autoscale pools serve the web, by the strongest evidence first: a load balancer targets it
 * (dropletIds or dropletTag, a pool by its template's tags); its user data runs a web server or reverse proxy
 * (nginx, Apache, Caddy, Traefik, HAProxy, lighttpd, installed or started as a container); then weaker evidence
 * that a team may also give a bastion or a CI runner: a public DNS record (or a Domain's ipAddress) or a reserved
 * IP points at it. The weak evidence does not count when every cloud firewall covering the droplet admits no web
 * traffic (carriesWeb: only SSH, mail or a broker's TCP ports, ping, or UDP elsewhere than 443) from a public source
 * (publicSource: the world, or a content network's ranges), or when every name pointing at it is a management name
 * (ssh., bastion., jump.). `public`: it serves, has a public address, and some public source reaches it.
 */
export function webRoles(stack: StackIndex): Map<string, WebRole> {
    return stack.memo("webRoles", () => {
        const roles = new Map<string, WebRole>();
        const lbs = targetedBy(stack);
        const closed = publicClosedDroplets(stack);
        const names = new Map(dropletsBehindDns(addressRecords(stack)).map((e) => [e.droplet.urn, e.names]));
        const undecidedNames = addressRecords(stack).some((r) => r.kind === "undecided");
        const reserved = reservedIpHolders(stack);
        for (const d of stack.of(digitalocean.Droplet)) {
            const userData = dropletUserData(d.props);
            const server = typeof userData === "string" ? webServerIn(userData) : undefined;
            const publicAddress = read(d.props, "publicNetworking") !== false;
            const reachable = (serves: boolean | "undecided"): WebRole["public"] =>
                serves === false ? false : publicAddress && !closed.has(d.urn) ? serves : false;
            let role: Omit<WebRole, "public">;
            if (lbs.droplets.has(d.urn)) role = { serves: true, why: "a load balancer targets it" };
            else if (server) role = { serves: true, why: `its user data runs ${server}` };
            else {
                const webNames = (names.get(d.urn) ?? []).filter((n) => !isManagementName(n));
                if (closed.has(d.urn))
                    role = { serves: false, why: "its cloud firewalls admit no web traffic from the internet" };
                else if (webNames.length > 0) role = { serves: true, why: `DNS ${nameList(webNames)} points at it` };
                else if (reserved.has(d.urn) && !names.has(d.urn))
                    role = { serves: true, why: "a reserved IP is assigned to it" };
                else if (isUnknown(userData) || lbs.undecided.length > 0 || undecidedNames)
                    role = {
                        serves: "undecided",
                        why: "its user data, load balancers or DNS records are not known yet",
                    };
                else role = { serves: false, why: "nothing points web traffic at it" };
            }
            roles.set(d.urn, { ...role, public: reachable(role.serves) });
        }
        for (const pool of stack.of(digitalocean.DropletAutoscale)) {
            const tags = stack.templateTags(pool);
            const userData = readString(pool.props, "dropletTemplate", "userData");
            const server = typeof userData === "string" ? webServerIn(userData) : undefined;
            const role: Omit<WebRole, "public"> = tags.names.some((t) => lbs.tags.has(t))
                ? { serves: true, why: "a load balancer targets its template's tag" }
                : server
                  ? { serves: true, why: `its template's user data runs ${server}` }
                  : isUnknown(userData) || tags.undecided
                    ? { serves: "undecided", why: "its template is not known yet" }
                    : { serves: false, why: "nothing points web traffic at it" };
            roles.set(pool.urn, { ...role, public: role.serves });
        }
        return roles;
    });
}

/**
 * URNs of the droplets a reserved (or floating) IP, IPv4 or IPv6, is assigned to, by its dropletId or an assignment
 * resource.
 */
function reservedIpHolders(stack: StackIndex): Set<string> {
    return stack.memo("reservedIpHolders", () => {
        const holders = new Set<string>();
        for (const cls of [
            digitalocean.ReservedIpAssignment,
            digitalocean.FloatingIpAssignment,
            digitalocean.ReservedIpv6Assignment,
            digitalocean.ReservedIp,
            digitalocean.FloatingIp,
            digitalocean.ReservedIpv6,
        ])
            for (const r of stack.of(cls))
                for (const d of stack.resolve(r, "dropletId", [digitalocean.Droplet]).targets) holders.add(d.urn);
        return holders;
    });
}

/** The role of one droplet or pool (see webRoles). */
export function webRoleOf(stack: StackIndex, r: PolicyResource): WebRole {
    return webRoles(stack).get(r.urn) ?? { serves: false, why: "not a droplet", public: false };
}

/**
 * True for a droplet a DNS name does not make a public website: it serves no web, or no public source reaches its
 * web ports (an admin tool open to the office or the VPC: publicClosedDroplets) and no load balancer targets it. A
 * load balancer's backend stays one even when its firewall admits only the load balancer (a name pointing at it is the
 * classic way to bypass the load balancer), and so does an origin open to a content network's wide ranges.
 */
export function namesNoPublicSite(stack: StackIndex, droplet: PolicyResource): boolean {
    const role = webRoleOf(stack, droplet);
    if (role.serves === false) return true;
    const targeted = targetedBy(stack);
    return (
        targeted.undecided.length === 0 &&
        !targeted.droplets.has(droplet.urn) &&
        publicClosedDroplets(stack).has(droplet.urn)
    );
}

/** Public droplets that serve the web, and those whose role is not known yet. */
export function publicWebDroplets(stack: StackIndex): { serving: PolicyResource[]; undecided: PolicyResource[] } {
    return stack.memo("publicWebDroplets", () => {
        const roles = webRoles(stack);
        const droplets = stack.of(digitalocean.Droplet);
        return {
            serving: droplets.filter((d) => roles.get(d.urn)?.public === true),
            undecided: droplets.filter((d) => roles.get(d.urn)?.public === "undecided"),
        };
    });
}

/**
 * The public droplets that serve the web (webRoles): what the public-endpoint checks judge. A stack
 * of bastions, CI runners or cluster nodes serves no website and needs no load balancer or certificate; decides later
 * when only droplets whose role is not known yet could serve.
 */
export function publicWebServers(stack: StackIndex): PolicyResource[] {
    const { serving, undecided } = publicWebDroplets(stack);
    if (serving.length === 0 && undecided.length > 0)
        decideLater(
            `Whether droplets ${nameList(undecided.map((d) => d.name))} serve the web is not known yet (their user data, load balancers or DNS records are computed).`,
        );
    return serving;
}
