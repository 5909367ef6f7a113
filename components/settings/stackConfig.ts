// Stack configuration: check every `webstack:*` key against its declaration (configKeys.ts), validate all of them,
// report every problem at once, and resolve the tier's defaults into concrete settings. Pure: no Pulumi engine
// needed to call it.
import { CONFIG, type TierContext } from "./configKeys";
import { ConfigReader, decodeConfig } from "./configReader";
import { checkAcmeIssuers, readDatabase, readExtras, readLoadBalancer, readPools } from "./capacitySection";
import { readDns } from "./dnsSection";
import { readLogs } from "./observabilitySection";
import {
    readAlerts,
    readApp,
    readCertificate,
    readReleases,
    readSecretsDelivery,
    readSite,
    readSmtpRelay,
    readTier,
} from "./siteSection";
import { ConfigError, NAMESPACE, type StackSettings } from "./stackSettings";
import { readStaticFiles } from "./staticFilesSection";
import { TIER_PROFILES } from "./tiers";

/**
 * The settings of a stack from its `webstack:*` values, decoded (`{tier: 2, web: {count: 3}}`: a stack's config
 * as index.ts decodes it, or WebStack's args). `encrypted` names the keys stored encrypted. Throws one
 * ConfigError listing every problem.
 */
export function parseSettings(
    stack: string,
    values: Readonly<Record<string, unknown>>,
    encrypted: ReadonlySet<string> = new Set(),
): StackSettings {
    const r = new ConfigReader<TierContext>(NAMESPACE, values, CONFIG, encrypted, (decoded) => {
        // `pulumi new` prompts give plain text: SSH keys as a comma-separated list.
        if (typeof decoded.sshKeys === "string" || typeof decoded.sshKeys === "number") {
            decoded.sshKeys = String(decoded.sshKeys)
                .split(",")
                .map((k) => k.trim())
                .filter((k) => k !== "");
        }
    });
    const tier = readTier(r);
    const profile = TIER_PROFILES[tier];
    r.context = { tier, profile };
    const site = readSite(r);
    const alerts = readAlerts(r, tier, profile.monitoring);
    const app = readApp(r);
    const releases = readReleases(r, tier);
    const { web, appPool } = readPools(r, tier, profile, site.region);
    const dns = readDns(r);
    const loadBalancer = readLoadBalancer(r, tier, profile, web);
    const database = readDatabase(r, tier, profile);
    const { cache, staticAssets } = readExtras(r, tier, site.region);
    const staticFiles = readStaticFiles(r);
    const certificate = readCertificate(r, tier, profile);
    checkAcmeIssuers(r, loadBalancer, certificate);
    const logs = readLogs(r, tier);
    const smtp = readSmtpRelay(r, {
        tier,
        monitoring: profile.monitoring,
        domain: site.domain,
        emails: alerts.emails,
        logs,
    });
    const secretsDelivery = readSecretsDelivery(r, tier, { web, appPool }, loadBalancer, certificate);
    const allowDataLoss = r.flag("allowDataLoss");
    if (r.problems.length > 0) throw new ConfigError(stack, r.problems);
    return {
        stack,
        tier,
        ...site,
        alerts: smtp ? { ...alerts, smtp } : alerts,
        app,
        releases,
        secretsDelivery,
        web,
        appPool,
        dns,
        loadBalancer,
        database,
        cache,
        staticAssets,
        staticFiles,
        allowDataLoss,
        firewalls: profile.firewalls,
        monitoring: profile.monitoring,
        logs,
        certificate,
    };
}

/**
 * The same from the config as the Pulumi CLI passes it (`{"webstack:tier": "2"}`: scalars as text, structured
 * values as JSON), decoded once; `secretKeys` are full keys ("webstack:smtpPassword").
 */
export function parseStackConfig(
    stack: string,
    raw: Readonly<Record<string, string>>,
    secretKeys: ReadonlySet<string> = new Set(),
): StackSettings {
    const prefix = `${NAMESPACE}:`;
    const encrypted = new Set([...secretKeys].filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)));
    return parseSettings(stack, decodeConfig(raw, NAMESPACE), encrypted);
}
