// Every component's contract: it registers exactly its public fields as outputs, and it refuses args outside the
// bounds the config parser also checks (settings/limits.ts), listing every problem before creating anything.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { AppTier } from "../../components/appTier";
import { AutoscalePool } from "../../components/autoscalePool";
import { Cache } from "../../components/cache";
import { Edge } from "../../components/edge";
import { Firewalls } from "../../components/firewalls";
import { HaproxyBalancers } from "../../components/haproxyBalancers";
import { recorder } from "../support/hooks";
import { exampleConfig, runProgramAfresh } from "../support/program";

/** The outputs each component instance registered, by type token. */
async function registrations(
    configs: Record<string, unknown>[],
): Promise<Map<string, { fields: string[]; outputs: string[] }[]>> {
    const seen = new Map<string, { fields: string[]; outputs: string[] }[]>();
    const proto = pulumi.ComponentResource.prototype as unknown as { registerOutputs(outputs?: object): void };
    const original = proto.registerOutputs;
    proto.registerOutputs = function (this: pulumi.ComponentResource, outputs?: object) {
        // The SDK registers none itself once a component's (async) initialize has run: not the component's call.
        if (outputs === undefined) return original.call(this, outputs);
        const type = (this as unknown as { __pulumiType: string }).__pulumiType;
        // A component's public fields: its own properties, less the SDK's (`urn` and the `__` internals).
        const fields = Object.keys(this)
            .filter((k) => k !== "urn" && !k.startsWith("__"))
            .sort();
        const list = seen.get(type) ?? [];
        list.push({ fields, outputs: Object.keys(outputs ?? {}).sort() });
        seen.set(type, list);
        return original.call(this, outputs);
    };
    try {
        for (const config of configs) await runProgramAfresh(config);
    } finally {
        proto.registerOutputs = original;
    }
    return seen;
}

const droplet = { size: "s-1vcpu-1gb", region: "nyc3", vpcUuid: "vpc", tags: ["t"], userData: "#cloud-config\n" };
const refusal = (build: () => unknown, message: string[]) =>
    assert.throws(build, (err: unknown) => {
        assert.ok(pulumi.ResourceError.isInstance(err), String(err));
        assert.equal((err as Error).message, message.join("\n"));
        return true;
    });

describe("component contracts", function () {
    this.timeout(60000);

    it("registers exactly its public fields as outputs, for every component of every tier, engine and pool kind", async () => {
        const seen = await registrations([
            ...[0, 1, 2, 3].map(exampleConfig),
            { ...exampleConfig(3), loadBalancer: { engine: "haproxy" } },
            { ...exampleConfig(2), web: { autoscale: { min: 2, max: 4 } }, app: { autoscale: { min: 2, max: 4 } } },
        ]);
        assert.deepEqual([...seen.keys()].map((t) => t.replace("webstack:components:", "")).sort(), [
            "AppTier",
            "AutoscalePool",
            "Cache",
            "DataTier",
            "Database",
            "Dns",
            "Edge",
            "Firewalls",
            "HaproxyBalancers",
            "LoadBalancers",
            "LogStore",
            "Monitoring",
            "Network",
            "Observability",
            "ServerPool",
            "StaticAssets",
            "Tls",
            "WebStack",
        ]);
        const mismatched = [...seen.entries()].flatMap(([type, list]) =>
            list.filter((r) => r.fields.join() !== r.outputs.join()).map((r) => `${type}: ${r.fields} vs ${r.outputs}`),
        );
        assert.deepEqual(mismatched, []);
    });

    it("refuses an autoscale pool outside DigitalOcean's and webstack's bounds, or with max below min", async () => {
        refusal(
            () => new AutoscalePool("pool", { ...droplet, sshKeys: [], autoscale: { min: 0, max: 51, targetCpu: 95 } }),
            [
                'Invalid arguments for AutoscalePool "pool":',
                '  - autoscale.min: must be an integer from 1 to 50; got "0".',
                '  - autoscale.max: must be an integer from 1 to 50; got "51".',
                '  - autoscale.targetCpu: must be an integer from 10 to 90; got "95".',
                "  - sshKeys: at least one key is required (DigitalOcean e-mails root passwords otherwise); got none.",
            ],
        );
        refusal(
            () =>
                new AutoscalePool("pool", { ...droplet, sshKeys: ["k"], autoscale: { min: 5, max: 3, targetCpu: 60 } }),
            [
                'Invalid arguments for AutoscalePool "pool":',
                '  - autoscale.max: must be at least autoscale.min (5); got "3".',
            ],
        );
        await recorder.settle();
        assert.deepEqual(
            recorder.resources.filter((r) => r.custom),
            [],
        );
    });

    it("refuses more HAProxy droplets than load balancers the stack may have", () => {
        refusal(
            () => new HaproxyBalancers("lb", { ...droplet, sshKeys: ["k"], monitoring: false, count: 11, zone: "z" }),
            ['Invalid arguments for HaproxyBalancers "lb":', '  - count: must be an integer from 1 to 10; got "11".'],
        );
    });

    it("refuses a cache no droplet may reach", () => {
        refusal(
            () =>
                new Cache("c", {
                    size: "db-s-1vcpu-1gb",
                    region: "nyc3",
                    vpcUuid: "vpc",
                    tags: [],
                    trustedTags: [],
                    protect: false,
                }),
            [
                'Invalid arguments for Cache "c":',
                "  - trustedTags: at least one droplet tag is required, or no app server can reach the cache; got none.",
            ],
        );
    });

    it("refuses firewalls with a bad port or SSH open to the world", () => {
        refusal(
            () =>
                new Firewalls("fw", {
                    adminCidrs: ["0.0.0.0/0"],
                    web: { tag: "web", port: 0, from: { tag: "lb" } },
                    app: { tag: "app", port: 70000, loadBalancers: [] },
                }),
            [
                'Invalid arguments for Firewalls "fw":',
                '  - web.port: must be a port from 1 to 65535; got "0".',
                '  - app.port: must be a port from 1 to 65535; got "70000".',
                '  - adminCidrs: SSH from the whole internet is refused; got "0.0.0.0/0".',
            ],
        );
    });

    it("refuses an app tier on a port that is none, and an HAProxy edge without its droplets", () => {
        const app = {
            ...droplet,
            sshKeys: ["k"],
            monitoring: false,
            userDataIsSecret: false,
            userData: pulumi.output("#cloud-config\n"),
            pool: { count: 2, size: "s-1vcpu-1gb" },
            tag: "app",
            healthPath: "/healthz",
        };
        refusal(
            () => new AppTier("shop", { ...app, port: 0 }),
            ['Invalid arguments for AppTier "shop":', '  - port: must be a port from 1 to 65535; got "0".'],
        );
        refusal(
            () =>
                new Edge("shop", {
                    balancer: { engine: "haproxy", count: 2, size: "s-1vcpu-1gb", algorithm: "roundrobin" },
                    region: "nyc3",
                    vpcUuid: "vpc",
                    web: { tag: "web", port: 80, healthPath: "/healthz" },
                }),
            [
                'Invalid arguments for Edge "shop":',
                "  - haproxy: the HAProxy droplets' tags, SSH keys and user data are required with the haproxy engine; got none.",
            ],
        );
    });
});
