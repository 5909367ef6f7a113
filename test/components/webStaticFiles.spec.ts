// The whole program, from the example stack at every tier and from the shipped stacks: every droplet that runs nginx
// in front of the app (fixed or autoscaled) copies the app's image's static files and serves the prefix from disk;
// no other droplet does; `staticFiles.source: none` leaves both out.
import assert from "node:assert/strict";
import * as path from "node:path";
import { parse } from "yaml";
import { NGINX_SITE_PATH } from "../../components/hostConfig/nginx";
import { STATIC_FILES_ENV, STATIC_FILES_SERVICE } from "../../components/hostConfig/staticFiles";
import type { CloudConfig } from "../../components/hostConfig/types";
import { loadStackConfig } from "../../plan/capture/cliConfig";
import { type RecordedResource, plain } from "../../plan/capture/recorder";
import { runProgram as run } from "../../plan/capture/runProgram";
import { cloudInitSchema, requireTool } from "../support/hostTools";
import { recorder } from "../support/hooks";
import { type ProgramRun, exampleConfig, runProgram } from "../support/program";

const ROOT = path.resolve(__dirname, "..", "..");
const DEFAULT_IMAGE = "us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0";

/** Every droplet and autoscale pool with its user data as the cloud holds it, named as the plan lists them. */
function userData(run: ProgramRun): Record<string, string> {
    const byName: Record<string, string> = {};
    for (const r of run.resources) {
        const text = userDataOf(r);
        if (text !== undefined) byName[r.name] = text;
    }
    return byName;
}

function userDataOf(r: RecordedResource): string | undefined {
    if (r.type === "digitalocean:index/droplet:Droplet") return plain(r.inputs.userData) as string;
    if (r.type === "digitalocean:index/dropletAutoscale:DropletAutoscale")
        return (plain(r.inputs.dropletTemplate) as { userData: string }).userData;
    return undefined;
}

/** What a host's user data says about static files: the image it copies and the prefix its site serves from disk. */
function staticFilesIn(text: string): { image?: string; location?: string } {
    const config = parse(text.replace(/^#cloud-config\n/, ""), { version: "1.1" }) as CloudConfig;
    const content = (p: string) => config.write_files.find((f) => f.path === p)?.content ?? "";
    const image = /^STATIC_IMAGE='(.*)'$/m.exec(content(STATIC_FILES_ENV))?.[1];
    const location = /^ {4}location \^~ (\S+) \{$/m.exec(content(NGINX_SITE_PATH))?.[1];
    const started = config.runcmd.some((c) => c.join(" ") === `systemctl start ${STATIC_FILES_SERVICE}`);
    assert.equal(started, image !== undefined, "the copy's unit is started exactly where its env file is written");
    return { ...(image === undefined ? {} : { image }), ...(location === undefined ? {} : { location }) };
}

const summary = (run: ProgramRun) =>
    Object.fromEntries(Object.entries(userData(run)).map(([name, text]) => [name, staticFilesIn(text)]));

const served = (image = DEFAULT_IMAGE) => ({ image: `docker://${image}`, location: "/static/" });

describe("the program: static files on the web droplets", function () {
    this.timeout(60000);

    it("serves /static/ from disk on tier 0's one droplet, copied from the app's image", async () => {
        assert.deepEqual(summary(await runProgram(exampleConfig(0))), { "webstack-web-0": served() });
    });

    it("serves /static/ from disk on both tier 1 droplets, which run the app too", async () => {
        assert.deepEqual(summary(await runProgram(exampleConfig(1))), {
            "webstack-web-0": served(),
            "webstack-web-1": served(),
        });
    });

    it("copies the app's image onto the tier 2 web droplets only, never the app droplets or the monitor", async () => {
        const image = "ghcr.io/acme/shop:1.4.2";
        const config = { ...exampleConfig(2), app: { image } };
        assert.deepEqual(summary(await runProgram(config)), {
            "webstack-web-0": served(image),
            "webstack-web-1": served(image),
            "webstack-monitor-0": {},
            "webstack-app-0": {},
            "webstack-app-1": {},
        });
    });

    it("puts it in the template of an autoscaled web pool, and not the app pool's", async () => {
        const config = {
            ...exampleConfig(2),
            web: { autoscale: { min: 2, max: 5 } },
            app: { autoscale: { min: 2, max: 4 } },
        };
        const found = summary(await runProgram(config));
        assert.deepEqual(
            [found["webstack-web-pool"], found["webstack-app-pool"]],
            [served(), {}],
            JSON.stringify(Object.keys(found)),
        );
    });

    it("serves it on all four tier 3 web droplets, and on no HAProxy droplet with the haproxy engine", async () => {
        const found = summary(await runProgram({ ...exampleConfig(3), loadBalancer: { engine: "haproxy" } }));
        assert.deepEqual(
            Object.entries(found)
                .filter(([, v]) => v.image !== undefined || v.location !== undefined)
                .map(([name]) => name),
            ["webstack-web-0", "webstack-web-1", "webstack-web-2", "webstack-web-3"],
        );
        assert.deepEqual(found["webstack-web-3"], served());
        assert.ok(
            Object.keys(found).some((name) => name.startsWith("webstack-haproxy")),
            Object.keys(found).join(", "),
        );
    });

    for (const stack of ["dev", "staging", "prod"]) {
        it(`serves it on every web droplet of the shipped stack ${stack}`, async () => {
            const cfg = loadStackConfig({ cwd: ROOT, stack });
            const found = summary(
                await run(recorder, {
                    project: "webstack",
                    stack,
                    main: path.join(ROOT, "index.ts"),
                    config: cfg.config,
                    secretKeys: cfg.secretKeys,
                }),
            );
            const web = Object.entries(found).filter(([name]) => /^webstack-web-\d+$/.test(name));
            assert.ok(web.length >= 2, Object.keys(found).join(", "));
            for (const [name, value] of Object.entries(found))
                assert.deepEqual(value, name.startsWith("webstack-web-") ? served() : {}, `${stack}: ${name}`);
        });
    }

    it("leaves the copy and the static location out with staticFiles.source none", async () => {
        for (const tier of [0, 2]) {
            const found = summary(await runProgram({ ...exampleConfig(tier), staticFiles: { source: "none" } }));
            assert.deepEqual(
                Object.values(found).filter((v) => Object.keys(v).length > 0),
                [],
                `tier ${tier}`,
            );
        }
    });

    it("renders tier 0's and tier 2's web user data with static files as cloud-init's schema accepts it", async function () {
        const cloudInit = requireTool(this, "cloud-init");
        for (const tier of [0, 2]) {
            const text = userData(await runProgram(exampleConfig(tier)))["webstack-web-0"];
            const result = await cloudInitSchema(cloudInit, text);
            assert.equal(result.status, 0, `tier ${tier}: ${result.output}`);
        }
    });
});
