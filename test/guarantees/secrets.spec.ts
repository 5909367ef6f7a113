// Secrets: the database passwords and URIs the cloud returns (the mock invents
// `mock-password-<n>`), the Slack webhook, the SMTP relay's password and a custom certificate's private key never appear in plaintext in
// stack outputs as the plan prints them, in the plan's text/json/markdown output, or in the mock engine's log
// lines. By default the app's secrets (and a custom certificate for HAProxy) travel in user data,
// which is then a Pulumi secret (encrypted in state, "[secret]" in every rendering) and holds them only in the
// root-only files cloud-init writes; with `secrets.delivery: manual` no user data holds any secret.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildDiagram } from "../../plan/report/diagram/model";
import { toMermaid } from "../../plan/report/diagram/render";
import { MOCK_PASSWORD_PREFIX } from "../../plan/capture/mockOutputs";
import { SECRET_PLACEHOLDER } from "../../plan/capture/cliConfig";
import { PlanDocument, buildDocument } from "../../plan/report/document";
import { renderJson, renderMarkdown, renderText } from "../../plan/report/render";
import { availabilityOf, priceResources } from "../../plan/pipeline";
import { RecordedResource, isSecret, plain } from "../../plan/capture/recorder";
import { parse } from "yaml";
import { pushPasswordFrom } from "../../components/hostRoles";
import { SECRET_KEYS } from "../../components/settings/configKeys";
import { architectureArgs } from "../../examples/variants";
import { type PlanRun, runPlan } from "../support/planRuns";
import { ProgramRun, exampleConfig, output, runProgram } from "../support/program";

const WEBHOOK = "https://hooks.slack.com/services/T0HARDEN/B0HARDEN/webhook-secret-5f1e";
const KEY_MARKER = "HARDENINGPRIVATEKEYMATERIAL";
const PRIVATE_KEY = `-----BEGIN PRIVATE KEY-----\nMIIE${KEY_MARKER}AAAA\n-----END PRIVATE KEY-----\n`;
const CERT = "-----BEGIN CERTIFICATE-----\nMIIDpublicleaf\n-----END CERTIFICATE-----\n";
const SMTP_PASSWORD = "SG.hardeningSmtpPassword-7a91";
const SMTP_RELAY = { smtpSmarthost: "smtp.sendgrid.net:587", smtpFrom: "alerts@example.com", smtpUsername: "apikey" };

/** Tier 2 with every secret the config can hold: a Slack webhook, an SMTP relay's password and a custom certificate. */
const SECRET_CONFIG = {
    ...exampleConfig(2),
    alerts: { emails: ["ops@example.com"], slackChannel: "#ops", ...SMTP_RELAY },
    slackWebhookUrl: WEBHOOK,
    smtpPassword: SMTP_PASSWORD,
    certificate: { kind: "custom" },
    tlsPrivateKey: PRIVATE_KEY,
    tlsCertificate: CERT,
};

/** Every secret value the run holds: what the cloud returned as passwords and URIs, and the config secrets. */
function secretsOf(resources: RecordedResource[], extra: string[] = []): string[] {
    const found = new Set(extra);
    for (const r of resources) {
        for (const key of ["password", "uri", "privateUri"]) {
            const value = r.state[key];
            if (typeof value === "string" && value !== "") found.add(value);
        }
        // The metrics push password an autoscaled web pool and the monitor hold (when the stack has the push
        // path), derived from the log writer's.
        const pushes = resources.some((p) => p.type.endsWith("DnsRecord") && p.name.endsWith("-metrics-push"));
        if (
            pushes &&
            r.type === "digitalocean:index/databaseUser:DatabaseUser" &&
            typeof r.state.password === "string" &&
            r.name.endsWith("-logs-writer")
        ) {
            found.add(pushPasswordFrom(r.state.password));
        }
    }
    return [...found];
}

/** Whether text holds one of the secrets (a multi-line one, a PEM, line by line, as YAML indents it) or a mock password. */
function holdsSecret(text: string, secrets: string[]): boolean {
    const lines = (x: string) =>
        x
            .trim()
            .split("\n")
            .map((l) => l.trim())
            .filter(Boolean);
    return text.includes(MOCK_PASSWORD_PREFIX) || secrets.some((x) => lines(x).every((l) => text.includes(l)));
}

/** Fails naming where a secret (or any mock password) shows up. */
function assertNoSecret(where: string, text: string, secrets: string[]): void {
    for (const s of secrets)
        assert.ok(!text.includes(s), `${where} contains the secret ${JSON.stringify(s.slice(0, 40))}…`);
    assert.ok(!text.includes(MOCK_PASSWORD_PREFIX), `${where} contains a database password`);
    assert.ok(!text.includes(KEY_MARKER), `${where} contains the TLS private key`);
}

/** Runs the program, capturing whatever it (or the mock engine) writes to stdout and stderr. */
async function runLogged(
    config: Record<string, unknown>,
    secretKeys: string[] = [],
    stack?: string,
): Promise<{ run: ProgramRun; log: string }> {
    let log = "";
    const out = process.stdout.write.bind(process.stdout);
    const err = process.stderr.write.bind(process.stderr);
    const tap =
        (write: typeof out) =>
        (chunk: unknown, ...rest: unknown[]): boolean => {
            log += String(chunk);
            return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
        };
    process.stdout.write = tap(out) as typeof process.stdout.write;
    process.stderr.write = tap(err) as typeof process.stderr.write;
    try {
        const run = await runProgram(config, { secretKeys, stack });
        return { run, log };
    } finally {
        process.stdout.write = out;
        process.stderr.write = err;
    }
}

/** The user data every droplet (and autoscale template) boots with, as the cloud stores it. */
const userDataOf = (resources: RecordedResource[]): string[] => userDataRecords(resources).map((u) => u.text);

interface UserDataRecord {
    name: string;
    text: string;
    /** The recorded input is a Pulumi secret (state encrypted, "[secret]" in the plan). */
    secret: boolean;
    /** The resource lists the user data's property in additionalSecretOutputs. */
    declared: boolean;
}

function userDataRecords(resources: RecordedResource[]): UserDataRecord[] {
    return resources.flatMap((r) => {
        const raw = r.inputs as { userData?: unknown; dropletTemplate?: unknown };
        if (typeof plain(raw.userData) === "string") {
            return [
                {
                    name: r.name,
                    text: plain(raw.userData) as string,
                    secret: isSecret(raw.userData),
                    declared: r.additionalSecretOutputs.includes("userData"),
                },
            ];
        }
        const template = plain(raw.dropletTemplate) as { userData?: unknown } | undefined;
        if (typeof template?.userData !== "string") return [];
        const t = raw.dropletTemplate as { userData?: unknown } | undefined;
        return [
            {
                name: r.name,
                text: template.userData,
                secret: isSecret(raw.dropletTemplate) || isSecret(t?.userData),
                declared: r.additionalSecretOutputs.includes("dropletTemplate"),
            },
        ];
    });
}

/**
 * The user data with the content of its private write_files entries removed: where no secret may be. Private is
 * no access for others: root-only 0600, or 0640 for a daemon's group (the monitor's push password, which nginx's
 * workers read as www-data).
 */
function outsideRootOnlyFiles(userData: string): string {
    const doc = parse(userData, { version: "1.1" }) as {
        write_files?: { path: string; permissions: string; content: string }[];
    };
    const files = (doc.write_files ?? []).map((f) =>
        f.permissions === "0600" || f.permissions === "0640" ? { ...f, content: "" } : f,
    );
    return JSON.stringify({ ...doc, write_files: files });
}

/** The plan document the CLI would print for this run, built and rendered by the plan's own code (no policy host). */
function planDocument(run: ProgramRun): PlanDocument {
    return buildDocument({
        project: "webstack",
        stack: "dev",
        tier: 2,
        run,
        findings: [],
        policyPack: null,
        cost: priceResources(run.resources),
        availability: availabilityOf(run.resources),
        diagram: { svg: null, mermaid: null, dot: null, mermaidText: toMermaid(buildDiagram(run.resources)) },
    });
}

/** Every file a plan run wrote to its --out directory, concatenated. */
const filesOf = (run: PlanRun) =>
    fs
        .readdirSync(run.out)
        .map((f) => fs.readFileSync(path.join(run.out, f), "utf8"))
        .join("\n");

/** ARGS with the value of `--format` set to FORMAT. */
const inFormat = (args: readonly string[], format: string) =>
    args.map((a, i) => (args[i - 1] === "--format" ? format : a));

/**
 * Runs `use` on a stack config file (JSON is YAML) for the plan, removed afterwards; `secure` keys become
 * `{secure: …}` as `--secret` writes them.
 */
async function withConfigFile<T>(
    config: Record<string, unknown>,
    secure: string[],
    use: (file: string) => Promise<T>,
): Promise<T> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-secrets-config-"));
    try {
        const file = path.join(dir, "stack.yaml");
        const entries = Object.entries(config).map(([k, v]) => [
            `webstack:${k}`,
            secure.includes(k) ? { secure: "AAABAHardeningCiphertext" } : v,
        ]);
        fs.writeFileSync(file, JSON.stringify({ config: Object.fromEntries(entries) }, null, 2));
        return await use(file);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("secrets never appear in plaintext", function () {
    this.timeout(180000);

    const stacks: [string, Record<string, unknown>, string[]][] = [
        ...[0, 1, 2, 3].map(
            (tier) => [`tier ${tier}`, exampleConfig(tier), []] as [string, Record<string, unknown>, string[]],
        ),
        ["tier 3 with the haproxy engine", { ...exampleConfig(3), loadBalancer: { engine: "haproxy" } }, []],
        ["tier 2 with a Slack webhook, an SMTP relay and a custom certificate", SECRET_CONFIG, SECRET_KEYS],
        [
            "tier 3 with the haproxy engine and a custom certificate",
            { ...SECRET_CONFIG, tier: 3, loadBalancer: { engine: "haproxy" } },
            SECRET_KEYS,
        ],
        ["tier 2 with an autoscaled app pool", { ...exampleConfig(2), app: { autoscale: { min: 2, max: 4 } } }, []],
        [
            "tier 2 with an autoscaled web pool, which pushes its QPS",
            { ...exampleConfig(2), web: { autoscale: { min: 2, max: 4 } } },
            [],
        ],
        ["tier 3 with secrets.delivery manual", { ...exampleConfig(3), secrets: { delivery: "manual" } }, []],
    ];

    for (const [label, config, secretKeys] of stacks) {
        describe(label, () => {
            let run: ProgramRun;
            let log: string;
            let secrets: string[];
            before(async () => {
                ({ run, log } = await runLogged(config, secretKeys));
                secrets = secretsOf(run.resources, secretKeys.length ? [WEBHOOK, SMTP_PASSWORD, PRIVATE_KEY] : []);
            });

            it("has secrets to look for (passwords from tier 1, the config's own secrets)", () => {
                const tier = Number(config.tier);
                assert.ok(tier === 0 || secrets.some((s) => s.startsWith(MOCK_PASSWORD_PREFIX)), secrets.join(", "));
            });

            it("finds them in the unredacted record (the scan looks for values the stack really holds)", () => {
                const raw = JSON.stringify(run.resources.map((r) => [plain(r.inputs), r.state]));
                // A multi-line secret in a YAML block (a PEM in user data) is indented there: look for each of its lines.
                const found = (s: string) =>
                    raw.includes(s.trim()) ||
                    raw.includes(JSON.stringify(s).slice(1, -1)) ||
                    s
                        .trim()
                        .split("\n")
                        .every((l) => raw.includes(l));
                for (const s of secrets) assert.ok(found(s), s.slice(0, 40));
            });

            it("keeps them out of the stack outputs as the plan prints them", async () => {
                assertNoSecret("stack outputs", JSON.stringify(planDocument(run).outputs), secrets);
            });

            it("exports the database URI and the app's secret env only as secrets (none at tier 0, which has no managed database)", () => {
                for (const name of ["databaseUri", "appSecretsEnv"]) {
                    const r = output(run, name);
                    if (Number(config.tier) === 0) assert.deepEqual(r, { value: undefined, secret: false }, name);
                    else assert.ok(typeof r.value === "string" && r.value.length > 0 && r.secret, name);
                }
            });

            it("keeps them out of every droplet's user data except its root-only files, and any user data holding one is a declared Pulumi secret", () => {
                const records = userDataRecords(run.resources);
                assert.ok(records.length > 0);
                for (const u of records) {
                    assertNoSecret(
                        `${u.name}'s user data outside its 0600 files`,
                        outsideRootOnlyFiles(u.text),
                        secrets,
                    );
                    if (holdsSecret(u.text, secrets))
                        assert.deepEqual(
                            { secret: u.secret, declared: u.declared },
                            { secret: true, declared: true },
                            u.name,
                        );
                }
                // Secrets reach droplets this way unless delivered by hand (and tier 0 generates its own on the host).
                const expectHolders = !label.includes("manual") && Number(config.tier) >= 1;
                assert.equal(
                    records.some((u) => holdsSecret(u.text, secrets)),
                    expectHolders,
                    "some droplet's user data holds a secret",
                );
            });

            if (label.includes("manual")) {
                it("keeps them out of every droplet's user data entirely (secrets.delivery manual)", () => {
                    const userData = userDataOf(run.resources);
                    assert.ok(userData.length > 0);
                    userData.forEach((u, i) => assertNoSecret(`user data #${i}`, u, secrets));
                });
            } else if (Number(config.tier) >= 1) {
                it("delivers the database password to the app droplets in their user data (secrets.delivery userData)", () => {
                    const app = userDataRecords(run.resources).filter(
                        (u) => /webstack-(app|web)-/.test(u.name) && u.text.includes("docker.io"),
                    );
                    assert.ok(app.length > 0);
                    for (const u of app) assert.match(u.text, /DATABASE_PASSWORD=mock-password-\d+/, u.name);
                });
            }

            it("keeps them out of the mock engine's log lines", () => {
                assertNoSecret("the program's log", log, secrets);
            });

            it("keeps them out of the plan's text, json and markdown renderings", async () => {
                const doc = planDocument(run);
                for (const [format, text] of [
                    ["text", renderText(doc)],
                    ["json", renderJson(doc)],
                    ["markdown", renderMarkdown(doc)],
                ]) {
                    assertNoSecret(`the plan's ${format} output`, text, secrets);
                }
                if (secretKeys.length) assert.match(renderJson(doc), /\[secret\]/);
            });
        });
    }

    describe("the offline plan (plan/cli.ts through the plan worker, the real policy pack)", () => {
        for (const tier of [1, 2, 3]) {
            it(`prints no database password at tier ${tier} in text, json or markdown, on stdout, stderr or the files it writes`, async () => {
                // The example stack the docs and the other plan specs run (its json plan is theirs, memoized).
                const { run } = await runLogged(exampleConfig(tier), [], "example");
                const secrets = secretsOf(run.resources);
                assert.ok(secrets.length > 0);
                const formats = ["text", "json", "markdown"];
                const plans = await Promise.all(formats.map((f) => runPlan(inFormat(architectureArgs(tier), f))));
                plans.forEach((r, i) => {
                    assert.ok(r.code === 0 || r.code === 1, `plan failed (exit ${r.code}):\n${r.stderr}`);
                    assertNoSecret(`plan --format ${formats[i]}`, `${r.stdout}\n${r.stderr}\n${filesOf(r)}`, secrets);
                });
            });
        }

        it("plans a stack with secure slackWebhookUrl and tlsPrivateKey and prints no placeholder (tier 2)", async () => {
            const r = await withConfigFile(SECRET_CONFIG, SECRET_KEYS, (file) =>
                runPlan(["--stack", "dev", "--config-file", file, "--format", "json"]),
            );
            assert.ok(r.code === 0 || r.code === 1, r.stderr);
            assert.ok(!`${r.stdout}${filesOf(r)}`.includes(SECRET_PLACEHOLDER));
        });
    });

    it("keeps the SMTP relay's password out of every user data, the outputs and the log with secrets.delivery manual", async () => {
        const config = {
            ...exampleConfig(3),
            secrets: { delivery: "manual" },
            alerts: { emails: ["ops@example.com"], ...SMTP_RELAY },
            smtpPassword: SMTP_PASSWORD,
        };
        const { run, log } = await runLogged(config, ["smtpPassword"]);
        const monitor = userDataRecords(run.resources).filter((u) => u.name.includes("-monitor"));
        assert.equal(monitor.length, 1, "the stack has its monitor");
        assert.match(monitor[0].text, /smtp_auth_password_file/, "the monitor e-mails through the relay");
        for (const u of userDataRecords(run.resources))
            assertNoSecret(`${u.name}'s user data`, u.text, [SMTP_PASSWORD]);
        assertNoSecret("stack outputs", JSON.stringify(planDocument(run).outputs), [SMTP_PASSWORD]);
        assertNoSecret("the program's log", log, [SMTP_PASSWORD]);
    });
});
