// The pack as a whole: names, descriptions, severities and config schemas follow the house rules, the
// per-stack configs validate against the schemas, the catalog covers every policy, and policies/index.ts
// boots as a policy host that lists every policy over gRPC (spawned: never imported in-process).
import assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import Ajv from "ajv";
import {
    catalog,
    catalogMarkdown,
    checkOfFinding,
    families,
    packPolicies,
    stackChecksAdvisory,
    stackChecksPass,
} from "../../policies/catalog";
import * as hygiene from "../../policies/hygiene";
import { WebstackPolicy } from "../../policies/lib/policy";
import { runStack } from "../support/policyHarness";
import {
    compositeConfigWarnings,
    parsePolicyPackConfig,
    reconcilePolicyConfig,
} from "../../plan/policyHost/packConfig";
import type { AnalyzerInfo, PolicyConfig } from "../../plan/policyHost/protocol";
import * as monitoring from "../../policies/monitoring";
import * as network from "../../policies/network";
import * as spof from "../../policies/spof";
import * as tls from "../../policies/tls";

const root = join(__dirname, "../..");
const policies: WebstackPolicy[] = Object.values(families).flat();
const modules: Record<string, Record<string, unknown>> = { spof, tls, monitoring, network, hygiene };
const camel = (kebab: string) => kebab.replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase());

describe("the policy pack", () => {
    it("has unique kebab-case <subject>-<requirement> names", () => {
        const names = policies.map((p) => p.name);
        assert.equal(new Set(names).size, names.length);
        for (const name of names) assert.match(name, /^[a-z0-9]+(-[a-z0-9]+)+$/);
    });

    it("exports each policy as the camelCase const of its name, and each family as an array", () => {
        for (const [family, module] of Object.entries(modules)) {
            const list = module[`${family}Policies`] as WebstackPolicy[];
            assert.ok(Array.isArray(list), family);
            for (const policy of list) assert.equal(module[camel(policy.name)], policy, policy.name);
        }
    });

    it('describes every policy in one sentence starting "Checks that"', () => {
        for (const p of policies) {
            assert.match(p.description, /^Checks that [^]*\.$/, p.name);
            assert.doesNotMatch(p.description.slice(0, -1), /\.\s+[A-Z]/, p.name);
        }
    });

    it("sets severity, enforcement, rationale and remediation on every policy", () => {
        for (const p of policies) {
            assert.ok(["low", "medium", "high", "critical"].includes(p.severity), p.name);
            assert.ok(["advisory", "mandatory"].includes(p.enforcementLevel), p.name);
            assert.ok(p.rationale.length > 20 && p.remediationSteps.length > 20, p.name);
        }
    });

    it("makes SPOF, TLS, monitoring, network and the targets mandatory, hygiene and the cache check advisory", () => {
        for (const [family, list] of Object.entries(families)) {
            for (const p of list) {
                const level = family === "hygiene" || p.name === "cache-cluster-standby" ? "advisory" : "mandatory";
                assert.equal(p.enforcementLevel, level, p.name);
            }
        }
    });

    it("registers every resource policy, the two targets, and two composites that run every other stack check", () => {
        const stackChecks = policies.filter((p) => "validateStack" in p && !families.targets.includes(p));
        assert.deepEqual(
            packPolicies.map((p) => p.name),
            [
                ...policies.filter((p) => !stackChecks.includes(p)).map((p) => p.name),
                "stack-checks-pass",
                "stack-checks-advisory",
            ],
        );
        for (const composite of [stackChecksPass, stackChecksAdvisory])
            assert.deepEqual(
                composite.checks.map((c) => c.name),
                stackChecks.map((c) => c.name),
            );
        assert.deepEqual(
            [stackChecksPass.enforcementLevel, stackChecksAdvisory.enforcementLevel],
            ["mandatory", "disabled"],
        );
        // Each check with knobs keeps them, with their defaults, under its own name.
        const schema = stackChecksPass.configSchema.properties as Record<string, { default?: unknown }>;
        assert.deepEqual(schema["load-balancer-min-count"].default, {
            minLoadBalancers: 1,
            minSelfManagedLoadBalancers: 2,
        });
        assert.deepEqual(schema.disabledChecks.default, []);
        assert.equal(schema.checks, undefined);
        assert.equal(schema["public-endpoint-tls"] !== undefined, true);
        assert.equal(schema["public-endpoint-load-balanced"], undefined, "a check without knobs has no config object");
        const advisory = stackChecksAdvisory.configSchema.properties as Record<string, { default?: unknown }>;
        assert.deepEqual(advisory.checks.default, []);
        assert.equal(advisory.disabledChecks, undefined);
        assert.deepEqual(advisory["load-balancer-min-count"].default, schema["load-balancer-min-count"].default);
    });

    it("names the check a composite's finding comes from, as the host words it", () => {
        const finding = 'public-endpoint-tls: DNS ("example.net") sends the public to droplet "web".';
        for (const composite of [stackChecksPass, stackChecksAdvisory]) {
            const message = `${composite.description}\n${finding}`;
            assert.equal(checkOfFinding({ policy: composite.name, message }), "public-endpoint-tls");
        }
        assert.equal(checkOfFinding({ policy: "droplet-ssh-keys", message: "x" }), "droplet-ssh-keys");
    });

    // What GetAnalyzerInfo reports of the pack (test/plan/policyHost/host.spec.ts checks it against the real host).
    const served: AnalyzerInfo = {
        name: "webstack",
        version: "0",
        supportsConfig: true,
        initialConfig: {},
        policies: packPolicies.map((p) => ({
            name: p.name,
            description: p.description,
            enforcementLevel: p.enforcementLevel,
            severity: p.severity,
            configSchema: JSON.parse(JSON.stringify({ properties: p.configSchema.properties, required: [] })),
        })),
    };

    it("warns (npm run plan) about advisory checks left disabled and checks both composites run, and not about shipped configs", () => {
        const warnings = (given: Record<string, PolicyConfig>) =>
            compositeConfigWarnings(served, reconcilePolicyConfig(served, given));
        assert.deepEqual(warnings({ "stack-checks-advisory": { properties: { checks: ["public-endpoint-tls"] } } }), [
            'policy config: stack-checks-advisory lists "public-endpoint-tls" but is disabled (its default level), so it does not run them; set "enforcementLevel": "advisory" in its entry.',
        ]);
        assert.deepEqual(
            warnings({
                "stack-checks-advisory": {
                    enforcementLevel: "advisory",
                    properties: { checks: ["public-endpoint-tls", "resources-same-vpc"] },
                },
                "stack-checks-pass": { properties: { disabledChecks: ["public-endpoint-tls"] } },
            }),
            [
                'policy config: "resources-same-vpc" run in both stack-checks-pass (mandatory) and stack-checks-advisory (advisory), so each of their findings comes twice; list them in stack-checks-pass\'s disabledChecks.',
            ],
        );
        for (const stack of ["dev", "staging", "prod"]) {
            const file = join(root, "policies", "config", `${stack}.json`);
            assert.deepEqual(warnings(parsePolicyPackConfig(readFileSync(file, "utf8"))), [], stack);
        }
    });

    it("warns (npm run plan) about entries the CLI would ignore, saying where a 0.1 config's check entry goes now", () => {
        const given = parsePolicyPackConfig(
            JSON.stringify({
                "public-endpoint-tls": "advisory",
                "load-balancer-min-backends": { enforcementLevel: "advisory", minBackends: 3 },
                "database-cluster-log-sink": "disabled",
                "droplet-alert-coverage": { requiredTypes: ["v1/insights/droplet/cpu"] },
                "resources-same-vpc": "mandatory",
                "droplet-ssh-key": "advisory",
                all: "advisory",
            }),
        );
        const ignored = (name: string) =>
            `policy config: "${name}" is not a policy of webstack 0, so the CLI ignores its entry`;
        const advisory =
            `to keep it advisory, list it in stack-checks-advisory's checks (with "enforcementLevel": "advisory") ` +
            "and in stack-checks-pass's disabledChecks";
        assert.deepEqual(compositeConfigWarnings(served, reconcilePolicyConfig(served, given)), [
            `${ignored("public-endpoint-tls")}: it is a check that stack-checks-pass runs; ${advisory}.`,
            `${ignored("load-balancer-min-backends")}: it is a check that stack-checks-pass runs; ${advisory}, ` +
                `and move its knobs to stack-checks-advisory's "load-balancer-min-backends" entry.`,
            `${ignored("database-cluster-log-sink")}: it is a check that stack-checks-pass runs; ` +
                "to keep it off, list it in stack-checks-pass's disabledChecks.",
            `${ignored("droplet-alert-coverage")}: it is a check that stack-checks-pass runs; ` +
                `move its knobs to stack-checks-pass's "droplet-alert-coverage" entry.`,
            `${ignored("resources-same-vpc")}: it is a check that stack-checks-pass runs; ` +
                "stack-checks-pass runs it as mandatory already; remove the entry.",
            `${ignored("droplet-ssh-key")}; remove it or correct its name.`,
        ]);
    });

    describe("the composites' check selection", () => {
        // A stack with one droplet and no firewall: droplet-firewall-coverage fails, firewall-no-world-ingress has
        // nothing to judge (no firewall).
        const droplet = {
            type: "digitalocean:index/droplet:Droplet",
            urn: "urn:pulumi:dev::p::digitalocean:index/droplet:Droplet::box",
            name: "box",
        };
        const stack = () => {
            const props = { region: "nyc3", size: "s-1vcpu-1gb", image: "ubuntu-24-04-x64", tags: [] };
            const r = {
                ...droplet,
                props,
                opts: {},
                dependencies: [],
                propertyDependencies: {},
                isType: (cls: { __pulumiType?: string }) => cls.__pulumiType === droplet.type,
                asType: () => props,
            };
            return [r] as never[];
        };

        it("runs every check but the disabled ones in stack-checks-pass", async () => {
            const all = await runStack(stackChecksPass, stack());
            assert.ok(all.violations.some((v) => v.startsWith("droplet-firewall-coverage: ")));
            const rest = await runStack(stackChecksPass, stack(), { disabledChecks: ["droplet-firewall-coverage"] });
            assert.ok(!rest.violations.some((v) => v.startsWith("droplet-firewall-coverage: ")));
        });

        it("runs only the listed checks in stack-checks-advisory, and nothing without a list", async () => {
            const none = await runStack(stackChecksAdvisory, stack());
            assert.deepEqual(none, { violations: [], undecided: [], notApplicable: true });
            const listed = await runStack(stackChecksAdvisory, stack(), { checks: ["droplet-firewall-coverage"] });
            assert.deepEqual(
                listed.violations.map((v) => v.split(":")[0]),
                ["droplet-firewall-coverage"],
            );
        });
    });

    for (const file of readdirSync(join(root, "policies/config"))) {
        it(`runs each stack check in config/${file} in one composite at most, with its knobs beside it`, () => {
            const config = JSON.parse(readFileSync(join(root, "policies/config", file), "utf8")) as Record<
                string,
                Record<string, unknown> | string | undefined
            >;
            const entry = (name: string) =>
                (typeof config[name] === "object" ? config[name] : {}) as Record<string, unknown>;
            const level = (name: string, fallback: string) =>
                typeof config[name] === "string" ? config[name] : (entry(name).enforcementLevel ?? fallback);
            const advisoryOn = level(stackChecksAdvisory.name, stackChecksAdvisory.enforcementLevel) !== "disabled";
            const listed = advisoryOn ? ((entry(stackChecksAdvisory.name).checks as string[] | undefined) ?? []) : [];
            const disabled = (entry(stackChecksPass.name).disabledChecks as string[] | undefined) ?? [];
            assert.deepEqual(
                listed.filter((c) => !disabled.includes(c)),
                [],
                "checks stack-checks-advisory runs that stack-checks-pass runs too",
            );
            // Knobs under the composite that does not run the check would do nothing.
            for (const check of stackChecksPass.checks) {
                const idle = listed.includes(check.name) ? stackChecksPass.name : stackChecksAdvisory.name;
                assert.equal(entry(idle)[check.name], undefined, `${file}: ${check.name}'s knobs under ${idle}`);
            }
        });
    }

    it("gives every config property a default that validates against its own schema", () => {
        const ajv = new Ajv({ strict: false });
        for (const p of policies) {
            for (const [key, schema] of Object.entries(p.configSchema.properties)) {
                assert.ok(typeof schema === "object" && "default" in schema, `${p.name}.${key}`);
                assert.ok(ajv.validate(schema, schema.default), `${p.name}.${key}: ${ajv.errorsText()}`);
            }
        }
    });

    for (const file of readdirSync(join(root, "policies/config"))) {
        it(`accepts config/${file} against the policies' config schemas`, () => {
            const config = JSON.parse(readFileSync(join(root, "policies/config", file), "utf8")) as Record<
                string,
                unknown
            >;
            const ajv = new Ajv({ strict: false });
            const byName = new Map(packPolicies.map((p) => [p.name, p]));
            for (const [name, entry] of Object.entries(config)) {
                const policy = byName.get(name);
                assert.ok(policy, `${file}: unknown policy "${name}"`);
                const levels = { enum: ["advisory", "mandatory", "remediate", "disabled"] };
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
                assert.ok(ajv.validate(schema, entry), `${file} ${name}: ${ajv.errorsText()}`);
            }
        });
    }

    it("lists every policy in the catalog with its family and knobs", () => {
        assert.deepEqual(
            catalog.map((e) => e.name),
            policies.map((p) => p.name),
        );
        const backends = catalog.find((e) => e.name === "load-balancer-min-backends")!;
        assert.equal(backends.family, "spof");
        assert.equal(backends.kind, "stack");
        assert.deepEqual(
            backends.config.map((k) => [k.name, k.default]),
            [["minBackends", 2]],
        );
        assert.equal(catalogMarkdown().split("\n").length, policies.length + 2);
    });

    describe("policies/index.ts as a policy host", function () {
        this.timeout(30000);
        let host: ChildProcess | undefined;

        after(() => {
            host?.kill();
        });

        it("boots, prints its port and lists every policy and config schema over gRPC", async () => {
            host = spawn(process.execPath, ["-r", join(root, "tools/register.js"), join(root, "policies/index.ts")], {
                cwd: root,
                stdio: ["ignore", "pipe", "pipe"],
            });
            const port = await new Promise<number>((resolve, reject) => {
                let out = "";
                let err = "";
                host!.stdout!.on("data", (chunk: Buffer) => {
                    out += chunk.toString();
                    const match = /^(\d+)\s*$/m.exec(out);
                    if (match) resolve(Number(match[1]));
                });
                host!.stderr!.on("data", (chunk: Buffer) => (err += chunk.toString()));
                host!.on("exit", (code) => reject(new Error(`policy host exited with ${code}: ${err}`)));
            });

            const { AnalyzerClient } = require("@pulumi/pulumi/proto/analyzer_grpc_pb");

            const { Empty } = require("google-protobuf/google/protobuf/empty_pb");
            const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
            const info = await new Promise<any>((resolve, reject) =>
                client.getAnalyzerInfo(new Empty(), (error: Error | null, response: unknown) =>
                    error ? reject(error) : resolve(response),
                ),
            );
            client.close();
            const packageVersion = JSON.parse(readFileSync(join(root, "policies/package.json"), "utf8")).version;
            assert.equal(info.getName(), "webstack");
            assert.equal(info.getVersion(), packageVersion);
            const listed = info.getPoliciesList().map((p: any) => ({
                name: p.getName(),
                severity: p.getSeverity(),
                config: Object.keys(p.getConfigschema()?.getProperties()?.toJavaScript() ?? {}),
            }));
            assert.deepEqual(
                listed.map((p: { name: string }) => p.name),
                packPolicies.map((p) => p.name),
            );
            for (const [i, p] of packPolicies.entries()) {
                assert.deepEqual([...listed[i].config].sort(), Object.keys(p.configSchema.properties).sort(), p.name);
                assert.ok(listed[i].severity > 0, `${p.name} has a severity on the wire`);
            }
        });
    });
});
