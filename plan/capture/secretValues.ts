// Secrets as the engine's wire format carries them: an object holding the SDK's signature key with the secret
// signature as its value, and the value itself (@pulumi/pulumi 3.248 runtime/rpc.js specialSigKey,
// specialSecretSig). A module of its own, without the SDK's index, so the plan can read records before it loads
// the mock engine.
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";

/** A value as the SDK serializes a secret. */
export function secretValue(value: unknown): Record<string, unknown> {
    return { [specialSigKey]: specialSecretSig, value };
}

export function isSecret(value: unknown): value is { value: unknown } {
    return (
        typeof value === "object" &&
        value !== null &&
        (value as Record<string, unknown>)[specialSigKey] === specialSecretSig
    );
}

/** Unwraps every secret: the values a policy or the cloud sees. */
export function plain(value: unknown): unknown {
    if (isSecret(value)) return plain(value.value);
    if (Array.isArray(value)) return value.map(plain);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}

/** Replaces every secret with the text "[secret]": the values a report may show. */
export function redact(value: unknown): unknown {
    if (isSecret(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(redact);
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
    }
    return value;
}
