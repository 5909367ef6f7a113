// The transition table's analysis on hand-made captures: the same change reads as a window without the gates and as
// serving with them, so the generated table (docs/serving.md, checked fresh by test/tools/docs.spec.ts) changes by
// itself once the program binds them.
import assert from "node:assert/strict";
import {
    type CaptureResult,
    type Captured,
    captureInChild,
    captureOf,
    failedCaptureOf,
    previousOutputsOf,
} from "../../../plan/capture/inChild";
import {
    type CaptureAll,
    type TransitionRow,
    analyzeTransition,
    buildTransitions,
    roleOf,
    transitionCases,
    transitionsSection,
} from "../../../tools/docs/analysis/transitions";
import { assertGeneratedBlock } from "../../support/generatedBlocks";
import { recorder } from "../../support/hooks";
import { exampleConfig, runProgram } from "../../support/program";

/**
 * The captures the docs make in child processes, made here through the tests' runner instead (its runs are shared
 * with the other specs of this process), each on a fresh recorder as a child's is, in the form a child sends.
 */
const captureHere: CaptureAll = async (requests) => {
    const results: CaptureResult[] = [];
    for (const req of requests) {
        recorder.reset();
        try {
            results.push(captureOf(await runProgram(req.config, { previous: previousOutputsOf(req) })));
        } catch (err) {
            results.push(failedCaptureOf(recorder.resources, err));
        }
    }
    return results;
};

const T = {
    droplet: "digitalocean:index/droplet:Droplet",
    lb: "digitalocean:index/loadBalancer:LoadBalancer",
    assignment: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
    ip: "digitalocean:index/reservedIp:ReservedIp",
    dbFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
    tag: "digitalocean:index/tag:Tag",
    record: "digitalocean:index/dnsRecord:DnsRecord",
    stash: "pulumi:index:Stash",
};
const urn = (type: string, name: string) => `urn:pulumi:dev::webstack::${type}::${name}`;

function res(
    type: string,
    name: string,
    inputs: Record<string, unknown> = {},
    extra: Partial<Captured> = {},
): Captured {
    return {
        urn: urn(type, name),
        type,
        name,
        custom: true,
        id: name,
        inputs,
        propertyDependencies: {},
        replaceOnChanges: [],
        dependencies: [],
        hooks: {},
        ...extra,
    };
}

/** A pool's gate Stash holding its droplets' ids, its gate bound before its creation and its updates (gateStash). */
const gateFor = (targets: Captured[], name: string, hook: string) =>
    res(
        T.stash,
        name,
        { input: targets.map((t) => t.id) },
        {
            dependencies: targets.map((t) => t.urn),
            propertyDependencies: { input: targets.map((t) => t.urn) },
            hooks: { beforeCreate: [hook], beforeUpdate: [hook] },
        },
    );
/** The droplets and their pool's gate Stash. */
const withGates = (droplets: Captured[], hook: string) => [
    ...droplets,
    gateFor(droplets, `${droplets[0].name.replace(/-\d+$/, "")}-serving`, hook),
];
/** The app's unit file, which the user data of a droplet that runs the app writes. */
const APP_UNIT = "/etc/systemd/system/webstack-app.service";
const webs = (userData: string, gated = false) => {
    const droplets = [0, 1].map((i) => res(T.droplet, `webstack-web-${i}`, { userData, image: "ubuntu-24-04-x64" }));
    return gated ? withGates(droplets, "webstack-web-gate") : droplets;
};
const lb = res(T.lb, "webstack-lb-0", { network: "EXTERNAL" });

describe("transition analysis", () => {
    it("names droplet roles by their logical names", () => {
        assert.deepEqual(
            ["webstack-web-0", "webstack-app-12", "webstack-haproxy-1", "webstack-monitor-0", "webstack-lb-0"].map(
                (name) => roleOf({ type: T.droplet, name }),
            ),
            ["web", "app", "haproxy", "monitor", undefined],
        );
    });

    it("calls an ungated replacement of serving droplets a window, and says why", () => {
        const row = analyzeTransition("release", [lb, ...webs("v1")], [lb, ...webs("v2")]);
        assert.deepEqual(row, {
            change: "release",
            replaced: "2 web droplets",
            order: "2 × create new web droplet; at the end, delete 2 web droplets",
            serves: false,
            why: "Window: the 2 old web droplets are deleted at the end of the update without waiting for the new ones, which are still in cloud-init; requests still sent to the removed web droplets fail until the load balancer's checks take them out (no drain).",
        });
    });

    it("reads the same replacement as serving once each droplet has its gate Stash and drains before shutdown", () => {
        const drains = "runcmd: [systemctl, enable, --now, webstack-drain.service]";
        const row = analyzeTransition("release", [lb, ...webs(`v1 ${drains}`)], [lb, ...webs(`v2 ${drains}`, true)]);
        assert.deepEqual(row, {
            change: "release",
            replaced: "2 web droplets",
            order: "2 × create new web droplet (gated); at the end, delete 2 web droplets",
            serves: true,
            why: "Every new web droplet is seen serving through each public entry point before the update goes on; the removed web droplets fail their health checks before they stop (drain).",
        });
    });

    it("counts a droplet's own afterCreate hook as no gate: after it fails, the engine keeps the new droplet and the retry deletes the old ones unchecked", () => {
        const drains = "runcmd: [systemctl, enable, --now, webstack-drain.service]";
        const hooked = webs(`v2 ${drains}`).map((d) => ({ ...d, hooks: { afterCreate: ["webstack-web-gate"] } }));
        const row = analyzeTransition("release", [lb, ...webs(`v1 ${drains}`)], [lb, ...hooked]);
        assert.deepEqual(
            [row.serves, row.why],
            [
                false,
                "Window: the 2 old web droplets are deleted at the end of the update without waiting for the new ones, which are still in cloud-init.",
            ],
        );
    });

    it("reads a reserved IP that moves before its HAProxy droplet serves as a window, and a gated move as none", () => {
        const edge = (userData: string) => res(T.droplet, "webstack-haproxy-0", { userData });
        const ip = res(T.ip, "webstack-haproxy-ip-0", { region: "nyc3" });
        const assignment = (hooks = {}) =>
            res(
                T.assignment,
                "webstack-haproxy-ip-assignment-0",
                { ipAddress: "198.51.100.7", dropletId: 1 },
                {
                    hooks,
                    propertyDependencies: { dropletId: [urn(T.droplet, "webstack-haproxy-0")], ipAddress: [ip.urn] },
                },
            );
        const before = [ip, edge("v1"), assignment()];
        const ungated = analyzeTransition("haproxy", before, [ip, edge("v2"), assignment()]);
        assert.equal(ungated.serves, false);
        assert.match(
            ungated.why,
            /reserved IPs move to the new HAProxy droplets as soon as DigitalOcean reports them active/,
        );
        const gated = analyzeTransition("haproxy", before, [
            ip,
            edge("v2"),
            assignment({ beforeCreate: ["webstack-edge-gate-0"] }),
        ]);
        assert.deepEqual(
            [gated.serves, gated.why],
            [
                true,
                "Each reserved IP moves only after its new HAProxy droplet serves both names with a valid certificate.",
            ],
        );
    });

    it("reads a new database firewall as a window unless it waits for the gated app droplets and trusts the old app carriers", () => {
        const tags = [
            res(T.tag, "webstack-tag-web", { name: "webstack-dev-web" }),
            res(T.tag, "webstack-tag-app", { name: "webstack-dev-app" }),
        ];
        const oldWeb = [0, 1].map((i) =>
            res(T.droplet, `webstack-web-${i}`, {
                userData: `units: ${APP_UNIT} /etc/systemd/system/webstack-drain.service`,
                tags: ["webstack-dev-web"],
            }),
        );
        const newWeb = withGates(
            [0, 1].map((i) => res(T.droplet, `webstack-web-${i}`, { userData: "nginx only webstack-drain.service" })),
            "webstack-web-gate",
        );
        const appDroplets = [0, 1].map((i) => res(T.droplet, `webstack-app-${i}`, { userData: "app" }));
        const apps = withGates(appDroplets, "webstack-app-gate");
        const firewall = (trusted: string[], waitsForGates: boolean) =>
            res(
                T.dbFirewall,
                "webstack-db-firewall",
                { clusterId: "c", rules: trusted.map((value) => ({ type: "tag", value })) },
                {
                    dependencies: waitsForGates
                        ? [gateFor(appDroplets, "webstack-app-serving", "webstack-app-gate").urn]
                        : [],
                },
            );
        const before = [...tags, ...oldWeb];
        const now = analyzeTransition("tier 1 → 2", before, [
            ...tags,
            ...newWeb,
            ...apps,
            firewall(["webstack-dev-app"], false),
        ]);
        assert.equal(now.serves, false);
        assert.match(
            now.why,
            /the database firewall is created before the new app droplets serve, and trusts only them and the monitor/,
        );
        assert.match(
            now.why,
            /the old web droplets still run the app until they are deleted, but the new database firewall does not trust their tag/,
        );
        const wired = analyzeTransition("tier 1 → 2", before, [
            ...tags,
            ...newWeb,
            ...apps,
            firewall(["webstack-dev-app", "webstack-dev-web"], true),
        ]);
        assert.equal(wired.serves, true, wired.why);
        assert.match(wired.why, /the database firewall is created only after the new app droplets serve/);
    });

    it("notes a replaced monitor (its history lost) without calling it a serving window", () => {
        const monitor = (userData: string) => res(T.droplet, "webstack-monitor-0", { userData });
        const row = analyzeTransition("standby", [monitor("endpoints: a")], [monitor("endpoints: a, b")]);
        assert.deepEqual(
            [row.serves, row.why],
            [true, "No serving droplet changes. The monitor droplet is replaced: its Prometheus history is lost."],
        );
    });

    it("counts a web droplet as gated by the gate of the DNS record HAProxy finds it by", () => {
        const web = res(T.droplet, "webstack-web-2", { userData: "nginx" });
        const record = (hooks = {}) =>
            res(
                T.record,
                "webstack-metrics-web-2",
                { name: "webstack-metrics-web", value: "10.10.1.7" },
                { hooks, propertyDependencies: { value: [web.urn] } },
            );
        const ungated = analyzeTransition("scale", [], [web, record()]);
        assert.equal(ungated.why, "New web droplets get requests only once the load balancer's checks pass.");
        const gated = analyzeTransition(
            "scale",
            [],
            [web, record(), gateFor([record()], "webstack-metrics-web-serving", "webstack-web-gate")],
        );
        assert.equal(
            gated.why,
            "Every new web droplet is seen serving through each public entry point before the update goes on.",
        );
    });

    it("calls moving on or off tier 0 not zero-downtime by design: its one droplet holds the MySQL data", () => {
        const tier0 = res(T.droplet, "webstack-web-0", { userData: "runcmd: [/usr/local/sbin/webstack-mysql-init]" });
        const up = analyzeTransition("tier 0 → 1", [tier0], [lb, ...webs("v2 webstack-drain.service", true)]);
        assert.equal(up.serves, false);
        assert.match(
            up.why,
            /^Window: not zero-downtime by design: the tier-0 droplet holds the only copy of the MySQL data and the managed database starts empty, so the data must be dumped and restored by hand/,
        );
        assert.doesNotMatch(up.why, /no drain/);
        const down = analyzeTransition("tier 1 → 0", [lb, ...webs("v1 webstack-drain.service")], [tier0]);
        assert.match(down.why, /^Window: not zero-downtime by design: tier 0 runs its own, empty MySQL on one droplet/);
    });

    it("calls removing a load balancer with its DNS records a window for resolvers that still hold them", () => {
        const lbs = [0, 1].map((i) => res(T.lb, `webstack-lb-${i}`, { network: "EXTERNAL" }));
        const record = (i: number) =>
            res(
                T.record,
                `webstack-dns-apex-${i}`,
                { name: "@", value: `198.51.100.${i + 1}`, ttl: 300 },
                { propertyDependencies: { value: [lbs[i].urn] } },
            );
        const row = analyzeTransition("lb 2 → 1", [...lbs, record(0), record(1)], [lbs[0], record(0)]);
        assert.deepEqual(
            [row.serves, row.why],
            [
                false,
                "Window: resolvers that cached webstack-dns-apex-1 (TTL 300 s) keep sending users to the LoadBalancer webstack-lb-1 for up to that long after it is deleted at the end of the update.",
            ],
        );
    });

    it("does not count a firewall of a replica created in the same update as cutting anyone off", () => {
        const replica = res("digitalocean:index/databaseReplica:DatabaseReplica", "webstack-db-replica-1", {});
        const apps = (v: string, gated = false) => {
            const droplets = [0, 1].map((i) => res(T.droplet, `webstack-app-${i}`, { userData: v }));
            return gated ? withGates(droplets, "webstack-app-gate") : droplets;
        };
        const firewall = res(
            T.dbFirewall,
            "webstack-db-replica-1-firewall",
            { clusterId: "r1", rules: [{ type: "tag", value: "webstack-dev-app" }] },
            { propertyDependencies: { clusterId: [replica.urn] } },
        );
        const row = analyzeTransition("replicas 1 → 2", apps("v1 webstack-drain.service"), [
            ...apps("v2 webstack-drain.service", true),
            replica,
            firewall,
        ]);
        assert.equal(row.serves, true, row.why);
    });

    it("calls a database firewall that keeps out the new droplets running the app a window until it changes or goes", () => {
        const fw = (rules: string[]) =>
            res(T.dbFirewall, "webstack-db-firewall", {
                clusterId: "c",
                rules: rules.map((value) => ({ type: "tag", value })),
            });
        const carriers = withGates(
            [0, 1].map((i) =>
                res(T.droplet, `webstack-web-${i}`, {
                    userData: `v2 ${APP_UNIT} webstack-drain.service`,
                    tags: ["webstack-dev-web"],
                }),
            ),
            "webstack-web-gate",
        );
        const before = [fw(["webstack-dev-app"]), ...webs("v1 webstack-drain.service")];
        const kept = analyzeTransition("tier 2 → 1", before, carriers);
        assert.match(
            kept.why,
            /database firewall webstack-db-firewall trusts only webstack-dev-app until it is deleted at the end of the update, so the new droplets that run the app \(2 web droplets\) cannot reach the database before then/,
        );
        const opened = analyzeTransition("tier 2 → 1", before, [
            fw(["webstack-dev-app", "webstack-dev-web"]),
            ...carriers,
        ]);
        assert.equal(opened.serves, true, opened.why);
    });

    it("reads a replaced or deleted protected resource as refused: a data droplet by the preflight, the rest by the engine", () => {
        const cluster = (size: string) =>
            res("digitalocean:index/databaseCluster:DatabaseCluster", "webstack-db-cluster", { size });
        const tier0 = (userData: string) => res(T.droplet, "webstack-web-0", { userData });
        const both = {
            before: new Set(["webstack-web-0", "webstack-db-cluster"]),
            after: new Set(["webstack-db-cluster"]),
        };
        const droplet = analyzeTransition("release", [tier0("v1")], [tier0("v2")], both);
        assert.match(droplet.refused!, /^before anything is created: the protected droplet webstack-web-0 holds MySQL/);
        const unprotected = analyzeTransition("release", [tier0("v1")], [tier0("v2")]);
        assert.equal(unprotected.refused, undefined);
        // The diff replaces a cluster only on a force-new input; its engine is one (forceNew.json).
        const moved = analyzeTransition(
            "engine",
            [{ ...cluster("db-s-1vcpu-1gb"), inputs: { engine: "mysql" } }],
            [{ ...cluster("db-s-1vcpu-1gb"), inputs: { engine: "pg" } }],
            both,
        );
        assert.equal(
            moved.refused,
            "when the engine reaches the protected webstack-db-cluster (DatabaseCluster), after the steps before it: a protected resource is not replaced. Way through: one update with `database.protect: false` first.",
        );
        const dropped = analyzeTransition("tier 1 → 0", [cluster("db-s-1vcpu-1gb")], [], both);
        assert.match(
            dropped.refused!,
            /^at the end of the update, after every create and update: the engine does not delete the protected webstack-db-cluster \(DatabaseCluster\)/,
        );
    });

    it("covers the changes an operator makes: releases, credentials, scaling both ways, every tier move, HAProxy and the database", () => {
        assert.deepEqual(
            transitionCases().map((c) => c.change),
            [
                "tier 0: app release (`app.image`)",
                "tier 1: app release (`app.image`)",
                "tier 2: app release (`app.image`)",
                "tier 1: a webstack release that renders new host configs",
                "tier 2: a webstack release that renders new host configs",
                "tier 2: log store credential rotated",
                "tier 1: `web.count` 2 → 3",
                "tier 1: `web.count` 3 → 2",
                "tier 2: `app.count` 2 → 3",
                "tier 2: `app.count` 3 → 2",
                "tier 0 → 1",
                "tier 1 → 2",
                "tier 2 → 3",
                "tier 3 → 2",
                "tier 2 → 1",
                "tier 1 → 0",
                "tier 2 (HAProxy): app release (`app.image`)",
                "tier 2 (HAProxy): `web.count` 2 → 3",
                "tier 2 (HAProxy): a webstack release that renders a new HAProxy config",
                "tier 2 (HAProxy): `loadBalancer.count` 1 → 2",
                "tier 2: `database.readReplicas` 1 → 2",
                "tier 2: `database.standbyNodes` 0 → 1",
            ],
        );
    });
});

describe("transitions of the program itself (captured before and after each change)", function () {
    this.timeout(120000);
    let rows: TransitionRow[];
    before(async () => {
        rows = await buildTransitions(transitionCases(), captureHere);
    });

    it("captures in a child process, as the docs do, what it captures here", async () => {
        const start = { config: exampleConfig(1) };
        const [captured] = await captureHere([start]);
        const requests = [start, { config: exampleConfig(2), previousOutputs: captured.outputs }];
        assert.deepEqual(await captureInChild(requests), await captureHere(requests));
    });

    it("is what docs/serving.md's transition table shows", async () => {
        assertGeneratedBlock("transitions", await transitionsSection(rows));
    });

    it("keeps the site serving through every change, except a tier-0 droplet's replacement and removing a public load balancer", () => {
        assert.deepEqual(
            rows.filter((r) => !r.serves).map((r) => r.change),
            ["tier 0: app release (`app.image`)", "tier 0 → 1", "tier 3 → 2", "tier 1 → 0"],
        );
        for (const change of ["tier 0: app release (`app.image`)", "tier 0 → 1", "tier 1 → 0"])
            assert.match(rows.find((r) => r.change === change)!.why, /^Window: not zero-downtime by design: /);
        assert.equal(
            rows.find((r) => r.change === "tier 3 → 2")!.why,
            "Window: resolvers that cached webstack-dns-apex-1 (TTL 300 s) keep sending users to the LoadBalancer webstack-lb-1 for up to that long after it is deleted at the end of the update; resolvers that cached webstack-dns-www-1 (TTL 300 s) keep sending users to the LoadBalancer webstack-lb-1 for up to that long after it is deleted at the end of the update.",
        );
    });

    it("refuses every change that replaces or deletes a protected resource, saying where and the way through", () => {
        assert.deepEqual(
            rows.filter((r) => r.refused).map((r) => r.change),
            ["tier 0: app release (`app.image`)", "tier 0 → 1", "tier 3 → 2", "tier 2 → 1", "tier 1 → 0"],
        );
        const tier0 =
            "before anything is created: the protected droplet webstack-web-0 holds MySQL, and the preflight refuses to replace it without `allowDataLoss`. Way through: dump the database, set `allowDataLoss` for this one update (which also unprotects the droplet), then load the dump.";
        for (const change of ["tier 0: app release (`app.image`)", "tier 0 → 1"])
            assert.equal(rows.find((r) => r.change === change)!.refused, tier0);
        assert.equal(
            rows.find((r) => r.change === "tier 1 → 0")!.refused,
            "at the end of the update, after every create and update: the engine does not delete the protected webstack-db-cluster (DatabaseCluster), webstack-db-replica-0 (DatabaseReplica), so the update fails there, part way through its deletes. Way through: back up their data, run one update with `database.protect: false` (it only unprotects them), then this change with `allowDataLoss`.",
        );
        for (const change of [
            "tier 1: a webstack release that renders new host configs",
            "tier 2 (HAProxy): app release (`app.image`)",
        ])
            assert.equal(rows.find((r) => r.change === change)!.refused, undefined, change);
    });

    it("gates every serving droplet a release replaces, and drains the ones it deletes", () => {
        const release = rows.find((r) => r.change === "tier 2: a webstack release that renders new host configs")!;
        assert.equal(
            release.order,
            "2 × create new web droplet (gated) → 2 × create new app droplet (gated) → 2 × create new DnsRecord; at the end, delete 2 DnsRecords, 2 web droplets, 2 app droplets",
        );
        assert.equal(
            release.why,
            "Every new web droplet is seen serving through each public entry point before the update goes on; the removed web droplets fail their health checks before they stop (drain); every new app droplet is seen serving through each public entry point before the update goes on; the removed app droplets fail their health checks before they stop (drain).",
        );
    });

    it("upgrades tier 1 to 2 with the database firewalls created after the gated app droplets, trusting the old web droplets", () => {
        const row = rows.find((r) => r.change === "tier 1 → 2")!;
        assert.equal(row.serves, true, row.why);
        assert.match(row.why, /the database firewall is created only after the new app droplets serve/);
    });

    it("leaves the monitor alone when standby nodes or read replicas change", () => {
        for (const change of ["tier 2: `database.standbyNodes` 0 → 1", "tier 2: `database.readReplicas` 1 → 2"]) {
            const row = rows.find((r) => r.change === change)!;
            assert.doesNotMatch(`${row.replaced} ${row.order} ${row.why}`, /monitor/, change);
        }
    });
});
