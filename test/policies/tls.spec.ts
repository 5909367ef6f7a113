import assert from "node:assert/strict";
import {
    loadBalancerCertificateName,
    loadBalancerHttpRedirect,
    loadBalancerHttpsListener,
    loadBalancerNoPlaintextTcp,
    loadBalancerStrongCiphers,
    publicEndpointTls,
    tlsPolicies,
} from "../../policies/tls";
import { materialize, run, Spec, UNKNOWN } from "../support/policyHarness";
import { keepalivedPair } from "./realWorldStacks";
import { mutate, tierStack, without } from "./stacks";

/** Production-like stack with a single public load balancer, so each mutation yields one finding. */
const stack = (): Spec[] => without(tierStack("prod"), "lb-1", "dns-apex-1", "dns-www-1");
const rules = (lb: Record<string, unknown>) => lb.forwardingRules as Record<string, unknown>[];

async function violations(
    policy: Parameters<typeof run>[0],
    specs: Spec[],
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const outcome = await run(policy, materialize(specs), config);
    assert.deepEqual(outcome.undecided, []);
    return outcome.violations;
}

describe("TLS policies", () => {
    it("report nothing on the production-like stack", async () => {
        for (const policy of tlsPolicies)
            assert.deepEqual(await violations(policy, tierStack("prod")), [], policy.name);
    });

    describe("load-balancer-https-listener", () => {
        it("reports a public load balancer without an HTTPS rule on 443", async () => {
            assert.deepEqual(await violations(loadBalancerHttpsListener, tierStack(1)), [
                'Load balancer "lb-0" has no HTTPS entry rule on port 443 (its entry rules: http 80), so the public reaches it only in clear text. Add a forwarding rule with entryProtocol "https", entryPort 443 and certificateName, or tlsPassthrough: true (or a tcp rule from 443 to port 443 on droplets that terminate TLS themselves).',
            ]);
        });

        it("reports an HTTPS rule with neither a certificate nor TLS passthrough", async () => {
            const specs = mutate(stack(), "lb-0", (lb) => delete rules(lb)[0].certificateName);
            assert.deepEqual(await violations(loadBalancerHttpsListener, specs), [
                'Load balancer "lb-0" accepts https on port 443 without a certificate or tlsPassthrough, so it cannot complete a TLS handshake. Set certificateName to a digitalocean.Certificate\'s name, or tlsPassthrough: true.',
            ]);
        });

        it("accepts TLS passthrough and http2 entries", async () => {
            const specs = mutate(stack(), "lb-0", (lb) => {
                delete rules(lb)[0].certificateName;
                rules(lb)[0].entryProtocol = "http2";
                rules(lb)[0].tlsPassthrough = true;
            });
            assert.deepEqual(await violations(loadBalancerHttpsListener, specs), []);
        });

        it("takes a tcp rule from 443 to 443 for TLS passed through to the droplets, and a tcp rule to or from another port for none", async () => {
            const passthrough = (port: number, targetPort = 443) =>
                mutate(stack(), "lb-0", (lb) => {
                    const https = rules(lb)[0];
                    delete https.certificateName;
                    Object.assign(https, { entryProtocol: "tcp", entryPort: port, targetProtocol: "tcp", targetPort });
                });
            assert.deepEqual(await violations(loadBalancerHttpsListener, passthrough(443)), []);
            assert.deepEqual(await violations(loadBalancerHttpsListener, passthrough(443, 80)), [
                'Load balancer "lb-0" has no HTTPS entry rule on port 443 (its entry rules: tcp 443, http 80), so the public reaches it only in clear text. Add a forwarding rule with entryProtocol "https", entryPort 443 and certificateName, or tlsPassthrough: true (or a tcp rule from 443 to port 443 on droplets that terminate TLS themselves).',
            ]);
            assert.deepEqual(await violations(loadBalancerHttpsListener, passthrough(8443)), [
                'Load balancer "lb-0" has no HTTPS entry rule on port 443 (its entry rules: tcp 8443, http 80), so the public reaches it only in clear text. Add a forwarding rule with entryProtocol "https", entryPort 443 and certificateName, or tlsPassthrough: true (or a tcp rule from 443 to port 443 on droplets that terminate TLS themselves).',
            ]);
        });

        it("judges a global load balancer by its domains (no forwarding rules beside glbSettings): each needs a certificate or isManaged", async () => {
            const specs = mutate(stack(), "lb-0", (lb) => {
                delete lb.forwardingRules;
                delete lb.region;
                lb.type = "GLOBAL";
                lb.glbSettings = { targetProtocol: "http", targetPort: 80 };
                lb.domains = [
                    { name: "shop.example.com", certificateName: "shop-cert" },
                    { name: "www.shop.example.com", isManaged: true },
                    { name: "old.shop.example.com" },
                ];
            });
            assert.deepEqual(await violations(loadBalancerHttpsListener, specs), [
                'Global load balancer "lb-0" serves domain "old.shop.example.com" with neither a certificate (certificateName) nor isManaged, so it cannot complete a TLS handshake for it. Set the domain\'s certificateName to a digitalocean.Certificate\'s name, or isManaged: true for a domain whose DNS DigitalOcean hosts.',
            ]);
        });

        it("honours httpsPort from the config", async () => {
            const found = await violations(loadBalancerHttpsListener, stack(), { httpsPort: 8443 });
            assert.match(
                found[0],
                /^Load balancer "lb-0" has no HTTPS entry rule on port 8443 \(its entry rules: https 443, http 80\)/,
            );
        });

        it("does not check internal load balancers", async () => {
            assert.deepEqual(
                await violations(loadBalancerHttpsListener, without(stack(), "lb-0", "dns-apex-0", "dns-www-0")),
                [],
            );
        });

        it("reports cannot-decide when the forwarding rules are unknown", async () => {
            const outcome = await run(
                loadBalancerHttpsListener,
                materialize(mutate(stack(), "lb-0", (lb) => (lb.forwardingRules = UNKNOWN))),
            );
            assert.deepEqual(outcome.violations, []);
            assert.match(outcome.undecided[0], /Load balancer "lb-0"'s forwarding rules are not known yet\./);
        });
    });

    describe("load-balancer-certificate-name", () => {
        it("reports the deprecated certificateId", async () => {
            const specs = mutate(stack(), "lb-0", (lb) => {
                delete rules(lb)[0].certificateName;
                rules(lb)[0].certificateId = "c0000000-0000-4000-8000-000000000001";
            });
            assert.deepEqual(await violations(loadBalancerCertificateName, specs), [
                'Load balancer "lb-0" references its certificate on https port 443 by the deprecated certificateId "c0000000-0000-4000-8000-000000000001", which changes when Let\'s Encrypt renews the certificate. Use certificateName instead.',
            ]);
        });
    });

    describe("load-balancer-http-redirect", () => {
        it("reports plain HTTP without a redirect", async () => {
            const specs = mutate(stack(), "lb-0", (lb) => (lb.redirectHttpToHttps = false));
            assert.deepEqual(await violations(loadBalancerHttpRedirect, specs), [
                'Load balancer "lb-0" forwards plain HTTP on port 80 without redirecting to HTTPS; set redirectHttpToHttps: true.',
            ]);
        });
    });

    describe("load-balancer-no-plaintext-tcp", () => {
        it("reports raw TCP on port 80", async () => {
            const specs = mutate(stack(), "lb-0", (lb) => (rules(lb)[1].entryProtocol = "tcp"));
            assert.deepEqual(await violations(loadBalancerNoPlaintextTcp, specs), [
                'Load balancer "lb-0" forwards raw TCP on port 80, so plain HTTP passes through it unencrypted and the load balancer cannot redirect it to HTTPS: HTTPS holds only where every droplet behind it redirects by itself. Use entryProtocol "http" with redirectHttpToHttps: true, or remove the rule.',
            ]);
        });

        it("honours plaintextPorts from the config", async () => {
            const specs = mutate(stack(), "lb-0", (lb) =>
                rules(lb).push({ entryProtocol: "tcp", entryPort: 8080, targetProtocol: "tcp", targetPort: 8080 }),
            );
            assert.deepEqual(await violations(loadBalancerNoPlaintextTcp, specs), []);
            assert.equal(
                (await violations(loadBalancerNoPlaintextTcp, specs, { plaintextPorts: [80, 8080] })).length,
                1,
            );
        });
    });

    describe("load-balancer-strong-ciphers", () => {
        it("reports a load balancer terminating TLS with the default cipher policy", async () => {
            const specs = mutate(stack(), "lb-0", (lb) => delete lb.tlsCipherPolicy);
            assert.deepEqual(await violations(loadBalancerStrongCiphers, specs), [
                'Load balancer "lb-0" terminates TLS with tlsCipherPolicy "DEFAULT", which still accepts legacy cipher suites; set tlsCipherPolicy: "STRONG".',
            ]);
        });
    });

    describe("public-endpoint-tls", () => {
        it("reports a public droplet with no load balancer to terminate TLS", async () => {
            assert.deepEqual(await violations(publicEndpointTls, tierStack(0)), [
                'DNS ("example.com", "www.example.com") sends the public to droplet "server" and the stack has no load balancer, so nothing in it terminates TLS or renews a certificate. Put a load balancer with an HTTPS rule and certificateName in front of the droplet and point DNS at it, or terminate TLS on the droplet with a certificate it renews (Caddy, Traefik with ACME, certbot).',
            ]);
        });

        it("asks the same of a keepalived partner, which serves the names whenever it holds the reserved IP", async () => {
            assert.deepEqual(await violations(publicEndpointTls, keepalivedPair().specs), []);
            const bare = mutate(keepalivedPair().specs, "web-b", (b) => {
                b.userData = String(b.userData)
                    .split("\n")
                    .filter((line) => !line.includes("certbot"))
                    .join("\n");
            });
            assert.deepEqual(await violations(publicEndpointTls, bare), [
                'DNS ("www.example.com") sends the public to droplet "web-b" and the stack has no load balancer, so nothing in it terminates TLS or renews a certificate. Put a load balancer with an HTTPS rule and certificateName in front of the droplet and point DNS at it, or terminate TLS on the droplet with a certificate it renews (Caddy, Traefik with ACME, certbot).',
            ]);
        });
    });
});
