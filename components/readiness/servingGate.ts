// Readiness gates as Pulumi resource hooks (@pulumi/pulumi 3.248 `ResourceHook`). A gate is bound `beforeCreate` and
// `beforeUpdate` on a companion resource that holds what has passed (`gateStash`: a Stash whose input is the ids of a
// pool's droplets), or `beforeCreate` on the ReservedIpAssignment of a HAProxy droplet. A before-hook
// runs at the start of its step and a failure returns before anything is created or written to the state (pulumi/pulumi
// @1b59498 pkg/resource/deploy/step.go:321-337 CreateStep.Apply, :960-982 UpdateStep.Apply), so nothing that depends on
// the companion starts, the update fails, and the update's deletes, which run only after every create and update
// (GenerateDeletes, step_generator.go:2328), never run. The next `pulumi up` finds the companion still missing (or
// still holding the old ids) and runs the gate again before it deletes anything.
//
// Why not `afterCreate` on the droplet itself: after a failing after-hook the engine still commits the new droplet
// and marks the one it replaces for deletion (step.go:466-503: "let the step's snapshot commit go through"). The next
// `pulumi up` then sees the new droplet unchanged, runs no hook, and deletes the old droplets at its end
// (step_generator.go:2390, `res.Delete`), whether or not the new ones serve. Hooks do not run in `pulumi preview`
// (deployment.go:779, `DryRun && !OnDryRun`), nor under the mock engine.
//
// Awaiting Outputs in a hook: the callback runs in the program's process and may await any Output whose resource
// does not depend on the hooked one (a load balancer's IP, the HAProxy droplets' addresses): those steps run
// concurrently. Awaiting an Output of a resource that depends on the hooked one would wait forever.
import * as pulumi from "@pulumi/pulumi";
import { type Answer, type EntryPoint, type GateClock, type GateSpec, waitUntilServing, duration } from "./gate";
import { LIMITS } from "../settings/limits";
import { IDENTITY_HEADERS, type IdentityRole, parseIdentity } from "./identity";
import { type ProbeTarget, probeHealth } from "./probe";

/**
 * The Pulumi CLI the gates need: from 3.238.0 a failing after-hook fails the update (pulumi/pulumi#22935, CHANGELOG
 * "3.238.0 (2026-05-13)"), before that it only warned and the update went on to delete the old droplets. Droplets'
 * gates are before-hooks (`gateStash`), but autoscale pools still report through after-hooks, so the minimum stays. The workflows pin `pinned` (the release that matches the SDK, @pulumi/pulumi 3.248.0); test/repo/pulumiCli.spec.ts
 * keeps them in step.
 */
export const PULUMI_CLI = { minimum: "3.238.0", pinned: "3.248.0" } as const;

/** True when `version` (x.y.z, an optional leading "v") is `minimum` or newer. */
export function cliSupportsGates(version: string): boolean {
    const parse = (v: string) => v.replace(/^v/, "").split(/[.+-]/).slice(0, 3).map(Number);
    const [a, b] = [parse(version), parse(PULUMI_CLI.minimum)];
    if (a.some((n) => !Number.isInteger(n))) return false;
    for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] > b[i];
    return true;
}

/** Between rounds; each round sends SAMPLES requests per entry point (the load balancer spreads them). */
export const GATE_INTERVAL_MS = 5_000;
export const GATE_SAMPLES = 4;
/** Under the load balancers' own 5 s check timeout plus a round trip. */
export const PROBE_TIMEOUT_MS = 8_000;

/** What the gates use besides their arguments; tests pass fakes. */
export interface GateDeps {
    readonly probe: (target: ProbeTarget) => Promise<Answer>;
    readonly clock: GateClock;
    /** Progress for the person watching `pulumi up`. */
    readonly log: (message: string) => void;
}

export const REAL_DEPS: GateDeps = {
    probe: probeHealth,
    clock: { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) },
    log: (message) => pulumi.log.info(message),
};

const fixCommand = (minutes: number) =>
    `Fix: pulumi config set --path 'webstack:releases.gateTimeoutMinutes' ${Math.min(minutes * 2, LIMITS.gateTimeoutMinutes.max)}`;

/**
 * The companion that carries a gate for a pool: a Stash, the engine's built-in resource that keeps a value in the
 * state (@pulumi/pulumi 3.248 stash.ts; pulumi/pulumi@1b59498 pkg/resource/deploy/builtins.go:184-193, a changed
 * input is an update, never a replacement), holding the ids of the pool's droplets (`subjects`). It is created once
 * they exist and updated whenever one of them is replaced or added (a new id), each time after the gate has seen every
 * new one serve. Whatever must wait for the pool to serve depends on it; it costs nothing and holds no secret. One per
 * pool, not per droplet: every resource of a stack costs every policy pack a round of its host's work.
 */
export function gateStash(
    name: string,
    subjects: readonly pulumi.Input<string>[],
    gate: pulumi.ResourceHook,
    opts: pulumi.CustomResourceOptions,
): pulumi.Stash {
    return new pulumi.Stash(
        name,
        { input: pulumi.all([...subjects]) },
        { ...opts, hooks: { beforeCreate: [gate], beforeUpdate: [gate] } },
    );
}

/**
 * The droplets a gate Stash's hook must see serve: the ids in its new input that its old input lacks (all of them
 * when it is created), from the inputs the engine hands before-hooks (ResourceHookArgs.newInputs, oldInputs).
 */
export function newlyGated(hook: Pick<pulumi.ResourceHookArgs, "newInputs" | "oldInputs">): string[] {
    const ids = (value: unknown) =>
        Array.isArray(value) ? value.filter((v): v is string => typeof v === "string" && v !== "") : [];
    const old = new Set(ids(hook.oldInputs?.input));
    return ids(hook.newInputs?.input).filter((id) => !old.has(id));
}

/** Resolves an Input inside a hook (values are known during `pulumi up`). */
function resolve<T>(input: pulumi.Input<T>): Promise<T> {
    return new Promise((done) =>
        pulumi.output(input).apply((v) => {
            done(v as T);
            return v;
        }),
    );
}

export interface RoleGateArgs {
    /** Whose announcement to wait for (the header nginx adds on web droplets, or the identity proxy on app droplets). */
    readonly role: IdentityRole;
    /**
     * The public addresses users reach the role through: the public load balancers' IPs, or the HAProxy droplets' own
     * IPv4 addresses (their reserved IPs move only after their own gate). Never an Output of a resource that depends on
     * the hooked one.
     */
    readonly entryPoints: pulumi.Input<readonly pulumi.Input<string>[]>;
    /** How the message names an entry point, e.g. "load balancer". */
    readonly entryKind: string;
    readonly domain: string;
    readonly healthPath: string;
    /** The entry points terminate TLS on 443 (plain HTTP redirects there); otherwise plain HTTP on 80. */
    readonly tls: boolean;
    readonly timeoutMinutes: number;
    /**
     * Instead of each droplet new in the hooked gate Stash (`gateStash`, `newlyGated`): any droplet of this release
     * (an autoscale pool's template, servingIdentity.ts).
     */
    readonly release?: pulumi.Input<string>;
}

/**
 * A gate that passes once every entry point has answered the health path with 2xx/3xx (what the load balancers count
 * as healthy, docs.digitalocean.com/glossary/health-check/) from the expected droplet or release. A load balancer
 * forwards only to droplets that pass its checks, so one such answer proves the droplet is in service there.
 */
export function roleGate(name: string, args: RoleGateArgs, deps: GateDeps = REAL_DEPS): pulumi.ResourceHook {
    return new pulumi.ResourceHook(name, async (hook) => {
        const [addresses, droplets, release] = await Promise.all([
            resolve(args.entryPoints).then((list) => Promise.all(list.map((a) => resolve(a)))),
            args.release === undefined ? Promise.resolve(newlyGated(hook)) : Promise.resolve([undefined]),
            args.release === undefined ? Promise.resolve(undefined) : resolve(args.release),
        ]);
        // Every new droplet of the pool at once: each is judged by its own answers through every entry point, and the
        // update's error names every one that did not serve, not only the first.
        const outcomes = await Promise.allSettled(
            droplets.map((droplet) => runRoleGate({ ...args, addresses, droplet, release, resource: hook.name }, deps)),
        );
        const failed = outcomes.flatMap((o) => (o.status === "rejected" ? [o.reason as unknown] : []));
        if (failed.length === 1) throw failed[0];
        if (failed.length > 1)
            throw new Error(failed.map((e) => (e instanceof Error ? e.message : String(e))).join("\n"));
    });
}

/** The gate behind `roleGate`, with everything resolved. */
export async function runRoleGate(
    args: Omit<RoleGateArgs, "entryPoints" | "release"> & {
        readonly addresses: readonly string[];
        readonly droplet?: string;
        readonly release?: string;
        /** The hooked resource's logical name, for the message. */
        readonly resource: string;
    },
    deps: GateDeps,
): Promise<void> {
    const header = IDENTITY_HEADERS[args.role].toLowerCase();
    const matches = (answer: Answer) => {
        if (answer.kind !== "response") return false;
        const who = parseIdentity(answer.headers[header]);
        return args.release !== undefined ? who?.release === args.release : who?.droplet === args.droplet;
    };
    const expected =
        args.release !== undefined ? `a ${args.role} droplet of release ${args.release}` : `droplet ${args.droplet}`;
    const subject =
        args.release !== undefined
            ? `release ${args.release} of the ${args.role} pool (${args.resource})`
            : `${args.role} droplet ${args.droplet} (${args.resource})`;
    const timeoutMs = args.timeoutMinutes * 60_000;
    const spec: GateSpec = {
        subject,
        expected,
        entryPoints: args.addresses.map((address) => ({ label: `${args.entryKind} ${address}`, address })),
        accept: (answer) =>
            answer.kind === "response" && answer.status >= 200 && answer.status < 400 && matches(answer),
        answeredBy: (answer) => {
            if (answer.kind !== "response") return undefined;
            const who = parseIdentity(answer.headers[header]);
            if (!who) return undefined;
            return args.release !== undefined
                ? `${args.role} release ${who.release}`
                : `${args.role} droplet ${who.droplet}`;
        },
        timeoutMs,
        intervalMs: GATE_INTERVAL_MS,
        samplesPerRound: GATE_SAMPLES,
        onTimeout: [
            "The update stops here and deletes nothing: Pulumi deletes replaced droplets only at the end of an update",
            "that succeeds, so the droplets this one replaces keep serving. Find out why it does not serve (on the droplet:",
            `cloud-init status --long; journalctl -u nginx${args.role === "app" ? " -u webstack-app" : ""}). The next`,
            "pulumi up runs this gate again before it deletes anything; if the droplet only needs more time, raise the",
            `timeout. ${fixCommand(args.timeoutMinutes)}`,
        ].join(" "),
    };
    const target = (entry: EntryPoint): ProbeTarget => ({
        address: entry.address,
        port: args.tls ? 443 : 80,
        tls: args.tls,
        host: args.domain,
        path: args.healthPath,
        headers: [header],
        timeoutMs: PROBE_TIMEOUT_MS,
    });
    deps.log(
        `Readiness gate: waiting up to ${duration(timeoutMs)} for ${subject} to serve through ${spec.entryPoints.map((e) => e.label).join(", ")}.`,
    );
    const result = await waitUntilServing(spec, (entry) => deps.probe(target(entry)), deps.clock);
    deps.log(`Readiness gate: ${subject} serves (after ${duration(result.elapsedMs)}).`);
}

export interface EdgeGateArgs {
    /** The HAProxy droplet's own public IPv4 address (the reserved IP still points at the old droplet). */
    readonly address: pulumi.Input<string>;
    /** Its id, for the message. */
    readonly droplet: pulumi.Input<string>;
    readonly domain: string;
    readonly healthPath: string;
    readonly tls: boolean;
    readonly timeoutMinutes: number;
    /**
     * Whether the new droplet can hold a valid certificate before its reserved IP moves: a custom certificate comes in
     * its user data, and Let's Encrypt's HTTP-01 challenge reaches it when the HAProxy droplets serving now forward it
     * to their peers (haproxy.ts `acmePeers`). False when those droplets come from a release without that forwarding,
     * from another certificate kind or from the managed engine: the new droplet can then obtain its certificate only
     * once the IP points at it, and the gate accepts any certificate. @default true
     */
    readonly certifiesBeforeMove?: boolean;
    /** Extra trusted CA (tests); production trusts Node's bundled roots, as browsers trust Let's Encrypt. */
    readonly ca?: string;
}

/**
 * A gate for a HAProxy droplet, bound before its reserved IP moves (`beforeCreate` on the ReservedIpAssignment): it
 * passes once the droplet answers the health path with 2xx/3xx for the apex and for www, each over TLS with a
 * certificate valid for that name. When the public name does not serve a valid certificate itself (a first
 * deployment: nothing serves yet, and Let's Encrypt can only validate once the IP points here), any certificate will
 * do: the gate then never makes things worse than they are.
 */
export function edgeGate(name: string, args: EdgeGateArgs, deps: GateDeps = REAL_DEPS): pulumi.ResourceHook {
    return new pulumi.ResourceHook(name, async (hook) => {
        const [address, droplet] = await Promise.all([resolve(args.address), resolve(args.droplet)]);
        await runEdgeGate({ ...args, address, droplet, resource: hook.name }, deps);
    });
}

export async function runEdgeGate(
    args: Omit<EdgeGateArgs, "address" | "droplet"> & { address: string; droplet: string; resource: string },
    deps: GateDeps,
): Promise<void> {
    const names = [args.domain, `www.${args.domain}`];
    const target = (host: string, address: string): ProbeTarget => ({
        address,
        port: args.tls ? 443 : 80,
        tls: args.tls,
        host,
        path: args.healthPath,
        headers: [],
        timeoutMs: PROBE_TIMEOUT_MS,
        ...(args.ca ? { ca: args.ca } : {}),
    });
    // Strict when the site already serves a valid certificate through its public name (DNS → reserved IPs) and the
    // new droplet can hold one before the IP moves.
    const current = args.tls ? await deps.probe(target(args.domain, args.domain)) : undefined;
    const servesValid = current?.kind === "response" && current.certificate?.valid === true;
    const strict = servesValid && args.certifiesBeforeMove !== false;
    if (servesValid && !strict)
        deps.log(
            `Readiness gate: the droplets serving ${args.domain} now do not forward Let's Encrypt's challenges to a new droplet, so it can obtain its certificate only once its reserved IP points at it; this once, any certificate will do.`,
        );
    const subject = `HAProxy droplet ${args.droplet} at ${args.address} (${args.resource})`;
    const timeoutMs = args.timeoutMinutes * 60_000;
    const scheme = args.tls ? "https" : "http";
    // Without TLS both names reach the same listener with the same answer: one is enough.
    const hosts = args.tls ? names : [args.domain];
    const spec: GateSpec = {
        subject,
        expected: strict ? "it with a valid certificate" : "it",
        entryPoints: hosts.map((host) => ({
            label: `${scheme}://${host}${args.healthPath} at ${args.address}`,
            address: host,
        })),
        accept: (answer) =>
            answer.kind === "response" &&
            answer.status >= 200 &&
            answer.status < 400 &&
            (!strict || answer.certificate?.valid === true),
        answeredBy: () => undefined,
        timeoutMs,
        intervalMs: GATE_INTERVAL_MS,
        samplesPerRound: 1,
        onTimeout: [
            "The reserved IP has not moved: it still points at the droplet that serves now. Look at the new droplet",
            "(cloud-init status --long; journalctl -u haproxy -u webstack-certbot). Let's Encrypt issues at most",
            "5 certificates per exact set of names per 7 days (letsencrypt.org/docs/rate-limits/); when that is the",
            "cause, wait or use certificate.kind custom. Then run pulumi up again; if it only needs more time, raise the timeout.",
            fixCommand(args.timeoutMinutes),
        ].join(" "),
    };
    deps.log(
        `Readiness gate: waiting up to ${duration(timeoutMs)} for ${subject} to serve ${hosts.join(" and ")}${strict ? " with a valid certificate" : ""}.`,
    );
    const result = await waitUntilServing(spec, (entry) => deps.probe(target(entry.address, args.address)), deps.clock);
    deps.log(`Readiness gate: ${subject} serves (after ${duration(result.elapsedMs)}).`);
}
