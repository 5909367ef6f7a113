// The Pulumi program: the only reader of configuration. Parse and validate every `webstack:*` key, check the
// DigitalOcean account (preflight), build one WebStack, return its endpoints (the database URI only as a secret).
// An async program: the language host awaits the exported function, and its result's properties are the stack's
// outputs (@pulumi/pulumi cmd/run/run.js: "exported top level async functions that pulumi programs can live in").
// So no resource is registered before the preflight has passed.
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { decodeConfig } from "./components/settings/configReader";
import { parseSettings } from "./components/settings/stackConfig";
import { ConfigError, NAMESPACE, StackSettings } from "./components/settings/stackSettings";
import {
    PreflightError,
    type PreflightRead,
    adoptsZone,
    isNoDefaultVpc,
    preflight,
    preflightWarning,
    readFailure,
} from "./components/settings/preflight";
import { type PreviousUpdate, upgradeProblems } from "./components/settings/upgradePreflight";
import { SITE_RECORD_NAMES } from "./components/dns";
import { dataDropletInputs } from "./components/hostRoles";
import { dropletFingerprint, isFingerprints } from "./components/protectedDroplets";
import { WEB_PORT, WebStack, type WebStackArgs } from "./components/webStack";

// The SDK marks isConfigSecret @internal, but it is the only way to tell that a key was set with
// --secret; Config.get uses it for the same purpose.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

/**
 * The stack's `webstack:*` config, decoded once from the CLI's text: WebStack's args, and the settings WebStack
 * will build from them (the same parser), which the preflight checks first.
 */
function loadConfig() {
    const values = decodeConfig(pulumi.runtime.allConfig(), NAMESPACE);
    const encrypted = new Set(Object.keys(values).filter((key) => isConfigSecret(`${NAMESPACE}:${key}`)));
    try {
        const staticFiles = values.staticFiles as { source?: unknown } | undefined;
        return {
            settings: parseSettings(pulumi.getStack(), values, encrypted),
            args: values as unknown as WebStackArgs,
            staticFilesSourceSet: staticFiles?.source !== undefined,
        };
    } catch (err) {
        // RunError: Pulumi prints the message alone, without a stack trace.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

/**
 * Reads the account, whether its DNS hosts the zone and the region's default VPC; refuses during `pulumi up` what
 * DigitalOcean would refuse later and what this update would do to the live stack that its owner must decide first
 * (`upgrade`), and only warns during `pulumi preview` (and the offline plan). A read the token's scopes do not allow
 * is one of the problems, named by its scope. Returns whether WebStack adopts the zone (`adoptZone`).
 */
async function checkAccount(
    settings: StackSettings,
    previous: PreviousUpdate,
    upgrade: string[],
): Promise<{ adoptZone: boolean }> {
    const failures: string[] = [];
    const read = async <T>(what: PreflightRead, call: () => Promise<T>): Promise<T | undefined> => {
        try {
            return await call();
        } catch (err) {
            const failure = readFailure(what, err);
            if (failure === undefined) throw err;
            failures.push(failure);
            return undefined;
        }
    };
    const account = await read("account", () => digitalocean.getAccount());
    // getDomains with a name filter answers "no such zone" with an empty list, where getDomain fails.
    const zones = await read("domains", () =>
        digitalocean.getDomains({ filters: [{ key: "name", values: [settings.domain] }] }),
    );
    const regionDefaultVpc = await read("vpcs", () => readRegionDefaultVpc(settings.region));
    const zoneHosted = zones && zones.domains.length > 0;
    const deployedBefore = settings.dns.zone === "create" && zoneHosted ? previous.deployed : undefined;
    // A zone this stack may adopt: does it already send the site somewhere (another stack's records)? The API lists
    // records by their name relative to the zone, as the stack names its own (digitalocean/openapi@7c1300c4
    // specification/resources/domains/examples.yml:1-12, the list-records example).
    const siteNames = new Set<string>(SITE_RECORD_NAMES);
    const zoneSiteRecords =
        deployedBefore === false
            ? (await read("records", () => digitalocean.getRecords({ domain: settings.domain })))?.records
                  .filter((r) => siteNames.has(r.name) && ["A", "AAAA", "CNAME"].includes(r.type))
                  .map((r) => `${r.name} ${r.type} ${r.value}`)
            : undefined;
    const state = { zoneHosted, deployedBefore, zoneSiteRecords, regionDefaultVpc };
    const { problems, notes } = account ? preflight(settings, account, state) : { problems: [], notes: [] };
    for (const note of notes) await pulumi.log.warn(note);
    const all = [...failures, ...problems, ...upgrade];
    if (all.length > 0) {
        if (pulumi.runtime.isDryRun()) await pulumi.log.warn(preflightWarning(settings.stack, all));
        else throw new pulumi.RunError(new PreflightError(settings.stack, all).message);
    }
    return { adoptZone: adoptsZone(settings, state) };
}

/** The region's default VPC, or null when the account has no VPC in the region (getVpc then fails). */
async function readRegionDefaultVpc(region: string): Promise<{ name: string; description: string } | null> {
    try {
        const vpc = await digitalocean.getVpc({ region });
        return { name: vpc.name, description: vpc.description };
    } catch (err) {
        if (isNoDefaultVpc(err)) return null;
        throw err;
    }
}

/**
 * What the stack's previous update exported (everything empty after `pulumi destroy`, or for a new stack): whether it
 * completed (`url`), and what the next update needs to know about the droplets serving now.
 */
async function readPrevious(self: pulumi.StackReference) {
    const [url, tier, acmePeersName, dataResources, protectedDroplets] = await Promise.all(
        ["url", "tier", "acmePeersName", "dataResources", "protectedDroplets"].map((n) => self.getOutputValue(n)),
    );
    const update: PreviousUpdate = {
        deployed: url !== undefined,
        tier: typeof tier === "number" ? tier : undefined,
        dataResources: Array.isArray(dataResources) ? dataResources.map(String) : undefined,
        protectedDroplets: isFingerprints(protectedDroplets) ? protectedDroplets : undefined,
    };
    return { update, acmePeersName: typeof acmePeersName === "string" ? acmePeersName : undefined };
}

/** What the upgrade preflight compares: tier 0's droplet as this update renders it, and as the earlier release did. */
function thisUpdate(settings: StackSettings, staticFilesSourceSet: boolean) {
    const fingerprint = (s: StackSettings) => {
        const inputs = dataDropletInputs(s, WEB_PORT);
        return inputs && dropletFingerprint(inputs);
    };
    return {
        dataDroplet: fingerprint(settings),
        dataDropletEarlierRelease: fingerprint({ ...settings, staticFiles: undefined }),
        staticFilesSourceSet,
    };
}

/**
 * The tier WebStack takes the previous update to have deployed. A stack an earlier release deployed exported no tier;
 * at tier 2+ this update may be the one that moves the app off the web droplets (tier 1 → 2+), so it is taken as
 * tier 1: the database firewalls trust the web droplets too for this one update and wait for the gated app droplets.
 * A stack that was at tier 2+ already loses nothing by it; its next update drops that rule in place.
 */
function previousTierOf(settings: StackSettings, previous: PreviousUpdate): number | undefined {
    if (previous.tier !== undefined || !previous.deployed) return previous.tier;
    return settings.tier >= 2 ? 1 : undefined;
}

export = async () => {
    const { settings, args, staticFilesSourceSet } = loadConfig();
    // The stack's own outputs from its previous update: to refuse an update that would delete data or change what the
    // site serves without its owner's word, and to know what the droplets serving now were built by (the tier,
    // HAProxy's ACME peers), which decides how this update replaces them. Reading them creates nothing.
    const self = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
    const previous = await readPrevious(self);
    const { adoptZone } = await checkAccount(
        settings,
        previous.update,
        upgradeProblems(settings, previous.update, thisUpdate(settings, staticFilesSourceSet)),
    );
    const site = new WebStack("webstack", {
        ...args,
        adoptZone,
        project: pulumi.getProject(),
        previousDataResources: self.getOutput("dataResources"),
        previousTier: previousTierOf(settings, previous.update),
        previousAcmePeersName: previous.acmePeersName,
    });
    return {
        url: site.url,
        tier: site.tier,
        loadBalancerIps: site.loadBalancerIps,
        dropletIps: site.dropletIps,
        autoscalePoolIds: site.autoscalePoolIds,
        acmePeersName: site.acmePeersName,
        databaseHost: site.databaseHost,
        databaseUri: site.databaseUri,
        appSecretsEnv: site.appSecretsEnv,
        cdnEndpoint: site.cdnEndpoint,
        dnsRecords: site.dnsRecords,
        dataResources: site.dataResources,
        protectedDroplets: site.protectedDroplets,
        // Where to search the logs; the Dashboards password only as a secret.
        logsDashboardsUrl: site.logsDashboardsUrl,
        logsDashboardsPassword: site.logsDashboardsPassword,
    };
};
