// The closed sets of values webstack's settings take. Each is an `as const` object and the type of its values:
// TypeScript callers get a literal union, and Pulumi's component analyzer, which takes no plain union types but
// takes this pattern, publishes an enum in the package schema (@pulumi/pulumi 3.248
// provider/experimental/analyzer.js analyzeType: "Enums are unions of string or number literals", and
// extractEnumMembers: "`as const` object pattern"). The parser reads the allowed values from here too.

/** The tier: 0 simple, 1 distributed, 2 secured and monitored, 3 scale-up. */
export const Tier = { simple: 0, distributed: 1, securedAndMonitored: 2, scaleUp: 3 } as const;
export type Tier = (typeof Tier)[keyof typeof Tier];

/** The DigitalOcean project's environment. */
export const Environment = { development: "Development", staging: "Staging", production: "Production" } as const;
export type Environment = (typeof Environment)[keyof typeof Environment];

/** DigitalOcean's managed load balancers, or self-managed HAProxy droplets behind reserved IPs. */
export const LoadBalancerEngine = { managed: "managed", haproxy: "haproxy" } as const;
export type LoadBalancerEngine = (typeof LoadBalancerEngine)[keyof typeof LoadBalancerEngine];

/** How HAProxy spreads requests over the web droplets. */
export const HaproxyAlgorithm = { roundrobin: "roundrobin", leastconn: "leastconn" } as const;
export type HaproxyAlgorithm = (typeof HaproxyAlgorithm)[keyof typeof HaproxyAlgorithm];

/** Where the TLS certificate comes from: Let's Encrypt through DigitalOcean, or PEM material you hold. */
export const CertificateKind = { letsEncrypt: "lets_encrypt", custom: "custom" } as const;
export type CertificateKind = (typeof CertificateKind)[keyof typeof CertificateKind];

/** Whether the stack creates its DNS zone or adds records to one already at DigitalOcean. */
export const DnsZoneMode = { create: "create", existing: "existing" } as const;
export type DnsZoneMode = (typeof DnsZoneMode)[keyof typeof DnsZoneMode];

/** Record types `dns.records` takes (digitalocean/openapi domains/models/domain_record_types.yml, less SOA and SRV). */
export const DnsRecordType = {
    A: "A",
    AAAA: "AAAA",
    CAA: "CAA",
    CNAME: "CNAME",
    MX: "MX",
    NS: "NS",
    TXT: "TXT",
} as const;
export type DnsRecordType = (typeof DnsRecordType)[keyof typeof DnsRecordType];

/** CAA tags (digitalocean/openapi domains/models/domain_record.yml `tag`). */
export const CaaTag = { issue: "issue", issuewild: "issuewild", iodef: "iodef" } as const;
export type CaaTag = (typeof CaaTag)[keyof typeof CaaTag];

/** How the app's secrets reach app droplets: in secret user data, or copied in by an operator. */
export const SecretsDelivery = { userData: "userData", manual: "manual" } as const;
export type SecretsDelivery = (typeof SecretsDelivery)[keyof typeof SecretsDelivery];

/** Where the static files nginx serves from disk come from: the app's image, a checksummed archive, or nowhere. */
export const StaticFilesSource = { image: "image", archive: "archive", none: "none" } as const;
export type StaticFilesSource = (typeof StaticFilesSource)[keyof typeof StaticFilesSource];

/** The values of a choice, in declaration order. */
export const valuesOf = <T extends string | number>(choice: Readonly<Record<string, T>>): readonly T[] =>
    Object.values(choice);
