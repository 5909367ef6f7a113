// The component package, proven without the Pulumi CLI the way the policy host is: its provider host runs in a
// child process started as the Node.js language host starts it, and this test plays the engine over gRPC:
// GetSchema, then Construct of a tier-2 WebStack whose children register with the recording mock engine.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse as parseYaml } from "yaml";
import { formatProblems } from "../../components/problems";
import { CONFIG_DOCS, CONFIG_PATHS, specOf } from "../../components/settings/configKeys";
import type { KeyType } from "../../components/settings/configReader";
import { parseSettings } from "../../components/settings/stackConfig";
import { ConfigError } from "../../components/settings/stackSettings";
import type { WebStackArgs } from "../../components/webStackArgs";
import { SECRET_OUTPUTS } from "../../components/package/webStackProvider";
import { RecordedResource, isSecret, redact } from "../../plan/capture/recorder";
import { ComponentHost } from "../support/componentHost";
import { recorder } from "../support/hooks";
import { exampleConfig, output, runProgram } from "../support/program";
import { APP_USER_PRIVILEGES_WARNING } from "../../components/database";

const TOKEN = "webstack:index:WebStack";
const DOC = path.resolve(__dirname, "..", "..", "docs", "component-package.md");

/** The schema type the analyzer gives a declared key type: number, string, boolean, arrays, enums and objects by name. */
const schemaType = (type: KeyType): string =>
    type === "integer"
        ? "number"
        : typeof type === "string"
          ? type
          : "choice" in type
            ? type.choice
            : "object" in type
              ? type.object.name
              : `${type.listOf.name}[]`;

/** Every choice a key or a field of its object type is declared with: enum name → values. */
function choicesOf(type: KeyType): [string, readonly (string | number)[]][] {
    if (typeof type === "string") return [];
    if ("choice" in type) return [[type.choice, type.values]];
    const fields = "object" in type ? type.object.fields : type.listOf.fields;
    return Object.values(fields).flatMap((f) => choicesOf(f.type));
}

interface Property {
    type?: string;
    $ref?: string;
    items?: Property;
    additionalProperties?: Property;
    description?: string;
    secret?: boolean;
    plain?: boolean;
}
const refName = (ref: string) => ref.replace("#/types/webstack:index:", "");
const typeOf = (p: Property): string =>
    p.$ref ? refName(p.$ref) : p.type === "array" ? `${typeOf(p.items!)}[]` : p.type!;

/** The schema property of a config path (`web.count`: property `count` of the type `web` refers to). */
function propertyAt(schema: any, path: string): Property | undefined {
    const [top, sub] = path.split(".");
    const prop: Property | undefined = schema.resources[TOKEN].inputProperties[top];
    if (sub === undefined || !prop) return prop;
    return prop.$ref ? schema.types[`webstack:index:${refName(prop.$ref)}`]?.properties[sub] : undefined;
}

const camel = (snake: string) => snake.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
const codeBlocks = (markdown: string, lang: string) =>
    [...markdown.matchAll(new RegExp("```" + lang + "\\n([\\s\\S]*?)```", "g"))].map((m) => m[1]);

/** `name=` keyword arguments at the top level of every `<prefix>Callee(...)` call in Python source. */
function pythonCalls(source: string, prefix: string): { callee: string; kwargs: string[] }[] {
    const calls: { callee: string; kwargs: string[] }[] = [];
    for (const m of source.matchAll(new RegExp(`${prefix.replace(".", "\\.")}(\\w+)\\(`, "g"))) {
        let depth = 0;
        let top = "";
        for (const c of source.slice(m.index + m[0].length)) {
            if (c === ")" && depth === 0) break;
            if (c === "(" || c === "[") depth++;
            if (c === ")" || c === "]") depth--;
            if (depth === 0) top += c;
        }
        calls.push({ callee: m[1], kwargs: [...top.matchAll(/(\w+)=/g)].map((k) => k[1]) });
    }
    return calls;
}

/** A resource as the engine keys it, with what decides its desired state. */
const shape = (r: RecordedResource) => ({
    urn: r.urn,
    type: r.type,
    custom: r.custom,
    parent: r.parent,
    protect: r.protect,
    inputs: redact(r.inputs),
    hooks: r.hooks,
});
const byUrn = (a: { urn: string }, b: { urn: string }) => a.urn.localeCompare(b.urn);

describe("WebStack as a component package (the provider host over gRPC)", function () {
    // The host compiles with the SDK's type-checking ts-node and the analyzer builds a TypeScript program of the
    // repository: ~15 s before the first answer.
    this.timeout(90000);
    let host: ComponentHost;
    let schema: any;

    before(async () => {
        host = await ComponentHost.start();
        schema = await host.getSchema();
    });
    after(async () => host?.close());

    it("declares WebStack as a component of the package webstack", () => {
        assert.equal(schema.name, "webstack");
        assert.deepEqual(Object.keys(schema.resources), [TOKEN]);
        assert.equal(schema.resources[TOKEN].isComponent, true);
    });

    it("has every stack config key as a typed input, described by its sentence from the key declaration", () => {
        const found = Object.fromEntries(CONFIG_PATHS.map((path) => [path, propertyAt(schema, path)]));
        assert.deepEqual(
            Object.fromEntries(Object.entries(found).map(([path, p]) => [path, p && typeOf(p)])),
            Object.fromEntries(CONFIG_PATHS.map((path) => [path, schemaType(specOf(path)!.type)])),
        );
        assert.deepEqual(
            Object.fromEntries(Object.entries(found).map(([path, p]) => [path, p?.description])),
            Object.fromEntries(CONFIG_PATHS.map((path) => [path, CONFIG_DOCS[path]])),
        );
    });

    it("publishes every declared choice as an enum of its values", () => {
        const declared = new Map(CONFIG_PATHS.flatMap((path) => choicesOf(specOf(path)!.type)));
        assert.ok(declared.size >= 9, `${declared.size} choices`);
        for (const [name, values] of declared) {
            const type = schema.types[`webstack:index:${name}`];
            assert.deepEqual(
                type?.enum?.map((m: { value: unknown }) => m.value),
                [...values],
                `the enum ${name} in the schema`,
            );
        }
    });

    it("requires tier, domain and sshKeys, and takes counts and choices as plain values", () => {
        const resource = schema.resources[TOKEN];
        assert.deepEqual(resource.requiredInputs, ["domain", "sshKeys", "tier"]);
        const notPlain = Object.entries(resource.inputProperties as Record<string, Property>)
            .filter(([, p]) => !p.plain)
            .map(([name]) => name);
        assert.deepEqual(notPlain, ["previousDataResources"]);
    });

    it("types its outputs and marks the database URI and the app's secrets as secret", () => {
        const props = schema.resources[TOKEN].properties as Record<string, Property>;
        assert.deepEqual(
            Object.fromEntries(
                Object.entries(props).map(([name, p]) => [name, `${typeOf(p)}${p.secret ? " (secret)" : ""}`]),
            ),
            {
                url: "string",
                tier: "number",
                loadBalancerIps: "string[]",
                dropletIps: "string[]",
                autoscalePoolIds: "string[]",
                acmePeersName: "string",
                databaseHost: "string",
                databaseUri: "string (secret)",
                appSecretsEnv: "string (secret)",
                cdnEndpoint: "string",
                dnsRecords: "string[]",
                logsDashboardsUrl: "string",
                logsDashboardsPassword: "string (secret)",
                dataResources: "string[]",
                protectedDroplets: "object",
            },
        );
        // By droplet name, by part: a map of maps of strings.
        assert.equal(props.protectedDroplets.additionalProperties?.additionalProperties?.type, "string");
        assert.deepEqual(schema.resources[TOKEN].required, [
            "autoscalePoolIds",
            "dataResources",
            "dnsRecords",
            "dropletIps",
            "loadBalancerIps",
            "tier",
            "url",
        ]);
    });

    it("constructs a tier-2 WebStack with exactly the resources index.ts creates from the same config", async () => {
        const config = exampleConfig(2);
        const program = await runProgram(config);
        const expected = program.resources.filter((r) => r.type !== "pulumi:pulumi:StackReference");
        const site = expected.find((r) => r.type === "webstack:components:WebStack")!;

        recorder.reset();
        const built = await host.construct({
            project: "webstack",
            stack: "dev",
            name: "webstack",
            type: TOKEN,
            inputs: config,
            parent: site.parent,
        });
        const constructed = [...recorder.resources].sort((a, b) => a.order - b.order);

        assert.equal(built.urn, site.urn);
        assert.ok(
            expected.length > 40,
            `a tier-2 stack has more than 40 resources; index.ts created ${expected.length}`,
        );
        assert.deepEqual(constructed.map(shape).sort(byUrn), expected.map(shape).sort(byUrn));
        assert.equal(built.state.url, output(program, "url").value);
        assert.deepEqual(built.state.dropletIps, output(program, "dropletIps").value);
        const secretOutputs = SECRET_OUTPUTS.filter((name) => built.state[name] !== undefined);
        assert.deepEqual(secretOutputs, [...SECRET_OUTPUTS], "a tier-2 stack has every secret output");
        for (const name of SECRET_OUTPUTS) assert.ok(isSecret(built.state[name]), `${name} comes back as a secret`);
        // The one warning index.ts gives too: the limit DigitalOcean puts on the app user's privileges.
        assert.deepEqual(host.engine.logs, [APP_USER_PRIVILEGES_WARNING]);
    });

    it("names in docs/component-package.md only args, arg types and outputs the schema has", () => {
        const markdown = fs.readFileSync(DOC, "utf8");
        const resource = schema.resources[TOKEN];
        const missing: string[] = [];
        const expectIn = (where: string, names: Record<string, unknown> | undefined, name: string) => {
            if (!names || !(name in names)) missing.push(`${where}: ${name}`);
        };
        const [python] = codeBlocks(markdown, "python");
        const calls = pythonCalls(python, "webstack.");
        assert.ok(calls.length >= 4, "the Python example constructs a WebStack with nested args");
        for (const { callee, kwargs } of calls) {
            const props =
                callee === "WebStack"
                    ? resource.inputProperties
                    : schema.types[`webstack:index:${callee.replace(/Args$/, "")}`]?.properties;
            for (const kw of kwargs) expectIn(`python ${callee}`, props, camel(kw));
        }
        for (const m of python.matchAll(/site\.(\w+)/g)) expectIn("python output", resource.properties, camel(m[1]));

        const [yamlText] = codeBlocks(markdown, "yaml");
        const program = parseYaml(yamlText) as {
            resources: Record<string, { type: string; properties: Record<string, unknown> }>;
            outputs: Record<string, string>;
        };
        const shop = program.resources.shop;
        assert.equal(shop.type, TOKEN);
        for (const [key, value] of Object.entries(shop.properties)) {
            expectIn("yaml", resource.inputProperties, key);
            const ref: string | undefined = resource.inputProperties[key]?.$ref;
            if (ref && typeof value === "object" && value !== null && !Array.isArray(value)) {
                for (const sub of Object.keys(value))
                    expectIn(`yaml ${key}`, schema.types[ref.replace("#/types/", "")]?.properties, sub);
            }
        }
        for (const ref of Object.values(program.outputs))
            expectIn("yaml output", resource.properties, /^\$\{shop\.(\w+)\}$/.exec(ref)![1]);
        assert.deepEqual(missing, []);
        // The example is a valid stack, not only well-named.
        parseSettings("dev", shop.properties);
    });

    it("refuses invalid args over Construct with the stack config's problem lines under the component's heading", async () => {
        const inputs = { tier: 4, domain: "Shop.Example", sshKeys: [] } as unknown as WebStackArgs;
        let problems: readonly string[] = [];
        try {
            parseSettings("dev", inputs as unknown as Record<string, unknown>);
        } catch (err) {
            problems = (err as ConfigError).problems;
        }
        assert.ok(problems.length >= 3);
        await assert.rejects(
            host.construct({ project: "webstack", stack: "dev", name: "shop", type: TOKEN, inputs: { ...inputs } }),
            (err: { details: string }) => {
                assert.equal(err.details, `Invalid arguments for WebStack "shop":\n${formatProblems(problems)}`);
                return true;
            },
        );
    });
});
