// Generated blocks whose rows a spec computes anyway: that spec compares the block with what it computed, and
// test/tools/docs.spec.ts renders every other block afresh, so each analysis runs once per `npm test`.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DOCUMENTS, blockOf } from "../../tools/docs/generate";

/** Block name → the spec that checks it (a path from the repository root). */
export const CHECKED_BY_ITS_SPEC: Readonly<Record<string, string>> = {
    upgrades: "test/guarantees/upgradeMatrix.spec.ts",
    transitions: "test/tools/docs/transitions.spec.ts",
    exposure: "test/guarantees/exposure.spec.ts",
    stacks: "test/repo/stacks.spec.ts",
    tiers: "test/plan/acceptance.spec.ts",
    acceptance: "test/plan/acceptance.spec.ts",
    engines: "test/plan/acceptance.spec.ts",
    availability: "test/plan/acceptance.spec.ts",
};

/** Asserts that the one document holding the block `name` holds `body` in it. */
export function assertGeneratedBlock(name: string, body: string): void {
    const holders = DOCUMENTS.map((file) => ({ file, text: blockOf(fs.readFileSync(file, "utf8"), name) })).filter(
        (d) => d.text !== undefined,
    );
    assert.equal(holders.length, 1, `the block ${name} is in ${holders.length} documents`);
    const where = path.relative(path.resolve(__dirname, "..", ".."), holders[0].file);
    assert.equal(holders[0].text, body, `${where}'s ${name} block is stale (run npm run docs)`);
}
