// Monitoring family, logs: every managed database forwards its logs somewhere searchable, and every
// droplet that serves requests ships its logs off the machine. DigitalOcean load balancers have no access logs
// (digitalocean/openapi specification/resources/load_balancers/models has no log field) and the monitoring agent
// collects none (docs.digitalocean.com/products/monitoring/details/limits: it "only collects system-level data"), so
// the backends' own logs are the only record of who asked what.
import { digitalocean } from "./lib/digitalocean";
import type { PolicyConfigSchema, PolicyResource } from "@pulumi/policy";
import { configWithDefaults } from "./lib/config";
import { logShipperIn } from "./lib/logShippers";
import { WebstackStackPolicy } from "./lib/policy";
import { StackIndex, validateStackOf } from "./lib/stack";
import { isUnknown, read, readString, Undecided } from "./lib/unknowns";
import { webRoleOf } from "./lib/endpoints";
import { dropletUserData } from "./lib/stateUserData";

/** Engines DigitalOcean's log sinks (DatabaseLogsinkOpensearch / DatabaseLogsinkRsyslog) accept. */
const SINK_ENGINES = ["mysql", "pg", "valkey", "redis", "kafka"];

const databaseClusterLogSinkSchema: PolicyConfigSchema = {
    properties: {
        engines: {
            type: "array",
            items: { type: "string" },
            default: SINK_ENGINES,
            description:
                'Engines whose clusters must have a log sink (DigitalOcean supports sinks for "mysql", "pg", "valkey" (and legacy "redis") and "kafka"; MongoDB forwards to Datadog only, OpenSearch is usually the target).',
        },
    },
};

export const databaseClusterLogSink: WebstackStackPolicy = {
    name: "database-cluster-log-sink",
    description:
        "Checks that every managed database cluster of an engine that supports log forwarding has a log sink (digitalocean.DatabaseLogsinkOpensearch or DatabaseLogsinkRsyslog) whose clusterId is the cluster's id.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: databaseClusterLogSinkSchema,
    rationale:
        "Without a sink a managed database's logs are visible only as recent lines in the control panel: errors and slow queries behind an incident cannot be searched or kept.",
    remediationSteps:
        "Add a digitalocean.DatabaseLogsinkOpensearch (to Managed OpenSearch, with indexDaysMax) or DatabaseLogsinkRsyslog (to a syslog collector) with clusterId: cluster.id.",
    validateStack: validateStackOf(digitalocean.DatabaseCluster, (clusters, stack, args, reportViolation) => {
        const { engines } = configWithDefaults<{ engines: string[] }>(databaseClusterLogSinkSchema, args);
        const undecided = new Undecided();
        const sunk = new Set<string>();
        for (const sink of [
            ...stack.of(digitalocean.DatabaseLogsinkOpensearch),
            ...stack.of(digitalocean.DatabaseLogsinkRsyslog),
        ]) {
            const target = stack.resolve(sink, "clusterId", [digitalocean.DatabaseCluster]);
            if (target.undecided) undecided.note(`Log sink "${sink.name}"'s cluster is not known yet.`);
            for (const t of target.targets) sunk.add(t.urn);
        }
        for (const cluster of clusters) {
            const engine = readString(cluster.props, "engine");
            if (isUnknown(engine)) {
                undecided.note(`Database cluster "${cluster.name}"'s engine is not known yet.`);
                continue;
            }
            if (typeof engine !== "string" || !engines.includes(engine) || sunk.has(cluster.urn)) continue;
            if (undecided.count > 0) continue;
            reportViolation(
                `Database cluster "${cluster.name}" (engine "${engine}") has no log sink, so its logs stay in the control panel where they cannot be searched or kept; ` +
                    `add a digitalocean.DatabaseLogsinkOpensearch or DatabaseLogsinkRsyslog with clusterId set to its id.`,
                cluster.urn,
            );
        }
        undecided.settle();
    }),
};

const dropletLogsShippedSchema: PolicyConfigSchema = {
    properties: {
        scope: {
            type: "string",
            enum: ["serving", "all"],
            default: "serving",
            description:
                '"serving": droplets and autoscale pools that serve the web: a load balancer targets them or their user data runs a web server or proxy, or DNS, a Domain\'s ipAddress or a reserved IP points at them while their firewalls admit web traffic from the internet (an internal web server counts; the public-endpoint checks judge those of them the internet reaches); "all": every droplet and pool.',
        },
    },
};

/** Droplets and pools that serve the web (lib/endpoints.ts webRoles: the same answer the spof, TLS and uptime checks use). */
function servingSubjects(subjects: PolicyResource[], stack: StackIndex, undecided: Undecided): PolicyResource[] {
    return subjects.filter((r) => {
        const role = webRoleOf(stack, r);
        if (role.serves === "undecided") {
            const pool = r.isType(digitalocean.DropletAutoscale);
            undecided.note(
                `Whether ${pool ? "droplet autoscale pool" : "droplet"} "${r.name}" serves requests is not known yet (${role.why}).`,
            );
        }
        return role.serves === true;
    });
}

export const dropletLogsShipped: WebstackStackPolicy = {
    name: "droplet-logs-shipped",
    description:
        "Checks that every droplet and droplet autoscale pool that serves the web (a load balancer targets it or its user data runs a web server or proxy, internal ones included, or DNS, a Domain's ipAddress or a reserved IP points at it while its firewalls admit web traffic from the internet) has user data that installs and configures a log shipper: rsyslog forwarding (omfwd, omelasticsearch, omhttp, omrelp, omkafka or an @@host rule), Fluent Bit, Fluentd, Vector, Filebeat, Promtail, Grafana Alloy, the OpenTelemetry Collector, the Datadog Agent or systemd-journal-upload.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: dropletLogsShippedSchema,
    rationale:
        "DigitalOcean load balancers keep no access logs and the monitoring agent collects none: logs left on a droplet vanish with it (autoscaling and user data changes replace droplets) and cannot be searched across the pool.",
    remediationSteps:
        "Install and configure a shipper in the user data, e.g. rsyslog-elasticsearch with an omelasticsearch action to Managed OpenSearch, or Fluent Bit/Vector with an output to your log store.",
    validateStack: validateStackOf(
        [digitalocean.Droplet, digitalocean.DropletAutoscale],
        (subjects, stack, args, reportViolation) => {
            const { scope } = configWithDefaults<{ scope: "serving" | "all" }>(dropletLogsShippedSchema, args);
            const undecided = new Undecided();
            const judged = scope === "all" ? subjects : servingSubjects(subjects, stack, undecided);
            const missing: PolicyResource[] = [];
            for (const r of judged) {
                const pool = r.isType(digitalocean.DropletAutoscale);
                const userData = pool ? read(r.props, "dropletTemplate", "userData") : dropletUserData(r.props);
                if (isUnknown(userData)) {
                    undecided.note(
                        `${pool ? "Droplet autoscale pool" : "Droplet"} "${r.name}"'s user data is not known yet.`,
                    );
                    continue;
                }
                if (typeof userData === "string" && logShipperIn(userData)) continue;
                missing.push(r);
            }
            if (undecided.count > 0) return undecided.settle();
            for (const r of missing) {
                const pool = r.isType(digitalocean.DropletAutoscale);
                const subject = `${pool ? "Droplet autoscale pool" : "Droplet"} "${r.name}"`;
                const userData = `${pool ? "template's " : ""}user data`;
                reportViolation(
                    `${scope === "serving" ? `${subject} serves requests but its ${userData}` : `${subject}'s ${userData}`} installs no log shipper, so its logs stay on the machine and are lost with it; ` +
                        "install and configure one (e.g. rsyslog-elasticsearch with an omelasticsearch action, Fluent Bit or Vector).",
                    r.urn,
                );
            }
        },
    ),
};
