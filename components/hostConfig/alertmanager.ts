// Pure renderer of the monitor droplet's alertmanager.yml: where the QPS alerts go. Slack through an
// incoming webhook, e-mail through an authenticated SMTP relay the operator names, both, or neither (then alerts
// show only on Prometheus's alerts page, docs/monitoring.md).
//
// E-mail goes through a relay because DigitalOcean says "SMTP port 25 is blocked on all Droplets for new accounts"
// (docs.digitalocean.com/support/why-is-smtp-blocked, and the Droplet limits page). So the monitor never talks to
// the recipients' mail servers; it submits to the relay (SendGrid, Mailgun, SES, ...) on 587 or 2525 with STARTTLS.
//
// Checked against Alertmanager 0.25.0 (Debian 12's; Ubuntu 24.04 ships 0.26.0) with `amtool check-config` and its
// source. `smtp_auth_password_file` exists from 0.25.0 (CHANGELOG: "Add support for reading global and local SMTP
// passwords from files. #3038"). It is read at every send (notify/email/email.go, getPassword), so a file an
// operator copies in later is picked up without a restart, and it is not trimmed before 0.27.0 (#3680), so the file
// holds the password with no line break.
import { stringify } from "yaml";
import { EMAIL_PATTERN, checkHost, checkPort } from "./checks";
import { PROMETHEUS_SECRETS_DIR } from "./prometheusHost";
import { HEADER } from "./types";

/**
 * Secret files (0600, owned by `prometheus`, the user the packaged daemons run as), read through `api_url_file` and
 * `smtp_auth_password_file`, so no secret sits in alertmanager.yml.
 */
export const SLACK_WEBHOOK_PATH = `${PROMETHEUS_SECRETS_DIR}/slack-webhook-url`;
export const SMTP_PASSWORD_PATH = `${PROMETHEUS_SECRETS_DIR}/smtp-password`;

/** Relay ports the monitor cannot use, and why (the stack config parser reports the same reasons). */
export const REFUSED_SMTP_PORTS: Readonly<Record<number, string>> = {
    25: 'DigitalOcean blocks it ("SMTP port 25 is blocked on all Droplets for new accounts", docs.digitalocean.com/support/why-is-smtp-blocked)',
    // Fixed only in Alertmanager 0.31.0 (#4818), newer than any archive package the droplet installs.
    465: "Alertmanager 0.25 and 0.26 (Debian 12's and Ubuntu 24.04's) open implicit TLS on 465 and then still demand STARTTLS under require_tls, which a port-465 relay does not offer (prometheus/alertmanager notify/email/email.go at v0.26.0)",
};

/** An authenticated SMTP relay and the addresses it delivers the alerts to. */
export interface EmailRelay {
    /** The alerts' recipients (`alerts.emails`), at least one. */
    readonly to: readonly string[];
    /** `host:port` of the relay's submission port (587 or 2525; never 25 or 465, see REFUSED_SMTP_PORTS). */
    readonly smarthost: string;
    /** The sender address, one the relay lets this account send from. */
    readonly from: string;
    readonly username: string;
    /** Written to SMTP_PASSWORD_PATH (0600): the user data carrying it must be a secret. Undefined: an operator copies it there. */
    readonly password?: string;
}

/** Where Alertmanager sends the alerts. */
export interface AlertReceivers {
    /** Slack: the channel and the webhook URL (a secret, written to SLACK_WEBHOOK_PATH, 0600; undefined: copied by an operator). */
    readonly slack?: { readonly channel: string; readonly url?: string };
    /** E-mail through an authenticated relay; undefined when the stack names no relay. */
    readonly email?: EmailRelay;
}

/** The host and port of a `host:port` smarthost, or undefined when it is not one. */
export function smarthostParts(smarthost: unknown): { host: string; port: number } | undefined {
    const match = typeof smarthost === "string" ? /^([^:\s]+):(\d{1,5})$/.exec(smarthost) : null;
    if (!match) return undefined;
    const problems: string[] = [];
    checkHost(problems, "host", match[1]);
    checkPort(problems, "port", Number(match[2]));
    return problems.length === 0 ? { host: match[1], port: Number(match[2]) } : undefined;
}

/** True when `value` is a relay user name or password the config and the secret file can hold verbatim. */
export const isSmtpCredential = (value: unknown): value is string =>
    typeof value === "string" && /^\S{1,256}$/.test(value);

/** Every problem with the receivers, as `path: message; got "value".` lines (empty when valid). Secrets are never shown. */
export function alertReceiverProblems(config: AlertReceivers): string[] {
    const problems: string[] = [];
    if (
        config.slack?.url !== undefined &&
        (typeof config.slack.url !== "string" || !config.slack.url.startsWith("https://"))
    ) {
        problems.push(`slack.url: must be an https:// webhook URL; got a value that is not (value not shown).`);
    }
    const email = config.email;
    if (!email) return problems;
    if (!Array.isArray(email.to) || email.to.length === 0)
        problems.push("email.to: at least one address is required; got none.");
    (email.to ?? []).forEach((to, i) => {
        if (typeof to !== "string" || !EMAIL_PATTERN.test(to))
            problems.push(`email.to[${i}]: must be an e-mail address; got "${String(to)}".`);
    });
    const parts = smarthostParts(email.smarthost);
    if (!parts) {
        problems.push(
            `email.smarthost: must be "host:port" such as "smtp.sendgrid.net:587"; got "${String(email.smarthost)}".`,
        );
    } else if (REFUSED_SMTP_PORTS[parts.port]) {
        problems.push(
            `email.smarthost: port ${parts.port} is refused: ${REFUSED_SMTP_PORTS[parts.port]}; got "${email.smarthost}".`,
        );
    }
    if (typeof email.from !== "string" || !EMAIL_PATTERN.test(email.from))
        problems.push(`email.from: must be an e-mail address; got "${String(email.from)}".`);
    if (!isSmtpCredential(email.username))
        problems.push(
            `email.username: must be 1 to 256 characters without whitespace; got "${String(email.username)}".`,
        );
    if (email.password !== undefined && !isSmtpCredential(email.password)) {
        problems.push(
            `email.password: must be 1 to 256 characters without whitespace; got a value of type ${typeof email.password} that is not (value not shown).`,
        );
    }
    return problems;
}

/** The receiver's name: what it sends to. */
const receiverName = (config: AlertReceivers): string =>
    [config.slack && "slack", config.email && "email"].filter(Boolean).join("-and-") || "none";

/**
 * alertmanager.yml: one receiver with Slack, e-mail (one message per recipient) or both, firing and resolved
 * notifications alike; without either, alerts show only on Prometheus's alerts page.
 */
export function renderAlertmanagerConfig(config: AlertReceivers): string {
    const receiver: Record<string, unknown> = { name: receiverName(config) };
    if (config.slack)
        receiver.slack_configs = [
            { api_url_file: SLACK_WEBHOOK_PATH, channel: config.slack.channel, send_resolved: true },
        ];
    if (config.email) receiver.email_configs = config.email.to.map((to) => ({ to, send_resolved: true }));
    const email = config.email;
    const doc = {
        ...(email
            ? {
                  global: {
                      smtp_smarthost: email.smarthost,
                      smtp_from: email.from,
                      smtp_auth_username: email.username,
                      smtp_auth_password_file: SMTP_PASSWORD_PATH,
                      // The credentials and the alerts cross the internet: no relay that cannot STARTTLS.
                      smtp_require_tls: true,
                  },
              }
            : {}),
        route: {
            receiver: receiver.name,
            group_by: ["alertname", "stack"],
            group_wait: "30s",
            group_interval: "5m",
            repeat_interval: "4h",
        },
        receivers: [receiver],
    };
    return `${HEADER}\n${stringify(doc, { lineWidth: 0 })}`;
}
