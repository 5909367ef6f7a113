// The house rules that keep the code easy to see: imports point one way between the top-level folders
// (docs/development.md, "Layout"), no import cycles, and the program run under the mocks in one place only.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const sources = execFileSync("git", ["ls-files", "*.ts"], { cwd: ROOT, encoding: "utf8" })
    .split("\n")
    .filter((f) => f && !f.includes("node_modules"));
const fresh = (dir: string) =>
    fs
        .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith(".ts"))
        .map((e) => path.relative(ROOT, path.join(e.parentPath, e.name)));
// Files not yet committed count too (a new file is where a cycle is most likely to appear).
const files = [
    ...new Set([
        ...sources,
        ...["components", "plan", "policies", "examples", "tools", "test"].flatMap(fresh),
        "index.ts",
    ]),
].filter((f) => !f.includes("node_modules") && fs.existsSync(path.join(ROOT, f)));

/** Relative imports of a file, resolved to repository paths (type-only imports included: they still tie modules). */
function importsOf(file: string): string[] {
    const text = fs.readFileSync(path.join(ROOT, file), "utf8");
    const specs = [...text.matchAll(/(?:from\s+|import\(\s*|require\(\s*)["'](\.{1,2}\/[^"']+)["']/g)].map((m) => m[1]);
    return specs.flatMap((spec) => {
        const base = path.normalize(path.join(path.dirname(file), spec));
        const found = [base, `${base}.ts`, path.join(base, "index.ts")].find(
            (p) => fs.existsSync(path.join(ROOT, p)) && fs.statSync(path.join(ROOT, p)).isFile(),
        );
        return found && found.endsWith(".ts") ? [found] : [];
    });
}

/** The top-level area of a repository path: its first folder, or the file itself at the root. */
const areaOf = (file: string) => file.split("/")[0];

/**
 * What each area may import (docs/development.md states it): the program and the pack stand alone, the plan runs
 * them, the tools document and measure them, and the tests may reach anything.
 */
const MAY_IMPORT: Record<string, readonly string[]> = {
    components: ["components"],
    policies: ["policies"],
    examples: ["examples"],
    "index.ts": ["components"],
    plan: ["plan", "components", "policies"],
    tools: ["tools", "plan", "components", "policies", "examples"],
    test: ["test", "tools", "plan", "components", "policies", "examples", "index.ts"],
};

describe("repository layout", () => {
    it("imports only in the direction docs/development.md states", () => {
        const wrong = files.flatMap((file) => {
            const allowed = MAY_IMPORT[areaOf(file)];
            assert.ok(allowed, `${file} is in no area of the layout`);
            return importsOf(file)
                .filter((target) => !allowed.includes(areaOf(target)))
                .map((target) => `${file} → ${target}`);
        });
        assert.deepEqual(wrong, []);
    });

    it("has no import cycle", () => {
        const graph = new Map(files.map((f) => [f, importsOf(f)]));
        const cycles: string[] = [];
        const state = new Map<string, "open" | "done">();
        const visit = (f: string, trail: string[]) => {
            if (state.get(f) === "done") return;
            if (state.get(f) === "open") {
                cycles.push([...trail.slice(trail.indexOf(f)), f].join(" → "));
                return;
            }
            state.set(f, "open");
            for (const g of graph.get(f) ?? []) visit(g, [...trail, f]);
            state.set(f, "done");
        };
        for (const f of graph.keys()) visit(f, []);
        assert.ok(graph.size > 100, `found only ${graph.size} files`);
        assert.deepEqual(cycles, []);
    });

    it("sets the program's config in exactly one place, the one program runner", () => {
        const setters = files.filter(
            (f) =>
                f !== "test/repo/layout.spec.ts" &&
                fs.readFileSync(path.join(ROOT, f), "utf8").includes("setAllConfig"),
        );
        assert.deepEqual(setters, ["plan/capture/runProgram.ts"]);
    });
});
