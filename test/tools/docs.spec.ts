import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_DOCS, CONFIG_PATHS } from "../../components/settings/configKeys";
import { DOCUMENTS, README, SECTIONS, blockOf, renderDocument } from "../../tools/docs/generate";
import { CHECKED_BY_ITS_SPEC } from "../support/generatedBlocks";

const ROOT = path.resolve(__dirname, "..", "..");
const rel = (file: string) => path.relative(ROOT, file);

describe("generated documentation", function () {
    this.timeout(120000);

    // Every document renders at once. The blocks a spec checks against the rows it computes (CHECKED_BY_ITS_SPEC,
    // every block an offline plan or an analysis feeds) stay as they are here.
    const rendered = new Map<string, Promise<string>>();
    before(() => {
        for (const file of DOCUMENTS) {
            const current = fs.readFileSync(file, "utf8");
            const kept = Object.keys(CHECKED_BY_ITS_SPEC).map((name) => [name, () => blockOf(current, name) ?? ""]);
            const text = renderDocument(current, file, { ...SECTIONS, ...Object.fromEntries(kept) });
            text.catch(() => undefined);
            rendered.set(file, text);
        }
    });

    for (const file of DOCUMENTS) {
        it(`${rel(file)} has every generated block up to date (run npm run docs)`, async () => {
            assert.equal(await rendered.get(file), fs.readFileSync(file, "utf8"));
        });
    }

    for (const [name, spec] of Object.entries(CHECKED_BY_ITS_SPEC)) {
        it(`leaves the ${name} block to ${spec}, which compares it with the rows it computes`, () => {
            assert.ok(name in SECTIONS, `no generator makes ${name}`);
            const call = `assertGeneratedBlock("${name}", `;
            assert.ok(fs.readFileSync(path.join(ROOT, spec), "utf8").includes(call), `${spec} has no ${call}…)`);
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
