// index.ts against a DigitalOcean account: the preflight refuses `pulumi up` before any resource
// exists and only warns in a preview; an existing zone is adopted, a created one kept on destroy, and a zone left
// by a destroy is named before `create` would fail on it; a token without a scope is told which; the region's
// default VPC is warned about; the shared project tag survives any one stack's destroy; tier 0's droplet is
// backed up weekly.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ProgramError } from "../plan/capture/runProgram";
import { byName, exampleConfig, output, own, refusal, runProgram } from "./support/program";
import { recorder } from "./support/hooks";
import { APP_USER_PRIVILEGES_WARNING } from "../components/database";

const PREFLIGHT_INVOKES = [
    "digitalocean:index/getAccount:getAccount",
    "digitalocean:index/getDomains:getDomains",
    "digitalocean:index/getVpc:getVpc",
];
const types = (run: { resources: { type: string }[] }) => run.resources.map((r) => r.type);

describe("index.ts: the account preflight", () => {
    it("fails pulumi up of the example stack before creating anything, listing every problem with its fix", async () => {
        await assert.rejects(runProgram(exampleConfig(2), { dryRun: false }), (err: unknown) => {
            assert.ok(err instanceof ProgramError && err.kind === "run");
            assert.deepEqual((err as Error).message.split("\n"), [
                'Refused stack "dev" before creating anything:',
                '  - webstack:domain: a reserved example domain (RFC 2606), which cannot be delegated to DigitalOcean, so neither its records nor a certificate would ever work; got "example.com". Fix: pulumi config set webstack:domain <a domain you control>',
                `  - webstack:certificate.kind: "lets_encrypt" needs DigitalOcean DNS to host "example.com", which it cannot (a reserved domain); got "lets_encrypt". Fix: use a domain whose zone is at DigitalOcean, or pulumi config set --path 'webstack:certificate.kind' custom with tlsPrivateKey and tlsCertificate`,
                `  - webstack:alerts.emails[0]: at a reserved example domain, which can never be an e-mail verified on the DigitalOcean account, as uptime alerts require; got "ops@example.com". Fix: pulumi config set --path 'webstack:alerts.emails[0]' <a team member's login e-mail>, or send alerts to Slack instead, which has no such rule: pulumi config set --path 'webstack:alerts.slackChannel' '#ops' and pulumi config set --secret webstack:slackWebhookUrl https://hooks.slack.com/services/…`,
            ]);
            return true;
        });
        await recorder.settle();
        assert.deepEqual(recorder.resources, []);
        assert.deepEqual(recorder.invokes, PREFLIGHT_INVOKES);
    });

    it("fails pulumi up with more droplets than the mocked account allows", async () => {
        recorder.account.dropletLimit = 5;
        await assert.rejects(runProgram(own(3), { dryRun: false }), (err: unknown) => {
            assert.equal(
                (err as Error).message,
                `Refused stack "dev" before creating anything:\n  - webstack:web.count: the stack runs up to 9 droplets (web.count 4, app.count 4, the monitor) but the account allows 5 in all, other stacks' droplets included; got 9. Fix: lower web.count, app.count or the autoscale maxima, or ask DigitalOcean support to raise the droplet limit`,
            );
            return true;
        });
        await recorder.settle();
        assert.deepEqual(recorder.resources, []);
    });

    it("only warns in a preview, with the same problems, and plans the whole stack", async () => {
        const run = await runProgram(exampleConfig(2));
        assert.equal(run.warnings.length, 4);
        assert.match(run.warnings[0], /^webstack:app\.image: "[^"]+" is a placeholder/);
        assert.match(run.warnings[1], /^webstack:adminCidrs\[0\]: "203\.0\.113\.10\/32" is in a range reserved/);
        assert.match(
            run.warnings[2],
            /^pulumi up will refuse stack "dev" before creating anything:\n {2}- webstack:domain: a reserved example domain/,
        );
        assert.equal(run.warnings[2].split("\n").length, 4);
        assert.equal(run.warnings[3], APP_USER_PRIVILEGES_WARNING);
        assert.ok(types(run).includes("digitalocean:index/vpc:Vpc"));
    });

    it("lets pulumi up of a stack the account can hold through, warning when a full release would not fit", async () => {
        const run = await runProgram(own(3), { dryRun: false });
        assert.deepEqual(run.warnings, [
            "DigitalOcean account: the stack runs 9 droplets, but an update that replaces all of them (a webstack release that renders new host configs) keeps the old ones serving until the new ones do, 18 at once, and the account allows 10 in all, other stacks' droplets included. Such an update would stop at a droplet's create, deleting nothing. Fix: ask DigitalOcean support to raise the droplet limit to at least 18",
            APP_USER_PRIVILEGES_WARNING,
        ]);
        assert.equal(output(run, "url").value, "https://shop.acme.dev");
        const tier1 = await runProgram(own(1), { dryRun: false });
        assert.deepEqual(tier1.warnings, [APP_USER_PRIVILEGES_WARNING]);
    });
});

describe("index.ts: DNS zone", () => {
    it("keeps a zone it creates on destroy", async () => {
        const run = await runProgram(own(1));
        assert.equal(byName(run.resources, "webstack-zone").retainOnDelete, true);
    });

    it("adopts an existing zone: no Domain, only the stack's records in it", async () => {
        recorder.domains = ["shop.acme.dev"];
        const run = await runProgram(own(1, { dns: { zone: "existing" } }), { dryRun: false });
        assert.equal(types(run).includes("digitalocean:index/domain:Domain"), false);
        const records = run.resources.filter((r) => r.type === "digitalocean:index/dnsRecord:DnsRecord");
        assert.deepEqual(
            records.map((r) => [r.name, r.inputs.domain]),
            [
                ["webstack-dns-apex-0", "shop.acme.dev"],
                ["webstack-dns-www-0", "shop.acme.dev"],
            ],
        );
        assert.ok(recorder.invokes.includes("digitalocean:index/getDomains:getDomains"));
    });

    it("fails pulumi up when the zone to adopt is not in the account", async () => {
        await assert.rejects(runProgram(own(1, { dns: { zone: "existing" } }), { dryRun: false }), {
            message: refusal(
                `webstack:dns.zone: "existing" adopts a zone already at DigitalOcean, but the account's DNS has no zone "shop.acme.dev"; got "existing". Fix: add the domain under Networking > Domains (or doctl compute domain create shop.acme.dev), or pulumi config set --path 'webstack:dns.zone' create`,
            ),
        });
        await recorder.settle();
        assert.deepEqual(recorder.resources, []);
    });

    it("adopts a zone an earlier destroy kept, or a failed first update created before DNS, when no record serves the site: the Domain is imported", async () => {
        recorder.domains = ["shop.acme.dev"];
        recorder.domainRecords = { "shop.acme.dev": [{ name: "@", type: "MX", value: "mx1.mail.test." }] };
        const run = await runProgram(own(1), { dryRun: false });
        const zone = byName(run.resources, "webstack-zone");
        assert.equal(zone.importId, "shop.acme.dev");
        assert.equal(zone.retainOnDelete, true);
        assert.ok(recorder.invokes.includes("digitalocean:index/getRecords:getRecords"));
        assert.deepEqual(run.warnings, [
            `webstack:dns.zone: the account's DNS already has the zone "shop.acme.dev", with no record that sends "shop.acme.dev" or www anywhere, and no update of this stack has completed (an earlier pulumi destroy keeps the zone, a first update that failed before DNS created it, or it was added by hand), so this update adopts it (Pulumi import) rather than create a second one, which DigitalOcean refuses.`,
            APP_USER_PRIVILEGES_WARNING,
        ]);
    });

    it("fails pulumi up on a zone whose records already send the site somewhere: another stack's, so it is not adopted", async () => {
        recorder.domains = ["shop.acme.dev"];
        recorder.domainRecords = {
            "shop.acme.dev": [
                { name: "@", type: "A", value: "198.51.100.7" },
                { name: "www", type: "CNAME", value: "shop.acme.dev." },
                { name: "api", type: "A", value: "198.51.100.9" },
            ],
        };
        await assert.rejects(runProgram(own(1), { dryRun: false }), {
            message: refusal(
                `webstack:dns.zone: "create" makes a new zone, but the account's DNS already has the zone "shop.acme.dev", whose records already send the site somewhere (@ A 198.51.100.7, www CNAME shop.acme.dev.): another stack's, or this one's from a first pulumi up that failed part-way (kept by an earlier pulumi destroy, which never deletes the zone, created by a first pulumi up that failed part-way, or added by hand), and DigitalOcean holds one zone per name; got "create". Fix: pulumi config set --path 'webstack:dns.zone' existing`,
            ),
        });
        await recorder.settle();
        assert.deepEqual(recorder.resources, []);
    });

    it("updates a deployed stack whose zone it created: the zone is its own, neither read nor imported", async () => {
        recorder.domains = ["shop.acme.dev"];
        const run = await runProgram(own(1), { dryRun: false, previous: { url: "https://shop.acme.dev", tier: 1 } });
        assert.equal(byName(run.resources, "webstack-zone").inputs.name, "shop.acme.dev");
        assert.equal(byName(run.resources, "webstack-zone").importId, undefined);
        assert.ok(!recorder.invokes.includes("digitalocean:index/getRecords:getRecords"));
    });

    it("adopts a zone whose records serve the site only when told to, with dns.zone existing", async () => {
        recorder.domains = ["shop.acme.dev"];
        const run = await runProgram(own(1, { dns: { zone: "existing" } }), { dryRun: false });
        assert.equal(types(run).includes("digitalocean:index/domain:Domain"), false);
        assert.deepEqual(run.warnings, [APP_USER_PRIVILEGES_WARNING]);
    });

    it("creates the extra records and lists every record it manages", async () => {
        const records = [
            { type: "MX", name: "@", value: "mx1.mail.test.", priority: 10 },
            { type: "CAA", name: "@", value: "letsencrypt.org", flags: 0, tag: "issue" },
        ];
        const run = await runProgram(own(0, { dns: { records } }));
        const mx = byName(run.resources, "webstack-dns-mx-apex-0");
        assert.deepEqual([mx.inputs.type, mx.inputs.value, mx.inputs.priority], ["MX", "mx1.mail.test.", 10]);
        const caa = byName(run.resources, "webstack-dns-caa-apex-0");
        assert.deepEqual([caa.inputs.flags, caa.inputs.tag], [0, "issue"]);
        assert.deepEqual(output(run, "dnsRecords").value, [
            "A shop.acme.dev 203.0.113.25",
            "A www.shop.acme.dev 203.0.113.25",
            "MX shop.acme.dev mx1.mail.test.",
            "CAA shop.acme.dev letsencrypt.org",
        ]);
    });
});

describe("index.ts: the API token's scopes", () => {
    it("fails pulumi up naming the scope a preflight read was refused for", async () => {
        recorder.account.missingScopes = ["account:read", "vpc:read"];
        await assert.rejects(runProgram(own(2), { dryRun: false }), {
            message: refusal(
                `DigitalOcean API token: refused GET /v2/account with 403, so the token lacks the scope "account:read"; got a token without account:read. Fix: add account:read and every other scope in docs/account-requirements.md to the token, then pulumi config set --secret digitalocean:token <the new token>`,
                `DigitalOcean API token: refused GET /v2/vpcs with 403, so the token lacks the scope "vpc:read"; got a token without vpc:read. Fix: add vpc:read and every other scope in docs/account-requirements.md to the token, then pulumi config set --secret digitalocean:token <the new token>`,
            ),
        });
        await recorder.settle();
        assert.deepEqual(recorder.resources, []);
    });

    it("names droplet:read when the account answers without its droplet limit", async () => {
        recorder.account.missingScopes = ["droplet:read"];
        await assert.rejects(runProgram(own(1), { dryRun: false }), {
            message: refusal(
                `DigitalOcean account: the droplet limit reads 0, as it does when the API token lacks the scope "droplet:read", which the stack's droplets need as well; got 0. Fix: add droplet:read (and the other scopes in docs/account-requirements.md) to the token, then pulumi config set --secret digitalocean:token <the new token>`,
            ),
        });
    });

    it("only warns about a missing scope in a preview", async () => {
        recorder.account.missingScopes = ["domain:read"];
        const run = await runProgram(own(1));
        assert.match(run.warnings[0], /\n {2}- DigitalOcean API token: refused GET \/v2\/domains with 403/);
        assert.ok(types(run).includes("digitalocean:index/domain:Domain"));
    });
});

describe("index.ts: the token scopes the program needs are all documented", () => {
    it("lists in docs/account-requirements.md every resource type and read of tiers 0 to 3, HAProxy, autoscale pools and a zone's adoption", async function () {
        this.timeout(60000);
        const used = new Set<string>();
        for (const config of [
            own(0),
            own(3),
            own(3, { loadBalancer: { engine: "haproxy" } }),
            own(3, { app: { image: "registry.digitalocean.com/acme/shop:1.4.2", autoscale: { min: 2, max: 4 } } }),
        ]) {
            const run = await runProgram(config);
            for (const type of types(run)) if (type.startsWith("digitalocean:")) used.add(type);
            for (const invoke of recorder.invokes) used.add(invoke);
        }
        // A zone already hosted, never deployed: the preflight reads its records before adopting it.
        recorder.domains = ["shop.acme.dev"];
        await runProgram(own(1));
        for (const invoke of recorder.invokes) used.add(invoke);
        const doc = fs.readFileSync(path.join(__dirname, "..", "docs", "account-requirements.md"), "utf8");
        const table = doc.slice(doc.indexOf("<!-- scopes:"), doc.indexOf("<!-- /scopes -->"));
        const documented = [...table.matchAll(/^\| [^|]+ \| `(digitalocean:[^`]+)` \| (.+) \|$/gm)];
        assert.deepEqual(documented.map((m) => m[1]).sort(), [...used].sort());
        assert.ok(
            documented.every((m) => /`[a-z_]+:[a-z_]+`|none: Spaces/.test(m[2])),
            "every row names its scopes",
        );
    });
});

describe("index.ts: the region's default VPC", () => {
    it("warns when the account has no VPC in the region, so the stack's would become the undeletable default", async () => {
        recorder.account.defaultVpcs = { nyc3: null };
        const run = await runProgram(own(1), { dryRun: false });
        assert.deepEqual(run.warnings, [
            `webstack:region: the account has no VPC in "nyc3" yet, so the stack's VPC would become the region's default VPC, which DigitalOcean never deletes: pulumi destroy would then stop at it. Fix: before pulumi up, doctl vpcs create --name default-nyc3 --region nyc3 (the first VPC of a region becomes its default; docs/troubleshooting.md)`,
            APP_USER_PRIVILEGES_WARNING,
        ]);
    });

    it("warns while the stack's own VPC is the region's default", async () => {
        const vpc = { id: "v-1", name: "webstack-network-vpc-1a2b3c4", description: "webstack dev (tier 1)" };
        recorder.account.defaultVpcs = { nyc3: { ...vpc, ipRange: "10.10.0.0/20" } };
        const run = await runProgram(own(1));
        assert.match(
            run.warnings[0],
            /^webstack:region: the stack's VPC "webstack-network-vpc-1a2b3c4" is the default/,
        );
    });
});

describe("index.ts: what a stack owns in a shared account", () => {
    it("keeps the project tag every stack shares on destroy, and owns its stack tag", async () => {
        const run = await runProgram(own(1));
        assert.deepEqual(
            [byName(run.resources, "webstack-tag-project"), byName(run.resources, "webstack-tag-stack")].map((t) => [
                t.inputs.name,
                t.retainOnDelete,
            ]),
            [
                ["webstack", true],
                ["webstack-dev", false],
            ],
        );
    });

    it("sends no VPC range unless one is configured, so DigitalOcean allocates a free one", async () => {
        const run = await runProgram(own(1));
        assert.equal(byName(run.resources, "webstack-network-vpc").inputs.ipRange, undefined);
    });

    it("backs up tier 0's droplet weekly", async () => {
        const run = await runProgram(own(0));
        const droplet = byName(run.resources, "webstack-web-0");
        assert.deepEqual(
            [droplet.inputs.backups, droplet.inputs.backupPolicy],
            [true, { plan: "weekly", weekday: "SUN", hour: 4 }],
        );
    });
});
