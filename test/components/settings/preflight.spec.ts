// The account preflight as a pure function: each refusal with its exact message, and what is only a warning.
import assert from "node:assert/strict";
import { AccountFacts, accountNeeds, isReservedDomain, preflight } from "../../../components/settings/preflight";
import { parseStackConfig } from "../../../components/settings/stackConfig";
import { exampleConfig, encodeConfig } from "../../support/program";

const ACCOUNT: AccountFacts = {
    dropletLimit: 25,
    floatingIpLimit: 3,
    status: "active",
    email: "owner@shop.test.dev",
    emailVerified: true,
};
const OWN_SITE = { domain: "shop.acme.dev", alerts: { emails: ["owner@shop.test.dev"] } };
const settings = (tier: number, extra: Record<string, unknown> = {}) =>
    parseStackConfig("dev", encodeConfig({ ...exampleConfig(tier), ...OWN_SITE, ...extra }));
const SLACK = `send alerts to Slack instead, which has no such rule: pulumi config set --path 'webstack:alerts.slackChannel' '#ops' and pulumi config set --secret webstack:slackWebhookUrl https://hooks.slack.com/services/…`;

describe("Account preflight", () => {
    it("finds nothing to refuse for a real domain, a verified account e-mail and enough quota", () => {
        assert.deepEqual(preflight(settings(3), ACCOUNT, undefined), { problems: [], notes: [] });
    });

    it("counts fixed pools, autoscale maxima and HAProxy droplets against the account's limits", () => {
        const s = settings(3, {
            app: { autoscale: { min: 2, max: 8 } },
            loadBalancer: { engine: "haproxy", count: 2 },
        });
        assert.deepEqual(accountNeeds(s), {
            droplets: 14,
            reservedIps: 2,
            parts: ["web.count 4", "app.autoscale.max 8", "loadBalancer.count 2 HAProxy"],
        });
    });

    it("refuses more droplets than the account allows", () => {
        assert.deepEqual(preflight(settings(3), { ...ACCOUNT, dropletLimit: 5 }, undefined).problems, [
            "webstack:web.count: the stack runs up to 8 droplets (web.count 4, app.count 4) but the account allows 5 in all, other stacks' droplets included; got 8. Fix: lower web.count, app.count or the autoscale maxima, or ask DigitalOcean support to raise the droplet limit",
        ]);
    });

    it("refuses more HAProxy reserved IPs than the account allows", () => {
        const s = settings(3, { loadBalancer: { engine: "haproxy", count: 3 } });
        assert.deepEqual(preflight(s, { ...ACCOUNT, floatingIpLimit: 2 }, undefined).problems, [
            "webstack:loadBalancer.count: the haproxy engine needs one reserved IP per HAProxy droplet, 3 in all, but the account allows 2; got 3. Fix: pulumi config set --path 'webstack:loadBalancer.count' 2, or ask DigitalOcean support to raise the reserved IP limit",
        ]);
    });

    it("refuses a reserved example domain, and the Let's Encrypt certificate DigitalOcean could never issue for it", () => {
        assert.deepEqual(preflight(settings(2, { domain: "example.com" }), ACCOUNT, undefined).problems, [
            'webstack:domain: a reserved example domain (RFC 2606), which cannot be delegated to DigitalOcean, so neither its records nor a certificate would ever work; got "example.com". Fix: pulumi config set webstack:domain <a domain you control>',
            `webstack:certificate.kind: "lets_encrypt" needs DigitalOcean DNS to host "example.com", which it cannot (a reserved domain); got "lets_encrypt". Fix: use a domain whose zone is at DigitalOcean, or pulumi config set --path 'webstack:certificate.kind' custom with tlsPrivateKey and tlsCertificate`,
        ]);
    });

    it("refuses alert e-mails at a reserved domain where uptime alerts need verified account e-mails, naming Slack as the way out", () => {
        assert.deepEqual(
            preflight(settings(2, { alerts: { emails: ["ops@example.com"] } }), ACCOUNT, undefined).problems,
            [
                `webstack:alerts.emails[0]: at a reserved example domain, which can never be an e-mail verified on the DigitalOcean account, as uptime alerts require; got "ops@example.com". Fix: pulumi config set --path 'webstack:alerts.emails[0]' <a team member's login e-mail>, or ${SLACK}`,
            ],
        );
    });

    it("refuses the account's own e-mail while it is unverified", () => {
        assert.deepEqual(preflight(settings(2), { ...ACCOUNT, emailVerified: false }, undefined).problems, [
            `webstack:alerts.emails[0]: the account's own e-mail is not verified yet, and uptime alerts go only to verified e-mails; got "owner@shop.test.dev". Fix: verify it from DigitalOcean's e-mail (control panel, Account > Settings), or ${SLACK}`,
        ]);
    });

    it("only warns about another address, which may be a verified team member", () => {
        const result = preflight(settings(2, { alerts: { emails: ["oncall@acme.dev"] } }), ACCOUNT, undefined);
        assert.deepEqual(result, {
            problems: [],
            notes: [
                'webstack:alerts.emails[0]: "oncall@acme.dev" must be the verified login e-mail of a member of the team that owns the API token (owner@shop.test.dev), or creating the uptime alerts fails; distribution lists cannot be verified: use Slack for them.',
            ],
        });
    });

    it("ignores alert e-mails below tier 2, where no alert exists", () => {
        assert.deepEqual(
            preflight(settings(1, { alerts: { emails: ["ops@example.com"] } }), ACCOUNT, undefined).problems,
            [],
        );
    });

    it("refuses adopting a zone the account's DNS does not hold", () => {
        assert.deepEqual(preflight(settings(1, { dns: { zone: "existing" } }), ACCOUNT, false).problems, [
            `webstack:dns.zone: "existing" adopts a zone already at DigitalOcean, but the account's DNS has no zone "shop.acme.dev"; got "existing". Fix: add the domain under Networking > Domains (or doctl compute domain create shop.acme.dev), or pulumi config set --path 'webstack:dns.zone' create`,
        ]);
    });

    it("refuses a Let's Encrypt certificate for a zone DigitalOcean does not host", () => {
        assert.deepEqual(
            preflight(settings(2, { dns: { zone: "existing" } }), ACCOUNT, false).problems[1],
            `webstack:certificate.kind: "lets_encrypt" needs DigitalOcean DNS to host "shop.acme.dev", which it does not (no such zone in the account); got "lets_encrypt". Fix: use a domain whose zone is at DigitalOcean, or pulumi config set --path 'webstack:certificate.kind' custom with tlsPrivateKey and tlsCertificate`,
        );
    });

    it("refuses a locked account", () => {
        assert.deepEqual(
            preflight(settings(1), { ...ACCOUNT, status: "locked", statusMessage: "unpaid invoice" }, undefined)
                .problems,
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
