// What a stack's configuration resolves to: the settings WebStack builds from, and the error that lists every
// problem with the configuration.
import type { StaticFilesSettings } from "../hostConfig/staticFiles";
import { formatProblems } from "../problems";
import type {
    CaaTag,
    DnsRecordType,
    DnsZoneMode,
    Environment,
    HaproxyAlgorithm,
    SecretsDelivery,
    Tier,
} from "./choices";

export type { Environment, SecretsDelivery };
export const NAMESPACE = "webstack";

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

/** One extra record of `dns.records` (MX, TXT, CAA, …), created in the zone beside the site's A records. */
export interface DnsRecordSettings {
    readonly type: DnsRecordType;
    /** "@" for the apex, or a name relative to the zone ("mail", "_dmarc"). */
    readonly name: string;
    readonly value: string;
    /** Seconds. */
    readonly ttl: number;
    /** MX only. */
    readonly priority?: number;
    /** CAA only: flags 0-255 and the tag. */
    readonly flags?: number;
    readonly tag?: CaaTag;
}

/** The DNS zone: created by the stack (and kept on destroy), or an existing zone the stack adds records to. */
export interface DnsSettings {
    readonly zone: DnsZoneMode;
    readonly records: readonly DnsRecordSettings[];
}

/** Logs and QPS: Managed OpenSearch, database log sinks, a shipper per droplet, a monitor droplet. */
export interface LogsSettings {
    /** Days of logs the store keeps (and of QPS samples the monitor keeps), 1 to 10,000. */
    readonly indexDaysMax: number;
    /** OpenSearch plan slug of the one-node log store. */
    readonly size: string;
    /** Droplet size of the monitor droplet (Prometheus + Alertmanager). */
    readonly monitorSize: string;
}

/** An authenticated SMTP relay (`alerts.smtp*`, `smtpPassword`). */
export interface SmtpRelaySettings {
    /** `host:port`; never port 25 (DigitalOcean blocks it) nor 465. */
    readonly smarthost: string;
    readonly from: string;
    readonly username: string;
    /** A secret. */
    readonly password: string;
}

/** Everything the program builds from, with the tier's defaults already applied. */
export interface StackSettings {
    readonly stack: string;
    readonly tier: Tier;
    readonly region: string;
    readonly domain: string;
    readonly environment: Environment;
    /** The VPC's private range; undefined lets DigitalOcean allocate a /20 that no other VPC of the account uses. */
    readonly vpcIpRange?: string;
    readonly sshKeys: readonly string[];
    readonly adminCidrs: readonly string[];
    readonly alerts: {
        readonly emails: readonly string[];
        readonly slack?: { readonly channel: string; readonly url: string };
        /** The authenticated SMTP relay the monitor's Alertmanager e-mails `emails` through; needs `logs`. */
        readonly smtp?: SmtpRelaySettings;
    };
    readonly app: { readonly image: string; readonly port: number; readonly healthPath: string };
    /** How an update replaces serving droplets: minutes a readiness gate waits for a new one to serve. */
    readonly releases: { readonly gateTimeoutMinutes: number };
    /** userData: cloud-init writes the secrets file from secret user data; manual: an operator copies it in. */
    readonly secretsDelivery: SecretsDelivery;
    readonly web: PoolSettings & { readonly backups: boolean };
    readonly dns: DnsSettings;
    readonly appPool?: PoolSettings;
    readonly loadBalancer?:
        | { readonly engine: "managed"; readonly count: number; readonly sizeUnit: number }
        | {
              readonly engine: "haproxy";
              readonly count: number;
              readonly size: string;
              readonly algorithm: HaproxyAlgorithm;
          };
    readonly database?: {
        readonly size: string;
        readonly standbyNodes: number;
        readonly readReplicas: number;
        readonly protect: boolean;
    };
    readonly cache?: { readonly size: string };
    readonly staticAssets: boolean;
    /** What nginx serves from each web droplet's disk; undefined with `staticFiles.source` "none". */
    readonly staticFiles?: StaticFilesSettings;
    /** Lets an update delete or replace data-bearing resources the previous update had. */
    readonly allowDataLoss: boolean;
    readonly firewalls: boolean;
    readonly monitoring: boolean;
    /** Undefined when the stack collects no logs (tier 0, and tier 1 unless logs.enabled). */
    readonly logs?: LogsSettings;
    readonly certificate?:
        | { readonly kind: "lets_encrypt" }
        | {
              readonly kind: "custom";
              readonly privateKey: string;
              readonly leafCertificate: string;
              readonly certificateChain?: string;
          };
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
