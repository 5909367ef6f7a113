// What the DigitalOcean provider keeps of a droplet's user data in its state: the SHA-1 of the text, 40 hex digits
// (terraform-provider-digitalocean@401992a1 digitalocean/droplet/resource_droplet.go:242-250
// `StateFunc: util.HashStringStateFunc()`, util/hash.go:13-16). A module of its own, with no dependencies, so the
// plan's mock outputs and the pack's stack view hash alike without loading each other's code.
import { createHash } from "node:crypto";

/** The user data as the provider's state keeps it. */
export function stateUserDataHash(text: string): string {
    return createHash("sha1").update(text).digest("hex");
}
