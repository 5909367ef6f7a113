// How the pack reads values that may be unknown during `pulumi preview`.
//
// What @pulumi/policy 1.21 does (server.js, proxy.js): every resource's props reach a policy wrapped in
// `unknownCheckingProxy`; reading a property whose value the engine marks as computed (the unknown
// sentinel "04da6b54-…", e.g. a droplet's ipv4Address or any resource's id before its first create)
// throws `UnknownValueError`. When a validate function lets that error escape, the host records ONE
// advisory diagnostic "can't run policy … during preview: …" and drops every other finding the policy
// would have reported for the rest of the stack. There is no public `isUnknown`.
//
// What the pack does instead:
//   1. Read through `read`/`readList`, which catch exactly `UnknownValueError` (nothing else) and
//      return the `UNKNOWN` marker, so one unknown never hides the decidable findings.
//   2. Resolve references whose value is unknown through the resource's `propertyDependencies`
//      (the engine knows which resource an input came from even when the value is not known yet).
//   3. Collect every decision that still depends on an unknown in `Undecided`, and finish by throwing
//      `UndecidedDuringPreview` (a subclass of UnknownValueError). The host turns it into one advisory
//      diagnostic listing what could not be decided — never a silent pass, never a false mandatory
//      failure — while the violations already reported keep their own enforcement level.
import * as pulumi from "@pulumi/pulumi";

/**
 * What the proxy is made of (@pulumi/policy 1.21.0 proxy.js, exported at run time though marked internal): the error
 * its get trap throws on an unknown value (the class the package's index re-exports, index.js line 29), the key it
 * answers with the object it wraps (`getSpecialProxyTarget`, lines 40-44 and 55-57), and the seven sentinels its
 * `isUnknown` treats as unknown (lines 96-104, values at 124-152). Read from proxy.js itself, which requires nothing:
 * the package's index loads the analyzer server and the SDK's automation API, half a second that the offline plan,
 * which shares the availability model built on these reads, would pay for nothing.
 */
const proxyInternals = require("@pulumi/policy/proxy") as Record<string, unknown>;
type UnknownValueErrorClass = new (sentinel: string, path: string[]) => Error;
// Another @pulumi/policy whose proxy.js does not hold the class: the public export, at the index's load cost.
const UnknownValueError = (proxyInternals.UnknownValueError ??
    (require("@pulumi/policy") as Record<string, unknown>).UnknownValueError) as UnknownValueErrorClass;

/** Marker for "the engine does not know this value yet". */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

/** True for the error the policy proxy throws on an unknown property, and only for it. */
export function isUnknownValueError(error: unknown): boolean {
    return error instanceof UnknownValueError;
}

const TARGET_KEY = proxyInternals.getSpecialProxyTarget as string;
const SENTINELS = new Set(
    [
        "unknownBooleanValue",
        "unknownNumberValue",
        "unknownStringValue",
        "unknownArrayValue",
        "unknownAssetValue",
        "unknownArchiveValue",
        "unknownObjectValue",
    ].map((name) => proxyInternals[name]),
);
const SENTINEL_LENGTH = pulumi.runtime.unknownValue.length;
// Another @pulumi/policy without these exports: every read goes through the proxy, as before.
const FAST_READS =
    typeof TARGET_KEY === "string" &&
    [...SENTINELS].filter((s) => typeof s === "string" && s.length === SENTINEL_LENGTH).length === 7;
// Only 36-character strings can be sentinels: a Set lookup hashes the whole string, and user data runs to kilobytes.
const isSentinel = (v: unknown): boolean => typeof v === "string" && v.length === SENTINEL_LENGTH && SENTINELS.has(v);

/**
 * The primitive at `path` read past the proxy (its target, then plain property reads), or `SLOW` when a step is an
 * object the answer depends on the proxy for: the value itself, which callers get proxied. Each step through the
 * proxy allocates its path, a property descriptor and, for an object, a new proxy (proxy.js lines 52-77); most reads
 * end at a string, number or boolean, where the proxy adds nothing but the sentinel check done here.
 */
const SLOW = Symbol("read through the proxy");
function readPrimitive(obj: object, path: readonly (string | number)[]): unknown {
    let current: unknown = (obj as Record<string, unknown>)[TARGET_KEY] ?? obj;
    for (const key of path) {
        if (current === null || current === undefined) return undefined;
        if (isSentinel(current)) return UNKNOWN;
        if (typeof current !== "object") return undefined;
        current = (current as Record<string | number, unknown>)[key];
    }
    if (isSentinel(current)) return UNKNOWN;
    return typeof current === "object" && current !== null ? SLOW : current;
}

/**
 * Reads `obj[path[0]][path[1]]…`; `undefined` when a step is absent, `UNKNOWN` when a step is unknown.
 * Raw (unproxied) unknown sentinels are recognised too, so the same code works on plain objects. A primitive comes
 * straight from the proxy's target; an object comes through the proxy, so reading into it keeps checking unknowns.
 */
export function read(obj: unknown, ...path: (string | number)[]): unknown {
    if (FAST_READS && typeof obj === "object" && obj !== null) {
        const fast = readPrimitive(obj, path);
        if (fast !== SLOW) return fast;
    }
    let current: unknown = obj;
    for (const key of path) {
        if (current === null || current === undefined) return undefined;
        if (isSentinel(current)) return UNKNOWN;
        if (typeof current !== "object") return undefined;
        try {
            current = (current as Record<string | number, unknown>)[key];
        } catch (error) {
            if (isUnknownValueError(error)) return UNKNOWN;
            throw error;
        }
    }
    return isSentinel(current) ? UNKNOWN : current;
}

/**
 * `obj` for code written for plain data (the pricer, which the offline plan also calls): reading a value the engine
 * does not know yet gives undefined instead of the policy proxy's UnknownValueError. Lazy: only what is read is
 * wrapped, through `read`.
 */
export function knownView<T>(obj: T): T {
    if (typeof obj !== "object" || obj === null) return obj;
    return new Proxy(obj as object, {
        get(target, key) {
            if (typeof key === "symbol") return Reflect.get(target, key);
            const value = read(target, key);
            return isUnknown(value) ? undefined : knownView(value);
        },
    }) as T;
}

/** A list property: its known elements, and whether the list or any element is unknown. */
export interface KnownList {
    values: unknown[];
    unknown: boolean;
}

export function readList(obj: unknown, ...path: (string | number)[]): KnownList {
    const list = read(obj, ...path);
    if (isUnknown(list)) return { values: [], unknown: true };
    if (list === undefined || list === null) return { values: [], unknown: false };
    if (!Array.isArray(list)) return { values: [list], unknown: false };
    const values: unknown[] = [];
    let unknown = false;
    for (let i = 0; i < list.length; i++) {
        const value = read(list, i);
        if (isUnknown(value)) unknown = true;
        else if (value !== undefined && value !== null) values.push(value);
    }
    return { values, unknown };
}

/** Known string elements of a list property (numbers, e.g. droplet ids, become strings). */
export function readStrings(obj: unknown, ...path: (string | number)[]): { values: string[]; unknown: boolean } {
    const list = readList(obj, ...path);
    return {
        values: list.values.filter((v) => typeof v === "string" || typeof v === "number").map(String),
        unknown: list.unknown,
    };
}

/** A string (or number, as a string) property; UNKNOWN when unknown; undefined otherwise. */
export function readString(props: unknown, ...path: (string | number)[]): string | undefined | Unknown {
    const value = read(props, ...path);
    if (isUnknown(value)) return value;
    return typeof value === "string" || typeof value === "number" ? String(value) : undefined;
}

/** The gaps for a message: all of them when few, else the first five and a count. */
function listed(gaps: readonly string[]): string {
    if (gaps.length <= 6) return gaps.join(" ");
    return `${gaps.slice(0, 5).join(" ")} (and ${gaps.length - 5} more undecided checks.)`;
}

/** Thrown at the end of a validation that could not decide everything; the host reports it as advisory. */
export class UndecidedDuringPreview extends UnknownValueError {
    constructor(readonly gaps: readonly string[]) {
        super(pulumi.runtime.unknownValue, []);
        this.name = "UndecidedDuringPreview";
        this.message =
            `cannot decide during preview, because values the cloud computes are still unknown: ${listed(gaps)} ` +
            "The check runs again with real values during `pulumi up`.";
    }
}

/** The decisions one policy run could not make, reported once at the end. */
export class Undecided {
    private readonly gaps: string[] = [];

    note(gap: string): void {
        this.gaps.push(gap);
    }

    get count(): number {
        return this.gaps.length;
    }

    /** Call last: throws UndecidedDuringPreview when anything was left undecided. */
    settle(): void {
        if (this.gaps.length > 0) throw new UndecidedDuringPreview(this.gaps);
    }
}

/** Ends a single-resource check that depends on an unknown value: the host reports it as advisory. */
export function decideLater(gap: string): never {
    throw new UndecidedDuringPreview([gap]);
}
