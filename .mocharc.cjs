// Mocha's configuration. The spec files run in parallel on two worker processes, each taking the next file in the
// order below when it is done with one; the slowest files come first, so the two workers finish at about the same
// time instead of one running a slow file alone at the end. Root hooks run per file in this mode (test/support/hooks.ts).
const fs = require("node:fs");
const path = require("node:path");

/** The files that take longest (wall time in a worker, `npm test` on an idle two-core machine), slowest first. */
const SLOWEST = [
    "test/components/package.spec.ts",
    "test/rehearsal/releases.spec.ts",
    "test/plan/cli.spec.ts",
    "test/tools/docs.spec.ts",
    "test/components/hostConfig/metricsPush.spec.ts",
    "test/guarantees/secrets.spec.ts",
    "test/guarantees/configFuzz.spec.ts",
    "test/guarantees/upgradeMatrix.spec.ts",
    "test/tools/docs/transitions.spec.ts",
];
for (const file of SLOWEST) if (!fs.existsSync(path.join(__dirname, file))) throw new Error(`.mocharc.cjs: no ${file}`);

const rest = fs
    .readdirSync(path.join(__dirname, "test"), { recursive: true })
    .map((file) => path.join("test", file))
    .filter((file) => file.endsWith(".spec.ts") && !SLOWEST.includes(file))
    .sort();

/**
 * The other files, one folder after another in turn (the first file of each folder, then the second of each, ...):
 * the files of a folder tend to wait alike (test/components/hostConfig's on real servers' timers, test/policies'
 * not at all), and the two workers take neighbouring files at about the same time, so alternating folders keeps
 * them from waiting together while a core idles.
 */
function byFolderInTurn(files) {
    const folders = new Map();
    for (const file of files) {
        const dir = path.dirname(file);
        if (!folders.has(dir)) folders.set(dir, []);
        folders.get(dir).push(file);
    }
    const queues = [...folders.values()];
    const order = [];
    for (let i = 0; order.length < files.length; i++) for (const q of queues) if (i < q.length) order.push(q[i]);
    return order;
}
const specs = byFolderInTurn(rest);

module.exports = {
    // A larger young generation for mocha and its workers (which inherit the flag): the tests that run the program
    // hundreds of times allocate fast, and with V8's default semi-space (16 MiB on 64-bit) their scavenges took a
    // tenth of their CPU. Node documents the flag as trading memory for throughput, "depends on your workload"
    // (doc/api/cli.md, `--max-semi-space-size`); measured here, interleaved: -8 to -15 % of CPU for the
    // program-running specs, each worker's young generation up to 3 x 64 MiB.
    "node-option": ["max-semi-space-size=64"],
    require: ["tools/register.js", "test/support/hooks.ts"],
    extension: ["ts"],
    spec: [...SLOWEST, ...specs],
    parallel: true,
    jobs: 2,
    timeout: 20000,
    reporter: "dot",
};
