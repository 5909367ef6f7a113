import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_DOCS, CONFIG_PATHS } from "../../components/settings/configKeys";
import { DOCUMENTS, README, SECTIONS, renderDocument } from "../../tools/docs/generate";

const ROOT = path.resolve(__dirname, "..", "..");
const rel = (file: string) => path.relative(ROOT, file);

describe("generated documentation", function () {
    this.timeout(120000);

    // Every document renders at once: the analyses' capture children and the plan worker share the cores.
    const rendered = new Map<string, Promise<string>>();
    before(() => {
        for (const file of DOCUMENTS) {
            const text = renderDocument(fs.readFileSync(file, "utf8"), file);
            text.catch(() => undefined);
            rendered.set(file, text);
        }
    });

    for (const file of DOCUMENTS) {
        it(`${rel(file)} has every generated block up to date (run npm run docs)`, async () => {
            assert.equal(await rendered.get(file), fs.readFileSync(file, "utf8"));
        });
    }

    it("places every generated block in exactly one document", () => {
        const where = Object.keys(SECTIONS).map((name) => [
            name,
            DOCUMENTS.filter((f) => fs.readFileSync(f, "utf8").includes(`<!-- generated:${name} -->`)).map(rel),
        ]);
        assert.deepEqual(
            where.filter(([, files]) => files.length !== 1),
            [],
        );
    });

    it("documents every configuration key and nothing else", () => {
        assert.deepEqual(Object.keys(CONFIG_DOCS).sort(), [...CONFIG_PATHS].sort());
    });
});

describe("README", () => {
    const text = fs.readFileSync(README, "utf8");

    it("opens with the install-and-plan and install-and-test commands", () => {
        const quick = text.slice(0, text.indexOf("## What it builds"));
        assert.ok(quick.includes("npm ci && npm run plan"));
        assert.ok(quick.includes("npm ci && npm test"));
    });

    it("stays under 15 KB for the newcomer", () => {
        assert.ok(Buffer.byteLength(text) < 15 * 1024, `${Buffer.byteLength(text)} bytes`);
    });
});
