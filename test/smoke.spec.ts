import assert from "node:assert/strict";
import * as digitalocean from "@pulumi/digitalocean";
import { recorder } from "./support/hooks";

describe("recording mock engine", () => {
    it("records a droplet with its inputs", async () => {
        const d = new digitalocean.Droplet("d", { image: "ubuntu-24-04-x64", size: "s-1vcpu-1gb" });
        await new Promise<void>((resolve) => d.urn.apply(() => resolve()));
        await recorder.settle();
        assert.deepEqual(recorder.resources.map((r) => r.name), ["d"]);
    });
});
