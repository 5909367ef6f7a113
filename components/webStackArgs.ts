// WebStack's arguments in the user's terms: the same keys and shapes as the `webstack:*` stack config, so a
// TypeScript program, a program in another language (through the component package) and a stack's config all
// say the same thing and get the same problems back. Each doc comment is the key's sentence from
// components/settings/configKeys.ts (CONFIG_DOCS); test/components/package.spec.ts checks they match.
//
// The types are what Pulumi's component analyzer can turn into a package schema: interfaces (not type
// literals), mutable arrays, and `number`/`string` where the parser checks the allowed set (the analyzer
// accepts no unions but enums). Counts and choices are plain values: they decide which children exist.
import * as pulumi from "@pulumi/pulumi";
import { KEYS } from "./settings/configKeys";
import { parseStackConfig } from "./settings/stackConfig";
import { ConfigError, NAMESPACE, type StackSettings } from "./settings/stackSettings";
import { formatProblems } from "./problems";

/** A DigitalOcean droplet autoscale pool instead of a fixed count. */
export interface AutoscaleOptions {
    /** Fewest droplets, 1 to 50. */
    readonly min?: number;
    /** Most droplets, up to 50 and at least min. */
    readonly max?: number;
    /** Target average CPU utilization, 10 to 90 %. */
    readonly targetCpu?: number;
}

/** Alert targets (from tier 2) and the SMTP relay that e-mails them. */
export interface AlertOptions {
    /** E-mail addresses that receive alerts; at least one target is required from tier 2. */
    readonly emails?: string[];
    /** Slack channel for alerts; needs webstack:slackWebhookUrl. */
    readonly slackChannel?: string;
    /** `host:port` of an authenticated SMTP relay (SendGrid, Mailgun, SES, ...) through which the monitor's Alertmanager e-mails alerts.emails; 587 or 2525 with STARTTLS (25 is blocked on DigitalOcean droplets, 465 is refused). Needs alerts.smtpFrom, alerts.smtpUsername, smtpPassword and a monitor (logs). */
    readonly smtpSmarthost?: string;
    /** Sender address of the alert e-mails, one the relay lets the account send from; needs alerts.smtpSmarthost. */
    readonly smtpFrom?: string;
    /** User name at the SMTP relay (SendGrid: `apikey`); needs alerts.smtpSmarthost. */
    readonly smtpUsername?: string;
}

/** The app container and, from tier 2, its own droplet pool. */
export interface AppOptions {
    /** Container image of the app. */
    readonly image?: string;
    /** Port the app container listens on (1024 to 65535). */
    readonly port?: number;
    /** Path the app answers with 2xx when it serves; every load balancer health check reaches it through nginx (default /healthz). */
    readonly healthPath?: string;
    /** App droplets behind the internal load balancer (tier 2+), 2 to 1,000 (your account's droplet limit applies). */
    readonly count?: number;
    /** App droplet size slug (tier 2+). */
    readonly size?: string;
    /** `{min, max, targetCpu}`: a DigitalOcean autoscale pool (min 1 to 50, max up to 50, target CPU 10 to 90 %) instead of app.count (tier 2+). */
    readonly autoscale?: AutoscaleOptions;
}

/** The web droplet pool (the one all-in-one droplet at tier 0). */
export interface WebOptions {
    /** Web droplets: exactly 1 at tier 0, 2 to 1,000 above (your account's droplet limit applies). */
    readonly count?: number;
    /** Web droplet size slug; at least 2 GB at tier 0 (MySQL shares the droplet). */
    readonly size?: string;
    /** `{min, max, targetCpu}`: a DigitalOcean autoscale pool instead of web.count (tier 1+, managed load balancers only, regions the autoscale API offers). */
    readonly autoscale?: AutoscaleOptions;
    /** DigitalOcean weekly droplet backups of the web droplets (about 20 % of their price); on by default at tier 0, whose droplet holds MySQL. */
    readonly backups?: boolean;
}

/** The managed MySQL cluster (tier 1+). */
export interface DatabaseOptions {
    /** Managed MySQL plan for the primary, standby nodes and replicas (tier 1+). */
    readonly size?: string;
    /** Standby nodes, 0 to 2: automatic failover, removes the primary-database SPOF; needs a 2 GB plan. */
    readonly standbyNodes?: number;
    /** Read-only replicas, 0 to 5 (read scaling, not failover). */
    readonly readReplicas?: number;
    /** Protects the cluster, replicas, cache and static-assets bucket against deletion and replacement. */
    readonly protect?: boolean;
}

/** The public load balancers (tier 1+). */
export interface LoadBalancerOptions {
    /** Public load balancers, 1 to 10; several run active-active behind DNS. */
    readonly count?: number;
    /** Nodes per managed load balancer, 1 to 200 (about 10,000 requests/s each). */
    readonly sizeUnit?: number;
    /** managed (DigitalOcean load balancers) or haproxy (self-managed HAProxy droplets with reserved IPs). */
    readonly engine?: string;
    /** HAProxy balancing: roundrobin or leastconn (haproxy engine only). */
    readonly algorithm?: string;
    /** HAProxy droplet size slug (haproxy engine only). */
    readonly size?: string;
}

/** The certificate TLS is terminated with (tier 2+). */
export interface CertificateOptions {
    /** lets_encrypt (DigitalOcean DNS must host the domain) or custom (tier 2+). */
    readonly kind?: string;
}

/** One extra DNS record in the stack's zone. */
export interface DnsRecordOptions {
    /** A, AAAA, CAA, CNAME, MX, NS or TXT. */
    readonly type: string;
    /** The record's name: "@" for the apex, or a label such as "mail". */
    readonly name: string;
    /** The record's value (an address, a host name, a text). */
    readonly value: string;
    /** Seconds, 30 to 86400. @default 1800 */
    readonly ttl?: number;
    /** MX priority, 0 to 65535 (MX only). */
    readonly priority?: number;
    /** CAA flags, 0 to 255 (CAA only). */
    readonly flags?: number;
    /** CAA tag: issue, issuewild or iodef (CAA only). */
    readonly tag?: string;
}

/** The stack's DNS zone and its extra records. */
export interface DnsOptions {
    /** create (the stack creates the zone and keeps it on destroy) or existing (adopts a zone already at DigitalOcean and adds only records). */
    readonly zone?: string;
    /** Extra records `[{type, name, value, ttl?, priority?, flags?, tag?}]` (A, AAAA, CAA, CNAME, MX, NS, TXT), e.g. MX and SPF copied from the old DNS host. */
    readonly records?: DnsRecordOptions[];
}

/** The managed Valkey cache (tier 2+). */
export interface CacheOptions {
    /** Managed Valkey cache trusted only by the app servers (tier 2+). */
    readonly enabled?: boolean;
    /** Valkey plan. */
    readonly size?: string;
}

/** The Spaces bucket and CDN for static assets (tier 1+). */
export interface StaticAssetsOptions {
    /** Private versioned Spaces bucket + CDN for static assets (tier 1+). */
    readonly enabled?: boolean;
}

/** How the app's secrets reach its droplets. */
export interface SecretsOptions {
    /** userData (default): cloud-init writes the app's secrets file from encrypted user data, metadata locked to root; manual: you copy it in (refuses autoscaled app droplets). */
    readonly delivery?: string;
}

/** The log store (Managed OpenSearch) and log shipping. */
export interface LogsOptions {
    /** Managed OpenSearch log store, database log sinks, a log shipper on every droplet and a QPS monitor droplet; default on from tier 2, an option at tier 1. */
    readonly enabled?: boolean;
    /** Days of logs (and QPS samples) kept, 1 to 10,000; default 14. */
    readonly indexDaysMax?: number;
    /** OpenSearch plan of the one-node log store; nodes cannot be downsized. */
    readonly size?: string;
}

/** WebStack's arguments: every `webstack:*` stack config key, plus what only a program can pass. */
export interface WebStackArgs {
    /** 0 simple, 1 distributed, 2 secured and monitored, 3 scale-up. Required. */
    readonly tier: number;
    /** DigitalOcean region; must offer managed MySQL and Valkey (and Spaces when static assets are on). */
    readonly region?: string;
    /** Domain of the site (apex and www); its zone is DigitalOcean's (see dns.zone and docs/account-requirements.md). Placeholders such as example.com fail `pulumi up`. Required. */
    readonly domain: string;
    /** DigitalOcean project environment: Development, Staging or Production. */
    readonly environment?: string;
    /** Private IPv4 range of the VPC, RFC 1918, /16 to /28, overlapping no other VPC of the account; unset, DigitalOcean allocates a free /20. Changing it replaces the VPC and the database. */
    readonly vpcIpRange?: string;
    /** SSH key fingerprints or ids for root on every droplet (list, or comma-separated text). Required. */
    readonly sshKeys: string[];
    /** CIDRs allowed to SSH from tier 2; empty closes port 22. /0 is refused. */
    readonly adminCidrs?: string[];
    /** Alert targets: e-mails, a Slack channel, and the SMTP relay the e-mails go through. */
    readonly alerts?: AlertOptions;
    /** One alert e-mail as plain text (what `pulumi new` prompts for); added to alerts.emails. */
    readonly alertEmail?: string;
    /** Slack incoming-webhook URL; secret (`--secret`). */
    readonly slackWebhookUrl?: string;
    /** Password or API key at the SMTP relay; secret (`--secret`), written only to a 0600 file on the monitor. */
    readonly smtpPassword?: string;
    /** The app container and its pool. */
    readonly app?: AppOptions;
    /** The web pool. */
    readonly web?: WebOptions;
    /** The managed MySQL cluster. */
    readonly database?: DatabaseOptions;
    /** The public load balancers. */
    readonly loadBalancer?: LoadBalancerOptions;
    /** The TLS certificate. */
    readonly certificate?: CertificateOptions;
    /** The DNS zone and extra records. */
    readonly dns?: DnsOptions;
    /** PEM private key of a custom certificate; secret. */
    readonly tlsPrivateKey?: string;
    /** PEM leaf certificate of a custom certificate. */
    readonly tlsCertificate?: string;
    /** PEM chain of a custom certificate (optional). */
    readonly tlsCertificateChain?: string;
    /** The Valkey cache. */
    readonly cache?: CacheOptions;
    /** Static assets on Spaces. */
    readonly staticAssets?: StaticAssetsOptions;
    /** How secrets reach the droplets. */
    readonly secrets?: SecretsOptions;
    /** Logs: the OpenSearch store and shipping. */
    readonly logs?: LogsOptions;
    /** Lets an update delete or replace data-bearing resources the previous update had (database, replicas, cache, bucket, tier 0's MySQL droplet), e.g. a tier downgrade or leaving tier 0. Set it for that one update only. */
    readonly allowDataLoss?: boolean;
    /** Pulumi project name, used in tags and the DigitalOcean project's name. @default "webstack" */
    readonly project?: string;
    /**
     * `dataResources` of the stack's previous update (absent for a new stack). Any of them missing now is refused
     * unless allowDataLoss is set: a tier downgrade must not silently delete a database.
     */
    readonly previousDataResources?: pulumi.Input<string[]>;
}

/** Arguments that are not stack config keys: they are never handed to the config parser. */
const PROGRAM_ONLY = new Set(["project", "previousDataResources"]);

/** The args as the Pulumi CLI would pass the same values as stack config (`webstack:<key>` → JSON text). */
export function encodeArgs(args: WebStackArgs): Record<string, string> {
    const raw: Record<string, string> = {};
    for (const [key, value] of Object.entries(args)) {
        // Every other key, known or not, goes to the parser, which reports the unknown ones.
        if (value !== undefined && !PROGRAM_ONLY.has(key)) raw[`${NAMESPACE}:${key}`] = JSON.stringify(value);
    }
    return raw;
}

/**
 * The settings WebStack builds from: the args checked by the stack config's own parser, every problem reported
 * at once under the component's heading, as a ResourceError without a stack trace. Secret keys count as
 * encrypted: args are never stored in a stack file in plain text.
 */
export function settingsFromArgs(resource: pulumi.Resource, name: string, args: WebStackArgs): StackSettings {
    const secretKeys = new Set(Object.keys(KEYS).map((key) => `${NAMESPACE}:${key}`));
    try {
        return parseStackConfig(pulumi.getStack(), encodeArgs(args), secretKeys);
    } catch (err) {
        if (err instanceof ConfigError) {
            throw new pulumi.ResourceError(
                `Invalid arguments for WebStack "${name}":\n${formatProblems(err.problems)}`,
                resource,
                true,
            );
        }
        throw err;
    }
}

/**
 * A stack's `webstack:*` config (as the CLI passes it, already validated by parseStackConfig) as WebStack args:
 * each value decoded the way the parser decodes it, so the component sees exactly the config's values.
 */
export function argsFromStackConfig(raw: Readonly<Record<string, string>>): WebStackArgs {
    const args: Record<string, unknown> = {};
    for (const [fullKey, text] of Object.entries(raw)) {
        if (!fullKey.startsWith(`${NAMESPACE}:`)) continue;
        let value: unknown;
        try {
            value = JSON.parse(text);
        } catch {
            value = text;
        }
        args[fullKey.slice(NAMESPACE.length + 1)] = value;
    }
    return args as unknown as WebStackArgs;
}
