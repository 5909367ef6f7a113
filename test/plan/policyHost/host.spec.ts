// Boots the REAL policy pack (policies/index.ts) as a child process, the way the offline plan and the Pulumi
// CLI do, and checks over gRPC that it serves every policy of every family with its config schema. The
// family arrays are imported in-process; policies/index.ts never is.
import assert from "node:assert/strict";
import * as path from "node:path";
import { checkOfFinding, families as FAMILIES, packPolicies, stackChecksPass } from "../../../policies/catalog";
import { bareResource } from "../../../plan/policyHost/fromGraph";
import { PolicyHost } from "../../../plan/policyHost/host";
import { parsePolicyPackConfig, reconcilePolicyConfig } from "../../../plan/policyHost/packConfig";
import type { AnalyzerInfo } from "../../../plan/policyHost/protocol";
import { alive, ROOT } from "../../support/planRuns";

describe("the real policy pack as a policy host (policies/index.ts over gRPC)", function () {
    this.timeout(30000);
    let host: PolicyHost;
    let info: AnalyzerInfo;

    before(async () => {
        host = PolicyHost.start({ packDir: path.join(ROOT, "policies"), project: "webstack", stack: "dev" });
        info = await host.getAnalyzerInfo();
    });
    after(async () => {
        await host.close();
        assert.equal(alive(host.pid!), false);
    });

    it("prints its port and answers GetAnalyzerInfo as the webstack pack", () => {
        assert.equal(info.name, "webstack");
        assert.equal(info.supportsConfig, true);
    });

    for (const [family, policies] of Object.entries(FAMILIES)) {
        it(`serves every ${family} policy with its level and config schema, stack checks in stack-checks-pass`, () => {
            const served = (name: string) => info.policies.find((s) => s.name === name);
            const checks = served(stackChecksPass.name)?.configSchema?.properties ?? {};
            for (const p of policies) {
                if (stackChecksPass.checks.includes(p as never)) {
                    assert.equal(served(p.name), undefined, `${p.name} is a check, not a policy of its own`);
                    const knobs = JSON.parse(JSON.stringify(p.configSchema?.properties ?? {}));
                    if (Object.keys(knobs).length > 0) assert.deepEqual(checks[p.name].properties, knobs, p.name);
                    continue;
                }
                const own = served(p.name);
                assert.ok(own, `policy "${p.name}" (${family}) is not served by policies/index.ts`);
                assert.equal(own.enforcementLevel, p.enforcementLevel ?? "advisory", p.name);
                assert.deepEqual(
                    own.configSchema?.properties ?? {},
                    JSON.parse(JSON.stringify(p.configSchema?.properties ?? {})),
                    p.name,
                );
            }
        });
    }

    it("serves exactly the pack's policies: the families' resource policies, the targets and the two composites", () => {
        assert.deepEqual(
            info.policies.map((p) => p.name),
            packPolicies.map((p) => p.name),
        );
        const known = new Set(Object.values(FAMILIES).flatMap((ps) => ps.map((p) => p.name)));
        assert.deepEqual(
            info.policies.map((p) => p.name).filter((n) => !known.has(n)),
            ["stack-checks-pass", "stack-checks-advisory"],
        );
        assert.deepEqual(
            info.policies.filter((p) => p.name.startsWith("stack-checks-")).map((p) => p.enforcementLevel),
            ["mandatory", "disabled"],
        );
    });

    it("accepts the configuration the CLI would send (defaults filled in)", async () => {
        await host.configure(reconcilePolicyConfig(info, undefined));
    });

    describe("a composite's findings", () => {
        const type = "digitalocean:index/droplet:Droplet";
        // One public droplet running nginx: no load balancer, no TLS, no firewall, no alerts, no log shipping.
        const web = bareResource(`urn:pulumi:dev::webstack::${type}::web`, type, "web", {
            image: "ubuntu-24-04-x64",
            region: "nyc3",
            size: "s-1vcpu-1gb",
            monitoring: true,
            userData: "#cloud-config\npackages:\n  - nginx\n",
        });
        const analyzed = async (config: string) => {
            await host.configure(reconcilePolicyConfig(info, parsePolicyPackConfig(config)));
            const findings = await host.analyzeStack([web]);
            for (const f of findings)
                assert.ok(f.message.startsWith(`${f.description}\n${checkOfFinding(f)}: `), f.message);
            return findings.map((f) => [f.policy, f.level, f.severity, checkOfFinding(f)]);
        };

        it("keep each check's own severity (critical, high, medium) at the composite's level", async () => {
            assert.deepEqual(await analyzed("{}"), [
                ["stack-checks-pass", "mandatory", "critical", "public-endpoint-load-balanced"],
                ["stack-checks-pass", "mandatory", "high", "load-balancer-min-count"],
                ["stack-checks-pass", "mandatory", "high", "public-endpoint-tls"],
                ["stack-checks-pass", "mandatory", "medium", "droplet-alert-coverage"],
                ["stack-checks-pass", "mandatory", "medium", "uptime-check-public-endpoint"],
                ["stack-checks-pass", "mandatory", "medium", "droplet-logs-shipped"],
                ["stack-checks-pass", "mandatory", "high", "droplet-firewall-coverage"],
            ]);
            assert.equal(stackChecksPass.severity, "high");
        });

        it("keep a check's severity when stack-checks-advisory runs it as advisory", async () => {
            const config = JSON.stringify({
                "stack-checks-pass": { disabledChecks: ["public-endpoint-load-balanced", "droplet-alert-coverage"] },
                "stack-checks-advisory": {
                    enforcementLevel: "advisory",
                    checks: ["public-endpoint-load-balanced", "droplet-alert-coverage"],
                },
            });
            assert.deepEqual(
                (await analyzed(config)).filter((f) => f[0] === "stack-checks-advisory"),
                [
                    ["stack-checks-advisory", "advisory", "critical", "public-endpoint-load-balanced"],
                    ["stack-checks-advisory", "advisory", "medium", "droplet-alert-coverage"],
                ],
            );
        });
    });
});
