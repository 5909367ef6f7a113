// The transition table's analysis on hand-made captures: the same change reads as a window without the gates and as
// serving with them, so the generated table (docs/serving.md, checked fresh by test/tools/docs.spec.ts) changes by
// itself once the program binds them.
import assert from "node:assert/strict";
import type { Captured } from "../../plan/capture/inChild";
import { analyzeTransition, roleOf, transitionCases } from "../../plan/analysis/transitions";

const T = {
    droplet: "digitalocean:index/droplet:Droplet",
    lb: "digitalocean:index/loadBalancer:LoadBalancer",
    assignment: "digitalocean:index/reservedIpAssignment:ReservedIpAssignment",
    ip: "digitalocean:index/reservedIp:ReservedIp",
    dbFirewall: "digitalocean:index/databaseFirewall:DatabaseFirewall",
    tag: "digitalocean:index/tag:Tag",
    record: "digitalocean:index/dnsRecord:DnsRecord",
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

const gate = { afterCreate: ["webstack-web-gate"] };
const webs = (userData: string, hooks = {}) =>
    [0, 1].map((i) => res(T.droplet, `webstack-web-${i}`, { userData, image: "ubuntu-24-04-x64" }, { hooks }));
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

    it("reads the same replacement as serving once the droplets bind the gate and drain before shutdown", () => {
        const drains = "runcmd: [systemctl, enable, --now, webstack-drain.service]";
        const row = analyzeTransition("release", [lb, ...webs(`v1 ${drains}`)], [lb, ...webs(`v2 ${drains}`, gate)]);
        assert.deepEqual(row, {
            change: "release",
            replaced: "2 web droplets",
            order: "2 × create new web droplet (gated); at the end, delete 2 web droplets",
            serves: true,
            why: "Every new web droplet is seen serving through each public entry point before the update goes on; the removed web droplets fail their health checks before they stop (drain).",
        });
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
            res(T.droplet, `webstack-web-${i}`, { userData: "units: webstack-app.service webstack-drain.service" }),
        );
        const newWeb = [0, 1].map((i) =>
            res(T.droplet, `webstack-web-${i}`, { userData: "nginx only webstack-drain.service" }, { hooks: gate }),
        );
        const apps = [0, 1].map((i) => res(T.droplet, `webstack-app-${i}`, { userData: "app" }, { hooks: gate }));
        const firewall = (trusted: string[], dependsOnApps: boolean) =>
            res(
                T.dbFirewall,
                "webstack-db-firewall",
                { clusterId: "c", rules: trusted.map((value) => ({ type: "tag", value })) },
                { dependencies: dependsOnApps ? apps.map((a) => a.urn) : [] },
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

    it("covers the changes an operator makes: releases, credentials, scaling both ways, every tier move, HAProxy and the database", () => {
        assert.deepEqual(
            transitionCases().map((c) => c.change),
            [
                "tier 1: app release (`app.image`)",
                "tier 2: app release (`app.image`)",
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
                "tier 2 (HAProxy): `web.count` 2 → 3",
                "tier 2 (HAProxy): a webstack release that renders a new HAProxy config",
                "tier 2 (HAProxy): `loadBalancer.count` 1 → 2",
                "tier 2: `database.readReplicas` 1 → 2",
                "tier 2: `database.standbyNodes` 0 → 1",
            ],
        );
    });
});
