// The readiness gates as the program binds them, read from the recorder's capture: every serving droplet of every
// tier and engine waits on a gate before the update goes on (with HAProxy, the DNS record HAProxy finds a web droplet
// by, and the reserved IP's move), exactly those, with exactly these hook names; the database firewalls of a tier
// upgrade wait for the gated app droplets and trust the web droplets that run the app until then; the monitor's user
// data does not depend on standby nodes or replicas. The gates' behaviour is test/components/readiness/gate.spec.ts.
import assert from "node:assert/strict";
import { DROPLET_DELETE_TIMEOUT } from "../../components/serverPool";
import { appMove } from "../../components/servingGates";
import { type RecordedResource, plain } from "../../plan/capture/recorder";
import { recorder } from "../support/hooks";
import { byName, exampleConfig, output, runProgram } from "../support/program";

const inputs = (r: RecordedResource) => plain(r.inputs) as Record<string, any>;
const range = (n: number) => Array.from({ length: n }, (_, i) => i);

/** Every custom resource that binds a hook, with its hooks by kind. */
const hooked = (resources: readonly RecordedResource[]) =>
    Object.fromEntries(
        resources.filter((r) => r.custom && Object.keys(r.hooks).length > 0).map((r) => [r.name, r.hooks]),
    );

const STASH = "pulumi:index:Stash";
const webDroplets = (n: number) => Array.from({ length: n }, (_, i) => `webstack-web-${i}`);
const appDroplets = (n: number) => Array.from({ length: n }, (_, i) => `webstack-app-${i}`);
/** A gate Stash's hooks: the gate runs before its creation and before every update (servingGate.ts gateStash). */
const stashGate = (hook: string) => ({ beforeCreate: [hook], beforeUpdate: [hook] });

/** The gate Stash `name` holds the ids of `subjects`, read through `via` (by default the subjects themselves). */
function assertHolds(resources: RecordedResource[], name: string, subjects: string[], via: string[] = subjects): void {
    const stash = byName(resources, name);
    assert.equal(stash.type, STASH, name);
    assert.deepEqual(
        inputs(stash).input,
        subjects.map((s) => byName(resources, s).id),
        `${name} holds the ids of ${subjects.join(", ")}`,
    );
    assert.deepEqual(
        [...stash.dependencies].sort(),
        [...new Set([...subjects, ...via].map((s) => byName(resources, s).urn))].sort(),
        name,
    );
}

/** The gates a run binds are registered with the engine, awaited (never ignored), and never run in a preview. */
function assertAwaited(resources: readonly RecordedResource[]): void {
    const names = new Set(Object.values(hooked(resources)).flatMap((h) => Object.values(h).flat()));
    assert.ok(names.size > 0);
    for (const name of names)
        assert.deepEqual(recorder.resourceHooks.get(name), { name, onDryRun: false, ignoreErrors: false });
}

/** Pool sizes of the example stack per tier: web, app, public load balancers or HAProxy droplets. */
const SIZES: Record<number, { web: number; app: number; edges: number }> = {
    1: { web: 2, app: 0, edges: 1 },
    2: { web: 2, app: 2, edges: 1 },
    3: { web: 4, app: 4, edges: 2 },
};

describe("readiness gates bound to the stack's resources", () => {
    it("binds no hook at tier 0, whose one droplet no load balancer fronts", async () => {
        const { resources } = await runProgram(exampleConfig(0));
        assert.deepEqual(hooked(resources), {});
    });

    for (const tier of [1, 2, 3]) {
        const { web, app, edges } = SIZES[tier];

        it(`tier ${tier}, managed load balancers: each pool's gate Stash holds its droplets, and its role's gate runs before it, nothing else`, async () => {
            const { resources } = await runProgram(exampleConfig(tier));
            assert.deepEqual(hooked(resources), {
                "webstack-web-serving": stashGate("webstack-web-gate"),
                ...(app > 0 ? { "webstack-app-serving": stashGate("webstack-app-gate") } : {}),
            });
            assertHolds(resources, "webstack-web-serving", webDroplets(web));
            if (app > 0) assertHolds(resources, "webstack-app-serving", appDroplets(app));
            assertAwaited(resources);
        });

        it(`tier ${tier}, HAProxy: each web droplet's DNS record, each app droplet and each reserved IP's move wait on a gate`, async () => {
            const { resources } = await runProgram({ ...exampleConfig(tier), loadBalancer: { engine: "haproxy" } });
            assert.deepEqual(hooked(resources), {
                // HAProxy sees a web droplet only once its record exists: a gate on the droplet would wait forever.
                "webstack-metrics-web-serving": stashGate("webstack-web-gate"),
                ...(app > 0 ? { "webstack-app-serving": stashGate("webstack-app-gate") } : {}),
                ...Object.fromEntries(
                    range(edges).map((i) => [
                        `webstack-haproxy-ip-assignment-${i}`,
                        { beforeCreate: [`webstack-haproxy-edge-gate-${i}`] },
                    ]),
                ),
            });
            for (const i of range(web)) {
                const record = byName(resources, `webstack-metrics-web-${i}`);
                assert.deepEqual(record.replaceOnChanges, ["value"], record.name);
                assert.deepEqual(record.propertyDependencies.value, [byName(resources, `webstack-web-${i}`).urn]);
            }
            // The web droplets' ids, read through their records: the gate runs once the records exist.
            assertHolds(
                resources,
                "webstack-metrics-web-serving",
                webDroplets(web),
                range(web).map((i) => `webstack-metrics-web-${i}`),
            );
            if (app > 0) assertHolds(resources, "webstack-app-serving", appDroplets(app));
            assertAwaited(resources);
        });

        it(`tier ${tier}, HAProxy: a reserved IP moves after its droplet's peer record exists, and DNS points at it after the move`, async () => {
            const { resources } = await runProgram({ ...exampleConfig(tier), loadBalancer: { engine: "haproxy" } });
            const assignments = range(edges).map((i) => byName(resources, `webstack-haproxy-ip-assignment-${i}`));
            const records = resources.filter((r) => r.type.endsWith("DnsRecord")).map((r) => r.urn);
            range(edges).forEach((i) =>
                assert.deepEqual(
                    assignments[i].dependencies.filter((u) => records.includes(u)),
                    tier >= 2 ? [byName(resources, `webstack-haproxy-peer-${i}`).urn] : [],
                ),
            );
            for (const label of ["apex", "www"])
                for (const i of range(edges)) {
                    const deps = byName(resources, `webstack-dns-${label}-${i}`).dependencies;
                    for (const a of assignments) assert.ok(deps.includes(a.urn), `${label}-${i} waits for ${a.name}`);
                }
        });
    }

    it("points DNS at the load balancers only once the web droplets behind them passed their gates, and so the project", async () => {
        const { resources } = await runProgram(exampleConfig(1));
        const gate = byName(resources, "webstack-web-serving").urn;
        for (const name of ["webstack-dns-apex-0", "webstack-dns-www-0", "webstack-project"]) {
            const deps = byName(resources, name).dependencies;
            assert.deepEqual(
                deps.filter((u) => u.includes(STASH)),
                [gate],
                name,
            );
        }
    });

    it("lets the monitor scrape a web droplet only once the web pool's gate has seen it serve", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const gate = byName(resources, "webstack-web-serving").urn;
        for (const i of range(2))
            assert.ok(byName(resources, `webstack-metrics-web-${i}`).dependencies.includes(gate), `metrics-web-${i}`);
    });

    it("starts the uptime check once DNS points at what serves, so a first deployment is not reported down", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const records = ["webstack-dns-apex-0", "webstack-dns-www-0"].map((n) => byName(resources, n).urn);
        assert.deepEqual(
            byName(resources, "webstack-monitoring-uptime").dependencies.filter((u) => u.includes("DnsRecord")),
            records,
        );
    });

    for (const tier of [1, 2, 3]) {
        it(`tier ${tier}: gates an autoscale pool after its creation and after every update (it reports; DigitalOcean rolls the members)`, async () => {
            const pools = tier >= 2 ? { app: { autoscale: { min: 2, max: 4 } } } : {};
            const { resources } = await runProgram({
                ...exampleConfig(tier),
                web: { autoscale: { min: 2, max: 5 } },
                ...pools,
            });
            assert.deepEqual(hooked(resources), {
                "webstack-web-pool": { afterCreate: ["webstack-web-gate"], afterUpdate: ["webstack-web-gate"] },
                ...(tier >= 2
                    ? {
                          "webstack-app-pool": {
                              afterCreate: ["webstack-app-gate"],
                              afterUpdate: ["webstack-app-gate"],
                          },
                      }
                    : {}),
            });
        });
    }

    it("gives every droplet five minutes to be deleted, enough for its 35 s drain and the app's stop", async () => {
        const { resources } = await runProgram({ ...exampleConfig(3), loadBalancer: { engine: "haproxy" } });
        const droplets = resources.filter((r) => r.type === "digitalocean:index/droplet:Droplet");
        assert.equal(droplets.length, 4 + 4 + 2 + 1);
        for (const d of droplets) assert.deepEqual(d.customTimeouts, { delete: DROPLET_DELETE_TIMEOUT }, d.name);
        assert.equal(DROPLET_DELETE_TIMEOUT, "5m");
    });
});

describe("the database firewalls across a tier move (the app leaves or returns to the web droplets)", () => {
    it("names a move only where the app changes droplets on a live stack: 1 → 2+ up, 2+ → 1 down", () => {
        const moves = [undefined, 0, 1, 2, 3].flatMap((from) =>
            [0, 1, 2, 3].map((to) => `${from ?? "new"}→${to}: ${appMove(to, from) ?? "-"}`),
        );
        assert.deepEqual(
            moves.filter((m) => !m.endsWith("-")),
            ["1→2: up", "1→3: up", "2→1: down", "3→1: down"],
        );
    });

    const DB_FIREWALLS = ["webstack-db-firewall", "webstack-db-replica-0-firewall"];
    const tagsOf = (r: RecordedResource) => (inputs(r).rules as { type: string; value: string }[]).map((x) => x.value);

    it("tier 1 → 2: the firewalls wait for every app droplet's gate and trust the web droplets, which run the app until they are deleted", async () => {
        const { resources } = await runProgram(exampleConfig(2), { previous: { tier: 1 } });
        const gate = byName(resources, "webstack-app-serving");
        assert.deepEqual(gate.hooks, stashGate("webstack-app-gate"));
        for (const name of DB_FIREWALLS) {
            const fw = byName(resources, name);
            assert.ok(fw.dependencies.includes(gate.urn), `${name} waits for ${gate.name}`);
            assert.deepEqual(tagsOf(fw), ["webstack-dev-app", "webstack-dev-monitor", "webstack-dev-web"], name);
        }
    });

    it("the next update at tier 2 drops the web droplets' rule in place, and the firewalls wait for nothing", async () => {
        const { resources } = await runProgram(exampleConfig(2), { previous: { tier: 2 } });
        for (const name of DB_FIREWALLS) {
            const fw = byName(resources, name);
            assert.deepEqual(tagsOf(fw), ["webstack-dev-app", "webstack-dev-monitor"], name);
            assert.ok(!fw.dependencies.some((u) => u.includes("Droplet") || u.includes(STASH)), name);
        }
    });

    it("the first update of a stack an earlier release deployed (no tier exported) takes it as a possible tier 1 → 2 move", async () => {
        const fresh = await runProgram(exampleConfig(2));
        const earlier = { url: "https://example.com", dataResources: output(fresh, "dataResources").value };
        const { resources } = await runProgram(exampleConfig(2), { previous: earlier });
        const gate = byName(resources, "webstack-app-serving");
        for (const name of DB_FIREWALLS) {
            const fw = byName(resources, name);
            assert.deepEqual(tagsOf(fw), ["webstack-dev-app", "webstack-dev-monitor", "webstack-dev-web"], name);
            assert.ok(fw.dependencies.includes(gate.urn), `${name} waits for ${gate.name}`);
        }
    });

    it("a new stack at tier 2 trusts the app and the monitor only, and does not hold its firewalls back", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        for (const name of DB_FIREWALLS) {
            const fw = byName(resources, name);
            assert.deepEqual(tagsOf(fw), ["webstack-dev-app", "webstack-dev-monitor"], name);
            assert.ok(!fw.dependencies.some((u) => u.includes("Droplet") || u.includes(STASH)), name);
        }
    });

    it("tier 2 → 1: the firewalls and the app tag stay for that update, trusting the app droplets that still serve and the web droplets that now run the app", async () => {
        const { resources } = await runProgram(
            { ...exampleConfig(1), logs: { enabled: false } },
            { previous: { tier: 2 } },
        );
        assert.equal(inputs(byName(resources, "webstack-tag-app")).name, "webstack-dev-app");
        for (const name of DB_FIREWALLS)
            assert.deepEqual(tagsOf(byName(resources, name)), ["webstack-dev-app", "webstack-dev-web"], name);
        const next = await runProgram({ ...exampleConfig(1), logs: { enabled: false } }, { previous: { tier: 1 } });
        assert.deepEqual(
            next.resources.filter((r) => r.type.endsWith("DatabaseFirewall") || r.name === "webstack-tag-app"),
            [],
        );
    });

    it("exports the tier it deployed, which the next update reads back", async () => {
        const run = await runProgram(exampleConfig(3));
        assert.deepEqual(output(run, "tier"), { value: 3, secret: false });
    });
});

describe("the monitor across database changes", () => {
    const monitorUserData = async (database: Record<string, number>) => {
        const { resources } = await runProgram({ ...exampleConfig(2), database });
        return {
            userData: JSON.stringify(inputs(byName(resources, "webstack-monitor-0")).userData),
            srv: resources
                .filter((r) => r.type.endsWith("DnsRecord") && inputs(r).type === "SRV")
                .map((r) => {
                    const { name, type, priority, weight, port, value, ttl } = inputs(r);
                    return { resource: r.name, name, type, priority, weight, port, value, ttl };
                }),
            host: String(byName(resources, "webstack-db-cluster").state.host),
        };
    };

    it("keeps the monitor's user data when standby nodes or read replicas come or go: SRV records change instead", async () => {
        const base = await monitorUserData({ standbyNodes: 0, readReplicas: 1 });
        const standby = await monitorUserData({ standbyNodes: 1, readReplicas: 1 });
        const replicas = await monitorUserData({ standbyNodes: 0, readReplicas: 3 });
        assert.equal(standby.userData, base.userData);
        assert.equal(replicas.userData, base.userData);
        const srv = (i: number, host: string) => ({
            resource: `webstack-mysql-metrics-${i}`,
            name: "_webstack-mysql-metrics._tcp",
            type: "SRV",
            priority: 0,
            weight: 0,
            port: 9273,
            value: `${host}.`,
            ttl: 30,
        });
        assert.deepEqual(base.srv, [srv(0, base.host)]);
        assert.deepEqual(standby.srv, [srv(0, standby.host), srv(1, `standby-${standby.host}`)]);
        assert.match(base.userData, /_webstack-mysql-metrics\._tcp\.example\.com/);
    });
});
