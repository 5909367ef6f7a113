// Reads one namespace of Pulumi stack config, decoded from the text the CLI passes (scalars as text, structured
// values as JSON) once, and collects every problem in the house format:
// `<key>: <what is wrong>; got "<value>". Fix: <command>`. Pure: stackConfig.ts builds the settings with it from
// the key declaration (configKeys.ts); nothing here knows webstack's keys beyond what it is given.
import type { Bounds } from "./limits";

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

/**
 * The keys of one namespace of the config the CLI hands a program (`{"webstack:tier": "2"}`), without the
 * namespace, each value decoded once: what a program passes as a component's args (`{tier: 2}`).
 */
export function decodeConfig(raw: Readonly<Record<string, string>>, namespace: string): Record<string, unknown> {
    const values: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(raw)) {
        if (!fullKey.startsWith(`${namespace}:`)) continue;
        // Defined, not assigned: a key named "__proto__" must stay a key (and be reported unknown).
        const key = fullKey.slice(namespace.length + 1);
        Object.defineProperty(values, key, {
            value: decode(text),
            enumerable: true,
            writable: true,
            configurable: true,
        });
    }
    return values;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
    typeof value === "object" && value !== null && !Array.isArray(value);

/** The keys a namespace accepts: key → its sub-keys for a structured key, or null for a scalar or list key. */
export type KeySchema = Readonly<Record<string, readonly string[] | null>>;

/** A default value. */
export type Scalar = string | number | boolean;

/** A key's value type: a scalar, one of a closed set of values, an object of fields, or a list of such objects. */
export type KeyType =
    | "integer"
    | "string"
    | "boolean"
    | "string[]"
    | { readonly choice: string; readonly values: readonly (string | number)[] }
    | { readonly object: ObjectType<any> }
    | { readonly listOf: ObjectType<any> };

/** An object type of a key's value: named (it becomes an interface and a schema type) and documented. */
export interface ObjectType<C> {
    readonly name: string;
    readonly doc: string;
    readonly fields: Readonly<Record<string, KeySpec<C>>>;
}

/** Everything about one key (or one field of an object type); `C` is what defaults depend on (the tier). */
export interface KeySpec<C> {
    /** One sentence: what the key does, its units, exclusions. */
    readonly doc: string;
    readonly type: KeyType;
    /** An integer's allowed range. */
    readonly bounds?: Bounds;
    /** The text values a string key accepts, when too many or too changeable for a schema enum (regions, sizes). */
    readonly choices?: readonly string[];
    /** How a long list of `choices` is named in a problem ("droplet sizes"). */
    readonly what?: string;
    /** The value when the key is unset, or how the context decides it (undefined: none). */
    readonly default?: Scalar | ((context: C) => Scalar | undefined);
    /** Whether the key must be set (a function: only in some contexts, such as a tier). */
    readonly required?: true | ((context: C) => boolean);
    /** The tier the key applies from: setting it below is a problem. */
    readonly from?: number;
    /** The value must be stored encrypted; `shape` gives a stand-in of the value's shape around a text. */
    readonly secret?: { readonly shape?: (standIn: string) => string };
}

/** A namespace's keys, in documentation order. */
export type Declaration<C> = Readonly<Record<string, KeySpec<C>>>;

/** The fields of a key whose value is an object, or undefined. */
export const fieldsOf = <C>(spec: KeySpec<C> | undefined): Readonly<Record<string, KeySpec<C>>> | undefined =>
    spec && typeof spec.type === "object" && "object" in spec.type ? spec.type.object.fields : undefined;

export class ConfigReader<C> {
    /** Every problem found so far, in the order found. */
    readonly problems: string[] = [];
    /** Decoded values of the known top-level keys. */
    readonly values: Record<string, unknown> = {};
    private readonly objects: Record<string, Record<string, unknown>> = {};
    /** What the declared defaults depend on, once known (the tier is read first: every default depends on it). */
    context?: C;

    /**
     * Takes decoded `values` (keys without the namespace), reporting unknown keys and sub-keys, structured keys
     * given as something else than an object, and secret keys not among `encrypted`. `normalize` may rewrite
     * values before the structure is checked.
     */
    constructor(
        readonly namespace: string,
        values: Readonly<Record<string, unknown>>,
        private readonly declaration: Declaration<C>,
        encrypted: ReadonlySet<string>,
        normalize: (values: Record<string, unknown>) => void = () => undefined,
    ) {
        const keys = Object.keys(declaration);
        for (const [key, value] of Object.entries(values)) {
            if (value === undefined) continue;
            if (!Object.hasOwn(declaration, key)) {
                const fullKey = this.path(key);
                this.problem(
                    `${keyLabel(fullKey)}: unknown key; allowed keys are ${quoteAll(keys)}. Fix: pulumi config rm ${shellKey(fullKey)}`,
                );
                continue;
            }
            this.values[key] = value;
        }
        normalize(this.values);
        for (const [key, spec] of Object.entries(declaration)) {
            const fields = fieldsOf(spec);
            if (fields) this.objects[key] = this.structured(key, Object.keys(fields));
        }
        for (const key of keys.filter((k) => declaration[k].secret)) {
            if (this.values[key] !== undefined && !encrypted.has(key)) {
                this.problem(
                    `${this.path(key)}: must be stored encrypted; it is in plain text. Fix: pulumi config set --secret ${this.path(key)} <value>`,
                );
            }
        }
    }

    problem(text: string): void {
        this.problems.push(text);
    }

    /** The declaration of "key" or "key.sub". */
    spec(key: string): KeySpec<C> {
        const [top, sub] = key.split(".");
        const spec = sub === undefined ? this.declaration[top] : fieldsOf(this.declaration[top])?.[sub];
        if (!spec) throw new Error(`no declared config key "${key}"`);
        return spec;
    }

    /** A spec's default in the current context. */
    defaultOf<T>(spec: KeySpec<C>): T {
        const d = spec.default;
        if (typeof d !== "function") return d as T;
        if (this.context === undefined) throw new Error("a declared default was read before its context");
        return (d as (context: C) => T)(this.context);
    }

    /** The declared default of "key" or "key.sub". */
    fallback<T>(key: string): T {
        return this.defaultOf<T>(this.spec(key));
    }

    /** An integer within the key's declared bounds, or its declared default. */
    int(key: string, context = ""): number {
        const spec = this.spec(key);
        return this.integer(key, this.fallback(key), spec.bounds!, context);
    }

    /** One of the key's declared values (a choice, or its `choices`), or its declared default. */
    choice<T extends string>(key: string): T {
        const spec = this.spec(key);
        const allowed = typeof spec.type === "object" && "values" in spec.type ? spec.type.values : spec.choices;
        return this.oneOf(key, this.fallback<T>(key), allowed as readonly T[], spec.what);
    }

    /** True or false, or the key's declared default. */
    flag(key: string): boolean {
        return this.bool(key, this.fallback(key));
    }

    /** An integer field of an object read already (`web.autoscale.min`), within its declared bounds. */
    field(key: string, spec: KeySpec<C>, value: unknown, fallback = this.defaultOf<number>(spec)): number {
        return this.integerValue(key, value, fallback, spec.bounds!);
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

    integer(key: string, fallback: number, bounds: Bounds, context = ""): number {
        return this.integerValue(key, this.get(key), fallback, bounds, context);
    }

    /** Checks an integer already read (e.g. a sub-key of a nested object). */
    integerValue(key: string, value: unknown, fallback: number, { min, max }: Bounds, context = ""): number {
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

    /** The paths of a section's fields that apply only from some tier (`app.count`, …), in declaration order. */
    fieldsFrom(section: string): string[] {
        return Object.entries(fieldsOf(this.spec(section)) ?? {})
            .filter(([, spec]) => spec.from !== undefined)
            .map(([field]) => `${section}.${field}`);
    }

    /** Reports each key set below the tier its declaration says it applies from. */
    onlyFrom(keys: readonly string[], tier: number, why: string): void {
        for (const key of keys) {
            const minTier = this.spec(key).from ?? 0;
            if (tier < minTier && this.given(key)) {
                this.problem(
                    `${this.path(key)}: applies only at tier ${minTier} and above (${why}); got ${show(this.get(key))} at tier ${tier}. Fix: pulumi config rm --path '${this.path(key)}'`,
                );
            }
        }
    }
}
