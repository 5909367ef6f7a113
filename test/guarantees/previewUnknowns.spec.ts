// Preview unknowns: each tier's stack captured as in a first `pulumi preview` — ids, IPs, URN
// outputs, hosts, certificate names and every other output the cloud computes unknown — is run through the
// REAL policy pack over gRPC (plan/policyHost/host.ts, with the pack's default config, where most policies are
// mandatory). No crash, and no silent pass: every mandatory finding of the same stack with known values is
// still mandatory in preview, or the policy reports the pack's advisory "cannot decide during preview".
import assert from "node:assert/strict";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { outputsWithSecrets, stackResource, toAnalyzed } from "../../plan/policyHost/fromGraph";
import { PolicyHost } from "../../plan/policyHost/host";
import { reconcilePolicyConfig } from "../../plan/policyHost/packConfig";
import type { Finding } from "../../plan/policyHost/protocol";
import { RecordedResource, isSecret, plain } from "../../plan/capture/recorder";
import { inventOutputs } from "../../plan/capture/mockOutputs";
import { recorder } from "../support/hooks";
import { exampleConfig, runProgram } from "../support/program";

const ROOT = path.resolve(__dirname, "..", "..");
const STACK_URN = "urn:pulumi:dev::webstack::pulumi:pulumi:Stack::webstack-dev";
const UNKNOWN = pulumi.runtime.unknownValue;
const UNDECIDED = /cannot decide during preview/;

/**
 * What the engine holds for a resource being created in preview: its inputs, and the unknown marker for every
 * output the provider computes (the bridge fills computed attributes with unknowns; the mock just leaves them out).
 */
function previewState(r: RecordedResource): Record<string, unknown> {
    const state = { ...r.state };
    for (const key of Object.keys(inventOutputs(r.type, r.name, plain(r.inputs) as Record<string, unknown>).state)) {
        if (!(key in state)) state[key] = UNKNOWN;
    }
    return state;
}

/** The engine's calls for one capture: Analyze per custom resource's inputs, then AnalyzeStack on the final states. */
async function analyze(host: PolicyHost, resources: RecordedResource[], preview: boolean): Promise<Finding[]> {
    const perResource = await Promise.all(
        resources
            .filter((r) => r.custom)
            .map(async (r) =>
                (await host.analyze(toAnalyzed(r, STACK_URN, r.inputs))).map((f) => ({ ...f, urn: f.urn || r.urn })),
            ),
    );
    const stackWide = await host.analyzeStack([
        stackResource(STACK_URN, []),
        ...resources.map((r) => {
            const withState = preview ? { ...r, state: previewState(r) } : r;
            return toAnalyzed(r, STACK_URN, outputsWithSecrets(withState, isSecret));
        }),
    ]);
    return [...perResource.flat(), ...stackWide];
}

const key = (f: Finding) => `${f.policy} @ ${f.urn.split("::").pop() || "stack"}`;

interface TierResult {
    known: Finding[];
    preview: Finding[];
    previewResources: RecordedResource[];
}

/** Each tier's example stack, and(metrics DNS records at droplets no load balancer fronts) tier 2 with HAProxy. */
const CASES: [string, Record<string, unknown>][] = [
    ...[0, 1, 2, 3].map((tier): [string, Record<string, unknown>] => [`tier ${tier}`, exampleConfig(tier)]),
    ["tier 2 (haproxy)", { ...exampleConfig(2), loadBalancer: { engine: "haproxy" } }],
];

describe("preview unknowns: the real policy pack on first-preview stacks", function () {
    this.timeout(180000);
    let host: PolicyHost;
    const results = new Map<string, TierResult>();

    before(async () => {
        host = PolicyHost.start({ packDir: path.join(ROOT, "policies"), project: "webstack", stack: "dev" });
        const info = await host.getAnalyzerInfo();
        await host.configureStack();
        await host.configure(reconcilePolicyConfig(info, undefined));
        const known = new Map<string, RecordedResource[]>();
        for (const [label, config] of CASES) known.set(label, (await runProgram(config)).resources);
        await recorder.install("webstack", "dev", true);
        try {
            for (const [label, config] of CASES) {
                const previewResources = (await runProgram(config)).resources;
                results.set(label, {
                    known: await analyze(host, known.get(label)!, false),
                    preview: await analyze(host, previewResources, true),
                    previewResources,
                });
            }
        } finally {
            // Every other spec in this process runs with known values.
            await recorder.install("webstack", "dev");
        }
    });
    after(async () => {
        await host?.close();
    });

    it("captures a first preview: ids and computed outputs unknown, inputs fed by them unknown", () => {
        const { previewResources } = results.get("tier 2")!;
        const droplet = previewResources.find((r) => r.name === "webstack-web-0")!;
        assert.equal(droplet.id, "");
        assert.equal(previewState(droplet).ipv4Address, UNKNOWN);
        const firewall = previewResources.find((r) => r.name === "webstack-firewall-web")!;
        assert.ok(JSON.stringify(firewall.inputs).includes(UNKNOWN), "the web firewall's load balancer uid is unknown");
        const lb = previewResources.find((r) => r.name === "webstack-lb-0")!;
        assert.ok(
            JSON.stringify(lb.inputs).includes(UNKNOWN),
            "the certificate name the load balancer uses is unknown",
        );
        assert.ok(previewResources.length > 40);
    });

    for (const [tier] of CASES) {
        it(`${tier}: answers every Analyze and AnalyzeStack call without an error diagnostic`, () => {
            const { known, preview } = results.get(tier)!;
            assert.ok(known.length > 0);
            for (const f of [...known, ...preview])
                assert.doesNotMatch(
                    f.message,
                    /(TypeError|ReferenceError|is not a function|Cannot read propert)/,
                    key(f),
                );
        });

        it(`${tier}: keeps every mandatory finding mandatory, or reports it as undecided during preview`, () => {
            const { known, preview } = results.get(tier)!;
            const knownMandatory = [...new Set(known.filter((f) => f.level === "mandatory").map(key))];
            const previewMandatory = new Set(preview.filter((f) => f.level === "mandatory").map(key));
            const undecided = preview.filter((f) => f.level === "advisory" && UNDECIDED.test(f.message));
            const undecidedPolicies = new Set(undecided.map((f) => f.policy));
            const silent = knownMandatory.filter(
                (k) => !previewMandatory.has(k) && !undecidedPolicies.has(k.split(" @ ")[0]),
            );
            // Every tier's example stack has mandatory findings (the seed's issues): an empty list would prove nothing.
            assert.ok(knownMandatory.length > 0, `${tier} has no mandatory finding with known values`);
            assert.deepEqual(silent, [], `silent passes in preview at ${tier}`);
        });

        it(`${tier}: reports no mandatory finding in preview that the known values do not confirm`, () => {
            const { known, preview } = results.get(tier)!;
            const knownMandatory = new Set(known.filter((f) => f.level === "mandatory").map(key));
            assert.deepEqual(
                preview.filter((f) => f.level === "mandatory" && !knownMandatory.has(key(f))).map(key),
                [],
            );
        });

        it(`${tier}: never lets an unknown escape a policy (no bare "can't run policy … during preview")`, () => {
            const { preview } = results.get(tier)!;
            const bare = preview.filter((f) => /during preview/.test(f.message) && !UNDECIDED.test(f.message));
            assert.deepEqual(
                bare.map((f) => `${key(f)}: ${f.message.slice(0, 200)}`),
                [],
            );
        });
    }
});
