"use strict";
// Transpile-only TypeScript loader for tests, the offline plan and the policy host: `require` of a .ts file
// strips its types with esbuild; type-checking happens once, in `npm run typecheck` (tsc --noEmit).
// docs/development.md says why this and not a maintained loader (esbuild-register, tsx).
//
// No source maps on purpose: the SDK stamps every promise it makes for a resource with `new Error().stack`
// (@pulumi/pulumi 3.248 runtime/debuggable.js debuggablePromise), and with source maps on Node maps each of
// those traces. Set WEBSTACK_SOURCEMAPS=1 to get TypeScript line numbers while debugging.
//
// Transpiled files are cached in node_modules/.cache/webstack-ts (WEBSTACK_TS_CACHE names another directory), keyed
// by the source, the options and esbuild's version, so a warm run never starts esbuild.
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const sourceMaps = process.env.WEBSTACK_SOURCEMAPS === "1";
if (sourceMaps) process.setSourceMapsEnabled(true);

const CACHE_DIR = process.env.WEBSTACK_TS_CACHE || path.join(__dirname, "..", "node_modules", ".cache", "webstack-ts");
// Strict mode, as tsc emits it ("use strict") for every file with an import or export it compiles to CommonJS, and
// for every file under tsconfig.json's `strict` (TypeScript 5.9.3 lib/typescript.js transformCommonJSModule:
// `ensureUseStrict = alwaysStrict || isExternalModule(file)`), so as the Pulumi CLI's ts-node runs the program and
// the pack. esbuild emits it only when told (its TsconfigRaw `alwaysStrict`, esbuild 0.28 lib/main.d.ts); without
// it an assignment to a frozen object failed silently here.
const OPTIONS = {
    loader: "ts",
    format: "cjs",
    platform: "node",
    target: "node20",
    tsconfigRaw: { compilerOptions: { alwaysStrict: true } },
};
let esbuild;
let cacheSalt;

function transpile(source, filename) {
    cacheSalt ??= JSON.stringify([OPTIONS, sourceMaps, require("esbuild/package.json").version]);
    const key = crypto
        .createHash("sha256")
        .update(cacheSalt)
        .update("\0")
        .update(sourceMaps ? filename : "")
        .update("\0")
        .update(source)
        .digest("hex");
    const cached = path.join(CACHE_DIR, `${key}.js`);
    try {
        return fs.readFileSync(cached, "utf8");
    } catch {
        // Not cached yet: transpile below.
    }
    esbuild ??= require("esbuild");
    const { code } = esbuild.transformSync(source, {
        ...OPTIONS,
        sourcefile: filename,
        sourcemap: sourceMaps ? "inline" : false,
    });
    try {
        // Write-then-rename: concurrent processes (tests spawn plans in parallel) never read half a file.
        fs.mkdirSync(CACHE_DIR, { recursive: true });
        const tmp = `${cached}.${process.pid}.tmp`;
        fs.writeFileSync(tmp, code);
        fs.renameSync(tmp, cached);
    } catch {
        // A read-only tree still works, uncached.
    }
    return code;
}

require.extensions[".ts"] = function compileTypeScript(module, filename) {
    module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
};
