// The two composite stack policies' names and how their config selects checks: plain data and one pure function, so
// the offline plan can check a config against them without loading the pack (lib/checks.ts builds the policies).

/** The composite that runs every check its `disabledChecks` does not list, as mandatory findings by default. */
export const STRICT_COMPOSITE = "stack-checks-pass";
/** The composite that runs exactly the checks its `checks` lists, off until a config gives it a level. */
export const ADVISORY_COMPOSITE = "stack-checks-advisory";

/**
 * Which checks a composite runs: "unless-disabled" every check except those its `disabledChecks` lists, "listed"
 * exactly those its `checks` lists.
 */
export type CheckSelection = "unless-disabled" | "listed";

/** The property of a composite's config that selects its checks. */
export const SELECTOR: Record<CheckSelection, string> = { "unless-disabled": "disabledChecks", listed: "checks" };

/** The names of the checks (of `all`, in order) a composite with this selection runs under the given config. */
export function checksRun(selection: CheckSelection, all: readonly string[], given: Record<string, unknown>): string[] {
    const raw = given[SELECTOR[selection]];
    const named = new Set(Array.isArray(raw) ? (raw as unknown[]).filter((n) => typeof n === "string") : []);
    return all.filter((name) => (selection === "listed" ? named.has(name) : !named.has(name)));
}
