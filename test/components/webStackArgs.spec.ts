import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "../../components/settings/stackConfig";
import { WebStack } from "../../components/webStack";
import { argsFromStackConfig, encodeArgs, type WebStackArgs } from "../../components/webStackArgs";
import { recorder } from "../support/hooks";
import { encodeConfig, exampleConfig, runProgram } from "../support/program";

const FINGERPRINT = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";

describe("WebStack args in the user's terms", () => {
    it("builds a tier-2 stack from the args a TypeScript program writes", async () => {
        const site = new WebStack("shop", {
            tier: 2,
            domain: "shop.example",
            sshKeys: [FINGERPRINT],
            alerts: { emails: ["ops@shop.example"] },
        });
        await recorder.settle();
        assert.equal(site.url, "https://shop.example");
        const names = recorder.resources.map((r) => r.name);
        for (const name of [
            "shop",
            "shop-db-cluster",
            "shop-app-0",
            "shop-lb-0",
            "shop-firewall-web",
            "shop-monitoring-uptime",
        ]) {
            assert.ok(names.includes(name), `${name} among ${names.join(", ")}`);
        }
    });

    it("reads the same settings from a stack's config as the config parser does, at every tier", () => {
        for (const tier of [0, 1, 2, 3]) {
            const raw = encodeConfig({
                ...exampleConfig(tier),
                ...(tier >= 2 ? { cache: { enabled: true }, loadBalancer: { count: 2 } } : {}),
            });
            assert.deepEqual(
                parseStackConfig("dev", encodeArgs(argsFromStackConfig(raw))),
                parseStackConfig("dev", raw),
            );
        }
    });

    it("reports bad args with the stack config's problem lines, all at once, under the component's heading", async () => {
        const args = {
            tier: 1,
            domain: "Shop",
            sshKeys: ["not-a-key"],
            web: { count: 1 },
            database: { standbyNodes: 3 },
        } as unknown as WebStackArgs;
        let thrown: unknown;
        try {
            new WebStack("shop", args);
        } catch (err) {
            thrown = err;
        }
        assert.ok(pulumi.ResourceError.isInstance(thrown), `a ResourceError, got ${String(thrown)}`);
        const [heading, ...lines] = (thrown as Error).message.split("\n");
        assert.equal(heading, 'Invalid arguments for WebStack "shop":');
        assert.ok(lines.length >= 4, lines.join("\n"));

        // The same values as stack config: the same problems under the stack's heading.
        await assert.rejects(runProgram(args as unknown as Record<string, unknown>), (err: Error) => {
            assert.deepEqual(err.message.split("\n"), ['Invalid configuration for stack "dev":', ...lines]);
            return true;
        });
    });
});
