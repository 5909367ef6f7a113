// Config fuzzing: thousands of random and adversarial stack configs through the pure parser,
// and a few hundred through the whole program under the mock engine. Each must end in valid settings (a
// completed run) or exactly one error listing every problem, one `  - webstack:…` line each — never another
// exception, a hang (mocha's timeout bounds every run) or an unhandled rejection. Seeds are fixed so a failure
// reproduces; failures found are kept below as named regression cases.
import assert from "node:assert/strict";
import { ProgramError } from "../../plan/capture/runProgram";
import fc from "fast-check";
import { CONFIG_PATHS, SECRET_KEYS } from "../../components/settings/configKeys";
import { parseStackConfig } from "../../components/settings/stackConfig";
import { ConfigError } from "../../components/settings/stackSettings";
import { TIERS } from "../../components/settings/tiers";
import { exampleConfig, encodeConfig, runProgram } from "../support/program";

import {
    CASE_BOUND_MS,
    OMISSION_RUNS_PER_TIER,
    PARSER_RUNS,
    PROGRAM_RUNS,
    SEED,
    TEXT_RUNS,
} from "../../tools/docs/fuzzBudget";
const HEADER = 'Invalid configuration for stack "dev":';

const TOP_KEYS = [...new Set(CONFIG_PATHS.map((p) => p.split(".")[0]))];
const SUB_KEYS: Record<string, string[]> = {};
for (const p of CONFIG_PATHS.filter((p) => p.includes("."))) (SUB_KEYS[p.split(".")[0]] ??= []).push(p.split(".")[1]);

/** Text a person (or a broken script) might type as a value. */
const ODD_TEXT = [
    "",
    " ",
    "\t",
    "\n",
    "0",
    "-0",
    "-1",
    "1.5",
    "1e400",
    "-1e400",
    "NaN",
    "Infinity",
    "0x10",
    "０",
    "٣",
    "true",
    "True",
    "yes",
    "null",
    "undefined",
    "[]",
    "{}",
    "[",
    "{",
    '{"a":',
    "[1,2",
    '"2"',
    "'2'",
    "\u0000",
    "\u202e",
    "😀",
    "ＷＥＢ",
    "__proto__",
    "constructor",
    "toString",
    "a".repeat(5000),
];

/** Any value, with a bias towards the shapes that break parsers. */
const junk: fc.Arbitrary<unknown> = fc.oneof(
    fc.constantFrom(...ODD_TEXT),
    fc.string(),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.integer(),
    fc.constantFrom(
        0,
        -1,
        1,
        2,
        3,
        4,
        49,
        50,
        51,
        199,
        200,
        201,
        999,
        1000,
        1001,
        1023,
        1024,
        65535,
        65536,
        2 ** 53,
        -(2 ** 31),
        0.5,
        -0,
    ),
    fc.double(),
    fc.boolean(),
    fc.constant(null),
    fc.jsonValue({ maxDepth: 2 }),
    fc.array(fc.oneof(fc.string(), fc.integer()), { minLength: 45, maxLength: 400 }),
    fc.dictionary(
        fc.oneof(fc.string(), fc.constantFrom("count", "size", "min", "max", "__proto__", "constructor")),
        fc.jsonValue({ maxDepth: 1 }),
        {
            maxKeys: 4,
        },
    ),
);

/** Values close to valid for each key, so the fuzzer also reaches the checks that come after the type checks. */
const PLAUSIBLE: Record<string, fc.Arbitrary<unknown>> = {
    tier: fc.constantFrom(0, 1, 2, 3, "2", 4, -1, 2.5, "three"),
    region: fc.constantFrom("nyc3", "ams3", "sfo3", "fra1", "sgp1", "blr1", "NYC3", "mars1"),
    domain: fc.constantFrom(
        "example.com",
        "shop.example.co.uk",
        "Example.com",
        "localhost",
        "-bad.com",
        "a..b",
        "xn--bcher-kva.example",
    ),
    environment: fc.constantFrom("Development", "Staging", "Production", "production"),
    vpcIpRange: fc.constantFrom(
        "10.10.0.0/16",
        "192.168.0.0/24",
        "172.16.0.0/12",
        "8.8.8.0/24",
        "10.0.0.0/25",
        "10.300.0.0/16",
    ),
    sshKeys: fc.constantFrom(
        ["12345"],
        ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"],
        "12345, 67890",
        "",
        [],
        ["ssh-rsa AAAA"],
        42,
    ),
    adminCidrs: fc.constantFrom([], ["203.0.113.7/32"], ["0.0.0.0/0"], ["2001:db8::/32"], ["::/0"], ["not a cidr"]),
    alerts: fc.record(
        {
            emails: fc.constantFrom(["ops@example.com"], [], ["nope"]),
            slackChannel: fc.constantFrom("#ops", "ops", "#Ops Team"),
            // The SMTP relay; ports 25 and 465 are refused, as is anything that is not host:port.
            smtpSmarthost: fc.constantFrom(
                "smtp.sendgrid.net:587",
                "smtp.mailgun.org:2525",
                "smtp.sendgrid.net:25",
                "relay:465",
                "relay",
                "a b:587",
            ),
            smtpFrom: fc.constantFrom("alerts@example.com", "alerts"),
            smtpUsername: fc.constantFrom("apikey", "api key", ""),
        },
        { requiredKeys: [] },
    ),
    alertEmail: fc.constantFrom("ops@example.com", "ops"),
    slackWebhookUrl: fc.constantFrom("https://hooks.slack.com/services/T/B/x", "http://hooks.slack.com/x"),
    smtpPassword: fc.constantFrom("SG.relay-password", "two words", "line\nbreak", 42),
    app: fc.record(
        {
            // Values the host renderers reject must be refused by the parser too (they share components/hostConfig/checks.ts).
            image: fc.constantFrom(
                "ghcr.io/acme/shop:1.4.2",
                "bad image",
                "Ghcr.io/Acme/Shop:1.0",
                "ghcr.io/acme/shop@latest",
                `registry.example:5000/team/app:2.0@sha256:${"ab".repeat(32)}`,
                `ghcr.io/acme/${"x".repeat(250)}`,
                "ghcr.io/acme/shop:1.0;reboot",
            ),
            port: fc.constantFrom(8080, 80, 1024, 65535, 65536, 0, -1, 8080.5, "8080"),
            count: fc.constantFrom(1, 2, 3, 1001),
            size: fc.constantFrom("s-1vcpu-2gb", "s-1vcpu-512mb-10gb", "huge"),
            autoscale: fc.record(
                {
                    min: fc.constantFrom(0, 1, 2, 5, 51),
                    max: fc.constantFrom(1, 3, 50, 51),
                    targetCpu: fc.constantFrom(9, 10, 60, 90, 91),
                },
                { requiredKeys: [] },
            ),
        },
        { requiredKeys: [] },
    ),
    web: fc.record(
        {
            count: fc.constantFrom(0, 1, 2, 3, 1001),
            size: fc.constantFrom("s-1vcpu-1gb", "s-1vcpu-2gb", "s-1vcpu-512mb-10gb", "huge"),
            autoscale: fc.record({ min: fc.constantFrom(1, 2), max: fc.constantFrom(1, 4) }, { requiredKeys: [] }),
        },
        { requiredKeys: [] },
    ),
    database: fc.record(
        {
            size: fc.constantFrom("db-s-1vcpu-1gb", "db-s-1vcpu-2gb", "db-huge"),
            standbyNodes: fc.constantFrom(0, 1, 2, 3),
            readReplicas: fc.constantFrom(0, 1, 5, 6),
            protect: fc.constantFrom(true, false, "false"),
        },
        { requiredKeys: [] },
    ),
    loadBalancer: fc.record(
        {
            count: fc.constantFrom(0, 1, 2, 11),
            sizeUnit: fc.constantFrom(1, 2, 201),
            engine: fc.constantFrom("managed", "haproxy", "nginx"),
            algorithm: fc.constantFrom("roundrobin", "leastconn", "source"),
            size: fc.constantFrom("s-1vcpu-1gb", "tiny"),
        },
        { requiredKeys: [] },
    ),
    certificate: fc.record({ kind: fc.constantFrom("lets_encrypt", "custom", "self_signed") }, { requiredKeys: [] }),
    tlsPrivateKey: fc.constantFrom("-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----", "not pem"),
    tlsCertificate: fc.constantFrom("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", "not pem"),
    tlsCertificateChain: fc.constantFrom("-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----"),
    cache: fc.record(
        { enabled: fc.constantFrom(true, false, 1), size: fc.constantFrom("db-s-1vcpu-1gb", "db-s-2vcpu-4gb", "x") },
        { requiredKeys: [] },
    ),
    staticAssets: fc.record({ enabled: fc.constantFrom(true, false, "no") }, { requiredKeys: [] }),
    // Values nginx, a shell-sourced env file or the copy script would take verbatim must be refused by the parser.
    staticFiles: fc.record(
        {
            source: fc.constantFrom("image", "archive", "none", "s3", ""),
            imageDir: fc.constantFrom(
                "/app/static",
                "/srv/public",
                "/",
                "app/static",
                "/app/../etc",
                "/app/static;reboot",
            ),
            urlPrefix: fc.constantFrom("/static/", "/assets/v2/", "/", "/static", "/a b/", "/static/'$(reboot)'/"),
            archiveUrl: fc.constantFrom(
                "https://assets.example.com/static.tar.gz",
                "http://assets.example.com/static.tar.gz",
                "https://user:pw@assets.example.com/static.tgz",
                "https://assets.example.com/static.zip?sig=1",
            ),
            archiveSha256: fc.constantFrom("ab".repeat(32), "AB".repeat(32), "ab".repeat(31), "not a digest"),
        },
        { requiredKeys: [] },
    ),
    allowDataLoss: fc.constantFrom(true, false, "true", "yes"),
};

/** Keys that are not webstack's: typos, other spellings, Object.prototype's own names, unicode. */
const unknownKey = fc.oneof(
    fc.constantFrom(
        "tierr",
        "Tier",
        "web_count",
        "web.count",
        "webCount",
        "databse",
        "loadbalancer",
        "toString",
        "constructor",
        "__proto__",
        "hasOwnProperty",
        "valueOf",
        "ｔｉｅｒ",
        "tier ",
    ),
    fc.string({ minLength: 1, maxLength: 12 }).filter((k) => !TOP_KEYS.includes(k)),
);

/** Encodes a value the way the Pulumi CLI hands it to the program: text as is, anything else as JSON. */
const encode = (value: unknown): string | undefined => (typeof value === "string" ? value : JSON.stringify(value));

type Mutation =
    | { kind: "set"; key: string; value: unknown }
    | { kind: "delete"; key: string }
    | { kind: "unknown"; key: string; value: unknown }
    | { kind: "sub"; key: string; sub: string; value: unknown };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
    fc
        .record({ kind: fc.constant("set" as const), key: fc.constantFrom(...TOP_KEYS), value: fc.boolean() })
        .chain((m) =>
            (m.value ? (PLAUSIBLE[m.key] ?? junk) : junk).map((value) => ({ kind: "set" as const, key: m.key, value })),
        ),
    fc.record({ kind: fc.constant("delete" as const), key: fc.constantFrom(...TOP_KEYS) }),
    fc.record({ kind: fc.constant("unknown" as const), key: unknownKey, value: junk }),
    fc.record({
        kind: fc.constant("sub" as const),
        key: fc.constantFrom(...Object.keys(SUB_KEYS)),
        sub: fc.oneof(
            fc.constantFrom(
                "count",
                "size",
                "enabled",
                "kind",
                "emails",
                "Count",
                "__proto__",
                "constructor",
                "toString",
            ),
            fc.string({ maxLength: 8 }),
        ),
        value: junk,
    }),
);

interface Case {
    config: Record<string, unknown>;
    /** Keys stored encrypted (`--secret`). */
    secrets: string[];
}

/** A config: a tier's valid base config, or nothing, with random mutations on top. */
const configCase: fc.Arbitrary<Case> = fc
    .record({
        start: fc.constantFrom(0, 1, 2, 3, -1),
        mutations: fc.array(mutation, { maxLength: 6 }),
        secret: fc.boolean(),
    })
    .map(({ start, mutations, secret }) => {
        const config: Record<string, unknown> = start < 0 ? {} : exampleConfig(start);
        for (const m of mutations) {
            if (m.kind === "delete") delete config[m.key];
            else if (m.kind === "sub") {
                const current = config[m.key];
                config[m.key] = {
                    ...(typeof current === "object" && current !== null && !Array.isArray(current) ? current : {}),
                    [m.sub]: m.value,
                };
            } else
                Object.defineProperty(config, m.key, {
                    value: m.value,
                    enumerable: true,
                    writable: true,
                    configurable: true,
                });
        }
        return { config, secrets: secret ? SECRET_KEYS : [] };
    });

/** The raw `webstack:*` text the CLI would pass, skipping values JSON cannot express (as `pulumi config set` would). */
function rawOf(config: Record<string, unknown>): Record<string, string> {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries(config)) {
        const text = encode(v);
        if (text !== undefined)
            Object.defineProperty(raw, `webstack:${k}`, {
                value: text,
                enumerable: true,
                writable: true,
                configurable: true,
            });
    }
    return raw;
}

/**
 * Problems that have no value to show: a missing required key, a key that should not be there, or a secret
 * stored in plain text (the message must not repeat the secret).
 */
const NO_VALUE = /^webstack:[^\n]*?: (required\b|unknown key;|must be stored encrypted;)/;

/** Asserts the shape of the one error a bad config may produce; returns its problem lines. */
export function assertConfigMessage(message: string, context: string): string[] {
    const lines = message.split("\n");
    assert.equal(lines[0], HEADER, `${context}: first line\n${message}`);
    const problems = lines.slice(1);
    assert.ok(problems.length >= 1, `${context}: no problem listed\n${message}`);
    for (const line of problems) {
        assert.match(
            line,
            /^ {2}- webstack:/,
            `${context}: a problem line must start "  - webstack:"; got ${JSON.stringify(line)}`,
        );
        assert.match(line, /Fix: /, `${context}: no "Fix:" in ${JSON.stringify(line)}`);
        if (!NO_VALUE.test(line.slice(4)))
            assert.match(line, /\bgot\b/, `${context}: no "got" in ${JSON.stringify(line)}`);
    }
    assert.equal(new Set(problems).size, problems.length, `${context}: a problem is listed twice\n${message}`);
    return problems;
}

/** A key as problems print it: control characters escaped, so each problem stays on one line. */
const printed = (key: string) => key.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));

/** Every unknown key (and unknown sub-key of a structured key) must be reported, never silently ignored. */
function assertUnknownKeysReported(config: Record<string, unknown>, problems: string[], context: string): void {
    for (const [key, value] of Object.entries(config)) {
        if (encode(value) === undefined) continue;
        if (!Object.prototype.hasOwnProperty.call(SUB_KEYS, key) && !TOP_KEYS.includes(key)) {
            assert.ok(
                problems.some((p) => p.startsWith(`  - webstack:${printed(key)}: unknown key`)),
                `${context}: unknown key "webstack:${key}" is not reported:\n${problems.join("\n")}`,
            );
        } else if (SUB_KEYS[key] && typeof value === "object" && value !== null && !Array.isArray(value)) {
            for (const sub of Object.keys(value).filter((s) => !SUB_KEYS[key].includes(s))) {
                assert.ok(
                    problems.some((p) => p.startsWith(`  - webstack:${printed(`${key}.${sub}`)}: unknown key`)),
                    `${context}: unknown key "webstack:${key}.${sub}" is not reported:\n${problems.join("\n")}`,
                );
            }
        }
    }
}

/** Parses a case; checks it ends in settings or one well-formed ConfigError. */
function checkParse({ config, secrets }: Case): void {
    const context = `config ${JSON.stringify(config).slice(0, 400)}`;
    const raw = rawOf(config);
    let problems: string[] = [];
    try {
        const settings = parseStackConfig("dev", raw, new Set(secrets.map((k) => `webstack:${k}`)));
        assert.ok(TIERS.includes(settings.tier), `${context}: tier ${settings.tier}`);
        assert.equal(settings.stack, "dev");
        assert.ok(settings.sshKeys.length > 0, `${context}: accepted without SSH keys`);
    } catch (err) {
        assert.ok(err instanceof ConfigError, `${context}: threw ${(err as Error)?.stack ?? String(err)}`);
        problems = assertConfigMessage(err.message, context);
        assert.equal(problems.length, err.problems.length, `${context}: a problem spans several lines\n${err.message}`);
    }
    assertUnknownKeysReported(config, problems, context);
}

/** Failing cases the fuzzer found; each stays as a regression test. */
export const REGRESSIONS: { name: string; seed: string; config: Record<string, unknown> }[] = [
    // `key in KEYS` found Object.prototype's names, so these keys were silently ignored (and `__proto__` even
    // replaced the prototype of the parsed values). Fixed with Object.hasOwn in components/settings/configReader.ts.
    {
        name: "reports webstack:constructor as an unknown key",
        seed: '20261125, path "7:0:1:107:107"',
        config: { ...exampleConfig(0), constructor: "" },
    },
    {
        name: "reports webstack:__proto__ as an unknown key",
        seed: '20261126, path "0:2:2:3"',
        config: Object.defineProperty({}, "__proto__", { value: "", enumerable: true }),
    },
    {
        name: "reports webstack:__proto__ holding a whole config as an unknown key instead of reading keys from it",
        seed: "hand-written from 20261126",
        config: Object.defineProperty({}, "__proto__", {
            value: JSON.stringify({ tier: 0, domain: "example.com", sshKeys: ["12345"] }),
            enumerable: true,
        }),
    },
    {
        name: "reports webstack:toString and webstack:hasOwnProperty as unknown keys",
        seed: "hand-written from 20261125",
        config: { ...exampleConfig(2), toString: "2", hasOwnProperty: true },
    },
];

describe("config fuzzing: parseStackConfig", function () {
    this.timeout(120000);

    it(`ends every one of ${PARSER_RUNS} random and adversarial configs in settings or one ConfigError listing every problem`, () => {
        fc.assert(fc.property(configCase, checkParse), { seed: SEED, numRuns: PARSER_RUNS });
    });

    it("ends every random JSON-looking text of every key in settings or one ConfigError", () => {
        const anyText = fc.dictionary(
            fc.constantFrom(...TOP_KEYS, "toString", "constructor", "__proto__"),
            fc.oneof(fc.json({ maxDepth: 2 }), fc.string()),
            {
                maxKeys: 8,
            },
        );
        fc.assert(
            fc.property(anyText, (config) => checkParse({ config, secrets: [] })),
            { seed: SEED + 1, numRuns: TEXT_RUNS },
        );
    });

    for (const tier of TIERS) {
        it(`reports each required key missing at tier ${tier}, alone or together`, () => {
            const required = ["tier", "domain", "sshKeys", ...(tier >= 2 ? ["alerts"] : [])];
            fc.assert(
                fc.property(fc.subarray(required, { minLength: 1 }), (missing) => {
                    const config = exampleConfig(tier);
                    for (const key of missing) delete config[key];
                    assert.throws(
                        () => parseStackConfig("dev", encodeConfig(config)),
                        (err: ConfigError) => {
                            const problems = assertConfigMessage(
                                err.message,
                                `tier ${tier} without ${missing.join(", ")}`,
                            );
                            // Without a tier the parser judges the rest as tier 0, which needs no alert target.
                            for (const key of missing.filter((k) => k !== "alerts" || !missing.includes("tier")))
                                assert.ok(
                                    problems.some((p) =>
                                        p.startsWith(
                                            `  - webstack:${key === "alerts" ? "alerts.emails" : key}: required`,
                                        ),
                                    ),
                                    `${key}:\n${err.message}`,
                                );
                            return true;
                        },
                    );
                }),
                { seed: SEED + 2 + tier, numRuns: OMISSION_RUNS_PER_TIER },
            );
        });
    }

    it('shows a number too large for JSON as "Infinity", not "null" (hand-written after seed 20261125)', () => {
        assert.throws(
            () => parseStackConfig("dev", { ...encodeConfig(exampleConfig(1)), "webstack:web": '{"count": 1e400}' }),
            /webstack:web\.count: must be an integer from 2 to 1000 at tier 1; got "Infinity"\./,
        );
    });

    // Open: a key holding a line break (possible in Pulumi.<stack>.yaml) is printed bare, so its problem spans two
    // lines. Fix in components/settings/configReader.ts (keyLabel): print keys that are not [A-Za-z0-9_.-]+ as JSON (quoted, escaped).
    it("keeps the problem of a key with a line break on one line", () =>
        checkParse({ config: { "a\nb": 1, ...exampleConfig(0) }, secrets: [] }));

    for (const r of REGRESSIONS) {
        it(`regression (seed ${r.seed}): ${r.name}`, () => checkParse({ config: r.config, secrets: [] }));
    }
});

describe("config fuzzing: the whole program under the mock engine", function () {
    this.timeout(300000);
    const rejections: unknown[] = [];
    const onRejection = (reason: unknown) => rejections.push(reason);
    before(() => process.on("unhandledRejection", onRejection));
    after(() => process.off("unhandledRejection", onRejection));

    it(`completes, or fails with one RunError listing every problem, on each of ${PROGRAM_RUNS} configs, with no unhandled rejection`, async () => {
        // Pools stay small here (each droplet costs the mock engine time); the parser fuzz covers large counts.
        const small = configCase.filter(
            ({ config }) =>
                JSON.stringify(config)
                    .match(/"(count|min|max)":(\d+)/g)
                    ?.every((m) => Number(m.split(":")[1]) <= 12 || Number(m.split(":")[1]) > 1000) ?? true,
        );
        let completed = 0;
        let refused = 0;
        await fc.assert(
            fc.asyncProperty(small, async ({ config, secrets }) => {
                const context = `config ${JSON.stringify(config).slice(0, 400)}`;
                try {
                    // A hang is a failure too: every case ends within a bound, with a result or an error.
                    let timer: NodeJS.Timeout | undefined;
                    const bound = new Promise<never>((_, reject) => {
                        timer = setTimeout(
                            () => reject(new Error(`${context}: no result within ${CASE_BOUND_MS} ms`)),
                            CASE_BOUND_MS,
                        );
                    });
                    const run = await Promise.race([runProgram(config, { secretKeys: secrets }), bound]).finally(() =>
                        clearTimeout(timer),
                    );
                    assert.ok(run.resources.length > 0, `${context}: completed without resources`);
                    completed++;
                } catch (err) {
                    assert.ok(
                        err instanceof ProgramError && err.kind === "run",
                        `${context}: failed with something other than a RunError: ${(err as Error)?.stack ?? String(err)}`,
                    );
                    assertConfigMessage((err as Error).message, context);
                    refused++;
                }
                // Rejections surface a macrotask after the run; wait for them before judging the case.
                await new Promise((resolve) => setImmediate(resolve));
                assert.deepEqual(rejections.map(String), [], `${context}: unhandled rejection`);
            }),
            { seed: SEED + 10, numRuns: PROGRAM_RUNS },
        );
        if (process.env.WEBSTACK_FUZZ_STATS === "1")
            process.stderr.write(`program fuzz: ${completed} completed, ${refused} refused\n`);
        assert.ok(
            completed >= PROGRAM_RUNS / 10 && refused >= PROGRAM_RUNS / 10,
            `both outcomes are exercised: ${completed} completed, ${refused} refused`,
        );
    });
});
