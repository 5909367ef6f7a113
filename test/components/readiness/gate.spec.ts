// The readiness gate's logic on its own: a fake clock and scripted answers stand in for time and HTTP, so every path
// (other droplets first, transient errors, failing statuses, several entry points, the timeout and its message) is
// exact and instant.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import {
    type Answer,
    type EntryPoint,
    GateTimeoutError,
    duration,
    waitUntilServing,
} from "../../../components/readiness/gate";
import { parseIdentity, releaseOf } from "../../../components/readiness/identity";
import type { ProbeTarget } from "../../../components/readiness/probe";
import {
    GATE_INTERVAL_MS,
    GATE_SAMPLES,
    type GateDeps,
    roleGate,
    runEdgeGate,
    runRoleGate,
    newlyGated,
} from "../../../components/readiness/servingGate";

/** A clock that only moves when the gate sleeps or a probe takes time. */
class FakeClock {
    t = 0;
    sleeps: number[] = [];
    now = () => this.t;
    sleep = async (ms: number) => {
        this.sleeps.push(ms);
        this.t += ms;
    };
}

const web = (droplet: string, status = 200): Answer => ({
    kind: "response",
    status,
    headers: { "x-webstack-web": `droplet=${droplet}; release=0123456789ab` },
});
const error = (message: string): Answer => ({ kind: "error", message });

interface Harness {
    deps: GateDeps;
    clock: FakeClock;
    targets: ProbeTarget[];
    logs: string[];
}

/** Deps whose probe answers `script(target, n)` (n: the request's index) and takes 50 ms of fake time. */
function harness(script: (target: ProbeTarget, n: number) => Answer): Harness {
    const clock = new FakeClock();
    const targets: ProbeTarget[] = [];
    const logs: string[] = [];
    return {
        clock,
        targets,
        logs,
        deps: {
            clock,
            log: (m) => logs.push(m),
            probe: async (target) => {
                targets.push(target);
                clock.t += 50;
                return script(target, targets.length - 1);
            },
        },
    };
}

const ROLE = {
    role: "web" as const,
    entryKind: "load balancer",
    domain: "example.com",
    healthPath: "/healthz",
    tls: true,
    timeoutMinutes: 15,
    resource: "webstack-web-0",
};

describe("readiness gate: waiting for a new droplet", () => {
    it("passes once the new droplet answers, after seeing the old droplets first", async () => {
        const h = harness((_, n) => (n < 9 ? web(n % 2 ? "1111" : "2222") : web("381920")));
        await runRoleGate({ ...ROLE, addresses: ["203.0.113.10"], droplet: "381920" }, h.deps);
        assert.equal(h.targets.length, 10);
        // Two full rounds of samples, a pause after each, then the tenth request sees it.
        assert.deepEqual(h.clock.sleeps, [GATE_INTERVAL_MS, GATE_INTERVAL_MS]);
        assert.deepEqual(h.targets[0], {
            address: "203.0.113.10",
            port: 443,
            tls: true,
            host: "example.com",
            path: "/healthz",
            headers: ["x-webstack-web"],
            timeoutMs: 8000,
        });
        assert.deepEqual(h.logs, [
            "Readiness gate: waiting up to 15 minutes for web droplet 381920 (webstack-web-0) to serve through load balancer 203.0.113.10.",
            "Readiness gate: web droplet 381920 (webstack-web-0) serves (after 11 seconds).",
        ]);
    });

    it("asks plain HTTP on port 80 when the entry points do not terminate TLS", async () => {
        const h = harness(() => web("7"));
        await runRoleGate({ ...ROLE, tls: false, addresses: ["203.0.113.10"], droplet: "7" }, h.deps);
        assert.deepEqual([h.targets[0].port, h.targets[0].tls], [80, false]);
    });

    it("does not count the new droplet answering 5xx (nginx up, app not yet), nor a 2xx from another droplet", async () => {
        const h = harness((_, n) => (n < 6 ? web("381920", 502) : n < 8 ? web("1111") : web("381920", 204)));
        await runRoleGate({ ...ROLE, addresses: ["203.0.113.10"], droplet: "381920" }, h.deps);
        assert.equal(h.targets.length, 9);
    });

    it("keeps asking through transient errors (refused, reset, timeouts)", async () => {
        const h = harness((_, n) =>
            n < 5 ? error(n % 2 ? "read ECONNRESET" : "no answer within 8000 ms") : web("381920"),
        );
        await runRoleGate({ ...ROLE, addresses: ["203.0.113.10"], droplet: "381920" }, h.deps);
        assert.equal(h.targets.length, 6);
    });

    it("waits until every entry point (each public load balancer) has sent a request to the new droplet", async () => {
        // The second load balancer marks the droplet healthy two rounds later than the first.
        const h = harness((t, n) => (t.address === "203.0.113.10" || n > 12 ? web("381920") : web("1111")));
        await runRoleGate({ ...ROLE, addresses: ["203.0.113.10", "203.0.113.11"], droplet: "381920" }, h.deps);
        const asked = (a: string) => h.targets.filter((t) => t.address === a).length;
        assert.deepEqual([asked("203.0.113.10"), asked("203.0.113.11")], [1, 13]);
    });

    it("waits for a release instead of a droplet (an autoscale pool's template)", async () => {
        const release = releaseOf("#cloud-config\npackages: [nginx]\n");
        const h = harness((_, n) => ({
            kind: "response",
            status: 200,
            headers: { "x-webstack-app": `droplet=${n}; release=${n < 3 ? "aaaaaaaaaaaa" : release}` },
        }));
        await runRoleGate({ ...ROLE, role: "app", addresses: ["203.0.113.10"], release }, h.deps);
        assert.equal(h.targets.length, 4);
        assert.equal(
            h.logs[1],
            `Readiness gate: release ${release} of the app pool (webstack-web-0) serves (after 0 seconds).`,
        );
    });

    it("fails after the timeout with one message: what each entry point answered, that nothing is deleted, the fix", async () => {
        // The first load balancer keeps answering from the old droplets (now and then 503, now and then refused).
        const seen = { n: 0, ok: new Map<string, number>(), unavailable: 0, refused: 0 };
        const h = harness((t) => {
            if (t.address === "203.0.113.11") return web("381920");
            const n = seen.n++;
            if (n % 10 === 9) return (seen.refused++, error("connect ECONNREFUSED 203.0.113.10:443"));
            if (n % 5 === 4) return (seen.unavailable++, web("2222", 503));
            const id = n % 2 ? "1111" : "2222";
            seen.ok.set(id, (seen.ok.get(id) ?? 0) + 1);
            return web(id);
        });
        const failure = await runRoleGate(
            { ...ROLE, timeoutMinutes: 5, addresses: ["203.0.113.10", "203.0.113.11"], droplet: "381920" },
            h.deps,
        ).then(
            () => assert.fail("the gate passed"),
            (err: unknown) => err as GateTimeoutError,
        );
        assert.ok(failure instanceof GateTimeoutError);
        const ok = (seen.ok.get("1111") ?? 0) + (seen.ok.get("2222") ?? 0);
        assert.ok(ok > 0 && seen.unavailable > 0 && seen.refused > 0);
        assert.equal(
            failure.message,
            [
                "Readiness gate: web droplet 381920 (webstack-web-0) was not seen serving through 1 of 2 entry points within 5 minutes.",
                `  - load balancer 203.0.113.10: ${ok + seen.unavailable} answers (${ok} × 200, ${seen.unavailable} × 503) from web droplet 1111, web droplet 2222; never from droplet 381920; ${seen.refused} failed requests (last: connect ECONNREFUSED 203.0.113.10:443).`,
                "  - load balancer 203.0.113.11: served by droplet 381920 after 0 seconds.",
                "The update stops here and deletes nothing: Pulumi deletes replaced droplets only at the end of an update that succeeds, so the droplets this one replaces keep serving. Find out why it does not serve (on the droplet: cloud-init status --long; journalctl -u nginx). The next pulumi up runs this gate again before it deletes anything; if the droplet only needs more time, raise the timeout. Fix: pulumi config set --path 'webstack:releases.gateTimeoutMinutes' 10",
            ].join("\n"),
        );
    });

    it("stops at the timeout: no request starts after it, and no pause runs past it", async () => {
        const h = harness(() => web("1111"));
        await assert.rejects(
            runRoleGate({ ...ROLE, timeoutMinutes: 5, addresses: ["203.0.113.10"], droplet: "381920" }, h.deps),
            GateTimeoutError,
        );
        // Each round: GATE_SAMPLES requests of 50 ms, then a pause of GATE_INTERVAL_MS cut short at the deadline.
        const perRound = GATE_SAMPLES * 50 + GATE_INTERVAL_MS;
        const rounds = Math.ceil((5 * 60_000) / perRound);
        assert.equal(h.clock.t, 5 * 60_000);
        assert.equal(h.targets.length, rounds * GATE_SAMPLES);
        assert.deepEqual(h.clock.sleeps.slice(0, -1), Array(rounds - 1).fill(GATE_INTERVAL_MS));
        assert.equal(h.clock.sleeps.at(-1), 5 * 60_000 - (rounds - 1) * perRound - GATE_SAMPLES * 50);
    });

    it("refuses a gate with no entry point, and says which option is wrong", async () => {
        await assert.rejects(
            waitUntilServing(
                {
                    subject: "x",
                    expected: "y",
                    entryPoints: [],
                    accept: () => true,
                    answeredBy: () => undefined,
                    timeoutMs: 0,
                    intervalMs: 1000,
                    samplesPerRound: 0,
                    onTimeout: "",
                },
                async () => web("1"),
                new FakeClock(),
            ),
            {
                message: [
                    "Invalid readiness gate:",
                    "  - entryPoints: at least one entry point is required; got none.",
                    '  - timeoutMs: must be a number of at least 1; got "0".',
                    '  - samplesPerRound: must be an integer of at least 1; got "0".',
                ].join("\n"),
            },
        );
    });

    it("treats a probe that throws like a failed request", async () => {
        let n = 0;
        const clock = new FakeClock();
        const result = await waitUntilServing(
            {
                subject: "s",
                expected: "e",
                entryPoints: [{ label: "lb", address: "a" } satisfies EntryPoint],
                accept: (a) => a.kind === "response",
                answeredBy: () => undefined,
                timeoutMs: 60_000,
                intervalMs: 1000,
                samplesPerRound: 1,
                onTimeout: "",
            },
            async () => {
                if (n++ < 2) throw new Error("socket hang up");
                return web("1");
            },
            clock,
        );
        assert.deepEqual(
            [result.log[0].errors, result.log[0].lastError, result.log[0].answers],
            [2, "socket hang up", 1],
        );
    });
});

describe("readiness gate: HAProxy droplets before their reserved IP moves", () => {
    const EDGE = {
        domain: "example.com",
        healthPath: "/healthz",
        tls: true,
        timeoutMinutes: 15,
        address: "198.51.100.7",
        droplet: "5150",
        resource: "webstack-haproxy-ip-assignment-0",
    };
    const tlsAnswer = (valid: boolean, status = 200): Answer => ({
        kind: "response",
        status,
        headers: {},
        certificate: valid ? { valid } : { valid, problem: "DEPTH_ZERO_SELF_SIGNED_CERT" },
    });

    it("requires a valid certificate for the apex and www when the site serves one now", async () => {
        // The public name (example.com via DNS) serves a valid certificate; the new droplet gets its own after 3 tries.
        let tries = 0;
        const h = harness((t) =>
            t.address === "example.com" ? tlsAnswer(true) : tlsAnswer(t.host === "example.com" ? ++tries > 3 : true),
        );
        await runEdgeGate(EDGE, h.deps);
        assert.deepEqual(
            h.targets.map((t) => [t.address, t.host]),
            [
                ["example.com", "example.com"],
                ["198.51.100.7", "example.com"],
                ["198.51.100.7", "www.example.com"],
                ["198.51.100.7", "example.com"],
                ["198.51.100.7", "example.com"],
                ["198.51.100.7", "example.com"],
            ],
        );
        assert.equal(
            h.logs[0],
            "Readiness gate: waiting up to 15 minutes for HAProxy droplet 5150 at 198.51.100.7 (webstack-haproxy-ip-assignment-0) to serve example.com and www.example.com with a valid certificate.",
        );
    });

    it("says why it failed: the certificate it saw, and that the reserved IP has not moved", async () => {
        const h = harness((t) => (t.address === "example.com" ? tlsAnswer(true) : tlsAnswer(false)));
        await assert.rejects(runEdgeGate({ ...EDGE, timeoutMinutes: 5 }, h.deps), (err: Error) => {
            const lines = err.message.split("\n");
            const asked = h.targets.filter((t) => t.host === "www.example.com").length;
            assert.deepEqual(lines.slice(0, 3), [
                "Readiness gate: HAProxy droplet 5150 at 198.51.100.7 (webstack-haproxy-ip-assignment-0) was not seen serving through 2 of 2 entry points within 5 minutes.",
                `  - https://example.com/healthz at 198.51.100.7: ${asked} answers (${asked} × 200) naming no droplet; never from it with a valid certificate; ${asked} with an invalid certificate (DEPTH_ZERO_SELF_SIGNED_CERT).`,
                `  - https://www.example.com/healthz at 198.51.100.7: ${asked} answers (${asked} × 200) naming no droplet; never from it with a valid certificate; ${asked} with an invalid certificate (DEPTH_ZERO_SELF_SIGNED_CERT).`,
            ]);
            assert.match(lines[3], /^The reserved IP has not moved: it still points at the droplet that serves now\./);
            assert.match(lines[3], /Fix: pulumi config set --path 'webstack:releases\.gateTimeoutMinutes' 10$/);
            return true;
        });
    });

    it("accepts any certificate when the public name serves none that is valid (a first deployment)", async () => {
        const h = harness((t) =>
            t.address === "example.com" ? error("getaddrinfo ENOTFOUND example.com") : tlsAnswer(false),
        );
        await runEdgeGate(EDGE, h.deps);
        assert.equal(h.targets.length, 3);
    });

    it("accepts any certificate, and says why, when the droplets serving now cannot pass the new one its challenge", async () => {
        // The site serves a valid certificate, but from droplets that do not forward Let's Encrypt's challenges.
        const h = harness((t) => (t.address === "example.com" ? tlsAnswer(true) : tlsAnswer(false)));
        await runEdgeGate({ ...EDGE, certifiesBeforeMove: false }, h.deps);
        assert.equal(h.targets.length, 3);
        assert.equal(
            h.logs[0],
            "Readiness gate: the droplets serving example.com now do not forward Let's Encrypt's challenges to a new droplet, so it can obtain its certificate only once its reserved IP points at it; this once, any certificate will do.",
        );
    });

    it("asks plain HTTP once for a stack without TLS", async () => {
        const h = harness(() => ({ kind: "response", status: 200, headers: {} }));
        await runEdgeGate({ ...EDGE, tls: false }, h.deps);
        assert.deepEqual(
            h.targets.map((t) => [t.address, t.port, t.tls, t.host]),
            [["198.51.100.7", 80, false, "example.com"]],
        );
    });
});

describe("readiness gate: the Pulumi resource hook", () => {
    it("is a named hook that does not run in preview and waits for the droplets new in the gate Stash it is bound to", async () => {
        const h = harness((_, n) => web(n < 2 ? "1111" : "424242"));
        const hook = roleGate("webstack-web-gate", { ...ROLE, entryPoints: [pulumi.output("203.0.113.10")] }, h.deps);
        assert.ok(pulumi.ResourceHook.isInstance(hook));
        assert.equal(hook.name, "webstack-web-gate");
        assert.equal(hook.opts?.onDryRun ?? false, false);
        assert.equal(hook.opts?.ignoreErrors ?? false, false);
        // The pool's Stash before its update: droplet 1111 stays, 424242 replaced 2222.
        await hook.callback({
            urn: "urn:x",
            id: "stash",
            name: "webstack-web-serving",
            type: "pulumi:index:Stash",
            newInputs: { input: ["1111", "424242"] },
            oldInputs: { input: ["1111", "2222"] },
        });
        assert.equal(h.targets.length, 3);
        assert.deepEqual(h.logs.length, 2);
        assert.equal(h.logs[1], "Readiness gate: web droplet 424242 (webstack-web-serving) serves (after 0 seconds).");
    });
});

describe("serving identity", () => {
    it("reads the header nginx writes and nothing else", () => {
        assert.deepEqual(parseIdentity("droplet=381920; release=0123456789ab"), {
            droplet: "381920",
            release: "0123456789ab",
        });
        assert.deepEqual(parseIdentity("droplet=7;release=ab"), { droplet: "7", release: "ab" });
        for (const bad of [undefined, "", "droplet=x; release=ab", "release=ab; droplet=7", "droplet=7"])
            assert.equal(parseIdentity(bad), undefined, String(bad));
    });

    it("computes a release as `sha256sum | cut -c1-12` does", () => {
        assert.equal(releaseOf(""), "e3b0c44298fc");
        assert.equal(releaseOf("#cloud-config\n"), releaseOf("#cloud-config\n"));
        assert.notEqual(releaseOf("a"), releaseOf("b"));
    });

    it("writes durations the way the messages do", () => {
        assert.deepEqual([0, 1000, 59_000, 60_000, 61_000, 90_000, 15 * 60_000].map(duration), [
            "0 seconds",
            "1 second",
            "59 seconds",
            "1 minute",
            "1 minute 1 second",
            "1 minute 30 seconds",
            "15 minutes",
        ]);
    });
});

describe("a pool's gate Stash (servingGate.ts gateStash)", () => {
    it("names every new droplet that did not serve in the update's error, not only the first", async () => {
        const h = harness(() => web("1111"));
        const hook = roleGate("webstack-web-gate", { ...ROLE, entryPoints: [pulumi.output("203.0.113.10")] }, h.deps);
        const call = hook.callback({
            urn: "urn:x",
            id: "stash",
            name: "webstack-web-serving",
            type: "pulumi:index:Stash",
            newInputs: { input: ["1111", "501", "502"] },
            oldInputs: { input: ["1111"] },
        });
        await assert.rejects(Promise.resolve(call), (err: Error) => {
            assert.match(err.message, /web droplet 501 \(webstack-web-serving\) was not seen serving/);
            assert.match(err.message, /web droplet 502 \(webstack-web-serving\) was not seen serving/);
            return true;
        });
    });

    it("waits for the droplets its new input has and its old one lacks: all of them when it is created", () => {
        assert.deepEqual(newlyGated({ newInputs: { input: ["101", "102"] } }), ["101", "102"]);
        assert.deepEqual(
            newlyGated({ newInputs: { input: ["101", "203", "204"] }, oldInputs: { input: ["101", "102"] } }),
            ["203", "204"],
        );
        // A pool that shrank, or kept its droplets, has nothing new to wait for; what is not an id is not a droplet.
        assert.deepEqual(newlyGated({ newInputs: { input: ["101"] }, oldInputs: { input: ["101", "102"] } }), []);
        assert.deepEqual(newlyGated({ newInputs: { input: ["", 7, null, "301"] } }), ["301"]);
        assert.deepEqual(newlyGated({ newInputs: {} }), []);
    });
});
