// The offline plan's stack-export input (plan/stackExport.ts): a `pulumi stack export` document read as
// `pulumi policy analyze --file` reads it, then `npm run plan -- --stack-export` end to end with the real pack.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkOfFinding } from "../../policies/catalog";
import { readStackExport, StackExportError } from "../../plan/stackExport";
import { runPlan } from "../support/planRuns";

const SIG = "4dabf18193072939515e22adb298388d";
/**
 * The droplet's mandatory findings: Analyze reads its inputs (user data exported in plaintext), AnalyzeStack its
 * outputs, whose user data is encrypted and reaches the pack as "[secret]", so nothing there says it serves the web.
 */
const CHECKS = [
    "droplet-monitoring-agent on www",
    "droplet-ssh-keys on www",
    "droplet-alert-coverage on www",
    "droplet-firewall-coverage on www",
];
const SECRET = "1b47061264138c4ac30d75fd1eb44270";
const ROOT_URN = "urn:pulumi:prod::blog::pulumi:pulumi:Stack::blog-prod";
const DROPLET_URN = "urn:pulumi:prod::blog::digitalocean:index/droplet:Droplet::www";

function document(extra: Record<string, unknown>[] = []): Record<string, unknown> {
    return {
        version: 3,
        deployment: {
            manifest: { time: "2026-11-30T09:00:00Z", magic: "", version: "v3.249.0" },
            secrets_providers: { type: "passphrase", state: { salt: "v1:abc" } },
            resources: [
                {
                    urn: ROOT_URN,
                    custom: false,
                    type: "pulumi:pulumi:Stack",
                    outputs: { site: "https://blog.example" },
                },
                {
                    urn: DROPLET_URN,
                    custom: true,
                    id: "5101",
                    type: "digitalocean:index/droplet:Droplet",
                    parent: ROOT_URN,
                    inputs: {
                        __defaults: ["name"],
                        name: "www",
                        size: "s-1vcpu-1gb",
                        userData: { [SIG]: SECRET, plaintext: JSON.stringify("#cloud-config\npackages:\n  - nginx\n") },
                        vpcUuid: {
                            [SIG]: "5cf8f73096256a8f31e491e813e4eb8e",
                            urn: "urn:pulumi:prod::blog::digitalocean:index/vpc:Vpc::main",
                            id: "vpc-1",
                        },
                    },
                    outputs: {
                        id: "5101",
                        name: "www",
                        ipv4Address: "203.0.113.10",
                        monitoring: false,
                        userData: { [SIG]: SECRET, ciphertext: "v1:AAAA" },
                        __meta: "{}",
                    },
                    dependencies: ["urn:pulumi:prod::blog::digitalocean:index/vpc:Vpc::main"],
                    propertyDependencies: { vpcUuid: ["urn:pulumi:prod::blog::digitalocean:index/vpc:Vpc::main"] },
                    additionalSecretOutputs: ["userData"],
                },
                {
                    urn: "urn:pulumi:prod::blog::digitalocean:index/droplet:Droplet::old",
                    custom: true,
                    delete: true,
                    id: "5100",
                    type: "digitalocean:index/droplet:Droplet",
                    inputs: {},
                    outputs: {},
                },
                ...extra,
            ],
        },
    };
}

describe("pulumi stack export as the plan's input (plan/stackExport.ts)", () => {
    it("reads the resources the CLI analyzes: pending deletions skipped, the root stack and its outputs kept", () => {
        const read = readStackExport(JSON.stringify(document()));
        assert.equal(read.project, "blog");
        assert.equal(read.stack, "prod");
        assert.equal(read.skippedDeleted, 1);
        assert.equal(read.run.stackUrn, ROOT_URN);
        assert.deepEqual(
            read.run.resources.map((r) => [r.name, r.custom, r.parent]),
            [
                ["blog-prod", false, ""],
                ["www", true, ROOT_URN],
            ],
        );
        assert.deepEqual(read.run.outputs, [{ name: "site", value: "https://blog.example", secret: false }]);
    });

    it('keeps plaintext secrets as secrets, turns encrypted ones into "[secret]", drops internal keys', () => {
        const read = readStackExport(JSON.stringify(document()));
        const www = read.run.resources[1];
        assert.deepEqual(www.inputs.userData, { [SIG]: SECRET, value: "#cloud-config\npackages:\n  - nginx\n" });
        assert.deepEqual(www.state.userData, { [SIG]: SECRET, value: "[secret]" });
        assert.equal(read.redactedSecrets, 1);
        assert.equal("__defaults" in www.inputs, false);
        assert.equal("__meta" in www.state, false);
        // Without KeepResources the engine sends a resource reference as the resource's id.
        assert.equal(www.inputs.vpcUuid, "vpc-1");
        assert.deepEqual(www.propertyDependencies, {
            vpcUuid: ["urn:pulumi:prod::blog::digitalocean:index/vpc:Vpc::main"],
        });
        assert.deepEqual(www.additionalSecretOutputs, ["userData"]);
    });

    it("refuses what is not a version 3 deployment, and lists every invalid resource", () => {
        assert.throws(
            () => readStackExport("{}", "x.json"),
            (e: Error) =>
                e instanceof StackExportError &&
                e.message ===
                    "error: reading deployment from x.json: " +
                        'expected the output of `pulumi stack export` ({"version": 3, "deployment": {...}})',
        );
        assert.throws(
            () => readStackExport(JSON.stringify({ ...document(), version: 2 }), "x.json"),
            /deployment version 2 is not supported; export it with Pulumi CLI 3\.x \(version 3\)/,
        );
        assert.throws(
            () =>
                readStackExport(JSON.stringify(document([{ urn: "web", type: "x" }, { urn: DROPLET_URN }])), "x.json"),
            (e: Error) =>
                e.message ===
                [
                    "error: state file x.json is not valid:",
                    '  - resource 3 has an invalid URN "web"',
                    `  - resource "${DROPLET_URN}" has no type`,
                ].join("\n"),
        );
        assert.throws(
            () =>
                readStackExport(
                    JSON.stringify(
                        document([
                            { urn: ROOT_URN.replace("blog-prod", "x"), type: "t", inputs: { a: { [SIG]: SECRET } } },
                        ]),
                    ),
                    "x.json",
                ),
            /malformed secret value: exactly one of `ciphertext` or `plaintext` must be supplied/,
        );
    });

    describe("npm run plan -- --stack-export (the real pack, as pulumi policy analyze --file)", function () {
        this.timeout(60000);
        let dir: string;
        let file: string;
        before(() => {
            dir = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-export-"));
            file = path.join(dir, "blog-prod.json");
            fs.writeFileSync(file, JSON.stringify(document()));
            void runPlan(["--stack-export", file, "--format", "json"]);
        });
        after(() => fs.rmSync(dir, { recursive: true, force: true }));

        it("analyzes the deployed droplet, warns that encrypted secrets are redacted, exits 1", async () => {
            const run = await runPlan(["--stack-export", file, "--format", "json"]);
            assert.equal(run.code, 1, run.stderr);
            assert.match(
                run.stderr,
                new RegExp(
                    String.raw`^warning: could not decrypt secrets in .*blog-prod\.json; ` +
                        String.raw`analyzing with secret values redacted \(1 encrypted; ` +
                        String.raw`\`pulumi stack export --show-secrets\` keeps their values\)$`,
                    "m",
                ),
            );
            const doc = JSON.parse(run.stdout) as {
                project: string;
                stack: string;
                resources: { name: string }[];
                findings: { policy: string; name: string; level: string; message: string }[];
            };
            assert.equal(doc.project, "blog");
            assert.equal(doc.stack, "prod");
            assert.deepEqual(
                doc.resources.map((r) => r.name),
                ["blog-prod", "www"],
            );
            assert.deepEqual(
                doc.findings
                    .filter((f) => f.level === "mandatory")
                    .map((f) => `${checkOfFinding(f)} on ${f.name || "the stack"}`),
                CHECKS,
            );
        });

        it("takes no --stack, --tier or --config beside --stack-export", async () => {
            const run = await runPlan(["--stack-export", "x.json", "--stack", "prod", "--tier", "2"]);
            assert.equal(run.code, 2);
            assert.match(
                run.stderr,
                new RegExp(
                    "^error: --stack-export analyzes a deployed stack's state, so it takes no --stack, --tier; " +
                        "drop them, or drop --stack-export to preview the program$",
                    "m",
                ),
            );
        });

        it("says which file it cannot open", async () => {
            const run = await runPlan(["--stack-export", path.join(os.tmpdir(), "webstack-no-such-export.json")]);
            assert.equal(run.code, 2);
            assert.match(run.stderr, /^error: could not open file: .*webstack-no-such-export\.json does not exist$/m);
        });
    });
});
