// Checks of the values the host renderers write verbatim into config files, unit files and shell commands. The
// stack config parser (components/settings) uses the same checks, so a value it accepts always renders.
export { formatProblems } from "../problems";
import { HEALTH_PATH_PATTERN } from "./types";

/** Plain host names and IPv4 addresses only. */
export const HOST_PATTERN =
    /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** An e-mail address, loosely: one "@", no whitespace, a dot in the domain (the relay or mailbox decides the rest). */
export const EMAIL_PATTERN = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/**
 * A container image reference as Docker reads it (distribution/reference grammar): a lower-case repository path
 * with an optional registry host and port, an optional tag, an optional sha256 digest. Anything else would be
 * read by systemd or a shell rather than by Docker.
 */
export const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\/:-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?(?:@sha256:[a-f0-9]{64})?$/;
export const IMAGE_MAX_LENGTH = 255;

/** True when `value` is an image reference the app unit can run. */
export const isImageReference = (value: unknown): value is string =>
    typeof value === "string" && value.length <= IMAGE_MAX_LENGTH && IMAGE_PATTERN.test(value);

/** Appends `path: must be an integer from 1 to 65535; got "value".` unless `value` is a TCP port. */
export function checkPort(problems: string[], path: string, value: unknown): void {
    if (!Number.isInteger(value) || (value as number) < 1 || (value as number) > 65535) {
        problems.push(`${path}: must be an integer from 1 to 65535; got "${String(value)}".`);
    }
}

/** Appends a problem unless `value` is an IPv4 address or a DNS name. */
export function checkHost(problems: string[], path: string, value: unknown): void {
    if (typeof value !== "string" || !HOST_PATTERN.test(value)) {
        problems.push(`${path}: must be an IPv4 address or a DNS name; got "${String(value)}".`);
    }
}

/** Appends a problem unless `value` is a container image reference (see IMAGE_PATTERN). */
export function checkImage(problems: string[], path: string, value: unknown): void {
    if (!isImageReference(value)) {
        problems.push(
            `${path}: must be a container image reference such as "ghcr.io/acme/shop:1.4.2"; got "${String(value)}".`,
        );
    }
}

/** Appends a problem unless `value` is an absolute URL path the renderers can write verbatim (HEALTH_PATH_PATTERN). */
export function checkHealthPath(problems: string[], path: string, value: unknown): void {
    if (typeof value !== "string" || !HEALTH_PATH_PATTERN.test(value)) {
        problems.push(
            `${path}: must be an absolute URL path of letters, digits and "/._~-" (at most 128 characters) such as "/healthz"; got "${String(value)}".`,
        );
    }
}

/**
 * Appends a problem for every secret that cannot be one `KEY=value` line of a Docker env file. The value is never
 * shown: a problem message ends up in logs.
 */
export function checkSecrets(problems: string[], path: string, secrets: unknown): void {
    if (
        secrets === null ||
        typeof secrets !== "object" ||
        Array.isArray(secrets) ||
        Object.keys(secrets).length === 0
    ) {
        problems.push(
            `${path}: must map at least one variable name to its value; got a value of type ${Array.isArray(secrets) ? "array" : typeof secrets}.`,
        );
        return;
    }
    for (const [key, value] of Object.entries(secrets as Record<string, unknown>)) {
        if (!/^[A-Z_][A-Z0-9_]{0,63}$/.test(key))
            problems.push(`${path}: variable names must be upper-case letters, digits and "_"; got "${key}".`);
        if (typeof value !== "string" || value === "" || /[\r\n\0]/.test(value)) {
            problems.push(
                `${path}.${key}: must be one non-empty line of text; got a value that is not (value not shown).`,
            );
        }
    }
}
