import assert from "node:assert/strict";
import { availabilityMarkdown } from "../../../tools/docs/analysis/availabilityTable";

describe("availability table (plan/report/availabilityTable.ts)", function () {
    this.timeout(120000);

    it("shows each tier's and production's expected availability, downtime, stage count and single points of failure", async () => {
        assert.equal(
            await availabilityMarkdown(),
            [
                "| Stack | Expected monthly availability | Minutes down / 30 days | Stages | Single points of failure |",
                "|---|---:|---:|---:|---|",
                "| tier 0 | 99.9900 % | 4.3 | 1 | `webstack-web-0` |",
                "| tier 1 | 99.8900 % | 47.5 | 3 | `webstack-lb-0`, `webstack-db-cluster` |",
                "| tier 2 | 99.7901 % | 90.7 | 5 | `webstack-lb-0`, `webstack-app-lb-0`, `webstack-db-cluster` |",
                "| tier 3 | 99.8799 % | 51.9 | 6 | `webstack-app-lb-0`, `webstack-db-cluster`, `webstack-cache-cluster` |",
                "| production | 99.8899 % | 47.6 | 6 | `webstack-app-lb-0`, `webstack-cache-cluster` |",
            ].join("\n"),
        );
    });
});
