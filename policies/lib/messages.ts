// How violation messages spell values, counts and lists of resources, so every policy writes them alike.

/** Quotes a value for a message. */
export const q = (value: unknown): string => `"${String(value)}"`;

/** "1 droplet", "2 droplets". */
export function plural(count: number, noun: string): string {
    return `${count} ${noun}${count === 1 ? "" : "s"}`;
}

/** `"a", "b" and 3 more` for messages about many resources. */
export function nameList(names: readonly string[], max = 5): string {
    const quoted = names.slice(0, max).map((n) => `"${n}"`);
    const rest = names.length - quoted.length;
    return rest > 0 ? `${quoted.join(", ")} and ${rest} more` : quoted.join(", ");
}
