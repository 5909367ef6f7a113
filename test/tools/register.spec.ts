// tools/register.js defers three heavy modules the SDK loads eagerly but a program under the mock engine
// never uses. These tests run a fresh Node (the deferral acts on the first load) and fail if an SDK upgrade
// moves a require the deferral keys on, or if a deferred module stops working when it is finally used.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

function node(script: string, env: NodeJS.ProcessEnv = {}): string {
    const r = spawnSync(process.execPath, ["-r", "./tools/register.js", "-e", script], {
        cwd: ROOT,
        env: { ...process.env, ...env },
        encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
}

const LOADED = `
const loaded = (part) => Object.keys(require.cache).some((f) => f.includes(part));
const report = () => ({ automation: loaded("/automation/"), shim: loaded("/typescript-shim"), arborist: loaded("/@npmcli/arborist/") });`;

describe("tools/register.js: deferred SDK modules", () => {
    it("loads @pulumi/pulumi without the Automation API, the TypeScript shim or Arborist", () => {
        const out = node(`${LOADED} require("@pulumi/pulumi"); console.log(JSON.stringify(report()));`);
        assert.deepEqual(JSON.parse(out), { automation: false, shim: false, arborist: false });
    });

    it("loads the Automation API and Arborist when first touched, and they work", () => {
        const out = node(`${LOADED}
            const pulumi = require("@pulumi/pulumi");
            const types = [typeof pulumi.automation.LocalWorkspace];
            const codePaths = require("@pulumi/pulumi/runtime/closure/codePaths");
            types.push(typeof codePaths.computeCodePaths);
            console.log(JSON.stringify({ types, loaded: report() }));`);
        // computeCodePaths needs Arborist only when it runs; the Automation API loads on access.
        assert.deepEqual(JSON.parse(out), {
            types: ["function", "function"],
            loaded: { automation: true, shim: false, arborist: false },
        });
        // What codePaths.js holds for Arborist: the stand-in, which loads the real module when touched.
        const arb = node(`${LOADED}
            require("@pulumi/pulumi");
            const codePaths = require.cache[require.resolve("@pulumi/pulumi/runtime/closure/codePaths")];
            const standIn = require("node:module")._load("@npmcli/arborist", codePaths, false);
            const before = report().arborist;
            console.log(JSON.stringify({ before, Arborist: typeof standIn.Arborist, after: report().arborist }));`);
        assert.deepEqual(JSON.parse(arb), { before: false, Arborist: "function", after: true });
    });

    it("loads them eagerly with WEBSTACK_EAGER_SDK=1", () => {
        const out = node(`${LOADED} require("@pulumi/pulumi"); console.log(JSON.stringify(report()));`, {
            WEBSTACK_EAGER_SDK: "1",
        });
        assert.deepEqual(JSON.parse(out), { automation: true, shim: true, arborist: true });
    });
});
