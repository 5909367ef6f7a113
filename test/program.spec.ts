import assert from "node:assert/strict";
import { ProgramError } from "../plan/capture/runProgram";
import { exampleConfig, output, runProgram } from "./support/program";
import { recorder } from "./support/hooks";

describe("index.ts", () => {
    it("stops with a RunError listing every config problem before creating any resource", async () => {
        await assert.rejects(runProgram({ ...exampleConfig(1), tier: 9, domain: "Not A Domain" }), (err: unknown) => {
            assert.ok(err instanceof ProgramError && err.kind === "run");
            assert.equal(
                (err as Error).message,
                [
                    'Invalid configuration for stack "dev":',
                    '  - webstack:tier: expected "0", "1", "2" or "3"; got "9". Fix: pulumi config set webstack:tier 3',
                    '  - webstack:domain: expected a lower-case DNS name such as "example.com"; got "Not A Domain". Fix: pulumi config set webstack:domain example.com',
                ].join("\n"),
            );
            return true;
        });
        await recorder.settle();
        assert.deepEqual(recorder.resources, []);
    });

    it("exports the endpoints of the stack", async () => {
        const run = await runProgram(exampleConfig(3));
        assert.deepEqual(run.outputs.map((o) => o.name).sort(), [
            "acmePeersName",
            "appSecretsEnv",
            "autoscalePoolIds",
            "cdnEndpoint",
            "dataResources",
            "databaseHost",
            "databaseUri",
            "dnsRecords",
            "dropletIps",
            "loadBalancerIps",
            "logsDashboardsPassword",
            "logsDashboardsUrl",
            "protectedDroplets",
            "tier",
            "url",
        ]);
        assert.deepEqual(output(run, "url"), { value: "https://example.com", secret: false });
        assert.deepEqual(output(run, "tier"), { value: 3, secret: false });
        assert.deepEqual(output(run, "autoscalePoolIds"), { value: [], secret: false });
    });

    it("exports the autoscale pools' ids, so their members can be listed", async () => {
        const run = await runProgram({
            ...exampleConfig(2),
            web: { autoscale: { min: 2, max: 5 } },
            app: { autoscale: { min: 2, max: 4 } },
        });
        const ids = ["webstack-web-pool", "webstack-app-pool"].map((n) => run.resources.find((r) => r.name === n)!.id);
        assert.deepEqual(output(run, "autoscalePoolIds"), { value: ids, secret: false });
    });

    it("exports the name HAProxy droplets find their ACME peers by, only with HAProxy and Let's Encrypt", async () => {
        const haproxy = { loadBalancer: { engine: "haproxy" } };
        const tls = await runProgram({ ...exampleConfig(2), ...haproxy });
        assert.deepEqual(output(tls, "acmePeersName"), { value: "webstack-lb-peers.example.com", secret: false });
        for (const config of [exampleConfig(2), { ...exampleConfig(1), ...haproxy }])
            assert.equal(output(await runProgram(config), "acmePeersName").value, undefined);
    });

    it("exports the log store's Dashboards URL in plain text and its password only as a secret", async () => {
        const run = await runProgram(exampleConfig(2));
        const store = run.resources.find((r) => r.name === "webstack-logs-cluster")!;
        assert.deepEqual(output(run, "logsDashboardsUrl"), {
            value: `https://${String(store.state.uiHost)}:443`,
            secret: false,
        });
        assert.deepEqual(output(run, "logsDashboardsPassword"), { value: store.state.uiPassword, secret: true });
    });

    it("exports the app's secrets env file only as a secret, with the app user's and the cache's passwords", async () => {
        const run = await runProgram(exampleConfig(3));
        const env = output(run, "appSecretsEnv");
        const resources = run.resources;
        const password = (name: string) => resources.find((r) => r.name === name)!.state.password;
        assert.equal(env.secret, true);
        assert.equal(
            env.value,
            `DATABASE_PASSWORD=${password("webstack-db-app-user")}\nCACHE_PASSWORD=${password("webstack-cache-cluster")}\n`,
        );
    });
});

describe("the tests' program runner (test/support/program.ts)", () => {
    it("answers a repeated run with the first run's record, frozen, and the recorder as that run left it", async () => {
        const first = await runProgram(exampleConfig(0));
        const [invokes, resources] = [[...recorder.invokes], [...recorder.resources]];
        recorder.reset();
        const again = await runProgram(exampleConfig(0));
        assert.equal(again, first);
        assert.deepEqual(recorder.invokes, invokes);
        assert.deepEqual(recorder.resources, resources);
        assert.throws(() => (again.resources as unknown[]).push(undefined), TypeError);
        assert.throws(() => Object.assign(again.resources[0].inputs, { name: "changed" }), TypeError);
        assert.throws(() => {
            (again.resources[0].inputs as Record<string, unknown>).name = "changed";
        }, TypeError);
    });

    it("runs a failed run again when asked again: what follows a failure is watched afresh", async () => {
        const failing = { ...exampleConfig(1), tier: 9 };
        const first = await runProgram(failing).catch((err: unknown) => err);
        const again = await runProgram(failing).catch((err: unknown) => err);
        assert.ok(first instanceof ProgramError && again instanceof ProgramError);
        assert.notEqual(again, first);
        assert.equal((again as Error).message, (first as Error).message);
    });

    it("leaves the recorder's resources in the order the run recorded them, not in the record's order", async () => {
        // A config of this test's own, so the first call runs here.
        const config = { ...exampleConfig(2), domain: "order.webstack.dev" };
        const run = await runProgram(config);
        // Responses arrive in their own order (the record is in request order), and differ from run to run.
        const recorded = recorder.resources.map((r) => r.urn);
        recorder.reset();
        assert.equal(await runProgram(config), run);
        assert.deepEqual(
            recorder.resources.map((r) => r.urn),
            recorded,
        );
    });

    it("runs afresh for another account or another install of the mocks", async () => {
        const first = await runProgram(exampleConfig(0));
        recorder.account = { ...recorder.account, email: "other@webstack.dev" };
        assert.notEqual(await runProgram(exampleConfig(0)), first);
        await recorder.install("webstack", "dev", false, "another-org");
        try {
            assert.notEqual(await runProgram(exampleConfig(0)), first);
        } finally {
            await recorder.install("webstack", "dev");
        }
        assert.equal(
            recorder.account.email,
            "other@webstack.dev",
            "the account the caller set is kept for its next run",
        );
        recorder.reset();
        assert.equal(await runProgram(exampleConfig(0)), first);
    });
});
