// Stack configuration: parse every `webstack:*` key, validate all of them, report every problem at once,
// and resolve the tier's defaults into concrete settings. Pure: no Pulumi engine needed to call it.
import { ConfigReader } from "./configReader";
import { KEYS, SECRET_KEYS } from "./configKeys";
import { readDatabase, readExtras, readLoadBalancer, readPools } from "./capacitySection";
import { readDns } from "./dnsSection";
import { readLogs } from "./observabilitySection";
import {
    readAlerts,
    readApp,
    readCertificate,
    readSecretsDelivery,
    readSite,
    readSmtpRelay,
    readTier,
} from "./siteSection";
import { ConfigError, NAMESPACE, type StackSettings } from "./stackSettings";
import { TIER_PROFILES } from "./tiers";

/**
 * Parses and validates the `webstack:*` keys of a stack (values as the Pulumi CLI passes them: strings,
 * structured values as JSON). Throws one ConfigError listing every problem.
 */
export function parseStackConfig(
    stack: string,
    raw: Readonly<Record<string, string>>,
    secretKeys: ReadonlySet<string> = new Set(),
): StackSettings {
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
    const { web, appPool } = readPools(r, tier, profile, site.region);
    const dns = readDns(r);
    const loadBalancer = readLoadBalancer(r, tier, profile, web);
    const database = readDatabase(r, tier, profile);
    const { cache, staticAssets } = readExtras(r, tier, profile, site.region);
    const certificate = readCertificate(r, tier, profile);
    const logs = readLogs(r, tier, profile);
    const smtp = readSmtpRelay(r, tier, profile.monitoring, site.domain, alerts.emails, logs);
    const secretsDelivery = readSecretsDelivery(r, tier, { web, appPool }, loadBalancer, certificate);
    const allowDataLoss = r.bool("allowDataLoss", false);
    if (r.problems.length > 0) throw new ConfigError(stack, r.problems);
    return {
        stack,
        tier,
        ...site,
        alerts: smtp ? { ...alerts, smtp } : alerts,
        app,
        secretsDelivery,
        web,
        appPool,
        dns,
        loadBalancer,
        database,
        cache,
        staticAssets,
        allowDataLoss,
        firewalls: profile.firewalls,
        monitoring: profile.monitoring,
        logs,
        certificate,
    };
}
