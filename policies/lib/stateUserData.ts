// A droplet's user data as the stack checks see it. The provider keeps a droplet's `user_data` in its state as the
// SHA-1 of the text (userDataHash.ts), so AnalyzeStack, which gets every resource's outputs (pulumi/pulumi@1b59498
// pkg/resource/deploy/step_generator.go:3515-3518; analyze_snapshot.go:257-263 for `pulumi policy analyze`), sees the
// hash where the text was. Analyze gets inputs, for every resource the program registers, unchanged ones included
// (step_generator.go:1403-1408, before it decides between same, update and replace; analyze_snapshot.go:208), and one
// policy host process serves both calls of a run: an update loads each local pack once (pkg/engine/update.go:936-986
// loadPolicyPlugins, called at :1116; `pulumi policy analyze` at :281-300), and the plugin host keeps the loaded
// analyzer (pkg/host/host.go:306-338). So the droplet policies remember the texts their Analyze calls carry, and a
// stack check reads a hash as the text it is the hash of. A hash no Analyze call explained (every droplet policy
// disabled) reads as unknown: the check says it cannot decide rather than judge 40 hex digits as user data. An
// autoscale pool's template keeps its text (dropletautoscale/resource_droplet_autoscale.go:136-140 has no StateFunc).
import { UNKNOWN, type Unknown, readString } from "./unknowns";
import { memoByText } from "./userData";
import { stateUserDataHash } from "./userDataHash";

const SHA1_HEX = /^[0-9a-f]{40}$/;
/** The texts seen in Analyze, by their SHA-1. A fleet shares one text, so this holds one entry per distinct text. */
const textsByHash = new Map<string, string>();

/** Hashes each distinct text once (a droplet's user data reaches several policies, and a fleet shares one). */
const remember = memoByText((text: string): string => {
    const hash = stateUserDataHash(text);
    textsByHash.set(hash, text);
    return hash;
});

/** Called by the droplet policies with the inputs Analyze hands them: keeps the user data for the stack checks. */
export function rememberUserData(props: unknown): void {
    const text = readString(props, "userData");
    if (typeof text === "string" && !SHA1_HEX.test(text)) remember(text);
}

/** A droplet's user data from its state: the text (a hash read back), UNKNOWN, or undefined when it has none. */
export function dropletUserData(props: unknown): string | Unknown | undefined {
    const value = readString(props, "userData");
    if (typeof value !== "string" || !SHA1_HEX.test(value)) return value;
    return textsByHash.get(value) ?? UNKNOWN;
}
