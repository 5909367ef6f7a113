// The release settings: how long a readiness gate waits (`releases.gateTimeoutMinutes`), and the web pool's size
// with HAProxy, whose server slots must hold the old and the new web droplets together while a release replaces them.
import assert from "node:assert/strict";
import { CONFIG_DOCS } from "../../../components/settings/configKeys";
import { LIMITS } from "../../../components/settings/limits";
import { exampleConfig } from "../../support/program";
import { configProblems, parseConfig } from "../../support/stackConfig";

describe("Stack config: releases", () => {
    it("waits 15 minutes for a new droplet to serve unless told otherwise", () => {
        assert.deepEqual(parseConfig(exampleConfig(2)).releases, { gateTimeoutMinutes: 15 });
        assert.deepEqual(parseConfig({ ...exampleConfig(1), releases: { gateTimeoutMinutes: 45 } }).releases, {
            gateTimeoutMinutes: 45,
        });
    });

    it("states the gate's bounds once, in the limits the gate reads too, and its sentence with them", () => {
        assert.deepEqual(LIMITS.gateTimeoutMinutes, { min: 5, max: 120 });
        assert.equal(
            CONFIG_DOCS["releases.gateTimeoutMinutes"],
            "Minutes a readiness gate waits for a new droplet to serve through the load balancers before it fails the update (the droplets it replaces keep serving); 5 to 120.",
        );
    });

    it("refuses a timeout out of its bounds, or not an integer, with the value, the range and the fix", () => {
        for (const bad of [4, 121, 7.5, "ten"])
            assert.deepEqual(configProblems({ ...exampleConfig(2), releases: { gateTimeoutMinutes: bad } }), [
                `webstack:releases.gateTimeoutMinutes: must be an integer from 5 to 120; got ${JSON.stringify(typeof bad === "string" ? bad : JSON.stringify(bad))}. Fix: pulumi config set --path 'webstack:releases.gateTimeoutMinutes' 15`,
            ]);
    });

    it("refuses the key at tier 0, which has no load balancer a gate could watch", () => {
        assert.deepEqual(configProblems({ ...exampleConfig(0), releases: { gateTimeoutMinutes: 30 } }), [
            `webstack:releases.gateTimeoutMinutes: applies only at tier 1 and above (tier 0 is one droplet, with no load balancer a gate could watch); got "30" at tier 0. Fix: pulumi config rm --path 'webstack:releases.gateTimeoutMinutes'`,
        ]);
    });
});

describe("Stack config: the web pool with HAProxy", () => {
    it("accepts up to 50 web droplets with the haproxy engine, and more with the managed one", () => {
        const haproxy = (count: number) => ({
            ...exampleConfig(2),
            web: { count },
            loadBalancer: { engine: "haproxy" },
        });
        assert.equal(parseConfig(haproxy(50)).web.count, 50);
        assert.equal(parseConfig({ ...exampleConfig(2), web: { count: 51 } }).web.count, 51);
    });

    it("refuses more than 50 web droplets with HAProxy, together with every other problem", () => {
        assert.deepEqual(
            configProblems({
                ...exampleConfig(2),
                web: { count: 51 },
                loadBalancer: { engine: "haproxy", sizeUnit: 2 },
                releases: { gateTimeoutMinutes: 1 },
            }),
            [
                "webstack:releases.gateTimeoutMinutes: must be an integer from 5 to 120; got \"1\". Fix: pulumi config set --path 'webstack:releases.gateTimeoutMinutes' 15",
                "webstack:loadBalancer.sizeUnit: applies only to the managed engine; size HAProxy droplets with loadBalancer.size; got \"2\". Fix: pulumi config rm --path 'webstack:loadBalancer.sizeUnit'",
                "webstack:web.count: must be at most 50 with the haproxy engine, whose 100 server slots hold the old and the new web droplets together while an update replaces them; got \"51\". Fix: pulumi config set --path 'webstack:web.count' 50, or pulumi config set --path 'webstack:loadBalancer.engine' managed",
            ],
        );
    });
});

describe("Stack config: HAProxy droplets and Let's Encrypt", () => {
    const haproxy = (tier: number, count: number, extra = {}) => ({
        ...exampleConfig(tier),
        loadBalancer: { engine: "haproxy", count },
        ...extra,
    });

    it("accepts up to 5 HAProxy droplets with Let's Encrypt, and 10 with a custom certificate or managed load balancers", () => {
        assert.equal(parseConfig(haproxy(2, 5)).loadBalancer?.count, 5);
        assert.deepEqual(LIMITS.haproxyLetsEncrypt, { min: 1, max: 5 });
        const custom = {
            certificate: { kind: "custom" },
            tlsPrivateKey: "-----BEGIN PRIVATE KEY-----\nx\n-----END PRIVATE KEY-----",
            tlsCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
        };
        assert.equal(parseConfig(haproxy(2, 10, custom), ["tlsPrivateKey"]).loadBalancer?.count, 10);
        assert.equal(parseConfig({ ...exampleConfig(2), loadBalancer: { count: 10 } }).loadBalancer?.count, 10);
        // Tier 1 terminates no TLS on HAProxy: no certificate is ordered.
        assert.equal(parseConfig(haproxy(1, 10)).loadBalancer?.count, 10);
    });

    it("refuses a sixth HAProxy droplet with Let's Encrypt, with every other problem, the value and the fixes", () => {
        assert.deepEqual(configProblems(haproxy(2, 6, { web: { count: 51 } })), [
            "webstack:web.count: must be at most 50 with the haproxy engine, whose 100 server slots hold the old and the new web droplets together while an update replaces them; got \"51\". Fix: pulumi config set --path 'webstack:web.count' 50, or pulumi config set --path 'webstack:loadBalancer.engine' managed",
            "webstack:loadBalancer.count: must be at most 5 with the haproxy engine and Let's Encrypt: every HAProxy droplet orders a certificate for the same two names, and Let's Encrypt issues at most 5 per exact set of names every 7 days, so the droplets beyond 5 would serve a self-signed certificate for a week; got \"6\". Fix: pulumi config set --path 'webstack:loadBalancer.count' 5, or pulumi config set --path 'webstack:certificate.kind' custom with tlsPrivateKey and tlsCertificate, or pulumi config set --path 'webstack:loadBalancer.engine' managed",
        ]);
    });
});
