// Network isolation: a port-aware superset of Trivy DIG-0001/0003/0004 and Checkov CKV_DIO_2/4.
// Droplets sit behind cloud firewalls that admit the public only through the load balancer, SSH is
// never open to the world, databases trust named sources only, and everything shares one VPC.
// Outbound rules to the world are allowed on purpose (package updates, APIs); a load balancer's own
// `firewall.allows` may be wide open, since a public load balancer exists to be reached.
import { digitalocean } from "./lib/digitalocean";
import { validateResourceOfType } from "@pulumi/policy";
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { configWithDefaults, PORT_SCHEMA } from "./lib/config";
import { failoverMembers, selfManagedEntry } from "./lib/endpoints";
import { isGlobalLoadBalancer } from "./lib/loadBalancer";
import { isWorldCidr, portRangeIncludes } from "./lib/net";
import { nameList, plural, q } from "./lib/messages";
import { WebstackPolicy, WebstackResourcePolicy, WebstackStackPolicy } from "./lib/policy";
import { StackIndex, validateStackOf } from "./lib/stack";
import { decideLater, isUnknown, read, readList, readString, readStrings, Undecided } from "./lib/unknowns";
import { rememberUserData } from "./lib/stateUserData";

export const dropletFirewallCoverage: WebstackStackPolicy = {
    name: "droplet-firewall-coverage",
    description:
        "Checks that every droplet is covered by a cloud firewall, through one of its tags or its id, and every droplet autoscale pool through one of its template's tags.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: { properties: {} },
    rationale:
        "A droplet without a cloud firewall exposes every port its software listens on (databases, admin panels, SSH) to the internet; an autoscale pool's droplets are created at run time, so only a firewall on their template's tags reaches them.",
    remediationSteps:
        "Add a digitalocean.Firewall whose tags include the droplet's role tag (or whose dropletIds list it), admitting only the load balancer and the admin CIDRs; for an autoscale pool, a tag of its dropletTemplate.",
    validateStack: validateStackOf(
        [digitalocean.Droplet, digitalocean.DropletAutoscale],
        (subjects, stack, _args, reportViolation) => {
            const coveredUrns = new Set<string>();
            const coveredTags = new Set<string>();
            let firewallsUndecided = false;
            for (const firewall of stack.of(digitalocean.Firewall)) {
                const ids = stack.resolve(firewall, "dropletIds", [digitalocean.Droplet]);
                const tags = stack.tagNames(firewall, "tags");
                ids.targets.forEach((d) => coveredUrns.add(d.urn));
                tags.names.forEach((t) => coveredTags.add(t));
                if (ids.undecided || tags.undecided) firewallsUndecided = true;
            }
            const undecided = new Undecided();
            for (const droplet of subjects) {
                if (droplet.isType(digitalocean.DropletAutoscale)) {
                    const tags = stack.templateTags(droplet);
                    if (tags.names.some((t) => coveredTags.has(t))) continue;
                    if (firewallsUndecided || tags.undecided) {
                        undecided.note(
                            `Droplet autoscale pool "${droplet.name}" may be uncovered: some firewall targets or its template's tags are not known yet.`,
                        );
                        continue;
                    }
                    reportViolation(
                        `Droplet autoscale pool "${droplet.name}" is not covered by any cloud firewall through its template's tags (${tags.names.length > 0 ? nameList(tags.names) : "none"}), so every port its droplets listen on is open to the internet. ` +
                            `Add a digitalocean.Firewall whose tags include ${tags.names.length > 0 ? "one of them" : "a tag you give the template"}.`,
                        droplet.urn,
                    );
                    continue;
                }
                const tags = stack.tagNames(droplet, "tags");
                if (coveredUrns.has(droplet.urn) || tags.names.some((t) => coveredTags.has(t))) continue;
                if (firewallsUndecided || tags.undecided) {
                    undecided.note(
                        `Droplet "${droplet.name}" may be uncovered: some firewall targets or its tags are not known yet.`,
                    );
                    continue;
                }
                const tagText =
                    tags.names.length > 0 ? `one of its tags (${nameList(tags.names)})` : "a tag you give it";
                reportViolation(
                    `Droplet "${droplet.name}" is not covered by any cloud firewall, so every port its software listens on is open to the internet. ` +
                        `Add a digitalocean.Firewall whose tags include ${tagText}, or whose dropletIds list it.`,
                    droplet.urn,
                );
            }
            undecided.settle();
        },
    ),
};

interface InboundRule {
    index: number;
    protocol: string | undefined;
    portRange: string | undefined;
    world: string[];
}

/** Inbound rules and their world sources; unknown parts are noted. */
function inboundRules(firewall: unknown, name: string, undecided: Undecided): InboundRule[] {
    const rules = readList(firewall, "inboundRules");
    if (rules.unknown) undecided.note(`Firewall "${name}"'s inbound rules are not known yet.`);
    return rules.values.map((rule, index) => {
        const protocol = read(rule, "protocol");
        const portRange = read(rule, "portRange");
        const sources = readStrings(rule, "sourceAddresses");
        if (isUnknown(protocol) || isUnknown(portRange) || sources.unknown) {
            undecided.note(
                `Firewall "${name}"'s inbound rule ${index + 1} has a protocol, port range or source address that is not known yet.`,
            );
        }
        return {
            index,
            protocol: typeof protocol === "string" ? protocol.toLowerCase() : undefined,
            portRange:
                typeof portRange === "string"
                    ? portRange
                    : typeof portRange === "number"
                      ? String(portRange)
                      : undefined,
            world: sources.values.filter(isWorldCidr),
        };
    });
}

/** "tcp port 22", "tcp ports 1-65535", "all udp ports", "icmp". */
function describePorts(rule: InboundRule): string {
    if (rule.protocol === "icmp") return "icmp";
    const protocol = rule.protocol ?? "(unknown protocol)";
    const range = (rule.portRange ?? "").trim();
    if (range === "" || range === "0" || range.toLowerCase() === "all") return `all ${protocol} ports`;
    return `${protocol} port${range.includes("-") ? "s" : ""} ${range}`;
}

/** Where SSH listens unless firewall-no-world-ssh is told otherwise; firewall-no-world-ingress leaves these rules to it. */
const SSH_PORTS_DEFAULT = [22];

const firewallNoWorldIngressSchema: PolicyConfigSchema = {
    properties: {
        allowedPorts: {
            type: "array",
            items: PORT_SCHEMA,
            default: [],
            description:
                "TCP/UDP ports a cloud firewall may open to the whole internet (a tcp rule that includes port 22 is firewall-no-world-ssh's to report).",
        },
        allowIcmp: {
            type: "boolean",
            default: true,
            description: "Whether inbound ICMP (ping) from the whole internet is acceptable.",
        },
        selfManagedLoadBalancerPorts: {
            type: "array",
            items: PORT_SCHEMA,
            default: [80, 443],
            description:
                "TCP ports a firewall may open to the whole internet when every droplet it covers is an HAProxy load balancer that DNS points at.",
        },
    },
};

/** Whether every droplet a firewall covers is a self-managed (HAProxy) load balancer DNS points at. */
function coversOnlySelfManagedBalancers(
    firewall: PolicyResource,
    stack: StackIndex,
    balancers: ReadonlySet<string>,
    maybeBalancers: ReadonlySet<string>,
): boolean | "undecided" {
    const ids = stack.resolve(firewall, "dropletIds", [digitalocean.Droplet]);
    const tags = stack.tagNames(firewall, "tags");
    if (ids.undecided || tags.undecided) return "undecided";
    const covered = new Set(ids.targets.map((d) => d.urn));
    for (const tag of tags.names) for (const d of stack.dropletsTagged(tag)) covered.add(d.urn);
    // A pool's droplets are created from a template: never HAProxy balancers DNS can point at.
    if (
        stack
            .of(digitalocean.DropletAutoscale)
            .some((pool) => stack.templateTags(pool).names.some((t) => tags.names.includes(t)))
    )
        return false;
    if (covered.size === 0)
        return tags.names.length > 0 && stack.dropletsWithUndecidedTags.length > 0 ? "undecided" : false;
    if ([...covered].every((urn) => balancers.has(urn))) return true;
    // During a first preview an HAProxy droplet's user data (its backend list) is not known yet.
    return [...covered].every((urn) => balancers.has(urn) || maybeBalancers.has(urn)) ? "undecided" : false;
}

export const firewallNoWorldIngress: WebstackStackPolicy = {
    name: "firewall-no-world-ingress",
    description:
        "Checks that no cloud firewall admits inbound traffic from 0.0.0.0/0 or ::/0 to droplets, on any port other than SSH (firewall-no-world-ssh owns tcp rules that include port 22); only load balancers face the internet, so a firewall covering only HAProxy droplets that DNS points at, or only the droplets of a keepalived failover pair whose reserved IP DNS points at, may open selfManagedLoadBalancerPorts (80 and 443).",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: firewallNoWorldIngressSchema,
    rationale:
        "A world-open port on a droplet bypasses the load balancer's TLS, health checks and its own firewall, and exposes each droplet to scans and attacks directly; an HAProxy droplet is the load balancer, but only its web ports belong to the public.",
    remediationSteps:
        "Admit the load balancer with sourceLoadBalancerUids (and other tiers with sourceTags) instead of a world CIDR; keep world rules for HAProxy droplets to ports 80 and 443 in a firewall that covers only them; list deliberate exceptions in allowedPorts.",
    validateStack: validateStackOf(digitalocean.Firewall, (firewalls, stack, args, reportViolation) => {
        const { allowedPorts, allowIcmp, selfManagedLoadBalancerPorts } = configWithDefaults<{
            allowedPorts: number[];
            allowIcmp: boolean;
            selfManagedLoadBalancerPorts: number[];
        }>(firewallNoWorldIngressSchema, args);
        const undecided = new Undecided();
        let entry: { balancers: Set<string>; undecided: Set<string> } | undefined;
        for (const firewall of firewalls) {
            let onlyBalancers: boolean | "undecided" | undefined;
            for (const rule of inboundRules(firewall.props, firewall.name, undecided)) {
                if (rule.world.length === 0) continue;
                if (rule.protocol === "icmp" && allowIcmp) continue;
                const range = (rule.portRange ?? "").trim();
                if (rule.protocol !== "icmp" && allowedPorts.some((p) => range === String(p))) continue;
                // SSH from the world is firewall-no-world-ssh's finding (critical): one rule, one report.
                if (rule.protocol === "tcp" && SSH_PORTS_DEFAULT.some((p) => portRangeIncludes(rule.portRange, p)))
                    continue;
                if (onlyBalancers === undefined) {
                    if (!entry) {
                        const found = selfManagedEntry(stack);
                        entry = {
                            balancers: new Set(found.balancers.map((b) => b.droplet.urn)),
                            undecided: new Set(found.undecided.map((b) => b.droplet.urn)),
                        };
                    }
                    onlyBalancers = coversOnlySelfManagedBalancers(firewall, stack, entry.balancers, entry.undecided);
                }
                const webPort =
                    rule.protocol === "tcp" && selfManagedLoadBalancerPorts.some((p) => range === String(p));
                if (webPort && onlyBalancers === true) continue;
                if (webPort && onlyBalancers === "undecided") {
                    undecided.note(
                        `Firewall "${firewall.name}" opens ${describePorts(rule)} to the internet; whether it covers only HAProxy load balancers is not known yet.`,
                    );
                    continue;
                }
                // The droplets of a keepalived failover pair DNS reaches are the public entry too, on web ports only.
                if (webPort) {
                    const failover = failoverMembers(stack);
                    const onlyPair = coversOnlySelfManagedBalancers(firewall, stack, failover.members, failover.maybe);
                    if (onlyPair === true) continue;
                    if (onlyPair === "undecided") {
                        undecided.note(
                            `Firewall "${firewall.name}" opens ${describePorts(rule)} to the internet; whether it covers only droplets of a keepalived failover pair is not known yet.`,
                        );
                        continue;
                    }
                }
                if (onlyBalancers === true) {
                    reportViolation(
                        `Firewall "${firewall.name}" admits ${describePorts(rule)} from ${nameList(rule.world)} to its HAProxy droplets; a self-managed load balancer may open only tcp ports ${selfManagedLoadBalancerPorts.join(", ")} to the internet. ` +
                            "Remove the rule or restrict its sourceAddresses to your admin CIDRs.",
                        firewall.urn,
                    );
                    continue;
                }
                if (stack.of(digitalocean.LoadBalancer).length > 0 || entry!.balancers.size > 0) {
                    reportViolation(
                        `Firewall "${firewall.name}" admits ${describePorts(rule)} from ${nameList(rule.world)} to its droplets, bypassing the load balancer. ` +
                            "Admit the load balancer with sourceLoadBalancerUids (or other droplets with sourceTags) instead of a world CIDR.",
                        firewall.urn,
                    );
                    continue;
                }
                reportViolation(
                    `Firewall "${firewall.name}" admits ${describePorts(rule)} from ${nameList(rule.world)} to its droplets, so anyone on the internet reaches them directly, and the stack has no load balancer to admit instead. ` +
                        "Restrict sourceAddresses to the CIDRs that need the port, or put a load balancer in front of the droplets and admit it with sourceLoadBalancerUids; a service that must face the internet itself (a mail exchanger on port 25) belongs in this policy's allowedPorts.",
                    firewall.urn,
                );
            }
        }
        undecided.settle();
    }),
};

const firewallNoWorldSshSchema: PolicyConfigSchema = {
    properties: {
        sshPorts: {
            type: "array",
            items: PORT_SCHEMA,
            default: SSH_PORTS_DEFAULT,
            description: "Ports SSH listens on.",
        },
    },
};

export const firewallNoWorldSsh: WebstackResourcePolicy = {
    name: "firewall-no-world-ssh",
    description:
        "Checks that no cloud firewall admits SSH (port 22, a range containing it, or all ports) from 0.0.0.0/0 or ::/0.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: firewallNoWorldSshSchema,
    rationale:
        "SSH open to the world is brute-forced within minutes of a droplet booting; one weak key or unpatched daemon is root on the machine.",
    remediationSteps:
        'Restrict the SSH rule\'s sourceAddresses to admin CIDRs (or reach droplets through a VPN or bastion) and never use "all"/"1-65535" from the world.',
    validateResource: validateResourceOfType(digitalocean.Firewall, (firewall, args, reportViolation) => {
        const { sshPorts } = configWithDefaults<{ sshPorts: number[] }>(firewallNoWorldSshSchema, args);
        const undecided = new Undecided();
        for (const rule of inboundRules(firewall, args.name, undecided)) {
            if (rule.world.length === 0 || rule.protocol !== "tcp") continue;
            const port = sshPorts.find((p) => portRangeIncludes(rule.portRange, p));
            if (port === undefined) continue;
            reportViolation(
                `Firewall "${args.name}" admits SSH (${describePorts(rule)}, which includes ${port}) from ${nameList(rule.world)}, exposing it to every scanner on the internet. ` +
                    "Restrict sourceAddresses to your admin CIDRs, or reach the droplets through a VPN or bastion.",
            );
        }
        undecided.settle();
    }),
};

export const dropletSshKeys: WebstackResourcePolicy = {
    name: "droplet-ssh-keys",
    description:
        "Checks that every droplet is created with at least one SSH key (sshKeys), and that no sshKeys entry is an empty or blank string.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: { properties: {} },
    rationale: "A droplet created without SSH keys gets a root password sent by email and accepts password logins.",
    remediationSteps:
        "Set sshKeys to the ids or fingerprints of digitalocean.SshKey resources (this replaces the droplet).",
    validateResource: validateResourceOfType(digitalocean.Droplet, (droplet, args, reportViolation) => {
        // As forType's droplet cases do: the stack checks see only the user data's hash (lib/stateUserData.ts).
        rememberUserData(droplet);
        if (isUnknown(read(droplet, "sshKeys"))) decideLater(`Droplet "${args.name}"'s sshKeys are not known yet.`);
        const keys = readList(droplet, "sshKeys");
        // An empty or blank string names no key (DigitalOcean takes a key's id or fingerprint).
        const blank = keys.values.flatMap((v, i) => (typeof v === "string" && v.trim() === "" ? [i + 1] : []));
        const real = keys.values.length - blank.length;
        if (real === 0 && !keys.unknown) {
            // an unknown entry is still a key
            reportViolation(
                blank.length > 0
                    ? `Droplet "${args.name}" has no SSH key: its sshKeys hold only empty strings, so DigitalOcean emails a root password and the droplet accepts password logins; set sshKeys to one or more SSH key ids or fingerprints.`
                    : `Droplet "${args.name}" has no sshKeys, so DigitalOcean emails a root password and the droplet accepts password logins; set sshKeys to one or more SSH key ids or fingerprints.`,
            );
            return;
        }
        if (blank.length > 0) {
            reportViolation(
                `Droplet "${args.name}" lists an empty string in sshKeys (${blank.length === 1 ? "entry" : "entries"} ${blank.join(", ")}), which names no SSH key; remove it, or replace it with a key id or fingerprint.`,
            );
        }
    }),
};

export const databaseFirewallRequired: WebstackStackPolicy = {
    name: "database-firewall-required",
    description:
        "Checks that every database or cache cluster, and every read replica, has exactly one database firewall (DatabaseFirewall) restricting its trusted sources, a replica's by the replica's uuid.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: { properties: {} },
    rationale:
        "A managed database or read replica with no trusted sources accepts connections from any address on the internet; two DatabaseFirewall resources each replace the whole rule set and overwrite each other.",
    remediationSteps:
        'Add one digitalocean.DatabaseFirewall per cluster with clusterId: cluster.id, and per read replica with clusterId: replica.uuid, with rules trusting the app droplets\' tag ({ type: "tag", value: <tag> }).',
    validateStack: validateStackOf(
        [digitalocean.DatabaseCluster, digitalocean.DatabaseReplica],
        (subjects, stack, _args, reportViolation) => {
            const firewallsOf = new Map<string, PolicyResource[]>();
            const floating: PolicyResource[] = [];
            for (const firewall of stack.of(digitalocean.DatabaseFirewall)) {
                const target = stack.resolve(firewall, "clusterId", [
                    digitalocean.DatabaseCluster,
                    digitalocean.DatabaseReplica,
                ]);
                if (target.undecided) floating.push(firewall);
                const clusterId = readString(firewall.props, "clusterId");
                for (const t of target.targets) {
                    // A replica's id is "<cluster id>/replicas/<name>" (terraform-provider-digitalocean
                    // digitalocean/database/resource_database_replica.go makeReplicaId); the API knows it by its uuid,
                    // the value the provider documents for a replica's firewall (DatabaseFirewall, "Create firewall
                    // rule for database replica": clusterId: replica.uuid).
                    const uuid = readString(t.props, "uuid");
                    if (
                        t.isType(digitalocean.DatabaseReplica) &&
                        typeof clusterId === "string" &&
                        typeof uuid === "string" &&
                        clusterId !== uuid
                    ) {
                        reportViolation(
                            `Database firewall "${firewall.name}" sets clusterId to database replica "${t.name}"'s id (${q(clusterId)}), which names no cluster DigitalOcean can firewall; set clusterId to the replica's uuid.`,
                            firewall.urn,
                        );
                        continue;
                    }
                    firewallsOf.set(t.urn, [...(firewallsOf.get(t.urn) ?? []), firewall]);
                }
            }
            const undecided = new Undecided();
            for (const cluster of subjects) {
                const replica = cluster.isType(digitalocean.DatabaseReplica);
                const label = replica ? `Database replica "${cluster.name}"` : `Database cluster "${cluster.name}"`;
                const firewalls = firewallsOf.get(cluster.urn) ?? [];
                if (firewalls.length === 1 && floating.length === 0) continue;
                if (firewalls.length === 0 && floating.length > 0) {
                    undecided.note(
                        `${label} may have a database firewall among ${nameList(floating.map((f) => f.name))}, whose clusterId is not known yet.`,
                    );
                    continue;
                }
                if (firewalls.length === 0) {
                    reportViolation(
                        `${label} has no DatabaseFirewall, so any address on the internet can connect to it with valid credentials. ` +
                            (replica
                                ? "Add one digitalocean.DatabaseFirewall with clusterId set to the replica's uuid (not its id) and rules trusting the app droplets' tag."
                                : "Add one digitalocean.DatabaseFirewall with clusterId set to its id and rules trusting the app droplets' tag."),
                        cluster.urn,
                    );
                } else if (firewalls.length > 1) {
                    reportViolation(
                        `${label} has ${plural(firewalls.length, "DatabaseFirewall")} (${nameList(firewalls.map((f) => f.name))}); each replaces its whole rule set, so they overwrite each other. ` +
                            "Merge their rules into one DatabaseFirewall.",
                        cluster.urn,
                    );
                }
            }
            undecided.settle();
        },
    ),
};

// The rule types the API accepts: digitalocean/openapi@7c1300c
// specification/resources/databases/models/firewall_rule.yml (`type` enum); the provider checks the same list,
// case-sensitively, before any change (terraform-provider-digitalocean v2.96.0,
// digitalocean/database/resource_database_firewall.go, rule.type ValidateFunc StringInSlice(..., false)).
const DATABASE_FIREWALL_RULE_TYPES = ["ip_addr", "droplet", "k8s", "tag", "app"];

export const databaseFirewallNoWorld: WebstackResourcePolicy = {
    name: "database-firewall-no-world",
    description:
        "Checks that no database firewall is empty, trusts 0.0.0.0/0 or ::/0, or has a rule of a type DigitalOcean does not accept (ip_addr, droplet, k8s, tag, app).",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: { properties: {} },
    rationale:
        "A world CIDR (or an empty rule set) in a database firewall opens the database port to the whole internet; credentials become the only defence.",
    remediationSteps:
        'Trust the app droplets by { type: "tag", value: <tag> } (or specific droplets, apps or Kubernetes clusters) instead of a world CIDR.',
    validateResource: validateResourceOfType(digitalocean.DatabaseFirewall, (firewall, args, reportViolation) => {
        const rules = readList(firewall, "rules");
        const undecided = new Undecided();
        if (rules.unknown) undecided.note(`Database firewall "${args.name}"'s rules are not known yet.`);
        if (rules.values.length === 0 && !rules.unknown) {
            reportViolation(
                `Database firewall "${args.name}" has no rules, which leaves the cluster reachable from any address; add rules trusting the app droplets' tag ({ type: "tag", value: <tag> }).`,
            );
        }
        const rejected: { index: number; type: unknown }[] = [];
        let typeUnknown = false;
        for (const [index, rule] of rules.values.entries()) {
            const type = read(rule, "type");
            if (isUnknown(type)) {
                undecided.note(`Database firewall "${args.name}" has a rule whose type is not known yet.`);
                typeUnknown = true;
                continue;
            }
            if (typeof type !== "string" || !DATABASE_FIREWALL_RULE_TYPES.includes(type)) {
                rejected.push({ index, type });
                continue;
            }
            if (type !== "ip_addr") continue; // droplet, k8s, tag and app rules name resources, never addresses
            const value = read(rule, "value");
            if (isUnknown(value)) {
                undecided.note(`Database firewall "${args.name}" has an ip_addr rule whose address is not known yet.`);
                continue;
            }
            if (typeof value === "string" && isWorldCidr(value)) {
                reportViolation(
                    `Database firewall "${args.name}" trusts ip_addr ${q(value)}, which admits the whole internet to the cluster; trust the app droplets by { type: "tag", value: <tag> } or specific addresses instead.`,
                );
            }
        }
        const accepted = `${DATABASE_FIREWALL_RULE_TYPES.slice(0, -1).join(", ")} or ${DATABASE_FIREWALL_RULE_TYPES.at(-1)}`;
        const shown = (type: unknown) => (typeof type === "string" ? q(type) : "(none)");
        const hint = (type: unknown) => {
            const near =
                typeof type === "string"
                    ? DATABASE_FIREWALL_RULE_TYPES.find((t) => t === type.trim().toLowerCase())
                    : undefined;
            return near ? ` (the API is case-sensitive: write ${q(near)})` : "";
        };
        if (rejected.length > 0 && rejected.length === rules.values.length && !rules.unknown && !typeUnknown) {
            // Not one rule DigitalOcean accepts: the firewall restricts nothing, as if it had no rules.
            reportViolation(
                `Database firewall "${args.name}" trusts no source DigitalOcean recognises: its rules have type ${nameList(rejected.map((r) => (typeof r.type === "string" ? r.type : "(none)")))}, not one of ${accepted}, so they restrict nothing and the provider rejects them. ` +
                    `Give each rule one of those types${hint(rejected[0].type)}, e.g. { type: "tag", value: <tag> } for the app droplets.`,
            );
        } else {
            for (const { index, type } of rejected) {
                reportViolation(
                    `Database firewall "${args.name}" has rule ${index + 1} of type ${shown(type)}, which DigitalOcean does not accept (types: ${accepted}), so it restricts nothing and the provider rejects it. ` +
                        `Change its type to one of those${hint(type)} or remove the rule.`,
                );
            }
        }
        undecided.settle();
    }),
};

/** Where a resource's VPC reference points: a Vpc resource, a raw uuid, or the region's default VPC. */
function vpcKey(
    stack: StackIndex,
    r: PolicyResource,
    property: string,
    region: string,
): { key: string; label: string } | "undecided" {
    // "dropletTemplate.vpcUuid": the engine reports dependencies per top-level property.
    const path = property.split(".");
    property = path[0];
    const value = readString(r.props, ...path);
    if (typeof value === "string" && value !== "") {
        const vpc = stack.resourceWithId(value);
        if (vpc && vpc.isType(digitalocean.Vpc)) return { key: vpc.urn, label: `VPC "${vpc.name}"` };
    }
    if (isUnknown(value) || (typeof value === "string" && value !== "")) {
        const dep = (r.propertyDependencies?.[property] ?? []).find((d) => d.isType(digitalocean.Vpc));
        if (dep) return { key: dep.urn, label: `VPC "${dep.name}"` };
        if (isUnknown(value)) return "undecided";
        return { key: `uuid:${value}`, label: `VPC ${q(value)}` };
    }
    return { key: `default:${region}`, label: `the default VPC of ${region}` };
}

export const resourcesSameVpc: WebstackStackPolicy = {
    name: "resources-same-vpc",
    description:
        "Checks that the droplets (autoscale pool templates included), Kubernetes clusters given a vpcUuid, load balancers and database clusters of each region share one VPC (vpcUuid / privateNetworkUuid; absent means the region's default VPC).",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: { properties: {} },
    rationale:
        "Resources in different VPCs cannot talk over the private network: traffic to the database either fails or has to cross the public internet.",
    remediationSteps:
        "Create one digitalocean.Vpc per region and pass its id as vpcUuid (droplets, Kubernetes clusters, load balancers) and privateNetworkUuid (database clusters, replicas).",
    validateStack: validateStackOf(
        [digitalocean.Droplet, digitalocean.DropletAutoscale, digitalocean.KubernetesCluster],
        (_droplets, stack, _args, reportViolation) => {
            const members: [ResourceLabel, PolicyResource, string][] = [
                ...stack
                    .of(digitalocean.Droplet)
                    .map((r): [ResourceLabel, PolicyResource, string] => ["droplet", r, "vpcUuid"]),
                // A DOKS cluster only when its props hold a vpcUuid: the API documents the region's default VPC for
                // droplets and databases left without one (digitalocean/openapi@7c1300c4
                // droplets/models/droplet_create.yml:97, databases/models/database_cluster.yml:80) but says nothing of
                // the kind for clusters (kubernetes/models/cluster.yml:46-51). The provider computes vpc_uuid, so after
                // a create the state holds the VPC the cluster is in, and during the preview that creates it the value
                // is unknown and the check decides later.
                ...stack
                    .of(digitalocean.KubernetesCluster)
                    .filter((r) => read(r.props, "vpcUuid") !== undefined)
                    .map((r): [ResourceLabel, PolicyResource, string] => ["Kubernetes cluster", r, "vpcUuid"]),
                ...stack
                    .of(digitalocean.LoadBalancer)
                    .map((r): [ResourceLabel, PolicyResource, string] => ["load balancer", r, "vpcUuid"]),
                ...stack
                    .of(digitalocean.DatabaseCluster)
                    .map((r): [ResourceLabel, PolicyResource, string] => ["database cluster", r, "privateNetworkUuid"]),
                ...stack
                    .of(digitalocean.DatabaseReplica)
                    .map((r): [ResourceLabel, PolicyResource, string] => ["database replica", r, "privateNetworkUuid"]),
                ...stack
                    .of(digitalocean.DropletAutoscale)
                    .map((r): [ResourceLabel, PolicyResource, string] => [
                        "droplet autoscale pool",
                        r,
                        "dropletTemplate.vpcUuid",
                    ]),
            ];
            const undecided = new Undecided();
            const regions = new Map<string, Map<string, { label: string; members: string[] }>>();
            for (const [kind, r, property] of members) {
                if (isGlobalLoadBalancer(read(r.props, "type"))) continue; // global load balancers have no region or VPC
                let region = r.isType(digitalocean.DropletAutoscale)
                    ? readString(r.props, "dropletTemplate", "region")
                    : readString(r.props, "region");
                if (region === undefined && r.isType(digitalocean.DatabaseReplica)) {
                    const cluster = stack.resolve(r, "clusterId", [digitalocean.DatabaseCluster]).targets[0];
                    region = cluster ? readString(cluster.props, "region") : undefined;
                }
                if (typeof region !== "string") {
                    if (isUnknown(region)) undecided.note(`The region of ${kind} "${r.name}" is not known yet.`);
                    continue;
                }
                const vpc = vpcKey(stack, r, property, region);
                if (vpc === "undecided") {
                    undecided.note(`The VPC of ${kind} "${r.name}" is not known yet.`);
                    continue;
                }
                const groups = regions.get(region) ?? new Map<string, { label: string; members: string[] }>();
                const group = groups.get(vpc.key) ?? { label: vpc.label, members: [] };
                group.members.push(`${kind} "${r.name}"`);
                groups.set(vpc.key, group);
                regions.set(region, groups);
            }
            for (const [region, groups] of regions) {
                if (groups.size < 2) continue;
                const parts = [...groups.values()].map(
                    (g) =>
                        `${g.label} (${g.members.slice(0, 4).join(", ")}${g.members.length > 4 ? ` and ${g.members.length - 4} more` : ""})`,
                );
                reportViolation(
                    `Resources in region "${region}" are split across ${groups.size} VPCs: ${parts.join("; ")}; they cannot reach each other over the private network. ` +
                        "Pass one VPC's id as vpcUuid and privateNetworkUuid to all of them.",
                );
            }
            undecided.settle();
        },
    ),
};

type ResourceLabel =
    | "droplet"
    | "Kubernetes cluster"
    | "load balancer"
    | "database cluster"
    | "database replica"
    | "droplet autoscale pool";

export const networkPolicies: WebstackPolicy[] = [
    dropletFirewallCoverage,
    firewallNoWorldIngress,
    firewallNoWorldSsh,
    dropletSshKeys,
    databaseFirewallRequired,
    databaseFirewallNoWorld,
    resourcesSameVpc,
];
