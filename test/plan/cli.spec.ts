// The offline plan CLI end to end (plan/cli.ts), against the fixture program and pack: exit codes, error output, the
// JSON schema, secrets, the markdown snapshot (through the shared plan runner), and, in CLI processes of their own,
// what a process must do: its exit status, its answer to signals and its policy host's lifetime.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import {
    alive,
    FIXTURES,
    fixtureArgs,
    ROOT,
    runPlan,
    startTierPlans,
    tierArgs,
    watchedPlan,
} from "../support/planRuns";
import { MOCK_PASSWORD_PREFIX } from "../../plan/capture/mockOutputs";
import { SECRET_PLACEHOLDER } from "../../plan/capture/cliConfig";

const schema = JSON.parse(fs.readFileSync(path.join(ROOT, "plan", "report", "plan.schema.json"), "utf8"));
const validate = new Ajv({ allErrors: true, strict: true, validateFormats: false }).compile(schema) as unknown as ((
    doc: unknown,
) => boolean) & {
    errors?: unknown;
};
const SNAPSHOT = path.join(__dirname, "__snapshots__", "plan-fixture-dev.md");

describe("npm run plan (plan/cli.ts), fixture program and pack", function () {
    this.timeout(60000);
    // Every run this block waits for is queued at once (runs are memoized).
    before(() => {
        void runPlan([...fixtureArgs]);
        void runPlan([...fixtureArgs, "--format", "json"]);
        void runPlan([...fixtureArgs, "--format", "markdown"]);
        void runPlan([
            ...fixtureArgs,
            "--policy-pack-config",
            path.join(FIXTURES, "pack-config", "relaxed.json"),
            "--format",
            "json",
        ]);
        void runPlan([...fixtureArgs, "--stack", "bad"]);
        void runPlan([...fixtureArgs, "--config", "webstack:fail=component"]);
        void runPlan([...fixtureArgs, "--config", "webstack:fail=input"]);
        void runPlan([...fixtureArgs, "--config", "webstack:fail=input-crash"]);
        void runPlan([...fixtureArgs, "--policy-pack-config", path.join(FIXTURES, "pack-config", "invalid.json")]);
    });

    it("prints tree, outputs, findings, cost, diagram path and summary; exits 1 on a mandatory finding", async () => {
        const run = await runPlan([...fixtureArgs]);
        assert.equal(run.code, 1, run.stderr);
        assert.match(run.stdout, /^ \+   pulumi:pulumi:Stack\s+webstack-dev\s+create$/m);
        assert.match(
            run.stdout,
            /^ \+      ├─ digitalocean:index\/databaseCluster:DatabaseCluster\s+site-db\s+create \(protected\)$/m,
        );
        assert.match(run.stdout, /^    dbPassword: \[secret\]$/m);
        assert.match(
            run.stdout,
            new RegExp(
                String.raw`- \[mandatory\]  droplet-monitoring-enabled  \(1 finding\)\n.*\n` +
                    String.raw`\s+• digitalocean:index\/droplet:Droplet: site-web-1\n` +
                    String.raw`\s+Droplet "site-web-1" has no monitoring agent; set monitoring: true\.`,
            ),
        );
        assert.match(run.stdout, /^    Total\s+54\.00$/m);
        assert.match(run.stdout, /^Architecture: .*architecture\.svg \(Mermaid: .*architecture\.mmd\)$/m);
        assert.match(
            run.stdout,
            /^Summary: 12 resources, 1 mandatory finding, 1 advisory finding, \$54\.00\/month; preview would fail/m,
        );
        for (const f of ["plan.json", "plan.md", "architecture.svg", "architecture.mmd", "architecture.dot"])
            assert.ok(fs.existsSync(path.join(run.out, f)), f);
        assert.match(
            fs.readFileSync(path.join(run.out, "architecture.svg"), "utf8"),
            /^<\?xml[\s\S]*<svg[\s\S]*site&#45;web × 2/,
        );
    });

    it("exits 0 when a policy-pack-config relaxes every policy to advisory", async () => {
        const run = await runPlan([
            ...fixtureArgs,
            "--policy-pack-config",
            path.join(FIXTURES, "pack-config", "relaxed.json"),
            "--format",
            "json",
        ]);
        assert.equal(run.code, 0, run.stderr);
        const doc = JSON.parse(run.stdout);
        assert.equal(doc.summary.mandatory, 0);
        assert.ok(
            doc.findings.some(
                (f: { policy: string; level: string }) =>
                    f.policy === "droplet-monitoring-enabled" && f.level === "advisory",
            ),
        );
        assert.ok(
            doc.findings.some((f: { policy: string }) => f.policy === "droplet-size-allowed"),
            "the config's allowedSizes did not reach the pack",
        );
    });

    it("prints one JSON document that validates against plan/report/plan.schema.json", async () => {
        const run = await runPlan([...fixtureArgs, "--format", "json"]);
        const doc = JSON.parse(run.stdout);
        assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
        assert.equal(doc.stack, "dev");
        assert.equal(doc.tier, 1);
        assert.deepEqual(doc.summary, { resources: 12, mandatory: 1, advisory: 1, monthlyUsd: 54, exitCode: 1 });
        const db = doc.resources.find((r: { name: string }) => r.name === "site-db");
        assert.equal(db.protect, true);
        assert.deepEqual(db.propertyDependencies.privateNetworkUuid, [
            "urn:pulumi:dev::webstack::webstack:components:Site$digitalocean:index/vpc:Vpc::site-vpc",
        ]);
        assert.equal(
            doc.resources.find((r: { name: string }) => r.name === "site").parent,
            "urn:pulumi:dev::webstack::pulumi:pulumi:Stack::webstack-dev",
        );
    });

    it("never prints a secret: secret config and secret outputs show as [secret]", async () => {
        const run = await runPlan([...fixtureArgs, "--format", "json"]);
        for (const secret of [SECRET_PLACEHOLDER, MOCK_PASSWORD_PREFIX])
            assert.ok(!run.stdout.includes(secret), secret);
        const doc = JSON.parse(run.stdout);
        assert.equal(doc.outputs.dbPassword, "[secret]");
        assert.deepEqual(doc.resources.find((r: { name: string }) => r.name === "site-cpu").inputs.alerts.emails, [
            "[secret]",
        ]);
        const markdown = fs.readFileSync(path.join(run.out, "plan.md"), "utf8");
        for (const secret of [SECRET_PLACEHOLDER, MOCK_PASSWORD_PREFIX]) assert.ok(!markdown.includes(secret), secret);
    });

    it("prints markdown for a pull-request comment (snapshot)", async () => {
        const run = await runPlan([...fixtureArgs, "--format", "markdown"]);
        if (process.env.UPDATE_SNAPSHOTS === "1") {
            fs.mkdirSync(path.dirname(SNAPSHOT), { recursive: true });
            fs.writeFileSync(SNAPSHOT, run.stdout);
        }
        assert.equal(
            run.stdout,
            fs.readFileSync(SNAPSHOT, "utf8"),
            "markdown changed; if intended, rerun with UPDATE_SNAPSHOTS=1",
        );
    });

    it("exits 2 with the program's configuration report and no stack trace", async () => {
        const run = await runPlan([...fixtureArgs, "--stack", "bad"]);
        assert.equal(run.code, 2);
        assert.equal(run.stdout, "");
        assert.equal(
            run.stderr,
            [
                "Diagnostics:",
                "  pulumi:pulumi:Stack (webstack-bad):",
                '    error: Invalid configuration for stack "bad":',
                '      - webstack:tier: expected 0, 1, 2 or 3; got "7". Fix: pulumi config set webstack:tier 2',
                "",
            ].join("\n"),
        );
    });

    it("exits 2 with a component's ResourceError message attached to the component", async () => {
        const run = await runPlan([...fixtureArgs, "--config", "webstack:fail=component"]);
        assert.equal(run.code, 2);
        assert.equal(
            run.stderr,
            [
                "Diagnostics:",
                "  webstack:components:Site (site):",
                '    error: Site "site": web.count must be an integer from 2 to 50 at tier 1; got 1.',
                "",
            ].join("\n"),
        );
    });

    // The engine never settles once a resource's input rejects (the SDK keeps the registration alive); the plan must
    // still end, with the program's own message (a hang fails the test's timeout).
    it("exits 2, not hanging, with the ResourceError thrown in an apply that feeds a droplet's userData", async () => {
        const run = await runPlan([...fixtureArgs, "--config", "webstack:fail=input"]);
        assert.equal(run.code, 2, run.stderr);
        assert.equal(run.stdout, "");
        assert.equal(
            run.stderr,
            [
                "Diagnostics:",
                "  webstack:components:Site (site):",
                '    error: Site "site": cannot render user data for size "s-1vcpu-1gb".',
                "",
            ].join("\n"),
        );
    });

    it("exits 2, not hanging, with the unhandled exception when a plain Error is thrown in such an apply", async () => {
        const run = await runPlan([...fixtureArgs, "--config", "webstack:fail=input-crash"]);
        assert.equal(run.code, 2, run.stderr);
        assert.match(
            run.stderr,
            new RegExp(
                String.raw`^Diagnostics:\n {2}pulumi:pulumi:Stack \(webstack-dev\):\n` +
                    String.raw` {4}error: Running program '.*' failed with an unhandled exception:\n` +
                    String.raw` {4}TypeError: renderer crashed\n` +
                    String.raw` {4}\(no stack trace; WEBSTACK_STACK_TRACES=1 keeps it\)\n`,
            ),
        );
    });

    it("exits 2 on a policy-pack-config that breaks a policy's schema", async () => {
        const run = await runPlan([
            ...fixtureArgs,
            "--policy-pack-config",
            path.join(FIXTURES, "pack-config", "invalid.json"),
        ]);
        assert.equal(run.code, 2);
        assert.match(
            run.stderr,
            new RegExp(
                String.raw`^error: validating policy config: fixture-pack 0\.0\.1\n` +
                    String.raw`  - droplet-size-allowed: allowedSizes must be array\n$`,
            ),
        );
    });

    for (const [args, message] of [
        [["--colour"], /Unknown option '--colour'/],
        [["--format", "yaml"], /--format must be text, json or markdown; got "yaml"/],
        [["--config", "novalue"], /--config expects KEY=VALUE; got "novalue"/],
        [["extra"], /Unexpected argument 'extra'/],
    ] as const) {
        it(`exits 2 with usage on ${args.join(" ")}`, async () => {
            const run = await runPlan([...fixtureArgs, ...args]);
            assert.equal(run.code, 2);
            assert.match(run.stderr, message);
            assert.match(run.stderr, /Usage: npm run plan -- \[options\]/);
        });
    }

    it("exits 2 for a stack without a config file", async () => {
        const run = await runPlan([...fixtureArgs, "--stack", "nope"]);
        assert.equal(run.code, 2);
        assert.match(run.stderr, /^error: no stack named 'nope' found/);
    });
});

describe("the plan CLI process: exit status, signals, and a policy host that never outlives it", function () {
    this.timeout(60000);
    let out: string;
    const slow = () => watchedPlan([...fixtureArgs, "--config", "webstack:fail=slow", "--out", out]);
    let plans: ReturnType<typeof watchedPlan>[] = [];
    // Every process this block watches starts at once; the slow ones keep their program busy for a minute.
    before(() => {
        out = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-cli-"));
        plans = [
            slow(),
            slow(),
            slow(),
            watchedPlan([...fixtureArgs, "--config", "webstack:fail=component", "--out", out]),
            watchedPlan([...fixtureArgs, "--out", out]),
        ];
    });
    after(async () => {
        for (const { plan, exited } of plans) {
            plan.kill("SIGKILL");
            await exited;
        }
        fs.rmSync(out, { recursive: true, force: true });
    });
    const gone = async (pid: number, withinMs: number) => {
        for (const start = Date.now(); Date.now() - start < withinMs; await new Promise((r) => setTimeout(r, 50)))
            if (!alive(pid)) return true;
        return false;
    };

    it("on Ctrl-C (SIGINT): exits 130 and the host is gone", async () => {
        const { plan, hostPid, exited } = plans[0];
        const host = await hostPid;
        assert.ok(alive(host));
        plan.kill("SIGINT");
        assert.deepEqual(await exited, [130, null]);
        assert.ok(await gone(host, 2000), `policy host ${host} survived SIGINT`);
    });

    it("on SIGTERM: exits 143 and the host is gone", async () => {
        const { plan, hostPid, exited } = plans[1];
        const host = await hostPid;
        plan.kill("SIGTERM");
        assert.deepEqual(await exited, [143, null]);
        assert.ok(await gone(host, 2000), `policy host ${host} survived SIGTERM`);
    });

    it("on SIGKILL, where no handler runs: the host notices its stdin close and exits", async () => {
        const { plan, hostPid, exited } = plans[2];
        const host = await hostPid;
        plan.kill("SIGKILL");
        assert.deepEqual(await exited, [null, "SIGKILL"]);
        assert.ok(await gone(host, 3000), `policy host ${host} survived SIGKILL of the plan`);
    });

    it("after a program error: exits 2 and the host is gone", async () => {
        const { hostPid, exited } = plans[3];
        assert.deepEqual(await exited, [2, null]);
        assert.ok(await gone(await hostPid, 2000), "the policy host survived the error");
    });

    it("after a plan with a mandatory finding: exits 1 and the host is gone", async () => {
        const { hostPid, exited } = plans[4];
        assert.deepEqual(await exited, [1, null]);
        assert.ok(await gone(await hostPid, 2000), "the policy host survived the plan");
    });
});

describe("JSON of every tier's default stack validates against the schema", function () {
    this.timeout(120000);
    before(() => startTierPlans());
    for (const tier of [0, 1, 2, 3]) {
        it(`validates the JSON of tier ${tier}'s example stack`, async () => {
            const run = await runPlan(tierArgs(tier));
            const doc = JSON.parse(run.stdout);
            assert.ok(validate(doc), JSON.stringify(validate.errors, null, 2));
            assert.equal(doc.tier, tier);
        });
    }
});
