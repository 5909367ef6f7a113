import assert from "node:assert/strict";
import {
    databaseAlertCoverage,
    dropletAlertCoverage,
    dropletMonitoringAgent,
    loadBalancerAlertCoverage,
    monitoringPolicies,
    uptimeCheckPublicEndpoint,
} from "../../policies/monitoring";
import { materialize, ref, run, Spec } from "../support/policyHarness";
import { plainDroplets, plainLoadBalanced, plainSingleDroplet } from "./plainStacks";
import { mutate, tierStack, without } from "./stacks";

const prod = () => tierStack("prod");
const dropletAlerts = [
    "alert-droplet-cpu",
    "alert-droplet-memory_utilization_percent",
    "alert-droplet-disk_utilization_percent",
];
const uptimeAlerts = ["uptime-down", "uptime-latency", "uptime-ssl_expiry"];

async function violations(
    policy: Parameters<typeof run>[0],
    specs: Spec[],
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const outcome = await run(policy, materialize(specs), config);
    assert.deepEqual(outcome.undecided, []);
    return outcome.violations;
}

const uncoveredDroplet = (name: string) =>
    `Droplet "${name}" has no enabled alert policy with a notification target, so nobody is told when it runs out of CPU, memory or disk. Add a digitalocean.MonitorAlert of type "v1/insights/droplet/cpu" whose tags include one of the droplet's tags (or whose entities list its id) with alerts.emails or alerts.slacks.`;

describe("monitoring policies", () => {
    it("report nothing on the production-like stack", async () => {
        for (const policy of monitoringPolicies) assert.deepEqual(await violations(policy, prod()), [], policy.name);
    });

    describe("droplet-monitoring-agent", () => {
        it("reports a droplet without the monitoring agent", async () => {
            assert.deepEqual(
                await violations(
                    dropletMonitoringAgent,
                    mutate(prod(), "web-0", (d) => (d.monitoring = false)),
                ),
                [
                    'Droplet "web-0" has monitoring false, so its memory and disk metrics are never collected and alerts on them cannot fire; set monitoring: true.',
                ],
            );
        });

        it("reports a droplet that leaves monitoring unset", async () => {
            assert.deepEqual(
                await violations(
                    dropletMonitoringAgent,
                    mutate(prod(), "web-0", (d) => delete d.monitoring),
                ),
                [
                    'Droplet "web-0" has monitoring unset, so its memory and disk metrics are never collected and alerts on them cannot fire; set monitoring: true.',
                ],
            );
        });
    });

    describe("droplet-alert-coverage", () => {
        it("reports droplets whose tags no alert covers", async () => {
            const specs = dropletAlerts.reduce(
                (s, name) => mutate(s, name, (a) => (a.tags = [ref("tag-web")])),
                prod(),
            );
            const found = await violations(dropletAlertCoverage, specs);
            assert.deepEqual(found, ["app-0", "app-1", "app-2", "app-3"].map(uncoveredDroplet));
        });

        it("ignores disabled alerts and alerts without a notification target", async () => {
            let specs = mutate(prod(), dropletAlerts[0], (a) => (a.enabled = false));
            specs = mutate(specs, dropletAlerts[1], (a) => (a.alerts = { emails: [], slacks: [] }));
            specs = without(specs, dropletAlerts[2]);
            assert.equal((await violations(dropletAlertCoverage, specs)).length, 8);
        });

        it("counts an alert that lists the droplet's id in entities", async () => {
            let specs = without(
                prod(),
                ...dropletAlerts,
                "web-1",
                "web-2",
                "web-3",
                "app-0",
                "app-1",
                "app-2",
                "app-3",
            );
            specs = [...specs, ...tierStack("prod").filter((s) => s.name === "alert-droplet-cpu")];
            specs = mutate(specs, "alert-droplet-cpu", (a) => {
                delete a.tags;
                a.entities = [ref("web-0")];
            });
            assert.deepEqual(await violations(dropletAlertCoverage, specs), []);
        });

        it("treats an alert with neither entities nor tags as covering every droplet", async () => {
            const specs = mutate(
                without(prod(), dropletAlerts[1], dropletAlerts[2]),
                dropletAlerts[0],
                (a) => delete a.tags,
            );
            assert.deepEqual(await violations(dropletAlertCoverage, specs), []);
        });

        it("honours requiredTypes from the config", async () => {
            const found = await violations(dropletAlertCoverage, without(prod(), dropletAlerts[2]), {
                requiredTypes: ["v1/insights/droplet/cpu", "v1/insights/droplet/disk_utilization_percent"],
            });
            assert.equal(found.length, 8);
            assert.equal(
                found[0],
                'Droplet "web-0" has no enabled alert policy with a notification target for "v1/insights/droplet/disk_utilization_percent", so nobody is told when it runs out of CPU, memory or disk. Add a digitalocean.MonitorAlert of type "v1/insights/droplet/disk_utilization_percent" whose tags include one of the droplet\'s tags (or whose entities list its id) with alerts.emails or alerts.slacks.',
            );
        });

        it("resolves unknown alert tags during preview, and reports cannot-decide when it cannot", async () => {
            assert.deepEqual((await run(dropletAlertCoverage, materialize(prod(), { preview: true }))).violations, []);
            const outcome = await run(
                dropletAlertCoverage,
                materialize(prod(), { preview: true, withoutDependencies: true }),
            );
            assert.deepEqual(outcome.violations, []);
            assert.match(outcome.undecided[0], /^cannot decide during preview.*Droplet "web-0" may lack alerts/);
        });
    });

    describe("load-balancer-alert-coverage", () => {
        it("reports a load balancer missing from every alert's entities", async () => {
            const specs = without(prod(), "lb-1", "dns-apex-1", "dns-www-1");
            const readded = [...specs, ...tierStack("prod").filter((s) => ["lb-1"].includes(s.name))];
            assert.deepEqual(await violations(loadBalancerAlertCoverage, readded), [
                'Load balancer "lb-1" has no enabled alert policy with a notification target, so nobody is told when its backends fail or it returns errors. Add a digitalocean.MonitorAlert of type "v1/insights/lbaas/droplet_health" with entities including its id with alerts.emails or alerts.slacks.',
            ]);
        });
    });

    describe("database-alert-coverage", () => {
        it("reports a cache cluster missing from the database alerts", async () => {
            const specs = [
                "alert-db-cpu_alerts",
                "alert-db-memory_utilization_alerts",
                "alert-db-disk_utilization_alerts",
            ].reduce((s, name) => mutate(s, name, (a) => (a.entities = [ref("db"), ref("logs")])), prod());
            assert.deepEqual(await violations(databaseAlertCoverage, specs), [
                'Database cluster "cache" has no enabled alert policy with a notification target, so nobody is told when it runs out of CPU, memory or disk. Add a digitalocean.MonitorAlert of type "v1/dbaas/alerts/cpu_alerts" with entities including its id with alerts.emails or alerts.slacks.',
            ]);
        });
    });

    describe("uptime-check-public-endpoint", () => {
        it("reports a public endpoint no uptime check watches", async () => {
            assert.deepEqual(await violations(uptimeCheckPublicEndpoint, without(prod(), "uptime", ...uptimeAlerts)), [
                'No enabled uptime check watches the public endpoint ("example.com", "www.example.com"), so an outage is noticed by users first. Add a digitalocean.UptimeCheck with target "https://example.com" and a digitalocean.UptimeAlert of type "down" that notifies someone.',
            ]);
        });

        it("does not count a check on another host or a disabled check", async () => {
            const elsewhere = mutate(prod(), "uptime", (c) => (c.target = "https://status.other.org"));
            assert.equal((await violations(uptimeCheckPublicEndpoint, elsewhere)).length, 1);
            const disabled = mutate(prod(), "uptime", (c) => (c.enabled = false));
            assert.equal((await violations(uptimeCheckPublicEndpoint, disabled)).length, 1);
        });

        it("reports a check without an alert that notifies someone", async () => {
            assert.deepEqual(await violations(uptimeCheckPublicEndpoint, without(prod(), ...uptimeAlerts)), [
                'Uptime check "uptime" watches the public endpoint ("example.com", "www.example.com") but has no uptime alert of type "down" that notifies someone. Add a digitalocean.UptimeAlert with checkId set to the check\'s id, type "down" and notifications [{ emails: [...] }].',
            ]);
        });

        it("honours requiredAlertTypes from the config", async () => {
            const found = await violations(uptimeCheckPublicEndpoint, without(prod(), "uptime-ssl_expiry"), {
                requiredAlertTypes: ["down", "ssl_expiry"],
            });
            assert.deepEqual(found, [
                'Uptime check "uptime" watches the public endpoint ("example.com", "www.example.com") but has no uptime alert of type "ssl_expiry" that notifies someone. Add a digitalocean.UptimeAlert with checkId set to the check\'s id, type "ssl_expiry" and notifications [{ emails: [...] }].',
            ]);
        });

        it("accepts another team's load balancer, reached by its IP alone, watched by an uptime check", async () => {
            assert.deepEqual(await run(uptimeCheckPublicEndpoint, materialize(plainLoadBalanced())), {
                violations: [],
                undecided: [],
                notApplicable: false,
            });
        });

        it("reports an internet-facing load balancer no uptime check watches when the stack has no DNS records", async () => {
            assert.deepEqual(
                await violations(uptimeCheckPublicEndpoint, without(plainLoadBalanced(), "edge-check", "edge-down")),
                [
                    'No enabled uptime check watches the public endpoint (load balancer "edge" (198.51.100.7)), so an outage is noticed by users first. Add a digitalocean.UptimeCheck with target "http://198.51.100.7" and a digitalocean.UptimeAlert of type "down" that notifies someone.',
                ],
            );
        });

        it("counts a check whose target is computed from the load balancer's ip during a first preview", async () => {
            const specs = mutate(plainLoadBalanced(), "edge-check", (c) => (c.target = ref("edge", "ip")));
            const outcome = await run(uptimeCheckPublicEndpoint, materialize(specs, { preview: true }));
            assert.deepEqual(outcome, { violations: [], undecided: [], notApplicable: false });
        });

        it("reports a web droplet that serves the public with no load balancer, no DNS record and no uptime check", async () => {
            assert.deepEqual(await violations(uptimeCheckPublicEndpoint, plainSingleDroplet()), [
                'No enabled uptime check watches the public endpoint (droplet "blog" (192.0.2.40)), so an outage is noticed by users first. Add a digitalocean.UptimeCheck with target "http://192.0.2.40" and a digitalocean.UptimeAlert of type "down" that notifies someone.',
            ]);
        });

        it("finds no public endpoint on droplets that run no web server and have no reserved IP", async () => {
            assert.deepEqual(await run(uptimeCheckPublicEndpoint, materialize(plainDroplets())), {
                violations: [],
                undecided: [],
                notApplicable: false,
            });
        });

        it("accepts a check that targets a load balancer's IP", async () => {
            const specs = mutate(prod(), "uptime", (c) => (c.target = "http://198.51.100.10/healthz"));
            assert.deepEqual(await violations(uptimeCheckPublicEndpoint, specs), []);
        });
    });
});
