import assert from "node:assert/strict";
import {
    databaseClusterProtected,
    dropletUserDataSecrets,
    hygienePolicies,
    spacesBucketNoForceDestroy,
    spacesBucketPrivate,
    spacesBucketVersioning,
} from "../../policies/hygiene";
import { materialize, run, Spec } from "../support/policyHarness";
import { mutate, tierStack } from "./stacks";

const prod = () => tierStack("prod");

async function violations(policy: Parameters<typeof run>[0], specs: Spec[], config: Record<string, unknown> = {}): Promise<string[]> {
    const outcome = await run(policy, materialize(specs), config);
    assert.deepEqual(outcome.undecided, []);
    return outcome.violations;
}

const withUserData = (text: string) => mutate(prod(), "app-0", (d) => (d.userData = text));

describe("hygiene policies", () => {
    it("are advisory by default", () => {
        assert.deepEqual(
            hygienePolicies.map((p) => p.enforcementLevel),
            hygienePolicies.map(() => "advisory"),
        );
    });

    it("report nothing on the production-like stack", async () => {
        for (const policy of hygienePolicies) assert.deepEqual(await violations(policy, prod()), [], policy.name);
    });

    it("reports an unprotected database cluster", async () => {
        const specs = prod().map((s) => (s.name === "db" ? { ...s, protect: false } : s));
        assert.deepEqual(await violations(databaseClusterProtected, specs), [
            'Database cluster "db" is not protected, so a replacement or `pulumi destroy` deletes it with its data; pass { protect: true } in its resource options.',
        ]);
    });

    it("reports a public-read Spaces bucket", async () => {
        assert.deepEqual(
            await violations(
                spacesBucketPrivate,
                mutate(prod(), "assets", (b) => (b.acl = "public-read")),
            ),
            ['Spaces bucket "assets" has acl "public-read", so anyone can list and read its objects; set acl: "private".'],
        );
    });

    it("reports a Spaces bucket without versioning", async () => {
        assert.deepEqual(
            await violations(
                spacesBucketVersioning,
                mutate(prod(), "assets", (b) => delete b.versioning),
            ),
            ['Spaces bucket "assets" has versioning unset, so an overwritten or deleted object is gone for good; set versioning: { enabled: true }.'],
        );
    });

    it("reports forceDestroy on a Spaces bucket", async () => {
        assert.deepEqual(
            await violations(
                spacesBucketNoForceDestroy,
                mutate(prod(), "assets", (b) => (b.forceDestroy = true)),
            ),
            ['Spaces bucket "assets" sets forceDestroy: true, so deleting or replacing it deletes every object in it; remove forceDestroy.'],
        );
    });

    describe("droplet-user-data-secrets", () => {
        it("reports a literal password without echoing it", async () => {
            const found = await violations(dropletUserDataSecrets, withUserData("#!/bin/sh\nexport MYSQL_ROOT_PASSWORD=hunter2\n"));
            assert.deepEqual(found, [
                'Droplet "app-0"\'s user data contains a literal value for MYSQL_ROOT_PASSWORD on line 2 (value not shown); user data is stored in droplet metadata, readable from inside the droplet and in the state. Load it at boot from a file or secret store instead (e.g. PASSWORD_FILE=/path, $(cat /run/secrets/…)).',
            ]);
            assert.ok(!found[0].includes("hunter2"));
        });

        it("reports a DigitalOcean API token and a private key", async () => {
            const token = `dop_v1_${"ab12".repeat(16)}`;
            const found = await violations(
                dropletUserDataSecrets,
                withUserData(`#!/bin/sh\ndoctl auth init -t ${token}\ncat > /root/k <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nEOF\n`),
            );
            assert.equal(found.length, 2);
            assert.match(found[0], /contains a DigitalOcean API token \(dop_v1_…\) on line 2/);
            assert.match(found[1], /contains a private key on line 4/);
        });

        for (const reference of [
            "DB_PASSWORD=$(cat /run/secrets/db)",
            "DB_PASSWORD=${DB_PASSWORD}",
            "DB_PASSWORD_FILE=/run/secrets/db",
            '  password: "{{ vault_db_password }}"',
        ]) {
            it(`does not flag the reference ${reference.trim()}`, async () => {
                assert.deepEqual(await violations(dropletUserDataSecrets, withUserData(`#!/bin/sh\n${reference}\n`)), []);
            });
        }

        it("honours ignoreKeys from the config", async () => {
            const specs = withUserData("#!/bin/sh\nSMTP_PASSWORD=changeme\n");
            assert.equal((await violations(dropletUserDataSecrets, specs)).length, 1);
            assert.deepEqual(await violations(dropletUserDataSecrets, specs, { ignoreKeys: ["SMTP_PASSWORD"] }), []);
        });
    });
});
