// The diagram draws the metric flows, not only the request path. Flows a cloud firewall admits between
// pools by tag are dashed edges with their ports (the monitor scraping the web exporters, an autoscale pool pushing
// to the monitor); a DNS record at a private address is discovery, dashed; request flows stay solid.
import assert from "node:assert/strict";
import { buildDiagram } from "../../plan/report/diagram/model";
import { exampleConfig, runProgram } from "../support/program";

const edgesOf = async (config: Record<string, unknown>) =>
    buildDiagram((await runProgram(config)).resources)
        .edges.filter(
            (e) =>
                e.from !== "monitoring" &&
                (e.from.includes("monitor") || e.to.includes("monitor") || e.label.includes("metrics")),
        )
        .map((e) => `${e.from} ${e.dashed ? "-." : "->"} ${e.to} ${e.label}`.trim())
        .sort();

describe("architecture diagram: metric flows (plan/report/diagram/flows.ts)", () => {
    it("draws the monitor scraping the fixed web pool on 9113, and the metrics record as discovery", async () => {
        assert.deepEqual(await edgesOf(exampleConfig(2)), [
            "dns_example_com -. droplets_webstack_web webstack-metrics-web A",
            // The monitor finds the database's metrics endpoints through SRV records at the cluster's host.
            "dns_example_com -> db_webstack_db_cluster _webstack-mysql-metrics._tcp SRV",
            "droplets_webstack_monitor -. droplets_webstack_web tcp 9113",
            "droplets_webstack_monitor -> db_webstack_db_cluster",
            "droplets_webstack_monitor -> db_webstack_logs_cluster",
            // The read replica trusts the primary's tags, the monitor's included (its own DatabaseFirewall).
            "droplets_webstack_monitor -> replica_webstack_db_replica_0",
        ]);
    });

    it("draws an autoscale web pool pushing to the monitor on 9091, and the push record at the monitor", async () => {
        assert.deepEqual(await edgesOf({ ...exampleConfig(2), web: { autoscale: { min: 2, max: 5 } } }), [
            "autoscale_webstack_web_pool -. droplets_webstack_monitor tcp 9091",
            "dns_example_com -. droplets_webstack_monitor webstack-metrics-push A",
            "dns_example_com -> db_webstack_db_cluster _webstack-mysql-metrics._tcp SRV",
            "droplets_webstack_monitor -> db_webstack_db_cluster",
            "droplets_webstack_monitor -> db_webstack_logs_cluster",
            // The read replica trusts the primary's tags, the monitor's included (its own DatabaseFirewall).
            "droplets_webstack_monitor -> replica_webstack_db_replica_0",
        ]);
    });

    it("draws what a firewall admits from a pool public DNS names as the request path (HAProxy)", async () => {
        const { resources } = await runProgram({ ...exampleConfig(2), loadBalancer: { engine: "haproxy" } });
        const edges = buildDiagram(resources).edges.filter(
            (e) => e.to === "droplets_webstack_web" || e.to === "droplets_webstack_haproxy",
        );
        // HAProxy finds the web droplets in DNS, so the request path is the flow the web firewall admits from the
        // HAProxy tag; the peers' private record to the same droplets does not make the public entry a dashed edge.
        assert.deepEqual(edges.map((e) => `${e.from} ${e.dashed ? "-." : "->"} ${e.to} ${e.label}`.trim()).sort(), [
            "dns_example_com -. droplets_webstack_web webstack-metrics-web A",
            "dns_example_com -> droplets_webstack_haproxy @ A, www A, webstack-lb-peers A",
            "droplets_webstack_haproxy -> droplets_webstack_web",
            "droplets_webstack_monitor -. droplets_webstack_web tcp 9113",
            "monitoring -. droplets_webstack_haproxy",
            "monitoring -. droplets_webstack_web",
        ]);
    });
});
