// The Pulumi program: the only reader of configuration. Parse and validate every `webstack:*` key, build
// one WebStack, export its endpoints (the database URI only as a secret).
import * as pulumi from "@pulumi/pulumi";
import { parseStackConfig } from "./components/settings/stackConfig";
import { ConfigError } from "./components/settings/stackSettings";
import { WebStack } from "./components/webStack";

// The SDK marks isConfigSecret @internal, but it is the only way to tell that a key was set with
// --secret; Config.get uses it for the same purpose.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

function loadSettings() {
    const raw = pulumi.runtime.allConfig();
    const secretKeys = new Set(Object.keys(raw).filter((key) => isConfigSecret(key)));
    try {
        return parseStackConfig(pulumi.getStack(), raw, secretKeys);
    } catch (err) {
        // RunError: Pulumi prints the message alone, without a stack trace.
        if (err instanceof ConfigError) throw new pulumi.RunError(err.message);
        throw err;
    }
}

const settings = loadSettings();
// The stack's own outputs from its previous update, to refuse an update that would delete data.
const previous = new pulumi.StackReference(`${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`);
const site = new WebStack("webstack", { settings, project: pulumi.getProject(), previousDataResources: previous.getOutput("dataResources") });

export const url = site.url;
export const loadBalancerIps = site.loadBalancerIps;
export const dropletIps = site.dropletIps;
export const databaseHost = site.databaseHost;
export const databaseUri = site.databaseUri;
export const appSecretsEnv = site.appSecretsEnv;
export const cdnEndpoint = site.cdnEndpoint;
export const dataResources = site.dataResources;
// Issue 15: where to search the logs; the Dashboards password only as a secret.
export const logsDashboardsUrl = site.logs?.dashboardsUrl;
export const logsDashboardsPassword = site.logs && pulumi.secret(site.logs.cluster.uiPassword);
