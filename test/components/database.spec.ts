// The managed MySQL's firewalls through the whole program: every node that serves the database (the primary with
// its standbys, and each read replica, which DigitalOcean firewalls on its own) trusts exactly the same tags.
import assert from "node:assert/strict";
import { RecordedResource, plain } from "../../plan/capture/recorder";
import { byName, exampleConfig, runProgram } from "../support/program";

const inputs = (r: RecordedResource) => plain(r.inputs) as Record<string, any>;
const firewalls = (resources: RecordedResource[]) =>
    resources
        .filter(
            (r) =>
                r.type === "digitalocean:index/databaseFirewall:DatabaseFirewall" && r.name.startsWith("webstack-db"),
        )
        .map((r) => ({ name: r.name, ...inputs(r) }));
const TRUSTED = [
    { type: "tag", value: "webstack-dev-app" },
    { type: "tag", value: "webstack-dev-monitor" },
];

describe("Database firewalls", () => {
    it("firewalls the primary and its one replica with the same rules at tier 2, the replica by its uuid", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const replica = byName(resources, "webstack-db-replica-0");
        assert.deepEqual(firewalls(resources), [
            { name: "webstack-db-firewall", clusterId: byName(resources, "webstack-db-cluster").id, rules: TRUSTED },
            { name: "webstack-db-replica-0-firewall", clusterId: replica.state.uuid, rules: TRUSTED },
        ]);
    });

    it("firewalls each of tier 3's two replicas by its own uuid, with a standby node as well", async () => {
        for (const database of [{}, { standbyNodes: 1 }]) {
            const { resources } = await runProgram({ ...exampleConfig(3), database });
            const replicas = resources.filter((r) => r.type === "digitalocean:index/databaseReplica:DatabaseReplica");
            assert.equal(replicas.length, 2);
            assert.ok(replicas.every((r) => /^[0-9a-f-]{36}$/.test(String(r.state.uuid))));
            assert.deepEqual(firewalls(resources), [
                {
                    name: "webstack-db-firewall",
                    clusterId: byName(resources, "webstack-db-cluster").id,
                    rules: TRUSTED,
                },
                ...replicas.map((r, i) => ({
                    name: `webstack-db-replica-${i}-firewall`,
                    clusterId: r.state.uuid,
                    rules: TRUSTED,
                })),
            ]);
        }
    });

    it("puts no firewall on the primary or the replica at tier 1, which has no firewalls at all", async () => {
        const { resources } = await runProgram(exampleConfig(1));
        assert.equal(resources.filter((r) => r.type.endsWith("DatabaseReplica")).length, 1);
        assert.deepEqual(firewalls(resources), []);
    });

    it("adds no firewall for replicas a stack does not have", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), database: { readReplicas: 0 } });
        assert.deepEqual(
            firewalls(resources).map((f) => f.name),
            ["webstack-db-firewall"],
        );
    });
});
