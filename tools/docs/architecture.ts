// Regenerates docs/architecture/tier-0..3.{svg,mmd} from the offline plan of each tier's default stack
// (examples/stack.yaml): the diagrams are drawn from the captured resource graph, never by hand.
// test/tools/architecture.spec.ts fails when they are stale.
//
//   node -r ./tools/register.js tools/docs/architecture.ts
import * as fs from "node:fs";
import * as path from "node:path";
import { TIERS, architectureArgs } from "../../examples/variants";
import { planDocument, runPlan } from "../../plan/spawnPlan";

const ROOT = path.resolve(__dirname, "..", "..");
export const DOCS = path.join(ROOT, "docs", "architecture");

export async function generateArchitecture(): Promise<string[]> {
    const written: string[] = [];
    await Promise.all(
        TIERS.map(async (tier) => {
            await planDocument(architectureArgs(tier)); // fails on a broken plan
            const { out } = await runPlan(architectureArgs(tier)); // the same (memoized) run
            for (const [from, to] of [
                ["architecture.svg", `tier-${tier}.svg`],
                ["architecture.mmd", `tier-${tier}.mmd`],
            ]) {
                fs.copyFileSync(path.join(out, from), path.join(DOCS, to));
                written.push(path.relative(ROOT, path.join(DOCS, to)));
            }
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
