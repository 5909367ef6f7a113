// tools/register.js, the transpile-only loader: it strips a .ts file's types, caches the result so a warm process
// never starts esbuild, and changes nothing else of Node's module system (no SDK module is touched).
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");

function node(script: string, register = true, env: NodeJS.ProcessEnv = {}): string {
    const r = spawnSync(process.execPath, [...(register ? ["-r", "./tools/register.js"] : []), "-e", script], {
        cwd: ROOT,
        encoding: "utf8",
        env: { ...process.env, ...env },
    });
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
}

describe("tools/register.js", () => {
    let dir: string;
    before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-register-"))));
    after(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("runs a .ts file with its types stripped, in strict mode as tsc emits it, and a second process from the cache without esbuild", () => {
        const file = path.join(dir, "typed.ts");
        // A cache of this test's own, which nothing has filled yet (and which goes with the temp directory).
        const env = { WEBSTACK_TS_CACHE: path.join(dir, "cache") };
        // In sloppy mode a plain function's `this` is the global object; in strict mode it is undefined.
        fs.writeFileSync(
            file,
            "const n: number = 41;\nexport const answer = n + 1;\nexport const strict = (function (this: unknown) { return this === undefined; })();\n",
        );
        const probe = `const m = require(${JSON.stringify(file)});
            const esbuild = Object.keys(require.cache).some((f) => f.includes("/node_modules/esbuild/lib/"));
            console.log(JSON.stringify({ answer: m.answer, strict: m.strict, esbuild }));`;
        assert.deepEqual(JSON.parse(node(probe, true, env)), { answer: 42, strict: true, esbuild: true });
        assert.deepEqual(JSON.parse(node(probe, true, env)), { answer: 42, strict: true, esbuild: false });
        assert.equal(fs.readdirSync(env.WEBSTACK_TS_CACHE).length, 1);
    });

    it("adds the .ts extension and leaves Node's module loader and @pulumi/pulumi as they are", () => {
        const probe = `const Module = require("node:module");
            const load = Module._load;
            const pulumi = require("@pulumi/pulumi");
            console.log(JSON.stringify({
                load: load.toString(),
                extensions: Object.keys(require.extensions),
                automation: typeof Object.getOwnPropertyDescriptor(pulumi, "automation").get,
            }));`;
        const plain = JSON.parse(node(probe, false));
        const loaded = JSON.parse(node(probe));
        assert.equal(loaded.load, plain.load);
        assert.deepEqual(loaded.extensions, [...plain.extensions, ".ts"]);
        assert.equal(loaded.automation, plain.automation);
    });
});
