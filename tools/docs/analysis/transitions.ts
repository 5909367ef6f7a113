// The transition table: for each change an operator makes to a live stack, what `pulumi up` replaces, in which order,
// and whether the site keeps serving, computed from the program's own captures (before and after the change) rather
// than asserted. The engine facts it reasons from (pulumi/pulumi v3.248.0):
//   - creates and updates run in dependency order, each as soon as what it depends on is done
//     (pkg/resource/deploy/step_executor.go, one worker per `--parallel` slot);
//   - a replacement creates the new resource first and deletes the old one only after every create and update of the
//     update, in reverse-dependency antichains (step_generator.go:1911-1913, :2037 and :2238; deployment_executor.go
//     :328-346 and :499-550);
//   - a `beforeCreate` or `beforeUpdate` hook runs at the start of its step and a failing one fails the step before
//     anything is created or recorded (@1b59498 step.go:321-337, :960-982), so dependents and those deletes wait for it. A
//     pool's gate is bound that way on one gate Stash that holds its droplets' ids (components/readiness/servingGate.ts
//     gateStash): updated whenever a droplet is created or replaced (an id changes), so the gate runs, for the new ids,
//     in every update that creates a droplet, a retry after a failed gate included;
//   - an `afterCreate` or `afterUpdate` hook (an autoscale pool's, which only reports) runs inside its step, and since
//     CLI 3.238.0 a failing one fails the update before any delete (@1b59498 step.go:466-503; step_executor.go:639-643).
// A row says "window" when some users' requests would fail in between, and why (including the changes that are not
// zero-downtime by design); the gates, drains and dependencies are read from the captures (recorded hooks and
// dependencies), so a row changes by itself when the program does. A row says "refused" when the change replaces or
// deletes a protected resource, and where that stops the update:
//   - a droplet that holds data (tier 0's, with MySQL): the program's preflight refuses before anything is created
//     unless `allowDataLoss` is set (components/settings/upgradePreflight.ts);
//   - any other resource protected before and after: the engine refuses its replacement when it reaches its step
//     ("unable to replace resource … marked for protection", step_generator.go:1833-1850; it allows it when the same
//     update unprotects the resource, :1835-1837);
//   - a protected resource the update no longer has: the engine refuses its delete, which runs at the end of the
//     update after every create and update ("cannot be deleted because it is protected", step.go:583-618).
// The row then says the way through, and what that way does (the target is captured with `allowDataLoss`).
import { APP_SERVICE } from "../../../components/hostConfig/appUnit";
import { SYSTEMD_DIR } from "../../../components/hostConfig/types";
import { plain } from "../../../plan/capture/recorder";
import { type CaptureRequest, type CaptureResult, type Captured, captureInChild } from "../../../plan/capture/inChild";
import { inventOutputs } from "../../../plan/capture/mockOutputs";
import { exampleConfig } from "../../../examples/variants";
import { diffCaptures } from "./upgradeMatrix";

const DROPLET = "digitalocean:index/droplet:Droplet";
const ASSIGNMENT = "digitalocean:index/reservedIpAssignment:ReservedIpAssignment";
const DB_FIREWALL = "digitalocean:index/databaseFirewall:DatabaseFirewall";
const DNS_RECORD = "digitalocean:index/dnsRecord:DnsRecord";
const RESERVED_IP = "digitalocean:index/reservedIp:ReservedIp";
const TAG = "digitalocean:index/tag:Tag";
/** The kinds the order column names (the request path and what guards it); the rest are counted. */
const ORDER_KINDS = [
    DROPLET,
    "digitalocean:index/loadBalancer:LoadBalancer",
    DB_FIREWALL,
    ASSIGNMENT,
    DNS_RECORD,
    "digitalocean:index/databaseCluster:DatabaseCluster",
];

/** Droplet roles by logical name (`<stack name>-<role>-<i>`). */
export type Role = "web" | "app" | "haproxy" | "monitor";
export function roleOf(r: { type: string; name: string }): Role | undefined {
    if (r.type !== DROPLET) return undefined;
    return (/-(web|app|haproxy|monitor)-\d+$/.exec(r.name)?.[1] as Role | undefined) ?? undefined;
}
const SERVING: readonly Role[] = ["web", "app", "haproxy"];
const ROLE_NAMES: Record<Role, string> = {
    web: "web droplet",
    app: "app droplet",
    haproxy: "HAProxy droplet",
    monitor: "monitor droplet",
};
const count = (n: number, what: string) => `${n} ${what}${n === 1 ? "" : "s"}`;

/** A change to a live stack: two configs, or one config and a change the program cannot be asked for by config. */
export interface TransitionCase {
    readonly change: string;
    readonly from: Record<string, unknown>;
    /** The target config; undefined when `perturb` makes the target from the starting capture. */
    readonly to?: Record<string, unknown>;
    /** For changes that are not config: the target capture from the starting one. */
    readonly perturb?: (before: readonly Captured[]) => Captured[];
}

export interface TransitionRow {
    readonly change: string;
    readonly replaced: string;
    readonly order: string;
    /** Where `pulumi up` refuses the change (a protected resource), and the way through; absent when it runs. */
    readonly refused?: string;
    /** True when no request fails in between (on the way through, when refused). */
    readonly serves: boolean;
    /** Why it keeps serving, or what opens the window. */
    readonly why: string;
}

/** The logical names of the resources protected in the live stack (`before`) and in the update's program (`after`). */
export interface Protection {
    readonly before: ReadonlySet<string>;
    readonly after: ReadonlySet<string>;
}

const withTier = (tier: number, extra: Record<string, unknown> = {}) => ({ ...exampleConfig(tier), ...extra });
const HAPROXY = { loadBalancer: { engine: "haproxy" } };

/** Every droplet's user data changed, as a webstack release that renders new host configs does. */
function newHostConfigs(roles: readonly Role[]) {
    return (before: readonly Captured[]): Captured[] =>
        before.map((r) => {
            const role = roleOf(r);
            if (!role || !roles.includes(role)) return r;
            return { ...r, inputs: { ...r.inputs, userData: `${JSON.stringify(plain(r.inputs.userData))}#release-2` } };
        });
}

/** The log store's writer password rotated: every input that embeds it changes (the user data of shipping roles). */
function rotatedLogPassword(before: readonly Captured[]): Captured[] {
    const writer = before.find(
        (r) => r.type === "digitalocean:index/databaseUser:DatabaseUser" && /-logs-writer$/.test(r.name),
    );
    if (!writer) throw new Error("the stack has no log writer to rotate");
    // The password the mock engine gave the writer (its outputs are not captured): invented again, identically.
    const old = String(
        inventOutputs(writer.type, writer.name, plain(writer.inputs) as Record<string, any>, false).state.password,
    );
    const replace = (v: unknown): unknown => JSON.parse(JSON.stringify(v).split(old).join(`${old}-rotated`));
    return before.map((r) => ({ ...r, inputs: replace(r.inputs) as Record<string, unknown> }));
}

/** The changes of the table: the operator's everyday changes, scaling, tier moves, HAProxy moves, the database. */
export function transitionCases(): TransitionCase[] {
    const image = (tier: number, extra = {}) => ({
        change: `tier ${tier}${"loadBalancer" in extra ? " (HAProxy)" : ""}: app release (\`app.image\`)`,
        from: withTier(tier, extra),
        to: withTier(tier, { ...extra, app: { image: "ghcr.io/acme/shop:2.0.0" } }),
    });
    const count = (tier: number, key: "web" | "app", a: number, b: number, extra = {}) => ({
        change: `tier ${tier}${"loadBalancer" in extra ? " (HAProxy)" : ""}: \`${key}.count\` ${a} → ${b}`,
        from: withTier(tier, { ...extra, [key]: { count: a } }),
        to: withTier(tier, { ...extra, [key]: { count: b } }),
    });
    const tier = (a: number, b: number) => ({
        change: `tier ${a} → ${b}`,
        from: exampleConfig(a),
        to: exampleConfig(b),
    });
    return [
        image(0),
        image(1),
        image(2),
        {
            change: "tier 1: a webstack release that renders new host configs",
            from: withTier(1),
            perturb: newHostConfigs(["web"]),
        },
        {
            change: "tier 2: a webstack release that renders new host configs",
            from: withTier(2),
            perturb: newHostConfigs(["web", "app"]),
        },
        { change: "tier 2: log store credential rotated", from: withTier(2), perturb: rotatedLogPassword },
        count(1, "web", 2, 3),
        count(1, "web", 3, 2),
        count(2, "app", 2, 3),
        count(2, "app", 3, 2),
        tier(0, 1),
        tier(1, 2),
        tier(2, 3),
        tier(3, 2),
        tier(2, 1),
        tier(1, 0),
        image(2, HAPROXY),
        count(2, "web", 2, 3, HAPROXY),
        {
            change: "tier 2 (HAProxy): a webstack release that renders a new HAProxy config",
            from: withTier(2, HAPROXY),
            perturb: newHostConfigs(["haproxy"]),
        },
        {
            change: "tier 2 (HAProxy): `loadBalancer.count` 1 → 2",
            from: withTier(2, { loadBalancer: { engine: "haproxy", count: 1 } }),
            to: withTier(2, { loadBalancer: { engine: "haproxy", count: 2 } }),
        },
        {
            change: "tier 2: `database.readReplicas` 1 → 2",
            from: withTier(2, { database: { readReplicas: 1 } }),
            to: withTier(2, { database: { readReplicas: 2 } }),
        },
        {
            change: "tier 2: `database.standbyNodes` 0 → 1",
            from: withTier(2, { database: { standbyNodes: 0 } }),
            to: withTier(2, { database: { standbyNodes: 1 } }),
        },
    ];
}

// ---------------------------------------------------------------------------------------------------------
// The analysis of one transition.

const kind = (r: { type: string }) => r.type.split(":").pop()!;
const gated = (r: Captured | undefined, hook: "afterCreate" | "beforeCreate" | "afterUpdate" | "beforeUpdate") =>
    (r?.hooks?.[hook]?.length ?? 0) > 0;
const STASH = "pulumi:index:Stash";
/** A gate Stash: its gate runs before its creation and before every update (a new id of what it holds). */
const isGateStash = (r: Captured) => r.type === STASH && gated(r, "beforeCreate") && gated(r, "beforeUpdate");
/** The gate Stash that holds `r`'s id, if any. */
const gateOf = (r: Captured, after: readonly Captured[]) =>
    after.find((s) => isGateStash(s) && (s.propertyDependencies?.input ?? []).includes(r.urn));
const userDataOf = (r: Captured) => String(JSON.stringify(plain(r.inputs.userData) ?? ""));
/** Tier 0's droplet: MySQL, with the site's only copy of the data, runs on it. */
const holdsMysql = (r: Captured) => roleOf(r) === "web" && userDataOf(r).includes("webstack-mysql-init");
/** A droplet that runs the app container (its unit file is in the user data), which connects to the database. */
const carriesApp = (r: Captured) => roleOf(r) !== undefined && userDataOf(r).includes(`${SYSTEMD_DIR}/${APP_SERVICE}`);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : []);

/** Every resource `urn` depends on, directly or through others (dependsOn and property dependencies). */
function ancestors(urn: string, byUrn: Map<string, Captured>): Set<string> {
    const seen = new Set<string>();
    const visit = (u: string) => {
        const r = byUrn.get(u);
        if (!r) return;
        const direct = [...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()];
        for (const d of direct) {
            if (seen.has(d)) continue;
            seen.add(d);
            visit(d);
        }
    };
    visit(urn);
    return seen;
}

/** Depth in the dependency graph: the longest chain of resources `urn` waits for. */
function depthOf(urn: string, byUrn: Map<string, Captured>, memo = new Map<string, number>()): number {
    const known = memo.get(urn);
    if (known !== undefined) return known;
    memo.set(urn, 0);
    const r = byUrn.get(urn);
    const direct = r ? [...(r.dependencies ?? []), ...Object.values(r.propertyDependencies ?? {}).flat()] : [];
    const depth = direct.length === 0 ? 0 : 1 + Math.max(...direct.map((d) => depthOf(d, byUrn, memo)));
    memo.set(urn, depth);
    return depth;
}

/** "2 web droplets, 1 DnsRecord": resources grouped by role or kind, in first-seen order. */
function grouped(resources: readonly { type: string; name: string }[], suffix = ""): string {
    const groups = new Map<string, number>();
    for (const r of resources) {
        const role = roleOf(r);
        const label = role ? ROLE_NAMES[role] : kind(r);
        groups.set(label, (groups.get(label) ?? 0) + 1);
    }
    return [...groups].map(([label, n]) => `${count(n, label)}${suffix}`).join(", ");
}

export function analyzeTransition(
    change: string,
    before: readonly Captured[],
    after: readonly Captured[],
    protection: Protection = { before: new Set(), after: new Set() },
): TransitionRow {
    const diff = diffCaptures(before, after);
    const byUrn = new Map(after.map((r) => [r.urn, r]));
    const oldByUrn = new Map(before.map((r) => [r.urn, r]));
    const replacedUrns = new Set(diff.replaced.map((r) => r.urn));
    const createdUrns = new Set(diff.created.map((r) => r.urn));
    const updated = after.filter(
        (r) =>
            r.custom &&
            oldByUrn.has(r.urn) &&
            !replacedUrns.has(r.urn) &&
            JSON.stringify(plain(oldByUrn.get(r.urn)!.inputs)) !== JSON.stringify(plain(r.inputs)),
    );
    const fresh = after.filter((r) => replacedUrns.has(r.urn) || createdUrns.has(r.urn));
    const goneOld = [...diff.replaced.map((r) => oldByUrn.get(r.urn)!), ...diff.deleted];
    const goneUrns = new Set(goneOld.map((r) => r.urn));
    const windows: string[] = [];
    const reasons: string[] = [];
    // A droplet is gated by the gate Stash that holds it, or (HAProxy's web pool) by the one that holds the DNS record
    // HAProxy finds it by, created with it in this update.
    const dropletGated = (d: Captured) =>
        gateOf(d, after) !== undefined ||
        fresh.some(
            (r) =>
                r.type === DNS_RECORD &&
                (r.propertyDependencies?.value ?? []).includes(d.urn) &&
                gateOf(r, after) !== undefined,
        );

    // Tier 0 keeps MySQL, with the only copy of the data, on its one droplet, which no load balancer fronts.
    const mysqlGone = goneOld.some(holdsMysql);
    const mysqlNew = fresh.some(holdsMysql);
    if (mysqlGone && mysqlNew)
        windows.push(
            `not zero-downtime by design: the new tier-0 droplet starts with an empty MySQL, so the dump must be loaded into it by hand while writes are stopped (docs/deploying.md), and no load balancer fronts it nor gate watches it: the site moves to the new droplet's address as the DNS records change, resolvers keep the old one for the records' TTL, and the old droplet is deleted at the end of the update`,
        );
    if (mysqlGone && !mysqlNew)
        windows.push(
            `not zero-downtime by design: the tier-0 droplet holds the only copy of the MySQL data and the managed database starts empty, so the data must be dumped and restored by hand while writes are stopped (docs/deploying.md); the droplet is deleted at the end of the update (only with \`allowDataLoss\`)`,
        );
    if (mysqlNew && !mysqlGone)
        windows.push(
            `not zero-downtime by design: tier 0 runs its own, empty MySQL on one droplet that no load balancer fronts and no gate can watch, so the managed database's data must be moved by hand (docs/deploying.md)`,
        );

    // Serving droplets that replace others: the old ones are deleted at the end, whatever the new ones are doing.
    for (const role of SERVING) {
        const serving = (r: Captured) => roleOf(r) === role && !holdsMysql(r);
        const replacedHere = after.filter((r) => serving(r) && replacedUrns.has(r.urn));
        const createdHere = after.filter((r) => serving(r) && createdUrns.has(r.urn));
        const goneHere = goneOld.filter(serving);
        const newHere = [...replacedHere, ...createdHere];
        if (newHere.length === 0 && goneHere.length === 0) continue;
        if (role === "haproxy") {
            const assignments = after.filter(
                (a) => a.type === ASSIGNMENT && (replacedUrns.has(a.urn) || createdUrns.has(a.urn)),
            );
            const ungated = assignments.filter((a) => !gated(a, "beforeCreate"));
            if (ungated.length > 0 && replacedHere.length > 0)
                windows.push(
                    `the reserved IPs move to the new HAProxy droplets as soon as DigitalOcean reports them active, before HAProxy serves (then a self-signed certificate until certbot succeeds)`,
                );
            else if (assignments.length > 0)
                reasons.push(
                    `each reserved IP moves only after its new HAProxy droplet serves both names with a valid certificate`,
                );
            continue;
        }
        const ungated = newHere.filter((r) => !dropletGated(r));
        if (replacedHere.length > 0 && ungated.length > 0 && goneHere.length > 0) {
            windows.push(
                `the ${count(goneHere.length, `old ${ROLE_NAMES[role]}`)} ${goneHere.length === 1 ? "is" : "are"} deleted at the end of the update without waiting for the new ones, which are still in cloud-init`,
            );
        } else if (newHere.length > 0 && ungated.length === 0) {
            reasons.push(
                `every new ${ROLE_NAMES[role]} is seen serving through each public entry point before the update goes on`,
            );
        } else if (createdHere.length > 0) {
            reasons.push(`new ${ROLE_NAMES[role]}s get requests only once the load balancer's checks pass`);
        }
        if (goneHere.length > 0) {
            const drains = goneHere.every((r) => userDataOf(r).includes("webstack-drain.service"));
            if (drains)
                reasons.push(`the removed ${ROLE_NAMES[role]}s fail their health checks before they stop (drain)`);
            else
                windows.push(
                    `requests still sent to the removed ${ROLE_NAMES[role]}${goneHere.length === 1 ? "" : "s"} fail until the load balancer's checks take ${goneHere.length === 1 ? "it" : "them"} out (no drain)`,
                );
        }
    }

    // A new database firewall trusts only the tags it names: everything that must reach the database before it
    // exists has to serve first (gated and ordered before it), and old droplets that carry the app must stay trusted.
    // A firewall of a cluster created in this update cuts no one off: nothing reached that cluster before.
    const tagNames = new Map(after.filter((r) => r.type === TAG).map((t) => [t.name, String(plain(t.inputs.name))]));
    const trustedBy = (fw: Captured) =>
        new Set(
            ((plain(fw.inputs.rules) as { type: string; value: string }[] | undefined) ?? [])
                .filter((r) => r.type === "tag")
                .map((r) => r.value),
        );
    const guardsNewCluster = (fw: Captured) =>
        (fw.propertyDependencies?.clusterId ?? []).some((u) => createdUrns.has(u));
    for (const fw of after.filter((r) => r.type === DB_FIREWALL && createdUrns.has(r.urn) && /-db-/.test(r.name))) {
        if (guardsNewCluster(fw)) continue;
        const waitsFor = ancestors(fw.urn, byUrn);
        const newApps = fresh.filter((r) => roleOf(r) === "app");
        const waitsForApps =
            newApps.length > 0 &&
            newApps.every((r) => {
                const gate = gateOf(r, after);
                return gate !== undefined && waitsFor.has(gate.urn);
            });
        if (newApps.length > 0 && !waitsForApps)
            windows.push(
                `the database firewall is created before the new app droplets serve, and trusts only them and the monitor`,
            );
        const trusted = trustedBy(fw);
        const oldAppCarriers = goneOld.filter((r) => roleOf(r) === "web" && carriesApp(r));
        const webTag = [...tagNames].find(([n]) => n.endsWith("-tag-web"))?.[1];
        if (oldAppCarriers.length > 0 && !(webTag && trusted.has(webTag)))
            windows.push(
                `the old web droplets still run the app until they are deleted, but the new database firewall does not trust their tag`,
            );
        else if (newApps.length > 0 && waitsForApps)
            reasons.push(`the database firewall is created only after the new app droplets serve`);
    }
    // While the update runs, a database firewall that stays has its new rules, one that goes keeps its old ones until
    // the end: every new droplet that runs the app must be among the tags it trusts, or its gate can never pass.
    const dbFirewalls = new Map(
        [...before, ...after].filter((r) => r.type === DB_FIREWALL && /-db-/.test(r.name)).map((r) => [r.urn, r]),
    );
    for (const urn of dbFirewalls.keys()) {
        const fw = byUrn.get(urn) ?? oldByUrn.get(urn)!;
        const trusted = trustedBy(fw);
        const shut = fresh.filter((r) => carriesApp(r) && !strings(plain(r.inputs.tags)).some((t) => trusted.has(t)));
        if (shut.length > 0 && !createdUrns.has(urn))
            windows.push(
                `database firewall ${fw.name} trusts only ${[...trusted].join(", ")} until ${byUrn.has(urn) ? "it changes" : "it is deleted at the end of the update"}, so the new droplets that run the app (${grouped(shut)}) cannot reach the database before then`,
            );
    }

    // DNS records that send users to a reserved IP must wait until its HAProxy droplet serves.
    for (const rec of after.filter((r) => r.type === DNS_RECORD && createdUrns.has(r.urn))) {
        const via = ancestors(rec.urn, byUrn);
        const ip = [...via].map((u) => byUrn.get(u)).find((r) => r?.type === RESERVED_IP);
        if (!ip || !/-(apex|www)-\d+$/.test(rec.name)) continue;
        const assignment = after.find((a) => a.type === ASSIGNMENT && ancestors(a.urn, byUrn).has(ip.urn));
        if (!assignment || !via.has(assignment.urn) || !gated(assignment, "beforeCreate"))
            windows.push(`DNS record ${rec.name} sends users to a reserved IP before its HAProxy droplet serves`);
    }

    // A site record that goes, or moves, away from an address that is deleted in this update: resolvers keep the old
    // answer for the record's TTL and send their users to an address that no longer serves.
    for (const rec of before.filter((r) => r.type === DNS_RECORD && /-(apex|www)-\d+$/.test(r.name))) {
        const now = byUrn.get(rec.urn);
        const moved = !now || JSON.stringify(plain(now.inputs.value)) !== JSON.stringify(plain(rec.inputs.value));
        const target = (rec.propertyDependencies?.value ?? []).map((u) => oldByUrn.get(u)).find((r) => r);
        if (!moved || !target || !goneUrns.has(target.urn)) continue;
        const what = roleOf(target) ? ROLE_NAMES[roleOf(target)!] : kind(target);
        windows.push(
            `resolvers that cached ${rec.name} (TTL ${String(plain(rec.inputs.ttl))} s) keep sending users to the ${what} ${target.name} for up to that long after it is deleted at the end of the update`,
        );
    }

    const monitorGone = goneOld.some((r) => roleOf(r) === "monitor") && fresh.some((r) => roleOf(r) === "monitor");
    const history = monitorGone ? " The monitor droplet is replaced: its Prometheus history is lost." : "";
    const servingChanged = [...fresh, ...goneOld].some((r) => SERVING.includes(roleOf(r) as Role));
    const distinct = (list: string[]) => [...new Set(list)];
    const why =
        windows.length > 0
            ? `Window: ${distinct(windows).join("; ")}.${history}`
            : `${reasons.length > 0 ? `${capital(distinct(reasons).join("; "))}.` : servingChanged ? "" : "No serving droplet changes."}${history}`.trim();

    // The order: changed resources by their depth in the dependency graph, then the deletes (deepest first).
    const memo = new Map<string, number>();
    // A gate Stash is its droplet's gate, shown as "(gated)" on that droplet, not as a step of its own.
    const all = [...fresh, ...updated]
        .filter((r) => !isGateStash(r))
        .sort((a, b) => depthOf(a.urn, byUrn, memo) - depthOf(b.urn, byUrn, memo));
    const changed = all.filter((r) => ORDER_KINDS.includes(r.type));
    const others = all.length - changed.length;
    const steps: string[] = [];
    for (const r of changed) {
        const label = `${createdUrns.has(r.urn) ? "create" : replacedUrns.has(r.urn) ? "create new" : "update"} ${roleOf(r) ? ROLE_NAMES[roleOf(r)!] : kind(r)}${gateOf(r, after) !== undefined || gated(r, "afterCreate") || gated(r, "beforeCreate") || gated(r, "afterUpdate") ? " (gated)" : ""}`;
        if (steps.at(-1)?.replace(/^\d+ × /, "") === label) {
            const n = Number(/^(\d+) × /.exec(steps.at(-1)!)?.[1] ?? 1) + 1;
            steps[steps.length - 1] = `${n} × ${label}`;
        } else steps.push(label);
    }
    const oldMemo = new Map<string, number>();
    const deletes = goneOld
        .filter((r) => !isGateStash(r))
        .sort((a, b) => depthOf(b.urn, oldByUrn, oldMemo) - depthOf(a.urn, oldByUrn, oldMemo));
    const order = [
        steps.length > 0
            ? `${steps.join(" → ")}${others > 0 ? ` (and ${others} other ${others === 1 ? "create or update" : "creates or updates"})` : ""}`
            : others > 0
              ? `${others} ${others === 1 ? "create or update" : "creates or updates"} of other resources`
              : "nothing to create or update",
        ...(deletes.length > 0 ? [`at the end, delete ${grouped(deletes)}`] : []),
    ].join("; ");
    const replaced = diff.replaced.length > 0 ? grouped(diff.replaced) : "nothing";
    const refused = refusal(
        diff.replaced.map((r) => oldByUrn.get(r.urn)!),
        diff.deleted,
        protection,
    );
    return { change, replaced, order, ...(refused ? { refused } : {}), serves: windows.length === 0, why };
}

/** Where `pulumi up` stops at a protected resource the change replaces or deletes, and the way through. */
function refusal(replaced: readonly Captured[], deleted: readonly Captured[], p: Protection): string | undefined {
    const names = (rs: readonly Captured[]) => rs.map((r) => r.name).join(", ");
    const kinds = (rs: readonly Captured[]) => rs.map((r) => `${r.name} (${kind(r)})`).join(", ");
    const dataDroplets = replaced.filter((r) => r.type === DROPLET && p.before.has(r.name));
    const keptProtected = replaced.filter((r) => r.type !== DROPLET && p.before.has(r.name) && p.after.has(r.name));
    const goneProtected = deleted.filter((r) => p.before.has(r.name));
    const parts: string[] = [];
    if (dataDroplets.length > 0)
        parts.push(
            `before anything is created: the protected droplet ${names(dataDroplets)} holds MySQL, and the preflight refuses to replace it without \`allowDataLoss\`. Way through: dump the database, set \`allowDataLoss\` for this one update (which also unprotects the droplet), then load the dump`,
        );
    if (keptProtected.length > 0)
        parts.push(
            `when the engine reaches the protected ${kinds(keptProtected)}, after the steps before it: a protected resource is not replaced. Way through: one update with \`database.protect: false\` first`,
        );
    if (goneProtected.length > 0)
        parts.push(
            `at the end of the update, after every create and update: the engine does not delete the protected ${kinds(goneProtected)}, so the update fails there, part way through its deletes. Way through: back up their data, run one update with \`database.protect: false\` (it only unprotects them), then this change with \`allowDataLoss\``,
        );
    return parts.length > 0 ? `${parts.join("; and ")}.` : undefined;
}

const capital = (s: string) => (s.length > 0 ? s[0].toUpperCase() + s.slice(1) : s);

/** The table as markdown. */
export function transitionsMarkdown(rows: readonly TransitionRow[]): string {
    const cell = (s: string) => s.replace(/\|/g, "\\|");
    return [
        "| Change | Replaced | Order (`pulumi up`) | Serves throughout? |",
        "|---|---|---|---|",
        ...rows.map(
            (r) =>
                `| ${cell(r.change)} | ${cell(r.replaced)} | ${cell(r.order)} | ${r.refused ? `**refused** ${cell(r.refused)} Then: ` : ""}${r.serves ? "yes" : "**no**"}: ${cell(r.why)} |`,
        ),
    ].join("\n");
}

/** Captures a list of requests in order: child processes for the docs (the default), the tests' own runner for them. */
export type CaptureAll = (requests: readonly CaptureRequest[]) => Promise<CaptureResult[]>;

/**
 * Runs every case's captures, by default in child processes (plan/capture/inChild.ts): the starting configs first,
 * as stacks never deployed before (deployed as an operator does, so tier 0's droplet is protected); then the
 * targets, each as an update of its starting stack, which reads back what that one exported (its tier, its HAProxy
 * peers' name, its data resources), as `pulumi up` does, with `allowDataLoss`: a refused change is analysed on its
 * way through. The protected resources are the data resources each run exports: every one of them is protected
 * (`database.protect` is on by default, and tier 0's droplet unless `allowDataLoss` is set), and captures keep no
 * resource options.
 */
export async function buildTransitions(
    cases: readonly TransitionCase[] = transitionCases(),
    captureAll: CaptureAll = captureInChild,
): Promise<TransitionRow[]> {
    const dedupe = <T>(items: T[]) => [...new Map(items.map((i) => [JSON.stringify(i), i])).values()];
    const starts = dedupe(cases.map((c) => c.from));
    const startResults = await captureAll(starts.map((config) => ({ config })));
    const startOf = (config: Record<string, unknown>): CaptureResult =>
        startResults[starts.findIndex((c) => JSON.stringify(c) === JSON.stringify(config))];
    const targets = dedupe(cases.flatMap((c) => (c.to ? [{ from: c.from, to: c.to }] : [])));
    const targetResults = await captureAll(
        targets.map((t) => ({ config: { ...t.to, allowDataLoss: true }, previousOutputs: startOf(t.from).outputs })),
    );
    const targetOf = (from: Record<string, unknown>, to: Record<string, unknown>): CaptureResult =>
        targetResults[targets.findIndex((t) => JSON.stringify(t) === JSON.stringify({ from, to }))];
    return cases.map((c) => {
        const before = startOf(c.from);
        if (before.error) throw new Error(`${c.change}: the starting config fails: ${before.error}`);
        const after = c.to
            ? targetOf(c.from, c.to)
            : { resources: c.perturb!(before.resources), dataResources: before.dataResources };
        if (after.error) throw new Error(`${c.change}: the target config fails: ${after.error}`);
        return analyzeTransition(c.change, before.resources, after.resources, {
            before: new Set(before.dataResources ?? []),
            after: new Set(after.dataResources ?? []),
        });
    });
}

/** docs/serving.md's `transitions` block, from `rows` (default: every case of transitionCases, built afresh). */
export async function transitionsSection(rows?: readonly TransitionRow[]): Promise<string> {
    rows ??= await buildTransitions();
    const serving = rows.filter((r) => r.serves && !r.refused).length;
    const refused = rows.filter((r) => r.refused).length;
    return [
        `${rows.length} changes, each computed from two captures of the program (before and after) with the provider's force-new inputs, the resources' dependencies, the hooks they bind and what is protected; ${serving} of them keep the site serving throughout, and ${refused} are refused until their owner takes the way through (a protected resource).`,
        "",
        transitionsMarkdown(rows),
    ].join("\n");
}
