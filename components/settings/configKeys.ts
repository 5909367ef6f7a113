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
    alerts: ["emails", "slackChannel"],
    alertEmail: null,
    slackWebhookUrl: null,
    app: ["image", "port", "healthPath", "count", "size", "autoscale"],
    web: ["count", "size", "autoscale"],
    database: ["size", "standbyNodes", "readReplicas", "protect"],
    loadBalancer: ["count", "sizeUnit", "engine", "algorithm", "size"],
    certificate: ["kind"],
    tlsPrivateKey: null,
    tlsCertificate: null,
    tlsCertificateChain: null,
    cache: ["enabled", "size"],
    staticAssets: ["enabled"],
    secrets: ["delivery"],
    allowDataLoss: null,
};
export const SECRET_KEYS = ["slackWebhookUrl", "tlsPrivateKey"];

/** One sentence per key for the README's configuration table (a test checks every key has one). */
export const CONFIG_DOCS: Record<string, string> = {
    tier: "0 simple, 1 distributed, 2 secured and monitored, 3 scale-up. Required.",
    region: "DigitalOcean region; must offer managed MySQL and Valkey (and Spaces when static assets are on).",
    domain: "Apex domain whose DNS DigitalOcean hosts (delegate its NS records to ns1-3.digitalocean.com). Required.",
    environment: "DigitalOcean project environment: Development, Staging or Production.",
    vpcIpRange: "Private IPv4 range of the VPC, RFC 1918, /16 to /24. Changing it replaces the VPC and the database.",
    sshKeys: "SSH key fingerprints or ids for root on every droplet (list, or comma-separated text). Required.",
    adminCidrs: "CIDRs allowed to SSH from tier 2; empty closes port 22. /0 is refused.",
    "alerts.emails": "E-mail addresses that receive alerts; at least one target is required from tier 2.",
    "alerts.slackChannel": "Slack channel for alerts; needs webstack:slackWebhookUrl.",
    alertEmail: "One alert e-mail as plain text (what `pulumi new` prompts for); added to alerts.emails.",
    slackWebhookUrl: "Slack incoming-webhook URL; secret (`--secret`).",
    "app.image": "Container image of the app.",
    "app.port": "Port the app container listens on (1024 to 65535).",
    "app.healthPath": "Path the app answers with 2xx when it serves; every load balancer health check reaches it through nginx (default /healthz).",
    "app.count": "App droplets behind the internal load balancer (tier 2+), 2 to 1,000 (your account's droplet limit applies).",
    "app.size": "App droplet size slug (tier 2+).",
    "app.autoscale":
        "`{min, max, targetCpu}`: a DigitalOcean autoscale pool (min 1 to 50, max up to 50, target CPU 10 to 90 %) instead of app.count (tier 2+).",
    "web.count": "Web droplets: exactly 1 at tier 0, 2 to 1,000 above (your account's droplet limit applies).",
    "web.size": "Web droplet size slug; at least 2 GB at tier 0 (MySQL shares the droplet).",
    "web.autoscale": "`{min, max, targetCpu}`: a DigitalOcean autoscale pool instead of web.count (tier 1+, managed load balancers only).",
    "database.size": "Managed MySQL plan for the primary, standby nodes and replicas (tier 1+).",
    "database.standbyNodes": "Standby nodes, 0 to 2: automatic failover, removes the primary-database SPOF; needs a 2 GB plan.",
    "database.readReplicas": "Read-only replicas, 0 to 5 (read scaling, not failover).",
    "database.protect": "Protects the cluster, replicas, cache and static-assets bucket against deletion and replacement.",
    "loadBalancer.count": "Public load balancers, 1 to 10; several run active-active behind DNS.",
    "loadBalancer.sizeUnit": "Nodes per managed load balancer, 1 to 200 (about 10,000 requests/s each).",
    "loadBalancer.engine": "managed (DigitalOcean load balancers) or haproxy (self-managed HAProxy droplets with reserved IPs).",
    "loadBalancer.algorithm": "HAProxy balancing: roundrobin or leastconn (haproxy engine only).",
    "loadBalancer.size": "HAProxy droplet size slug (haproxy engine only).",
    "certificate.kind": "lets_encrypt (DigitalOcean DNS must host the domain) or custom (tier 2+).",
    tlsPrivateKey: "PEM private key of a custom certificate; secret.",
    tlsCertificate: "PEM leaf certificate of a custom certificate.",
    tlsCertificateChain: "PEM chain of a custom certificate (optional).",
    "cache.enabled": "Managed Valkey cache trusted only by the app servers (tier 2+).",
    "cache.size": "Valkey plan.",
    "staticAssets.enabled": "Private versioned Spaces bucket + CDN for static assets (tier 1+).",
    "secrets.delivery":
        "userData (default): cloud-init writes the app's secrets file from encrypted user data, metadata locked to root; manual: you copy it in (refuses autoscaled app droplets).",
    allowDataLoss:
        "Lets an update delete or replace data-bearing resources the previous update had (database, replicas, cache, bucket, tier 0's MySQL droplet), e.g. a tier downgrade or leaving tier 0. Set it for that one update only.",
};

/** Every configuration path, structured keys expanded (`web.count`, …), in documentation order. */
export const CONFIG_PATHS: readonly string[] = Object.entries(KEYS).flatMap(([key, subs]) => (subs ? subs.map((s) => `${key}.${s}`) : [key]));
