// The analyzer client against a tiny fixture pack (test/fixtures/pack), run as a child process only.
import assert from "node:assert/strict";
import * as path from "node:path";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { bareResource, stackResource } from "../../../plan/policyHost/fromGraph";
import { PolicyHost } from "../../../plan/policyHost/host";
import { parsePolicyPackConfig, reconcilePolicyConfig } from "../../../plan/policyHost/packConfig";
import type { AnalyzedResource, AnalyzerInfo } from "../../../plan/policyHost/protocol";
import { alive, FIXTURES } from "../../support/planRuns";

const SIG = { [specialSigKey]: specialSecretSig };
const STACK = "urn:pulumi:dev::webstack::pulumi:pulumi:Stack::webstack-dev";
const resource = (
    type: string,
    name: string,
    properties: Record<string, unknown>,
    extra: Partial<AnalyzedResource> = {},
): AnalyzedResource => ({
    ...bareResource(`urn:pulumi:dev::webstack::${type}::${name}`, type, name, properties),
    parent: STACK,
    ...extra,
});
const DROPLET = "digitalocean:index/droplet:Droplet";

describe("policy host client (plan/policyHost/host.ts) with a fixture pack", function () {
    this.timeout(30000);
    let host: PolicyHost;
    let info: AnalyzerInfo;

    before(async () => {
        host = PolicyHost.start({ packDir: path.join(FIXTURES, "pack"), project: "webstack", stack: "dev" });
        info = await host.getAnalyzerInfo();
        await host.configureStack();
    });
    after(async () => {
        await host.close();
        assert.equal(alive(host.pid!), false, "the policy host outlived close()");
    });

    it("lists the pack's policies with their levels and config schemas", () => {
        assert.equal(info.name, "fixture-pack");
        assert.deepEqual(
            info.policies.map((p) => [p.name, p.enforcementLevel, p.severity]),
            [
                ["droplet-monitoring-enabled", "mandatory", "high"],
                ["droplet-size-allowed", "advisory", "low"],
                ["stack-load-balancer-present", "mandatory", "critical"],
                ["stack-graph-visible", "advisory", ""],
            ],
        );
        assert.deepEqual(info.policies[1].configSchema?.properties.allowedSizes.default, ["s-1vcpu-1gb"]);
    });

    it("fills each policy's config defaults and keeps its own level, as the CLI does", () => {
        const config = reconcilePolicyConfig(info, undefined);
        assert.deepEqual(config["droplet-size-allowed"], {
            enforcementLevel: "advisory",
            properties: { allowedSizes: ["s-1vcpu-1gb"] },
        });
        assert.deepEqual(config["droplet-monitoring-enabled"], {
            enforcementLevel: "mandatory",
            properties: undefined,
        });
    });

    it("overlays a policy-pack-config: 'all' sets every level, a policy's properties merge over its defaults", () => {
        const config = reconcilePolicyConfig(
            info,
            parsePolicyPackConfig(
                JSON.stringify({
                    all: "advisory",
                    "stack-load-balancer-present": { enforcementLevel: "disabled" },
                    "droplet-size-allowed": { allowedSizes: ["s-2vcpu-2gb"] },
                }),
            ),
        );
        assert.equal(config["droplet-monitoring-enabled"].enforcementLevel, "advisory");
        assert.equal(config["stack-load-balancer-present"].enforcementLevel, "disabled");
        assert.deepEqual(config["droplet-size-allowed"], {
            enforcementLevel: "advisory",
            properties: { allowedSizes: ["s-2vcpu-2gb"] },
        });
    });

    it("rejects config that breaks a policy's schema and levels that do not exist", () => {
        assert.throws(
            () =>
                reconcilePolicyConfig(
                    info,
                    parsePolicyPackConfig('{"droplet-size-allowed":{"allowedSizes":"s-1vcpu-1gb"}}'),
                ),
            /droplet-size-allowed: allowedSizes must be array/,
        );
        assert.throws(() => parsePolicyPackConfig('{"all":"strict"}'), /"strict" is not a valid enforcement level/);
    });

    it("reports a resource policy's violation from Analyze at the configured level", async () => {
        await host.configure(reconcilePolicyConfig(info, undefined));
        const findings = await host.analyze(resource(DROPLET, "web-0", { size: "s-1vcpu-1gb", monitoring: false }));
        assert.deepEqual(
            findings.map((f) => [f.policy, f.level]),
            [["droplet-monitoring-enabled", "mandatory"]],
        );
        assert.match(findings[0].message, /Droplet "web-0" has no monitoring agent; set monitoring: true\./);
    });

    it("passes tunables to the pack through Configure", async () => {
        await host.configure(
            reconcilePolicyConfig(
                info,
                parsePolicyPackConfig('{"droplet-size-allowed":{"allowedSizes":["s-2vcpu-2gb"]}}'),
            ),
        );
        const findings = await host.analyze(resource(DROPLET, "web-0", { size: "s-1vcpu-1gb", monitoring: true }));
        assert.deepEqual(
            findings.map((f) => [f.policy, f.level]),
            [["droplet-size-allowed", "advisory"]],
        );
    });

    it("lets the host resolve levels: a policy set to advisory reports advisory", async () => {
        await host.configure(
            reconcilePolicyConfig(info, parsePolicyPackConfig('{"droplet-monitoring-enabled":"advisory"}')),
        );
        const findings = await host.analyze(resource(DROPLET, "web-0", { size: "s-1vcpu-1gb", monitoring: false }));
        assert.deepEqual(
            findings.map((f) => f.level),
            ["advisory"],
        );
    });

    it("gives AnalyzeStack parents, dependencies, property dependencies, options and secrets", async () => {
        await host.configure(reconcilePolicyConfig(info, undefined));
        const vpc = resource("digitalocean:index/vpc:Vpc", "vpc", { name: "vpc" });
        const component = resource("webstack:components:Database", "db", {});
        const db = resource(
            "digitalocean:index/databaseCluster:DatabaseCluster",
            "db-cluster",
            { engine: "mysql", password: { ...SIG, value: "hunter2" } },
            {
                parent: component.urn,
                dependencies: [vpc.urn],
                propertyDependencies: { privateNetworkUuid: [vpc.urn], engine: [] },
                protect: true,
            },
        );
        const lb = resource("digitalocean:index/loadBalancer:LoadBalancer", "lb", {});
        const findings = await host.analyzeStack([
            stackResource(STACK, [{ name: "dbPassword", value: "hunter2", secret: true }]),
            vpc,
            component,
            db,
            lb,
        ]);
        assert.deepEqual(
            findings.map((f) => [f.policy, f.urn, f.message.split("\n")[1]]),
            [
                [
                    "stack-graph-visible",
                    db.urn,
                    "graph db-cluster: parent=webstack:components:Database deps=vpc vpcDeps=vpc " +
                        "password=plain-string protect=true",
                ],
            ],
        );
    });

    it("reports a stack policy's violation with its tunable", async () => {
        await host.configure(
            reconcilePolicyConfig(
                info,
                parsePolicyPackConfig('{"stack-load-balancer-present":{"minLoadBalancers":2}}'),
            ),
        );
        const findings = await host.analyzeStack([resource("digitalocean:index/loadBalancer:LoadBalancer", "lb", {})]);
        assert.deepEqual(
            findings.map((f) => [f.policy, f.level, f.message.split("\n")[1]]),
            [["stack-load-balancer-present", "mandatory", "The stack has 1 load balancers; add at least 2."]],
        );
    });
});

describe("policy host process lifetime", function () {
    this.timeout(30000);

    it("fails with the pack's own error output when the pack cannot start", async () => {
        const host = PolicyHost.start({
            packDir: path.join(FIXTURES, "program"),
            project: "webstack",
            stack: "dev",
            timeoutMs: 20000,
        });
        await assert.rejects(host.getAnalyzerInfo(), /failed to start or exited/);
        await host.close();
    });

    it("exits when the process that started it closes its stdin (the orphan guard)", async () => {
        const host = PolicyHost.start({ packDir: path.join(FIXTURES, "pack"), project: "webstack", stack: "dev" });
        await host.port;
        const gone = new Promise<number | null>((resolve) => host.child.once("exit", (code) => resolve(code)));
        host.child.stdin!.end();
        assert.equal(await gone, 0);
    });
});
