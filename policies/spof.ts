// Single points of failure: a machine or service whose failure takes the site down.
import { digitalocean } from "./lib/digitalocean";
import { validateResourceOfType } from "@pulumi/policy";
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { configWithDefaults } from "./lib/config";
import {
    addressRecords,
    balancerOf,
    describeDroplet,
    dropletsBehindDns,
    externalLoadBalancers,
    failoverEntries,
    fqdnOf,
    haproxyDroplets,
    isSelfManagedBalancer,
    loadBalancersOfUnknownNetwork,
    publicWebServers,
    reachesFailoverPair,
    selfManagedEntry,
    isManagementName,
    namesNoPublicSite,
} from "./lib/endpoints";
import { nameList, plural } from "./lib/messages";
import {
    forType,
    validateResourceOfTypes,
    WebstackPolicy,
    WebstackResourcePolicy,
    WebstackStackPolicy,
} from "./lib/policy";
import { admitsLoadBalancer, backendPorts } from "./lib/firewalls";
import { isGlobalLoadBalancer } from "./lib/loadBalancer";
import { databaseRamGb, STANDBY_MIN_RAM_GB } from "./lib/sizes";
import { validateStackOf } from "./lib/stack";
import { decideLater, isUnknown, read, readString, readStrings, Undecided } from "./lib/unknowns";
import { databaseServerIn } from "./lib/userData";

const CACHE_ENGINES_DEFAULT = ["valkey", "redis"];

const loadBalancerMinBackendsSchema: PolicyConfigSchema = {
    properties: {
        minBackends: {
            type: "integer",
            minimum: 1,
            default: 2,
            description: "Fewest droplets each load balancer must send traffic to.",
        },
    },
};

export const loadBalancerMinBackends: WebstackStackPolicy = {
    name: "load-balancer-min-backends",
    description:
        "Checks that every load balancer sends traffic to at least minBackends droplets, counted from the droplets that actually carry its dropletTag in its region or are listed in its dropletIds (an autoscale pool in its region whose template carries the tag counts its minInstances) and whose cloud firewalls admit the load balancer on its target and health-check ports, and that every HAProxy droplet DNS points at lists at least minBackends servers in its haproxy.cfg.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: loadBalancerMinBackendsSchema,
    rationale:
        "A load balancer in front of one droplet is still one machine away from an outage, and a tag that no droplet carries leaves the load balancer with nothing to serve.",
    remediationSteps:
        "Run at least minBackends droplets carrying the load balancer's dropletTag (or list them in dropletIds), or a DropletAutoscale pool with minInstances ≥ minBackends whose template carries the tag; list at least minBackends servers in each HAProxy droplet's backend.",
    validateStack: validateStackOf(
        [digitalocean.LoadBalancer, digitalocean.Droplet],
        (_subjects, stack, args, reportViolation) => {
            const { minBackends } = configWithDefaults<{ minBackends: number }>(loadBalancerMinBackendsSchema, args);
            const undecided = new Undecided();
            // Autoscale pools count with their minimum size (the most the pool guarantees), by the tags their
            // template gives each droplet.
            const undecidedPoolTags = new Set<string>();
            let poolsUndecided = false;
            for (const pool of stack.of(digitalocean.DropletAutoscale)) {
                const min = read(pool.props, "config", "minInstances");
                const tags = stack.templateTags(pool);
                if (tags.undecided) poolsUndecided = true;
                for (const tag of tags.names) if (isUnknown(min)) undecidedPoolTags.add(tag);
            }
            for (const lb of stack.of(digitalocean.LoadBalancer)) {
                // A global load balancer's backends are droplets, by tag or id and in any region, or regional load
                // balancers (targetLoadBalancerIds), which are judged themselves (docs.digitalocean.com/products/
                // networking/load-balancers/how-to/create-global-load-balancer; terraform-provider-digitalocean
                // loadbalancer/resource_loadbalancer.go target_load_balancer_ids). An unknown list may hold some.
                const global = isGlobalLoadBalancer(read(lb.props, "type"));
                const targets = readStrings(lb.props, "targetLoadBalancerIds");
                if (global && (targets.unknown || targets.values.length > 0)) continue;
                const tag = stack.tagNames(lb, "dropletTag");
                const ids = stack.resolve(lb, "dropletIds", [digitalocean.Droplet]);
                const backends = new Set<string>(ids.targets.map((d) => d.urn));
                // "All backend Droplets must be in the same region as the load balancer"
                // (docs.digitalocean.com/products/networking/load-balancers/getting-started/quickstart): a tag that
                // droplets carry in several regions gives a regional load balancer only its own region's.
                const region = global ? undefined : readString(lb.props, "region");
                const elsewhere = (r: PolicyResource, ...path: string[]) => {
                    const their = readString(r.props, ...path);
                    return (
                        typeof region === "string" &&
                        typeof their === "string" &&
                        their.toLowerCase() !== region.toLowerCase()
                    );
                };
                for (const name of tag.names)
                    for (const droplet of stack.dropletsTagged(name))
                        if (!elsewhere(droplet, "region")) backends.add(droplet.urn);
                // Autoscale pools in its region whose template carries the tag, each counted at its minimum.
                const pools = stack
                    .of(digitalocean.DropletAutoscale)
                    .filter(
                        (pool) =>
                            stack.templateTags(pool).names.some((t) => tag.names.includes(t)) &&
                            !elsewhere(pool, "dropletTemplate", "region"),
                    )
                    .map((pool) => {
                        const min = read(pool.props, "config", "minInstances");
                        return { r: pool, weight: typeof min === "number" ? min : 0 };
                    });
                const pooled = pools.reduce((sum, p) => sum + p.weight, 0);
                const count = backends.size + pooled;
                if (count >= minBackends) {
                    // Listed is not reachable: a backend whose cloud firewalls do not admit the load balancer on its
                    // target and health-check ports fails every health check and never gets traffic.
                    const ports = backendPorts(lb);
                    if (!ports) {
                        undecided.note(`Load balancer "${lb.name}"'s target or health-check ports are not known yet.`);
                        continue;
                    }
                    const members = [
                        ...[...backends].map((urn) => ({ r: stack.resourceWithUrn(urn)!, weight: 1 })),
                        ...pools,
                    ];
                    let reachable = 0;
                    let open = false;
                    const blocked: { name: string; closed: string }[] = [];
                    for (const m of members) {
                        const admits = admitsLoadBalancer(stack, m.r, lb, ports);
                        if (admits.admitted === true) reachable += m.weight;
                        else if (admits.admitted === "undecided") open = true;
                        else
                            blocked.push({
                                name: m.r.name,
                                closed: admits.closed.map((p) => `${p.protocol} ${p.port}`).join(", "),
                            });
                    }
                    if (reachable >= minBackends || blocked.length === 0) continue;
                    if (open) {
                        undecided.note(
                            `Load balancer "${lb.name}" reaches ${reachable} of its ${count} backends through their cloud firewalls; the rest are covered by firewalls not known yet.`,
                        );
                        continue;
                    }
                    reportViolation(
                        `Load balancer "${lb.name}" lists ${plural(count, "backend")}, but the cloud firewalls of ${blocked.map((b) => `"${b.name}" (${b.closed})`).join(", ")} do not admit it on those target or health-check ports, so only ${reachable} can serve; fewer than ${minBackends} working backends means one droplet failure takes the service down. ` +
                            `Add an inbound rule on those ports whose sourceLoadBalancerUids lists the load balancer's id to the firewalls covering them.`,
                        lb.urn,
                    );
                    continue;
                }
                if (
                    tag.undecided ||
                    ids.undecided ||
                    (tag.names.length > 0 &&
                        (stack.dropletsWithUndecidedTags.length > 0 ||
                            poolsUndecided ||
                            tag.names.some((t) => undecidedPoolTags.has(t))))
                ) {
                    undecided.note(
                        `Load balancer "${lb.name}" has ${count} known backends of the ${minBackends} required, and its dropletTag, dropletIds or the droplets' tags are not known yet.`,
                    );
                    continue;
                }
                const how =
                    tag.names.length > 0
                        ? `droplets tagged ${nameList(tag.names)}${pooled > 0 ? `, autoscale pools counted at minInstances` : ""}`
                        : ids.targets.length > 0 || read(lb.props, "dropletIds") !== undefined
                          ? "its dropletIds"
                          : "it has neither dropletTag nor dropletIds";
                reportViolation(
                    `Load balancer "${lb.name}" sends traffic to ${plural(count, "droplet")} (${how}); fewer than ${minBackends} backends means one droplet failure takes the service down. ` +
                        `Run at least ${minBackends} droplets with its dropletTag or list them in dropletIds.`,
                    lb.urn,
                );
            }
            // Self-managed load balancers list their backends in haproxy.cfg.
            const entry = selfManagedEntry(stack);
            if (externalLoadBalancers(stack).length === 0) {
                for (const { droplet } of entry.undecided)
                    undecided.note(
                        `Droplet "${droplet.name}", which DNS points at, may be an HAProxy load balancer, but its user data (and backend list) is not known yet.`,
                    );
            }
            for (const { droplet } of entry.balancers) {
                const balancer = balancerOf(droplet);
                if (typeof balancer !== "object") continue;
                // Servers found through DNS count as the stack's A records of that name (at most the template's slots);
                // a name the stack does not hold counts none, as nothing here says what it resolves to. These are
                // private addresses (service discovery), which addressRecords leaves out on purpose.
                let typesUnknown = false;
                const discovered = balancer.discovered.flatMap((t) => {
                    const named = stack.of(digitalocean.DnsRecord).filter((r) => fqdnOf(r) === t.name);
                    if (named.some((r) => isUnknown(readString(r.props, "type")))) typesUnknown = true;
                    return named
                        .filter((r) => readString(r.props, "type") === "A")
                        .slice(0, t.slots)
                        .map((r) => {
                            const value = readString(r.props, "value");
                            const host = typeof value === "string" ? value : "(unknown)";
                            return t.port === undefined ? host : `${host}:${t.port}`;
                        });
                });
                const servers = [...balancer.servers, ...discovered];
                if (servers.length >= minBackends) continue;
                if (typesUnknown) {
                    undecided.note(
                        `${balancer.software} droplet "${droplet.name}" finds its servers in DNS records whose type is not known yet.`,
                    );
                    continue;
                }
                reportViolation(
                    `${balancer.software} droplet "${droplet.name}" balances over ${plural(servers.length, "server")}${servers.length > 0 ? ` (${nameList(servers)})` : ""} in the ${balancer.config} of its user data; fewer than ${minBackends} backends means one droplet failure takes the service down. ` +
                        `List at least ${minBackends} web servers in its backend.`,
                    droplet.urn,
                );
            }
            undecided.settle();
        },
    ),
};

export const publicEndpointLoadBalanced: WebstackStackPolicy = {
    name: "public-endpoint-load-balanced",
    description:
        "Checks that a stack whose droplets serve the web to the public (a load balancer targets them, DNS, a Domain's ipAddress or a reserved IP points at them, or their user data runs a web server or reverse proxy) has a load balancer in front of them: a managed one, or HAProxy droplets that DNS points at; a reserved IP that keepalived moves between droplets (a failover pair) counts as redundant too; bastions, CI runners and cluster nodes that serve no website are not judged.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: { properties: {} },
    rationale:
        "Without a load balancer the public reaches one droplet directly: when it fails, or is replaced, the site is down.",
    remediationSteps:
        "Add a digitalocean.LoadBalancer targeting at least two droplets by dropletTag and point the DNS records at its ip (or run HAProxy droplets balancing over the web droplets and point DNS at their reserved IPs).",
    validateStack: validateStackOf(digitalocean.Droplet, (_droplets, stack, _args, reportViolation) => {
        if (externalLoadBalancers(stack).length > 0) return;
        const exposed = publicWebServers(stack);
        if (exposed.length === 0) return;
        const unknownNetwork = loadBalancersOfUnknownNetwork(stack);
        if (unknownNetwork.length > 0) {
            return decideLater(
                `Whether load balancers ${nameList(unknownNetwork.map((lb) => lb.name))} face the internet is not known yet.`,
            );
        }
        // HAProxy droplets are the load balancer; how many of them is load-balancer-min-count's question.
        const entry = selfManagedEntry(stack);
        if (entry.balancers.length > 0) return;
        if (entry.undecided.length > 0) {
            return decideLater(
                `Whether droplets ${nameList(entry.undecided.map((e) => e.droplet.name))}, which DNS points at, run HAProxy is not known yet (their user data is computed).`,
            );
        }
        const byDns = dropletsBehindDns(addressRecords(stack));
        const failover = failoverEntries(stack);
        const pending = byDns.filter((e) => failover.get(e.droplet.urn) === "undecided");
        if (pending.length > 0) {
            return decideLater(
                `Whether the reserved IPs DNS points at on droplets ${nameList(pending.map((e) => e.droplet.name))} fail over to another droplet (keepalived) is not known yet.`,
            );
        }
        for (const { droplet, names } of byDns) {
            if (failover.get(droplet.urn) === true) continue;
            reportViolation(
                `DNS (${nameList(names)}) sends the public straight to ${describeDroplet(droplet)} and the stack has no load balancer, so that one server is a single point of failure. ` +
                    "Put a DigitalOcean load balancer in front of at least two droplets and point the DNS records at its ip.",
                droplet.urn,
            );
        }
        if (byDns.length > 0) return;
        reportViolation(
            `The stack runs ${plural(exposed.length, "public droplet")} (${nameList(exposed.map((d) => d.name))}) and no load balancer, so each droplet is a single point of failure for what it serves. ` +
                "Put a DigitalOcean load balancer in front of at least two droplets.",
        );
    }),
};

const loadBalancerMinCountSchema: PolicyConfigSchema = {
    properties: {
        minLoadBalancers: {
            type: "integer",
            minimum: 0,
            default: 1,
            description:
                "Fewest managed internet-facing load balancers a stack with droplets must have (a regional DigitalOcean load balancer is itself a redundant managed service).",
        },
        minSelfManagedLoadBalancers: {
            type: "integer",
            minimum: 0,
            default: 2,
            description:
                "Fewest HAProxy droplets a stack whose public entry is self-managed (DNS points at HAProxy droplets, no managed load balancer) must run: each is one machine, so two is the least without a single point of failure.",
        },
    },
};

export const loadBalancerMinCount: WebstackStackPolicy = {
    name: "load-balancer-min-count",
    description:
        "Checks that a stack whose droplets serve the web to the public has at least minLoadBalancers managed internet-facing load balancers or, when its public entry is self-managed (DNS points at HAProxy droplets), at least minSelfManagedLoadBalancers HAProxy droplets; one HAProxy droplet is a single point of failure, and a stack whose DNS names all reach a reserved IP that keepalived moves between droplets needs neither.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: loadBalancerMinCountSchema,
    rationale:
        "DigitalOcean's regional load balancer runs redundantly and fails over by itself; a load balancer you run on a droplet (HAProxy) is one machine, so only two or more of them, each with its own DNS record, survive one failing.",
    remediationSteps:
        "Add digitalocean.LoadBalancer resources (network EXTERNAL) until the stack has minLoadBalancers and point DNS at each of them, or run at least minSelfManagedLoadBalancers HAProxy droplets, each with a reserved IP and DNS records.",
    validateStack: validateStackOf(digitalocean.Droplet, (_droplets, stack, args, reportViolation) => {
        const { minLoadBalancers, minSelfManagedLoadBalancers } = configWithDefaults<{
            minLoadBalancers: number;
            minSelfManagedLoadBalancers: number;
        }>(loadBalancerMinCountSchema, args);
        const count = externalLoadBalancers(stack).length;
        if (count >= minLoadBalancers) return;
        // A stack that serves no website to the public (bastions, CI runners, cluster nodes) needs no load balancer.
        if (count === 0 && publicWebServers(stack).length === 0) return;
        // Nor one whose DNS names all reach droplets that fail a reserved IP over between them (keepalived).
        const byDns = dropletsBehindDns(addressRecords(stack));
        const failover = failoverEntries(stack);
        if (count === 0 && byDns.length > 0 && byDns.every((e) => failover.get(e.droplet.urn) !== false)) {
            if (byDns.every((e) => failover.get(e.droplet.urn) === true)) return;
            // Unknown user data on the droplets DNS points at is the HAProxy question's too, asked below.
            if (selfManagedEntry(stack).undecided.length === 0)
                return decideLater(
                    `Whether the reserved IPs DNS points at fail over between droplets (keepalived) is not known yet.`,
                );
        }
        const unknownNetwork = loadBalancersOfUnknownNetwork(stack);
        if (count + unknownNetwork.length >= minLoadBalancers) {
            return decideLater(
                `Whether load balancers ${nameList(unknownNetwork.map((lb) => lb.name))} face the internet is not known yet.`,
            );
        }
        // HAProxy droplets count separately: each is one machine, so they need a higher count of their own.
        const entry = selfManagedEntry(stack);
        const selfManaged = entry.balancers.length;
        if (count === 0 && selfManaged > 0) {
            if (selfManaged >= minSelfManagedLoadBalancers) return;
            if (selfManaged + entry.undecided.length >= minSelfManagedLoadBalancers) {
                return decideLater(
                    `Whether droplets ${nameList(entry.undecided.map((e) => e.droplet.name))}, which DNS points at, run HAProxy is not known yet.`,
                );
            }
            const names = nameList(entry.balancers.map((b) => b.droplet.name));
            reportViolation(
                `The stack's public entry is ${plural(selfManaged, "self-managed HAProxy droplet")} (${names}) and no managed load balancer; each HAProxy droplet is one machine, so with fewer than ${minSelfManagedLoadBalancers} its failure or replacement takes the site down. ` +
                    `Run at least ${minSelfManagedLoadBalancers} HAProxy droplets, each with its own reserved IP and DNS records, or use a digitalocean.LoadBalancer.`,
            );
            return;
        }
        if (count === 0 && entry.undecided.length > 0) {
            return decideLater(
                `Whether droplets ${nameList(entry.undecided.map((e) => e.droplet.name))}, which DNS points at, run HAProxy is not known yet.`,
            );
        }
        const haproxy = haproxyDroplets(stack);
        const note =
            haproxy.length > 0
                ? ` (HAProxy on ${nameList(haproxy.map((d) => d.name))} runs on single droplets and does not count)`
                : "";
        reportViolation(
            `The stack has ${plural(count, "managed internet-facing load balancer")}${note} but needs at least ${minLoadBalancers}. ` +
                "Add a digitalocean.LoadBalancer with network EXTERNAL in front of the droplets.",
        );
    }),
};

const dnsRecordTargetsLoadBalancerSchema: PolicyConfigSchema = {
    properties: {
        exemptRecordNames: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Fully qualified record names allowed to point at a single droplet (e.g. a bastion host).",
        },
    },
};

export const dnsRecordTargetsLoadBalancer: WebstackStackPolicy = {
    name: "dns-record-targets-load-balancer",
    description:
        "Checks that DNS A and AAAA records (and a Domain's ipAddress) that name a website point at a load balancer, not at a single droplet; a record may point at an HAProxy droplet (a self-managed load balancer) through a reserved IP assigned to it, or at a reserved IP that keepalived moves between droplets, and SSH names (ssh., bastion., jump.) and droplets the public cannot reach as a website (no web server, or cloud firewalls that admit web traffic from an office or VPN range only) are not judged.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: dnsRecordTargetsLoadBalancerSchema,
    rationale:
        "A name that resolves to one droplet's address fails with that droplet, and its address changes when the droplet is replaced; an HAProxy droplet is replaced whenever its user data (its backend list) changes.",
    remediationSteps:
        "Set the record's value to a load balancer's ip output (for an HAProxy droplet, a digitalocean.ReservedIp assigned to it), or exempt the name (e.g. a bastion) in exemptRecordNames.",
    validateStack: validateStackOf(digitalocean.DnsRecord, (_records, stack, args, reportViolation) => {
        const { exemptRecordNames } = configWithDefaults<{ exemptRecordNames: string[] }>(
            dnsRecordTargetsLoadBalancerSchema,
            args,
        );
        const exempt = new Set(exemptRecordNames.map((n) => n.toLowerCase()));
        const undecided = new Undecided();
        for (const record of addressRecords(stack)) {
            if (exempt.has(record.fqdn)) continue;
            if (record.kind === "undecided") {
                undecided.note(`DNS record "${record.fqdn}" points at a value that is not known yet.`);
            } else if (record.kind === "droplet") {
                // A name for a bastion or a runner (the name is ssh., bastion., …), or for a droplet that is no public
                // website (lib/endpoints.ts namesNoPublicSite), is not a public website that fails with one droplet.
                if (namesNoPublicSite(stack, record.target!) || isManagementName(record.fqdn)) continue;
                const haproxy = isSelfManagedBalancer(record.target!);
                if (haproxy === "undecided") {
                    undecided.note(
                        `DNS record "${record.fqdn}" points at droplet "${record.target!.name}", whose user data (HAProxy or not) is not known yet.`,
                    );
                    continue;
                }
                if (haproxy && record.via === "reservedIp") continue;
                // A reserved IP that keepalived moves to another droplet when this one fails: the name does not fail
                // with one droplet.
                const failover = reachesFailoverPair(stack, record);
                if (failover === "undecided")
                    undecided.note(
                        `DNS record "${record.fqdn}" points at a reserved IP on droplet "${record.target!.name}"; whether it fails over to another droplet (keepalived) is not known yet.`,
                    );
                if (failover !== false) continue;
                if (haproxy) {
                    reportViolation(
                        `DNS record "${record.fqdn}" (${record.type}) points at HAProxy droplet "${record.target!.name}"'s own address${record.value === "(unknown)" ? "" : ` (${record.value})`}, which changes whenever the droplet is replaced (any change to its user data replaces it). ` +
                            "Assign a digitalocean.ReservedIp to the droplet and point the record at the reserved IP.",
                        record.record.urn,
                    );
                    continue;
                }
                reportViolation(
                    `DNS record "${record.fqdn}" (${record.type}) points at ${describeDroplet(record.target!)}${record.value === "(unknown)" ? "" : ` (${record.value})`} instead of a load balancer, so the name fails with that droplet. ` +
                        "Point it at a load balancer's ip.",
                    record.record.urn,
                );
            }
        }
        undecided.settle();
    }),
};

/**
 * The database server packages of DigitalOcean 1-Click droplet images. A 1-Click image's slug is its app's name and
 * Ubuntu release (digitalocean/openapi@7c1300c4 specification/resources/1-clicks/responses/oneClicks_all.yml, the
 * `wordpress-18-04` droplet example), and DigitalOcean's build templates list what each installs
 * (digitalocean/droplet-1-clicks@12b072ba `<app>-24-04/template.json` and `lemp-26-04/template.json`, `apt_packages`).
 */
const ONE_CLICK_DATABASES: Record<string, string> = {
    wordpress: "mysql-server",
    "wordpress-phpmyadmin": "mysql-server",
    lamp: "mysql-server",
    lemp: "mysql-server",
    mysql: "mysql-server",
    phpmyadmin: "mysql-server",
    ghost: "mysql-server",
    craftcms: "mysql-server",
    mariadb: "mariadb-server",
    django: "postgresql",
    odoo: "postgresql",
    plausible: "postgresql",
    keycloak: "postgresql",
    airflow: "postgresql",
    // Installed by the build's scripts rather than its apt_packages (<app>-24-04/scripts/01x-mongodb.sh).
    mongodb: "mongodb-org-server",
    mean: "mongodb-org-server",
    mern: "mongodb-org-server",
};

/**
 * The file through which DigitalOcean hands a 1-Click droplet a managed database's credentials at first boot; the
 * image's setup then uses the managed cluster instead of its local server (droplet-1-clicks@12b072ba
 * wordpress-24-04/README.md:115-130, wordpress-24-04/files/root/wp_setup.sh:27).
 */
const MANAGED_DATABASE_CREDENTIALS = /\.digitalocean_dbaas_credentials\b/;

/** The database server a droplet image installs: a 1-Click app's (`wordpress-24-04`), if the image is one. */
export function databaseServerInImage(image: unknown): string | undefined {
    const app = typeof image === "string" ? /^([a-z][a-z-]*?)-\d{2}-\d{2}$/.exec(image)?.[1] : undefined;
    return app === undefined ? undefined : ONE_CLICK_DATABASES[app];
}

const DATABASE_ON_DROPLETS =
    "a database on droplets has no managed standby, automatic failover or managed backups, so when the machine fails the data is unavailable until someone promotes or rebuilds a server, and it is only as safe as the copies the droplets make themselves. " +
    "Move the database to a DigitalOcean managed database cluster with a standby node (nodeCount: 2).";

/** Reports a database server in a droplet's (or template's) user data, or else in the 1-Click image it runs. */
function checkForDatabase(owner: string, image: unknown, userData: unknown, report: (message: string) => void): void {
    if (isUnknown(userData)) decideLater(`${owner}'s user data is not known yet.`);
    const server = typeof userData === "string" ? databaseServerIn(userData) : undefined;
    if (server)
        return report(`${owner} installs a database server (${server}) from its user data: ${DATABASE_ON_DROPLETS}`);
    if (typeof userData === "string" && MANAGED_DATABASE_CREDENTIALS.test(userData)) return;
    const fromImage = databaseServerInImage(image);
    if (fromImage)
        report(
            `${owner} runs a database server (${fromImage}) from its 1-Click image "${image}": ${DATABASE_ON_DROPLETS}`,
        );
}

export const dropletNoDatabaseServer: WebstackResourcePolicy = {
    name: "droplet-no-database-server",
    description:
        "Checks that no droplet (or autoscale droplet template) installs, starts or runs as a container a database server such as MySQL, MariaDB, PostgreSQL or MongoDB from its user data, or runs a DigitalOcean 1-Click image that installs one (WordPress, LAMP, LEMP, MySQL, MariaDB, MongoDB, MEAN, MERN, phpMyAdmin, Ghost, Craft CMS, Django, Odoo, Plausible, Keycloak, Airflow) unless its user data hands it a managed database's credentials; connection URLs, client packages and client programs (psql against a managed cluster) are clients.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: { properties: {} },
    rationale:
        "A database on droplets has no managed standby, failover or backups: losing the droplet takes the site down until someone promotes or rebuilds a server, and loses whatever no copy the droplets make themselves holds.",
    remediationSteps:
        "Use a digitalocean.DatabaseCluster (nodeCount 2 for a standby) and remove the database server from the user data (or use a plain OS image instead of a 1-Click image that bundles one).",
    validateResource: validateResourceOfTypes(
        forType(digitalocean.Droplet, (droplet, args, reportViolation) => {
            checkForDatabase(
                `Droplet "${args.name}"`,
                read(droplet, "image"),
                read(droplet, "userData"),
                reportViolation,
            );
        }),
        forType(digitalocean.DropletAutoscale, (pool, args, reportViolation) => {
            checkForDatabase(
                `Droplet autoscale pool "${args.name}"`,
                read(pool, "dropletTemplate", "image"),
                read(pool, "dropletTemplate", "userData"),
                reportViolation,
            );
        }),
    ),
};

const ENGINES_WITHOUT_STANDBY = ["opensearch", "kafka"];

/** The config schema of the two standby policies: the fewest nodes, and which engines are caches. */
function standbySchema(minNodeCountDescription: string, cacheEnginesDescription: string): PolicyConfigSchema {
    return {
        properties: {
            minNodeCount: { type: "integer", minimum: 1, maximum: 3, default: 2, description: minNodeCountDescription },
            cacheEngines: {
                type: "array",
                items: { type: "string" },
                default: CACHE_ENGINES_DEFAULT,
                description: cacheEnginesDescription,
            },
        },
    };
}

/**
 * The validation of the two standby policies: clusters whose engine is (`caches: true`) or is not a cache
 * engine must run at least minNodeCount nodes; `message` words the finding for each.
 */
function validateStandby(
    schema: PolicyConfigSchema,
    opts: {
        caches: boolean;
        label: string;
        message: (name: string, engine: unknown, nodes: number, minNodeCount: number) => string;
    },
) {
    return validateResourceOfType(digitalocean.DatabaseCluster, (cluster, args, reportViolation) => {
        const { minNodeCount, cacheEngines } = configWithDefaults<{ minNodeCount: number; cacheEngines: string[] }>(
            schema,
            args,
        );
        const engine = read(cluster, "engine");
        const nodeCount = read(cluster, "nodeCount");
        if (isUnknown(engine) || isUnknown(nodeCount))
            decideLater(`${opts.label} "${args.name}"'s engine or nodeCount is not known yet.`);
        // These engines have no standby nodes at all ("Kafka and OpenSearch do not support standby nodes",
        // docs.digitalocean.com/products/databases); nodeCount 2 cannot be the fix for them.
        if (typeof engine === "string" && ENGINES_WITHOUT_STANDBY.includes(engine.toLowerCase())) return;
        const isCache = typeof engine === "string" && cacheEngines.includes(engine.toLowerCase());
        if (isCache !== opts.caches) return;
        const nodes = typeof nodeCount === "number" ? nodeCount : 1;
        if (nodes >= minNodeCount) return;
        reportViolation(opts.message(args.name, engine, nodes, minNodeCount));
    });
}

const databaseClusterStandbySchema = standbySchema(
    "Fewest nodes (primary + standby) a primary database cluster must run.",
    "Engines treated as caches, checked by cache-cluster-standby instead.",
);

export const databaseClusterStandby: WebstackResourcePolicy = {
    name: "database-cluster-standby",
    description:
        "Checks that every primary (non-cache) database cluster runs at least minNodeCount nodes, so a standby node can take over automatically.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: databaseClusterStandbySchema,
    rationale:
        "With nodeCount 1 a failed primary is rebuilt from backup while writes stop; read replicas (DatabaseReplica) never take over writes, only standby nodes fail over.",
    remediationSteps:
        "Set nodeCount: 2 (one standby) or 3 on a plan with at least 2 GB RAM; nodeCount resizes in place.",
    validateResource: validateStandby(databaseClusterStandbySchema, {
        caches: false,
        label: "Database cluster",
        message: (name, engine, nodes, minNodeCount) =>
            `Database cluster "${name}" (${String(engine)}) has nodeCount ${nodes}, so its primary has no standby to fail over to and is a single point of failure; read replicas do not take over writes. ` +
            `Set nodeCount: ${minNodeCount} on a plan with at least ${STANDBY_MIN_RAM_GB} GB RAM.`,
    }),
};

export const databaseStandbyPlanSize: WebstackResourcePolicy = {
    name: "database-standby-plan-size",
    description:
        "Checks that a database cluster with standby nodes (nodeCount 2 or more) uses a plan with at least 2 GB RAM, the smallest plan DigitalOcean offers standby nodes on.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: { properties: {} },
    rationale:
        "DigitalOcean only provisions standby nodes on plans with 2 GB RAM or more, so a smaller size with nodeCount 2 fails at deploy time.",
    remediationSteps: "Choose size db-s-1vcpu-2gb or larger, or drop nodeCount to 1.",
    validateResource: validateResourceOfType(digitalocean.DatabaseCluster, (cluster, args, reportViolation) => {
        const nodeCount = read(cluster, "nodeCount");
        const size = read(cluster, "size");
        if (isUnknown(nodeCount) || isUnknown(size))
            decideLater(`Database cluster "${args.name}"'s nodeCount or size is not known yet.`);
        if (typeof nodeCount !== "number" || nodeCount < 2 || typeof size !== "string") return;
        const ram = databaseRamGb(size);
        if (ram === undefined || ram >= STANDBY_MIN_RAM_GB) return;
        reportViolation(
            `Database cluster "${args.name}" asks for nodeCount ${nodeCount} on size "${size}" (${ram} GB RAM), but DigitalOcean offers standby nodes only on plans with at least ${STANDBY_MIN_RAM_GB} GB RAM. ` +
                'Use size "db-s-1vcpu-2gb" or larger.',
        );
    }),
};

const cacheClusterStandbySchema = standbySchema(
    "Fewest nodes a cache cluster should run.",
    "Engines treated as caches.",
);

export const cacheClusterStandby: WebstackResourcePolicy = {
    name: "cache-cluster-standby",
    description: "Checks that cache clusters (Valkey, Redis) run at least minNodeCount nodes.",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: cacheClusterStandbySchema,
    rationale:
        "A single-node cache that fails degrades performance and drops sessions until DigitalOcean rebuilds it, but the site keeps serving from the database: a risk, not a single point of failure.",
    remediationSteps:
        "Set nodeCount: 2 on the cache cluster (plan with at least 2 GB RAM) if losing the cache for a while is not acceptable.",
    validateResource: validateStandby(cacheClusterStandbySchema, {
        caches: true,
        label: "Cluster",
        message: (name, engine, nodes, minNodeCount) =>
            `Cache cluster "${name}" (${String(engine)}) has nodeCount ${nodes}; if its node fails the site keeps running but loses its cache and sessions until the node is rebuilt. ` +
            `Set nodeCount: ${minNodeCount} for a standby node.`,
    }),
};

export const spofPolicies: WebstackPolicy[] = [
    loadBalancerMinBackends,
    publicEndpointLoadBalanced,
    loadBalancerMinCount,
    dnsRecordTargetsLoadBalancer,
    dropletNoDatabaseServer,
    databaseClusterStandby,
    databaseStandbyPlanSize,
    cacheClusterStandby,
];
