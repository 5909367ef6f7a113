// Boots the REAL policy pack (policies/index.ts) as a child process, the way the offline plan and the Pulumi
// CLI do, and checks over gRPC that it serves every policy of every family with its config schema. The
// family arrays are imported in-process; policies/index.ts never is.
import assert from "node:assert/strict";
import * as path from "node:path";
import { families as FAMILIES } from "../../../policies/catalog";
import { PolicyHost } from "../../../plan/policyHost/host";
import { reconcilePolicyConfig } from "../../../plan/policyHost/packConfig";
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
        it(`serves every ${family} policy with its enforcement level and config schema`, () => {
            for (const p of policies) {
                const served = info.policies.find((s) => s.name === p.name);
                assert.ok(served, `policy "${p.name}" (${family}) is not served by policies/index.ts`);
                assert.equal(served.enforcementLevel, p.enforcementLevel ?? "advisory", p.name);
                assert.deepEqual(
                    served.configSchema?.properties ?? {},
                    JSON.parse(JSON.stringify(p.configSchema?.properties ?? {})),
                    p.name,
                );
            }
        });
    }

    it("serves no policy outside the families", () => {
        const known = new Set(Object.values(FAMILIES).flatMap((ps) => ps.map((p) => p.name)));
        assert.deepEqual(
            info.policies.map((p) => p.name).filter((n) => !known.has(n)),
            [],
        );
    });

    it("accepts the configuration the CLI would send (defaults filled in)", async () => {
        await host.configure(reconcilePolicyConfig(info, undefined));
    });
});
