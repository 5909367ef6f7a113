// Stacks written the way another team would write them with plain @pulumi/digitalocean resources: their own
// names, tags and layout, none of webstack's components, names ("shop-…") or tags. Policies must judge these
// as well as they judge our tiers (stacks.ts). Computed outputs (ids, IPs) are filled in as after an update.
import * as digitalocean from "@pulumi/digitalocean";
import { ref, Spec, spec } from "../support/policyHarness";

/**
 * Where a fixture's droplets live, as one team's program would set it up: its region and image, the VPC and SSH key
 * its droplets reference (spec names and properties), droplet ids (idBase + octet) and address prefixes.
 */
export interface FixtureSite {
    region: string;
    image: string;
    vpc: { name: string; props: Record<string, unknown> };
    key: { name: string; props: Record<string, unknown> };
    idBase: number;
    publicPrefix: string;
    privatePrefix: string;
}

/** The plain stacks' site: a Debian team in fra1. */
const PLAIN: FixtureSite = {
    region: "fra1",
    image: "debian-12-x64",
    vpc: { name: "main", props: { id: "7d0c2b4e-1111-4000-8000-00000000aa01", name: "main", ipRange: "10.20.0.0/20" } },
    key: {
        name: "deployer",
        props: {
            id: "41270653",
            name: "deployer",
            publicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample deployer",
            fingerprint: "9d:21:3a:0e:51:7c:6a:44:02:aa:b9:3d:7e:11:c0:5f",
        },
    },
    idBase: 510000000,
    publicPrefix: "192.0.2.",
    privatePrefix: "10.20.0.",
};

/** The resources every stack of a site starts from: its VPC, its SSH key and a tag. */
export function siteBase(site: FixtureSite, tag: string): Spec[] {
    return [
        spec(digitalocean.Vpc, site.vpc.name, { ...site.vpc.props, region: site.region }),
        spec(digitalocean.SshKey, site.key.name, site.key.props),
        spec(digitalocean.Tag, tag, { id: tag, name: tag }),
    ];
}

/** A droplet as a plain program declares it at a site; `octet` picks its id and addresses. */
export function siteDroplet(
    site: FixtureSite,
    name: string,
    tag: string,
    octet: number,
    userData: string,
    extra: Record<string, unknown> = {},
): Spec {
    return spec(digitalocean.Droplet, name, {
        id: String(site.idBase + octet),
        name,
        region: site.region,
        size: "s-2vcpu-4gb",
        image: site.image,
        monitoring: true,
        sshKeys: [ref(site.key.name, "fingerprint")],
        vpcUuid: ref(site.vpc.name),
        tags: [ref(tag)],
        userData,
        ipv4Address: `${site.publicPrefix}${octet}`,
        ipv4AddressPrivate: `${site.privatePrefix}${octet}`,
        ...extra,
    });
}

const base = (tag: string) => siteBase(PLAIN, tag);

/** A droplet of the plain stacks; `octet` picks its addresses. */
export const plainDroplet = (
    name: string,
    tag: string,
    octet: number,
    userData: string,
    extra: Record<string, unknown> = {},
): Spec => siteDroplet(PLAIN, name, tag, octet, userData, extra);

/** A worker and an app droplet behind a firewall that admits SSH from an office range only; no public endpoint. */
export function plainDroplets(): Spec[] {
    return [
        ...base("backend"),
        plainDroplet("app", "backend", 11, "#!/bin/bash\napt-get update\napt-get install -y python3-venv\n"),
        plainDroplet("worker", "backend", 12, "#!/bin/bash\napt-get install -y python3-venv\n"),
        spec(digitalocean.Firewall, "backend-fw", {
            id: "fw-backend",
            name: "backend-fw",
            tags: [ref("backend")],
            inboundRules: [{ protocol: "tcp", portRange: "22", sourceAddresses: ["198.18.0.0/24"] }],
            outboundRules: [{ protocol: "tcp", portRange: "all", destinationAddresses: ["0.0.0.0/0", "::/0"] }],
        }),
    ];
}

/** plainDroplets plus a PostgreSQL cluster whose database firewall trusts the backend tag. */
export function plainDatabase(): Spec[] {
    return [
        ...plainDroplets(),
        spec(digitalocean.DatabaseCluster, "orders", {
            id: "4b6f9e2a-2222-4000-8000-00000000bb01",
            name: "orders",
            engine: "pg",
            version: "16",
            size: "db-s-2vcpu-4gb",
            region: PLAIN.region,
            nodeCount: 2,
            privateNetworkUuid: ref("main"),
        }),
        spec(digitalocean.DatabaseFirewall, "orders-trusted", {
            id: "dbfw-orders",
            clusterId: ref("orders"),
            rules: [{ type: "tag", value: ref("backend") }],
        }),
    ];
}

const NGINX = "#cloud-config\npackages:\n  - nginx\nruncmd:\n  - systemctl enable --now nginx\n";
const webFirewall = (name: string, tag: string, sources: Record<string, unknown>) =>
    spec(digitalocean.Firewall, name, {
        id: `fw-${name}`,
        name,
        tags: [ref(tag)],
        inboundRules: [80, 443].map((port) => ({ protocol: "tcp", portRange: String(port), ...sources })),
        outboundRules: [{ protocol: "tcp", portRange: "all", destinationAddresses: ["0.0.0.0/0", "::/0"] }],
    });

/** Two nginx droplets behind an internet-facing load balancer reached by its IP (no DNS records), watched by an uptime check. */
export function plainLoadBalanced(): Spec[] {
    return [
        ...base("api"),
        plainDroplet("api-1", "api", 21, NGINX),
        plainDroplet("api-2", "api", 22, NGINX),
        spec(digitalocean.LoadBalancer, "edge", {
            id: "0c7e5a91-3333-4000-8000-00000000cc01",
            name: "edge",
            region: PLAIN.region,
            vpcUuid: ref("main"),
            dropletTag: ref("api"),
            forwardingRules: [{ entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 }],
            healthcheck: { protocol: "http", port: 80, path: "/" },
            ip: "198.51.100.7",
        }),
        webFirewall("api-fw", "api", { sourceLoadBalancerUids: [ref("edge")] }),
        spec(digitalocean.UptimeCheck, "edge-check", {
            id: "uc-edge",
            name: "edge",
            target: "http://198.51.100.7/",
            type: "http",
            enabled: true,
        }),
        spec(digitalocean.UptimeAlert, "edge-down", {
            id: "ua-edge-down",
            name: "edge down",
            checkId: ref("edge-check"),
            type: "down",
            period: "2m",
            comparison: "greater_than",
            notifications: [{ emails: ["oncall@example.net"] }],
        }),
    ];
}

/** One nginx droplet serving the public on its own address: no load balancer, no DNS records, no uptime check. */
export function plainSingleDroplet(): Spec[] {
    return [
        ...base("www"),
        plainDroplet("blog", "www", 40, NGINX),
        webFirewall("www-fw", "www", { sourceAddresses: ["0.0.0.0/0", "::/0"] }),
    ];
}

/** nginx balancing over two app droplets, with TLS and an HTTP redirect, as another team's cloud-config writes it. */
export const NGINX_BALANCER = [
    "#cloud-config",
    "packages:",
    "  - nginx",
    "write_files:",
    "  - path: /etc/nginx/conf.d/gateway.conf",
    "    content: |",
    "      upstream app_pool {",
    "          server 10.20.0.31:3000;",
    "          server 10.20.0.32:3000;",
    "      }",
    "      server { listen 80; return 301 https://$host$request_uri; }",
    "      server {",
    "          listen 443 ssl;",
    "          ssl_certificate /etc/letsencrypt/live/gw/fullchain.pem;",
    "          ssl_certificate_key /etc/letsencrypt/live/gw/privkey.pem;",
    "          location / { proxy_pass http://app_pool; }",
    "      }",
    "",
].join("\n");

/** Two app droplets behind one self-run proxy droplet "gateway" that holds a reserved IP (no DNS records, no managed load balancer). */
export function plainGateway(userData = NGINX_BALANCER): Spec[] {
    return [
        ...base("apps"),
        spec(digitalocean.Tag, "edge", { id: "edge", name: "edge" }),
        plainDroplet("app-1", "apps", 31, "#!/bin/bash\napt-get install -y nodejs\n"),
        plainDroplet("app-2", "apps", 32, "#!/bin/bash\napt-get install -y nodejs\n"),
        plainDroplet("gateway", "edge", 30, userData),
        spec(digitalocean.ReservedIp, "gateway-ip", {
            id: "192.0.2.200",
            region: PLAIN.region,
            ipAddress: "192.0.2.200",
        }),
        spec(digitalocean.ReservedIpAssignment, "gateway-ip-assignment", {
            id: "assign-gw",
            ipAddress: ref("gateway-ip", "ipAddress"),
            dropletId: ref("gateway"),
        }),
    ];
}
