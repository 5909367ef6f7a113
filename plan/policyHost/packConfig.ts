// Policy pack config: the CLI's own steps (pulumi/pulumi pkg/resource/analyzer/config.go: parsePolicyPackConfig,
// createConfigWithDefaults, applyConfig, ReconcilePolicyPackConfig, validatePolicyPackConfig). The host then
// resolves enforcement per violation itself; nothing here second-guesses the levels it reports.
import Ajv from "ajv";
import { ADVISORY_COMPOSITE, checksRun, SELECTOR, STRICT_COMPOSITE } from "../../policies/lib/composites";
import { LEVELS, PolicyHostError, type AnalyzerInfo, type EnforcementLevel, type PolicyConfig } from "./protocol";

const isLevel = (v: unknown): v is EnforcementLevel => typeof v === "string" && (LEVELS as string[]).includes(v);

/** Reads a `--policy-pack-config` JSON file the way the CLI does. */
export function parsePolicyPackConfig(text: string, file = "policy pack config"): Record<string, PolicyConfig> {
    if (text.trim() === "") return {};
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (err) {
        throw new PolicyHostError(`error: ${file}: ${(err as Error).message}`);
    }
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
        throw new PolicyHostError(`error: ${file}: expected a JSON object`);
    const result: Record<string, PolicyConfig> = {};
    for (const [k, v] of Object.entries(raw)) {
        let enforcementLevel: EnforcementLevel | undefined;
        let properties: Record<string, unknown> | undefined;
        if (typeof v === "string") {
            if (!isLevel(v))
                throw new PolicyHostError(
                    `error: ${file}: parsing enforcement level for "${k}": "${v}" is not a valid enforcement level`,
                );
            enforcementLevel = v;
        } else if (typeof v === "object" && v !== null && !Array.isArray(v)) {
            const { enforcementLevel: el, ...rest } = v as Record<string, unknown>;
            if (el !== undefined) {
                if (!isLevel(el))
                    throw new PolicyHostError(
                        `error: ${file}: parsing enforcement level for "${k}": ` +
                            `${JSON.stringify(el)} is not a valid enforcement level`,
                    );
                enforcementLevel = el;
            }
            if (Object.keys(rest).length > 0) properties = rest;
        } else {
            throw new PolicyHostError(
                `error: ${file}: parsing "${k}": ${JSON.stringify(v)} is not a valid value; must be a string or object`,
            );
        }
        if (enforcementLevel === undefined && properties === undefined) continue;
        result[k] = { enforcementLevel, properties };
    }
    return result;
}

function applyConfig(
    result: Record<string, PolicyConfig>,
    toApply: Record<string, PolicyConfig>,
): Record<string, PolicyConfig> {
    const all = toApply.all;
    if (all?.enforcementLevel) {
        for (const k of Object.keys(result))
            result[k] = { enforcementLevel: all.enforcementLevel, properties: result[k].properties };
    }
    for (const [policy, given] of Object.entries(toApply)) {
        const current = result[policy];
        const properties =
            given.properties || current?.properties ? { ...current?.properties, ...given.properties } : undefined;
        result[policy] = { enforcementLevel: given.enforcementLevel ?? current?.enforcementLevel, properties };
    }
    return result;
}

/**
 * The config the CLI sends with Configure: each policy's schema defaults and its own level, then the pack's
 * initial config, then the stack's policy-pack-config file; validated against each policy's schema.
 */
export function reconcilePolicyConfig(
    info: AnalyzerInfo,
    given: Record<string, PolicyConfig> | undefined,
): Record<string, PolicyConfig> {
    let result: Record<string, PolicyConfig> = {};
    for (const p of info.policies) {
        let properties: Record<string, unknown> | undefined;
        for (const [k, schema] of Object.entries(p.configSchema?.properties ?? {})) {
            if (schema && typeof schema === "object" && "default" in schema) (properties ??= {})[k] = schema.default;
        }
        result[p.name] = { enforcementLevel: p.enforcementLevel, properties };
    }
    if (Object.keys(info.initialConfig).length) result = applyConfig(result, info.initialConfig);
    if (given) {
        result = applyConfig(result, given);
        validatePolicyConfig(info, result);
    }
    return result;
}

/**
 * Like the CLI's validatePolicyPackConfig (gojsonschema there, ajv here); only needed once a file overlays the
 * defaults.
 */
function validatePolicyConfig(info: AnalyzerInfo, config: Record<string, PolicyConfig>): void {
    const ajv = new Ajv({ allErrors: true, strict: false });
    const problems: string[] = [];
    for (const p of info.policies) {
        if (!p.configSchema) continue;
        const schema: Record<string, unknown> = { type: "object" };
        if (Object.keys(p.configSchema.properties).length) schema.properties = p.configSchema.properties;
        if (p.configSchema.required.length) schema.required = p.configSchema.required;
        const validate = ajv.compile(schema);
        if (!validate(config[p.name]?.properties ?? {})) {
            for (const e of validate.errors ?? [])
                problems.push(
                    `${p.name}: ${(e.instancePath || "").replace(/^\//, "").replace(/\//g, ".") || "(root)"} ` +
                        e.message,
                );
        }
    }
    if (problems.length)
        throw new PolicyHostError(
            `error: validating policy config: ${info.name} ${info.version}\n  - ${problems.join("\n  - ")}`,
        );
}

/**
 * What a reconciled config does with webstack's pack that its author probably did not mean: entries for names the pack
 * does not serve (a check's name among them, as configs before 0.2.0 were written), checks listed in
 * `stack-checks-advisory` while it stays disabled (its default level), and checks both composites run (each finding
 * would come twice, once per level). Empty for other packs and for consistent configs. Reads the check names from the
 * strict composite's schema as the host served it, so the pack itself is not loaded into the plan.
 */
export function compositeConfigWarnings(info: AnalyzerInfo, config: Record<string, PolicyConfig>): string[] {
    const served = info.policies.find((p) => p.name === STRICT_COMPOSITE);
    const all = served?.configSchema?.properties?.[SELECTOR["unless-disabled"]]?.items?.enum;
    const strict = config[STRICT_COMPOSITE];
    const advisory = config[ADVISORY_COMPOSITE];
    if (!Array.isArray(all) || !strict || !advisory) return [];
    return [...unservedEntries(info, config, all as string[]), ...levelWarnings(all as string[], strict, advisory)];
}

/**
 * Entries for a name the pack does not serve, which the CLI keeps without a word (pulumi/pulumi@070757c
 * pkg/resource/analyzer/config.go: applyConfig adds every name it is given, validatePolicyPackConfig validates only
 * the policies the pack serves), so they do nothing. A check's own name was a policy of its own before webstack 0.2.0:
 * the warning says where its level and knobs go now.
 */
function unservedEntries(info: AnalyzerInfo, config: Record<string, PolicyConfig>, checks: string[]): string[] {
    const servedNames = new Set(info.policies.map((p) => p.name));
    const warnings: string[] = [];
    for (const [name, entry] of Object.entries(config)) {
        if (servedNames.has(name) || name === "all") continue;
        const ignored =
            `policy config: "${name}" is not a policy of ${info.name} ${info.version}, ` +
            "so the CLI ignores its entry";
        if (!checks.includes(name)) {
            warnings.push(`${ignored}; remove it or correct its name.`);
            continue;
        }
        const knobs = Object.keys(entry.properties ?? {}).length > 0;
        const fix =
            entry.enforcementLevel === "disabled"
                ? `to keep it off, list it in ${STRICT_COMPOSITE}'s disabledChecks`
                : entry.enforcementLevel === "advisory"
                  ? `to keep it advisory, list it in ${ADVISORY_COMPOSITE}'s checks ` +
                    `(with "enforcementLevel": "advisory") and in ${STRICT_COMPOSITE}'s disabledChecks` +
                    (knobs ? `, and move its knobs to ${ADVISORY_COMPOSITE}'s "${name}" entry` : "")
                  : knobs
                    ? `move its knobs to ${STRICT_COMPOSITE}'s "${name}" entry`
                    : `${STRICT_COMPOSITE} runs it as mandatory already; remove the entry`;
        warnings.push(`${ignored}: it is a check that ${STRICT_COMPOSITE} runs; ${fix}.`);
    }
    return warnings;
}

/** Checks listed for an advisory composite that stays disabled, and checks both composites run. */
function levelWarnings(all: string[], strict: PolicyConfig, advisory: PolicyConfig): string[] {
    const listed = checksRun("listed", all, advisory.properties ?? {});
    if (listed.length === 0) return [];
    const quoted = (names: string[]) => names.map((n) => `"${n}"`).join(", ");
    if (advisory.enforcementLevel === "disabled")
        return [
            `policy config: ${ADVISORY_COMPOSITE} lists ${quoted(listed)} but is disabled (its default level), ` +
                `so it does not run them; set "enforcementLevel": "advisory" in its entry.`,
        ];
    if (strict.enforcementLevel === "disabled") return [];
    const strictRuns = checksRun("unless-disabled", all, strict.properties ?? {});
    const twice = listed.filter((c) => strictRuns.includes(c));
    return twice.length === 0
        ? []
        : [
              `policy config: ${quoted(twice)} run in both ${STRICT_COMPOSITE} (${strict.enforcementLevel}) ` +
                  `and ${ADVISORY_COMPOSITE} (${advisory.enforcementLevel}), so each of their findings comes twice; ` +
                  `list them in ${STRICT_COMPOSITE}'s disabledChecks.`,
          ];
}
