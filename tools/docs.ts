// Generates the README's tables from the code, so they cannot drift: `npm run docs` rewrites every
// `<!-- generated:NAME -->` … `<!-- /generated:NAME -->` block; test/docs.spec.ts fails when one is stale.
import * as fs from "node:fs";
import * as path from "node:path";
import { CONFIG_DOCS, CONFIG_PATHS, StackSettings, parseStackConfig } from "../components/config";
import { TIER_PROFILES, TIERS } from "../components/tiers";

export const README = path.join(__dirname, "..", "README.md");

/** The smallest configuration each tier accepts; defaults in the table are read from the parser itself. */
export function minimalConfig(tier: number): Record<string, string> {
    return {
        "webstack:tier": String(tier),
        "webstack:domain": "example.com",
        "webstack:sshKeys": JSON.stringify(["12345"]),
        "webstack:alerts": JSON.stringify({ emails: ["ops@example.com"] }),
    };
}

/** Reads a key's default from the settings the parser produced (`h`: the same tier with the haproxy engine). */
const DEFAULT_OF: Record<string, (s: StackSettings, h?: StackSettings) => unknown> = {
    tier: (s) => s.tier,
    region: (s) => s.region,
    domain: () => "required",
    environment: (s) => s.environment,
    vpcIpRange: (s) => s.vpcIpRange,
    sshKeys: () => "required",
    adminCidrs: () => "[]",
    "alerts.emails": (s) => (s.monitoring ? "required" : "[]"),
    "alerts.slackChannel": () => "—",
    alertEmail: () => "—",
    slackWebhookUrl: () => "—",
    "app.image": (s) => s.app.image,
    "app.port": (s) => s.app.port,
    "app.count": (s) => s.appPool?.count,
    "app.size": (s) => s.appPool?.size,
    "app.autoscale": (s) => (s.appPool ? "—" : undefined),
    "web.autoscale": (s) => (s.tier >= 1 ? "—" : undefined),
    "web.count": (s) => s.web.count,
    "web.size": (s) => s.web.size,
    "database.size": (s) => s.database?.size,
    "database.standbyNodes": (s) => s.database?.standbyNodes,
    "database.readReplicas": (s) => s.database?.readReplicas,
    "database.protect": (s) => s.database?.protect,
    "loadBalancer.count": (s) => s.loadBalancer?.count,
    "loadBalancer.sizeUnit": (s) => (s.loadBalancer?.engine === "managed" ? s.loadBalancer.sizeUnit : undefined),
    "loadBalancer.engine": (s) => s.loadBalancer?.engine,
    "loadBalancer.algorithm": (_, h) => (h?.loadBalancer?.engine === "haproxy" ? h.loadBalancer.algorithm : undefined),
    "loadBalancer.size": (_, h) => (h?.loadBalancer?.engine === "haproxy" ? h.loadBalancer.size : undefined),
    "certificate.kind": (s) => s.certificate?.kind,
    tlsPrivateKey: () => "—",
    tlsCertificate: () => "—",
    tlsCertificateChain: () => "—",
    "cache.enabled": (s) => (s.tier >= 2 ? s.cache !== undefined : undefined),
    "cache.size": (s) => s.cache?.size,
    "staticAssets.enabled": (s) => (s.tier >= 1 ? s.staticAssets : undefined),
    allowDataLoss: (s) => s.allowDataLoss,
};

const cell = (value: unknown) => (value === undefined ? "n/a" : typeof value === "string" && /^(required|—|\[\])$/.test(value) ? value : `\`${String(value)}\``);

export function configTable(): string {
    const settings = TIERS.map((tier) => parseStackConfig("docs", minimalConfig(tier)));
    const haproxy = TIERS.map((tier) => (tier === 0 ? undefined : parseStackConfig("docs", { ...minimalConfig(tier), "webstack:loadBalancer": JSON.stringify({ engine: "haproxy" }) })));
    const rows = CONFIG_PATHS.map((key) => {
        const get = DEFAULT_OF[key];
        if (!get) throw new Error(`tools/docs.ts has no default reader for config key "${key}"`);
        return `| \`webstack:${key}\` | ${settings.map((s, i) => cell(get(s, haproxy[i]))).join(" | ")} | ${CONFIG_DOCS[key]} |`;
    });
    return ["| Key | Tier 0 | Tier 1 | Tier 2 | Tier 3 | Meaning |", "|---|---|---|---|---|---|", ...rows].join("\n");
}

export function tierTable(): string {
    const rows = TIERS.map((tier) => {
        const p = TIER_PROFILES[tier];
        const parts = [
            tier === 0 ? "1 droplet (nginx + app + MySQL)" : `${p.web.count} web droplets${p.app ? ` + ${p.app.count} app droplets behind an internal LB` : " (nginx + app)"}`,
            p.loadBalancer ? `${p.loadBalancer.count} public load balancer${p.loadBalancer.count > 1 ? "s" : ""}` : "DNS → droplet",
            p.database ? `managed MySQL (1 node) + ${p.database.readReplicas} read replica${p.database.readReplicas > 1 ? "s" : ""}` : "",
            p.firewalls ? "cloud + database firewalls" : "",
            p.tls ? "TLS at the LB" : "",
            p.monitoring ? "monitoring + alerts + uptime" : "",
            p.cache ? "Valkey cache" : "",
            p.staticAssets ? "Spaces + CDN" : "",
        ].filter((x) => x !== "");
        return `| ${tier} | ${p.title} | ${parts.join("; ")} | [diagram](docs/architecture/tier-${tier}.svg) |`;
    });
    return ["| Tier | Seed task | Builds | Diagram |", "|---|---|---|---|", ...rows].join("\n");
}

/** Section name → generator. Sections computed elsewhere (plan, policies) register here as they land. */
export const SECTIONS: Record<string, () => string | Promise<string>> = {
    tiers: tierTable,
    config: configTable,
};

export function replaceSection(text: string, name: string, body: string): string {
    const start = `<!-- generated:${name} -->`;
    const end = `<!-- /generated:${name} -->`;
    const i = text.indexOf(start);
    const j = text.indexOf(end);
    if (i < 0 || j < i) throw new Error(`README.md has no ${start} … ${end} block`);
    return `${text.slice(0, i + start.length)}\n${body}\n${text.slice(j)}`;
}

export async function renderReadme(text: string): Promise<string> {
    let out = text;
    for (const [name, make] of Object.entries(SECTIONS)) out = replaceSection(out, name, await make());
    return out;
}

if (require.main === module) {
    renderReadme(fs.readFileSync(README, "utf8")).then(
        (text) => fs.writeFileSync(README, text),
        (err: Error) => {
            process.stderr.write(`${err.message}\n`);
            process.exit(1);
        },
    );
}
