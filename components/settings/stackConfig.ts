// Stack configuration: parse every `webstack:*` key, validate all of them, report every problem at once,
// and resolve the tier's defaults into concrete settings. Pure: no Pulumi engine needed to call it.
import catalog from "./doCatalog.json";
import { ConfigReader, quoteAll, show } from "./configReader";
import { KEYS, SECRET_KEYS } from "./configKeys";
import { TIER_PROFILES, TIERS, Tier, TierProfile } from "./tiers";
import { isImageReference } from "../hostConfig/checks";
import { formatProblems } from "../problems";

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
        super(`Invalid configuration for stack "${stack}":\n${formatProblems(problems)}`);
        this.name = "ConfigError";
    }
}

const DNS_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const DROPLET_SIZES = Object.keys(catalog.dropletSizes);

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

/** The tier comes first: every default depends on it. An invalid or missing tier is reported and read as 0. */
function readTier(r: ConfigReader): Tier {
    const value = r.values.tier;
    if (value === undefined) {
        r.problem(`${r.path("tier")}: required; expected ${quoteAll(TIERS)}. Fix: pulumi config set ${r.path("tier")} 0`);
    } else if (!TIERS.includes(value as Tier)) {
        r.problem(
            `${r.path("tier")}: expected ${quoteAll(TIERS)}; got ${show(value)}. Fix: pulumi config set ${r.path("tier")} ${Math.min(Math.max(Math.trunc(Number(value)) || 0, 0), 3)}`,
        );
    } else {
        return value as Tier;
    }
    return 0;
}

/** Region, domain, environment, VPC range, SSH keys and admin CIDRs. */
function readSite(r: ConfigReader) {
    const region = r.oneOf("region", "nyc3", catalog.regions, "regions");
    const domainValue = r.values.domain;
    let domain = "example.com";
    if (domainValue === undefined) {
        r.problem(
            `${r.path("domain")}: required; the DNS zone DigitalOcean will host (e.g. "example.com"). Fix: pulumi config set ${r.path("domain")} example.com`,
        );
    } else if (typeof domainValue !== "string" || !DNS_NAME.test(domainValue)) {
        r.problem(
            `${r.path("domain")}: expected a lower-case DNS name such as "example.com"; got ${show(domainValue)}. Fix: pulumi config set ${r.path("domain")} example.com`,
        );
    } else {
        domain = domainValue;
    }
    const environment = r.oneOf("environment", "Development", ENVIRONMENTS);

    let vpcIpRange = "10.10.0.0/16";
    const range = r.values.vpcIpRange;
    if (range !== undefined) {
        const cidr = typeof range === "string" ? parseCidr(range) : undefined;
        if (!cidr || !cidr.v4 || !isPrivateRange(cidr.octets!) || cidr.bits < 16 || cidr.bits > 24) {
            r.problem(
                `${r.path("vpcIpRange")}: expected a private (RFC 1918) IPv4 range from /16 to /24 such as "10.10.0.0/16"; got ${show(range)}. Fix: pulumi config set ${r.path("vpcIpRange")} 10.10.0.0/16`,
            );
        } else {
            vpcIpRange = range as string;
        }
    }

    const sshKeys = r.stringList(
        "sshKeys",
        (k) => (FINGERPRINT.test(k) || /^\d{1,12}$/.test(k) ? undefined : "expected an SSH key fingerprint (16 colon-separated hex pairs) or a numeric key id"),
        "<fingerprint>",
    );
    const givenKeys = r.values.sshKeys;
    if (givenKeys === undefined || (Array.isArray(givenKeys) && givenKeys.length === 0)) {
        r.problem(
            `${r.path("sshKeys")}: required; at least one SSH key fingerprint (DigitalOcean e-mails root passwords for droplets without keys). Fix: pulumi config set --path '${r.path("sshKeys[0]")}' <fingerprint from "doctl compute ssh-key list">`,
        );
    }
    const adminCidrs = r.stringList(
        "adminCidrs",
        (c) => {
            const cidr = parseCidr(c);
            if (!cidr) return 'expected an IPv4 or IPv6 CIDR such as "203.0.113.7/32"';
            if (cidr.bits === 0) return "SSH from the whole internet is refused; expected a CIDR narrower than /0";
            return undefined;
        },
        "203.0.113.7/32",
    );
    return { region, domain, environment, vpcIpRange, sshKeys, adminCidrs };
}

/** Alert targets: e-mails (list or the one `alertEmail` prompt), or Slack (channel + encrypted webhook URL). */
function readAlerts(r: ConfigReader, tier: Tier, monitoring: boolean): StackSettings["alerts"] {
    const emails = r.stringList("alerts.emails", (e) => (EMAIL.test(e) ? undefined : "expected an e-mail address"), "ops@example.com");
    const alertEmail = r.values.alertEmail;
    if (alertEmail !== undefined) {
        if (typeof alertEmail === "string" && EMAIL.test(alertEmail)) emails.push(alertEmail);
        else
            r.problem(
                `${r.path("alertEmail")}: expected an e-mail address; got ${show(alertEmail)}. Fix: pulumi config set ${r.path("alertEmail")} ops@example.com`,
            );
    }
    const channel = r.get("alerts.slackChannel");
    const url = r.values.slackWebhookUrl;
    if (channel !== undefined && (typeof channel !== "string" || !/^#?[a-z0-9_-]{1,80}$/.test(channel))) {
        r.problem(
            `${r.path("alerts.slackChannel")}: expected a Slack channel name such as "#ops"; got ${show(channel)}. Fix: pulumi config set --path '${r.path("alerts.slackChannel")}' '#ops'`,
        );
    }
    if ((channel === undefined) !== (url === undefined)) {
        const [missing, present] = channel === undefined ? ["alerts.slackChannel", "slackWebhookUrl"] : ["slackWebhookUrl", "alerts.slackChannel"];
        const fix =
            channel === undefined
                ? `pulumi config set --path '${r.path("alerts.slackChannel")}' '#ops'`
                : `pulumi config set --secret ${r.path("slackWebhookUrl")} https://hooks.slack.com/services/…`;
        r.problem(`${r.path(missing)}: required when ${r.path(present)} is set; Slack alerts need both. Fix: ${fix}`);
    }
    if (url !== undefined && (typeof url !== "string" || !/^https:\/\/\S+$/.test(url))) {
        // The value is a secret: its type is shown, never the value.
        r.problem(
            `${r.path("slackWebhookUrl")}: expected an https:// webhook URL; got a value of type ${typeof url}. Fix: pulumi config set --secret ${r.path("slackWebhookUrl")} https://hooks.slack.com/services/…`,
        );
    }
    const listed = r.get("alerts.emails");
    if (monitoring && channel === undefined && alertEmail === undefined && !(Array.isArray(listed) && listed.length > 0)) {
        r.problem(
            `${r.path("alerts.emails")}: required at tier ${tier}; alert policies need at least one e-mail or Slack target. Fix: pulumi config set --path '${r.path("alerts.emails[0]")}' ops@example.com`,
        );
    }
    return { emails, slack: typeof channel === "string" && typeof url === "string" ? { channel, url } : undefined };
}

function readApp(r: ConfigReader): StackSettings["app"] {
    const image = r.get("app.image");
    const valid = isImageReference(image);
    if (image !== undefined && !valid) {
        r.problem(
            `${r.path("app.image")}: expected a container image reference (a lower-case repository path, optionally a :tag and an @sha256: digest) such as "ghcr.io/acme/shop:1.4.2"; got ${show(image)}. Fix: pulumi config set --path '${r.path("app.image")}' ghcr.io/acme/shop:1.4.2`,
        );
    }
    return {
        image: valid ? image : "ghcr.io/nginxinc/nginx-unprivileged:stable",
        port: r.integer("app.port", 8080, 1024, 65535, " (not 80, which nginx uses)"),
    };
}

/** `web.autoscale` / `app.autoscale`: {min, max, targetCpu} instead of a fixed count. */
function readAutoscale(r: ConfigReader, role: "web" | "app"): AutoscaleSettings | undefined {
    const key = `${role}.autoscale`;
    if (!r.given(key)) return undefined;
    const value = r.structured(key, ["min", "max", "targetCpu"], "2");
    const num = (sub: string, fallback: number, min: number, max: number) => r.integerValue(`${key}.${sub}`, value[sub], fallback, min, max);
    const min = num("min", 2, 1, 50);
    const max = num("max", Math.max(min, 10), 1, 50);
    if (max < min) r.problem(`${r.path(`${key}.max`)}: must be at least ${role}.autoscale.min (${min}); got ${show(max)}. Fix: ${r.setCmd(`${key}.max`, min)}`);
    if (r.given(`${role}.count`)) {
        r.problem(
            `${r.path(`${role}.count`)}: conflicts with ${role}.autoscale; a pool is either fixed or autoscaled; got ${show(r.get(`${role}.count`))}. Fix: pulumi config rm --path '${r.path(`${role}.count`)}'`,
        );
    }
    return { min, max, targetCpu: num("targetCpu", 60, 10, 90) };
}

/** The web pool (the single all-in-one server at tier 0) and, from tier 2, the app pool. */
function readPools(r: ConfigReader, tier: Tier, profile: TierProfile): { web: PoolSettings; appPool?: PoolSettings } {
    r.onlyFrom(["web.autoscale"], 1, tier, "tier 0 is one server by design");
    const size = r.oneOf("web.size", profile.web.size, DROPLET_SIZES, "droplet sizes");
    const web: PoolSettings =
        tier === 0
            ? { count: r.integer("web.count", 1, 1, 1, " at tier 0 (one server; choose tier 1 for a pool)"), size }
            : { count: r.integer("web.count", profile.web.count, 2, 1000, ` at tier ${tier}`), size, autoscale: readAutoscale(r, "web") };
    if (tier === 0 && size in catalog.dropletSizes && (catalog.dropletSizes as Record<string, number>)[size] < 2) {
        r.problem(
            `${r.path("web.size")}: must have at least 2 GB of memory at tier 0 (nginx, the app and MySQL share the droplet); got ${show(size)}. Fix: pulumi config set --path '${r.path("web.size")}' s-1vcpu-2gb`,
        );
    }
    r.onlyFrom(["app.count", "app.size", "app.autoscale"], 2, tier, "web and app servers share droplets below tier 2");
    const appPool = profile.app && {
        count: r.integer("app.count", profile.app.count, 2, 1000, ` at tier ${tier}`),
        size: r.oneOf("app.size", profile.app.size, DROPLET_SIZES, "droplet sizes"),
        autoscale: readAutoscale(r, "app"),
    };
    return { web, appPool };
}

function readLoadBalancer(r: ConfigReader, tier: Tier, profile: TierProfile, web: PoolSettings): StackSettings["loadBalancer"] {
    r.onlyFrom(
        ["loadBalancer.count", "loadBalancer.sizeUnit", "loadBalancer.engine", "loadBalancer.algorithm", "loadBalancer.size"],
        1,
        tier,
        "tier 0 has no load balancer",
    );
    if (!profile.loadBalancer) return undefined;
    const engine = r.oneOf("loadBalancer.engine", "managed", LOAD_BALANCER_ENGINES);
    const count = r.integer("loadBalancer.count", profile.loadBalancer.count, 1, 10, ` at tier ${tier}`);
    if (engine === "managed") {
        for (const key of ["loadBalancer.algorithm", "loadBalancer.size"]) {
            if (r.given(key)) {
                r.problem(
                    `${r.path(key)}: applies only to the haproxy engine (DigitalOcean load balancers choose their own); got ${show(r.get(key))}. Fix: pulumi config rm --path '${r.path(key)}'`,
                );
            }
        }
        return { engine, count, sizeUnit: r.integer("loadBalancer.sizeUnit", profile.loadBalancer.sizeUnit, 1, 200) };
    }
    if (r.given("loadBalancer.sizeUnit")) {
        r.problem(
            `${r.path("loadBalancer.sizeUnit")}: applies only to the managed engine; size HAProxy droplets with loadBalancer.size; got ${show(r.get("loadBalancer.sizeUnit"))}. Fix: pulumi config rm --path '${r.path("loadBalancer.sizeUnit")}'`,
        );
    }
    if (web.autoscale) {
        r.problem(
            `${r.path("web.autoscale")}: needs the managed engine; HAProxy droplets list their backends' addresses, which an autoscale pool does not have in advance; got ${show(r.get("web.autoscale"))}. Fix: pulumi config set --path '${r.path("loadBalancer.engine")}' managed`,
        );
    }
    return {
        engine,
        count,
        size: r.oneOf("loadBalancer.size", "s-1vcpu-1gb", DROPLET_SIZES, "droplet sizes"),
        algorithm: r.oneOf("loadBalancer.algorithm", "roundrobin", HAPROXY_ALGORITHMS),
    };
}

function readDatabase(r: ConfigReader, tier: Tier, profile: TierProfile): StackSettings["database"] {
    r.onlyFrom(["database.size", "database.standbyNodes", "database.readReplicas", "database.protect"], 1, tier, "MySQL runs on the droplet at tier 0");
    if (!profile.database) return undefined;
    const standbyNodes = r.integer("database.standbyNodes", profile.database.standbyNodes, 0, 2);
    const size = r.oneOf("database.size", profile.database.size, catalog.mysqlSizesByNodeCount["1"], "MySQL plans");
    if (standbyNodes > 0 && (catalog.databaseMemoryGb as Record<string, number>)[size] < 2) {
        r.problem(
            `${r.path("database.standbyNodes")}: standby nodes need a plan with at least 2 GB of memory; got ${standbyNodes} standby node(s) on ${show(size)}. Fix: pulumi config set --path '${r.path("database.size")}' db-s-1vcpu-2gb`,
        );
    }
    return {
        size,
        standbyNodes,
        readReplicas: r.integer("database.readReplicas", profile.database.readReplicas, 0, 5),
        protect: r.bool("database.protect", true),
    };
}

/** The Valkey cache (tier 2+) and the Spaces + CDN static assets (tier 1+, in a Spaces region). */
function readExtras(r: ConfigReader, tier: Tier, profile: TierProfile, region: string) {
    r.onlyFrom(["cache.enabled", "cache.size"], 2, tier, "the cache is trusted by the app servers' tag, which exists from tier 2");
    const cache =
        tier >= 2 && r.bool("cache.enabled", profile.cache !== undefined)
            ? { size: r.oneOf("cache.size", profile.cache?.size ?? "db-s-1vcpu-1gb", catalog.valkeySizesByNodeCount["1"], "Valkey plans") }
            : undefined;
    r.onlyFrom(["staticAssets.enabled"], 1, tier, "static assets are served beside a load balanced site");
    const staticAssets = tier >= 1 && r.bool("staticAssets.enabled", profile.staticAssets);
    if (staticAssets && !catalog.spacesRegions.includes(region)) {
        r.problem(
            `${r.path("region")}: Spaces (static assets) is not offered in ${show(region)}; expected ${quoteAll(catalog.spacesRegions)}. Fix: pulumi config set ${r.path("region")} nyc3, or pulumi config set --path '${r.path("staticAssets.enabled")}' false`,
        );
    }
    return { cache, staticAssets };
}

/** The certificate the load balancers terminate TLS with (tier 2+): Let's Encrypt, or custom PEM material. */
function readCertificate(r: ConfigReader, tier: Tier, profile: TierProfile): StackSettings["certificate"] {
    r.onlyFrom(["certificate.kind", "tlsPrivateKey", "tlsCertificate", "tlsCertificateChain"], 2, tier, "TLS is terminated at the load balancer from tier 2");
    if (!profile.tls) return undefined;
    const kind = r.oneOf("certificate.kind", "lets_encrypt", CERTIFICATE_KINDS);
    const { tlsPrivateKey, tlsCertificate, tlsCertificateChain } = r.values;
    if (kind === "lets_encrypt") {
        for (const name of ["tlsPrivateKey", "tlsCertificate", "tlsCertificateChain"]) {
            if (r.values[name] !== undefined) {
                r.problem(
                    `${r.path(name)}: used only when certificate.kind is "custom"; got a value with kind "lets_encrypt". Fix: pulumi config rm ${r.path(name)}`,
                );
            }
        }
        return { kind };
    }
    const pem = (name: string, value: unknown, secret: boolean) => {
        if (typeof value === "string" && value.includes("-----BEGIN")) return;
        // A private key is never echoed.
        const got = value === undefined ? "nothing" : secret ? "a value that is not PEM" : show(value);
        r.problem(
            `${r.path(name)}: required as PEM text when certificate.kind is "custom"; got ${got}. Fix: pulumi config set${secret ? " --secret" : ""} ${r.path(name)} < ${secret ? "privkey.pem" : "cert.pem"}`,
        );
    };
    pem("tlsPrivateKey", tlsPrivateKey, true);
    pem("tlsCertificate", tlsCertificate, false);
    return {
        kind,
        privateKey: String(tlsPrivateKey),
        leafCertificate: String(tlsCertificate),
        certificateChain: typeof tlsCertificateChain === "string" ? tlsCertificateChain : undefined,
    };
}

/**
 * Parses and validates the `webstack:*` keys of a stack (values as the Pulumi CLI passes them: strings,
 * structured values as JSON). Throws one ConfigError listing every problem.
 */
export function parseStackConfig(stack: string, raw: Readonly<Record<string, string>>, secretKeys: ReadonlySet<string> = new Set()): StackSettings {
    const r = new ConfigReader(NAMESPACE, raw, KEYS, secretKeys, SECRET_KEYS, (values) => {
        // `pulumi new` prompts give plain text: SSH keys as a comma-separated list.
        if (typeof values.sshKeys === "string" || typeof values.sshKeys === "number") {
            values.sshKeys = String(values.sshKeys)
                .split(",")
                .map((k) => k.trim())
                .filter((k) => k !== "");
        }
    });
    const tier = readTier(r);
    const profile = TIER_PROFILES[tier];
    const site = readSite(r);
    const alerts = readAlerts(r, tier, profile.monitoring);
    const app = readApp(r);
    const { web, appPool } = readPools(r, tier, profile);
    const loadBalancer = readLoadBalancer(r, tier, profile, web);
    const database = readDatabase(r, tier, profile);
    const { cache, staticAssets } = readExtras(r, tier, profile, site.region);
    const certificate = readCertificate(r, tier, profile);
    const allowDataLoss = r.bool("allowDataLoss", false);
    if (r.problems.length > 0) throw new ConfigError(stack, r.problems);
    return {
        stack,
        tier,
        ...site,
        alerts,
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
