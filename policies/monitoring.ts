// Monitoring: every machine and managed service has an enabled alert that reaches a person, and the
// public endpoint is watched from outside.
import { digitalocean } from "./lib/digitalocean";
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { configWithDefaults } from "./lib/config";
import {
    addressRecordOf,
    addressRecords,
    externalLoadBalancers,
    fqdnOf,
    isManagementName,
    publicWebDroplets,
    namesNoPublicSite,
} from "./lib/endpoints";
import { nameList } from "./lib/messages";
import { hostOf, isPrivateAddress } from "./lib/net";
import { remediateResourceOfType } from "@pulumi/policy";
import { withNestedChanges } from "./lib/remediate";
import {
    forType,
    validateResourceOfTypes,
    WebstackPolicy,
    WebstackResourcePolicy,
    WebstackStackPolicy,
} from "./lib/policy";
import { ResourceClass, StackIndex, validateStackOf } from "./lib/stack";
import { decideLater, isUnknown, read, readList, readString, Undecided } from "./lib/unknowns";
import { databaseClusterLogSink, dropletLogsShipped } from "./monitoringLogs";

// Log policies live in monitoringLogs.ts (kept apart while other families change in parallel).
export { databaseClusterLogSink, dropletLogsShipped };

export const dropletMonitoringAgent: WebstackResourcePolicy = {
    name: "droplet-monitoring-agent",
    description:
        "Checks that every droplet runs the DigitalOcean monitoring agent (monitoring: true), HAProxy droplets included, and that every droplet autoscale pool's template installs it (withDropletAgent: true).",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: { properties: {} },
    rationale:
        "Without the agent DigitalOcean sees only CPU and bandwidth: memory and disk alerts never fire, and a droplet can fill its disk silently.",
    remediationSteps:
        "Set monitoring: true on the droplet (this replaces it, so keep it behind a tag-targeted load balancer), or dropletTemplate.withDropletAgent: true on the autoscale pool; at enforcement level remediate the pack sets the pool's flag itself (never a droplet's, which would replace it).",
    // Safe only for autoscale pools: the template applies to droplets the pool creates from now on.
    remediateResource: remediateResourceOfType(digitalocean.DropletAutoscale, (pool) => {
        const agent = read(pool, "dropletTemplate", "withDropletAgent");
        if (agent === true || isUnknown(agent) || isUnknown(read(pool, "dropletTemplate"))) return undefined;
        return withNestedChanges(pool, "dropletTemplate", { withDropletAgent: true });
    }),
    validateResource: validateResourceOfTypes(
        forType(digitalocean.Droplet, (droplet, args, reportViolation) => {
            const monitoring = read(droplet, "monitoring");
            if (isUnknown(monitoring)) decideLater(`Droplet "${args.name}"'s monitoring flag is not known yet.`);
            if (monitoring === true) return;
            reportViolation(
                `Droplet "${args.name}" has monitoring ${monitoring === false ? "false" : "unset"}, so its memory and disk metrics are never collected and alerts on them cannot fire; set monitoring: true.`,
            );
        }),
        forType(digitalocean.DropletAutoscale, (pool, args, reportViolation) => {
            const agent = read(pool, "dropletTemplate", "withDropletAgent");
            if (isUnknown(agent))
                decideLater(
                    `Droplet autoscale pool "${args.name}"'s dropletTemplate.withDropletAgent is not known yet.`,
                );
            if (agent === true) return;
            reportViolation(
                `Droplet autoscale pool "${args.name}" has dropletTemplate.withDropletAgent ${agent === false ? "false" : "unset"}, so its droplets' memory and disk metrics are never collected and alerts on them cannot fire; set withDropletAgent: true.`,
            );
        }),
    ),
};

/** What the enabled, notifying alerts of one family cover. */
interface Coverage {
    /** Alert types that apply to every resource of the family (no entities and no tags). */
    everywhere: Set<string>;
    byUrn: Map<string, Set<string>>;
    byTag: Map<string, Set<string>>;
    /** True when some alert's targets, state or notifications are unknown. */
    undecided: boolean;
}

function add(map: Map<string, Set<string>>, key: string, type: string): void {
    const set = map.get(key) ?? new Set<string>();
    set.add(type);
    map.set(key, set);
}

/** True when a notification block has at least one email or Slack target (or an unknown one). */
function notifies(block: unknown): boolean | "unknown" {
    const emails = readList(block, "emails");
    const slacks = readList(block, "slacks");
    if (emails.values.length > 0 || slacks.values.length > 0) return true;
    return emails.unknown || slacks.unknown ? "unknown" : false;
}

/** Indexes the enabled MonitorAlerts with a notification target whose type starts with `prefix`. */
function alertCoverage(stack: StackIndex, prefix: string, targets: readonly ResourceClass[]): Coverage {
    const coverage: Coverage = { everywhere: new Set(), byUrn: new Map(), byTag: new Map(), undecided: false };
    for (const alert of stack.of(digitalocean.MonitorAlert)) {
        const type = readString(alert.props, "type");
        if (isUnknown(type)) {
            coverage.undecided = true;
            continue;
        }
        if (typeof type !== "string" || !type.startsWith(prefix)) continue;
        const enabled = read(alert.props, "enabled");
        const notifying = notifies(read(alert.props, "alerts"));
        if (enabled === false || notifying === false) continue;
        if (isUnknown(enabled) || notifying === "unknown") {
            coverage.undecided = true;
            continue;
        }
        const entities = stack.resolve(alert, "entities", targets);
        const tags = stack.tagNames(alert, "tags");
        if (entities.undecided || tags.undecided) coverage.undecided = true;
        const entityCount = readList(alert.props, "entities");
        if (entityCount.values.length === 0 && !entityCount.unknown && tags.names.length === 0 && !tags.undecided) {
            // DigitalOcean applies an alert policy with neither entities nor tags to every resource of its kind.
            coverage.everywhere.add(type);
            continue;
        }
        for (const target of entities.targets) add(coverage.byUrn, target.urn, type);
        for (const tag of tags.names) add(coverage.byTag, tag, type);
    }
    return coverage;
}

/** The alert types covering one resource. */
function typesCovering(coverage: Coverage, r: PolicyResource, tags: readonly string[]): Set<string> {
    const types = new Set(coverage.everywhere);
    for (const t of coverage.byUrn.get(r.urn) ?? []) types.add(t);
    for (const tag of tags) for (const t of coverage.byTag.get(tag) ?? []) types.add(t);
    return types;
}

interface CoverageSpec {
    label: string | ((r: PolicyResource) => string);
    prefix: string;
    example: string;
    how: string | ((r: PolicyResource) => string);
    consequence: string;
}

/** Reports each subject lacking an alert (or one of the required alert types). */
function checkCoverage(
    subjects: PolicyResource[],
    stack: StackIndex,
    cls: ResourceClass,
    spec: CoverageSpec,
    requiredTypes: string[],
    tagsOf: (r: PolicyResource) => { names: string[]; undecided: boolean },
    reportViolation: (message: string, urn?: string) => void,
): void {
    const coverage = alertCoverage(stack, spec.prefix, [cls]);
    const labelOf = (r: PolicyResource) => (typeof spec.label === "string" ? spec.label : spec.label(r));
    const undecided = new Undecided();
    for (const subject of subjects) {
        const tags = tagsOf(subject);
        const types = typesCovering(coverage, subject, tags.names);
        const missing =
            requiredTypes.length > 0
                ? requiredTypes.filter((t) => !types.has(t))
                : types.size > 0
                  ? []
                  : [spec.example];
        if (missing.length === 0) continue;
        if (coverage.undecided || tags.undecided) {
            undecided.note(
                `${labelOf(subject)} "${subject.name}" may lack alerts for ${nameList(missing)}: some alert targets or tags are not known yet.`,
            );
            continue;
        }
        const what =
            requiredTypes.length > 0
                ? `no enabled alert policy with a notification target for ${nameList(missing)}`
                : "no enabled alert policy with a notification target";
        reportViolation(
            `${labelOf(subject)} "${subject.name}" has ${what}, so ${spec.consequence}. ` +
                `Add a digitalocean.MonitorAlert of type "${missing[0]}" ${typeof spec.how === "string" ? spec.how : spec.how(subject)} with alerts.emails or alerts.slacks.`,
            subject.urn,
        );
    }
    undecided.settle();
}

const requiredTypesProperty = (example: string[]) => ({
    type: "array" as const,
    items: { type: "string" as const },
    default: [],
    description: `Alert types every resource must be covered by (e.g. ${JSON.stringify(example)}); empty means any alert of the family.`,
});

const dropletAlertCoverageSchema: PolicyConfigSchema = {
    properties: {
        requiredTypes: requiredTypesProperty([
            "v1/insights/droplet/cpu",
            "v1/insights/droplet/memory_utilization_percent",
            "v1/insights/droplet/disk_utilization_percent",
        ]),
    },
};

export const dropletAlertCoverage: WebstackStackPolicy = {
    name: "droplet-alert-coverage",
    description:
        "Checks that every droplet (HAProxy droplets included) is covered, by one of its tags or by its id, and every droplet autoscale pool by one of its template's tags, by an enabled droplet alert policy with at least one email or Slack target.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: dropletAlertCoverageSchema,
    rationale:
        "Metrics nobody is alerted on do not prevent outages: a droplet at 100 % CPU or with a full disk should page someone before users notice.",
    remediationSteps:
        "Add digitalocean.MonitorAlert resources (types v1/insights/droplet/cpu, memory_utilization_percent, disk_utilization_percent) whose tags include the droplets' tags, with alerts.emails or alerts.slacks.",
    validateStack: validateStackOf(
        [digitalocean.Droplet, digitalocean.DropletAutoscale],
        (subjects, stack, args, reportViolation) => {
            const { requiredTypes } = configWithDefaults<{ requiredTypes: string[] }>(dropletAlertCoverageSchema, args);
            // Autoscale pools create their droplets at run time: only their template's tags can reach them.
            const isPool = (r: PolicyResource) => r.isType(digitalocean.DropletAutoscale);
            checkCoverage(
                subjects,
                stack,
                digitalocean.Droplet,
                {
                    label: (r) => (isPool(r) ? "Droplet autoscale pool" : "Droplet"),
                    prefix: "v1/insights/droplet/",
                    example: "v1/insights/droplet/cpu",
                    how: (r) =>
                        isPool(r)
                            ? "whose tags include one of its template's tags"
                            : "whose tags include one of the droplet's tags (or whose entities list its id)",
                    consequence: "nobody is told when it runs out of CPU, memory or disk",
                },
                requiredTypes,
                (r) => (isPool(r) ? stack.templateTags(r) : stack.tagNames(r, "tags")),
                reportViolation,
            );
        },
    ),
};

const loadBalancerAlertCoverageSchema: PolicyConfigSchema = {
    properties: {
        requiredTypes: requiredTypesProperty([
            "v1/insights/lbaas/droplet_health",
            "v1/insights/lbaas/increase_in_http_error_rate_percentage_5xx",
        ]),
    },
};

export const loadBalancerAlertCoverage: WebstackStackPolicy = {
    name: "load-balancer-alert-coverage",
    description:
        "Checks that every load balancer is listed in the entities of an enabled load balancer alert policy with at least one email or Slack target.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: loadBalancerAlertCoverageSchema,
    rationale:
        "The load balancer is where failing backends and 5xx errors show first; without an alert on it, a broken pool is found by users.",
    remediationSteps:
        "Add a digitalocean.MonitorAlert of type v1/insights/lbaas/droplet_health (and 5xx, latency) with entities: [lb.id] and alerts.emails or alerts.slacks.",
    validateStack: validateStackOf(digitalocean.LoadBalancer, (lbs, stack, args, reportViolation) => {
        const { requiredTypes } = configWithDefaults<{ requiredTypes: string[] }>(
            loadBalancerAlertCoverageSchema,
            args,
        );
        checkCoverage(
            lbs,
            stack,
            digitalocean.LoadBalancer,
            {
                label: "Load balancer",
                prefix: "v1/insights/lbaas/",
                example: "v1/insights/lbaas/droplet_health",
                how: "with entities including its id",
                consequence: "nobody is told when its backends fail or it returns errors",
            },
            requiredTypes,
            () => ({ names: [], undecided: false }),
            reportViolation,
        );
    }),
};

const databaseAlertCoverageSchema: PolicyConfigSchema = {
    properties: {
        requiredTypes: requiredTypesProperty([
            "v1/dbaas/alerts/cpu_alerts",
            "v1/dbaas/alerts/memory_utilization_alerts",
            "v1/dbaas/alerts/disk_utilization_alerts",
        ]),
    },
};

export const databaseAlertCoverage: WebstackStackPolicy = {
    name: "database-alert-coverage",
    description:
        "Checks that every database cluster (caches included) is listed in the entities of an enabled database alert policy with at least one email or Slack target.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: databaseAlertCoverageSchema,
    rationale:
        "A managed database that runs out of disk stops accepting writes; its CPU, memory and disk need alerts like any server.",
    remediationSteps:
        "Add digitalocean.MonitorAlert resources of types v1/dbaas/alerts/cpu_alerts, memory_utilization_alerts and disk_utilization_alerts with entities: [cluster.id] and alerts.emails or alerts.slacks.",
    validateStack: validateStackOf(digitalocean.DatabaseCluster, (clusters, stack, args, reportViolation) => {
        const { requiredTypes } = configWithDefaults<{ requiredTypes: string[] }>(databaseAlertCoverageSchema, args);
        checkCoverage(
            clusters,
            stack,
            digitalocean.DatabaseCluster,
            {
                label: "Database cluster",
                prefix: "v1/dbaas/alerts/",
                example: "v1/dbaas/alerts/cpu_alerts",
                how: "with entities including its id",
                consequence: "nobody is told when it runs out of CPU, memory or disk",
            },
            requiredTypes,
            (c) => stack.tagNames(c, "tags"),
            reportViolation,
        );
    }),
};

const uptimeCheckPublicEndpointSchema: PolicyConfigSchema = {
    properties: {
        requiredAlertTypes: {
            type: "array",
            items: { type: "string", enum: ["latency", "down", "down_global", "ssl_expiry"] },
            default: [],
            description:
                'Uptime alert types the endpoint\'s check must have (e.g. ["down", "ssl_expiry"]); empty means any one alert.',
        },
    },
};

/**
 * Mail and verification records: names under a "_" label (DKIM's selector._domainkey, _dmarc, _acme-challenge) and
 * CNAMEs that delegate to an e-mail service (SendGrid's em…/url… and DKIM names, Mailgun, Amazon SES, Mandrill,
 * Mailchimp, SparkPost, Postmark, Zoho, Microsoft 365 autodiscover). They answer mail servers, not browsers.
 */
const MAIL_SERVICE =
    /(?:^|\.)(?:sendgrid\.net|mailgun\.org|amazonses\.com|mandrillapp\.com|mcsv\.net|mcdlv\.net|sparkpostmail\.com|mtasv\.net|zoho\.(?:com|eu)|outlook\.com)\.?$/i;

/** Whether a DNS record names a website (not a mail, verification or SSH management name). */
function isWebName(stack: StackIndex, record: PolicyResource, type: string, fqdn: string): boolean {
    if (fqdn.split(".").some((label) => label.startsWith("_")) || isManagementName(fqdn)) return false;
    const value = readString(record.props, "value");
    if (type === "CNAME") return !(typeof value === "string" && MAIL_SERVICE.test(value.trim()));
    // A private address (a VPC's, for service discovery) is no endpoint an uptime checker on the internet can reach.
    if (typeof value === "string" && isPrivateAddress(value)) return false;
    const target = addressRecordOf(stack, record)?.target;
    // An uptime checker on the internet cannot reach a droplet open to an office only, and needs not reach one that
    // serves no web.
    return !(target && target.isType(digitalocean.Droplet) && namesNoPublicSite(stack, target));
}

/** What the public reaches, for messages and for matching uptime check targets. */
interface PublicEndpoint {
    /** For messages: DNS names, or `load balancer "edge" (198.51.100.7)`. */
    shown: string;
    /** The target to suggest. */
    suggested: string;
    /** Hosts (names and IPs) a check may target. */
    hosts: Set<string>;
    /** Resources whose outputs a check's target may be computed from. */
    resources: Set<string>;
}

/**
 * The stack's public endpoint: its DNS names when it has address or alias records; otherwise what the public can
 * only be meant to reach: the internet-facing load balancers' IPs or, with none, the droplets that serve the public.
 */
function publicEndpoint(stack: StackIndex, undecided: Undecided): PublicEndpoint | undefined {
    const names = new Set<string>();
    for (const record of stack.of(digitalocean.DnsRecord)) {
        const type = readString(record.props, "type");
        const fqdn = fqdnOf(record);
        if (isUnknown(type)) undecided.note(`DNS record "${fqdn}"'s type is not known yet.`);
        else if (
            typeof type === "string" &&
            ["A", "AAAA", "CNAME"].includes(type.toUpperCase()) &&
            isWebName(stack, record, type.toUpperCase(), fqdn)
        )
            names.add(fqdn);
    }
    // A Domain's ipAddress is the apex A record.
    for (const apex of addressRecords(stack).filter((r) => r.record.isType(digitalocean.Domain)))
        if (isWebName(stack, apex.record, apex.type, apex.fqdn)) names.add(apex.fqdn);
    const lbs = externalLoadBalancers(stack);
    const ipOf = (r: PolicyResource, key: string) => {
        const ip = readString(r.props, key);
        return typeof ip === "string" && ip !== "" ? ip : undefined;
    };
    const hosts = new Set<string>(names);
    for (const lb of lbs) for (const ip of [ipOf(lb, "ip"), ipOf(lb, "ipv6")]) if (ip) hosts.add(ip);
    if (names.size > 0) {
        for (const record of addressRecords(stack)) if (record.value !== "(unknown)") hosts.add(record.value);
        const first = [...names].sort((a, b) => a.length - b.length)[0];
        return { shown: nameList([...names]), suggested: `https://${first}`, hosts, resources: new Set() };
    }
    if (undecided.count > 0) return undefined;
    const web = publicWebDroplets(stack);
    for (const d of web.undecided)
        undecided.note(`Whether droplet "${d.name}" serves the public is not known yet (its user data is computed).`);
    const entries: PolicyResource[] = lbs.length > 0 ? lbs : web.serving;
    if (entries.length === 0) return undefined;
    const labelled = entries.map((r) => {
        const ip = r.isType(digitalocean.LoadBalancer) ? ipOf(r, "ip") : ipOf(r, "ipv4Address");
        const ipv6 = r.isType(digitalocean.LoadBalancer) ? ipOf(r, "ipv6") : ipOf(r, "ipv6Address");
        for (const address of [ip, ipv6]) if (address) hosts.add(address);
        return {
            label: `${r.isType(digitalocean.LoadBalancer) ? "load balancer" : "droplet"} "${r.name}"${ip ? ` (${ip})` : ""}`,
            ip,
        };
    });
    for (const r of stack.of(digitalocean.ReservedIp)) {
        const ip = ipOf(r, "ipAddress");
        const holder = ip ? stack.resourceAtIp(ip) : undefined;
        if (ip && holder && entries.includes(holder)) hosts.add(ip);
    }
    const shown =
        labelled
            .slice(0, 5)
            .map((l) => l.label)
            .join(", ") + (labelled.length > 5 ? ` and ${labelled.length - 5} more` : "");
    const suggested = `http://${labelled[0].ip ?? `<the ip of ${labelled[0].label}>`}`;
    return { shown, suggested, hosts, resources: new Set(entries.map((r) => r.urn)) };
}

export const uptimeCheckPublicEndpoint: WebstackStackPolicy = {
    name: "uptime-check-public-endpoint",
    description:
        "Checks that the stack's public endpoint (the website names in its DNS records and a Domain's ipAddress, not mail, verification or SSH names, or, without them, an internet-facing load balancer's IP or, without one, a public droplet that serves the web) is watched by an enabled uptime check with an uptime alert that notifies someone.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: uptimeCheckPublicEndpointSchema,
    rationale:
        "Resource metrics can all look healthy while the site is unreachable (DNS, certificate, routing); only a check from outside sees what users see.",
    remediationSteps:
        'Add a digitalocean.UptimeCheck with target "https://<domain>" (or the load balancer\'s ip) and digitalocean.UptimeAlert resources (down, latency, ssl_expiry) with checkId: check.id and notifications [{ emails: [...] }].',
    validateStack: validateStackOf(
        [digitalocean.DnsRecord, digitalocean.LoadBalancer, digitalocean.Droplet],
        (_subjects, stack, args, reportViolation) => {
            const { requiredAlertTypes } = configWithDefaults<{ requiredAlertTypes: string[] }>(
                uptimeCheckPublicEndpointSchema,
                args,
            );
            const undecided = new Undecided();
            const endpoint = publicEndpoint(stack, undecided);
            if (!endpoint) return undecided.settle();
            const { shown } = endpoint;

            const watching: PolicyResource[] = [];
            for (const check of stack.of(digitalocean.UptimeCheck)) {
                const enabled = read(check.props, "enabled");
                const target = readString(check.props, "target");
                if (enabled === false) continue;
                // A target computed from the endpoint's own outputs (e.g. `http://${lb.ip}`) watches it, known or not.
                const fromEndpoint = (check.propertyDependencies?.target ?? []).some((d) =>
                    endpoint.resources.has(d.urn),
                );
                if (isUnknown(enabled) || (isUnknown(target) && !fromEndpoint)) {
                    undecided.note(`Uptime check "${check.name}"'s target or enabled flag is not known yet.`);
                    continue;
                }
                if (fromEndpoint || (typeof target === "string" && endpoint.hosts.has(hostOf(target))))
                    watching.push(check);
            }
            if (watching.length === 0) {
                if (undecided.count > 0) return undecided.settle();
                reportViolation(
                    `No enabled uptime check watches the public endpoint (${shown}), so an outage is noticed by users first. ` +
                        `Add a digitalocean.UptimeCheck with target "${endpoint.suggested}" and a digitalocean.UptimeAlert of type "down" that notifies someone.`,
                );
                return;
            }
            // Alert types with a notification target, per watching check.
            const alertTypes = new Map<string, Set<string>>(watching.map((c) => [c.urn, new Set<string>()]));
            for (const alert of stack.of(digitalocean.UptimeAlert)) {
                const checks = stack.resolve(alert, "checkId", [digitalocean.UptimeCheck]);
                const type = readString(alert.props, "type");
                const blocks = readList(alert.props, "notifications");
                const notifying = blocks.values.map(notifies);
                if (checks.undecided || isUnknown(type) || blocks.unknown || notifying.includes("unknown")) {
                    undecided.note(`Uptime alert "${alert.name}"'s check, type or notifications are not known yet.`);
                    continue;
                }
                if (!notifying.includes(true) || typeof type !== "string") continue;
                for (const check of checks.targets) alertTypes.get(check.urn)?.add(type);
            }
            const satisfied = watching.some((c) => {
                const types = alertTypes.get(c.urn)!;
                return requiredAlertTypes.length > 0 ? requiredAlertTypes.every((t) => types.has(t)) : types.size > 0;
            });
            if (satisfied) return;
            if (undecided.count > 0) return undecided.settle();
            for (const check of watching) {
                const types = alertTypes.get(check.urn)!;
                const missing =
                    requiredAlertTypes.length > 0 ? requiredAlertTypes.filter((t) => !types.has(t)) : ["down"];
                reportViolation(
                    `Uptime check "${check.name}" watches the public endpoint (${shown}) but has no uptime alert of type ${nameList(missing)} that notifies someone. ` +
                        `Add a digitalocean.UptimeAlert with checkId set to the check's id, type "${missing[0]}" and notifications [{ emails: [...] }].`,
                    check.urn,
                );
            }
        },
    ),
};

export const monitoringPolicies: WebstackPolicy[] = [
    dropletMonitoringAgent,
    dropletAlertCoverage,
    loadBalancerAlertCoverage,
    databaseAlertCoverage,
    uptimeCheckPublicEndpoint,
    databaseClusterLogSink,
    dropletLogsShipped,
];
