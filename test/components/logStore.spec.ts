// The log store's security-relevant inputs, through the whole program: who may connect, what the
// writer may do, where the sinks write and that every credential-carrying value is a secret.
import assert from "node:assert/strict";
import { specialSecretSig } from "@pulumi/pulumi/runtime/rpc";
import * as digitalocean from "@pulumi/digitalocean";
import { LogStore } from "../../components/logStore";
import { RecordedResource, plain } from "../../plan/capture/recorder";
import { recorder } from "../support/hooks";
import { byName, exampleConfig, runProgram } from "../support/program";

const inputs = (r: RecordedResource) => plain(r.inputs) as Record<string, any>;
const isSecret = (v: unknown) => JSON.stringify(v).includes(specialSecretSig);

describe("LogStore", () => {
    it("creates no log store at tier 1 unless logs.enabled", async () => {
        const { resources } = await runProgram(exampleConfig(1));
        assert.deepEqual(
            resources.filter((r) => r.name.startsWith("webstack-logs")).map((r) => r.name),
            [],
        );
        const withLogs = await runProgram({ ...exampleConfig(1), logs: { enabled: true } });
        assert.deepEqual(inputs(byName(withLogs.resources, "webstack-logs-sink-mysql")).name, "webstack-mysql");
    });

    it("runs one OpenSearch 2 node in the stack's VPC, protected", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const cluster = byName(resources, "webstack-logs-cluster");
        const { engine, version, size, nodeCount, privateNetworkUuid } = inputs(cluster);
        assert.deepEqual(
            { engine, version, size, nodeCount },
            { engine: "opensearch", version: "2", size: "db-s-1vcpu-2gb", nodeCount: 1 },
        );
        assert.equal(privateNetworkUuid, byName(resources, "webstack-network-vpc").id);
        assert.equal(cluster.protect, true);
    });

    it("trusts exactly the web, app and monitor droplet tags (and HAProxy's with that engine), and the VPC's range for the database sinks", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        assert.deepEqual(inputs(byName(resources, "webstack-logs-firewall")).rules, [
            { type: "tag", value: "webstack-dev-web" },
            { type: "tag", value: "webstack-dev-app" },
            { type: "tag", value: "webstack-dev-monitor" },
            { type: "ip_addr", value: byName(resources, "webstack-network-vpc").state.ipRange },
        ]);
        const haproxy = await runProgram({ ...exampleConfig(2), loadBalancer: { engine: "haproxy" } });
        assert.deepEqual(
            inputs(byName(haproxy.resources, "webstack-logs-firewall")).rules.map((r: { value: string }) => r.value),
            ["webstack-dev-web", "webstack-dev-app", "webstack-dev-lb", "webstack-dev-monitor", "10.10.0.0/20"],
        );
    });

    it("admits the range DigitalOcean reports for the stack's VPC, the configured one included, where the sinks connect from", async () => {
        const { resources } = await runProgram({
            ...exampleConfig(1),
            logs: { enabled: true },
            vpcIpRange: "10.42.16.0/20",
        });
        assert.deepEqual(inputs(byName(resources, "webstack-logs-firewall")).rules, [
            { type: "tag", value: "webstack-dev-web" },
            { type: "tag", value: "webstack-dev-monitor" },
            { type: "ip_addr", value: "10.42.16.0/20" },
        ]);
        assert.ok(recorder.invokes.includes("digitalocean:index/getVpc:getVpc"));
    });

    it("admits no address range when no database forwards its logs, and trusts the monitor's tag when given it", async () => {
        const vpc = new digitalocean.Vpc("t-vpc", { region: "nyc3" });
        const store = new LogStore("t-logs", {
            size: "db-s-1vcpu-2gb",
            region: "nyc3",
            vpcUuid: vpc.id,
            tags: [],
            trustedTags: ["t-web", "t-monitor"],
            sources: [],
            indexDaysMax: 7,
            protect: false,
            sinkNamePrefix: "t",
        });
        await new Promise<void>((resolve) => store.firewall.urn.apply(() => resolve()));
        await recorder.settle();
        assert.deepEqual(inputs(byName(recorder.resources, "t-logs-firewall")).rules, [
            { type: "tag", value: "t-web" },
            { type: "tag", value: "t-monitor" },
        ]);
        assert.deepEqual(store.sinks, []);
    });

    it("gives the shippers' user write permission on the logs-* indices only", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const writer = inputs(byName(resources, "webstack-logs-writer"));
        assert.equal(writer.name, "log-writer");
        assert.deepEqual(writer.settings, [{ opensearchAcls: [{ index: "logs-*", permission: "write" }] }]);
    });

    it("forwards MySQL (and at tier 3 Valkey) logs over HTTPS as the writer, keeping indexDaysMax days, with the endpoint a secret", async () => {
        const { resources } = await runProgram({ ...exampleConfig(3), logs: { indexDaysMax: 30 } });
        for (const [role, cluster] of [
            ["mysql", "webstack-db-cluster"],
            ["valkey", "webstack-cache-cluster"],
        ]) {
            const sink = byName(resources, `webstack-logs-sink-${role}`);
            const i = inputs(sink);
            const writer = byName(resources, "webstack-logs-writer").state.password as string;
            const host = byName(resources, "webstack-logs-cluster").state.privateHost as string;
            assert.deepEqual(
                {
                    clusterId: i.clusterId,
                    name: i.name,
                    indexPrefix: i.indexPrefix,
                    indexDaysMax: i.indexDaysMax,
                    timeoutSeconds: i.timeoutSeconds,
                },
                {
                    clusterId: byName(resources, cluster).id,
                    name: `webstack-${role}`,
                    indexPrefix: `logs-${role}`,
                    indexDaysMax: 30,
                    timeoutSeconds: 30,
                },
            );
            assert.equal(i.endpoint, `https://log-writer:${writer}@${host}:25060`);
            assert.ok(isSecret(sink.inputs.endpoint), `${role} sink endpoint is not a secret`);
        }
    });

    it("makes every droplet's user data a secret that ships to the store", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const droplets = resources.filter((r) => r.type === "digitalocean:index/droplet:Droplet");
        assert.equal(droplets.length, 5, "two web, two app and the monitor");
        for (const d of droplets) {
            assert.ok(isSecret(d.inputs.userData), `${d.name}'s user data is not a secret`);
            assert.match(String(inputs(d).userData), /action\(type="omelasticsearch"/, d.name);
        }
    });
});
