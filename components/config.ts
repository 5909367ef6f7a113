// Stack configuration: parse every `webstack:*` key, validate all of them, report every problem at once,
// and resolve the tier's defaults into concrete settings. Pure: no Pulumi engine needed to call it.
import catalog from "./catalog.json";
import { TIER_PROFILES, TIERS, Tier } from "./tiers";

export const NAMESPACE = "webstack";
export const ENVIRONMENTS = ["Development", "Staging", "Production"] as const;
export const CERTIFICATE_KINDS = ["lets_encrypt", "custom"] as const;
export const LOAD_BALANCER_ENGINES = ["managed", "haproxy"] as const;
export const HAPROXY_ALGORITHMS = ["roundrobin", "leastconn"] as const;

/** A DigitalOcean droplet autoscale pool instead of a fixed count. */
export interface AutoscaleSettings {
    readonly min: number;
    readonly max: number;
    /** Target average CPU utilization, percent. */
    readonly targetCpu: number;
}
/** A pool of droplets of one role: a fixed count, or autoscaled between min and max. */
export interface PoolSettings {
    readonly count: number;
    readonly size: string;
    readonly autoscale?: AutoscaleSettings;
}
export type Environment = (typeof ENVIRONMENTS)[number];

/** Everything the program builds from, with the tier's defaults already applied. */
export interface StackSettings {
    readonly stack: string;
    readonly tier: Tier;
    readonly region: string;
    readonly domain: string;
    readonly environment: Environment;
    readonly vpcIpRange: string;
    readonly sshKeys: readonly string[];
    readonly adminCidrs: readonly string[];
    readonly alerts: { readonly emails: readonly string[]; readonly slack?: { readonly channel: string; readonly url: string } };
    readonly app: { readonly image: string; readonly port: number };
    readonly web: PoolSettings;
    readonly appPool?: PoolSettings;
    readonly loadBalancer?:
        | { readonly engine: "managed"; readonly count: number; readonly sizeUnit: number }
        | { readonly engine: "haproxy"; readonly count: number; readonly size: string; readonly algorithm: (typeof HAPROXY_ALGORITHMS)[number] };
    readonly database?: { readonly size: string; readonly standbyNodes: number; readonly readReplicas: number; readonly protect: boolean };
    readonly cache?: { readonly size: string };
    readonly staticAssets: boolean;
    /** Lets an update delete or replace data-bearing resources the previous update had. */
    readonly allowDataLoss: boolean;
    readonly firewalls: boolean;
    readonly monitoring: boolean;
    readonly certificate?:
        | { readonly kind: "lets_encrypt" }
        | { readonly kind: "custom"; readonly privateKey: string; readonly leafCertificate: string; readonly certificateChain?: string };
}

/** The error `pulumi up` shows: every problem, one per line, no stack trace. */
export class ConfigError extends Error {
    constructor(
        readonly stack: string,
        readonly problems: readonly string[],
    ) {
        super(`Invalid configuration for stack "${stack}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
        this.name = "ConfigError";
    }
}

// Keys and their sub-keys; `null` marks a scalar or list key.
const KEYS: Record<string, readonly string[] | null> = {
    tier: null,
    region: null,
    domain: null,
    environment: null,
    vpcIpRange: null,
    sshKeys: null,
    adminCidrs: null,
    alerts: ["emails", "slackChannel"],
    alertEmail: null,
    slackWebhookUrl: null,
    app: ["image", "port", "count", "size", "autoscale"],
    web: ["count", "size", "autoscale"],
    database: ["size", "standbyNodes", "readReplicas", "protect"],
    loadBalancer: ["count", "sizeUnit", "engine", "algorithm", "size"],
    certificate: ["kind"],
    tlsPrivateKey: null,
    tlsCertificate: null,
    tlsCertificateChain: null,
    cache: ["enabled", "size"],
    staticAssets: ["enabled"],
    allowDataLoss: null,
};
const SECRET_KEYS = ["slackWebhookUrl", "tlsPrivateKey"];

/** One sentence per key for the README's configuration table (a test checks every key has one). */
export const CONFIG_DOCS: Record<string, string> = {
    tier: "0 simple, 1 distributed, 2 secured and monitored, 3 scale-up. Required.",
    region: "DigitalOcean region; must offer managed MySQL and Valkey (and Spaces when static assets are on).",
    domain: "Apex domain whose DNS DigitalOcean hosts (delegate its NS records to ns1-3.digitalocean.com). Required.",
    environment: "DigitalOcean project environment: Development, Staging or Production.",
    vpcIpRange: "Private IPv4 range of the VPC, RFC 1918, /16 to /24. Changing it replaces the VPC and the database.",
    sshKeys: "SSH key fingerprints or ids for root on every droplet (list, or comma-separated text). Required.",
    adminCidrs: "CIDRs allowed to SSH from tier 2; empty closes port 22. /0 is refused.",
    "alerts.emails": "E-mail addresses that receive alerts; at least one target is required from tier 2.",
    "alerts.slackChannel": "Slack channel for alerts; needs webstack:slackWebhookUrl.",
    alertEmail: "One alert e-mail as plain text (what `pulumi new` prompts for); added to alerts.emails.",
    slackWebhookUrl: "Slack incoming-webhook URL; secret (`--secret`).",
    "app.image": "Container image of the app.",
    "app.port": "Port the app container listens on (1024 to 65535).",
    "app.count": "App droplets behind the internal load balancer (tier 2+), 2 to 1,000 (your account's droplet limit applies).",
    "app.size": "App droplet size slug (tier 2+).",
    "app.autoscale":
        "`{min, max, targetCpu}`: a DigitalOcean autoscale pool (min 1 to 50, max up to 50, target CPU 10 to 90 %) instead of app.count (tier 2+).",
    "web.count": "Web droplets: exactly 1 at tier 0, 2 to 1,000 above (your account's droplet limit applies).",
    "web.size": "Web droplet size slug; at least 2 GB at tier 0 (MySQL shares the droplet).",
    "web.autoscale": "`{min, max, targetCpu}`: a DigitalOcean autoscale pool instead of web.count (tier 1+, managed load balancers only).",
    "database.size": "Managed MySQL plan for the primary, standby nodes and replicas (tier 1+).",
    "database.standbyNodes": "Standby nodes, 0 to 2: automatic failover, removes the primary-database SPOF; needs a 2 GB plan.",
    "database.readReplicas": "Read-only replicas, 0 to 5 (read scaling, not failover).",
    "database.protect": "Protects the cluster, replicas, cache and static-assets bucket against deletion and replacement.",
    "loadBalancer.count": "Public load balancers, 1 to 10; several run active-active behind DNS.",
    "loadBalancer.sizeUnit": "Nodes per managed load balancer, 1 to 200 (about 10,000 requests/s each).",
    "loadBalancer.engine": "managed (DigitalOcean load balancers) or haproxy (self-managed HAProxy droplets with reserved IPs).",
    "loadBalancer.algorithm": "HAProxy balancing: roundrobin or leastconn (haproxy engine only).",
    "loadBalancer.size": "HAProxy droplet size slug (haproxy engine only).",
    "certificate.kind": "lets_encrypt (DigitalOcean DNS must host the domain) or custom (tier 2+).",
    tlsPrivateKey: "PEM private key of a custom certificate; secret.",
    tlsCertificate: "PEM leaf certificate of a custom certificate.",
    tlsCertificateChain: "PEM chain of a custom certificate (optional).",
    "cache.enabled": "Managed Valkey cache trusted only by the app servers (tier 2+).",
    "cache.size": "Valkey plan.",
    "staticAssets.enabled": "Private versioned Spaces bucket + CDN for static assets (tier 1+).",
    allowDataLoss:
        "Lets an update delete or replace data-bearing resources the previous update had (database, replicas, cache, bucket, tier 0's MySQL droplet), e.g. a tier downgrade or leaving tier 0. Set it for that one update only.",
};

/** Every configuration path, structured keys expanded (`web.count`, …), in documentation order. */
export const CONFIG_PATHS: readonly string[] = Object.entries(KEYS).flatMap(([key, subs]) => (subs ? subs.map((s) => `${key}.${s}`) : [key]));

const DNS_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const IMAGE = /^[a-z0-9][a-z0-9._\-/:@]*$/i;

/** A key as printed in a problem: control characters (line breaks, tabs) escaped, so a problem stays on one line. */
const keyLabel = (key: string): string => key.replace(/[\u0000-\u001f\u007f]/g, (c) => JSON.stringify(c).slice(1, -1));
/** A key in a fix command. */
const shellKey = (key: string): string => `'${keyLabel(key)}'`;
const show = (value: unknown): string =>
    typeof value === "string" ? JSON.stringify(value) : typeof value === "number" && !Number.isFinite(value) ? `"${value}"` : `"${JSON.stringify(value)}"`;
const quoteAll = (values: readonly (string | number)[]): string => {
    const q = values.map((v) => `"${v}"`);
    return q.length <= 1 ? q.join("") : `${q.slice(0, -1).join(", ")} or ${q[q.length - 1]}`;
};

/** Pulumi passes structured config as JSON text and scalars as plain text. */
function decode(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        return text;
    }
}

function parseCidr(text: string): { v4: boolean; bits: number; octets?: number[] } | undefined {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
    if (v4) {
        const octets = v4.slice(1, 5).map(Number);
        const bits = Number(v4[5]);
        return octets.every((o) => o <= 255) && bits <= 32 ? { v4: true, bits, octets } : undefined;
    }
    const v6 = /^([0-9a-f:]+)\/(\d{1,3})$/i.exec(text);
    if (v6 && v6[1].includes(":") && Number(v6[2]) <= 128) return { v4: false, bits: Number(v6[2]) };
    return undefined;
}

function isPrivateRange(octets: number[]): boolean {
    const [a, b] = octets;
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/**
 * Parses and validates the `webstack:*` keys of a stack (values as the Pulumi CLI passes them: strings,
 * structured values as JSON). Throws one ConfigError listing every problem.
 */
export function parseStackConfig(stack: string, raw: Readonly<Record<string, string>>, secretKeys: ReadonlySet<string> = new Set()): StackSettings {
    const problems: string[] = [];
    const values: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(raw)) {
        if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
        const key = fullKey.slice(NAMESPACE.length + 1);
        if (!Object.hasOwn(KEYS, key)) {
            problems.push(`${keyLabel(fullKey)}: unknown key; allowed keys are ${quoteAll(Object.keys(KEYS))}. Fix: pulumi config rm ${shellKey(fullKey)}`);
            continue;
        }
        values[key] = decode(text);
    }
    // `pulumi new` prompts give plain text: SSH keys as a comma-separated list, one alert e-mail.
    if (typeof values.sshKeys === "string" || typeof values.sshKeys === "number") {
        values.sshKeys = String(values.sshKeys)
            .split(",")
            .map((k) => k.trim())
            .filter((k) => k !== "");
    }
    const path = (key: string) => `${NAMESPACE}:${key}`;
    const setCmd = (key: string, example: string | number) =>
        key.includes(".") || key.includes("[") ? `pulumi config set --path '${path(key)}' ${example}` : `pulumi config set ${path(key)} ${example}`;

    // Structured keys: must be objects with known sub-keys.
    const objects: Record<string, Record<string, unknown>> = {};
    for (const [key, subKeys] of Object.entries(KEYS)) {
        if (!subKeys) continue;
        const value = values[key];
        if (value === undefined) {
            objects[key] = {};
        } else if (typeof value !== "object" || value === null || Array.isArray(value)) {
            problems.push(
                `${path(key)}: expected an object with keys ${quoteAll(subKeys)}; got ${show(value)}. Fix: pulumi config set --path '${path(key)}.${subKeys[0]}' <value>`,
            );
            objects[key] = {};
        } else {
            objects[key] = value as Record<string, unknown>;
            for (const sub of Object.keys(value)) {
                if (!subKeys.includes(sub)) {
                    problems.push(
                        `${keyLabel(path(`${key}.${sub}`))}: unknown key; allowed keys are ${quoteAll(subKeys)}. Fix: pulumi config rm --path ${shellKey(path(`${key}.${sub}`))}`,
                    );
                }
            }
        }
    }
    for (const key of SECRET_KEYS) {
        if (values[key] !== undefined && !secretKeys.has(path(key))) {
            problems.push(`${path(key)}: must be stored encrypted; it is in plain text. Fix: pulumi config set --secret ${path(key)} <value>`);
        }
    }

    const get = (key: string): unknown => {
        const [top, sub] = key.split(".");
        return sub === undefined ? values[top] : objects[top][sub];
    };
    const given = (key: string) => get(key) !== undefined;

    function integer(key: string, fallback: number, min: number, max: number, context = ""): number {
        const value = get(key);
        if (value === undefined) return fallback;
        if (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max) {
            const example = Math.min(Math.max(fallback, min), max);
            problems.push(`${path(key)}: must be an integer from ${min} to ${max}${context}; got ${show(value)}. Fix: ${setCmd(key, example)}`);
            return fallback;
        }
        return value;
    }
    function oneOf<T extends string>(key: string, fallback: T, allowed: readonly T[], what = ""): T {
        const value = get(key);
        if (value === undefined) return fallback;
        if (typeof value !== "string" || !allowed.includes(value as T)) {
            const list = allowed.length > 20 ? `one of ${allowed.length} ${what} (e.g. ${quoteAll(allowed.slice(0, 4))})` : quoteAll(allowed);
            problems.push(`${path(key)}: expected ${list}; got ${show(value)}. Fix: ${setCmd(key, fallback)}`);
            return fallback;
        }
        return value as T;
    }
    function bool(key: string, fallback: boolean): boolean {
        const value = get(key);
        if (value === undefined) return fallback;
        if (typeof value !== "boolean") {
            problems.push(`${path(key)}: expected true or false; got ${show(value)}. Fix: ${setCmd(key, fallback ? "true" : "false")}`);
            return fallback;
        }
        return value;
    }
    function stringList(key: string, check: (s: string) => string | undefined, example: string): string[] {
        const value = get(key);
        if (value === undefined) return [];
        if (!Array.isArray(value)) {
            problems.push(`${path(key)}: expected a list; got ${show(value)}. Fix: pulumi config set --path '${path(key)}[0]' ${example}`);
            return [];
        }
        if (value.length > 50) {
            problems.push(`${path(key)}: expected at most 50 entries; got ${value.length}. Fix: pulumi config set --path '${path(key)}' with fewer entries`);
            return [];
        }
        const out: string[] = [];
        value.forEach((item, i) => {
            const why = typeof item === "string" ? check(item) : "expected text";
            if (why) problems.push(`${path(key)}[${i}]: ${why}; got ${show(item)}. Fix: pulumi config set --path '${path(key)}[${i}]' ${example}`);
            else out.push(item as string);
        });
        return out;
    }
    const onlyFrom = (key: string, minTier: number, tier: Tier, why: string) => {
        if (tier < minTier && given(key)) {
            problems.push(
                `${path(key)}: applies only at tier ${minTier} and above (${why}); got ${show(get(key))} at tier ${tier}. Fix: pulumi config rm --path '${path(key)}'`,
            );
        }
    };

    // --- tier first: every default depends on it.
    let tier: Tier = 0;
    const rawTier = values.tier;
    if (rawTier === undefined) {
        problems.push(`${path("tier")}: required; expected ${quoteAll(TIERS)}. Fix: pulumi config set ${path("tier")} 0`);
    } else if (!TIERS.includes(rawTier as Tier)) {
        problems.push(
            `${path("tier")}: expected ${quoteAll(TIERS)}; got ${show(rawTier)}. Fix: pulumi config set ${path("tier")} ${Math.min(Math.max(Math.trunc(Number(rawTier)) || 0, 0), 3)}`,
        );
    } else {
        tier = rawTier as Tier;
    }
    const profile = TIER_PROFILES[tier];

    const region = oneOf("region", "nyc3", catalog.regions, "regions");
    const domainValue = values.domain;
    let domain = "example.com";
    if (domainValue === undefined) {
        problems.push(
            `${path("domain")}: required; the DNS zone DigitalOcean will host (e.g. "example.com"). Fix: pulumi config set ${path("domain")} example.com`,
        );
    } else if (typeof domainValue !== "string" || !DNS_NAME.test(domainValue)) {
        problems.push(
            `${path("domain")}: expected a lower-case DNS name such as "example.com"; got ${show(domainValue)}. Fix: pulumi config set ${path("domain")} example.com`,
        );
    } else {
        domain = domainValue;
    }
    const environment = oneOf("environment", "Development", ENVIRONMENTS);

    let vpcIpRange = "10.10.0.0/16";
    if (values.vpcIpRange !== undefined) {
        const cidr = typeof values.vpcIpRange === "string" ? parseCidr(values.vpcIpRange) : undefined;
        if (!cidr || !cidr.v4 || !isPrivateRange(cidr.octets!) || cidr.bits < 16 || cidr.bits > 24) {
            problems.push(
                `${path("vpcIpRange")}: expected a private (RFC 1918) IPv4 range from /16 to /24 such as "10.10.0.0/16"; got ${show(values.vpcIpRange)}. Fix: pulumi config set ${path("vpcIpRange")} 10.10.0.0/16`,
            );
        } else {
            vpcIpRange = values.vpcIpRange as string;
        }
    }

    const sshKeys = stringList(
        "sshKeys",
        (s) => (FINGERPRINT.test(s) || /^\d{1,12}$/.test(s) ? undefined : "expected an SSH key fingerprint (16 colon-separated hex pairs) or a numeric key id"),
        "<fingerprint>",
    );
    if (values.sshKeys === undefined || (Array.isArray(values.sshKeys) && values.sshKeys.length === 0)) {
        problems.push(
            `${path("sshKeys")}: required; at least one SSH key fingerprint (DigitalOcean e-mails root passwords for droplets without keys). Fix: pulumi config set --path '${path("sshKeys[0]")}' <fingerprint from "doctl compute ssh-key list">`,
        );
    }
    const adminCidrs = stringList(
        "adminCidrs",
        (s) => {
            const cidr = parseCidr(s);
            if (!cidr) return 'expected an IPv4 or IPv6 CIDR such as "203.0.113.7/32"';
            if (cidr.bits === 0) return "SSH from the whole internet is refused; expected a CIDR narrower than /0";
            return undefined;
        },
        "203.0.113.7/32",
    );

    const emails = stringList("alerts.emails", (s) => (EMAIL.test(s) ? undefined : "expected an e-mail address"), "ops@example.com");
    if (values.alertEmail !== undefined) {
        if (typeof values.alertEmail === "string" && EMAIL.test(values.alertEmail)) emails.push(values.alertEmail);
        else
            problems.push(
                `${path("alertEmail")}: expected an e-mail address; got ${show(values.alertEmail)}. Fix: pulumi config set ${path("alertEmail")} ops@example.com`,
            );
    }
    const slackChannel = objects.alerts.slackChannel;
    const slackUrl = values.slackWebhookUrl;
    if (slackChannel !== undefined && (typeof slackChannel !== "string" || !/^#?[a-z0-9_-]{1,80}$/.test(slackChannel))) {
        problems.push(
            `${path("alerts.slackChannel")}: expected a Slack channel name such as "#ops"; got ${show(slackChannel)}. Fix: pulumi config set --path '${path("alerts.slackChannel")}' '#ops'`,
        );
    }
    if ((slackChannel === undefined) !== (slackUrl === undefined)) {
        problems.push(
            `${path(slackChannel === undefined ? "alerts.slackChannel" : "slackWebhookUrl")}: required when ${path(slackChannel === undefined ? "slackWebhookUrl" : "alerts.slackChannel")} is set; Slack alerts need both. Fix: ${slackChannel === undefined ? `pulumi config set --path '${path("alerts.slackChannel")}' '#ops'` : `pulumi config set --secret ${path("slackWebhookUrl")} https://hooks.slack.com/services/…`}`,
        );
    }
    if (slackUrl !== undefined && (typeof slackUrl !== "string" || !/^https:\/\/\S+$/.test(slackUrl))) {
        problems.push(
            `${path("slackWebhookUrl")}: expected an https:// webhook URL; got a value of type ${typeof slackUrl}. Fix: pulumi config set --secret ${path("slackWebhookUrl")} https://hooks.slack.com/services/…`,
        );
    }
    const slack = typeof slackChannel === "string" && typeof slackUrl === "string" ? { channel: slackChannel, url: slackUrl } : undefined;
    const emailsGiven = get("alerts.emails");
    if (profile.monitoring && slackChannel === undefined && values.alertEmail === undefined && !(Array.isArray(emailsGiven) && emailsGiven.length > 0)) {
        problems.push(
            `${path("alerts.emails")}: required at tier ${tier}; alert policies need at least one e-mail or Slack target. Fix: pulumi config set --path '${path("alerts.emails[0]")}' ops@example.com`,
        );
    }

    const image = objects.app.image;
    if (image !== undefined && (typeof image !== "string" || !IMAGE.test(image))) {
        problems.push(
            `${path("app.image")}: expected a container image reference such as "ghcr.io/acme/shop:1.4.2"; got ${show(image)}. Fix: pulumi config set --path '${path("app.image")}' ghcr.io/acme/shop:1.4.2`,
        );
    }
    const app = {
        image: typeof image === "string" && IMAGE.test(image) ? image : "ghcr.io/nginxinc/nginx-unprivileged:stable",
        port: integer("app.port", 8080, 1024, 65535, " (not 80, which nginx uses)"),
    };

    const droplets = Object.keys(catalog.dropletSizes);
    function autoscale(role: "web" | "app"): AutoscaleSettings | undefined {
        const key = `${role}.autoscale`;
        const value = get(key);
        if (value === undefined) return undefined;
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            problems.push(
                `${path(key)}: expected an object with keys "min", "max" and "targetCpu"; got ${show(value)}. Fix: pulumi config set --path '${path(`${key}.min`)}' 2`,
            );
            return undefined;
        }
        for (const sub of Object.keys(value)) {
            if (!["min", "max", "targetCpu"].includes(sub))
                problems.push(
                    `${keyLabel(path(`${key}.${sub}`))}: unknown key; allowed keys are "min", "max" or "targetCpu". Fix: pulumi config rm --path ${shellKey(path(`${key}.${sub}`))}`,
                );
        }
        const v = value as Record<string, unknown>;
        const num = (sub: string, fallback: number, min: number, max: number) => {
            const x = v[sub];
            if (x === undefined) return fallback;
            if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max) {
                problems.push(
                    `${path(`${key}.${sub}`)}: must be an integer from ${min} to ${max}; got ${show(x)}. Fix: ${setCmd(`${key}.${sub}`, Math.min(Math.max(fallback, min), max))}`,
                );
                return fallback;
            }
            return x;
        };
        const min = num("min", 2, 1, 50);
        const max = num("max", Math.max(min, 10), 1, 50);
        if (max < min)
            problems.push(`${path(`${key}.max`)}: must be at least ${role}.autoscale.min (${min}); got ${show(max)}. Fix: ${setCmd(`${key}.max`, min)}`);
        if (given(`${role}.count`))
            problems.push(
                `${path(`${role}.count`)}: conflicts with ${role}.autoscale; a pool is either fixed or autoscaled; got ${show(get(`${role}.count`))}. Fix: pulumi config rm --path '${path(`${role}.count`)}'`,
            );
        return { min, max, targetCpu: num("targetCpu", 60, 10, 90) };
    }
    onlyFrom("web.autoscale", 1, tier, "tier 0 is one server by design");
    const web =
        tier === 0
            ? {
                  count: integer("web.count", 1, 1, 1, " at tier 0 (one server; choose tier 1 for a pool)"),
                  size: oneOf("web.size", profile.web.size, droplets, "droplet sizes"),
              }
            : {
                  count: integer("web.count", profile.web.count, 2, 1000, ` at tier ${tier}`),
                  size: oneOf("web.size", profile.web.size, droplets, "droplet sizes"),
                  autoscale: autoscale("web"),
              };
    if (tier === 0 && web.size in catalog.dropletSizes && (catalog.dropletSizes as Record<string, number>)[web.size] < 2) {
        problems.push(
            `${path("web.size")}: must have at least 2 GB of memory at tier 0 (nginx, the app and MySQL share the droplet); got ${show(web.size)}. Fix: pulumi config set --path '${path("web.size")}' s-1vcpu-2gb`,
        );
    }

    for (const key of ["app.count", "app.size", "app.autoscale"]) onlyFrom(key, 2, tier, "web and app servers share droplets below tier 2");
    const appPool = profile.app && {
        count: integer("app.count", profile.app.count, 2, 1000, ` at tier ${tier}`),
        size: oneOf("app.size", profile.app.size, droplets, "droplet sizes"),
        autoscale: autoscale("app"),
    };

    for (const key of ["loadBalancer.count", "loadBalancer.sizeUnit", "loadBalancer.engine", "loadBalancer.algorithm", "loadBalancer.size"])
        onlyFrom(key, 1, tier, "tier 0 has no load balancer");
    let loadBalancer: StackSettings["loadBalancer"];
    if (profile.loadBalancer) {
        const engine = oneOf("loadBalancer.engine", "managed", LOAD_BALANCER_ENGINES);
        const count = integer("loadBalancer.count", profile.loadBalancer.count, 1, 10, ` at tier ${tier}`);
        if (engine === "managed") {
            for (const key of ["loadBalancer.algorithm", "loadBalancer.size"]) {
                if (given(key))
                    problems.push(
                        `${path(key)}: applies only to the haproxy engine (DigitalOcean load balancers choose their own); got ${show(get(key))}. Fix: pulumi config rm --path '${path(key)}'`,
                    );
            }
            loadBalancer = { engine, count, sizeUnit: integer("loadBalancer.sizeUnit", profile.loadBalancer.sizeUnit, 1, 200) };
        } else {
            if (given("loadBalancer.sizeUnit"))
                problems.push(
                    `${path("loadBalancer.sizeUnit")}: applies only to the managed engine; size HAProxy droplets with loadBalancer.size; got ${show(get("loadBalancer.sizeUnit"))}. Fix: pulumi config rm --path '${path("loadBalancer.sizeUnit")}'`,
                );
            if (web.autoscale)
                problems.push(
                    `${path("web.autoscale")}: needs the managed engine; HAProxy droplets list their backends' addresses, which an autoscale pool does not have in advance; got ${show(get("web.autoscale"))}. Fix: pulumi config set --path '${path("loadBalancer.engine")}' managed`,
                );
            loadBalancer = {
                engine,
                count,
                size: oneOf("loadBalancer.size", "s-1vcpu-1gb", droplets, "droplet sizes"),
                algorithm: oneOf("loadBalancer.algorithm", "roundrobin", HAPROXY_ALGORITHMS),
            };
        }
    }

    for (const key of ["database.size", "database.standbyNodes", "database.readReplicas", "database.protect"])
        onlyFrom(key, 1, tier, "MySQL runs on the droplet at tier 0");
    let database: StackSettings["database"];
    if (profile.database) {
        const standbyNodes = integer("database.standbyNodes", profile.database.standbyNodes, 0, 2);
        const sizes = catalog.mysqlSizesByNodeCount["1"];
        const size = oneOf("database.size", profile.database.size, sizes, "MySQL plans");
        const memory = (catalog.databaseMemoryGb as Record<string, number>)[size];
        if (standbyNodes > 0 && memory < 2) {
            problems.push(
                `${path("database.standbyNodes")}: standby nodes need a plan with at least 2 GB of memory; got ${standbyNodes} standby node(s) on ${show(size)}. Fix: pulumi config set --path '${path("database.size")}' db-s-1vcpu-2gb`,
            );
        }
        database = {
            size,
            standbyNodes,
            readReplicas: integer("database.readReplicas", profile.database.readReplicas, 0, 5),
            protect: bool("database.protect", true),
        };
    }

    onlyFrom("cache.enabled", 2, tier, "the cache is trusted by the app servers' tag, which exists from tier 2");
    onlyFrom("cache.size", 2, tier, "the cache is trusted by the app servers' tag, which exists from tier 2");
    const cacheEnabled = tier >= 2 && bool("cache.enabled", profile.cache !== undefined);
    const cache = cacheEnabled
        ? { size: oneOf("cache.size", profile.cache?.size ?? "db-s-1vcpu-1gb", catalog.valkeySizesByNodeCount["1"], "Valkey plans") }
        : undefined;

    onlyFrom("staticAssets.enabled", 1, tier, "static assets are served beside a load balanced site");
    const staticAssets = tier >= 1 && bool("staticAssets.enabled", profile.staticAssets);
    if (staticAssets && !catalog.spacesRegions.includes(region)) {
        problems.push(
            `${path("region")}: Spaces (static assets) is not offered in ${show(region)}; expected ${quoteAll(catalog.spacesRegions)}. Fix: pulumi config set ${path("region")} nyc3, or pulumi config set --path '${path("staticAssets.enabled")}' false`,
        );
    }

    for (const key of ["certificate.kind", "tlsPrivateKey", "tlsCertificate", "tlsCertificateChain"])
        onlyFrom(key, 2, tier, "TLS is terminated at the load balancer from tier 2");
    let certificate: StackSettings["certificate"];
    if (profile.tls) {
        const kind = oneOf("certificate.kind", "lets_encrypt", CERTIFICATE_KINDS);
        const material = { privateKey: values.tlsPrivateKey, leafCertificate: values.tlsCertificate, certificateChain: values.tlsCertificateChain };
        if (kind === "custom") {
            for (const [name, key] of [
                ["tlsPrivateKey", "privateKey"],
                ["tlsCertificate", "leafCertificate"],
            ] as const) {
                if (typeof material[key] !== "string" || !String(material[key]).includes("-----BEGIN")) {
                    problems.push(
                        `${path(name)}: required as PEM text when certificate.kind is "custom"; got ${material[key] === undefined ? "nothing" : name === "tlsPrivateKey" ? "a value that is not PEM" : show(material[key])}. Fix: ${name === "tlsPrivateKey" ? "pulumi config set --secret" : "pulumi config set"} ${path(name)} < ${name === "tlsPrivateKey" ? "privkey.pem" : "cert.pem"}`,
                    );
                }
            }
            certificate = {
                kind,
                privateKey: String(material.privateKey),
                leafCertificate: String(material.leafCertificate),
                certificateChain: typeof material.certificateChain === "string" ? material.certificateChain : undefined,
            };
        } else {
            for (const name of ["tlsPrivateKey", "tlsCertificate", "tlsCertificateChain"]) {
                if (values[name] !== undefined)
                    problems.push(
                        `${path(name)}: used only when certificate.kind is "custom"; got a value with kind "lets_encrypt". Fix: pulumi config rm ${path(name)}`,
                    );
            }
            certificate = { kind };
        }
    }

    const allowDataLoss = bool("allowDataLoss", false);
    if (problems.length > 0) throw new ConfigError(stack, problems);
    return {
        stack,
        tier,
        region,
        domain,
        environment,
        vpcIpRange,
        sshKeys,
        adminCidrs,
        alerts: { emails, slack },
        app,
        web,
        appPool,
        loadBalancer,
        database,
        cache,
        staticAssets,
        allowDataLoss,
        firewalls: profile.firewalls,
        monitoring: profile.monitoring,
        certificate,
    };
}
