// The reference data the tests check the code against, vendored with its sources in test/fixtures/reference (see
// its README), so no test reads outside the repository.
import * as fs from "node:fs";
import * as path from "node:path";

export const REFERENCE_DIR = path.resolve(__dirname, "..", "fixtures", "reference");

/** Reads a vendored reference JSON file (RELATIVE to test/fixtures/reference); the test context is not needed. */
export function readSharedReference<T>(_ctx: Mocha.Context | undefined, relative: string): T {
    return JSON.parse(fs.readFileSync(path.join(REFERENCE_DIR, relative), "utf8")) as T;
}
