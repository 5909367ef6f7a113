import assert from "node:assert/strict";
import { RecordedResource, plain } from "../../plan/capture/recorder";
import { DATA_BEARING_TYPES, FORCE_NEW } from "../../tools/docs/analysis/upgradeMatrix";
import { exampleConfig, output, runProgram } from "../support/program";

// The types whose force-new inputs must never change across upgrades: data-bearing ones and the VPC they live in.
const KEPT_TYPES = [...DATA_BEARING_TYPES, "digitalocean:index/vpc:Vpc"];

/** URN → force-new inputs of every data-bearing resource (and the VPC they live in). */
function dataResources(resources: RecordedResource[]): Map<string, Record<string, unknown>> {
    const inputsOf = (r: RecordedResource) => plain(r.inputs) as Record<string, unknown>;
    return new Map(
        resources
            .filter((r) => KEPT_TYPES.includes(r.type))
            .map((r) => [r.urn, Object.fromEntries(FORCE_NEW[r.type].map((k) => [k, inputsOf(r)[k]]))]),
    );
}

describe("Upgrades keep the data", () => {
    for (const [from, to] of [
        [1, 2],
        [2, 3],
        [1, 3],
    ]) {
        it(`keeps the database cluster, replicas and VPC identical from tier ${from} to tier ${to}`, async () => {
            const before = dataResources((await runProgram(exampleConfig(from))).resources);
            const after = dataResources((await runProgram(exampleConfig(to))).resources);
            assert.ok(before.size >= 3, "tier has a cluster, a replica and a VPC");
            for (const [urn, forceNew] of before) assert.deepEqual(after.get(urn), forceNew, urn);
        });
    }

    it("keeps the database when the tier 0 stack moves to tier 1 (it has none before) and keeps the VPC", async () => {
        const before = dataResources((await runProgram(exampleConfig(0))).resources);
        const after = dataResources((await runProgram(exampleConfig(1))).resources);
        assert.deepEqual(
            [...before.keys()].map((urn) => urn.split("::").pop()),
            ["webstack-network-vpc"],
        );
        for (const [urn, forceNew] of before) assert.deepEqual(after.get(urn), forceNew);
    });

    for (const [label, override] of [
        ["web pool resize", { web: { count: 6 } }],
        ["app pool resize", { app: { count: 7 } }],
        ["load balancer count", { loadBalancer: { count: 3 } }],
        ["standby nodes", { database: { standbyNodes: 2 } }],
        ["more replicas", { database: { readReplicas: 3 } }],
    ] as const) {
        it(`keeps every existing data resource identical on a ${label}`, async () => {
            const before = dataResources((await runProgram(exampleConfig(3))).resources);
            const after = dataResources((await runProgram({ ...exampleConfig(3), ...override })).resources);
            assert.ok(before.size >= 6, "tier 3 has a cluster, two replicas, a cache, a bucket and a VPC");
            for (const [urn, forceNew] of before) assert.deepEqual(after.get(urn), forceNew, urn);
        });
    }

    it("does not rewrite the web droplets' user data when the app pool is resized", async () => {
        const userData = async (count: number) =>
            (await runProgram({ ...exampleConfig(2), app: { count } })).resources
                .filter((r) => r.name.startsWith("webstack-web-"))
                .map((r) => (plain(r.inputs) as { userData: string }).userData);
        assert.deepEqual(await userData(2), await userData(9));
    });
});

describe("Downgrades that would delete data", () => {
    const previousOf = async (config: Record<string, unknown>) => ({
        dataResources: output(await runProgram(config), "dataResources").value as string[],
    });

    it("refuses a tier 3 → 2 downgrade that would delete a replica, the cache and the bucket, naming them and the fix", async () => {
        const previous = await previousOf(exampleConfig(3));
        await assert.rejects(runProgram(exampleConfig(2), { previous }), (err: Error) => {
            assert.equal(
                err.message,
                'This update would delete or replace 3 data-bearing resource(s) of stack "dev": "webstack-db-replica-1", "webstack-cache-cluster", "webstack-static-bucket" (tier 2 keeps no data in them). ' +
                    "Back up their data, then allow it for this one update: pulumi config set webstack:allowDataLoss true (and unset it afterwards).",
            );
            return true;
        });
    });

    it("refuses a tier 1 → 0 downgrade that would delete the managed database", async () => {
        const previous = await previousOf(exampleConfig(1));
        await assert.rejects(
            runProgram(exampleConfig(0), { previous }),
            /would delete or replace 2 data-bearing resource\(s\) of stack "dev": "webstack-db-cluster", "webstack-db-replica-0" \(tier 0 keeps no data in them\)/,
        );
    });

    it("allows the same downgrade with allowDataLoss", async () => {
        const previous = await previousOf(exampleConfig(3));
        const run = await runProgram({ ...exampleConfig(2), allowDataLoss: true }, { previous });
        assert.deepEqual(output(run, "dataResources").value, [
            "webstack-db-cluster",
            "webstack-db-replica-0",
            "webstack-logs-cluster",
        ]);
        assert.ok(run.resources.some((r) => r.name === "webstack-db-cluster"));
    });

    it("refuses leaving tier 0, whose droplet holds the MySQL data, until the data is moved and allowDataLoss is set", async () => {
        const previous = await previousOf(exampleConfig(0));
        await assert.rejects(
            runProgram(exampleConfig(1), { previous }),
            /would delete or replace 1 data-bearing resource\(s\) of stack "dev": "webstack-web-0" \(tier 1 keeps no data in them\)/,
        );
        await runProgram(
            { ...exampleConfig(1), allowDataLoss: true },
            { previous: await previousOf(exampleConfig(0)) },
        );
    });

    it("protects tier 0's droplet, unless the update allows data loss", async () => {
        const protectOf = async (config: Record<string, unknown>) =>
            (await runProgram(config)).resources.find((r) => r.name === "webstack-web-0")!.protect;
        assert.deepEqual(
            [
                await protectOf(exampleConfig(0)),
                await protectOf({ ...exampleConfig(0), allowDataLoss: true }),
                await protectOf(exampleConfig(1)),
            ],
            [true, false, false],
        );
    });

    it("accepts every upgrade from tier 1 up without allowDataLoss", async () => {
        for (const [from, to] of [
            [1, 2],
            [2, 3],
            [1, 3],
        ]) {
            const previous = await previousOf(exampleConfig(from));
            await runProgram(exampleConfig(to), { previous });
        }
    });
});
