import * as pulumi from "@pulumi/pulumi";
import { formatProblems } from "./problems";

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

export const isIntegerIn = (value: number, min: number, max: number) =>
    Number.isInteger(value) && value >= min && value <= max;
