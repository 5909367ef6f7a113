// What the recording mock engine takes from the SDK beyond its public API, each checked here so an SDK upgrade that
// moves it fails a test rather than the plan: the wire form of a secret (runtime/rpc.js specialSigKey and
// specialSecretSig, read by plan/capture/secretValues.ts), the mock monitor's registerResource that the recorder
// wraps to see each request, and waitForRPCs, which `settle` awaits. The recorder patches nothing else of the SDK.
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recorder } from "../../support/hooks";
import { isSecret, plain, redact } from "../../../plan/capture/recorder";
import { createHash } from "node:crypto";
import { inventOutputs } from "../../../plan/capture/mockOutputs";
import { secretValue } from "../../../plan/capture/secretValues";

class Thing extends pulumi.CustomResource {
    declare readonly size: pulumi.Output<number>;
    declare readonly token: pulumi.Output<string>;
    constructor(name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
        super("test:index:Thing", name, props, opts);
    }
}

describe("recorder: what it reads of the SDK", () => {
    it("records a secret input in the SDK's wire form, which plain unwraps and redact hides", async () => {
        new Thing("thing", { size: 1, token: pulumi.secret("s3cret") });
        await recorder.settle();
        const [r] = recorder.resources;
        assert.equal(isSecret(r.inputs.token), true);
        assert.equal(isSecret(r.inputs.size), false);
        assert.deepEqual(plain(r.inputs), { size: 1, token: "s3cret" });
        assert.deepEqual(redact(r.inputs), { size: 1, token: "[secret]" });
    });

    it("sees each registration's options through the mock monitor's registerResource", async () => {
        new Thing("kept", { size: 2 }, { protect: true, ignoreChanges: ["size"], additionalSecretOutputs: ["size"] });
        await recorder.settle();
        const [r] = recorder.resources;
        assert.deepEqual(
            [r.name, r.protect, r.ignoreChanges, r.additionalSecretOutputs],
            ["kept", true, ["size"], ["size"]],
        );
    });

    it("returns an output named in additionalSecretOutputs as a secret, as the engine does", async () => {
        const thing = new Thing("hidden", { size: 3 }, { additionalSecretOutputs: ["size"] });
        await recorder.settle();
        assert.equal(await (thing.size as unknown as { isSecret: Promise<boolean> }).isSecret, true);
    });

    it("settles only once every registration is answered", async () => {
        for (let i = 0; i < 20; i++) new Thing(`many-${i}`, { size: i });
        await recorder.settle();
        assert.equal(recorder.resources.length, 20);
    });
});

describe("the mock state of a droplet's user data (plan/capture/mockOutputs.ts)", () => {
    it("holds the SHA-1 of the text, as the provider's state does, and keeps it secret when the text is", () => {
        const text = "#cloud-config\npackages: [nginx]\n";
        const sha1 = createHash("sha1").update(text).digest("hex");
        const droplet = "digitalocean:index/droplet:Droplet";
        assert.equal(inventOutputs(droplet, "web-0", { userData: text }).state.userData, sha1);
        const secret = inventOutputs(droplet, "web-0", { userData: secretValue(text) }, true).state.userData;
        assert.ok(isSecret(secret));
        assert.equal(plain(secret), sha1);
        // Other types keep their inputs as they are.
        const pool = "digitalocean:index/dropletAutoscale:DropletAutoscale";
        assert.deepEqual(inventOutputs(pool, "pool", { dropletTemplate: { userData: text } }, true).state, {
            dropletTemplate: { userData: text },
        });
    });
});
