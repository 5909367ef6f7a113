// Regenerates docs/architecture/tier-0..3.{svg,mmd} from the offline plan of each tier's default stack
// (docs/architecture/stack.yaml): the diagrams are drawn from the captured resource graph, never by hand.
// test/tools/architecture.spec.ts fails when they are stale.
//
//   node -r ./tools/register.js tools/plan/architecture.ts
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
export const DOCS = path.join(ROOT, "docs", "architecture");
export const TIERS = [0, 1, 2, 3] as const;

/** The plan arguments a tier's diagram comes from; the freshness test runs the same. */
export const architectureArgs = (tier: number) => [
    "--stack",
    "example",
    "--config-file",
    "docs/architecture/stack.yaml",
    "--tier",
    String(tier),
    "--format",
    "json",
];

function plan(args: string[], out: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(process.execPath, ["-r", "./tools/register.js", "tools/plan.ts", ...args, "--out", out], {
            cwd: ROOT,
            stdio: ["ignore", "ignore", "pipe"],
        });
        let stderr = "";
        child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
        child.on("close", (code) => (code === 0 || code === 1 ? resolve() : reject(new Error(`plan ${args.join(" ")} exited ${code}:\n${stderr}`))));
    });
}

export async function generateArchitecture(): Promise<string[]> {
    const written: string[] = [];
    await Promise.all(
        TIERS.map(async (tier) => {
            const out = fs.mkdtempSync(path.join(os.tmpdir(), `webstack-architecture-${tier}-`));
            await plan(architectureArgs(tier), out);
            for (const [from, to] of [
                ["architecture.svg", `tier-${tier}.svg`],
                ["architecture.mmd", `tier-${tier}.mmd`],
            ]) {
                fs.copyFileSync(path.join(out, from), path.join(DOCS, to));
                written.push(path.relative(ROOT, path.join(DOCS, to)));
            }
            fs.rmSync(out, { recursive: true, force: true });
        }),
    );
    return written.sort();
}

if (require.main === module) {
    generateArchitecture().then(
        (files) => process.stdout.write(`wrote ${files.join(", ")}\n`),
        (err) => {
            process.stderr.write(`${(err as Error).message}\n`);
            process.exit(2);
        },
    );
}
