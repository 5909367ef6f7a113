// Reading what a droplet announces on the health path (components/hostConfig/servingIdentity.ts writes it).
import { createHash } from "node:crypto";
import {
    IDENTITY_HEADERS,
    type IdentityRole,
    RELEASE_DIGITS,
    type ServingIdentity,
} from "../hostConfig/servingIdentity";

export { IDENTITY_HEADERS, type IdentityRole, type ServingIdentity };

/** `droplet=<digits>; release=<hex>` (spaces around `;` optional); undefined for anything else. */
export function parseIdentity(value: string | undefined): ServingIdentity | undefined {
    if (value === undefined) return undefined;
    const m = /^\s*droplet=(\d{1,20})\s*;\s*release=([0-9a-f]{1,64})\s*$/.exec(value);
    return m ? { droplet: m[1], release: m[2] } : undefined;
}

/** The release digest a droplet computes from its user data (`sha256sum | cut -c1-12` in the boot script). */
export function releaseOf(userData: string): string {
    return createHash("sha256").update(userData, "utf8").digest("hex").slice(0, RELEASE_DIGITS);
}
