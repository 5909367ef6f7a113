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
import { PreflightError, preflight, preflightWarning } from "./components/settings/preflight";
import { WebStack, type WebStackArgs } from "./components/webStack";

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
        return {
            settings: parseSettings(pulumi.getStack(), values, encrypted),
            args: values as unknown as WebStackArgs,
        };
    } catch (err) {
        // RunError: Pulumi prints the message alone, without a stack trace.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

/**
 * Reads the account and, for `dns.zone: existing`, whether its DNS holds the zone; refuses during `pulumi up`
 * what DigitalOcean would refuse later, and only warns during `pulumi preview` (and the offline plan).
 */
async function checkAccount(settings: StackSettings): Promise<void> {
    const account = await digitalocean.getAccount();
    // getDomains with a name filter answers "no such zone" with an empty list, where getDomain fails.
    const zoneHosted =
        settings.dns.zone === "existing"
            ? (await digitalocean.getDomains({ filters: [{ key: "name", values: [settings.domain] }] })).domains
                  .length > 0
            : undefined;
    const { problems, notes } = preflight(settings, account, zoneHosted);
    for (const note of notes) await pulumi.log.warn(note);
    if (problems.length === 0) return;
    if (pulumi.runtime.isDryRun()) await pulumi.log.warn(preflightWarning(settings.stack, problems));
    else throw new pulumi.RunError(new PreflightError(settings.stack, problems).message);
}

export = async () => {
    const { settings, args } = loadConfig();
    await checkAccount(settings);
    // The stack's own outputs from its previous update, to refuse an update that would delete data.
    const previous = new pulumi.StackReference(
        `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    );
    const site = new WebStack("webstack", {
        ...args,
        project: pulumi.getProject(),
        previousDataResources: previous.getOutput("dataResources"),
    });
    return {
        url: site.url,
        loadBalancerIps: site.loadBalancerIps,
        dropletIps: site.dropletIps,
        databaseHost: site.databaseHost,
        databaseUri: site.databaseUri,
        appSecretsEnv: site.appSecretsEnv,
        cdnEndpoint: site.cdnEndpoint,
        dnsRecords: site.dnsRecords,
        dataResources: site.dataResources,
        // Where to search the logs; the Dashboards password only as a secret.
        logsDashboardsUrl: site.logsDashboardsUrl,
        logsDashboardsPassword: site.logsDashboardsPassword,
    };
};
