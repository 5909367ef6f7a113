// The account preflight as a pure function: each refusal with its exact message, and what is only a warning.
import assert from "node:assert/strict";
import {
    AccountFacts,
    accountNeeds,
    adoptsZone,
    isDocumentationCidr,
    isNoDefaultVpc,
    isReservedDomain,
    preflight,
    readFailure,
} from "../../../components/settings/preflight";
import { parseStackConfig } from "../../../components/settings/stackConfig";
import { exampleConfig, encodeConfig } from "../../support/program";

const ACCOUNT: AccountFacts = {
    dropletLimit: 25,
    floatingIpLimit: 3,
    status: "active",
    email: "owner@shop.test.dev",
    emailVerified: true,
};
/** A stack of one's own: a real domain, the account's own e-mail, a real admin address and a real app. */
const OWN_SITE = {
    domain: "shop.acme.dev",
    alerts: { emails: ["owner@shop.test.dev"] },
    adminCidrs: ["198.18.7.1/32"],
    app: { image: "registry.digitalocean.com/acme/shop:1.4.2" },
};
const settings = (tier: number, extra: Record<string, unknown> = {}) =>
    parseStackConfig("dev", encodeConfig({ ...exampleConfig(tier), ...OWN_SITE, ...extra }));
const SLACK = `send alerts to Slack instead, which has no such rule: pulumi config set --path 'webstack:alerts.slackChannel' '#ops' and pulumi config set --secret webstack:slackWebhookUrl https://hooks.slack.com/services/…`;

describe("Account preflight", () => {
    it("finds nothing to refuse for a real domain, a verified account e-mail and enough quota", () => {
        assert.deepEqual(preflight(settings(3), ACCOUNT), { problems: [], notes: [] });
    });

    it("counts fixed pools, autoscale maxima, HAProxy droplets and the monitor against the account's limits", () => {
        const s = settings(3, {
            app: { autoscale: { min: 2, max: 8 } },
            loadBalancer: { engine: "haproxy", count: 2 },
        });
        // A release that replaces every droplet Pulumi manages runs old and new side by side: 4 web, 2 HAProxy and
        // the monitor twice; DigitalOcean replaces the autoscale pool's members itself.
        assert.deepEqual(accountNeeds(s), {
            droplets: 15,
            reservedIps: 2,
            parts: ["web.count 4", "app.autoscale.max 8", "loadBalancer.count 2 HAProxy", "the monitor"],
            releasePeak: 22,
        });
    });

    it("warns, and only warns, when the stack fits the droplet limit but a release that replaces every droplet does not", () => {
        assert.deepEqual(preflight(settings(3), { ...ACCOUNT, dropletLimit: 17 }), {
            problems: [],
            notes: [
                "DigitalOcean account: the stack runs 9 droplets, but an update that replaces all of them (a webstack release that renders new host configs) keeps the old ones serving until the new ones do, 18 at once, and the account allows 17 in all, other stacks' droplets included. Such an update would stop at a droplet's create, deleting nothing. Fix: ask DigitalOcean support to raise the droplet limit to at least 18",
            ],
        });
        assert.deepEqual(preflight(settings(3), { ...ACCOUNT, dropletLimit: 18 }), { problems: [], notes: [] });
        // Tier 0's droplet holds MySQL and is protected: no release replaces it, so it needs no room twice.
        assert.deepEqual(accountNeeds(settings(0)), {
            droplets: 1,
            reservedIps: 0,
            parts: ["web.count 1"],
            releasePeak: 1,
        });
    });

    it("refuses more droplets than the account allows", () => {
        assert.deepEqual(preflight(settings(3), { ...ACCOUNT, dropletLimit: 5 }).problems, [
            "webstack:web.count: the stack runs up to 9 droplets (web.count 4, app.count 4, the monitor) but the account allows 5 in all, other stacks' droplets included; got 9. Fix: lower web.count, app.count or the autoscale maxima, or ask DigitalOcean support to raise the droplet limit",
        ]);
    });

    it("refuses more HAProxy reserved IPs than the account allows", () => {
        const s = settings(3, { loadBalancer: { engine: "haproxy", count: 3 } });
        assert.deepEqual(preflight(s, { ...ACCOUNT, floatingIpLimit: 2 }).problems, [
            "webstack:loadBalancer.count: the haproxy engine needs one reserved IP per HAProxy droplet, 3 in all, but the account allows 2; got 3. Fix: pulumi config set --path 'webstack:loadBalancer.count' 2, or ask DigitalOcean support to raise the reserved IP limit",
        ]);
    });

    it("refuses a reserved example domain, and the Let's Encrypt certificate DigitalOcean could never issue for it", () => {
        assert.deepEqual(preflight(settings(2, { domain: "example.com" }), ACCOUNT).problems, [
            'webstack:domain: a reserved example domain (RFC 2606), which cannot be delegated to DigitalOcean, so neither its records nor a certificate would ever work; got "example.com". Fix: pulumi config set webstack:domain <a domain you control>',
            `webstack:certificate.kind: "lets_encrypt" needs DigitalOcean DNS to host "example.com", which it cannot (a reserved domain); got "lets_encrypt". Fix: use a domain whose zone is at DigitalOcean, or pulumi config set --path 'webstack:certificate.kind' custom with tlsPrivateKey and tlsCertificate`,
        ]);
    });

    it("refuses alert e-mails at a reserved domain where uptime alerts need verified account e-mails, naming Slack as the way out", () => {
        assert.deepEqual(preflight(settings(2, { alerts: { emails: ["ops@example.com"] } }), ACCOUNT).problems, [
            `webstack:alerts.emails[0]: at a reserved example domain, which can never be an e-mail verified on the DigitalOcean account, as uptime alerts require; got "ops@example.com". Fix: pulumi config set --path 'webstack:alerts.emails[0]' <a team member's login e-mail>, or ${SLACK}`,
        ]);
    });

    it("refuses the account's own e-mail while it is unverified", () => {
        assert.deepEqual(preflight(settings(2), { ...ACCOUNT, emailVerified: false }).problems, [
            `webstack:alerts.emails[0]: the account's own e-mail is not verified yet, and uptime alerts go only to verified e-mails; got "owner@shop.test.dev". Fix: verify it from DigitalOcean's e-mail (control panel, Account > Settings), or ${SLACK}`,
        ]);
    });

    it("only warns about another address, which may be a verified team member", () => {
        const result = preflight(settings(2, { alerts: { emails: ["oncall@acme.dev"] } }), ACCOUNT);
        assert.deepEqual(result, {
            problems: [],
            notes: [
                'webstack:alerts.emails[0]: "oncall@acme.dev" must be the verified login e-mail of a member of the team that owns the API token (owner@shop.test.dev), or creating the uptime alerts fails; distribution lists cannot be verified: use Slack for them.',
            ],
        });
    });

    it("ignores alert e-mails below tier 2, where no alert exists", () => {
        assert.deepEqual(preflight(settings(1, { alerts: { emails: ["ops@example.com"] } }), ACCOUNT).problems, []);
    });

    it("refuses adopting a zone the account's DNS does not hold", () => {
        assert.deepEqual(
            preflight(settings(1, { dns: { zone: "existing" } }), ACCOUNT, { zoneHosted: false }).problems,
            [
                `webstack:dns.zone: "existing" adopts a zone already at DigitalOcean, but the account's DNS has no zone "shop.acme.dev"; got "existing". Fix: add the domain under Networking > Domains (or doctl compute domain create shop.acme.dev), or pulumi config set --path 'webstack:dns.zone' create`,
            ],
        );
    });

    it("refuses a Let's Encrypt certificate for a zone DigitalOcean does not host", () => {
        assert.deepEqual(
            preflight(settings(2, { dns: { zone: "existing" } }), ACCOUNT, { zoneHosted: false }).problems[1],
            `webstack:certificate.kind: "lets_encrypt" needs DigitalOcean DNS to host "shop.acme.dev", which it does not (no such zone in the account); got "lets_encrypt". Fix: use a domain whose zone is at DigitalOcean, or pulumi config set --path 'webstack:certificate.kind' custom with tlsPrivateKey and tlsCertificate`,
        );
    });

    it("refuses a locked account", () => {
        assert.deepEqual(
            preflight(settings(1), { ...ACCOUNT, status: "locked", statusMessage: "unpaid invoice" }).problems,
            [
                'DigitalOcean account: status "locked" (unpaid invoice); a locked account can create nothing. Fix: resolve it in the control panel (Billing, or a support ticket), then run pulumi up again',
            ],
        );
    });

    it("recognises RFC 2606 names and names under them, and nothing else", () => {
        const reserved = [
            "example.com",
            "dev.example.net",
            "example.org",
            "shop.example",
            "a.test",
            "x.invalid",
            "localhost",
            "b.localhost",
        ];
        const real = ["example.co.uk", "myexample.com", "testing.dev", "acme.dev"];
        assert.deepEqual([...reserved, ...real].filter(isReservedDomain), reserved);
    });
});

describe("Account preflight: a zone that is already there", () => {
    const CREATE_REFUSED = `webstack:dns.zone: "create" makes a new zone, but the account's DNS already has the zone "shop.acme.dev" (kept by an earlier pulumi destroy, which never deletes the zone, created by a first pulumi up that failed part-way, or added by hand), and DigitalOcean holds one zone per name; got "create". Fix: pulumi config set --path 'webstack:dns.zone' existing`;

    it("refuses dns.zone create when the account already hosts the zone and the stack was never deployed (or was destroyed)", () => {
        assert.deepEqual(preflight(settings(1), ACCOUNT, { zoneHosted: true, deployedBefore: false }).problems, [
            CREATE_REFUSED,
        ]);
    });

    it("adopts the zone instead when its records send the site nowhere, and names the records that do", () => {
        const state = { zoneHosted: true, deployedBefore: false };
        const empty = { ...state, zoneSiteRecords: [] };
        assert.deepEqual(preflight(settings(1), ACCOUNT, empty), {
            problems: [],
            notes: [
                `webstack:dns.zone: the account's DNS already has the zone "shop.acme.dev", with no record that sends "shop.acme.dev" or www anywhere, and no update of this stack has completed (an earlier pulumi destroy keeps the zone, a first update that failed before DNS created it, or it was added by hand), so this update adopts it (Pulumi import) rather than create a second one, which DigitalOcean refuses.`,
            ],
        });
        assert.equal(adoptsZone(settings(1), empty), true);
        const serving = { ...state, zoneSiteRecords: ["@ A 198.51.100.7"] };
        assert.equal(adoptsZone(settings(1), serving), false);
        assert.match(
            preflight(settings(1), ACCOUNT, serving).problems[0],
            /whose records already send the site somewhere \(@ A 198\.51\.100\.7\): another stack's/,
        );
        assert.equal(adoptsZone(settings(1), state), false, "records not read: no adoption");
        assert.equal(adoptsZone(settings(1, { dns: { zone: "existing" } }), empty), false);
    });

    it("lets a deployed stack keep the zone it created, and creates a zone nobody has", () => {
        assert.deepEqual(preflight(settings(1), ACCOUNT, { zoneHosted: true, deployedBefore: true }).problems, []);
        assert.deepEqual(preflight(settings(2), ACCOUNT, { zoneHosted: false }).problems, []);
    });

    it("adopts with dns.zone existing whatever the stack's history", () => {
        const existing = settings(1, { dns: { zone: "existing" } });
        assert.deepEqual(preflight(existing, ACCOUNT, { zoneHosted: true, deployedBefore: false }).problems, []);
    });
});

describe("Account preflight: the app image", () => {
    const OLD_DEFAULT = { image: "ghcr.io/nginxinc/nginx-unprivileged:stable", port: 8080 };
    const placeholderNote = (image: string, serves: string) =>
        `webstack:app.image: "${image}" is a placeholder that serves ${serves} and uses no database; the site serves it until you set your app. Fix: pulumi config set --path 'webstack:app.image' <your app's image>`;
    const HELLO = "us-docker.pkg.dev/google-samples/containers/gke/hello-app:1.0";

    it("passes the default placeholder, which answers the default health path, and says it is a placeholder", () => {
        const s = settings(2, { app: {} });
        assert.equal(s.app.image, HELLO);
        assert.deepEqual(preflight(s, ACCOUNT), {
            problems: [],
            notes: [placeholderNote(HELLO, 'a "Hello, world!" page')],
        });
    });

    it("refuses a placeholder behind a load balancer whose health path it answers with 404, naming what it answers", () => {
        assert.deepEqual(preflight(settings(1, { app: OLD_DEFAULT }), ACCOUNT), {
            problems: [
                `webstack:app.healthPath: the placeholder image "ghcr.io/nginxinc/nginx-unprivileged:stable" answers only "/", "/index.html", "/50x.html" and 404 elsewhere, so every load balancer health check would fail and the site would answer 503; got "/healthz". Fix: pulumi config set --path 'webstack:app.healthPath' /, or pulumi config set --path 'webstack:app.image' <your app's image>`,
            ],
            notes: [placeholderNote(OLD_DEFAULT.image, `nginx's "Welcome to nginx!" page`)],
        });
    });

    it("accepts that placeholder with a path it answers, and at tier 0, where nothing checks health", () => {
        assert.deepEqual(preflight(settings(1, { app: { ...OLD_DEFAULT, healthPath: "/" } }), ACCOUNT).problems, []);
        assert.deepEqual(preflight(settings(0, { app: OLD_DEFAULT }), ACCOUNT).problems, []);
    });

    it("refuses a placeholder on a port it does not listen on", () => {
        assert.deepEqual(preflight(settings(0, { app: { image: HELLO, port: 3000 } }), ACCOUNT).problems, [
            `webstack:app.port: the placeholder image "${HELLO}" listens on 8080 only, so nginx would find nothing on the app port and answer 502; got "3000". Fix: pulumi config set --path 'webstack:app.port' 8080, or pulumi config set --path 'webstack:app.image' <your app's image>`,
        ]);
    });

    it("recognises a placeholder by repository, whatever the tag, digest or registry alias", () => {
        const digest = `@sha256:${"a".repeat(64)}`;
        for (const image of [
            "nginxinc/nginx-unprivileged:1.27-alpine",
            `docker.io/nginxinc/nginx-unprivileged${digest}`,
        ]) {
            assert.equal(preflight(settings(1, { app: { image } }), ACCOUNT).problems.length, 1, image);
        }
        assert.deepEqual(preflight(settings(1, { app: { image: "ghcr.io/acme/nginx-unprivileged:1" } }), ACCOUNT), {
            problems: [],
            notes: [],
        });
    });
});

describe("Account preflight: admin addresses and the region's default VPC", () => {
    it("warns about admin CIDRs in documentation ranges where the firewalls use them (tier 2+), one note each", () => {
        const s = settings(2, { adminCidrs: ["203.0.113.10/32", "198.18.7.1/32", "2001:db8::1/128"] });
        const note = (i: number, cidr: string) =>
            `webstack:adminCidrs[${i}]: "${cidr}" is in a range reserved for documentation (RFC 5737, RFC 3849) that no real client comes from, so SSH to the droplets and the tunnels to Prometheus and Alertmanager (docs/monitoring.md) stay closed. Fix: pulumi config set --path 'webstack:adminCidrs[${i}]' <your office or VPN address>/32`;
        assert.deepEqual(preflight(s, ACCOUNT).notes, [note(0, "203.0.113.10/32"), note(2, "2001:db8::1/128")]);
        assert.deepEqual(preflight(settings(1, { adminCidrs: ["203.0.113.10/32"] }), ACCOUNT).notes, []);
    });

    it("knows the documentation ranges and nothing around them", () => {
        const doc = ["192.0.2.0/24", "198.51.100.7/32", "203.0.113.10/32", "2001:db8::/32", "2001:DB8:1::/48"];
        const other = ["192.0.3.1/32", "203.0.0.0/16", "198.51.10.1/32", "2001:db9::/32", "10.0.0.0/8"];
        assert.deepEqual([...doc, ...other].filter(isDocumentationCidr), doc);
    });

    it("warns when the stack's VPC would become, or is, the region's default VPC, with the way out", () => {
        assert.deepEqual(preflight(settings(1), ACCOUNT, { regionDefaultVpc: null }).notes, [
            `webstack:region: the account has no VPC in "nyc3" yet, so the stack's VPC would become the region's default VPC, which DigitalOcean never deletes: pulumi destroy would then stop at it. Fix: before pulumi up, doctl vpcs create --name default-nyc3 --region nyc3 (the first VPC of a region becomes its default; docs/troubleshooting.md)`,
        ]);
        const own = { name: "webstack-network-vpc-1a2b3c4", description: "webstack dev (tier 1)" };
        assert.deepEqual(preflight(settings(1), ACCOUNT, { regionDefaultVpc: own }).notes, [
            `webstack:region: the stack's VPC "webstack-network-vpc-1a2b3c4" is the default VPC of "nyc3", which DigitalOcean never deletes: pulumi destroy would stop at it. Fix: before pulumi destroy, doctl vpcs create --name default-nyc3 --region nyc3, then doctl vpcs update <its id> --default=true (docs/troubleshooting.md)`,
        ]);
        const others = [
            { name: "default-nyc3", description: "" },
            { name: "webstack-network-vpc-9f8e7d6", description: "webstack prod (tier 3)" },
        ];
        for (const regionDefaultVpc of others) {
            assert.deepEqual(preflight(settings(1), ACCOUNT, { regionDefaultVpc }).notes, []);
        }
    });
});

describe("Account preflight: the API token's scopes", () => {
    it("names droplet:read when the account's droplet limit reads 0, and reserved_ip:read for HAProxy's reserved IPs", () => {
        assert.deepEqual(preflight(settings(1), { ...ACCOUNT, dropletLimit: 0 }).problems, [
            `DigitalOcean account: the droplet limit reads 0, as it does when the API token lacks the scope "droplet:read", which the stack's droplets need as well; got 0. Fix: add droplet:read (and the other scopes in docs/account-requirements.md) to the token, then pulumi config set --secret digitalocean:token <the new token>`,
        ]);
        const haproxy = settings(2, { loadBalancer: { engine: "haproxy" } });
        assert.deepEqual(preflight(haproxy, { ...ACCOUNT, floatingIpLimit: 0 }).problems, [
            `DigitalOcean account: the reserved IP limit reads 0, as it does when the API token lacks the scope "reserved_ip:read", which the haproxy engine's reserved IPs need as well; got 0. Fix: add reserved_ip:read (and the other scopes in docs/account-requirements.md) to the token, then pulumi config set --secret digitalocean:token <the new token>`,
        ]);
        assert.deepEqual(preflight(settings(2), { ...ACCOUNT, floatingIpLimit: 0 }).problems, []);
    });

    it("turns the provider's 403 into the missing scope and its 401 into a bad token; other errors are not its to explain", () => {
        const godo = (status: number) =>
            new Error(
                `Error retrieving account: GET https://api.digitalocean.com/v2/account: ${status} (request "4f1c") You do not have permission to perform this action.`,
            );
        assert.equal(
            readFailure("account", godo(403)),
            `DigitalOcean API token: refused GET /v2/account with 403, so the token lacks the scope "account:read"; got a token without account:read. Fix: add account:read and every other scope in docs/account-requirements.md to the token, then pulumi config set --secret digitalocean:token <the new token>`,
        );
        assert.equal(
            readFailure("vpcs", godo(401)),
            `DigitalOcean API token: refused GET /v2/vpcs with 401, so the token is unknown, expired or revoked; got a token DigitalOcean does not accept. Fix: create a token with the scopes in docs/account-requirements.md, then pulumi config set --secret digitalocean:token <the new token>`,
        );
        assert.equal(readFailure("domains", godo(500)), undefined);
        assert.equal(readFailure("domains", new Error("connection reset by peer")), undefined);
    });

    it("tells the provider's no-default-VPC answer from any other getVpc error", () => {
        assert.equal(
            isNoDefaultVpc(new Error("Error retrieving VPC: unable to find default VPC in nyc3 region")),
            true,
        );
        assert.equal(
            isNoDefaultVpc(new Error("Error retrieving VPC: GET https://api.digitalocean.com/v2/vpcs: 403")),
            false,
        );
    });
});
