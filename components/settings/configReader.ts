// Reads one namespace of Pulumi stack config as the CLI passes it (scalars as text, structured values as JSON)
// and collects every problem in the house format: `<key>: <what is wrong>; got "<value>". Fix: <command>`.
// Pure: config.ts builds the settings with it; nothing here knows webstack's keys beyond what it is given.

/** A key as printed in a problem: control characters (line breaks, tabs) escaped, so a problem stays on one line. */
export const keyLabel = (key: string): string =>
    key.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
/** A key in a fix command. */
const shellKey = (key: string): string => `'${keyLabel(key)}'`;
/** A value as printed in a problem: always in double quotes. */
export const show = (value: unknown): string =>
    typeof value === "string"
        ? JSON.stringify(value)
        : typeof value === "number" && !Number.isFinite(value)
          ? `"${value}"`
          : `"${JSON.stringify(value)}"`;
/** `"a", "b" or "c"`. */
export const quoteAll = (values: readonly (string | number)[]): string => {
    const q = values.map((v) => `"${v}"`);
    return q.length <= 1 ? q.join("") : `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
};

/** Pulumi passes structured config as JSON text and scalars as plain text. */
function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);

/** The keys a namespace accepts: key → its sub-keys for a structured key, or null for a scalar or list key. */
export type KeySchema = Readonly<Record<string, readonly string[] | null>>;

export class ConfigReader {
    /** Every problem found so far, in the order found. */
    readonly problems: string[] = [];
    /** Decoded values of the known top-level keys. */
    readonly values: Record<string, unknown> = {};
    private readonly objects: Record<string, Record<string, unknown>> = {};

    /**
     * Decodes `raw` (full keys such as "webstack:tier"), reporting unknown keys and sub-keys, structured keys
     * given as something else than an object, and `secretKeys` stored in plain text. `normalize` may rewrite
     * decoded values before the structure is checked.
     */
    constructor(
        readonly namespace: string,
        raw: Readonly<Record<string, string>>,
        keys: KeySchema,
        encrypted: ReadonlySet<string>,
        secretKeys: readonly string[],
        normalize: (values: Record<string, unknown>) => void = () => undefined,
    ) {
        for (const [fullKey, text] of Object.entries(raw)) {
            if (!fullKey.startsWith(`${namespace}:`)) continue;
            const key = fullKey.slice(namespace.length + 1);
            if (!Object.hasOwn(keys, key)) {
                this.problem(
                    `${keyLabel(fullKey)}: unknown key; allowed keys are ${quoteAll(Object.keys(keys))}. Fix: pulumi config rm ${shellKey(fullKey)}`,
                );
                continue;
            }
            this.values[key] = decode(text);
        }
        normalize(this.values);
        for (const [key, subKeys] of Object.entries(keys)) {
            if (subKeys) this.objects[key] = this.structured(key, subKeys);
        }
        for (const key of secretKeys) {
            if (this.values[key] !== undefined && !encrypted.has(this.path(key))) {
                this.problem(
                    `${this.path(key)}: must be stored encrypted; it is in plain text. Fix: pulumi config set --secret ${this.path(key)} <value>`,
                );
            }
        }
    }

    problem(text: string): void {
        this.problems.push(text);
    }

    /** "webstack:web.count" for "web.count". */
    path(key: string): string {
        return `${this.namespace}:${key}`;
    }

    /** The command that sets a key to an example value. */
    setCmd(key: string, example: string | number): string {
        return key.includes(".") || key.includes("[")
            ? `pulumi config set --path '${this.path(key)}' ${example}`
            : `pulumi config set ${this.path(key)} ${example}`;
    }

    /** The decoded value at "key" or "key.sub"; undefined when not set. */
    get(key: string): unknown {
        const [top, sub] = key.split(".");
        return sub === undefined ? this.values[top] : this.objects[top]?.[sub];
    }

    given(key: string): boolean {
        return this.get(key) !== undefined;
    }

    /** An object value with only the allowed sub-keys (reports the others); {} when absent or not an object. */
    structured(key: string, subKeys: readonly string[], example = "<value>"): Record<string, unknown> {
        const value = this.get(key);
        if (value === undefined) return {};
        if (!isObject(value)) {
            this.problem(
                `${this.path(key)}: expected an object with keys ${quoteAll(subKeys)}; got ${show(value)}. Fix: pulumi config set --path '${this.path(key)}.${subKeys[0]}' ${example}`,
            );
            return {};
        }
        for (const sub of Object.keys(value)) {
            if (!subKeys.includes(sub)) {
                const full = this.path(`${key}.${sub}`);
                this.problem(
                    `${keyLabel(full)}: unknown key; allowed keys are ${quoteAll(subKeys)}. Fix: pulumi config rm --path ${shellKey(full)}`,
                );
            }
        }
        return value;
    }

    integer(key: string, fallback: number, min: number, max: number, context = ""): number {
        return this.integerValue(key, this.get(key), fallback, min, max, context);
    }

    /** Checks an integer already read (e.g. a sub-key of a nested object). */
    integerValue(key: string, value: unknown, fallback: number, min: number, max: number, context = ""): number {
        if (value === undefined) return fallback;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            this.problem(
                `${this.path(key)}: must be an integer from ${min} to ${max}${context}; got ${show(value)}. Fix: ${this.setCmd(key, Math.min(Math.max(fallback, min), max))}`,
            );
            return fallback;
        }
        return value;
    }

    /** One of `allowed`; long lists are summarized as `one of N <what> (e.g. …)`. */
    oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[], what = ""): T {
        const value = this.get(key);
        if (value === undefined) return fallback;
        if (typeof value !== "string" || !allowed.includes(value as T)) {
            const list =
                allowed.length > 20
                    ? `one of ${allowed.length} ${what} (e.g. ${quoteAll(allowed.slice(0, 4))})`
                    : quoteAll(allowed);
            this.problem(`${this.path(key)}: expected ${list}; got ${show(value)}. Fix: ${this.setCmd(key, fallback)}`);
            return fallback;
        }
        return value as T;
    }

    bool(key: string, fallback: boolean): boolean {
        const value = this.get(key);
        if (value === undefined) return fallback;
        if (typeof value !== "boolean") {
            this.problem(
                `${this.path(key)}: expected true or false; got ${show(value)}. Fix: ${this.setCmd(key, fallback ? "true" : "false")}`,
            );
            return fallback;
        }
        return value;
    }

    /** A list of at most 50 strings, each passing `check` (which returns why an entry is wrong). */
    stringList(key: string, check: (s: string) => string | undefined, example: string): string[] {
        const value = this.get(key);
        if (value === undefined) return [];
        if (!Array.isArray(value)) {
            this.problem(
                `${this.path(key)}: expected a list; got ${show(value)}. Fix: pulumi config set --path '${this.path(key)}[0]' ${example}`,
            );
            return [];
        }
        if (value.length > 50) {
            this.problem(
                `${this.path(key)}: expected at most 50 entries; got ${value.length}. Fix: pulumi config set --path '${this.path(key)}' with fewer entries`,
            );
            return [];
        }
        const out: string[] = [];
        value.forEach((item, i) => {
            const why = typeof item === "string" ? check(item) : "expected text";
            if (why)
                this.problem(
                    `${this.path(key)}[${i}]: ${why}; got ${show(item)}. Fix: pulumi config set --path '${this.path(key)}[${i}]' ${example}`,
                );
            else out.push(item as string);
        });
        return out;
    }

    /** Reports a key set below the tier it applies from. */
    onlyFrom(keys: readonly string[], minTier: number, tier: number, why: string): void {
        for (const key of keys) {
            if (tier < minTier && this.given(key)) {
                this.problem(
                    `${this.path(key)}: applies only at tier ${minTier} and above (${why}); got ${show(this.get(key))} at tier ${tier}. Fix: pulumi config rm --path '${this.path(key)}'`,
                );
            }
        }
    }
}
