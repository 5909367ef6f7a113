"use strict";
// Transpile-only TypeScript loader for tests, the offline plan and the policy host.
// Type-checking happens once, in `npm run typecheck` (tsc --noEmit). No source maps on purpose:
// Pulumi captures a stack trace for every resource, and mapping those through source maps
// triples the mock engine's cost per resource (see README, "Performance").
// Set WEBSTACK_SOURCEMAPS=1 to get TypeScript line numbers while debugging.
//
// Two start-up costs every process here would otherwise pay:
// - esbuild: transpiled files are cached in node_modules/.cache/webstack-ts, keyed by the source, the
//   options and esbuild's version, so a warm run never starts esbuild at all.
// - @pulumi/pulumi's index loads its Automation API (npm's arborist, pacote, tar, …) and the TypeScript
//   compiler (for closure serialization) on every require: ~0.3 s of a 0.35 s require, for code no
//   program, test or policy pack here calls. Both are loaded on first use instead (see lazySdkModules).
//   Set WEBSTACK_EAGER_SDK=1 to load them eagerly, as plain `require("@pulumi/pulumi")` does.
const crypto = require("node:crypto");
const fs = require("node:fs");
const Module = require("node:module");
const path = require("node:path");

const sourceMaps = process.env.WEBSTACK_SOURCEMAPS === "1";
if (sourceMaps) process.setSourceMapsEnabled(true);

const CACHE_DIR = path.join(__dirname, "..", "node_modules", ".cache", "webstack-ts");
const OPTIONS = { loader: "ts", format: "cjs", platform: "node", target: "node20" };
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

/**
 * Loads the SDK's Automation API, its TypeScript shim and npm's Arborist on first property access rather than when
 * @pulumi/pulumi's index (or its closure serializer) requires them. The stand-in answers `__esModule`
 * itself, so TypeScript's `__importStar` keeps it as is instead of touching every export.
 */
function lazySdkModules() {
    // Every copy of the SDK (the pack may resolve its own): the requiring file and the exact request.
    const sdk = `${path.sep}@pulumi${path.sep}pulumi${path.sep}`;
    const lazy = new Map([
        [`${sdk}index.js`, "./automation"],
        [`${sdk}runtime${path.sep}closure${path.sep}parseFunction.js`, "../../typescript-shim"],
        // npm's dependency walker, which the closure serializer uses to find a function's packages (~140 ms).
        [`${sdk}runtime${path.sep}closure${path.sep}codePaths.js`, "@npmcli/arborist"],
    ]);
    const load = Module._load;
    Module._load = function loadLazily(request, parent, isMain) {
        const from = parent?.filename;
        if (from && from.includes(sdk) && [...lazy].some(([suffix, req]) => req === request && from.endsWith(suffix))) {
            let real;
            const target = () => (real ??= load.call(Module, request, parent, isMain));
            return new Proxy(
                {},
                {
                    get: (_, key) => (key === "__esModule" ? true : target()[key]),
                    has: (_, key) => key in target(),
                    ownKeys: () => Reflect.ownKeys(target()),
                    getOwnPropertyDescriptor: (_, key) => {
                        const d = Object.getOwnPropertyDescriptor(target(), key);
                        return d && { ...d, configurable: true };
                    },
                    set: (_, key, value) => Reflect.set(target(), key, value),
                },
            );
        }
        return load.apply(this, arguments);
    };
}
if (process.env.WEBSTACK_EAGER_SDK !== "1") lazySdkModules();
