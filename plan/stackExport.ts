// A `pulumi stack export` document as the offline plan's input: the deployed stack's resources, read the way
// `pulumi policy analyze --file` reads them (pulumi/pulumi@1b5949891b pkg/cmd/pulumi/policy/policy_analyze.go,
// pkg/resource/deploy/analyze_snapshot.go, pkg/resource/stack/deployment.go, pkg/resource/plugin/rpc.go):
//   - resources marked `delete` (pending deletion) are skipped;
//   - every other resource, custom or not, gets Remediate (reported, never applied) and Analyze with its inputs;
//   - AnalyzeStack gets every such resource with its outputs, parent, dependencies and propertyDependencies;
//   - a secret exported with `--show-secrets` (`plaintext`) keeps its value; an encrypted one (`ciphertext`) cannot
//     be decrypted offline, so it becomes the string "[secret]", as the CLI's fallback (BlindingProvider) does;
//   - top-level keys starting with "__" (the bridge's `__defaults`, `__meta`) are not sent to Analyze or
//     AnalyzeStack (MarshalOptions.SkipInternalKeys); a resource reference is sent as its id (custom) or URN.
import type { RecordedResource } from "./capture/recorder";
import type { ProgramRun } from "./capture/runProgram";
import { secretValue } from "./capture/secretValues";

/** The signatures of Pulumi's serialized values (pulumi/pulumi@1b5949891b sdk/go/common/resource/sig/sig.go:21-41). */
const SIG = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_REFERENCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const BYTE_STRING_SIG = "803fd3297a5875dc03ca845dda5d2a98";
/** How the state writes a float that JSON cannot hold (NaN, ±Inf): its IEEE 754 bits in hex (stack/deployment.go). */
const FLOAT_SIG = "8ad145fe-0d11-4827-bfd7-1abcbf086f5c";
const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";

/** The text a secret the plan cannot decrypt is replaced with (config.BlindingCrypter). */
export const REDACTED_SECRET = "[secret]";

export class StackExportError extends Error {}

/** One resource of a `pulumi stack export` deployment (apitype.ResourceV3), the fields the analyzer uses. */
interface ExportedResource {
    urn: string;
    type: string;
    custom?: boolean;
    delete?: boolean;
    id?: string;
    parent?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    protect?: boolean;
    dependencies?: string[];
    propertyDependencies?: Record<string, string[]>;
    provider?: string;
    additionalSecretOutputs?: string[];
    aliases?: unknown[];
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    retainOnDelete?: boolean;
    deleteBeforeReplace?: boolean;
}

export interface StackExport {
    project: string;
    stack: string;
    /** The resources the analyzer sees (deleted ones skipped), in state order, the root stack included. */
    run: ProgramRun;
    /** How many secrets were encrypted and so analyzed as "[secret]". */
    redactedSecrets: number;
    /** Resources pending deletion that were skipped. */
    skippedDeleted: number;
}

/** Decodes one exported property value into what the engine sends the analyzer. */
function decode(value: unknown, where: string, counts: { redacted: number }): unknown {
    if (Array.isArray(value)) return value.map((v, i) => decode(v, `${where}[${i}]`, counts));
    if (typeof value !== "object" || value === null) return value;
    const obj = value as Record<string, unknown>;
    switch (obj[SIG]) {
        case undefined:
            return Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, decode(v, `${where}.${k}`, counts)]));
        case SECRET_SIG: {
            const hasPlain = typeof obj.plaintext === "string";
            const hasCipher = typeof obj.ciphertext === "string";
            if (hasPlain === hasCipher)
                throw new StackExportError(
                    `${where}: malformed secret value: exactly one of \`ciphertext\` or \`plaintext\` must be supplied`,
                );
            if (hasCipher) {
                counts.redacted++;
                return secretValue(REDACTED_SECRET);
            }
            let inner: unknown;
            try {
                inner = JSON.parse(obj.plaintext as string);
            } catch (err) {
                throw new StackExportError(`${where}: secret plaintext is not JSON: ${(err as Error).message}`);
            }
            return secretValue(decode(inner, where, counts));
        }
        case RESOURCE_REFERENCE_SIG: {
            // Without KeepResources the engine marshals a reference as the resource's id, or its URN without one.
            const id = obj.id;
            if (typeof id === "string" && id !== "") return id;
            return obj.urn;
        }
        case BYTE_STRING_SIG:
            return Buffer.from(String(obj.value ?? ""), "base64").toString("utf8");
        case FLOAT_SIG: {
            const bits = Buffer.alloc(8);
            bits.writeBigUInt64BE(BigInt(`0x${String(obj.value)}`));
            return bits.readDoubleBE(0);
        }
        case ASSET_SIG:
        case ARCHIVE_SIG:
            return obj;
        default:
            throw new StackExportError(`${where}: unrecognized signature "${String(obj[SIG])}" in property map`);
    }
}

/** The properties the analyzer receives: decoded, and without top-level internal ("__") keys. */
function properties(
    raw: Record<string, unknown> | undefined,
    where: string,
    counts: { redacted: number },
): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw ?? {})) {
        if (k.startsWith("__")) continue;
        result[k] = decode(v, `${where}.${k}`, counts);
    }
    return result;
}

/** `urn:pulumi:<stack>::<project>::<qualified type>::<name>` → its parts; undefined when malformed. */
function parseUrn(urn: string): { stack: string; project: string; name: string } | undefined {
    const m = /^urn:pulumi:([^:]+)::([^:]+)::(.+)::([^]*)$/.exec(urn);
    return m ? { stack: m[1], project: m[2], name: m[4] } : undefined;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((s): s is string => typeof s === "string") : []);

/** Reads a `pulumi stack export` document (the `--show-secrets` form or the encrypted one). */
export function readStackExport(text: string, file = "stack export"): StackExport {
    let doc: unknown;
    try {
        doc = JSON.parse(text);
    } catch (err) {
        throw new StackExportError(`error: reading deployment from ${file}: ${(err as Error).message}`);
    }
    const d = doc as { version?: unknown; deployment?: { resources?: unknown } };
    if (typeof d !== "object" || d === null || typeof d.deployment !== "object" || d.deployment === null)
        throw new StackExportError(
            `error: reading deployment from ${file}: ` +
                'expected the output of `pulumi stack export` ({"version": 3, "deployment": {...}})',
        );
    if (d.version !== 3)
        throw new StackExportError(
            `error: reading deployment from ${file}: ` +
                `deployment version ${JSON.stringify(d.version)} is not supported; ` +
                "export it with Pulumi CLI 3.x (version 3)",
        );
    const raw = d.deployment.resources ?? [];
    if (!Array.isArray(raw))
        throw new StackExportError(`error: reading deployment from ${file}: resources is not a list`);
    const problems: string[] = [];
    for (const [i, r] of raw.entries()) {
        const urn = (r as ExportedResource)?.urn;
        if (typeof urn !== "string" || !parseUrn(urn))
            problems.push(`resource ${i} has an invalid URN ${JSON.stringify(urn)}`);
        else if (typeof (r as ExportedResource).type !== "string") problems.push(`resource "${urn}" has no type`);
    }
    if (problems.length > 0)
        throw new StackExportError(`error: state file ${file} is not valid:\n  - ${problems.join("\n  - ")}`);
    const all = raw as ExportedResource[];
    const live = all.filter((r) => r.delete !== true);
    const counts = { redacted: 0 };
    const names = new Set(all.map((r) => `${parseUrn(r.urn)!.stack}::${parseUrn(r.urn)!.project}`));
    // As the CLI's stackReferenceForFile: one stack and project, or "multiple" when the file mixes them.
    const [stack, project] = names.size === 1 ? [...names][0].split("::") : ["multiple", "multiple"];
    const root = live.find((r) => r.type === "pulumi:pulumi:Stack" && !r.parent);
    const stackUrn = root?.urn ?? `urn:pulumi:${stack}::${project}::pulumi:pulumi:Stack::${project}-${stack}`;
    const resources: RecordedResource[] = live.map((r, order) => {
        const inputs = properties(r.inputs, `${r.urn} inputs`, counts);
        const state = properties(r.outputs, `${r.urn} outputs`, counts);
        return {
            urn: r.urn,
            type: r.type,
            name: parseUrn(r.urn)!.name,
            custom: r.custom === true,
            parent: r.parent ?? "",
            id: typeof r.id === "string" ? r.id : "",
            inputs,
            state,
            dependencies: strings(r.dependencies),
            propertyDependencies: Object.fromEntries(
                Object.entries(r.propertyDependencies ?? {}).map(([k, v]) => [k, strings(v)]),
            ),
            protect: r.protect === true,
            deleteBeforeReplace: r.deleteBeforeReplace === true,
            retainOnDelete: r.retainOnDelete === true,
            ignoreChanges: strings(r.ignoreChanges),
            replaceOnChanges: strings(r.replaceOnChanges),
            additionalSecretOutputs: strings(r.additionalSecretOutputs),
            aliases: strings(r.aliases),
            provider: r.provider ?? "",
            // The analyzer is never sent a resource's hooks or custom timeouts (the pack cannot see them): none read.
            hooks: {},
            customTimeouts: {},
            order,
        };
    });
    const rootOutputs = resources.find((r) => r.urn === stackUrn)?.state ?? {};
    return {
        project,
        stack,
        run: {
            stackUrn,
            resources,
            outputs: Object.entries(rootOutputs).map(([name, value]) => {
                const isSecret =
                    typeof value === "object" &&
                    value !== null &&
                    (value as Record<string, unknown>)[SIG] !== undefined;
                return { name, value: isSecret ? (value as { value: unknown }).value : value, secret: isSecret };
            }),
            warnings: [],
        },
        redactedSecrets: counts.redacted,
        skippedDeleted: all.length - live.length,
    };
}
