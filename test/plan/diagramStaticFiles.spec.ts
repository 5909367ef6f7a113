// The diagram says which pools' nginx serves static files from disk, read from what the droplets run (their user
// data as captured), never from an assumption: the web pools at every tier, fixed or autoscaled, and nothing with
// `staticFiles.source: none`; only the prefix comes out of user data that is otherwise secret.
import assert from "node:assert/strict";
import { renderCloudInit } from "../../components/hostConfig/cloudInit";
import { buildDiagram, staticPrefixOf } from "../../plan/report/diagram/model";
import { toMermaid } from "../../plan/report/diagram/render";
import { isSecret } from "../../plan/capture/recorder";
import { ROLES } from "../support/hostRoles";
import { exampleConfig, runProgram } from "../support/program";

const poolLabels = async (config: Record<string, unknown>) => {
    const run = await runProgram(config);
    const nodes = buildDiagram(run.resources).nodes.filter((n) => n.kind === "droplets" || n.kind === "autoscale");
    return { run, labels: Object.fromEntries(nodes.map((n) => [n.id, n.label])) };
};

describe("architecture diagram: static files on the web pools", function () {
    this.timeout(60000);

    it("labels tier 0's droplet and tier 1's web pool, whose user data is a secret", async () => {
        assert.deepEqual((await poolLabels(exampleConfig(0))).labels, {
            droplets_webstack_web: ["webstack-web × 1", "droplet s-1vcpu-2gb", "nginx: /static/ from disk"],
        });
        const { run, labels } = await poolLabels(exampleConfig(1));
        assert.deepEqual(labels, {
            droplets_webstack_web: ["webstack-web × 2", "droplet s-1vcpu-1gb", "nginx: /static/ from disk"],
        });
        const web = run.resources.find((r) => r.name === "webstack-web-0")!;
        assert.ok(isSecret(web.inputs.userData), "tier 1's web user data holds the database password");
        assert.doesNotMatch(toMermaid(buildDiagram(run.resources)), /mock-password|DATABASE_PASSWORD/);
    });

    it("labels the web pool, not the app pool or the monitor, at tier 3 and with autoscaled pools", async () => {
        assert.deepEqual((await poolLabels(exampleConfig(3))).labels, {
            droplets_webstack_web: ["webstack-web × 4", "droplet s-1vcpu-1gb", "nginx: /static/ from disk"],
            droplets_webstack_monitor: ["webstack-monitor × 1", "droplet s-1vcpu-2gb"],
            droplets_webstack_app: ["webstack-app × 4", "droplet s-1vcpu-2gb"],
        });
        const scaled = {
            ...exampleConfig(2),
            web: { autoscale: { min: 2, max: 5 } },
            app: { autoscale: { min: 2, max: 4 } },
        };
        assert.deepEqual((await poolLabels(scaled)).labels, {
            droplets_webstack_monitor: ["webstack-monitor × 1", "droplet s-1vcpu-2gb"],
            autoscale_webstack_web_pool: [
                "webstack-web-pool",
                "autoscale 2–5 × s-1vcpu-1gb",
                "nginx: /static/ from disk",
            ],
            autoscale_webstack_app_pool: ["webstack-app-pool", "autoscale 2–4 × s-1vcpu-2gb"],
        });
    });

    it("shows the configured prefix, and nothing with staticFiles.source none", async () => {
        const custom = await poolLabels({ ...exampleConfig(2), staticFiles: { urlPrefix: "/assets/v2/" } });
        assert.deepEqual(custom.labels.droplets_webstack_web, [
            "webstack-web × 2",
            "droplet s-1vcpu-1gb",
            "nginx: /assets/v2/ from disk",
        ]);
        const none = await poolLabels({ ...exampleConfig(2), staticFiles: { source: "none" } });
        assert.deepEqual(none.labels.droplets_webstack_web, ["webstack-web × 2", "droplet s-1vcpu-1gb"]);
    });

    it("reads only a URL prefix out of user data, and nothing from other text", () => {
        const site = renderCloudInit({
            ...ROLES.web,
            staticFiles: {
                urlPrefix: "/static/",
                source: { kind: "image", image: "ghcr.io/acme/shop:1.4.2", dir: "/app/static" },
            },
        });
        assert.deepEqual(
            [
                staticPrefixOf(site),
                staticPrefixOf(renderCloudInit(ROLES.web)),
                staticPrefixOf(site.replace("location ^~ /static/ {", "location ^~ /s3cr3t password/ {")),
                staticPrefixOf("    location ^~ /static/ {\n"),
                staticPrefixOf({ userData: site }),
            ],
            ["/static/", undefined, undefined, undefined, undefined],
        );
    });
});
