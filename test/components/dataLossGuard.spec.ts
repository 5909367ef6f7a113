import assert from "node:assert/strict";
import { dataLossMessage, lostDataResources } from "../../components/dataLossGuard";

describe("data-loss guard (pure)", () => {
    it("finds nothing lost for a stack never deployed", () => {
        assert.deepEqual(lostDataResources(undefined, ["webstack-db-cluster"]), []);
    });

    it("lists the previous data resources the update no longer has, in their previous order", () => {
        assert.deepEqual(lostDataResources(["a-db-cluster", "a-db-replica-0", "a-cache-cluster"], ["a-db-cluster"]), [
            "a-db-replica-0",
            "a-cache-cluster",
        ]);
    });

    it("ignores data resources the update adds", () => {
        assert.deepEqual(lostDataResources(["a-db-cluster"], ["a-db-cluster", "a-db-replica-0"]), []);
    });

    it("names every lost resource, the tier and the one-update fix", () => {
        assert.equal(
            dataLossMessage("prod", 1, ["webstack-cache-cluster", "webstack-static-bucket"]),
            'This update would delete or replace 2 data-bearing resource(s) of stack "prod": "webstack-cache-cluster", "webstack-static-bucket" (tier 1 keeps no data in them). ' +
                "Back up their data, then allow it for this one update: pulumi config set webstack:allowDataLoss true (and unset it afterwards).",
        );
    });
});
