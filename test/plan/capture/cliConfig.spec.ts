import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadStackConfig, PlanConfigError, SECRET_PLACEHOLDER } from "../../../plan/capture/cliConfig";

const projects: string[] = [];
/** A project directory holding FILES, removed after the spec. */
function project(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-config-"));
    projects.push(dir);
    for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
    return dir;
}

const PROJECT = "name: webstack\nruntime: nodejs\n";

describe("stack config loader (plan/capture/cliConfig.ts)", () => {
    after(() => projects.splice(0).forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

    it("passes scalars as the strings the CLI passes", () => {
        const cwd = project({
            "Pulumi.yaml": PROJECT,
            "Pulumi.dev.yaml": "config:\n  webstack:tier: 2\n  webstack:debug: true\n  webstack:domain: example.com\n",
        });
        assert.deepEqual(loadStackConfig({ cwd, stack: "dev" }).config, {
            "webstack:tier": "2",
            "webstack:debug": "true",
            "webstack:domain": "example.com",
        });
    });

    it("JSON-encodes structured values", () => {
        const cwd = project({
            "Pulumi.yaml": PROJECT,
            "Pulumi.dev.yaml": "config:\n  webstack:web:\n    count: 3\n  webstack:sshKeys:\n    - ab:cd\n",
        });
        const { config } = loadStackConfig({ cwd, stack: "dev" });
        assert.equal(config["webstack:web"], '{"count":3}');
        assert.equal(config["webstack:sshKeys"], '["ab:cd"]');
    });

    it("replaces secure values by a placeholder and marks their keys secret, also inside structured values", () => {
        const cwd = project({
            "Pulumi.yaml": PROJECT,
            "Pulumi.dev.yaml": [
                "config:",
                "  webstack:token:",
                "    secure: v1:abc",
                "  webstack:alerts:",
                "    webhook:",
                "      secure: v1:def",
                "    emails: [a@b.c]",
                "  webstack:tier: 1",
                "",
            ].join("\n"),
        });
        const c = loadStackConfig({ cwd, stack: "dev" });
        assert.equal(c.config["webstack:token"], SECRET_PLACEHOLDER);
        assert.deepEqual(JSON.parse(c.config["webstack:alerts"]), { webhook: SECRET_PLACEHOLDER, emails: ["a@b.c"] });
        assert.deepEqual(c.secretKeys.sort(), ["webstack:alerts", "webstack:token"]);
    });

    it("applies Pulumi.yaml project defaults under the stack's values, qualifying bare keys with the project", () => {
        const cwd = project({
            "Pulumi.yaml":
                `${PROJECT}config:\n  region:\n    type: string\n    default: nyc3\n` +
                "  webstack:tier: 0\n  size: s-1vcpu-1gb\n",
            "Pulumi.dev.yaml": "config:\n  webstack:tier: 2\n",
        });
        assert.deepEqual(loadStackConfig({ cwd, stack: "dev" }).config, {
            "webstack:region": "nyc3",
            "webstack:tier": "2",
            "webstack:size": "s-1vcpu-1gb",
        });
    });

    it("lets --tier override the stack's tier", () => {
        const cwd = project({ "Pulumi.yaml": PROJECT, "Pulumi.dev.yaml": "config:\n  webstack:tier: 2\n" });
        assert.equal(loadStackConfig({ cwd, stack: "dev", tier: "0" }).config["webstack:tier"], "0");
    });

    it("sets --config paths inside structured values, numbers and booleans typed, as pulumi config set --path", () => {
        const cwd = project({
            "Pulumi.yaml": PROJECT,
            "Pulumi.dev.yaml": "config:\n  webstack:database:\n    readReplicas: 2\n",
        });
        const c = loadStackConfig({
            cwd,
            stack: "dev",
            overrides: [
                { key: "webstack:database.standbyNodes", value: "1", path: true },
                { key: "webstack:database.protect", value: "false", path: true },
                { key: "webstack:names[1]", value: "b", path: true },
                { key: "webstack:plain", value: "7" },
            ],
        });
        assert.deepEqual(JSON.parse(c.config["webstack:database"]), {
            readReplicas: 2,
            standbyNodes: 1,
            protect: false,
        });
        assert.deepEqual(JSON.parse(c.config["webstack:names"]), [null, "b"]);
        assert.equal(c.config["webstack:plain"], "7");
    });

    it("reads --config-file instead of Pulumi.<stack>.yaml", () => {
        const cwd = project({ "Pulumi.yaml": PROJECT, "other.yaml": "config:\n  webstack:tier: 3\n" });
        assert.equal(
            loadStackConfig({ cwd, stack: "x", configFile: path.join(cwd, "other.yaml") }).config["webstack:tier"],
            "3",
        );
    });

    it("rejects a stack file key without a namespace, as the CLI does", () => {
        const cwd = project({ "Pulumi.yaml": PROJECT, "Pulumi.dev.yaml": "config:\n  tier: 2\n" });
        assert.throws(
            () => loadStackConfig({ cwd, stack: "dev" }),
            (e: Error) =>
                e instanceof PlanConfigError && /could not parse "tier" as a configuration key/.test(e.message),
        );
    });

    it("rejects a stack without a Pulumi.<stack>.yaml", () => {
        const cwd = project({ "Pulumi.yaml": PROJECT });
        assert.throws(() => loadStackConfig({ cwd, stack: "prod" }), /no stack named 'prod' found/);
    });

    it("rejects YAML it cannot parse, naming the file", () => {
        const cwd = project({ "Pulumi.yaml": PROJECT, "Pulumi.dev.yaml": "config:\n  webstack:tier: [1\n" });
        assert.throws(() => loadStackConfig({ cwd, stack: "dev" }), /could not parse Pulumi\.dev\.yaml/);
    });
});
