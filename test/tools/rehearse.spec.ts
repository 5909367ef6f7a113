// `npm run rehearse` offline: its prober on a fake clock, its scenario on a fake stack, its report, and the skip when
// the Pulumi CLI or a DigitalOcean token is missing. The run against a real account is the operator's.
import assert from "node:assert/strict";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { Prober } from "../../tools/rehearsal/prober";
import { type RehearsalStack, missingPrerequisites, renderReport, runScenario } from "../../tools/rehearsal/scenario";
import { main, requestUrl } from "../../tools/rehearse";

/** A clock that moves only when someone sleeps or a fake request takes time. */
function fakeTime() {
    let t = 0;
    return {
        now: () => t,
        sleep: async (ms: number) => {
            t += ms;
        },
        advance: (ms: number) => (t += ms),
    };
}

describe("rehearse: the prober", () => {
    it("counts requests and failures and measures the longest stretch without a success", async () => {
        const time = fakeTime();
        // Requests take 10 ms; from the 5th to the 14th the site answers 503, then refuses once, then serves again.
        let n = 0;
        let reached: () => void = () => undefined;
        const twenty = new Promise<void>((resolve) => (reached = resolve));
        const prober = new Prober({
            intervalMs: 0,
            concurrency: 1,
            now: time.now,
            sleep: time.sleep,
            send: async () => {
                const i = n++;
                time.advance(10);
                if (i === 19) reached();
                if (i === 14) throw new Error("connect ECONNREFUSED");
                return { status: i >= 4 && i < 14 ? 503 : 200 };
            },
        });
        prober.start();
        await twenty;
        const report = await prober.stop();
        assert.equal(report.sent, 20);
        assert.equal(report.failed, 11);
        // The last success before the outage ended at 40 ms, the first after it at 160 ms.
        assert.equal(report.longestGapMs, 120);
        assert.deepEqual(report.failures.slice(0, 2), [
            { atMs: 50, reason: "HTTP 503" },
            { atMs: 60, reason: "HTTP 503" },
        ]);
        assert.equal(report.failures.length, 10);
    });

    it("counts 3xx as served (a browser follows it) and a network error as failed", async () => {
        const statuses = [301, 204];
        let i = 0;
        const prober = new Prober({
            intervalMs: 1,
            concurrency: 1,
            send: async () => {
                if (i >= statuses.length) throw new Error("socket hang up");
                return { status: statuses[i++] };
            },
        });
        prober.start();
        await new Promise((r) => setTimeout(r, 30));
        const report = await prober.stop();
        assert.equal(report.sent - report.failed, 2);
        assert.equal(report.failures[0].reason, "socket hang up");
    });

    it("sends real requests with requestUrl, on a fresh connection each time", async () => {
        let connections = 0;
        const server = http.createServer((_, res) => res.end("ok"));
        server.on("connection", () => connections++);
        await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
        try {
            const send = requestUrl(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
            assert.deepEqual([await send(), await send()], [{ status: 200 }, { status: 200 }]);
            assert.equal(connections, 2);
        } finally {
            server.closeAllConnections();
            await new Promise((r) => server.close(r));
        }
    });
});

/** A stack that records what the scenario asks of it; `failing` makes that step throw. */
function fakeStack(failing?: keyof RehearsalStack): RehearsalStack & { calls: string[] } {
    const calls: string[] = [];
    const act = (name: keyof RehearsalStack, detail = "") => {
        calls.push(`${name}${detail}`);
        if (name === failing) throw new Error(`${name} failed: resource webstack-web-0 failed its readiness gate`);
    };
    return {
        calls,
        up: async () => act("up"),
        setImage: async (image) => act("setImage", ` ${image}`),
        url: async () => (act("url"), "https://example.com"),
        destroy: async () => act("destroy"),
    };
}

describe("rehearse: the scenario and its report", () => {
    const options = (stack: RehearsalStack) => {
        const time = fakeTime();
        return {
            stack,
            image: "ghcr.io/acme/shop:2.0.0",
            baselineMs: 60_000,
            probeIntervalMs: 100,
            now: time.now,
            sleep: time.sleep,
            request: (url: string) => {
                assert.equal(url, "https://example.com");
                return async () => ({ status: 200 });
            },
        };
    };

    it("deploys, probes, releases the new image while probing, and destroys, in that order", async () => {
        const stack = fakeStack();
        const reports = await runScenario(options(stack));
        assert.deepEqual(stack.calls, ["up", "url", "setImage ghcr.io/acme/shop:2.0.0", "up", "destroy"]);
        assert.deepEqual(
            reports.map((r) => [r.step, r.error, r.probe === undefined]),
            [
                ["up (first deployment)", undefined, true],
                ["read the site's URL", undefined, true],
                ["probe the deployed site", undefined, false],
                ["set app.image ghcr.io/acme/shop:2.0.0", undefined, true],
                ["up (release, probed throughout)", undefined, false],
                ["destroy", undefined, true],
            ],
        );
        // The baseline lasts the minute asked for (plus the requests in flight when it ends), probed all along.
        assert.ok(reports[2].durationMs >= 60_000 && reports[2].durationMs < 61_000, String(reports[2].durationMs));
        assert.ok(reports[2].probe!.sent > 0 && reports[2].probe!.failed === 0);
    });

    it("still destroys and reports what users saw when the release fails (a gate timed out)", async () => {
        let ups = 0;
        const stack = fakeStack();
        const upOnce = stack.up;
        stack.up = async () => {
            if (ups++ === 1) throw new Error('after hook "webstack-web-gate" failed: Readiness gate: …');
            return upOnce();
        };
        const reports = await runScenario(options(stack));
        const release = reports.find((r) => r.step === "up (release, probed throughout)")!;
        assert.equal(release.error, 'after hook "webstack-web-gate" failed: Readiness gate: …');
        assert.ok(release.probe && release.probe.failed === 0);
        assert.equal(reports.at(-1)!.step, "destroy");
        assert.match(
            renderReport(reports),
            /Verdict: not completed: the release update did not run to the end \(see the failed step\)\.\n$/,
        );
    });

    it("renders each step's duration, the requests, failures and longest gap, and a verdict", () => {
        const probe = {
            sent: 1200,
            failed: 3,
            longestGapMs: 4200,
            durationMs: 300_000,
            failures: [{ atMs: 61_000, reason: "HTTP 503" }],
        };
        assert.equal(
            renderReport([
                { step: "up (first deployment)", durationMs: 412_300 },
                { step: "up (release, probed throughout)", durationMs: 300_000, probe },
                { step: "destroy", durationMs: 95_000 },
            ]),
            [
                "Release rehearsal",
                "",
                "  up (first deployment): 412.3 s",
                "  up (release, probed throughout): 300.0 s",
                "      1200 requests, 3 failed, longest gap without a successful answer 4.2 s",
                "      failed at +61.0 s: HTTP 503",
                "  destroy: 95.0 s",
                "",
                "Verdict: 3 requests failed during the release.",
                "",
            ].join("\n"),
        );
    });
});

describe("rehearse: prerequisites", () => {
    it("names every missing prerequisite, and accepts a CLI that fails updates on a failing gate", () => {
        assert.deepEqual(missingPrerequisites({}, undefined), [
            "the Pulumi CLI (3.248.0 or at least 3.238.0): https://www.pulumi.com/docs/install/",
            "a DigitalOcean API token in DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN)",
        ]);
        assert.deepEqual(missingPrerequisites({ DIGITALOCEAN_TOKEN: "t" }, "v3.237.0"), [
            "a Pulumi CLI that fails an update when a readiness gate fails (at least 3.238.0); found v3.237.0",
        ]);
        assert.deepEqual(missingPrerequisites({ DIGITALOCEAN_ACCESS_TOKEN: "t" }, "v3.248.0"), []);
    });

    it("says what is missing and exits 0 without deploying anything", async () => {
        const out: string[] = [];
        const write = process.stdout.write;
        process.stdout.write = ((chunk: string) => (out.push(chunk), true)) as typeof process.stdout.write;
        try {
            assert.equal(await main(["--stack", "rehearsal", "--image", "ghcr.io/acme/shop:2.0.0"], {}), 0);
        } finally {
            process.stdout.write = write;
        }
        assert.match(out.join(""), /^Release rehearsal skipped: it needs\n(  - .*\n)+Nothing was deployed\.\n$/);
        assert.match(out.join(""), /a DigitalOcean API token in DIGITALOCEAN_TOKEN/);
    });
});
