// The one shape of a list of problems in an error message: one problem per line, indented, after a heading.

/** `  - problem` lines, one per problem. */
export const formatProblems = (problems: readonly string[]): string => problems.map((p) => `  - ${p}`).join("\n");
