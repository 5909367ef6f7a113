// TLS: traffic from the internet is encrypted, with certificates DigitalOcean renews, strong ciphers,
// and plain HTTP only as a redirect. Internal load balancers (network INTERNAL) serve the VPC only
// and are not checked here.
import { digitalocean } from "./lib/digitalocean";
import { remediateResourceOfType, validateResourceOfType } from "@pulumi/policy";
import { withChanges } from "./lib/remediate";
import type { PolicyConfigSchema, PolicyResource, ResourceValidationArgs, ReportViolation } from "@pulumi/policy";
import { configWithDefaults, PORT_SCHEMA } from "./lib/config";
import {
    addressRecords,
    balancerOf,
    describeDroplet,
    dropletsBehindDns,
    failoverPartners,
    externalLoadBalancers,
    loadBalancersOfUnknownNetwork,
    publicWebServers,
    selfManagedEntry,
} from "./lib/endpoints";
import { isGlobalLoadBalancer } from "./lib/loadBalancer";
import { dropletTlsIn } from "./lib/proxies";
import { nameList, plural } from "./lib/messages";
import { WebstackPolicy, WebstackResourcePolicy, WebstackStackPolicy } from "./lib/policy";
import { validateStackOf } from "./lib/stack";
import { decideLater, isUnknown, read, readList } from "./lib/unknowns";
import { dropletUserData } from "./lib/stateUserData";

const TLS_ENTRY_PROTOCOLS = ["https", "http2", "http3"];

interface Rule {
    entryProtocol?: string;
    entryPort?: number;
    targetPort?: number;
    certificateName?: string;
    certificateId?: string;
    tlsPassthrough?: boolean;
}

/**
 * The domains of a global load balancer that can serve no TLS: neither a certificate (certificateName, or the
 * deprecated certificateId) nor isManaged (@pulumi/digitalocean 4.80.1 types/input.d.ts LoadBalancerDomain).
 * What isManaged means, as far as the sources say: DigitalOcean hosts the domain's DNS and adds the A and AAAA records
 * itself (digitalocean/openapi@7c1300c4 specification/resources/load_balancers/models/domains.yml:11-16), and the
 * provider waits for a configured certificate only on domains that are not managed
 * (terraform-provider-digitalocean@401992a1 digitalocean/loadbalancer/loadbalancer.go:395-410). That DigitalOcean
 * then issues the managed domain's certificate itself, as it does for a Let's Encrypt certificate on a domain it
 * hosts, is an inference from these two, not a documented statement; a managed domain is credited on it.
 */
function globalDomainGaps(lb: Record<string, unknown>, name: string): string[] {
    const domains = readList(lb, "domains");
    if (domains.unknown) decideLater(`Global load balancer "${name}"'s domains are not known yet.`);
    return domains.values.flatMap((d) => {
        const [certificateName, certificateId, managed] = [
            read(d, "certificateName"),
            read(d, "certificateId"),
            read(d, "isManaged"),
        ];
        if (isUnknown(certificateName) || isUnknown(certificateId) || isUnknown(managed)) return [];
        if (
            (typeof certificateName === "string" && certificateName !== "") ||
            (typeof certificateId === "string" && certificateId !== "") ||
            managed === true
        )
            return [];
        const domain = read(d, "name");
        return [typeof domain === "string" ? domain : "(unknown)"];
    });
}

/** The forwarding rules of an internet-facing load balancer; undefined for an internal one. */
function externalRules(lb: Record<string, unknown>, name: string): Rule[] | undefined {
    const network = read(lb, "network");
    if (isUnknown(network)) decideLater(`Load balancer "${name}"'s network is not known yet.`);
    if (typeof network === "string" && network.toUpperCase() === "INTERNAL") return undefined;
    // A global load balancer has no forwarding rules: the provider refuses them beside glb_settings
    // (resource_loadbalancer.go:206, :513); it terminates TLS per domain (globalDomainGaps).
    if (isGlobalLoadBalancer(read(lb, "type"))) return undefined;
    const rules = readList(lb, "forwardingRules");
    if (rules.unknown) decideLater(`Load balancer "${name}"'s forwarding rules are not known yet.`);
    return rules.values.map((rule) => {
        const field = (key: keyof Rule): unknown => {
            const value = read(rule, key);
            if (isUnknown(value))
                decideLater(`Load balancer "${name}"'s forwarding rule field ${key} is not known yet.`);
            return value;
        };
        const protocol = field("entryProtocol");
        const port = field("entryPort");
        const target = read(rule, "targetPort");
        // Only whether a certificate is referenced matters, so an unknown name or id counts as present.
        const certificateName = read(rule, "certificateName");
        const certificateId = read(rule, "certificateId");
        return {
            entryProtocol: typeof protocol === "string" ? protocol.toLowerCase() : undefined,
            entryPort: typeof port === "number" ? port : typeof port === "string" ? Number(port) : undefined,
            targetPort: typeof target === "number" ? target : typeof target === "string" ? Number(target) : undefined,
            certificateName: isUnknown(certificateName)
                ? "(unknown)"
                : typeof certificateName === "string" && certificateName !== ""
                  ? certificateName
                  : undefined,
            certificateId: isUnknown(certificateId)
                ? "(unknown)"
                : typeof certificateId === "string" && certificateId !== ""
                  ? certificateId
                  : undefined,
            tlsPassthrough: field("tlsPassthrough") === true,
        };
    });
}

/** validateResourceOfType for internet-facing load balancers only. */
function forExternalLoadBalancers(
    check: (lb: Record<string, unknown>, rules: Rule[], args: ResourceValidationArgs, report: ReportViolation) => void,
) {
    return validateResourceOfType(digitalocean.LoadBalancer, (lb, args, reportViolation) => {
        const props = lb as unknown as Record<string, unknown>;
        const rules = externalRules(props, args.name);
        if (rules) check(props, rules, args, reportViolation);
    });
}

/** remediateResource for internet-facing load balancers only: the fix returns new props, or undefined for no change. */
function remediateExternalLoadBalancer(
    fix: (lb: Record<string, unknown>, rules: Rule[]) => Record<string, unknown> | undefined,
) {
    return remediateResourceOfType(digitalocean.LoadBalancer, (lb, args) => {
        const props = lb as unknown as Record<string, unknown>;
        const rules = externalRules(props, args.name);
        return rules ? fix(props, rules) : undefined;
    });
}

const loadBalancerHttpsListenerSchema: PolicyConfigSchema = {
    properties: {
        httpsPort: {
            ...PORT_SCHEMA,
            default: 443,
            description: "Port the HTTPS entry rule must listen on.",
        },
    },
};

export const loadBalancerHttpsListener: WebstackResourcePolicy = {
    name: "load-balancer-https-listener",
    description:
        "Checks that every internet-facing load balancer has an https, http2 or http3 entry rule on port 443 that terminates TLS with a certificate (certificateName) or passes TLS through to the droplets (tlsPassthrough, or a tcp rule from port 443 to port 443); a global load balancer, which has domains instead of forwarding rules, a certificate or isManaged on each domain.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: loadBalancerHttpsListenerSchema,
    rationale:
        "Without an HTTPS listener every request, cookie and password crosses the internet in clear text, and browsers mark the site not secure.",
    remediationSteps:
        'Add a forwarding rule { entryProtocol: "https", entryPort: 443, targetProtocol: "http", targetPort: 80, certificateName: <a digitalocean.Certificate\'s name> }, or tlsPassthrough: true with TLS on the droplets.',
    validateResource: validateResourceOfType(digitalocean.LoadBalancer, (lb, args, reportViolation) => {
        const props = lb as unknown as Record<string, unknown>;
        if (isGlobalLoadBalancer(read(props, "type"))) {
            for (const domain of globalDomainGaps(props, args.name))
                reportViolation(
                    `Global load balancer "${args.name}" serves domain "${domain}" with neither a certificate (certificateName) nor isManaged, so it cannot complete a TLS handshake for it. ` +
                        "Set the domain's certificateName to a digitalocean.Certificate's name, or isManaged: true for a domain whose DNS DigitalOcean hosts.",
                );
            return;
        }
        const rules = externalRules(props, args.name);
        if (rules) httpsListener(rules, args, reportViolation);
    }),
};

/** The HTTPS entry rule check of a regional load balancer's forwarding rules. */
function httpsListener(rules: Rule[], args: ResourceValidationArgs, reportViolation: ReportViolation): void {
    const { httpsPort } = configWithDefaults<{ httpsPort: number }>(loadBalancerHttpsListenerSchema, args);
    const tlsRules = rules.filter(
        (r) => r.entryPort === httpsPort && TLS_ENTRY_PROTOCOLS.includes(r.entryProtocol ?? ""),
    );
    // A tcp rule (one of the entry protocols, digitalocean/openapi@7c1300c4 specification/resources/load_balancers/
    // models/forwarding_rule.yml:6-14, which lists the value and says no more) forwards a TCP stream: that a load
    // balancer then speaks neither HTTP nor TLS on it is what TCP balancing means, not a documented sentence. From
    // the HTTPS port to the same port on the droplets, the TLS handshake happens on them, as with tlsPassthrough. To
    // another port (tcp 443 → 80) it most likely reaches a plain HTTP server, so it does not count.
    const tcpPassthrough = rules.some(
        (r) => r.entryPort === httpsPort && r.entryProtocol === "tcp" && r.targetPort === httpsPort,
    );
    if (tlsRules.length === 0 && !tcpPassthrough) {
        const entries = rules.map((r) => `${r.entryProtocol ?? "?"} ${r.entryPort ?? "?"}`);
        reportViolation(
            `Load balancer "${args.name}" has no HTTPS entry rule on port ${httpsPort} (its entry rules: ${entries.length > 0 ? entries.join(", ") : "none"}), so the public reaches it only in clear text. ` +
                `Add a forwarding rule with entryProtocol "https", entryPort ${httpsPort} and certificateName, or tlsPassthrough: true (or a tcp rule from ${httpsPort} to port ${httpsPort} on droplets that terminate TLS themselves).`,
        );
        return;
    }
    for (const rule of tlsRules) {
        if (rule.certificateName || rule.certificateId || rule.tlsPassthrough) continue;
        reportViolation(
            `Load balancer "${args.name}" accepts ${rule.entryProtocol} on port ${httpsPort} without a certificate or tlsPassthrough, so it cannot complete a TLS handshake. ` +
                "Set certificateName to a digitalocean.Certificate's name, or tlsPassthrough: true.",
        );
    }
}

export const loadBalancerCertificateName: WebstackResourcePolicy = {
    name: "load-balancer-certificate-name",
    description:
        "Checks that load balancer forwarding rules reference certificates by certificateName, not by the deprecated certificateId.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: { properties: {} },
    rationale:
        "A Let's Encrypt certificate gets a new id at every renewal; a rule pinned to the old certificateId breaks HTTPS or makes Pulumi fight the renewal.",
    remediationSteps: "Replace certificateId with certificateName: <the certificate's name>.",
    validateResource: forExternalLoadBalancers((_lb, rules, args, reportViolation) => {
        for (const rule of rules) {
            if (!rule.certificateId || rule.certificateName) continue;
            reportViolation(
                `Load balancer "${args.name}" references its certificate on ${rule.entryProtocol} port ${rule.entryPort} by the deprecated certificateId "${rule.certificateId}", which changes when Let's Encrypt renews the certificate. ` +
                    "Use certificateName instead.",
            );
        }
    }),
};

export const loadBalancerHttpRedirect: WebstackResourcePolicy = {
    name: "load-balancer-http-redirect",
    description: "Checks that an internet-facing load balancer with a plain HTTP entry rule redirects HTTP to HTTPS.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: { properties: {} },
    rationale:
        "A plain HTTP listener that serves pages lets visitors (and links) use the site unencrypted; a redirect keeps port 80 open only to send them to HTTPS.",
    remediationSteps:
        "Set redirectHttpToHttps: true on the load balancer (it needs an HTTPS rule on 443). At enforcement level remediate the pack sets it itself when the load balancer already has an HTTPS rule.",
    // Safe: with an HTTPS listener in place, HTTP visitors are sent to the same site over HTTPS.
    remediateResource: remediateExternalLoadBalancer((lb, rules) => {
        const hasHttps = rules.some(
            (r) => r.entryProtocol === "https" || r.entryProtocol === "http2" || r.entryProtocol === "http3",
        );
        const redirect = read(lb, "redirectHttpToHttps");
        if (!hasHttps || !rules.some((r) => r.entryProtocol === "http") || redirect === true || isUnknown(redirect))
            return undefined;
        return withChanges(lb, { redirectHttpToHttps: true });
    }),
    validateResource: forExternalLoadBalancers((lb, rules, args, reportViolation) => {
        const redirect = read(lb, "redirectHttpToHttps");
        if (isUnknown(redirect)) decideLater(`Load balancer "${args.name}"'s redirectHttpToHttps is not known yet.`);
        if (redirect === true) return;
        for (const rule of rules.filter((r) => r.entryProtocol === "http")) {
            reportViolation(
                `Load balancer "${args.name}" forwards plain HTTP on port ${rule.entryPort} without redirecting to HTTPS; set redirectHttpToHttps: true.`,
            );
        }
    }),
};

const loadBalancerNoPlaintextTcpSchema: PolicyConfigSchema = {
    properties: {
        plaintextPorts: {
            type: "array",
            items: PORT_SCHEMA,
            default: [80],
            description: "Entry ports on which a raw TCP rule means unencrypted web traffic.",
        },
    },
};

export const loadBalancerNoPlaintextTcp: WebstackResourcePolicy = {
    name: "load-balancer-no-plaintext-tcp",
    description:
        "Checks that no internet-facing load balancer forwards raw TCP on a plain-text web port (80 by default).",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: loadBalancerNoPlaintextTcpSchema,
    rationale:
        "A TCP rule on port 80 passes HTTP through unencrypted and the load balancer, which does not speak HTTP on it, cannot redirect it to HTTPS; whether HTTPS is enforced then depends on software on every droplet behind it.",
    remediationSteps: 'Use entryProtocol "http" with redirectHttpToHttps: true on port 80, or remove the rule.',
    validateResource: forExternalLoadBalancers((_lb, rules, args, reportViolation) => {
        const { plaintextPorts } = configWithDefaults<{ plaintextPorts: number[] }>(
            loadBalancerNoPlaintextTcpSchema,
            args,
        );
        for (const rule of rules) {
            if (
                rule.entryProtocol !== "tcp" ||
                rule.entryPort === undefined ||
                !plaintextPorts.includes(rule.entryPort)
            )
                continue;
            reportViolation(
                `Load balancer "${args.name}" forwards raw TCP on port ${rule.entryPort}, so plain HTTP passes through it unencrypted and the load balancer cannot redirect it to HTTPS: HTTPS holds only where every droplet behind it redirects by itself. ` +
                    'Use entryProtocol "http" with redirectHttpToHttps: true, or remove the rule.',
            );
        }
    }),
};

export const loadBalancerStrongCiphers: WebstackResourcePolicy = {
    name: "load-balancer-strong-ciphers",
    description: "Checks that every internet-facing load balancer that terminates TLS uses tlsCipherPolicy STRONG.",
    enforcementLevel: "mandatory",
    severity: "medium",
    configSchema: { properties: {} },
    rationale:
        "The DEFAULT cipher policy still accepts legacy cipher suites kept for old clients; STRONG accepts only modern forward-secret suites.",
    remediationSteps:
        'Set tlsCipherPolicy: "STRONG" on the load balancer; at enforcement level remediate the pack sets it itself.',
    // Safe: every client that speaks TLS 1.2 with forward secrecy (all current browsers) negotiates a STRONG suite.
    remediateResource: remediateExternalLoadBalancer((lb, rules) => {
        if (!rules.some((r) => TLS_ENTRY_PROTOCOLS.includes(r.entryProtocol ?? "") && !r.tlsPassthrough))
            return undefined;
        const policy = read(lb, "tlsCipherPolicy");
        if (isUnknown(policy) || (typeof policy === "string" && policy.toUpperCase() === "STRONG")) return undefined;
        return withChanges(lb, { tlsCipherPolicy: "STRONG" });
    }),
    validateResource: forExternalLoadBalancers((lb, rules, args, reportViolation) => {
        const terminates = rules.some((r) => TLS_ENTRY_PROTOCOLS.includes(r.entryProtocol ?? "") && !r.tlsPassthrough);
        if (!terminates) return;
        const policy = read(lb, "tlsCipherPolicy");
        if (isUnknown(policy)) decideLater(`Load balancer "${args.name}"'s tlsCipherPolicy is not known yet.`);
        if (typeof policy === "string" && policy.toUpperCase() === "STRONG") return;
        reportViolation(
            `Load balancer "${args.name}" terminates TLS with tlsCipherPolicy "${typeof policy === "string" ? policy : "DEFAULT"}", which still accepts legacy cipher suites; set tlsCipherPolicy: "STRONG".`,
        );
    }),
};

const publicEndpointTlsSchema: PolicyConfigSchema = {
    properties: {
        httpsPort: {
            ...PORT_SCHEMA,
            default: 443,
            description: "Port an HAProxy droplet must terminate TLS on (bind :<port> ssl crt …).",
        },
    },
};

export const publicEndpointTls: WebstackStackPolicy = {
    name: "public-endpoint-tls",
    description:
        "Checks that a stack whose droplets serve the web to the public terminates TLS: on a managed load balancer, on the HAProxy (or nginx, Caddy, Traefik) droplets DNS points at, whose configuration in user data binds port 443 with a certificate and redirects plain HTTP to HTTPS, or on each web droplet itself with a certificate it obtains and renews (Caddy, Traefik with ACME, nginx or Apache with certbot, in user data or in containers it starts).",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: publicEndpointTlsSchema,
    rationale:
        "With no load balancer nothing in the stack provisions, renews or enforces a certificate: TLS depends on hand-run software on each droplet, if it exists at all; a self-managed HAProxy counts only when its own configuration terminates TLS and redirects HTTP.",
    remediationSteps:
        "Put a digitalocean.LoadBalancer with an HTTPS rule (certificateName from a lets_encrypt digitalocean.Certificate) in front of the droplets and point DNS at it; on HAProxy droplets, bind :443 ssl crt <pem dir> with a certificate obtained on the host (certbot) and redirect port 80 to HTTPS.",
    validateStack: validateStackOf(digitalocean.Droplet, (_droplets, stack, args, reportViolation) => {
        if (externalLoadBalancers(stack).length > 0) return;
        const exposed = publicWebServers(stack);
        if (exposed.length === 0) return;
        const unknownNetwork = loadBalancersOfUnknownNetwork(stack);
        if (unknownNetwork.length > 0) {
            return decideLater(
                `Whether load balancers ${nameList(unknownNetwork.map((lb) => lb.name))} face the internet is not known yet.`,
            );
        }
        const { httpsPort } = configWithDefaults<{ httpsPort: number }>(publicEndpointTlsSchema, args);
        const entry = selfManagedEntry(stack);
        if (entry.undecided.length > 0) {
            return decideLater(
                `Whether droplets ${nameList(entry.undecided.map((e) => e.droplet.name))}, which DNS points at, run HAProxy with TLS is not known yet (their user data is computed).`,
            );
        }
        if (entry.balancers.length > 0) {
            for (const { droplet, names } of entry.balancers) {
                const balancer = balancerOf(droplet);
                if (typeof balancer !== "object") continue;
                const gaps = balancer.tlsGaps(httpsPort);
                const dns = names.length > 0 ? ` (DNS ${nameList(names)})` : "";
                if (balancer.software !== "HAProxy") {
                    if (gaps.length > 0)
                        reportViolation(
                            gaps.includes("no-tls-listener")
                                ? `${balancer.software} droplet "${droplet.name}"${dns} balances load but its ${balancer.config} in user data terminates no TLS on port ${httpsPort}, so the public reaches it only in clear text. Configure a TLS listener with a certificate obtained on the host, and redirect plain HTTP to HTTPS.`
                                : `${balancer.software} droplet "${droplet.name}"${dns} serves plain HTTP without redirecting to HTTPS. Redirect port 80 to HTTPS in its ${balancer.config}.`,
                            droplet.urn,
                        );
                    continue;
                }
                if (gaps.includes("no-tls-listener")) {
                    reportViolation(
                        `HAProxy droplet "${droplet.name}"${dns} does not terminate TLS: no frontend in the haproxy.cfg of its user data binds port ${httpsPort} with "ssl crt", so the public reaches it only in clear text. ` +
                            `Add "bind :${httpsPort} ssl crt <pem directory>" to a frontend and obtain the certificate on the host (e.g. certbot).`,
                        droplet.urn,
                    );
                }
                if (gaps.includes("no-redirect")) {
                    reportViolation(
                        `HAProxy droplet "${droplet.name}"${dns} serves plain HTTP on port 80 without redirecting to HTTPS. ` +
                            'Add "http-request redirect scheme https" to the frontend that binds port 80 (unless the request is an ACME HTTP-01 challenge).',
                        droplet.urn,
                    );
                }
            }
            for (const { droplet, names } of entry.plain) {
                reportViolation(
                    `DNS (${nameList(names)}) sends the public to ${describeDroplet(droplet)} instead of the HAProxy load balancers, so nothing terminates TLS for those names. ` +
                        "Point the DNS records at the HAProxy droplets' reserved IPs.",
                    droplet.urn,
                );
            }
            return;
        }
        // Droplets that terminate TLS themselves with a certificate they renew (Caddy, Traefik with ACME, certbot) are
        // credited; only what their own configuration lacks is reported.
        const withoutOwnTls = (d: PolicyResource): boolean => {
            const userData = dropletUserData(d.props);
            const own = typeof userData === "string" ? dropletTlsIn(userData) : undefined;
            if (!own) return true;
            if (own.tlsGaps.includes("no-tls-listener"))
                reportViolation(
                    `Droplet "${d.name}" obtains a certificate with ${own.how} but no server in its user data listens for TLS on port ${httpsPort}, so the public reaches it only in clear text. ` +
                        "Configure a TLS server block that uses the certificate (or run certbot with --nginx or --apache).",
                    d.urn,
                );
            else if (own.tlsGaps.includes("no-redirect"))
                reportViolation(
                    `Droplet "${d.name}" terminates TLS itself (${own.how}) but serves plain HTTP without redirecting to HTTPS. ` +
                        "Redirect port 80 to HTTPS in its configuration.",
                    d.urn,
                );
            return false;
        };
        // A keepalived partner serves the same names whenever it holds the reserved IP: it needs TLS as much. Each
        // droplet once, with every name it may serve (in an active/active pair each is the other's partner).
        const serving = new Map<string, { droplet: PolicyResource; names: string[] }>();
        for (const e of dropletsBehindDns(addressRecords(stack)))
            for (const droplet of [e.droplet, ...failoverPartners(stack, e.droplet)]) {
                const entry = serving.get(droplet.urn) ?? { droplet, names: [] };
                for (const name of e.names) if (!entry.names.includes(name)) entry.names.push(name);
                serving.set(droplet.urn, entry);
            }
        const byDns = [...serving.values()].filter((e) => exposed.includes(e.droplet) && withoutOwnTls(e.droplet));
        for (const { droplet, names } of byDns) {
            reportViolation(
                `DNS (${nameList(names)}) sends the public to ${describeDroplet(droplet)} and the stack has no load balancer, so nothing in it terminates TLS or renews a certificate. ` +
                    "Put a load balancer with an HTTPS rule and certificateName in front of the droplet and point DNS at it, or terminate TLS on the droplet with a certificate it renews (Caddy, Traefik with ACME, certbot).",
                droplet.urn,
            );
        }
        if (dropletsBehindDns(addressRecords(stack)).some((e) => exposed.includes(e.droplet))) return;
        const bare = exposed.filter(withoutOwnTls);
        if (bare.length === 0) return;
        reportViolation(
            `The stack runs ${plural(bare.length, "public web droplet")} (${nameList(bare.map((d) => d.name))}) and no load balancer, so nothing in it terminates TLS or renews a certificate. ` +
                "Put a load balancer with an HTTPS rule and certificateName in front of the droplets, or terminate TLS on each droplet with a certificate it renews (Caddy, Traefik with ACME, certbot).",
        );
    }),
};

export const tlsPolicies: WebstackPolicy[] = [
    loadBalancerHttpsListener,
    loadBalancerCertificateName,
    loadBalancerHttpRedirect,
    loadBalancerNoPlaintextTcp,
    loadBalancerStrongCiphers,
    publicEndpointTls,
];
