// The roles that run nginx with static files: the copy's packages, files and unit join the role's cloud-config, the
// unit starts before nginx switches to the webstack site, and the site gets the static location; without static
// files the user data is what it was. Checked with cloud-init's schema and nginx -t where they are installed.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { type Host, holdsSecret, hostRoleProblems, renderCloudInit } from "../../../components/hostConfig/cloudInit";
import { NGINX_SITE_PATH, renderNginxConfig } from "../../../components/hostConfig/nginx";
import {
    STATIC_FILES_ENV,
    STATIC_FILES_ROOT,
    STATIC_FILES_SCRIPT,
    STATIC_FILES_SERVICE,
    type StaticFiles,
    staticFilesEnv,
    staticFilesFor,
    staticFilesScript,
    staticFilesUnit,
} from "../../../components/hostConfig/staticFiles";
import type { CloudConfig, HostRole } from "../../../components/hostConfig/types";
import { APP, APP_LB, ROLES } from "../../support/hostRoles";
import { cloudInitSchema, freePort, nginxTest, requireTool, tempDir } from "../../support/hostTools";
import { get, startCountingApp, startNginx } from "../../../tools/loopback/staticSite";

const FROM_IMAGE: StaticFiles = staticFilesFor(
    { urlPrefix: "/static/", source: { kind: "image", dir: "/app/static" } },
    APP.image,
);
const SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
const FROM_ARCHIVE: StaticFiles = {
    urlPrefix: "/assets/",
    source: { kind: "archive", archiveUrl: "https://assets.example.com/shop-1.4.2.tar.gz", archiveSha256: SHA },
};

const WITH_STATIC_FILES = {
    "all-in-one from the image": { ...ROLES["all-in-one"], staticFiles: FROM_IMAGE },
    "web-and-app from an archive": { ...ROLES["web-and-app"], staticFiles: FROM_ARCHIVE },
    "web from the image": { ...ROLES.web, staticFiles: FROM_IMAGE },
} satisfies Record<string, HostRole>;

const load = (host: Host) =>
    parse(renderCloudInit(host).replace(/^#cloud-config\n/, ""), { version: "1.1" }) as CloudConfig;
const commands = (config: CloudConfig) => config.runcmd.map((c) => c.join(" "));
const site = (config: CloudConfig) => config.write_files.find((f) => f.path === NGINX_SITE_PATH)!.content;
const COPY_COMMANDS = [
    "systemctl daemon-reload",
    `systemctl enable ${STATIC_FILES_SERVICE}`,
    `systemctl start ${STATIC_FILES_SERVICE}`,
];
const COPY_FILES = [STATIC_FILES_ENV, STATIC_FILES_SCRIPT, `/etc/systemd/system/${STATIC_FILES_SERVICE}`];
/** `commands` with `inserted` right before the first command that switches nginx from the stock site. */
function beforeNginx(commands: string[], inserted: string[]): string[] {
    const at = commands.indexOf("rm -f /etc/nginx/sites-enabled/default");
    assert.ok(at >= 0, `no nginx switch in ${commands.join("; ")}`);
    return [...commands.slice(0, at), ...inserted, ...commands.slice(at)];
}

describe("renderCloudInit: static files on the roles that run nginx", () => {
    it("installs skopeo and umoci on a web droplet and starts the copy before nginx leaves the stock site", () => {
        const config = load(WITH_STATIC_FILES["web from the image"]);
        assert.deepEqual(
            {
                packages: config.packages,
                files: config.write_files.map((f) => [f.path, f.permissions]),
                runcmd: commands(config),
            },
            {
                packages: ["nginx", "skopeo", "umoci"],
                files: [
                    [NGINX_SITE_PATH, "0644"],
                    ["/usr/local/sbin/webstack-serving-identity", "0700"],
                    ["/usr/local/sbin/webstack-drain", "0700"],
                    ["/etc/systemd/system/webstack-drain.service", "0644"],
                    [STATIC_FILES_ENV, "0644"],
                    [STATIC_FILES_SCRIPT, "0700"],
                    [`/etc/systemd/system/${STATIC_FILES_SERVICE}`, "0644"],
                ],
                runcmd: [
                    "/usr/local/sbin/webstack-serving-identity",
                    ...COPY_COMMANDS,
                    "rm -f /etc/nginx/sites-enabled/default",
                    "ln -sfn /etc/nginx/sites-available/webstack /etc/nginx/sites-enabled/webstack",
                    "systemctl enable nginx.service",
                    "systemctl reload-or-restart nginx.service",
                    "systemctl daemon-reload",
                    "systemctl enable --now webstack-drain.service",
                ],
            },
        );
    });

    it("starts the copy right before nginx leaves the stock site on the all-in-one and web-and-app droplets too", () => {
        for (const [with_, without, packages] of [
            [WITH_STATIC_FILES["all-in-one from the image"], ROLES["all-in-one"], ["skopeo", "umoci"]],
            [WITH_STATIC_FILES["web-and-app from an archive"], ROLES["web-and-app"], ["curl"]],
        ] as const) {
            const config = load(with_);
            const before = load(without);
            assert.deepEqual(
                [config.packages, commands(config), config.write_files.map((f) => f.path)],
                [
                    [...before.packages, ...packages],
                    beforeNginx(commands(before), COPY_COMMANDS),
                    [...before.write_files.map((f) => f.path), ...COPY_FILES],
                ],
                with_.kind,
            );
        }
    });

    it("writes the copy's env file, script and unit as staticFiles.ts renders them, the app's image as skopeo names it", () => {
        const files = load(WITH_STATIC_FILES["web from the image"]).write_files;
        const content = (path: string) => files.find((f) => f.path === path)?.content;
        assert.deepEqual(
            [content(STATIC_FILES_ENV), content(STATIC_FILES_SCRIPT), content(COPY_FILES[2])],
            [staticFilesEnv(FROM_IMAGE), staticFilesScript(), staticFilesUnit()],
        );
        assert.match(
            content(STATIC_FILES_ENV)!,
            /^STATIC_IMAGE='docker:\/\/registry\.digitalocean\.com\/acme\/shop:1\.4\.2'$/m,
        );
    });

    it("gives the site the static location under the role's prefix, rooted where the copy publishes", () => {
        assert.equal(
            site(load(WITH_STATIC_FILES["web from the image"])),
            renderNginxConfig({
                listenPort: 80,
                upstream: APP_LB,
                behindLoadBalancer: true,
                staticFiles: { urlPrefix: "/static/" },
            }),
        );
        const archive = site(load(WITH_STATIC_FILES["web-and-app from an archive"]));
        assert.deepEqual(
            [archive.match(/^ {4}location \^~ .*$/gm), archive.match(/^ {8}root .*$/gm)],
            [["    location ^~ /assets/ {"], [`        root ${STATIC_FILES_ROOT};`]],
        );
    });

    it("leaves every role's user data as it was without static files", () => {
        for (const role of Object.values(WITH_STATIC_FILES)) {
            const without = { ...role, staticFiles: undefined };
            const text = renderCloudInit(without);
            assert.doesNotMatch(text, /webstack-static-files|skopeo|location \^~/, role.kind);
            assert.equal(text, renderCloudInit(JSON.parse(JSON.stringify(without)) as HostRole));
        }
    });

    it("keeps the user data of a host with an archive source free of secrets", () => {
        assert.equal(holdsSecret(WITH_STATIC_FILES["web-and-app from an archive"]), false);
        assert.equal(holdsSecret(WITH_STATIC_FILES["all-in-one from the image"]), false);
    });

    it("reports bad static files with the role's other problems, every one at once", () => {
        const role = {
            ...ROLES.web,
            webPort: 0,
            staticFiles: {
                urlPrefix: "/",
                source: { kind: "archive", archiveUrl: "http://x/a.zip", archiveSha256: "" },
            },
        } as HostRole;
        assert.deepEqual(hostRoleProblems(role), [
            'webPort: must be an integer from 1 to 65535; got "0".',
            'staticFiles.urlPrefix: must be a URL path that starts and ends with "/" and names at least one directory ("/" alone would take every path from the app), of letters, digits and "._~-", at most 64 characters, such as "/static/"; got "/".',
            'staticFiles.source.archiveUrl: must be an https:// URL of a .tar.gz or .tgz archive, without credentials, query or fragment, at most 2048 characters, such as "https://assets.example.com/shop-1.4.2-static.tar.gz"; got "http://x/a.zip".',
            'staticFiles.source.archiveSha256: must be the archive\'s SHA-256 as 64 lower-case hexadecimal digits (what `sha256sum` prints); got "".',
        ]);
        assert.throws(
            () => renderCloudInit(role),
            /^Error: Invalid host role "web":\n {2}- webPort: [^\n]*\n {2}- staticFiles\.urlPrefix: /,
        );
    });

    it("serves the prefix of the rendered user data from disk on loopback, the app seeing only the other paths", async function () {
        const nginx = requireTool(this, "nginx");
        const { dir, remove } = tempDir("static-user-data");
        // nginx's workers may run as another user: the tree must be readable to them, as on a droplet.
        fs.chmodSync(dir, 0o755);
        const app = await startCountingApp(await freePort());
        try {
            const webPort = await freePort();
            const role = {
                ...WITH_STATIC_FILES["web from the image"],
                webPort,
                upstream: { host: "127.0.0.1", port: app.port },
            };
            // The site exactly as the droplet gets it, its root moved to a published tree here.
            const published = path.join(dir, "current");
            fs.mkdirSync(path.join(published, "static", "css"), { recursive: true });
            fs.writeFileSync(path.join(published, "static", "css", "app.3f2a9c1b.css"), "body{}\n");
            const text = site(load(role));
            // Its root, and the health location's test that a tree is published.
            assert.equal(text.split(STATIC_FILES_ROOT).length, 3);
            const moved = text.split(STATIC_FILES_ROOT).join(published);
            const nginxDir = path.join(dir, "nginx");
            fs.mkdirSync(nginxDir);
            const running = await startNginx(nginx, nginxDir, moved, webPort);
            try {
                const answers = [];
                for (const p of ["/static/css/app.3f2a9c1b.css", "/static/missing.css", "/", "/healthz"]) {
                    const r = await get(webPort, p);
                    answers.push([p, r.status, r.body.toString(), r.headers["cache-control"]]);
                }
                assert.deepEqual(answers, [
                    ["/static/css/app.3f2a9c1b.css", 200, "body{}\n", "public, max-age=31536000, immutable"],
                    ["/static/missing.css", 404, answers[1][2], undefined],
                    ["/", 200, "from the app\n", undefined],
                    ["/healthz", 200, "from the app\n", undefined],
                ]);
                assert.deepEqual(app.paths, ["/", "/healthz"]);
            } finally {
                await running.stop();
            }
        } finally {
            await app.close();
            remove();
        }
    });

    for (const [name, role] of Object.entries(WITH_STATIC_FILES)) {
        it(`passes cloud-init schema for ${name}`, async function () {
            const cloudInit = requireTool(this, "cloud-init");
            const result = await cloudInitSchema(cloudInit, renderCloudInit(role));
            assert.equal(result.status, 0, result.output);
            assert.match(result.output, /Valid cloud-config/);
        });

        it(`writes a site that passes nginx -t for ${name}`, async function () {
            const nginx = requireTool(this, "nginx");
            const result = await nginxTest(nginx, site(load(role)));
            assert.equal(result.status, 0, result.output);
        });
    }
});
