// Deployed stacks of the shapes other teams' programs build (Pulumi TypeScript and Python, Terraform converted to the
// same resources), none of them webstack's: a bastion with CI runners, a self-managed k3s cluster, a developer's SSH
// box, single droplets terminating their own TLS, an app that talks to a managed database, a cloud-config with sudo
// rules and base64 files, a load balancer its backends' firewalls shut out, mail records beside a site, read replicas, a mail server, a
// Cloudflare-proxied origin.
// Each is written as `pulumi stack export` writes the state (inputs, outputs with the ids and addresses the cloud
// computed, a droplet's user data as the provider's SHA-1 of it, dependencies), so the tests run the real pack over it
// exactly as `pulumi policy analyze --file` does.
import { createHash } from "node:crypto";
import { gzipSync } from "node:zlib";
import * as digitalocean from "@pulumi/digitalocean";
import { ref, Ref, Spec, spec } from "../support/policyHarness";
import { siteBase, siteDroplet, type FixtureSite } from "./plainStacks";

const REGION = "ams3";
const OFFICE = "198.18.7.0/24";

/** These stacks' site: an Ubuntu team in ams3. */
const SITE: FixtureSite = {
    region: REGION,
    image: "ubuntu-24-04-x64",
    vpc: { name: "vpc", props: { id: "6f1a0c52-0000-4000-8000-0000000000a1", ipRange: "10.40.0.0/20" } },
    key: {
        name: "ops-key",
        props: { id: "48112233", fingerprint: "5b:7e:10:2c:9a:41:d3:0f:66:21:b8:c4:7d:90:ee:13", name: "ops" },
    },
    idBase: 620000000,
    publicPrefix: "203.0.113.",
    privatePrefix: "10.40.0.",
};

/** Outputs the cloud computes: absent from a resource's inputs in the state. */
const COMPUTED = new Set(["id", "uuid", "ipv4Address", "ipv4AddressPrivate", "ipv6Address", "ip", "host", "urn"]);

export interface RealWorldStack {
    project: string;
    specs: Spec[];
}

const tokenOf = (s: Spec) => (s.cls as unknown as { __pulumiType: string }).__pulumiType;
const DROPLET = (digitalocean.Droplet as unknown as { __pulumiType: string }).__pulumiType;

/** The stack as `pulumi stack export` writes it (version 3, secrets already in plaintext form). */
export function stackExport({ project, specs }: RealWorldStack): string {
    const urnOf = (s: Spec) => `urn:pulumi:prod::${project}::${tokenOf(s)}::${s.name}`;
    const root = `urn:pulumi:prod::${project}::pulumi:pulumi:Stack::${project}-prod`;
    const byName = new Map(specs.map((s) => [s.name, s]));
    const resources = specs.map((s) => {
        const deps: Record<string, string[]> = {};
        const resolve = (value: unknown, key: string): unknown => {
            if (value instanceof Ref) {
                const target = byName.get(value.name);
                if (!target) throw new Error(`"${s.name}" refers to missing "${value.name}"`);
                deps[key] = [...new Set([...(deps[key] ?? []), urnOf(target)])];
                return resolve(target.props[value.property], key);
            }
            if (Array.isArray(value)) return value.map((v) => resolve(v, key));
            if (value && typeof value === "object")
                return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, key)]));
            return value;
        };
        const outputs = Object.fromEntries(Object.entries(s.props).map(([k, v]) => [k, resolve(v, k)]));
        const inputs = Object.fromEntries(Object.entries(outputs).filter(([k]) => !COMPUTED.has(k)));
        // The provider keeps a droplet's user data in its state as the SHA-1 of the text (terraform-provider-digitalocean
        // resource_droplet.go:242-250, HashStringStateFunc); the inputs keep the text.
        if (tokenOf(s) === DROPLET && typeof outputs.userData === "string")
            outputs.userData = createHash("sha1").update(outputs.userData).digest("hex");
        return {
            urn: urnOf(s),
            custom: true,
            id: String(outputs.id ?? s.name),
            type: tokenOf(s),
            inputs,
            outputs,
            parent: root,
            protect: s.protect ?? false,
            dependencies: [...new Set(Object.values(deps).flat())],
            propertyDependencies: deps,
            additionalSecretOutputs: s.additionalSecretOutputs ?? [],
        };
    });
    return JSON.stringify({
        version: 3,
        deployment: {
            manifest: { time: "2026-11-30T09:00:00Z", magic: "", version: "v3.249.0" },
            resources: [{ urn: root, custom: false, type: "pulumi:pulumi:Stack", outputs: {} }, ...resources],
        },
    });
}

/** An enabled alert policy that e-mails the team, on tags or on entities. */
function alertOn(name: string, type: string, target: { tags: unknown[] } | { entities: unknown[] }): Spec {
    return spec(digitalocean.MonitorAlert, name, {
        id: `alert-${name}`,
        type,
        compare: type.includes("lbaas/droplet_health") ? "LessThan" : "GreaterThan",
        value: type.includes("lbaas/droplet_health") ? 1 : 90,
        window: "10m",
        enabled: true,
        ...target,
        alerts: { emails: ["ops@example.org"] },
    });
}

/** An uptime check on a target and its "down" alert to the team. */
function uptimeWatch(name: string, target: string): Spec[] {
    return [
        spec(digitalocean.UptimeCheck, `${name}-check`, {
            id: `uc-${name}`,
            name,
            target,
            type: "https",
            enabled: true,
        }),
        spec(digitalocean.UptimeAlert, `${name}-down`, {
            id: `ua-${name}`,
            name: `${name} down`,
            checkId: ref(`${name}-check`),
            type: "down",
            period: "2m",
            comparison: "greater_than",
            notifications: [{ emails: ["ops@example.org"] }],
        }),
    ];
}

/** What every fine stack here has: a VPC, an SSH key, a role tag, and CPU/memory/disk alerts on that tag. */
function base(tag: string): Spec[] {
    return [...siteBase(SITE, tag), alertOn(`${tag}-cpu`, "v1/insights/droplet/cpu", { tags: [ref(tag)] })];
}

const droplet = (name: string, tag: string, octet: number, userData: string, extra: Record<string, unknown> = {}) =>
    siteDroplet(SITE, name, tag, octet, userData, extra);

const outbound = [
    { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
    { protocol: "udp", portRange: "53", destinationAddresses: ["0.0.0.0/0", "::/0"] },
];

function firewall(name: string, tag: string, inboundRules: unknown[]): Spec {
    return spec(digitalocean.Firewall, name, {
        id: `fw-${name}`,
        name,
        tags: [ref(tag)],
        inboundRules,
        outboundRules: outbound,
    });
}

const sshFromOffice = { protocol: "tcp", portRange: "22", sourceAddresses: [OFFICE] };

/** A bastion with a reserved IP and a DNS name, and two CI runners reached only through it (Terraform, converted). */
export function bastionAndRunners(): RealWorldStack {
    const runner = [
        "#!/bin/bash",
        "set -euo pipefail",
        "curl -fsSL https://get.docker.com | sh",
        "curl -L https://packages.gitlab.com/install/repositories/runner/gitlab-runner/script.deb.sh | bash",
        "apt-get install -y gitlab-runner",
        "gitlab-runner register --non-interactive --url https://gitlab.example.org --executor docker --docker-image alpine:3.20",
        "",
    ].join("\n");
    return {
        project: "ci-infra",
        specs: [
            ...base("ci"),
            spec(digitalocean.Domain, "zone", { id: "example.org", name: "example.org" }),
            droplet("bastion", "ci", 10, "#cloud-config\npackage_update: true\npackages:\n  - fail2ban\n"),
            droplet("runner-1", "ci", 11, runner),
            droplet("runner-2", "ci", 12, runner),
            spec(digitalocean.ReservedIp, "bastion-ip", {
                id: "198.51.100.40",
                region: REGION,
                ipAddress: "198.51.100.40",
                dropletId: ref("bastion"),
            }),
            spec(digitalocean.DnsRecord, "bastion-dns", {
                id: "7001",
                domain: ref("zone", "name"),
                name: "bastion",
                type: "A",
                value: ref("bastion-ip", "ipAddress"),
            }),
            firewall("ci-ssh", "ci", [sshFromOffice, { protocol: "tcp", portRange: "22", sourceTags: [ref("ci")] }]),
        ],
    };
}

/**
 * Three self-managed k3s nodes (its bundled Traefik turned off), API and SSH open to the office only, each named in the
 * zone by its private address for the others to find (Pulumi Python).
 */
export function k3sCluster(): RealWorldStack {
    const server =
        "#!/bin/bash\ncurl -sfL https://get.k3s.io | INSTALL_K3S_EXEC='server --disable traefik --node-ip 10.40.0.20' sh -\n";
    const agent =
        "#!/bin/bash\ncurl -sfL https://get.k3s.io | K3S_URL=https://10.40.0.20:6443 K3S_TOKEN_FILE=/etc/k3s-token sh -\n";
    return {
        project: "k3s-lab",
        specs: [
            ...base("k3s"),
            droplet("k3s-server", "k3s", 20, server),
            droplet("k3s-agent-1", "k3s", 21, agent),
            droplet("k3s-agent-2", "k3s", 22, agent),
            spec(digitalocean.Domain, "zone", { id: "example.org", name: "example.org" }),
            ...["k3s-server", "k3s-agent-1", "k3s-agent-2"].map((node, i) =>
                spec(digitalocean.DnsRecord, `${node}-internal`, {
                    id: `${7601 + i}`,
                    domain: ref("zone", "name"),
                    name: `${node}.int`,
                    type: "A",
                    value: ref(node, "ipv4AddressPrivate"),
                }),
            ),
            firewall("k3s-nodes", "k3s", [
                sshFromOffice,
                { protocol: "tcp", portRange: "6443", sourceAddresses: [OFFICE] },
                { protocol: "tcp", portRange: "1-65535", sourceTags: [ref("k3s")] },
                { protocol: "udp", portRange: "8472", sourceTags: [ref("k3s")] },
            ]),
        ],
    };
}

/** One developer's SSH box with a DNS name, whose firewall admits only SSH (Pulumi TypeScript). */
export function devBox(): RealWorldStack {
    return {
        project: "devbox",
        specs: [
            ...base("dev"),
            spec(digitalocean.Domain, "zone", { id: "example.dev", name: "example.dev" }),
            droplet("devbox", "dev", 30, "#cloud-config\npackages:\n  - build-essential\n  - docker.io\n  - tmux\n"),
            spec(digitalocean.DnsRecord, "devbox-dns", {
                id: "7101",
                domain: ref("zone", "name"),
                name: "box",
                type: "A",
                value: ref("devbox", "ipv4Address"),
            }),
            firewall("dev-ssh", "dev", [sshFromOffice]),
        ],
    };
}

/**
 * One droplet behind a reserved IP `198.51.100.<octet>` that `<name>.example.org` names, its firewall admitting SSH from
 * the office and `open` from anywhere.
 */
function reservedIpHost(name: string, octet: number, userData: string, open: unknown[], extra: Spec[] = []): Spec[] {
    const ip = `198.51.100.${octet}`;
    return [
        ...base(name),
        spec(digitalocean.Domain, "zone", { id: "example.org", name: "example.org" }),
        droplet(name, name, octet, userData),
        spec(digitalocean.ReservedIp, `${name}-ip`, { id: ip, region: REGION, ipAddress: ip, dropletId: ref(name) }),
        spec(digitalocean.DnsRecord, `${name}-dns`, {
            id: `7${octet}01`,
            domain: ref("zone", "name"),
            name,
            type: "A",
            value: ref(`${name}-ip`, "ipAddress"),
        }),
        firewall(`${name}-in`, name, [sshFromOffice, ...open]),
        ...extra,
    ];
}
const fromAnywhere = (protocol: string, portRange: string) => ({
    protocol,
    portRange,
    sourceAddresses: ["0.0.0.0/0", "::/0"],
});

/**
 * A WireGuard gateway: a reserved IP with a vpn. name, SSH from the office and WireGuard's UDP 51820 from anywhere,
 * since its users roam (Terraform, converted).
 */
export function wireguardGateway(): RealWorldStack {
    return {
        project: "vpn-gw",
        specs: reservedIpHost(
            "vpn",
            45,
            "#cloud-config\npackages:\n  - wireguard\nruncmd:\n  - systemctl enable --now wg-quick@wg0\n",
            [fromAnywhere("udp", "51820")],
        ),
    };
}

/**
 * A mail server: Postfix and Dovecot with a certificate from certbot's DNS challenge, a reserved IP, an MX record and
 * its A record, and a firewall that opens SMTP, submission and IMAPS to the world, as a mail exchanger must.
 */
export function mailServer(ports = ["25", "465", "587", "993"]): RealWorldStack {
    return {
        project: "mail",
        specs: reservedIpHost(
            "mail",
            25,
            "#cloud-config\npackages:\n  - postfix\n  - dovecot-imapd\n  - certbot\n  - python3-certbot-dns-digitalocean\nruncmd:\n  - certbot certonly --dns-digitalocean --dns-digitalocean-credentials /root/do.ini -d mail.example.org -n --agree-tos -m ops@example.org\n  - systemctl restart postfix dovecot\n",
            ports.map((port) => fromAnywhere("tcp", port)),
            [
                spec(digitalocean.DnsRecord, "mx", {
                    id: "7602",
                    domain: ref("zone", "name"),
                    name: "@",
                    type: "MX",
                    priority: 10,
                    value: "mail.example.org.",
                }),
            ],
        ),
    };
}

/** A Compose-deployed blog behind Caddy, which obtains and renews its own certificate; the apex set by the Domain. */
export const CADDY_COMPOSE = [
    "#cloud-config",
    "packages:",
    "  - docker.io",
    "  - docker-compose-v2",
    "  - vector",
    "write_files:",
    "  - path: /srv/blog/Caddyfile",
    "    content: |",
    "      blog.example.net {",
    "          reverse_proxy ghost:2368",
    "      }",
    "  - path: /srv/blog/compose.yaml",
    "    content: |",
    "      services:",
    "        caddy:",
    "          image: caddy:2.8",
    "          ports: ['80:80', '443:443']",
    "          volumes: ['./Caddyfile:/etc/caddy/Caddyfile', 'caddy_data:/data']",
    "        ghost:",
    "          image: ghost:5-alpine",
    "          environment:",
    "            database__client: sqlite3",
    "      volumes:",
    "        caddy_data: {}",
    "runcmd:",
    "  - cd /srv/blog && docker compose up -d",
    "",
].join("\n");

/** nginx with certbot obtaining the certificate and writing the redirect, run from user data. */
export const NGINX_CERTBOT = [
    "#!/bin/bash",
    "apt-get update",
    "apt-get install -y nginx certbot python3-certbot-nginx vector",
    "certbot --nginx -n --agree-tos -m ops@example.net -d shop.example.net",
    "",
].join("\n");

/** One web droplet that terminates TLS itself: its own DNS name, an uptime check and a log shipper. */
export function selfTlsDroplet(userData: string, fqdn: string): RealWorldStack {
    const [label, ...rest] = fqdn.split(".");
    return {
        project: "single-site",
        specs: [
            ...base("site"),
            spec(digitalocean.Domain, "zone", {
                id: rest.join("."),
                name: rest.join("."),
                ipAddress: ref("web", "ipv4Address"),
            }),
            droplet("web", "site", 40, userData),
            spec(digitalocean.DnsRecord, "site-dns", {
                id: "7201",
                domain: ref("zone", "name"),
                name: label,
                type: "A",
                value: ref("web", "ipv4Address"),
            }),
            firewall("site-web", "site", [
                sshFromOffice,
                { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
                { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
            ]),
            ...uptimeWatch("site", `https://${fqdn}`),
        ],
    };
}

/**
 * Two droplets running Caddy, each with its own ACME certificate, behind a load balancer that forwards raw TCP on 443
 * and 80 with the PROXY protocol, so TLS ends on the droplets; their firewall admits only the load balancer.
 */
export function caddyBehindTcpPassthrough(): RealWorldStack {
    const caddy = [
        "#cloud-config",
        "packages:",
        "  - caddy",
        "  - vector",
        "write_files:",
        "  - path: /etc/caddy/Caddyfile",
        "    content: |",
        "      {",
        "          servers {",
        "              listener_wrappers {",
        "                  proxy_protocol",
        "                  tls",
        "              }",
        "          }",
        "      }",
        "      api.example.io {",
        "          reverse_proxy 127.0.0.1:8080",
        "      }",
        "runcmd:",
        "  - systemctl enable --now caddy api",
        "",
    ].join("\n");
    return {
        project: "edge-api",
        specs: [
            ...base("edge"),
            droplet("edge-1", "edge", 70, caddy),
            droplet("edge-2", "edge", 71, caddy),
            spec(digitalocean.LoadBalancer, "edge-lb", {
                id: "2b3c4d5e-0000-4000-8000-0000000000e1",
                name: "edge-lb",
                region: REGION,
                vpcUuid: ref("vpc"),
                dropletTag: ref("edge"),
                enableProxyProtocol: true,
                forwardingRules: [
                    { entryProtocol: "tcp", entryPort: 443, targetProtocol: "tcp", targetPort: 443 },
                    { entryProtocol: "tcp", entryPort: 80, targetProtocol: "tcp", targetPort: 80 },
                ],
                healthcheck: { protocol: "tcp", port: 443 },
                ip: "198.51.100.70",
            }),
            firewall("edge-from-lb", "edge", [
                sshFromOffice,
                ...["80", "443"].map((portRange) => ({
                    protocol: "tcp",
                    portRange,
                    sourceLoadBalancerUids: [ref("edge-lb")],
                })),
            ]),
            spec(digitalocean.DnsRecord, "api-dns", {
                id: "7301",
                domain: "example.io",
                name: "api",
                type: "A",
                value: ref("edge-lb", "ip"),
            }),
            alertOn("edge-lb-health", "v1/insights/lbaas/droplet_health", { entities: [ref("edge-lb")] }),
            ...uptimeWatch("edge", "https://api.example.io"),
        ],
    };
}

/** One nginx droplet with certbot, named `<label>.example.org` in DNS, its firewall admitting SSH and `web`. */
function nginxSite(project: string, name: string, label: string, octet: number, recordId: string, web: unknown[]) {
    return {
        project,
        specs: [
            ...base(name),
            droplet(name, name, octet, NGINX_CERTBOT.replace("shop.example.net", `${label}.example.org`)),
            spec(digitalocean.DnsRecord, `${name}-dns`, {
                id: recordId,
                domain: "example.org",
                name: label,
                type: "A",
                value: ref(name, "ipv4Address"),
            }),
            firewall(`${name}-in`, name, [sshFromOffice, ...web]),
        ],
    };
}

/** An internal admin tool: nginx with certbot on one droplet, named in DNS, its firewall open to the office only. */
export function officeAdminTool(): RealWorldStack {
    return nginxSite("backoffice", "admin", "admin", 90, "7401", [
        { protocol: "tcp", portRange: "80", sourceAddresses: [OFFICE] },
        { protocol: "tcp", portRange: "443", sourceAddresses: [OFFICE] },
    ]);
}

/**
 * A site proxied by Cloudflare: one nginx droplet with certbot, named in DNS, whose firewall admits the web only from
 * Cloudflare's proxy ranges (a sample of its published list: IPv4 blocks as wide as /13, IPv6 /32s).
 */
export function cloudflareOrigin(): RealWorldStack {
    const CLOUDFLARE = ["173.245.48.0/20", "103.21.244.0/22", "104.16.0.0/13", "172.64.0.0/13", "2400:cb00::/32"];
    return nginxSite("proxied-site", "origin", "www", 95, "7701", [
        { protocol: "tcp", portRange: "443", sourceAddresses: CLOUDFLARE },
    ]);
}

/**
 * Two nginx droplets with certbot that keepalived fails a floating IP over between (Terraform, converted, with the
 * legacy FloatingIp names): web-a is master and holds the IP, web-b takes it over through DigitalOcean's API when
 * web-a stops answering, and DNS points at the IP.
 */
export function keepalivedPair(peers = 2): RealWorldStack {
    const web = (peer: string) =>
        [
            "#cloud-config",
            "packages:",
            "  - nginx",
            "  - certbot",
            "  - python3-certbot-nginx",
            "  - keepalived",
            "  - vector",
            "write_files:",
            "  - path: /etc/keepalived/keepalived.conf",
            "    content: |",
            "      vrrp_instance VI_1 {",
            "        interface eth1",
            "        virtual_router_id 33",
            `        unicast_peer { ${peer} }`,
            "        notify_master /etc/keepalived/master.sh",
            "      }",
            "  - path: /etc/keepalived/master.sh",
            "    permissions: '0700'",
            "    content: |",
            "      #!/bin/sh",
            "      python3 /usr/local/bin/assign-ip 203.0.113.200 $(curl -s http://169.254.169.254/metadata/v1/id)",
            "runcmd:",
            "  - certbot --nginx -n --agree-tos -m ops@example.com -d www.example.com",
            "  - systemctl enable --now nginx keepalived",
            "",
        ].join("\n");
    return {
        project: "legacy-web",
        specs: [
            ...base("web"),
            droplet("web-a", "web", 31, web("10.40.0.32")),
            ...(peers > 1 ? [droplet("web-b", "web", 32, web("10.40.0.31"))] : []),
            spec(digitalocean.FloatingIp, "web-ip", {
                id: "203.0.113.200",
                region: REGION,
                ipAddress: "203.0.113.200",
            }),
            spec(digitalocean.FloatingIpAssignment, "web-ip-assignment", {
                id: "web-ip-assignment",
                ipAddress: ref("web-ip", "ipAddress"),
                dropletId: ref("web-a"),
            }),
            spec(digitalocean.DnsRecord, "www-dns", {
                id: "7501",
                domain: "example.com",
                name: "www",
                type: "A",
                value: ref("web-ip-assignment", "ipAddress"),
            }),
            firewall("web-in", "web", [
                sshFromOffice,
                { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
                { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
            ]),
            ...uptimeWatch("www", "https://www.example.com"),
        ],
    };
}

/** Two API droplets behind a load balancer, a managed PostgreSQL cluster they connect to (client only). */
export function apiWithManagedPostgres(webFirewallPorts: string[] = ["8080"]): RealWorldStack {
    const api = [
        "#!/bin/bash",
        "apt-get install -y postgresql-client-16 vector",
        "cat >/etc/api.env <<EOF",
        "DATABASE_URL=postgresql://api@orders-do-user-1.db.ondigitalocean.com:25060/orders?sslmode=require",
        "DATABASE_PASSWORD_FILE=/run/secrets/db",
        "EOF",
        'PGPASSWORD="$(cat /run/secrets/db)" psql "postgresql://api@orders-do-user-1.db.ondigitalocean.com:25060/orders?sslmode=require" -c "select 1"',
        "docker run --rm postgres:16 pg_isready -h orders-do-user-1.db.ondigitalocean.com -p 25060",
        "systemctl enable --now api",
        "",
    ].join("\n");
    return {
        project: "orders-api",
        specs: [
            ...base("api"),
            droplet("api-1", "api", 50, api),
            droplet("api-2", "api", 51, api),
            spec(digitalocean.LoadBalancer, "api-lb", {
                id: "2b3c4d5e-0000-4000-8000-0000000000c1",
                name: "api-lb",
                region: REGION,
                vpcUuid: ref("vpc"),
                dropletTag: ref("api"),
                redirectHttpToHttps: true,
                tlsCipherPolicy: "STRONG",
                forwardingRules: [
                    {
                        entryProtocol: "https",
                        entryPort: 443,
                        targetProtocol: "http",
                        targetPort: 8080,
                        certificateName: "api-cert",
                    },
                    { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 8080 },
                ],
                healthcheck: { protocol: "http", port: 8080, path: "/healthz" },
                ip: "198.51.100.60",
            }),
            firewall("api-from-lb", "api", [
                sshFromOffice,
                ...webFirewallPorts.map((portRange) => ({
                    protocol: "tcp",
                    portRange,
                    sourceLoadBalancerUids: [ref("api-lb")],
                })),
            ]),
            alertOn("api-lb-health", "v1/insights/lbaas/droplet_health", { entities: [ref("api-lb")] }),
            ...uptimeWatch("api", "https://198.51.100.60/healthz"),
            ...managedPostgres("api"),
        ],
    };
}

/** A two-node PostgreSQL cluster trusted by a tag, with its alerts, log sink and firewall. */
function managedPostgres(tag: string, replicas: { name: string; firewall?: "uuid" | "id" }[] = []): Spec[] {
    const specs: Spec[] = [
        spec(
            digitalocean.DatabaseCluster,
            "orders",
            {
                id: "9e8d7c6b-0000-4000-8000-0000000000d1",
                name: "orders",
                engine: "pg",
                version: "16",
                size: "db-s-2vcpu-4gb",
                region: REGION,
                nodeCount: 2,
                privateNetworkUuid: ref("vpc"),
                host: "orders-do-user-1.db.ondigitalocean.com",
            },
            true,
        ),
        spec(digitalocean.DatabaseFirewall, "orders-trusted", {
            id: "dbfw-orders",
            clusterId: ref("orders"),
            rules: [{ type: "tag", value: ref(tag) }],
        }),
        alertOn("orders-alerts", "v1/dbaas/alerts/cpu_alerts", { entities: [ref("orders")] }),
        spec(digitalocean.DatabaseLogsinkRsyslog, "orders-logs", {
            id: "sink-orders",
            clusterId: ref("orders"),
            name: "orders",
            server: "logs.example.org",
            port: 514,
            format: "rfc5424",
        }),
    ];
    for (const r of replicas) {
        specs.push(
            spec(digitalocean.DatabaseReplica, r.name, {
                id: `9e8d7c6b-0000-4000-8000-0000000000d1/replicas/${r.name}`,
                uuid: `5a4b3c2d-0000-4000-8000-00000000${r.name === "orders-read-fra" ? "00e1" : "00e2"}`,
                clusterId: ref("orders"),
                name: r.name,
                size: "db-s-2vcpu-4gb",
                region: REGION,
                privateNetworkUuid: ref("vpc"),
            }),
        );
        if (r.firewall)
            specs.push(
                spec(digitalocean.DatabaseFirewall, `${r.name}-trusted`, {
                    id: `dbfw-${r.name}`,
                    clusterId: ref(r.name, r.firewall),
                    rules: [{ type: "tag", value: ref(tag) }],
                }),
            );
    }
    return specs;
}

/** apiWithManagedPostgres with read replicas: one firewalled by its uuid, one by its id, one not at all. */
export function apiWithReplicas(): RealWorldStack {
    const stack = apiWithManagedPostgres();
    return {
        ...stack,
        specs: [
            ...stack.specs.filter(
                (s) => !["orders", "orders-trusted", "orders-alerts", "orders-logs"].includes(s.name),
            ),
            ...managedPostgres("api", [
                { name: "orders-read-fra", firewall: "uuid" },
                { name: "orders-read-lon", firewall: "id" },
                { name: "orders-read-nyc" },
            ]),
        ],
    };
}

/** A base64 (and a gzip+base64) write_files entry, as `pulumi.interpolate` + Buffer.from(...).toString("base64") writes them. */
export function cloudConfigWithEncodedFiles(): RealWorldStack {
    const env = "APP_ENV=production\nSMTP_PASSWORD=Wz9!kq2Lr7vX\n";
    const myCnf = "[client]\nuser=app\npassword=Q7v!x2Lk9sPz\n";
    const userData = [
        "#cloud-config",
        "users:",
        "  - name: deploy",
        "    groups: sudo",
        "    shell: /bin/bash",
        "    sudo: ALL=(ALL) NOPASSWD:ALL",
        "    lock_passwd: true",
        `    ssh_authorized_keys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIK7n deploy@laptop"]`,
        "chpasswd: { expire: false }",
        "ssh_pwauth: false",
        "write_files:",
        "  - path: /etc/app/app.env",
        "    permissions: '0644'",
        "    encoding: b64",
        `    content: ${Buffer.from(env).toString("base64")}`,
        "  - path: /root/.my.cnf",
        "    permissions: '0644'",
        "    encoding: gz+b64",
        `    content: ${gzipSync(Buffer.from(myCnf)).toString("base64")}`,
        "",
    ].join("\n");
    return {
        project: "worker",
        specs: [
            ...base("worker"),
            droplet("worker", "worker", 70, userData),
            firewall("worker-ssh", "worker", [sshFromOffice]),
        ],
    };
}

/** A site behind a load balancer with DKIM, SendGrid and DMARC records and an SSH name beside www. */
export function siteWithMailRecords(): RealWorldStack {
    const stack = apiWithManagedPostgres();
    const record = (name: string, type: string, value: unknown, id: string) =>
        spec(digitalocean.DnsRecord, `dns-${name.replace(/[._]/g, "-")}`, {
            id,
            domain: ref("zone", "name"),
            name,
            type,
            value,
        });
    return {
        project: "shop-site",
        specs: [
            ...stack.specs.filter((s) => s.name !== "api-check" && s.name !== "api-down"),
            spec(digitalocean.Domain, "zone", { id: "example.shop", name: "example.shop" }),
            record("www", "A", ref("api-lb", "ip"), "7301"),
            record("s1._domainkey", "CNAME", "s1.domainkey.u1234.wl.sendgrid.net.", "7302"),
            record("em1234", "CNAME", "u1234.wl.sendgrid.net.", "7303"),
            record("url5678", "CNAME", "sendgrid.net.", "7304"),
            record("_dmarc", "TXT", "v=DMARC1; p=quarantine", "7305"),
            record("ssh", "A", ref("api-1", "ipv4Address"), "7306"),
            ...uptimeWatch("www", "https://www.example.shop/"),
        ],
    };
}

/** A WordPress droplet from DigitalOcean's 1-Click image (no user data), named by DNS: it serves the web all the same. */
export function marketplaceSite(): RealWorldStack {
    return {
        project: "wp",
        specs: [
            ...base("wp"),
            spec(digitalocean.Domain, "zone", { id: "example.blog", name: "example.blog" }),
            droplet("wp", "wp", 80, "", { image: "wordpress-24-04" }),
            spec(digitalocean.DnsRecord, "wp-dns", {
                id: "7401",
                domain: ref("zone", "name"),
                name: "www",
                type: "A",
                value: ref("wp", "ipv4Address"),
            }),
            firewall("wp-web", "wp", [
                sshFromOffice,
                { protocol: "tcp", portRange: "80", sourceAddresses: ["0.0.0.0/0", "::/0"] },
                { protocol: "tcp", portRange: "443", sourceAddresses: ["0.0.0.0/0", "::/0"] },
            ]),
            droplet("ops", "wp", 81, "#cloud-config\npackages:\n  - tmux\n"),
        ],
    };
}

/**
 * The same WordPress droplet reached through a reserved IPv6 (ReservedIpv6 and ReservedIpv6Assignment, which name the
 * address `ip`) and an AAAA record, the tmux box beside it.
 */
export function marketplaceSiteOnReservedIpv6(): RealWorldStack {
    const { project, specs } = marketplaceSite();
    return {
        project,
        specs: [
            ...specs.filter((s) => s.name !== "wp-dns"),
            spec(digitalocean.ReservedIpv6, "wp-ip6", {
                id: "2a03:b0c0:2:f0::80",
                regionSlug: REGION,
                ip: "2a03:b0c0:2:f0::80",
            }),
            spec(digitalocean.ReservedIpv6Assignment, "wp-ip6-assignment", {
                id: "wp-ip6-assignment",
                ip: ref("wp-ip6", "ip"),
                dropletId: ref("wp"),
            }),
            spec(digitalocean.DnsRecord, "wp-dns", {
                id: "7401",
                domain: ref("zone", "name"),
                name: "www",
                type: "AAAA",
                value: ref("wp-ip6-assignment", "ip"),
            }),
        ],
    };
}
