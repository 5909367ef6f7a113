import * as pulumi from "@pulumi/pulumi";
import { formatProblems } from "./problems";
import { type Bounds, LIMITS, isWithin } from "./settings/limits";

/** One argument check: the problem text when `ok` is false. */
export type Check = [ok: boolean, problem: string];

/**
 * Throws one ResourceError listing every failed check of a component's arguments, without a stack trace.
 * Components validate what they are given even though `parseStackConfig` validated the stack config first:
 * they are reusable on their own.
 */
export function requireValidArgs(
    resource: pulumi.Resource,
    type: string,
    name: string,
    checks: readonly Check[],
): void {
    const problems = checks.filter(([ok]) => !ok).map(([, problem]) => problem);
    if (problems.length > 0) {
        throw new pulumi.ResourceError(
            `Invalid arguments for ${type} "${name}":\n${formatProblems(problems)}`,
            resource,
            true,
        );
    }
}

/** The check that `field` is an integer within `bounds` (settings/limits.ts, which the config parser reads too). */
export const inBounds = (field: string, value: number, bounds: Bounds): Check => [
    isWithin(value, bounds),
    `${field}: must be an integer from ${bounds.min} to ${bounds.max}; got "${value}".`,
];

/** The check that `field` is a TCP port. */
export const isPort = (field: string, value: number): Check => [
    isWithin(value, LIMITS.port),
    `${field}: must be a port from ${LIMITS.port.min} to ${LIMITS.port.max}; got "${value}".`,
];
