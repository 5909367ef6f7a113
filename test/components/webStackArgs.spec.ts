import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { APP_USER_PRIVILEGES_WARNING } from "../../components/database";
import { decodeConfig } from "../../components/settings/configReader";
import { WebStack } from "../../components/webStack";
import type { WebStackArgs } from "../../components/webStackArgs";
import { WEB_STACK_ARGS, renderWebStackArgs } from "../../tools/docs/webStackArgs";
import { recorder } from "../support/hooks";
import { encodeConfig, exampleConfig, runProgram } from "../support/program";

const FINGERPRINT = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";

describe("WebStack args in the user's terms", () => {
    it("builds a tier-2 stack from the args a TypeScript program writes, with the one warning a managed database gets", async () => {
        // Without an engine (here, the mock engine), pulumi.log.warn writes to console.warn (@pulumi/pulumi log/index.js).
        const warnings: string[] = [];
        const consoleWarn = console.warn;
        console.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
        let site: WebStack;
        try {
            site = new WebStack("shop", {
                tier: 2,
                domain: "shop.example",
                sshKeys: [FINGERPRINT],
                alerts: { emails: ["ops@shop.example"] },
            });
            await recorder.settle();
        } finally {
            console.warn = consoleWarn;
        }
        assert.deepEqual(warnings, [`warning: [runtime] ${APP_USER_PRIVILEGES_WARNING}`]);
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

    it("is generated from the key declaration (run npm run docs)", async () => {
        assert.equal(fs.readFileSync(WEB_STACK_ARGS, "utf8"), await renderWebStackArgs());
    });

    it("decodes a stack's config from the CLI's text once, into the args a program writes", () => {
        const raw = {
            "webstack:tier": "2",
            "webstack:domain": "shop.example",
            "webstack:allowDataLoss": "true",
            "webstack:web": '{"count":3,"autoscale":{"min":2}}',
            "webstack:sshKeys": '["3b:16"]',
            "webstack:alertEmail": "ops@shop.example",
            "digitalocean:token": "dop_v1_x",
        };
        assert.deepEqual(decodeConfig(raw, "webstack"), {
            tier: 2,
            domain: "shop.example",
            allowDataLoss: true,
            web: { count: 3, autoscale: { min: 2 } },
            sshKeys: ["3b:16"],
            alertEmail: "ops@shop.example",
        });
        for (const tier of [0, 1, 2, 3]) {
            const config = { ...exampleConfig(tier), ...(tier >= 2 ? { cache: { enabled: true } } : {}) };
            assert.deepEqual(decodeConfig(encodeConfig(config), "webstack"), config);
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
