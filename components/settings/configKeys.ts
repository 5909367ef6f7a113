// The `webstack:*` configuration keys: which exist, which must be encrypted, and one sentence each for the
// README's configuration table (test/docs.spec.ts checks every key has one).
import type { KeySchema } from "./configReader";

// Keys and their sub-keys; `null` marks a scalar or list key.
export const KEYS: KeySchema = {
    tier: null,
    region: null,
    domain: null,
    environment: null,
    vpcIpRange: null,
    sshKeys: null,
    adminCidrs: null,
    alerts: ["emails", "slackChannel", "smtpSmarthost", "smtpFrom", "smtpUsername"],
    alertEmail: null,
    slackWebhookUrl: null,
    smtpPassword: null,
    app: ["image", "port", "healthPath", "count", "size", "autoscale"],
    web: ["count", "size", "autoscale", "backups"],
    database: ["size", "standbyNodes", "readReplicas", "protect"],
    loadBalancer: ["count", "sizeUnit", "engine", "algorithm", "size"],
    certificate: ["kind"],
    dns: ["zone", "records"],
    tlsPrivateKey: null,
    tlsCertificate: null,
    tlsCertificateChain: null,
    cache: ["enabled", "size"],
    staticAssets: ["enabled"],
    secrets: ["delivery"],
    allowDataLoss: null,
    logs: ["enabled", "indexDaysMax", "size"],
};
export const SECRET_KEYS = ["slackWebhookUrl", "smtpPassword", "tlsPrivateKey"];

/**
 * Values of the secret keys' shape around a stand-in text, for tools that must run the program without the secret.
 * smtpPassword has no shape: the stand-in itself is a valid password.
 */
export const SECRET_SHAPES: Readonly<Record<string, (standIn: string) => string>> = {
    slackWebhookUrl: (standIn) => `https://hooks.slack.invalid/${standIn}`,
    tlsPrivateKey: (standIn) => `-----BEGIN PRIVATE KEY-----\n${standIn}\n-----END PRIVATE KEY-----\n`,
};

/** One sentence per key for the README's configuration table (a test checks every key has one). */
export const CONFIG_DOCS: Record<string, string> = {
    tier: "0 simple, 1 distributed, 2 secured and monitored, 3 scale-up. Required.",
    region: "DigitalOcean region; must offer managed MySQL and Valkey (and Spaces when static assets are on).",
    domain: "Domain of the site (apex and www); its zone is DigitalOcean's (see dns.zone and docs/account-requirements.md). Placeholders such as example.com fail `pulumi up`. Required.",
    environment: "DigitalOcean project environment: Development, Staging or Production.",
    vpcIpRange:
        "Private IPv4 range of the VPC, RFC 1918, /16 to /28, overlapping no other VPC of the account; unset, DigitalOcean allocates a free /20. Changing it replaces the VPC and the database.",
    sshKeys: "SSH key fingerprints or ids for root on every droplet (list, or comma-separated text). Required.",
    adminCidrs: "CIDRs allowed to SSH from tier 2; empty closes port 22. /0 is refused.",
    "alerts.emails": "E-mail addresses that receive alerts; at least one target is required from tier 2.",
    "alerts.slackChannel": "Slack channel for alerts; needs webstack:slackWebhookUrl.",
    alertEmail: "One alert e-mail as plain text (what `pulumi new` prompts for); added to alerts.emails.",
    slackWebhookUrl: "Slack incoming-webhook URL; secret (`--secret`).",
    "alerts.smtpSmarthost":
        "`host:port` of an authenticated SMTP relay (SendGrid, Mailgun, SES, ...) through which the monitor's Alertmanager e-mails alerts.emails; 587 or 2525 with STARTTLS (25 is blocked on DigitalOcean droplets, 465 is refused). Needs alerts.smtpFrom, alerts.smtpUsername, smtpPassword and a monitor (logs).",
    "alerts.smtpFrom":
        "Sender address of the alert e-mails, one the relay lets the account send from; needs alerts.smtpSmarthost.",
    "alerts.smtpUsername": "User name at the SMTP relay (SendGrid: `apikey`); needs alerts.smtpSmarthost.",
    smtpPassword:
        "Password or API key at the SMTP relay; secret (`--secret`), written only to a 0600 file on the monitor.",
    "app.image": "Container image of the app.",
    "app.port": "Port the app container listens on (1024 to 65535).",
    "app.healthPath":
        "Path the app answers with 2xx when it serves; every load balancer health check reaches it through nginx (default /healthz).",
    "app.count":
        "App droplets behind the internal load balancer (tier 2+), 2 to 1,000 (your account's droplet limit applies).",
    "app.size": "App droplet size slug (tier 2+).",
    "app.autoscale":
        "`{min, max, targetCpu}`: a DigitalOcean autoscale pool (min 1 to 50, max up to 50, target CPU 10 to 90 %) instead of app.count (tier 2+).",
    "web.count": "Web droplets: exactly 1 at tier 0, 2 to 1,000 above (your account's droplet limit applies).",
    "web.size": "Web droplet size slug; at least 2 GB at tier 0 (MySQL shares the droplet).",
    "web.autoscale":
        "`{min, max, targetCpu}`: a DigitalOcean autoscale pool instead of web.count (tier 1+, managed load balancers only, regions the autoscale API offers).",
    "web.backups":
        "DigitalOcean weekly droplet backups of the web droplets (about 20 % of their price); on by default at tier 0, whose droplet holds MySQL.",
    "database.size": "Managed MySQL plan for the primary, standby nodes and replicas (tier 1+).",
    "database.standbyNodes":
        "Standby nodes, 0 to 2: automatic failover, removes the primary-database SPOF; needs a 2 GB plan.",
    "database.readReplicas": "Read-only replicas, 0 to 5 (read scaling, not failover).",
    "database.protect":
        "Protects the cluster, replicas, cache and static-assets bucket against deletion and replacement.",
    "loadBalancer.count": "Public load balancers, 1 to 10; several run active-active behind DNS.",
    "loadBalancer.sizeUnit": "Nodes per managed load balancer, 1 to 200 (about 10,000 requests/s each).",
    "loadBalancer.engine":
        "managed (DigitalOcean load balancers) or haproxy (self-managed HAProxy droplets with reserved IPs).",
    "loadBalancer.algorithm": "HAProxy balancing: roundrobin or leastconn (haproxy engine only).",
    "loadBalancer.size": "HAProxy droplet size slug (haproxy engine only).",
    "certificate.kind": "lets_encrypt (DigitalOcean DNS must host the domain) or custom (tier 2+).",
    "dns.zone":
        "create (the stack creates the zone and keeps it on destroy) or existing (adopts a zone already at DigitalOcean and adds only records).",
    "dns.records":
        "Extra records `[{type, name, value, ttl?, priority?, flags?, tag?}]` (A, AAAA, CAA, CNAME, MX, NS, TXT), e.g. MX and SPF copied from the old DNS host.",
    tlsPrivateKey: "PEM private key of a custom certificate; secret.",
    tlsCertificate: "PEM leaf certificate of a custom certificate.",
    tlsCertificateChain: "PEM chain of a custom certificate (optional).",
    "cache.enabled": "Managed Valkey cache trusted only by the app servers (tier 2+).",
    "cache.size": "Valkey plan.",
    "staticAssets.enabled": "Private versioned Spaces bucket + CDN for static assets (tier 1+).",
    "logs.enabled":
        "Managed OpenSearch log store, database log sinks, a log shipper on every droplet and a QPS monitor droplet; default on from tier 2, an option at tier 1.",
    "logs.indexDaysMax": "Days of logs (and QPS samples) kept, 1 to 10,000; default 14.",
    "logs.size": "OpenSearch plan of the one-node log store; nodes cannot be downsized.",
    "secrets.delivery":
        "userData (default): cloud-init writes the app's secrets file from encrypted user data, metadata locked to root; manual: you copy it in (refuses autoscaled app droplets).",
    allowDataLoss:
        "Lets an update delete or replace data-bearing resources the previous update had (database, replicas, cache, bucket, tier 0's MySQL droplet), e.g. a tier downgrade or leaving tier 0. Set it for that one update only.",
};

/** Every configuration path, structured keys expanded (`web.count`, …), in documentation order. */
export const CONFIG_PATHS: readonly string[] = Object.entries(KEYS).flatMap(([key, subs]) =>
    subs ? subs.map((s) => `${key}.${s}`) : [key],
);
