// The authenticated SMTP relay the monitor's Alertmanager e-mails the QPS alerts through
// (alerts.smtpSmarthost, alerts.smtpFrom, alerts.smtpUsername and the secret smtpPassword): all or none, only
// with a monitor and alert e-mails, never on port 25 (DigitalOcean blocks it) or 465, every problem at once.
import assert from "node:assert/strict";
import { exampleConfig } from "../../support/program";
import { configProblems, parseConfig } from "../../support/stackConfig";

const RELAY = { smtpSmarthost: "smtp.sendgrid.net:587", smtpFrom: "alerts@example.com", smtpUsername: "apikey" };
const PASSWORD = "SG.relayPasswordSecret";
const EMAILS = { emails: ["ops@example.com"] };
/** Tier 2 (which has the monitor) with the whole relay; `secrets` are the keys stored encrypted. */
const withRelay = (alerts: Record<string, unknown> = {}, extra: Record<string, unknown> = {}) => ({
    ...exampleConfig(2),
    alerts: { ...EMAILS, ...RELAY, ...alerts },
    smtpPassword: PASSWORD,
    ...extra,
});

// The relay's password is set with --secret, as the fix commands say.
const parse = (config: Record<string, unknown>, secrets: string[] = ["smtpPassword"]) => parseConfig(config, secrets);
const problems = (config: Record<string, unknown>, secrets: string[] = ["smtpPassword"]) =>
    configProblems(config, secrets);

const ALL =
    "e-mail alerts need all of webstack:alerts.smtpSmarthost, webstack:alerts.smtpFrom, webstack:alerts.smtpUsername and webstack:smtpPassword";
const PASSWORD_FIX = "pulumi config set --secret webstack:smtpPassword <the relay's password or API key>";
const NO_MONITOR =
    "applies only to a stack with the monitor droplet, whose Alertmanager sends the alert e-mails (tier 2 and above, or tier 1 with logs.enabled true)";

describe("Stack config: the SMTP relay for alert e-mails", () => {
    it("resolves the relay beside the alert e-mails", () => {
        assert.deepEqual(parse(withRelay()).alerts, {
            emails: ["ops@example.com"],
            slack: undefined,
            smtp: {
                smarthost: "smtp.sendgrid.net:587",
                from: "alerts@example.com",
                username: "apikey",
                password: PASSWORD,
            },
        });
    });

    it("has no relay when none of its keys is set", () => {
        assert.deepEqual(parse(exampleConfig(2)).alerts, { emails: ["ops@example.com"], slack: undefined });
    });

    it("accepts the relay at tier 1 with logs.enabled, and beside Slack", () => {
        assert.equal(
            parse(withRelay({}, { tier: 1, logs: { enabled: true } })).alerts.smtp?.smarthost,
            "smtp.sendgrid.net:587",
        );
        const both = parse(
            withRelay({ slackChannel: "#ops" }, { slackWebhookUrl: "https://hooks.slack.com/services/T/B/X" }),
            ["smtpPassword", "slackWebhookUrl"],
        );
        assert.deepEqual([both.alerts.slack?.channel, both.alerts.smtp?.username], ["#ops", "apikey"]);
    });

    it("accepts port 2525, the relays' alternative submission port", () => {
        assert.equal(
            parse(withRelay({ smtpSmarthost: "smtp.mailgun.org:2525" })).alerts.smtp?.smarthost,
            "smtp.mailgun.org:2525",
        );
    });

    it("reports every missing key of the relay with its fix", () => {
        assert.deepEqual(
            problems({ ...exampleConfig(2), alerts: { ...EMAILS, smtpSmarthost: "smtp.sendgrid.net:587" } }),
            [
                `webstack:alerts.smtpFrom: required when webstack:alerts.smtpSmarthost is set; ${ALL}. Fix: pulumi config set --path 'webstack:alerts.smtpFrom' alerts@example.com`,
                `webstack:alerts.smtpUsername: required when webstack:alerts.smtpSmarthost is set; ${ALL}. Fix: pulumi config set --path 'webstack:alerts.smtpUsername' apikey`,
                `webstack:smtpPassword: required when webstack:alerts.smtpSmarthost is set; ${ALL}. Fix: ${PASSWORD_FIX}`,
            ],
        );
        assert.deepEqual(problems({ ...exampleConfig(2), alerts: EMAILS, smtpPassword: PASSWORD }), [
            `webstack:alerts.smtpSmarthost: required when webstack:smtpPassword is set; ${ALL}. Fix: pulumi config set --path 'webstack:alerts.smtpSmarthost' smtp.sendgrid.net:587`,
            `webstack:alerts.smtpFrom: required when webstack:smtpPassword is set; ${ALL}. Fix: pulumi config set --path 'webstack:alerts.smtpFrom' alerts@example.com`,
            `webstack:alerts.smtpUsername: required when webstack:smtpPassword is set; ${ALL}. Fix: pulumi config set --path 'webstack:alerts.smtpUsername' apikey`,
        ]);
    });

    it("refuses port 25, which DigitalOcean blocks on droplets, quoting DigitalOcean", () => {
        assert.deepEqual(problems(withRelay({ smtpSmarthost: "smtp.sendgrid.net:25" })), [
            `webstack:alerts.smtpSmarthost: port 25 is refused: DigitalOcean blocks it ("SMTP port 25 is blocked on all Droplets for new accounts", docs.digitalocean.com/support/why-is-smtp-blocked); expected the relay's submission port, 587 or 2525, with STARTTLS; got "smtp.sendgrid.net:25". Fix: pulumi config set --path 'webstack:alerts.smtpSmarthost' smtp.sendgrid.net:587`,
        ]);
    });

    it("refuses port 465, where Alertmanager 0.25 and 0.26 still demand STARTTLS", () => {
        assert.deepEqual(problems(withRelay({ smtpSmarthost: "smtp.example.net:465" })), [
            `webstack:alerts.smtpSmarthost: port 465 is refused: Alertmanager 0.25 and 0.26 (Debian 12's and Ubuntu 24.04's) open implicit TLS on 465 and then still demand STARTTLS under require_tls, which a port-465 relay does not offer (prometheus/alertmanager notify/email/email.go at v0.26.0); expected the relay's submission port, 587 or 2525, with STARTTLS; got "smtp.example.net:465". Fix: pulumi config set --path 'webstack:alerts.smtpSmarthost' smtp.example.net:587`,
        ]);
    });

    it("reports every malformed value at once, showing the password's type and length only", () => {
        assert.deepEqual(
            problems(
                withRelay(
                    { smtpSmarthost: "smtp.sendgrid.net", smtpFrom: "alerts", smtpUsername: "api key" },
                    { smtpPassword: "two words" },
                ),
            ),
            [
                `webstack:alerts.smtpSmarthost: expected "host:port" of an authenticated SMTP relay, such as "smtp.sendgrid.net:587"; got "smtp.sendgrid.net". Fix: pulumi config set --path 'webstack:alerts.smtpSmarthost' smtp.sendgrid.net:587`,
                `webstack:alerts.smtpFrom: expected an e-mail address the relay lets the account send from, such as "alerts@example.com"; got "alerts". Fix: pulumi config set --path 'webstack:alerts.smtpFrom' alerts@example.com`,
                `webstack:alerts.smtpUsername: expected the relay's user name, 1 to 256 characters without whitespace, such as "apikey"; got "api key". Fix: pulumi config set --path 'webstack:alerts.smtpUsername' apikey`,
                `webstack:smtpPassword: expected the relay's password or API key, 1 to 256 characters without whitespace; got text of 9 characters with whitespace (value not shown). Fix: ${PASSWORD_FIX}`,
            ],
        );
        assert.deepEqual(problems(withRelay({}, { smtpPassword: 1234 })), [
            `webstack:smtpPassword: expected the relay's password or API key, 1 to 256 characters without whitespace; got a value of type number (value not shown). Fix: ${PASSWORD_FIX}`,
        ]);
    });

    it("refuses the relay on a stack without the monitor, key by key", () => {
        assert.deepEqual(problems(withRelay({}, { tier: 1 })), [
            `webstack:alerts.smtpSmarthost: ${NO_MONITOR}; got "smtp.sendgrid.net:587" at tier 1 without logs. Fix: pulumi config set --path 'webstack:logs.enabled' true, or pulumi config rm --path 'webstack:alerts.smtpSmarthost'`,
            `webstack:alerts.smtpFrom: ${NO_MONITOR}; got "alerts@example.com" at tier 1 without logs. Fix: pulumi config set --path 'webstack:logs.enabled' true, or pulumi config rm --path 'webstack:alerts.smtpFrom'`,
            `webstack:alerts.smtpUsername: ${NO_MONITOR}; got "apikey" at tier 1 without logs. Fix: pulumi config set --path 'webstack:logs.enabled' true, or pulumi config rm --path 'webstack:alerts.smtpUsername'`,
            `webstack:smtpPassword: ${NO_MONITOR}; got text of 22 characters (value not shown) at tier 1 without logs. Fix: pulumi config set --path 'webstack:logs.enabled' true, or pulumi config rm webstack:smtpPassword`,
        ]);
        assert.deepEqual(
            problems({ ...exampleConfig(0), alerts: { ...EMAILS, ...RELAY }, smtpPassword: PASSWORD }).slice(0, 1),
            [
                `webstack:alerts.smtpSmarthost: ${NO_MONITOR}; got "smtp.sendgrid.net:587" at tier 0 without logs. Fix: pulumi config rm --path 'webstack:alerts.smtpSmarthost'`,
            ],
        );
        assert.equal(problems(withRelay({}, { logs: { enabled: false } })).length, 4);
    });

    it("refuses the relay without alert e-mails to send to", () => {
        assert.deepEqual(
            problems(
                withRelay(
                    { emails: [], slackChannel: "#ops" },
                    { slackWebhookUrl: "https://hooks.slack.com/services/T/B/X" },
                ),
                ["smtpPassword", "slackWebhookUrl"],
            ),
            [
                "webstack:alerts.emails: required when an SMTP relay is set (webstack:alerts.smtpSmarthost, webstack:alerts.smtpFrom, webstack:alerts.smtpUsername and webstack:smtpPassword); Alertmanager e-mails the alerts to these addresses; got none. Fix: pulumi config set --path 'webstack:alerts.emails[0]' ops@example.com",
            ],
        );
        // Without Slack either, the tier's own rule already asks for an e-mail: one problem, not two.
        assert.deepEqual(problems(withRelay({ emails: [] })), [
            "webstack:alerts.emails: required at tier 2; alert policies need at least one e-mail or Slack target. Fix: pulumi config set --path 'webstack:alerts.emails[0]' ops@example.com",
        ]);
    });

    it("accepts the one alertEmail prompt as the relay's recipient", () => {
        const s = parse({ ...withRelay({ emails: [] }), alertEmail: "oncall@example.com" });
        assert.deepEqual([s.alerts.emails, s.alerts.smtp?.from], [["oncall@example.com"], "alerts@example.com"]);
    });

    it("requires smtpPassword to be stored encrypted", () => {
        assert.deepEqual(problems(withRelay(), []), [
            "webstack:smtpPassword: must be stored encrypted; it is in plain text. Fix: pulumi config set --secret webstack:smtpPassword <value>",
        ]);
    });

    it("never shows the password in any problem", () => {
        const texts = [
            withRelay({}, { tier: 1 }),
            withRelay({ smtpSmarthost: "x" }),
            withRelay({ emails: [] }),
        ].flatMap((c) => problems(c));
        assert.ok(texts.length > 0);
        for (const text of [...texts, ...problems(withRelay(), [])]) assert.ok(!text.includes(PASSWORD), text);
    });
});
