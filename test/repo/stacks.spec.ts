// What `pulumi up` of a shipped stack and `pulumi new` from the template would read: every Pulumi.<stack>.yaml is
// accepted by the program's config parser (values handed over as the CLI does), every policies/config/<stack>.json
// names real policies with valid levels and knobs, the template's prompts are real keys and make a valid stack,
// the pack's version lives only in policies/package.json, and every shipped stack plans with no mandatory finding.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import Ajv from "ajv";
import YAML from "yaml";
import { CONFIG_PATHS } from "../../components/settings/configKeys";
import { parseStackConfig } from "../../components/settings/stackConfig";
import { TIERS } from "../../components/settings/tiers";
import { catalog, families, packPolicies } from "../../policies/catalog";
import { ENFORCEMENT_LEVELS } from "../../policies/lib/policy";
import { shippedStacks, stackPlan, stacksBlock } from "../../tools/docs/generate";
import { assertGeneratedBlock } from "../support/generatedBlocks";
import { cliString, loadStackConfig } from "../../plan/capture/cliConfig";

const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");
const stacks = shippedStacks();
const policies = Object.values(families).flat();

describe("shipped stacks", () => {
    it("are dev, staging and prod, each with its policy config and no config without a stack", () => {
        assert.deepEqual(stacks, ["dev", "prod", "staging"]);
        const configs = fs.readdirSync(path.join(ROOT, "policies", "config")).map((f) => f.replace(/\.json$/, ""));
        assert.deepEqual(configs.sort(), stacks);
    });

    for (const stack of ["dev", "staging", "prod"]) {
        it(`accepts Pulumi.${stack}.yaml with the program's config parser`, () => {
            const doc = YAML.parse(read(`Pulumi.${stack}.yaml`)) as { config?: Record<string, unknown> };
            assert.ok(doc && typeof doc.config === "object", `Pulumi.${stack}.yaml has a config mapping`);
            for (const key of Object.keys(doc.config!))
                assert.match(key, /^[a-z]+:[A-Za-z]+$/, `${key}: keys are namespaced`);
            // The plan's loader hands values over as the CLI does: scalars as text, structured values as JSON.
            const cfg = loadStackConfig({ cwd: ROOT, stack });
            const settings = parseStackConfig(stack, cfg.config, new Set(cfg.secretKeys));
            assert.equal(settings.stack, stack);
        });
    }

    it("puts dev at tier 1, staging at tier 2 and prod at tier 3 with a standby database node", () => {
        const parse = (stack: string) => {
            const cfg = loadStackConfig({ cwd: ROOT, stack });
            return parseStackConfig(stack, cfg.config, new Set(cfg.secretKeys));
        };
        assert.equal(parse("dev").tier, 1);
        assert.equal(parse("staging").tier, 2);
        const prod = parse("prod");
        assert.equal(prod.tier, 3);
        assert.ok((prod.database?.standbyNodes ?? 0) >= 1, "prod removes the primary-database SPOF");
        assert.equal(prod.environment, "Production");
    });

    for (const stack of ["dev", "staging", "prod"]) {
        it(`names only existing policies with valid levels and knobs in policies/config/${stack}.json`, () => {
            const config = JSON.parse(read(`policies/config/${stack}.json`)) as Record<string, unknown>;
            const byName = new Map(packPolicies.map((p) => [p.name, p]));
            const ajv = new Ajv({ strict: false, allErrors: true });
            const levels = { enum: ENFORCEMENT_LEVELS };
            for (const [name, entry] of Object.entries(config)) {
                const policy = byName.get(name);
                assert.ok(
                    policy,
                    `policies/config/${stack}.json: no policy named "${name}"; known: ${[...byName.keys()].join(", ")}`,
                );
                const schema = {
                    oneOf: [
                        levels,
                        {
                            type: "object",
                            properties: { enforcementLevel: levels, ...policy.configSchema.properties },
                            additionalProperties: false,
                        },
                    ],
                };
                assert.ok(ajv.validate(schema, entry), `policies/config/${stack}.json "${name}": ${ajv.errorsText()}`);
            }
        });
    }

    describe("offline plan of each stack with its own policy config", function () {
        this.timeout(120000);
        // One run per stack, shared with the README's stacks table (tools/docs/generate.ts memoizes them).
        before(() => stacks.forEach((s) => void stackPlan(s).catch(() => undefined)));

        for (const stack of ["dev", "staging", "prod"]) {
            it(`plans ${stack} with no mandatory finding (the pull-request check fails otherwise)`, async () => {
                const doc = await stackPlan(stack);
                const mandatory = doc.findings.filter((f) => f.level === "mandatory");
                assert.deepEqual(
                    mandatory.map((f) => `${f.policy} on ${f.name || "the stack"}`),
                    [],
                );
                assert.equal(doc.summary.exitCode, 0);
                assert.equal(doc.policyPack?.config, `policies/config/${stack}.json`);
            });
        }

        it("are what docs/reference/stacks.md's table shows", async () => {
            assertGeneratedBlock("stacks", stacksBlock(await Promise.all(stacks.map(stackPlan))));
        });
    });
});

describe("pulumi new template (Pulumi.yaml)", () => {
    const project = YAML.parse(read("Pulumi.yaml")) as {
        name: string;
        template?: { config?: Record<string, { description?: string; default?: unknown; secret?: boolean }> };
    };
    const prompts = project.template?.config ?? {};

    it("prompts for tier, region, domain, SSH keys, alert e-mail and the DigitalOcean token", () => {
        assert.deepEqual(Object.keys(prompts).sort(), [
            "digitalocean:token",
            "webstack:alertEmail",
            "webstack:domain",
            "webstack:region",
            "webstack:sshKeys",
            "webstack:tier",
        ]);
        assert.equal(prompts["digitalocean:token"].secret, true, "the token is stored encrypted");
        for (const [key, prompt] of Object.entries(prompts))
            assert.ok((prompt.description ?? "").length > 10, `${key} has a description`);
    });

    it("names only valid webstack keys", () => {
        for (const key of Object.keys(prompts).filter((k) => k.startsWith(`${project.name}:`))) {
            assert.ok(
                CONFIG_PATHS.includes(key.slice(project.name.length + 1)),
                `${key} is not a webstack configuration key`,
            );
        }
    });

    // `pulumi new` stores each answer as plain text: the defaults, plus the required prompts filled in.
    const answers = (overrides: Record<string, string> = {}) => {
        const config: Record<string, string> = {};
        for (const [key, prompt] of Object.entries(prompts))
            if (prompt.default !== undefined) config[key] = cliString(prompt.default);
        return {
            ...config,
            "webstack:domain": "example.com",
            "webstack:sshKeys": "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa",
            "webstack:alertEmail": "ops@example.com",
            ...overrides,
        };
    };

    it("makes a valid stack once the required prompts are answered, with the defaults for the rest", () => {
        const required = Object.entries(prompts)
            .filter(([, p]) => p.default === undefined)
            .map(([k]) => k)
            .sort();
        // No default alert e-mail: uptime alerts need an e-mail verified on the account, which no default can be.
        assert.deepEqual(required, [
            "digitalocean:token",
            "webstack:alertEmail",
            "webstack:domain",
            "webstack:sshKeys",
        ]);
        const settings = parseStackConfig("dev", answers());
        assert.equal(settings.tier, Number(prompts["webstack:tier"].default));
    });

    for (const tier of TIERS) {
        it(`makes a valid tier ${tier} stack when the tier prompt is answered ${tier}`, () => {
            assert.equal(parseStackConfig("dev", answers({ "webstack:tier": String(tier) })).tier, tier);
        });
    }

    it("lists only regions the parser accepts in the region prompt", () => {
        const listed = /\(([^)]*)\)/.exec(prompts["webstack:region"].description ?? "")?.[1].split(/,\s*/) ?? [];
        assert.ok(listed.length > 0);
        for (const region of listed)
            assert.equal(parseStackConfig("dev", answers({ "webstack:region": region })).region, region);
    });
});

describe("policy pack version", () => {
    const version = (JSON.parse(read("policies/package.json")) as { version: string }).version;

    it("lives in policies/package.json as a semantic version", () => {
        assert.match(version, /^\d+\.\d+\.\d+(-[\w.]+)?$/);
    });

    it("is not restated in PulumiPolicy.yaml or policies/index.ts", () => {
        const manifest = YAML.parse(read("policies/PulumiPolicy.yaml")) as Record<string, unknown>;
        assert.equal(manifest.version, undefined);
        const index = read("policies/index.ts");
        assert.doesNotMatch(index, /\bversion\s*:/);
        assert.ok(
            !index.includes(`"${version}"`) && !index.includes(`'${version}'`),
            `policies/index.ts repeats "${version}"`,
        );
    });

    it("is the version the running pack reports (the plan's policy host reads it)", async function () {
        this.timeout(120000);
        const doc = await stackPlan(stacks[0]);
        assert.equal(doc.policyPack?.version, version);
        assert.equal(doc.policyPack?.name, "webstack");
    });

    it("covers every policy in the catalog the README table is generated from", () => {
        assert.deepEqual(catalog.map((e) => e.name).sort(), policies.map((p) => p.name).sort());
    });
});
