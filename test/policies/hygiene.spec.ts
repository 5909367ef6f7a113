import assert from "node:assert/strict";
import {
    databaseClusterProtected,
    dropletUserDataSecrets,
    hygienePolicies,
    spacesBucketNoForceDestroy,
    spacesBucketPrivate,
    spacesBucketVersioning,
} from "../../policies/hygiene";
import { generateKeyPairSync } from "node:crypto";
import { materialize, run, Spec } from "../support/policyHarness";
import { plainDroplets } from "./plainStacks";
import { mutate, tierStack } from "./stacks";

const prod = () => tierStack("prod");

async function violations(
    policy: Parameters<typeof run>[0],
    specs: Spec[],
    config: Record<string, unknown> = {},
): Promise<string[]> {
    const outcome = await run(policy, materialize(specs), config);
    assert.deepEqual(outcome.undecided, []);
    return outcome.violations;
}

const withUserData = (text: string) => mutate(prod(), "app-0", (d) => (d.userData = text));
/** Another team's droplet "app" (plainStacks.ts) with this user data. */
const plainWithUserData = (text: string) => mutate(plainDroplets(), "app", (d) => (d.userData = text));
const secretOnLine = (kind: string, line: number) =>
    `Droplet "app"'s user data contains ${kind} on line ${line} (value not shown); user data is stored in droplet metadata, readable from inside the droplet and in the state. Load it at boot from a file or secret store instead (e.g. PASSWORD_FILE=/path, $(cat /run/secrets/…)).`;

// A self-signed certificate for api.example.net (DER, base64), made with openssl for this test: public material.
const CERTIFICATE_DER =
    "MIIBiDCCAS+gAwIBAgIUZwYljJAmX0qbgzAV0+pGM20eMOswCgYIKoZIzj0EAwIwGjEYMBYGA1UEAwwPYXBpLmV4YW1wbGUubmV0MB4XDTI2MTIwMTA5MDUzMFoXDTM2MTEyODA5MDUzMFowGjEYMBYGA1UEAwwPYXBpLmV4YW1wbGUubmV0MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEQasGCiHcA8h1eOIISZKAJDLnZolt4G28gcXckP7zGdvhNU8pwUrzbdWpBQM8+L4v3kawnJFbyBWBTSHAqpyJoqNTMFEwHQYDVR0OBBYEFO2QYD1/isXXjAZrq5WEuTwi0ratMB8GA1UdIwQYMBaAFO2QYD1/isXXjAZrq5WEuTwi0ratMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDRwAwRAIgOIib5hYX9o1h7EcpiHdRQu/I+XDpcBc5Zq4ppuLME2QCIAwsYedLSdB4ROM3I3H11yXUOP8JgfXBBeXag49lYRG6";
const keyPair = generateKeyPairSync("ec", { namedCurve: "P-256" });
const PRIVATE_KEY_DER = keyPair.privateKey.export({ type: "pkcs8", format: "der" }).toString("base64");
const PUBLIC_KEY_DER = keyPair.publicKey.export({ type: "spki", format: "der" }).toString("base64");

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
            [
                'Spaces bucket "assets" has acl "public-read", so anyone can list and read its objects; set acl: "private".',
            ],
        );
    });

    it("reports a Spaces bucket without versioning", async () => {
        assert.deepEqual(
            await violations(
                spacesBucketVersioning,
                mutate(prod(), "assets", (b) => delete b.versioning),
            ),
            [
                'Spaces bucket "assets" has versioning unset, so an overwritten or deleted object is gone for good; set versioning: { enabled: true }.',
            ],
        );
    });

    it("reports forceDestroy on a Spaces bucket", async () => {
        assert.deepEqual(
            await violations(
                spacesBucketNoForceDestroy,
                mutate(prod(), "assets", (b) => (b.forceDestroy = true)),
            ),
            [
                'Spaces bucket "assets" sets forceDestroy: true, so deleting or replacing it deletes every object in it; remove forceDestroy.',
            ],
        );
    });

    describe("droplet-user-data-secrets", () => {
        it("reports a literal password without echoing it", async () => {
            const found = await violations(
                dropletUserDataSecrets,
                withUserData("#!/bin/sh\nexport MYSQL_ROOT_PASSWORD=hunter2\n"),
            );
            assert.deepEqual(found, [
                'Droplet "app-0"\'s user data contains a literal value for MYSQL_ROOT_PASSWORD on line 2 (value not shown); user data is stored in droplet metadata, readable from inside the droplet and in the state. Load it at boot from a file or secret store instead (e.g. PASSWORD_FILE=/path, $(cat /run/secrets/…)).',
            ]);
            assert.ok(!found[0].includes("hunter2"));
        });

        it("reports a DigitalOcean API token and a private key", async () => {
            const token = `dop_v1_${"ab12".repeat(16)}`;
            const found = await violations(
                dropletUserDataSecrets,
                withUserData(
                    `#!/bin/sh\ndoctl auth init -t ${token}\ncat > /root/k <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nEOF\n`,
                ),
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
                assert.deepEqual(
                    await violations(dropletUserDataSecrets, withUserData(`#!/bin/sh\n${reference}\n`)),
                    [],
                );
            });
        }

        it("reports nothing on another team's user data that installs packages", async () => {
            assert.deepEqual(await run(dropletUserDataSecrets, materialize(plainDroplets())), {
                violations: [],
                undecided: [],
                notApplicable: false,
            });
        });

        for (const [line, scheme] of [
            ["REDIS_URL=rediss://default:AVNS_k3Jd93hs0Lw2@redis-fra1-51234.db.ondigitalocean.com:25061", "rediss"],
            [
                "docker run -d -e DATABASE_URL=mysql://orders:Tr0ub4dor3@10.20.0.5:25060/orders registry.example.net/orders:2.1",
                "mysql",
            ],
            [
                "psql 'postgresql://doadmin:pg-literal-9@orders-do-user-1.db.ondigitalocean.com:25060/defaultdb?sslmode=require' -c 'select 1'",
                "postgresql",
            ],
        ]) {
            it(`reports the password inside a ${scheme}:// URL`, async () => {
                assert.deepEqual(
                    await violations(dropletUserDataSecrets, plainWithUserData(`#!/bin/bash\n${line}\n`)),
                    [secretOnLine(`a password in a ${scheme}:// URL`, 2)],
                );
            });
        }

        for (const line of [
            "REDIS_URL=rediss://default:<password>@redis-fra1-51234.db.ondigitalocean.com:25061",
            "DATABASE_URL=mysql://orders:${DB_PASSWORD}@10.20.0.5:25060/orders",
            "DATABASE_URL=postgres://$PGUSER:$PGPASSWORD@10.20.0.5:25060/orders",
            "git clone https://deploy@git.example.net/team/orders.git",
            "curl -fsS http://10.20.0.5:8080/status@latest",
        ]) {
            it(`does not flag the URL without a literal password in ${line}`, async () => {
                assert.deepEqual(
                    await violations(dropletUserDataSecrets, plainWithUserData(`#!/bin/bash\n${line}\n`)),
                    [],
                );
            });
        }

        it("reports hex key material under a *_KEY name", async () => {
            const found = await violations(
                dropletUserDataSecrets,
                plainWithUserData(
                    "#!/bin/bash\nexport JWT_SIGNING_KEY=9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08\n",
                ),
            );
            assert.deepEqual(found, [secretOnLine("a literal value for JWT_SIGNING_KEY", 2)]);
        });

        it("reports a base64 private key under a *_CERT name", async () => {
            assert.deepEqual(
                await violations(
                    dropletUserDataSecrets,
                    plainWithUserData(`#!/bin/bash\nCLIENT_CERT=${PRIVATE_KEY_DER}\n`),
                ),
                [secretOnLine("a literal value for CLIENT_CERT", 2)],
            );
        });

        it("reports a base64-encoded PEM private key under a *_KEY name", async () => {
            const pem = Buffer.from(keyPair.privateKey.export({ type: "pkcs8", format: "pem" }).toString()).toString(
                "base64",
            );
            assert.deepEqual(
                await violations(
                    dropletUserDataSecrets,
                    plainWithUserData(`#cloud-config\nruncmd:\n  - echo TLS_KEY=${pem} >> /etc/orders.env\n`),
                ),
                [secretOnLine("a literal value for TLS_KEY", 3)],
            );
        });

        for (const [what, line] of [
            ["a base64 DER certificate", `CA_CERT=${CERTIFICATE_DER}`],
            [
                "a base64 PEM certificate",
                `TLS_CERT=${Buffer.from(`-----BEGIN CERTIFICATE-----\n${CERTIFICATE_DER}\n-----END CERTIFICATE-----\n`).toString("base64")}`,
            ],
            ["a base64 public key", `SIGNER_KEY=${PUBLIC_KEY_DER}`],
            ["a public key by name", "WG_PUBLIC_KEY=q3H0cZ9uWb2x0Rk7yT4vNw8Lp1sDf6GhJk2mQ5rE9aU="],
            ["a key path", "TLS_KEY=/etc/ssl/private/orders.key"],
            ["a key reference", "TLS_KEY=${TLS_KEY_FROM_VAULT}"],
        ]) {
            it(`does not flag ${what} under a *_KEY or *_CERT name`, async () => {
                assert.deepEqual(
                    await violations(dropletUserDataSecrets, plainWithUserData(`#!/bin/bash\n${line}\n`)),
                    [],
                );
            });
        }

        it("honours ignoreKeys for a URL assigned to an ignored variable", async () => {
            const specs = plainWithUserData("#!/bin/bash\nREDIS_URL=redis://default:local-only-1@127.0.0.1:6379\n");
            assert.deepEqual(await violations(dropletUserDataSecrets, specs, { ignoreKeys: ["REDIS_URL"] }), []);
        });

        it("honours ignoreKeys from the config", async () => {
            const specs = withUserData("#!/bin/sh\nSMTP_PASSWORD=changeme\n");
            assert.equal((await violations(dropletUserDataSecrets, specs)).length, 1);
            assert.deepEqual(await violations(dropletUserDataSecrets, specs, { ignoreKeys: ["SMTP_PASSWORD"] }), []);
        });
    });

    describe("user data as the accepted channel for secret files (acceptSecretFilesInSecretUserData)", () => {
        const SECRET_FILE = [
            "#cloud-config",
            "write_files:",
            "- path: /etc/app/secrets.env",
            "  content: |",
            "    DATABASE_PASSWORD=hunter2-literal",
            "  owner: root:root",
            "  permissions: '0600'",
            "",
        ].join("\n");
        const ACCEPT = { acceptSecretFilesInSecretUserData: true };
        const declared = (specs: Spec[], property = "userData") =>
            specs.map((s) => (s.name === "app" ? { ...s, additionalSecretOutputs: [property] } : s));

        it("still reports a secret in a root-only file by default", async () => {
            assert.deepEqual(await violations(dropletUserDataSecrets, declared(plainWithUserData(SECRET_FILE))), [
                secretOnLine("a literal value for DATABASE_PASSWORD", 5),
            ]);
        });

        it("accepts it when configured and the resource declares its user data a secret output", async () => {
            assert.deepEqual(
                await violations(dropletUserDataSecrets, declared(plainWithUserData(SECRET_FILE)), ACCEPT),
                [],
            );
        });

        it("reports it when configured but the user data is not declared secret", async () => {
            assert.deepEqual(await violations(dropletUserDataSecrets, plainWithUserData(SECRET_FILE), ACCEPT), [
                secretOnLine("a literal value for DATABASE_PASSWORD", 5),
            ]);
        });

        it("reports it when the file is readable by others (0644)", async () => {
            const text = SECRET_FILE.replace("'0600'", "'0644'");
            assert.deepEqual(await violations(dropletUserDataSecrets, declared(plainWithUserData(text)), ACCEPT), [
                secretOnLine("a literal value for DATABASE_PASSWORD", 5),
            ]);
        });

        it("reports a secret outside write_files (runcmd) even when configured", async () => {
            const text = `${SECRET_FILE}runcmd:\n- [sh, -c, "mysql --password=hunter2-literal"]\n`;
            assert.deepEqual(await violations(dropletUserDataSecrets, declared(plainWithUserData(text)), ACCEPT), [
                secretOnLine("a literal value for password", 9),
            ]);
        });
    });
});
