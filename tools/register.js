"use strict";
// Transpile-only TypeScript loader for tests, the offline plan and the policy host.
// Type-checking happens once, in `npm run typecheck` (tsc --noEmit). No source maps on purpose:
// Pulumi captures a stack trace for every resource, and mapping those through source maps
// triples the mock engine's cost per resource (see README, "Performance").
// Set WEBSTACK_SOURCEMAPS=1 to get TypeScript line numbers while debugging.
const fs = require("node:fs");
const esbuild = require("esbuild");

const sourceMaps = process.env.WEBSTACK_SOURCEMAPS === "1";
if (sourceMaps) process.setSourceMapsEnabled(true);

require.extensions[".ts"] = function compileTypeScript(module, filename) {
    const { code } = esbuild.transformSync(fs.readFileSync(filename, "utf8"), {
        loader: "ts",
        format: "cjs",
        platform: "node",
        target: "node20",
        sourcefile: filename,
        sourcemap: sourceMaps ? "inline" : false,
    });
    module._compile(code, filename);
};
