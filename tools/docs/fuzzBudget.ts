// How much the config fuzzer runs (test/guarantees/configFuzz.spec.ts); docs/guarantees.md states these numbers
// from here (tools/docs/generate.ts), so the text and the test cannot disagree.

/** Random and adversarial stack configs through parseStackConfig. */
export const PARSER_RUNS = 5000;
/** Configs of arbitrary JSON-looking text per key through parseStackConfig. */
export const TEXT_RUNS = 1000;
/** Required-key omissions per tier (alone or together) through parseStackConfig. */
export const OMISSION_RUNS_PER_TIER = 50;
/** Configs through the whole program under the mock engine. */
export const PROGRAM_RUNS = 200;
/** Milliseconds one program run may take in the fuzzer before it counts as hung. */
export const CASE_BOUND_MS = 10000;
/** The fixed seed: a failure reproduces. */
export const SEED = 20261125;
