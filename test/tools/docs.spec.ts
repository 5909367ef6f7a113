import assert from "node:assert/strict";
import * as fs from "node:fs";
import { CONFIG_DOCS, CONFIG_PATHS } from "../../components/settings/configKeys";
import { README, renderReadme } from "../../tools/docs/readme";

describe("README", () => {
    it("has every generated table up to date (run npm run docs)", async function () {
        this.timeout(120000);
        const text = fs.readFileSync(README, "utf8");
        assert.equal(await renderReadme(text), text);
    });

    it("documents every configuration key and nothing else", () => {
        assert.deepEqual(Object.keys(CONFIG_DOCS).sort(), [...CONFIG_PATHS].sort());
    });

    it("opens with the install-and-plan and install-and-test commands", () => {
        const text = fs.readFileSync(README, "utf8");
        const quick = text.slice(0, text.indexOf("## What it builds"));
        assert.ok(quick.includes("npm ci && npm run plan"));
        assert.ok(quick.includes("npm ci && npm test"));
    });
});
