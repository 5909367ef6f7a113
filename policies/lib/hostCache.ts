// Deserialize each resource once per request. @pulumi/policy 1.21's analyzer host turns a resource's protobuf
// properties into JavaScript once for every policy it runs on it: for AnalyzeStack that is the whole stack again for
// each of the pack's stack policies, most of the pack's host CPU on a large stack. The host reads the
// properties through `deserialize.deserializeProperties(struct, false)` with the same Struct object for every policy
// of one request (protobuf caches the wrappers it hands out), so a WeakMap keyed on that Struct returns the first
// result to later policies of the same request and forgets it with the request.
//
// Safe because every validation only reads props (the host wraps them in a read-only-in-practice proxy; no policy in
// this pack writes to them — test/policies/hostCache.spec.ts checks the pack on frozen props), and remediations
// (proxySecrets = true, a result the host serializes back) are never cached.

type Deserialize = (struct: unknown, proxySecrets: boolean) => unknown;
/** The host's deserializer module (its declaration is stripped from the published typings: @internal). */
export interface DeserializeModule {
    deserializeProperties: Deserialize;
}
const deserialize = require("@pulumi/policy/deserialize") as DeserializeModule;
const CACHED = Symbol.for("webstack.deserializeOncePerRequest");

/** Installs the per-request cache into @pulumi/policy's deserializer; idempotent. Returns false if the SDK changed shape. */
export function deserializeOncePerRequest(module: DeserializeModule = deserialize): boolean {
    const original = module.deserializeProperties as Deserialize & { [CACHED]?: true };
    if (typeof original !== "function") return false;
    if (original[CACHED]) return true;
    const cache = new WeakMap<object, unknown>();
    const cached = ((struct: unknown, proxySecrets: boolean) => {
        if (proxySecrets || typeof struct !== "object" || struct === null) return original(struct, proxySecrets);
        let props = cache.get(struct);
        if (props === undefined) {
            props = original(struct, proxySecrets);
            cache.set(struct, props);
        }
        return props;
    }) as Deserialize & { [CACHED]?: true };
    cached[CACHED] = true;
    module.deserializeProperties = cached;
    return true;
}
