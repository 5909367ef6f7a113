// The alert thresholds are in the unit DigitalOcean measures each type in: percent types say "%", the load
// balancer's response time says seconds (the metrics API's unit for the same series), and the alert the program
// creates carries exactly that value.
import assert from "node:assert/strict";
import { DATABASE_ALERTS, DROPLET_ALERTS, LOAD_BALANCER_ALERTS, THRESHOLD_UNITS } from "../../components/monitoring";
import { plain } from "../../plan/capture/recorder";
import { byName, exampleConfig, runProgram } from "../support/program";

const RULES = [...DROPLET_ALERTS, ...LOAD_BALANCER_ALERTS, ...DATABASE_ALERTS];

describe("Monitoring: alert units", () => {
    it("gives every rule its type's unit, and states the threshold in it", () => {
        assert.deepEqual(
            RULES.map((r) => [r.key, r.unit, r.description.includes(r.unit === "%" ? `${r.value}%` : `${r.value} s`)]),
            RULES.map((r) => [r.key, THRESHOLD_UNITS[r.type], r.key !== "lb-droplet-health"]),
        );
    });

    it("knows the unit of every type it alerts on, and of no other", () => {
        assert.deepEqual(Object.keys(THRESHOLD_UNITS).sort(), [...new Set(RULES.map((r) => r.type))].sort());
    });

    it("alerts when the load balancers' 95th percentile response time stays above 2 seconds for 5 minutes", async () => {
        const { resources } = await runProgram(exampleConfig(2));
        const { type, compare, value, window, entities } = plain(
            byName(resources, "webstack-monitoring-lb-latency").inputs,
        ) as Record<string, unknown>;
        assert.deepEqual(
            { type, compare, value, window, entities },
            {
                type: "v1/insights/lbaas/high_http_request_response_time_95p",
                compare: "GreaterThan",
                value: 2,
                window: "5m",
                entities: [byName(resources, "webstack-lb-0").id, byName(resources, "webstack-app-lb-0").id],
            },
        );
    });
});
