// Policy configuration: every tunable is declared once, in the policy's configSchema, with its default.
// The Pulumi CLI fills those defaults before it configures the pack; an in-process caller (tests, an
// offline host) may not, so policies read their config through `configWithDefaults`.
import type { PolicyConfigSchema } from "@pulumi/policy";

/** The policy's config with every absent property taken from its configSchema default. */
export function configWithDefaults<T extends object>(
    schema: PolicyConfigSchema,
    args: { getConfig<C extends object>(): C },
): T {
    const given = (args.getConfig<Record<string, unknown>>() ?? {}) as Record<string, unknown>;
    const result: Record<string, unknown> = {};
    for (const [key, property] of Object.entries(schema.properties)) {
        const fallback = typeof property === "object" ? property.default : undefined;
        result[key] = given[key] !== undefined ? given[key] : fallback;
    }
    return result as T;
}

/** A TCP/UDP port in a config schema: an array's `items`, or spread into a property that adds its default. */
export const PORT_SCHEMA = { type: "integer", minimum: 1, maximum: 65535 } as const;
