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

const specs = fs
    .readdirSync(path.join(__dirname, "test"), { recursive: true })
    .map((file) => path.join("test", file))
    .filter((file) => file.endsWith(".spec.ts") && !SLOWEST.includes(file))
    .sort();

module.exports = {
    require: ["tools/register.js", "test/support/hooks.ts"],
    extension: ["ts"],
    spec: [...SLOWEST, ...specs],
    parallel: true,
    jobs: 2,
    timeout: 20000,
    reporter: "dot",
};
