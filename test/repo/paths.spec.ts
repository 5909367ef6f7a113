// Every pointer the repository's docs and code comments hold leads somewhere a clone has: repository paths named
// as text or code exist, relative markdown links resolve, nothing points outside the repository, and no private
// tracker number stands in for the reason itself. CHANGELOG.md is history and keeps what it said.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

/** Top-level folders of this repository: a path starting with one of them names a file here. */
const OURS = ["components", "policies", "plan", "tools", "test", "examples", "docs", ".github", ".ci"];
/** terraform-provider-digitalocean's resource and data-source pages, which start like our docs folder. */
const FOREIGN = /^docs\/(resources|data-sources)\//;
/** A path right after a repository (`owner/name`, or a name at a commit) is that repository's file, cited. */
const CITED_REPOSITORY = /(?:\b[\w.-]+\/[\w.-]+|[\w.-]+@[0-9a-f]{7,40})\s*$/;
const PATH = new RegExp(
    String.raw`(?<![\w@/.$-])((?:${OURS.join("|").replace(/\./g, "\\.")})/[\w./-]*\w)(?![\w./$*{-])`,
    "g",
);
const TEXT = /\.(ts|js|mjs|md|ya?ml|json)$|^\.ci\/run$/;

/** Tracked and new (not ignored) text files, history and generated pictures left out. */
function textFiles(): string[] {
    return execFileSync("git", ["ls-files", "--cached", "--others", "--exclude-standard"], {
        cwd: ROOT,
        encoding: "utf8",
    })
        .split("\n")
        .filter((f) => TEXT.test(f) && fs.existsSync(path.join(ROOT, f)))
        .filter(
            (f) =>
                !/^(package-lock\.json|CHANGELOG\.md)$|package-lock\.json$|__snapshots__|^docs\/architecture\//.test(f),
        );
}
const files = textFiles();
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** An import specifier or a path as written: with or without its extension, from the root or the file's folder. */
function exists(file: string, named: string): boolean {
    const bases = [ROOT, path.dirname(path.join(ROOT, file))];
    return bases.some((base) =>
        ["", ".ts", "/index.ts"].some((suffix) => fs.existsSync(path.join(base, named + suffix))),
    );
}

describe("pointers in docs and code", () => {
    it("reads the repository's text files", () => {
        assert.ok(files.length > 200, `found only ${files.length} files`);
        assert.ok(files.includes("README.md") && files.includes("plan/cli.ts"));
    });

    it("name repository files and folders that exist", () => {
        const missing: string[] = [];
        for (const file of files) {
            const text = read(file);
            for (const m of text.matchAll(PATH)) {
                const named = m[1];
                // The words before the path, a comment's line break read as a space.
                const before = text.slice(Math.max(0, m.index - 80), m.index).replace(/\n\s*(\/\/|\*|#)?\s*/g, " ");
                if (FOREIGN.test(named) || CITED_REPOSITORY.test(before) || named.includes("node_modules")) continue;
                if (!exists(file, named)) missing.push(`${file}: ${named}`);
            }
        }
        assert.deepEqual(missing, []);
    });

    it("link, in markdown, only to files that exist", () => {
        const missing: string[] = [];
        for (const file of files.filter((f) => f.endsWith(".md"))) {
            for (const [, target] of read(file).matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
                if (/^[a-z]+:/.test(target)) continue;
                const resolved = path.resolve(ROOT, path.dirname(file), target);
                if (!fs.existsSync(resolved)) missing.push(`${file} → ${target}`);
            }
        }
        assert.deepEqual(missing, []);
    });

    it("point at nothing outside the repository (a clone has no shared/ beside it)", () => {
        const outside = files.flatMap((file) =>
            read(file)
                .split("\n")
                .flatMap((line, i) =>
                    /(\.\.\/)+shared\/|\bshared\/reference\b/.test(line) ? [`${file}:${i + 1}`] : [],
                ),
        );
        assert.deepEqual(outside, []);
    });

    it("give reasons, not private tracker numbers", () => {
        const numbered = files.flatMap((file) =>
            read(file)
                .split("\n")
                .flatMap((line, i) => (/\bissues?\s+#?\d+/i.test(line) ? [`${file}:${i + 1}`] : [])),
        );
        assert.deepEqual(numbered, []);
    });
});
