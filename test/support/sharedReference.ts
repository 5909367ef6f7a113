// The shared reference files (../shared/reference beside the repository: DigitalOcean facts collected for the
// project). CI has them; a contributor's clone may not. Tests that cross-check against them skip, visibly,
// only when the file is absent and CI is not set.
import * as fs from "node:fs";
import * as path from "node:path";

export const SHARED_REFERENCE = path.resolve(__dirname, "..", "..", "..", "shared", "reference");

/** Reads a shared reference JSON file, or skips the calling test with a message when it is absent outside CI. */
export function readSharedReference<T>(ctx: Mocha.Context, relative: string): T {
    const file = path.join(SHARED_REFERENCE, relative);
    if (!fs.existsSync(file)) {
        if (process.env.CI) throw new Error(`${file} is missing; CI runs with shared/ beside the repository.`);
        ctx.test!.title += ` (skipped: ${file} is absent)`;
        ctx.skip();
    }
    return JSON.parse(fs.readFileSync(file, "utf8")) as T;
}
