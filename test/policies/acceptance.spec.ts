// The seed's own issues as the acceptance table, on stacks shaped like each tier: the exact
// set of policies with mandatory findings, with the pack's defaults and with the per-stack configs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { catalog, checkOfFinding, packPolicies } from "../../policies/catalog";
import { mandatoryPolicies, materialize, PackConfig, run, runPack } from "../support/policyHarness";
import { Tier, mutate, openToWorld, tierStack } from "./stacks";

// What policies/index.ts registers: the resource policies and stack-checks-pass, which runs every stack check.
const pack = packPolicies;
const familyOf = new Map(catalog.map((e) => [e.name, e.family]));
const stackConfig = (stack: string): PackConfig =>
    JSON.parse(readFileSync(join(__dirname, "../../policies/config", `${stack}.json`), "utf8"));

const expected: Record<string, { families: string[]; policies: string[] }> = {
    0: {
        families: ["monitoring", "network", "spof", "tls"],
        policies: [
            "dns-record-targets-load-balancer",
            "droplet-alert-coverage",
            "droplet-firewall-coverage",
            "droplet-logs-shipped",
            "droplet-monitoring-agent",
            "droplet-no-database-server",
            "load-balancer-min-count",
            "public-endpoint-load-balanced",
            "public-endpoint-tls",
            "uptime-check-public-endpoint",
        ],
    },
    1: {
        families: ["monitoring", "network", "spof", "tls"],
        policies: [
            "database-alert-coverage",
            "database-cluster-log-sink",
            "database-cluster-standby",
            "database-firewall-required",
            "droplet-alert-coverage",
            "droplet-firewall-coverage",
            "droplet-logs-shipped",
            "droplet-monitoring-agent",
            "load-balancer-alert-coverage",
            "load-balancer-http-redirect",
            "load-balancer-https-listener",
            "uptime-check-public-endpoint",
        ],
    },
    2: { families: ["spof"], policies: ["database-cluster-standby"] },
    3: { families: ["spof"], policies: ["database-cluster-standby"] },
    prod: { families: [], policies: [] },
};

describe("acceptance table", () => {
    for (const tier of [0, 1, 2, 3, "prod"] as Tier[]) {
        const want = expected[String(tier)];
        it(`reports mandatory findings at tier ${tier} from ${want.families.length > 0 ? want.families.join(", ") : "no family"} only`, async () => {
            const findings = await runPack(pack, materialize(tierStack(tier)));
            const names = mandatoryPolicies(findings);
            assert.deepEqual(names, want.policies);
            assert.deepEqual([...new Set(names.map((n) => familyOf.get(n)))].sort(), want.families);
        });

        it(`reports the same mandatory findings at tier ${tier} during a first preview, with nothing left undecided`, async () => {
            const findings = await runPack(pack, materialize(tierStack(tier), { preview: true }));
            assert.deepEqual(mandatoryPolicies(findings), want.policies);
            assert.deepEqual(
                findings.filter((f) => f.message.startsWith("cannot decide")),
                [],
            );
        });
    }

    for (const tier of [1, "prod"] as Tier[]) {
        it(`resolves references through propertyDependencies when the outputs carry no ids (tier ${tier})`, async () => {
            const findings = await runPack(pack, materialize(tierStack(tier), { withoutIds: true }));
            assert.deepEqual(mandatoryPolicies(findings), expected[String(tier)].policies);
            assert.deepEqual(
                findings.filter((f) => f.message.startsWith("cannot decide")),
                [],
            );
        });
    }

    it("never passes silently, nor crashes, when every property of every resource is unknown", async () => {
        // Decided without reading props: protect is a resource option; an absent forceDestroy is absent, not unknown.
        const decidedWithoutProps = new Set(["database-cluster-protected", "spaces-bucket-no-force-destroy"]);
        for (const tier of [0, 1, 2, 3, "prod"] as Tier[]) {
            const resources = materialize(tierStack(tier), { allUnknown: true });
            for (const policy of pack) {
                const outcome = await run(policy, resources);
                if (outcome.notApplicable || decidedWithoutProps.has(policy.name)) continue;
                assert.ok(
                    outcome.violations.length + outcome.undecided.length > 0,
                    `${policy.name} passed silently at tier ${tier}`,
                );
            }
        }
    });

    it("evaluates a stack of thousands of droplets in linear time", async () => {
        const base = tierStack("prod");
        const extra = Array.from({ length: 3000 }, (_, i) => ({
            ...base.find((s) => s.name === "web-0")!,
            name: `web-extra-${i}`,
            props: {
                ...base.find((s) => s.name === "web-0")!.props,
                id: String(400000000 + i),
                ipv4Address: `10.200.${Math.floor(i / 250)}.${i % 250}`,
            },
        }));
        const resources = materialize([...base, ...extra]);
        const started = Date.now();
        const findings = await runPack(pack, resources);
        const elapsed = Date.now() - started;
        assert.deepEqual(mandatoryPolicies(findings), []);
        assert.ok(elapsed < 5000, `took ${elapsed} ms`);
    });

    it("reports the SPOF at the primary database only at tier 3, with the single-node cache as advisory", async () => {
        const findings = await runPack(pack, materialize(tierStack(3)));
        const spof = findings.filter((f) => familyOf.get(checkOfFinding(f)) === "spof");
        assert.deepEqual(
            spof.map((f) => [checkOfFinding(f), f.enforcementLevel]),
            [
                ["database-cluster-standby", "mandatory"],
                ["cache-cluster-standby", "advisory"],
            ],
        );
    });

    it("never fails a production-like preview when the host forwards no dependencies, and says what it could not decide", async () => {
        const findings = await runPack(
            pack,
            materialize(tierStack("prod"), { preview: true, withoutDependencies: true }),
        );
        assert.deepEqual(mandatoryPolicies(findings), []);
        const undecided = findings.filter((f) => f.message.startsWith("cannot decide during preview"));
        assert.ok(undecided.every((f) => f.enforcementLevel === "advisory"));
        // stack-checks-pass says once which of its checks could not decide, each gap under its check's name.
        const checks = new Set(
            [
                ...undecided
                    .map((f) => f.message)
                    .join(" ")
                    .matchAll(/([a-z0-9]+(?:-[a-z0-9]+)+): /g),
            ]
                .map((m) => m[1])
                .filter((n) => familyOf.has(n)),
        );
        assert.ok(checks.size >= 2, `expected undecided stack checks, got ${[...checks].join(", ")}`);
    });

    describe("per-stack configs", () => {
        it("prod.json passes the production-like stack", async () => {
            assert.deepEqual(
                mandatoryPolicies(await runPack(pack, materialize(tierStack("prod")), stackConfig("prod"))),
                [],
            );
        });

        it("prod.json asks for a second load balancer when a stack has one", async () => {
            assert.deepEqual(mandatoryPolicies(await runPack(pack, materialize(tierStack(2)), stackConfig("prod"))), [
                "database-cluster-standby",
                "load-balancer-min-count",
            ]);
        });

        it("staging.json accepts the primary-database SPOF of tier 2 and nothing else", async () => {
            assert.deepEqual(
                mandatoryPolicies(await runPack(pack, materialize(tierStack(2)), stackConfig("staging"))),
                [],
            );
            const standby = (await runPack(pack, materialize(tierStack(2)), stackConfig("staging"))).filter(
                (v) => v.policy === "database-cluster-standby",
            );
            assert.deepEqual(
                standby.map((v) => v.enforcementLevel),
                ["advisory"],
            );
        });

        it("dev.json reports what tier 1 lacks by design as advisory", async () => {
            assert.deepEqual(mandatoryPolicies(await runPack(pack, materialize(tierStack(1)), stackConfig("dev"))), []);
        });

        it("dev.json reports tier 1's stack-check findings through stack-checks-advisory, as advisory", async () => {
            const findings = await runPack(pack, materialize(tierStack(1)), stackConfig("dev"));
            const fromComposites = findings.filter((f) => f.policy.startsWith("stack-checks-"));
            assert.deepEqual(
                [...new Set(fromComposites.map((f) => `${f.policy} ${f.enforcementLevel}`))],
                ["stack-checks-advisory advisory"],
            );
            assert.deepEqual([...new Set(fromComposites.map(checkOfFinding))].sort(), [
                "database-alert-coverage",
                "database-cluster-log-sink",
                "database-firewall-required",
                "droplet-alert-coverage",
                "droplet-firewall-coverage",
                "droplet-logs-shipped",
                "load-balancer-alert-coverage",
                "uptime-check-public-endpoint",
            ]);
        });

        it("dev.json keeps a world-open port and a split VPC mandatory (firewall-no-world-ingress, resources-same-vpc)", async () => {
            const open = openToWorld(tierStack(2), "fw-web", "8080");
            const split = mutate(open, "db", (db) => delete db.privateNetworkUuid);
            const findings = await runPack(pack, materialize(split), stackConfig("dev"));
            assert.deepEqual(mandatoryPolicies(findings), ["firewall-no-world-ingress", "resources-same-vpc"]);
            assert.deepEqual(
                [...new Set(findings.filter((f) => f.enforcementLevel === "mandatory").map((f) => f.policy))],
                ["stack-checks-pass"],
            );
        });

        it("dev.json keeps SSH from the world mandatory, reported by firewall-no-world-ssh alone", async () => {
            const specs = openToWorld(tierStack(2), "fw-web", "22");
            assert.deepEqual(mandatoryPolicies(await runPack(pack, materialize(specs), stackConfig("dev"))), [
                "firewall-no-world-ssh",
            ]);
        });
    });
});
