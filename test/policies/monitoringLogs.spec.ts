// Log policies: every managed database has a log sink, every droplet that serves requests ships its
// logs. Happy path on the production-like stack, one mutation per case, and stacks built by others.
import assert from "node:assert/strict";
import * as digitalocean from "@pulumi/digitalocean";
import { databaseClusterLogSink, dropletLogsShipped } from "../../policies/monitoringLogs";
import { logShipperIn } from "../../policies/lib/logShippers";
import { materialize, ref, run, spec, Spec } from "../support/policyHarness";
import { plainDatabase, plainDroplets, plainGateway, plainLoadBalanced, plainSingleDroplet } from "./plainStacks";
import { autoscalePool, haproxyStack, haproxyUserData, mutate, tierStack, userData, without } from "./stacks";

const prod = () => tierStack("prod");

async function violations(
    policy: Parameters<typeof run>[0],
    specs: Spec[],
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const outcome = await run(policy, materialize(specs), config);
    assert.deepEqual(outcome.undecided, []);
    return outcome.violations;
}

const noSink = (name: string, engine: string) =>
    `Database cluster "${name}" (engine "${engine}") has no log sink, so its logs stay in the control panel where they cannot be searched or kept; add a digitalocean.DatabaseLogsinkOpensearch or DatabaseLogsinkRsyslog with clusterId set to its id.`;
const ships = (subject: string) =>
    `${subject} serves requests but its user data installs no log shipper, so its logs stay on the machine and are lost with it; install and configure one (e.g. rsyslog-elasticsearch with an omelasticsearch action, Fluent Bit or Vector).`;
const NGINX_ONLY = "#cloud-config\npackages:\n  - nginx\nruncmd:\n  - systemctl enable --now nginx\n";

describe("log policies", () => {
    it("report nothing on the production-like stack, with either load balancer engine", async () => {
        for (const policy of [databaseClusterLogSink, dropletLogsShipped]) {
            assert.deepEqual(await violations(policy, prod()), [], policy.name);
            assert.deepEqual(await violations(policy, haproxyStack()), [], `${policy.name} (haproxy)`);
        }
    });

    describe("database-cluster-log-sink", () => {
        it("reports the MySQL cluster when its sink is removed", async () => {
            assert.deepEqual(await violations(databaseClusterLogSink, without(prod(), "db-logs")), [
                noSink("db", "mysql"),
            ]);
        });

        it("reports the cache when its rsyslog sink is removed", async () => {
            assert.deepEqual(await violations(databaseClusterLogSink, without(prod(), "cache-logs")), [
                noSink("cache", "valkey"),
            ]);
        });

        it("does not count a sink attached to another cluster", async () => {
            const specs = mutate(prod(), "db-logs", (s) => (s.clusterId = ref("cache")));
            assert.deepEqual(await violations(databaseClusterLogSink, specs), [noSink("db", "mysql")]);
        });

        it("judges only the configured engines", async () => {
            assert.deepEqual(
                await violations(databaseClusterLogSink, without(prod(), "db-logs"), { engines: ["pg"] }),
                [],
            );
        });

        it("does not ask the OpenSearch log store itself for a sink", async () => {
            assert.ok(!(await violations(databaseClusterLogSink, prod())).some((m) => m.includes('"logs"')));
        });

        it("reports another team's PostgreSQL cluster without a sink", async () => {
            assert.deepEqual(await violations(databaseClusterLogSink, plainDatabase()), [noSink("orders", "pg")]);
        });

        it("accepts another team's PostgreSQL cluster forwarding to rsyslog", async () => {
            const specs = [
                ...plainDatabase(),
                spec(digitalocean.DatabaseLogsinkRsyslog, "orders-syslog", {
                    id: "x,y",
                    clusterId: ref("orders"),
                    server: "10.20.0.50",
                    port: 514,
                }),
            ];
            assert.deepEqual(await violations(databaseClusterLogSink, specs), []);
        });

        it("reports the missing sink during a first preview too", async () => {
            const outcome = await run(
                databaseClusterLogSink,
                materialize(without(prod(), "db-logs"), { preview: true }),
            );
            assert.deepEqual(outcome.violations, [noSink("db", "mysql")]);
        });
    });

    describe("droplet-logs-shipped", () => {
        it("reports a web droplet whose user data ships nothing", async () => {
            const specs = mutate(prod(), "web-0", (d) => (d.userData = NGINX_ONLY));
            assert.deepEqual(await violations(dropletLogsShipped, specs), [ships('Droplet "web-0"')]);
        });

        it("reports an app droplet behind the internal load balancer whose user data ships nothing", async () => {
            const specs = mutate(prod(), "app-0", (d) => (d.userData = "#cloud-config\npackages:\n  - docker.io\n"));
            assert.deepEqual(await violations(dropletLogsShipped, specs), [ships('Droplet "app-0"')]);
        });

        it("reports an HAProxy droplet (reserved IP holder) that ships nothing", async () => {
            const specs = haproxyStack(2, (i) => haproxyUserData({ ships: i !== 1 }));
            assert.deepEqual(await violations(dropletLogsShipped, specs), [ships('Droplet "haproxy-1"')]);
        });

        it("reports an autoscale pool whose template ships nothing", async () => {
            const specs = [...prod(), autoscalePool("web-pool", [ref("tag-web")], 2, { userData: NGINX_ONLY })];
            assert.deepEqual(await violations(dropletLogsShipped, specs), [
                'Droplet autoscale pool "web-pool" serves requests but its template\'s user data installs no log shipper, so its logs stay on the machine and are lost with it; install and configure one (e.g. rsyslog-elasticsearch with an omelasticsearch action, Fluent Bit or Vector).',
            ]);
        });

        it("accepts an autoscale pool whose template ships with rsyslog", async () => {
            assert.deepEqual(
                await violations(dropletLogsShipped, [...prod(), autoscalePool("web-pool", [ref("tag-web")])]),
                [],
            );
        });

        it("judges every droplet with scope all", async () => {
            assert.deepEqual(await violations(dropletLogsShipped, plainDroplets(), { scope: "all" }), [
                'Droplet "app"\'s user data installs no log shipper, so its logs stay on the machine and are lost with it; install and configure one (e.g. rsyslog-elasticsearch with an omelasticsearch action, Fluent Bit or Vector).',
                'Droplet "worker"\'s user data installs no log shipper, so its logs stay on the machine and are lost with it; install and configure one (e.g. rsyslog-elasticsearch with an omelasticsearch action, Fluent Bit or Vector).',
            ]);
        });

        it("leaves another team's internal workers alone by default (they serve no requests)", async () => {
            assert.deepEqual(await violations(dropletLogsShipped, plainDroplets()), []);
        });

        it("reports another team's load-balanced nginx droplets that ship nothing", async () => {
            assert.deepEqual(await violations(dropletLogsShipped, plainLoadBalanced()), [
                ships('Droplet "api-1"'),
                ships('Droplet "api-2"'),
            ]);
        });

        it("reports another team's single public nginx droplet", async () => {
            assert.deepEqual(await violations(dropletLogsShipped, plainSingleDroplet()), [ships('Droplet "blog"')]);
        });

        it("reports another team's gateway (reserved IP) and not its private app droplets", async () => {
            assert.deepEqual(await violations(dropletLogsShipped, plainGateway()), [ships('Droplet "gateway"')]);
        });

        it("says it cannot decide when a serving droplet's user data is unknown", async () => {
            const outcome = await run(
                dropletLogsShipped,
                materialize(
                    mutate(prod(), "web-0", (d) => (d.userData = undefined)),
                    { allUnknown: true },
                ),
            );
            assert.equal(outcome.violations.length, 0);
            assert.ok(outcome.undecided.length > 0);
        });
    });

    describe("logShipperIn", () => {
        const cases: [string, string, string | undefined][] = [
            ["the tier stacks' web role", userData.web, "rsyslog (omelasticsearch)"],
            ["the tier stacks' app role", userData.app, "Fluent Bit"],
            ["a legacy @@ forwarding rule", haproxyUserData(), "rsyslog (forwarding rule)"],
            [
                "omfwd",
                'write_files:\n  - content: |\n      action(type="omfwd" target="10.0.0.5" port="514" protocol="tcp")\n',
                "rsyslog (omfwd)",
            ],
            ["Vector from apt", "#!/bin/sh\napt-get install -y vector\n", "Vector"],
            [
                "Promtail in a container",
                "#!/bin/sh\ndocker run -d grafana/promtail:3.0 -config.file=/etc/promtail.yml\n",
                "Promtail",
            ],
            [
                "systemd-journal-upload",
                "#!/bin/sh\nsystemctl enable --now systemd-journal-upload\n",
                "systemd-journal-upload",
            ],
            ["nginx alone", NGINX_ONLY, undefined],
            [
                "a shipper named only in a comment",
                "#!/bin/sh\n# TODO: apt-get install -y filebeat\napt-get install -y nginx\n",
                undefined,
            ],
            ["an e-mail address in YAML", "#cloud-config\nalerts: ops@example.com\n", undefined],
        ];
        for (const [label, text, want] of cases)
            it(`reads ${label} as ${want ?? "no shipper"}`, () => assert.equal(logShipperIn(text), want));
    });
});
