import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { deserializeOncePerRequest, type DeserializeModule } from "../../policies/lib/hostCache";

describe("deserializeOncePerRequest (policies/lib/hostCache.ts)", () => {
    const fresh = (): DeserializeModule & { calls: number } => {
        const m = { calls: 0, deserializeProperties: (struct: unknown) => (m.calls++, { from: struct }) };
        return m;
    };

    it("deserializes a Struct once however many policies read it", () => {
        const m = fresh();
        deserializeOncePerRequest(m);
        const struct = Struct.fromJavaScript({ size: "s-1vcpu-1gb" });
        assert.equal(m.deserializeProperties(struct, false), m.deserializeProperties(struct, false));
        assert.equal(m.calls, 1);
    });

    it("never caches a remediation's properties (proxySecrets true), which the host serializes back", () => {
        const m = fresh();
        deserializeOncePerRequest(m);
        const struct = Struct.fromJavaScript({ acl: "public-read" });
        assert.notEqual(m.deserializeProperties(struct, true), m.deserializeProperties(struct, true));
        assert.equal(m.calls, 2);
    });

    it("is installed once when called twice", () => {
        const m = fresh();
        deserializeOncePerRequest(m);
        const first = m.deserializeProperties;
        deserializeOncePerRequest(m);
        assert.equal(m.deserializeProperties, first);
    });

    it("still sits on the path @pulumi/policy's host reads properties through (fails when an upgrade bypasses it)", () => {
        const server = readFileSync(require.resolve("@pulumi/policy/server.js"), "utf8");
        assert.match(server, /deserialize_1\.deserializeProperties\(r\.getProperties\(\), false\)/);
        assert.match(server, /deserialize_1\.deserializeProperties\(req\.getProperties\(\), false\)/);
        assert.equal(
            typeof (require("@pulumi/policy/deserialize") as DeserializeModule).deserializeProperties,
            "function",
        );
    });
});
