// Stack configuration as the Pulumi CLI hands it to a program: `Pulumi.yaml` project defaults, overlaid with
// `Pulumi.<stack>.yaml`, then `--config` overrides. Values become strings exactly as the CLI passes them
// (scalars as text, maps and lists JSON-encoded). Secrets cannot be decrypted offline: their keys are marked
// secret and a placeholder stands in for the value.
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";

export const SECRET_PLACEHOLDER = "offline-plan-secret";

export interface StackConfig {
    project: string;
    stack: string;
    /** `namespace:key` → value as the CLI passes it in PULUMI_CONFIG. */
    config: Record<string, string>;
    /** Keys whose value is (or contains) a secret. */
    secretKeys: string[];
    /** Files read, for messages. */
    files: string[];
    /** The program's entry point, resolved from `main` in Pulumi.yaml (default: the project directory). */
    main: string;
}

/** A usage or configuration problem: the plan prints the message and exits 2. */
export class PlanConfigError extends Error {}

export interface ConfigOverride {
    key: string;
    value: string;
    /** Like `pulumi config set --path`: the key holds a path into a structured value. */
    path?: boolean;
}

function yamlParse(text: string, file: string): any {
    try {
        return YAML.parse(text);
    } catch (err) {
        throw new PlanConfigError(`error: could not parse ${file}: ${(err as Error).message}`);
    }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A `{secure: ciphertext}` value, as `pulumi config set --secret` writes it. */
const isSecure = (v: unknown): boolean => isObject(v) && Object.keys(v).length === 1 && typeof v.secure === "string";

/** Replaces every secure value by the placeholder; reports whether there was one. */
function unsecure(value: unknown): { value: unknown; secret: boolean } {
    if (isSecure(value)) return { value: SECRET_PLACEHOLDER, secret: true };
    if (Array.isArray(value)) {
        const parts = value.map(unsecure);
        return { value: parts.map((p) => p.value), secret: parts.some((p) => p.secret) };
    }
    if (isObject(value)) {
        let secret = false;
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const p = unsecure(v);
            out[k] = p.value;
            secret ||= p.secret;
        }
        return { value: out, secret };
    }
    return { value, secret: false };
}

/** The string the CLI puts in PULUMI_CONFIG for a config value. */
export function cliString(value: unknown): string {
    if (typeof value === "string") return value;
    if (value === null || value === undefined) return "";
    if (typeof value === "object") return JSON.stringify(value);
    return String(value);
}

/** Namespaced config (`{tier: 2}` → `{"webstack:tier": "2"}`) as the CLI passes it to a program. */
export function encodeConfig(config: Record<string, unknown>, namespace = "webstack"): Record<string, string> {
    return Object.fromEntries(Object.entries(config).map(([k, v]) => [`${namespace}:${k}`, cliString(v)]));
}

/** Like the CLI's `config.ParseKey`: `ns:name`, or a bare name that belongs to the project (Pulumi.yaml only). */
function qualify(key: string, project: string, file: string, allowBare: boolean): string {
    if (key.includes(":")) return key;
    if (allowBare) return `${project}:${key}`;
    throw new PlanConfigError(
        `error: ${file}: could not parse "${key}" as a configuration key ` +
            "(configuration keys should be of the form `<namespace>:<name>`)",
    );
}

const SCHEMA_KEYS = new Set(["type", "description", "default", "secret", "items", "value"]);

/** Project-level config in Pulumi.yaml: `key: value` (short form) or `key: {type, default, …}`. */
function projectDefaults(projectConfig: unknown, project: string, file: string): Map<string, unknown> {
    const out = new Map<string, unknown>();
    if (!isObject(projectConfig)) return out;
    for (const [rawKey, spec] of Object.entries(projectConfig)) {
        const key = qualify(rawKey, project, file, true);
        if (isObject(spec) && Object.keys(spec).length > 0 && Object.keys(spec).every((k) => SCHEMA_KEYS.has(k))) {
            if ("default" in spec) out.set(key, spec.default);
            else if ("value" in spec) out.set(key, spec.value);
        } else {
            out.set(key, spec);
        }
    }
    return out;
}

/** Parses a `--config` value the way `pulumi config set --path` stores it: booleans and integers typed. */
function typedPathValue(text: string): unknown {
    if (text === "true") return true;
    if (text === "false") return false;
    if (/^-?(0|[1-9][0-9]*)$/.test(text)) return Number(text);
    return text;
}

function setPath(root: unknown, segments: string[], value: unknown): unknown {
    if (segments.length === 0) return value;
    const [head, ...rest] = segments;
    const index = /^\[(\d+)\]$/.exec(head);
    if (index) {
        const list = Array.isArray(root) ? [...root] : [];
        list[Number(index[1])] = setPath(list[Number(index[1])], rest, value);
        return list;
    }
    const obj = isObject(root) ? { ...root } : {};
    obj[head] = setPath(obj[head], rest, value);
    return obj;
}

/** Splits `ns:a.b[0].c` into the key `ns:a` and the path segments `b`, `[0]`, `c`. */
function splitPath(key: string): { key: string; segments: string[] } {
    const parts = key.split(/\.|(?=\[)/).filter((p) => p.length > 0);
    return { key: parts[0], segments: parts.slice(1) };
}

export interface LoadOptions {
    /** The project directory (holds Pulumi.yaml). */
    cwd: string;
    stack: string;
    /** Overrides `<project>:tier`. */
    tier?: string;
    overrides?: readonly ConfigOverride[];
    /** Use this file instead of Pulumi.<stack>.yaml (the CLI's --config-file). */
    configFile?: string;
    /**
     * For secret keys the program validates by shape (a webhook URL, a PEM key): `namespace:key` → a stand-in of
     * that shape, given the placeholder. Without one, a stack holding such a secret could never be planned offline.
     */
    shapedPlaceholders?: Readonly<Record<string, (placeholder: string) => string>>;
}

/** A project as Pulumi.yaml declares it: its name, its program's entry point, its config block. */
export interface ProjectFile {
    file: string;
    project: string;
    /** The program's entry point, resolved from `main` (default: the project directory). */
    main: string;
    config: unknown;
}

/** Reads DIR/Pulumi.yaml as the CLI does. */
export function readProjectFile(cwd: string): ProjectFile {
    const file = path.join(cwd, "Pulumi.yaml");
    if (!fs.existsSync(file)) throw new PlanConfigError(`error: no Pulumi.yaml project file found in ${cwd}`);
    const projectYaml = yamlParse(fs.readFileSync(file, "utf8"), "Pulumi.yaml");
    if (!isObject(projectYaml) || typeof projectYaml.name !== "string") {
        throw new PlanConfigError("error: Pulumi.yaml: project is missing a 'name' attribute");
    }
    const main = path.resolve(cwd, typeof projectYaml.main === "string" ? projectYaml.main : ".");
    return { file, project: projectYaml.name, main, config: projectYaml.config };
}

/** Reads Pulumi.yaml and Pulumi.<stack>.yaml into the config map the CLI would pass to the program. */
export function loadStackConfig(opts: LoadOptions): StackConfig {
    const { file: projectFile, project, main, config: projectConfig } = readProjectFile(opts.cwd);
    const stackFile = opts.configFile
        ? path.resolve(opts.configFile)
        : path.join(opts.cwd, `Pulumi.${opts.stack}.yaml`);
    const stackFileName = path.basename(stackFile);
    if (!fs.existsSync(stackFile)) {
        throw new PlanConfigError(
            opts.configFile
                ? `error: config file ${opts.configFile} does not exist`
                : `error: no stack named '${opts.stack}' found: ${stackFileName} does not exist in ${opts.cwd}`,
        );
    }
    const stackYaml = yamlParse(fs.readFileSync(stackFile, "utf8"), stackFileName) ?? {};
    if (!isObject(stackYaml)) throw new PlanConfigError(`error: ${stackFileName}: expected a mapping at the top level`);

    const values = projectDefaults(projectConfig, project, "Pulumi.yaml");
    if (stackYaml.config !== undefined && stackYaml.config !== null) {
        if (!isObject(stackYaml.config))
            throw new PlanConfigError(`error: ${stackFileName}: 'config' must be a mapping`);
        for (const [rawKey, value] of Object.entries(stackYaml.config)) {
            values.set(qualify(rawKey, project, stackFileName, false), value);
        }
    }
    for (const o of opts.overrides ?? []) {
        if (o.path) {
            const { key, segments } = splitPath(o.key);
            const qualified = qualify(key, project, "--config", true);
            const current = values.get(qualified);
            let base: unknown = current;
            if (typeof current === "string" && segments.length > 0) {
                try {
                    base = JSON.parse(current);
                } catch {
                    base = undefined;
                }
            }
            values.set(qualified, setPath(base, segments, typedPathValue(o.value)));
        } else {
            values.set(qualify(o.key, project, "--config", true), o.value);
        }
    }
    if (opts.tier !== undefined) values.set(`${project}:tier`, opts.tier);

    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, raw] of values) {
        const { value, secret } = unsecure(raw);
        const shaped = secret && value === SECRET_PLACEHOLDER ? opts.shapedPlaceholders?.[key] : undefined;
        config[key] = shaped ? shaped(SECRET_PLACEHOLDER) : cliString(value);
        if (secret) secretKeys.push(key);
    }
    return { project, stack: opts.stack, config, secretKeys, files: [projectFile, stackFile], main };
}
