// Stack factories for the policy specs, mirroring the tiers in DigitalOcean resource terms (neutral
// names and tags: the pack must not depend on ours). `tierStack("prod")` passes every mandatory policy;
// each spec mutates one thing. Outputs the cloud computes (ids, IPs) are filled in as after an update;
// `materialize(..., { preview: true })` turns them unknown.
import * as digitalocean from "@pulumi/digitalocean";
import { Ref, ref, Spec, spec } from "../support/policyHarness";

export type Tier = 0 | 1 | 2 | 3 | "prod";

const REGION = "nyc3";
const KEY = "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa";
const EMAILS = { emails: ["ops@example.com"] };

export const userData = {
    allInOne:
        "#cloud-config\npackages:\n  - nginx\n  - docker.io\n  - mysql-server\nruncmd:\n  - docker run -d --restart always -p 8080:8080 -e DB_PASSWORD_FILE=/run/secrets/db example/shop:1.4\n",
    /** Tier 2+: nginx, its logs shipped by rsyslog's OpenSearch output (the password read from a file at start). */
    web: [
        "#cloud-config",
        "packages:",
        "  - nginx",
        "  - rsyslog-elasticsearch",
        "write_files:",
        "  - path: /etc/rsyslog.d/60-ship.conf",
        "    content: |",
        '      module(load="omelasticsearch")',
        '      action(type="omelasticsearch" server="logs.internal" serverport="25060" usehttps="on" uid="shipper" pwd=`cat /etc/shop/log-password`)',
        "runcmd:",
        "  - systemctl enable --now nginx",
        "  - systemctl restart rsyslog",
        "",
    ].join("\n"),
    webAndApp:
        '#cloud-config\npackages:\n  - nginx\n  - docker.io\nruncmd:\n  - docker run -d --restart always -p 8080:8080 -e DB_URL="$(cat /etc/shop/db-url)" example/shop:1.4\n',
    /** Tier 2+: the app container; Fluent Bit ships the journal. */
    app: "#cloud-config\npackages:\n  - docker.io\n  - fluent-bit\nruncmd:\n  - docker run -d --restart always --log-driver journald -p 8080:8080 -e DB_PASSWORD_FILE=/run/secrets/db example/shop:1.4\n",
};

let dropletIds = 0;

function droplet(name: string, tag: string, octet: number, script: string, monitoring: boolean): Spec {
    dropletIds += 1;
    return spec(digitalocean.Droplet, name, {
        id: String(300000000 + dropletIds),
        name,
        region: REGION,
        size: "s-1vcpu-2gb",
        image: "ubuntu-24-04-x64",
        monitoring,
        sshKeys: [KEY],
        vpcUuid: ref("vpc"),
        tags: [ref(tag)],
        userData: script,
        ipv4Address: `203.0.113.${octet}`,
        ipv4AddressPrivate: `10.10.1.${octet}`,
    });
}

function record(name: string, label: string, target: string, property: string): Spec {
    return spec(digitalocean.DnsRecord, name, {
        id: `${900 + name.length}${label.length}`,
        domain: ref("domain", "name"),
        type: "A",
        name: label,
        value: ref(target, property),
        ttl: 300,
    });
}

function publicLoadBalancer(name: string, octet: number, tls: boolean): Spec {
    const http = { entryProtocol: "http", entryPort: 80, targetProtocol: "http", targetPort: 80 };
    return spec(digitalocean.LoadBalancer, name, {
        id: `00000000-0000-4000-8000-0000000001${octet}`,
        name,
        region: REGION,
        network: "EXTERNAL",
        vpcUuid: ref("vpc"),
        dropletTag: ref("tag-web"),
        sizeUnit: 1,
        forwardingRules: tls
            ? [
                  {
                      entryProtocol: "https",
                      entryPort: 443,
                      targetProtocol: "http",
                      targetPort: 80,
                      certificateName: ref("cert", "name"),
                  },
                  http,
              ]
            : [http],
        ...(tls ? { redirectHttpToHttps: true, tlsCipherPolicy: "STRONG" } : {}),
        healthcheck: { protocol: "http", port: 80, path: "/healthz", checkIntervalSeconds: 10 },
        disableLetsEncryptDnsRecords: true,
        ip: `198.51.100.${octet}`,
    });
}

function alert(name: string, type: string, target: { tags?: unknown[]; entities?: unknown[] }): Spec {
    return spec(digitalocean.MonitorAlert, name, {
        id: `alert-${name}`,
        type,
        compare: "GreaterThan",
        value: 80,
        window: "5m",
        enabled: true,
        alerts: EMAILS,
        description: `${type} above 80`,
        ...target,
    });
}

/** The resources of one tier, in DigitalOcean terms. */
export function tierStack(tier: Tier): Spec[] {
    dropletIds = 0;
    const level = tier === "prod" ? 3 : tier;
    const specs: Spec[] = [
        spec(digitalocean.Vpc, "vpc", {
            id: "5a1e0c2d-0000-4000-8000-000000000001",
            name: "shop-vpc",
            region: REGION,
            ipRange: "10.10.0.0/16",
        }),
        spec(digitalocean.Tag, "tag-web", { id: "shop-web", name: "shop-web" }),
        spec(digitalocean.Domain, "domain", { id: "example.com", name: "example.com" }),
        spec(digitalocean.Project, "project", {
            id: "project-1",
            name: "shop",
            environment: level >= 3 ? "Production" : "Development",
        }),
    ];
    if (level === 0) {
        specs.push(droplet("server", "tag-web", 10, userData.allInOne, false));
        specs.push(record("dns-apex", "@", "server", "ipv4Address"), record("dns-www", "www", "server", "ipv4Address"));
        return specs;
    }

    const webCount = level === 3 ? 4 : 2;
    const lbCount = level === 3 ? 2 : 1;
    const lbNames = Array.from({ length: lbCount }, (_, i) => `lb-${i}`);
    const monitored = level >= 2;
    for (let i = 0; i < webCount; i++)
        specs.push(droplet(`web-${i}`, "tag-web", 20 + i, level === 1 ? userData.webAndApp : userData.web, monitored));
    lbNames.forEach((name, i) => specs.push(publicLoadBalancer(name, 10 + i, level >= 2)));
    for (const [label, suffix] of [
        ["@", "apex"],
        ["www", "www"],
    ]) {
        lbNames.forEach((lb, i) => specs.push(record(`dns-${suffix}-${i}`, label, lb, "ip")));
    }
    specs.push(
        spec(
            digitalocean.DatabaseCluster,
            "db",
            {
                id: "db000000-0000-4000-8000-000000000001",
                name: "shop-db",
                engine: "mysql",
                version: "8",
                size: "db-s-1vcpu-2gb",
                region: REGION,
                nodeCount: tier === "prod" ? 2 : 1,
                privateNetworkUuid: ref("vpc"),
                host: "shop-db.db.ondigitalocean.com",
            },
            true,
        ),
    );
    for (let i = 0; i < (level === 3 ? 2 : 1); i++) {
        specs.push(
            spec(digitalocean.DatabaseReplica, `db-replica-${i}`, {
                id: `replica-${i}`,
                uuid: `re000000-0000-4000-8000-00000000000${i}`,
                clusterId: ref("db"),
                name: `shop-db-replica-${i}`,
                size: "db-s-1vcpu-2gb",
                region: REGION,
                privateNetworkUuid: ref("vpc"),
            }),
        );
    }
    specs.push(spec(digitalocean.DatabaseDb, "db-schema", { id: "db/shop", clusterId: ref("db"), name: "shop" }));
    specs.push(spec(digitalocean.DatabaseUser, "db-user", { id: "db/user/shop", clusterId: ref("db"), name: "shop" }));
    if (level === 1) return specs;

    // Tier 2 and up: separate app tier behind an internal load balancer, TLS, firewalls, monitoring.
    const appCount = level === 3 ? 4 : 2;
    specs.push(spec(digitalocean.Tag, "tag-app", { id: "shop-app", name: "shop-app" }));
    specs.push(
        spec(digitalocean.Certificate, "cert", {
            id: "c0000000-0000-4000-8000-000000000001",
            name: "shop-cert",
            type: "lets_encrypt",
            domains: ["example.com", "www.example.com"],
        }),
    );
    for (let i = 0; i < appCount; i++) specs.push(droplet(`app-${i}`, "tag-app", 40 + i, userData.app, true));
    specs.push(
        spec(digitalocean.LoadBalancer, "lb-internal", {
            id: "00000000-0000-4000-8000-000000000199",
            name: "shop-app-lb",
            region: REGION,
            network: "INTERNAL",
            vpcUuid: ref("vpc"),
            dropletTag: ref("tag-app"),
            forwardingRules: [{ entryProtocol: "http", entryPort: 8080, targetProtocol: "http", targetPort: 8080 }],
            healthcheck: { protocol: "http", port: 8080, path: "/healthz" },
            ip: "10.10.2.5",
        }),
    );
    const outbound = [
        { protocol: "tcp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
        { protocol: "udp", portRange: "1-65535", destinationAddresses: ["0.0.0.0/0", "::/0"] },
        { protocol: "icmp", destinationAddresses: ["0.0.0.0/0", "::/0"] },
    ];
    specs.push(
        spec(digitalocean.Firewall, "fw-web", {
            id: "fw-web-1",
            name: "shop-web",
            tags: [ref("tag-web")],
            inboundRules: [{ protocol: "tcp", portRange: "80", sourceLoadBalancerUids: lbNames.map((n) => ref(n)) }],
            outboundRules: outbound,
        }),
    );
    specs.push(
        spec(digitalocean.Firewall, "fw-app", {
            id: "fw-app-1",
            name: "shop-app",
            tags: [ref("tag-app")],
            inboundRules: [{ protocol: "tcp", portRange: "8080", sourceLoadBalancerUids: [ref("lb-internal")] }],
            outboundRules: outbound,
        }),
    );
    specs.push(
        spec(digitalocean.DatabaseFirewall, "db-fw", {
            id: "dbfw-1",
            clusterId: ref("db"),
            rules: [{ type: "tag", value: ref("tag-app") }],
        }),
    );
    // A read replica has trusted sources of its own, set by a firewall on its uuid, as components/database.ts creates
    // beside the cluster's firewall.
    for (let i = 0; i < (level === 3 ? 2 : 1); i++)
        specs.push(
            spec(digitalocean.DatabaseFirewall, `db-replica-${i}-fw`, {
                id: `dbfw-replica-${i}`,
                clusterId: ref(`db-replica-${i}`, "uuid"),
                rules: [{ type: "tag", value: ref("tag-app") }],
            }),
        );
    // The log store: one OpenSearch node (the engine has no standby nodes), trusted by the droplet tags,
    // and a log sink on every managed database.
    specs.push(
        spec(
            digitalocean.DatabaseCluster,
            "logs",
            {
                id: "lo000000-0000-4000-8000-000000000001",
                name: "shop-logs",
                engine: "opensearch",
                version: "2",
                size: "db-s-1vcpu-2gb",
                region: REGION,
                nodeCount: 1,
                privateNetworkUuid: ref("vpc"),
            },
            true,
        ),
    );
    specs.push(
        spec(digitalocean.DatabaseFirewall, "logs-fw", {
            id: "dbfw-3",
            clusterId: ref("logs"),
            rules: [
                { type: "tag", value: ref("tag-web") },
                { type: "tag", value: ref("tag-app") },
            ],
        }),
    );
    specs.push(
        spec(digitalocean.DatabaseLogsinkOpensearch, "db-logs", {
            id: "db000000-0000-4000-8000-000000000001,sink-1",
            clusterId: ref("db"),
            name: "shop-mysql",
            endpoint: "https://shipper:placeholder@private-shop-logs.db.ondigitalocean.com:25060",
            indexPrefix: "logs-mysql",
            indexDaysMax: 14,
        }),
    );
    const clusters = level === 3 ? ["db", "cache", "logs"] : ["db", "logs"];
    if (level === 3) {
        specs.push(
            spec(
                digitalocean.DatabaseCluster,
                "cache",
                {
                    id: "ca000000-0000-4000-8000-000000000001",
                    name: "shop-cache",
                    engine: "valkey",
                    version: "8",
                    size: "db-s-1vcpu-2gb",
                    region: REGION,
                    nodeCount: 1,
                    privateNetworkUuid: ref("vpc"),
                },
                true,
            ),
        );
        specs.push(
            spec(digitalocean.DatabaseLogsinkRsyslog, "cache-logs", {
                id: "ca000000-0000-4000-8000-000000000001,sink-2",
                clusterId: ref("cache"),
                name: "shop-valkey",
                server: "10.10.3.5",
                port: 514,
                format: "rfc5424",
            }),
        );
        specs.push(
            spec(digitalocean.DatabaseFirewall, "cache-fw", {
                id: "dbfw-2",
                clusterId: ref("cache"),
                rules: [{ type: "tag", value: ref("tag-app") }],
            }),
        );
        specs.push(
            spec(digitalocean.SpacesBucket, "assets", {
                id: "shop-assets",
                name: "shop-assets",
                region: REGION,
                acl: "private",
                versioning: { enabled: true },
            }),
        );
        specs.push(
            spec(digitalocean.Cdn, "assets-cdn", {
                id: "cdn-1",
                origin: "shop-assets.nyc3.digitaloceanspaces.com",
                customDomain: "static.example.com",
                certificateName: ref("cert", "name"),
            }),
        );
    }
    for (const metric of ["cpu", "memory_utilization_percent", "disk_utilization_percent"]) {
        specs.push(
            alert(`alert-droplet-${metric}`, `v1/insights/droplet/${metric}`, {
                tags: [ref("tag-web"), ref("tag-app")],
            }),
        );
    }
    for (const metric of [
        "increase_in_http_error_rate_percentage_5xx",
        "droplet_health",
        "high_http_request_response_time",
    ]) {
        specs.push(
            alert(`alert-lb-${metric}`, `v1/insights/lbaas/${metric}`, {
                entities: [...lbNames, "lb-internal"].map((n) => ref(n)),
            }),
        );
    }
    for (const metric of ["cpu_alerts", "memory_utilization_alerts", "disk_utilization_alerts"]) {
        specs.push(alert(`alert-db-${metric}`, `v1/dbaas/alerts/${metric}`, { entities: clusters.map((n) => ref(n)) }));
    }
    specs.push(
        spec(digitalocean.UptimeCheck, "uptime", {
            id: "check-1",
            name: "shop-uptime",
            target: "https://example.com",
            type: "https",
            regions: ["us_east", "eu_west"],
            enabled: true,
        }),
    );
    for (const type of ["down", "latency", "ssl_expiry"]) {
        specs.push(
            spec(digitalocean.UptimeAlert, `uptime-${type}`, {
                id: `ua-${type}`,
                name: `shop-${type}`,
                checkId: ref("uptime"),
                type,
                period: "2m",
                comparison: "greater_than",
                threshold: type === "latency" ? 1000 : type === "ssl_expiry" ? 14 : undefined,
                notifications: [EMAILS],
            }),
        );
    }
    return specs;
}

/** The spec named `name` (throws when absent, so a mutation never silently targets nothing). */
export function named(specs: Spec[], name: string): Spec {
    const found = specs.find((s) => s.name === name);
    if (!found) throw new Error(`no spec named "${name}"`);
    return found;
}

/** Deep copy that keeps `ref(...)` instances (structuredClone would turn them into plain objects). */
function clone(value: unknown): unknown {
    if (value instanceof Ref) return value;
    if (Array.isArray(value)) return value.map(clone);
    if (value && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clone(v)]));
    return value;
}

/** A copy of the stack with one spec's props changed. */
export function mutate(specs: Spec[], name: string, change: (props: Record<string, unknown>) => void): Spec[] {
    const copy = specs.map((s) => ({ ...s, props: clone(s.props) as Record<string, unknown> }));
    change(named(copy, name).props);
    return copy;
}

/** The stack with one more inbound rule on a firewall: TCP on `portRange` from anywhere on the IPv4 internet. */
export const openToWorld = (specs: Spec[], firewall: string, portRange: string): Spec[] =>
    mutate(specs, firewall, (fw) =>
        (fw.inboundRules as unknown[]).push({ protocol: "tcp", portRange, sourceAddresses: ["0.0.0.0/0"] }),
    );

/** Drops list elements that reference a removed spec (e.g. a deleted load balancer in a firewall's sources). */
function dropRefs(value: unknown, names: readonly string[]): unknown {
    if (Array.isArray(value))
        return value.filter((v) => !(v instanceof Ref && names.includes(v.name))).map((v) => dropRefs(v, names));
    if (value instanceof Ref) return value;
    if (value && typeof value === "object")
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, dropRefs(v, names)]));
    return value;
}

/** A copy of the stack without the named specs (and without list references to them). */
export function without(specs: Spec[], ...names: string[]): Spec[] {
    names.forEach((n) => named(specs, n));
    return specs
        .filter((s) => !names.includes(s.name))
        .map((s) => ({ ...s, props: dropRefs(s.props, names) as Record<string, unknown> }));
}

/** haproxy.cfg as an HAProxy load balancer droplet's cloud-config writes it (TLS on 443, HTTP redirected). */
export function haproxyUserData(
    opts: { tls?: boolean; redirect?: boolean; servers?: string[]; templates?: string[]; ships?: boolean } = {},
): string {
    const {
        tls = true,
        redirect = true,
        servers = ["10.10.1.20:80", "10.10.1.21:80", "10.10.1.22:80", "10.10.1.23:80"],
    } = opts;
    const cfg = [
        "global",
        "    daemon",
        "defaults",
        "    mode http",
        "frontend http",
        "    bind :80",
        "    acl acme path_beg /.well-known/acme-challenge/",
        ...(redirect ? ["    http-request redirect scheme https code 301 unless acme"] : []),
        "    use_backend acme if acme",
        "    default_backend web",
        ...(tls
            ? ["frontend https", "    bind :443 ssl crt /etc/haproxy/certs alpn h2,http/1.1", "    default_backend web"]
            : []),
        "backend web",
        "    balance roundrobin",
        "    option httpchk GET /healthz",
        ...servers.map((s, i) => `    server web-${i} ${s} check`),
        ...(opts.templates ?? []).map((t, i) => `    server-template pool${i}- 1-4 ${t} check`),
        "backend acme",
        "    server certbot 127.0.0.1:8888",
    ];
    // HAProxy logs to /dev/log; a legacy rsyslog rule forwards everything to a collector.
    const ship =
        opts.ships === false
            ? ""
            : "  - path: /etc/rsyslog.d/30-forward.conf\n    content: |\n      *.* @@logs.internal:6514\n";
    return `#cloud-config\npackages:\n  - haproxy\n  - certbot\nwrite_files:\n  - path: /etc/haproxy/haproxy.cfg\n    content: |\n${cfg.map((l) => `      ${l}`).join("\n")}\n${ship}runcmd:\n  - [ systemctl, restart, haproxy ]\n`;
}

/**
 * The production-like stack with the self-managed engine: `count` HAProxy droplets (tag "shop-lb") instead of
 * the public load balancers, each behind a reserved IP (ReservedIp + ReservedIpAssignment) that DNS points at,
 * a firewall opening 80/443 to the world for them only, and droplet alerts covering their tag.
 */
export function haproxyStack(count = 2, userDataOf: (i: number) => string = () => haproxyUserData()): Spec[] {
    const base = tierStack("prod");
    const publicLbs = base
        .filter((s) => s.cls === digitalocean.LoadBalancer && s.name.startsWith("lb-") && s.name !== "lb-internal")
        .map((s) => s.name);
    const publicRecords = base.filter((s) => s.cls === digitalocean.DnsRecord).map((s) => s.name);
    const specs = without(base, ...publicLbs, ...publicRecords);
    specs.push(spec(digitalocean.Tag, "tag-lb", { id: "shop-lb", name: "shop-lb" }));
    for (let i = 0; i < count; i++) {
        specs.push(droplet(`haproxy-${i}`, "tag-lb", 60 + i, userDataOf(i), true));
        specs.push(
            spec(digitalocean.ReservedIp, `haproxy-ip-${i}`, {
                id: `192.0.2.${100 + i}`,
                region: REGION,
                ipAddress: `192.0.2.${100 + i}`,
            }),
        );
        specs.push(
            spec(digitalocean.ReservedIpAssignment, `haproxy-ip-assignment-${i}`, {
                id: `assign-${i}`,
                ipAddress: ref(`haproxy-ip-${i}`, "ipAddress"),
                dropletId: ref(`haproxy-${i}`),
            }),
        );
        for (const [label, suffix] of [
            ["@", "apex"],
            ["www", "www"],
        ])
            specs.push(record(`dns-${suffix}-${i}`, label, `haproxy-ip-${i}`, "ipAddress"));
    }
    const outbound = named(specs, "fw-web").props.outboundRules;
    specs.push(
        spec(digitalocean.Firewall, "fw-lb", {
            id: "fw-lb-1",
            name: "shop-lb",
            tags: [ref("tag-lb")],
            inboundRules: [80, 443].map((port) => ({
                protocol: "tcp",
                portRange: String(port),
                sourceAddresses: ["0.0.0.0/0", "::/0"],
            })),
            outboundRules: outbound,
        }),
    );
    const web = named(specs, "fw-web");
    web.props = { ...web.props, inboundRules: [{ protocol: "tcp", portRange: "80", sourceTags: [ref("tag-lb")] }] };
    for (const s of specs.filter((x) => x.name.startsWith("alert-droplet-")))
        s.props = { ...s.props, tags: [ref("tag-web"), ref("tag-app"), ref("tag-lb")] };
    return specs;
}

/** An autoscale pool spec whose template carries `tags` (ref names or literal tag names). */
export function autoscalePool(name: string, tags: unknown[], min = 2, extra: Record<string, unknown> = {}): Spec {
    return spec(digitalocean.DropletAutoscale, name, {
        id: `pool-${name}`,
        name,
        config: { minInstances: min, maxInstances: 6, targetCpuUtilization: 0.6, cooldownMinutes: 5 },
        dropletTemplate: {
            size: "s-1vcpu-2gb",
            region: REGION,
            image: "ubuntu-24-04-x64",
            sshKeys: [KEY],
            tags,
            vpcUuid: ref("vpc"),
            userData: userData.web,
            withDropletAgent: true,
            ...extra,
        },
    });
}
