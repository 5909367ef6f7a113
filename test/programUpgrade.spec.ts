// index.ts updating a live stack: tier 0's droplet keeps the user data the previous release gave it, an update that
// would replace it (it holds MySQL) is refused before anything is created unless allowDataLoss is set, and a stack an
// earlier release deployed chooses where its static prefix is served before this release takes it from the app.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { plain } from "../plan/capture/recorder";
import { ProgramError } from "../plan/capture/runProgram";
import { APP_USER_PRIVILEGES_WARNING } from "../components/database";
import { recorder } from "./support/hooks";
import { byName, exampleConfig, output, own, refusal, runProgram } from "./support/program";

const FIXTURES = path.join(__dirname, "fixtures", "previous-release");
/** The configs test/fixtures/previous-release/README.md names, on top of the example stack at tier 0. */
const PREVIOUS_RELEASE = {
    "tier0-shop": { domain: "shop.acme.dev", app: { image: "registry.digitalocean.com/acme/shop:1.4.2" } },
    "tier0-shop-port-3000": {
        domain: "shop.acme.dev",
        app: { image: `ghcr.io/acme/shop@sha256:${"a".repeat(64)}`, port: 3000, healthPath: "/ready" },
    },
} as const;

const NONE = { staticFiles: { source: "none" } };
const IMAGE = { staticFiles: { source: "image" } };
const userDataOf = (run: Awaited<ReturnType<typeof runProgram>>) =>
    String(plain(byName(run.resources, "webstack-web-0").inputs.userData));

/** Runs `config` as `pulumi up` of a stack whose previous update exported `previous`. */
const up = (config: Record<string, unknown>, previous: Record<string, unknown>) =>
    runProgram(config, { dryRun: false, previous });

/** The non-secret outputs a run exported, as the next update reads them back. */
const exported = (run: Awaited<ReturnType<typeof runProgram>>) =>
    Object.fromEntries(run.outputs.filter((o) => !o.secret).map((o) => [o.name, o.value]));

async function refusedBeforeAnything(run: Promise<unknown>, message: string): Promise<void> {
    await assert.rejects(run, (err: unknown) => {
        assert.ok(err instanceof ProgramError && err.kind === "run", String(err));
        assert.equal((err as Error).message, message);
        return true;
    });
    await recorder.settle();
    assert.deepEqual(recorder.resources, []);
}

const RELEASE_CHANGE =
    "its user data changes packages, runcmd, /etc/nginx/sites-available/webstack; adds /etc/webstack/static-files.env, /usr/local/sbin/webstack-static-files, /etc/systemd/system/webstack-static-files.service";
const keepIt = (staticWasOff: boolean) =>
    `${staticWasOff ? "pulumi config set --path 'webstack:staticFiles.source' none (static files were off on it), and " : ""}keep the app.image, app.port, app.healthPath, region and sshKeys it runs with`;
const dataLoss = (what: string, staticWasOff: boolean) =>
    `webstack:allowDataLoss: tier 0 keeps MySQL, the site's only copy of its data, on its one droplet "webstack-web-0", which this update would replace (${what}), starting an empty database; got "false". Fix: dump the database (docs/deploying.md#tier-0-keeps-its-data-on-its-droplet), then pulumi config set webstack:allowDataLoss true for this one update, load the dump and pulumi config rm webstack:allowDataLoss; or leave the droplet as it is: ${keepIt(staticWasOff)}`;
const CHOOSE_STATIC = `webstack:staticFiles.source: an earlier webstack release deployed this stack, and its nginx sent "/static/" to the app; this release serves "/static/" from each web droplet's disk by default, copied from /app/static of app.image, so an app that serves it itself (Django with WhiteNoise, an image without that directory) would answer 404 there after this update while its health checks pass; got none (the default "image"). Fix: pulumi config set --path 'webstack:staticFiles.source' image to serve the image's files from disk (and staticFiles.imageDir if they are not in /app/static), or pulumi config set --path 'webstack:staticFiles.source' none to keep the app answering "/static/"`;

describe("index.ts: tier 0's droplet across releases (it holds MySQL)", () => {
    for (const [fixture, config] of Object.entries(PREVIOUS_RELEASE)) {
        it(`renders the user data of ${fixture} byte for byte as the previous release did, with static files off`, async () => {
            const run = await runProgram({ ...exampleConfig(0), ...config, ...NONE });
            assert.equal(userDataOf(run), fs.readFileSync(path.join(FIXTURES, `${fixture}.user-data.txt`), "utf8"));
        });
    }

    it("exports the droplet's fingerprint, which the next update with the same config passes", async () => {
        const first = await runProgram(own(0, IMAGE), { dryRun: false });
        const fingerprints = output(first, "protectedDroplets").value as Record<string, Record<string, string>>;
        assert.deepEqual(Object.keys(fingerprints), ["webstack-web-0"]);
        assert.deepEqual(Object.keys(fingerprints["webstack-web-0"]).slice(0, 6), [
            "region",
            "sshKeys",
            "user data",
            "package_update",
            "packages",
            "runcmd",
        ]);
        const again = await up(own(0, IMAGE), exported(first));
        assert.deepEqual(output(again, "protectedDroplets").value, fingerprints);
        assert.equal(byName(again.resources, "webstack-web-0").protect, true);
    });

    it("refuses pulumi up of a tier-0 app release before creating anything, naming what would change and the fix", async () => {
        const first = exported(await runProgram(own(0, IMAGE), { dryRun: false }));
        const release = own(0, { ...IMAGE, app: { image: "registry.digitalocean.com/acme/shop:2.0.0" } });
        await refusedBeforeAnything(
            up(release, first),
            refusal(
                dataLoss(
                    "its user data changes /etc/systemd/system/webstack-app.service, /etc/webstack/static-files.env",
                    false,
                ),
            ),
        );
    });

    it("only warns in a preview, with the same problem", async () => {
        const first = exported(await runProgram(own(0, IMAGE), { dryRun: false }));
        const moved = await runProgram(own(0, { ...IMAGE, region: "ams3" }), { previous: first });
        assert.deepEqual(moved.warnings, [
            [
                'pulumi up will refuse stack "dev" before creating anything:',
                `  - ${dataLoss("its region changes", false)}`,
            ].join("\n"),
        ]);
    });

    it("replaces the droplet, unprotected, when allowDataLoss is set for that one update", async () => {
        const first = exported(await runProgram(own(0, IMAGE), { dryRun: false }));
        const release = own(0, {
            ...IMAGE,
            app: { image: "registry.digitalocean.com/acme/shop:2.0.0" },
            allowDataLoss: true,
        });
        const run = await up(release, first);
        assert.equal(byName(run.resources, "webstack-web-0").protect, false);
    });

    it("refuses the first update from the previous release when it turns static files on, and lets none through", async () => {
        // What the previous release exported at tier 0: no tier, no fingerprint; its droplet among the data resources.
        const previous = { url: "http://shop.acme.dev", dataResources: ["webstack-web-0"] };
        await refusedBeforeAnything(up(own(0, IMAGE), previous), refusal(dataLoss(RELEASE_CHANGE, true)));
        const kept = await up(own(0, NONE), previous);
        assert.equal(
            userDataOf(kept),
            fs.readFileSync(path.join(FIXTURES, "tier0-shop.user-data.txt"), "utf8"),
            "the droplet's user data is the previous release's",
        );
    });

    it("lists both decisions at once for a tier-0 stack of the previous release that does not choose a source", async () => {
        const previous = { url: "http://shop.acme.dev", dataResources: ["webstack-web-0"] };
        await refusedBeforeAnything(up(own(0), previous), refusal(dataLoss(RELEASE_CHANGE, true), CHOOSE_STATIC));
    });

    it("refuses leaving tier 0 without allowDataLoss before creating anything", async () => {
        const first = exported(await runProgram(own(0, IMAGE), { dryRun: false }));
        await refusedBeforeAnything(
            up(own(1, IMAGE), first),
            refusal(
                `webstack:tier: tier 0 keeps MySQL, the site's only copy of its data, on its one droplet "webstack-web-0", which moving to tier 1 replaces while the managed database starts empty; got 1 with allowDataLoss "false". Fix: dump the database, then pulumi config set webstack:allowDataLoss true for this one update and load the dump into the managed database (docs/deploying.md#upgrading-a-stacks-tier-safely), or pulumi config set webstack:tier 0`,
            ),
        );
    });
});

describe("index.ts: static files on a stack an earlier release deployed", () => {
    /** What an earlier release exported at tier 2: `url` and no `tier`. */
    const EARLIER = { url: "https://shop.acme.dev", dataResources: ["webstack-db-cluster", "webstack-logs-cluster"] };

    it("refuses to take the static prefix from the app until the stack chooses, with both fix commands", async () => {
        await refusedBeforeAnything(up(own(2), EARLIER), refusal(CHOOSE_STATIC));
    });

    it("lets the update through once staticFiles.source is set, either way", async () => {
        for (const [extra, copies] of [
            [IMAGE, true],
            [NONE, false],
        ] as const) {
            const run = await up(own(2, extra), EARLIER);
            assert.deepEqual(run.warnings, [APP_USER_PRIVILEGES_WARNING]);
            assert.equal(userDataOf(run).includes("webstack-static-files"), copies);
        }
    });

    it("serves the prefix from disk by default for a new stack and for a stack of this release", async () => {
        for (const previous of [{}, { ...EARLIER, tier: 2 }]) {
            const run = await up(own(2), previous);
            assert.match(userDataOf(run), /location \^~ \/static\/ \{/);
        }
    });
});
