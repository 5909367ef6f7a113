// The stack config sections about the site itself: tier, region, domain, access, alert targets, the app to run
// and its certificate. Each reader reports its problems on the ConfigReader and returns its part of StackSettings.
import type { TierContext } from "./configKeys";
import { ConfigReader as Reader, quoteAll, show } from "./configReader";
import { REFUSED_SMTP_PORTS, isSmtpCredential, smarthostParts } from "../hostConfig/alertmanager";
import { EMAIL_PATTERN, isImageReference } from "../hostConfig/checks";
import { HEALTH_PATH_PATTERN } from "../hostConfig/types";
import {
    type LogsSettings,
    PoolSettings,
    SecretsDelivery,
    type SmtpRelaySettings,
    StackSettings,
} from "./stackSettings";
import { TIERS, Tier, TierProfile } from "./tiers";

type ConfigReader = Reader<TierContext>;

const DNS_NAME = /^(?=.{1,253}$)(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))+$/;
const FINGERPRINT = /^([0-9a-f]{2}:){15}[0-9a-f]{2}$/;

function parseCidr(text: string): { v4: boolean; bits: number; octets?: number[] } | undefined {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(text);
    if (v4) {
        const octets = v4.slice(1, 5).map(Number);
        const bits = Number(v4[5]);
        return octets.every((o) => o <= 255) && bits <= 32 ? { v4: true, bits, octets } : undefined;
    }
    const v6 = /^([0-9a-f:]+)\/(\d{1,3})$/i.exec(text);
    if (v6 && v6[1].includes(":") && Number(v6[2]) <= 128) return { v4: false, bits: Number(v6[2]) };
    return undefined;
}

function isPrivateRange(octets: number[]): boolean {
    const [a, b] = octets;
    return a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168);
}

/** The tier comes first: every default depends on it. An invalid or missing tier is reported and read as 0. */
export function readTier(r: ConfigReader): Tier {
    const value = r.values.tier;
    if (value === undefined) {
        r.problem(
            `${r.path("tier")}: required; expected ${quoteAll(TIERS)}. Fix: pulumi config set ${r.path("tier")} 0`,
        );
    } else if (!TIERS.includes(value as Tier)) {
        r.problem(
            `${r.path("tier")}: expected ${quoteAll(TIERS)}; got ${show(value)}. Fix: pulumi config set ${r.path("tier")} ${Math.min(Math.max(Math.trunc(Number(value)) || 0, 0), 3)}`,
        );
    } else {
        return value as Tier;
    }
    return 0;
}

/** Region, domain, environment, VPC range, SSH keys and admin CIDRs. */
export function readSite(r: ConfigReader) {
    const region = r.choice("region");
    const domainValue = r.values.domain;
    let domain = "example.com";
    if (domainValue === undefined) {
        r.problem(
            `${r.path("domain")}: required; the DNS zone DigitalOcean will host (e.g. "example.com"). Fix: pulumi config set ${r.path("domain")} example.com`,
        );
    } else if (typeof domainValue !== "string" || !DNS_NAME.test(domainValue)) {
        r.problem(
            `${r.path("domain")}: expected a lower-case DNS name such as "example.com"; got ${show(domainValue)}. Fix: pulumi config set ${r.path("domain")} example.com`,
        );
    } else {
        domain = domainValue;
    }
    const environment = r.choice<StackSettings["environment"]>("environment");

    // Unset: DigitalOcean allocates "a /20 network range ... that won't conflict with other VPC networks in your
    // account" and keeps it for the VPC's life (digitalocean/openapi specification/resources/vpcs/models/vpc.yml
    // ip_range; the provider's ip_range is Optional + Computed, terraform-provider-digitalocean
    // digitalocean/vpc/resource_vpc.go, so leaving it unset never shows a diff). Stacks in one account then never
    // collide. Set: the API's bounds, RFC 1918 and "not smaller than /28 nor larger than /16" (same file).
    let vpcIpRange: string | undefined;
    const range = r.values.vpcIpRange;
    if (range !== undefined) {
        const cidr = typeof range === "string" ? parseCidr(range) : undefined;
        if (!cidr || !cidr.v4 || !isPrivateRange(cidr.octets!) || cidr.bits < 16 || cidr.bits > 28) {
            r.problem(
                `${r.path("vpcIpRange")}: expected a private (RFC 1918) IPv4 range from /16 to /28 that no other VPC of the account overlaps, such as "10.20.0.0/20"; got ${show(range)}. Fix: pulumi config rm ${r.path("vpcIpRange")} (DigitalOcean then allocates a free /20), or pulumi config set ${r.path("vpcIpRange")} 10.20.0.0/20`,
            );
        } else {
            vpcIpRange = range as string;
        }
    }

    const sshKeys = r.stringList(
        "sshKeys",
        (k) =>
            FINGERPRINT.test(k) || /^\d{1,12}$/.test(k)
                ? undefined
                : "expected an SSH key fingerprint (16 colon-separated hex pairs) or a numeric key id",
        "<fingerprint>",
    );
    const givenKeys = r.values.sshKeys;
    if (givenKeys === undefined || (Array.isArray(givenKeys) && givenKeys.length === 0)) {
        r.problem(
            `${r.path("sshKeys")}: required; at least one SSH key fingerprint (DigitalOcean e-mails root passwords for droplets without keys). Fix: pulumi config set --path '${r.path("sshKeys[0]")}' <fingerprint from "doctl compute ssh-key list">`,
        );
    }
    const adminCidrs = r.stringList(
        "adminCidrs",
        (c) => {
            const cidr = parseCidr(c);
            if (!cidr) return 'expected an IPv4 or IPv6 CIDR such as "203.0.113.7/32"';
            if (cidr.bits === 0) return "SSH from the whole internet is refused; expected a CIDR narrower than /0";
            return undefined;
        },
        "203.0.113.7/32",
    );
    return { region, domain, environment, vpcIpRange, sshKeys, adminCidrs };
}

/** Alert targets: e-mails (list or the one `alertEmail` prompt), or Slack (channel + encrypted webhook URL). */
export function readAlerts(r: ConfigReader, tier: Tier, monitoring: boolean): StackSettings["alerts"] {
    const emails = r.stringList(
        "alerts.emails",
        (e) => (EMAIL_PATTERN.test(e) ? undefined : "expected an e-mail address"),
        "ops@example.com",
    );
    const alertEmail = r.values.alertEmail;
    if (alertEmail !== undefined) {
        if (typeof alertEmail === "string" && EMAIL_PATTERN.test(alertEmail)) emails.push(alertEmail);
        else
            r.problem(
                `${r.path("alertEmail")}: expected an e-mail address; got ${show(alertEmail)}. Fix: pulumi config set ${r.path("alertEmail")} ops@example.com`,
            );
    }
    const channel = r.get("alerts.slackChannel");
    const url = r.values.slackWebhookUrl;
    if (channel !== undefined && (typeof channel !== "string" || !/^#?[a-z0-9_-]{1,80}$/.test(channel))) {
        r.problem(
            `${r.path("alerts.slackChannel")}: expected a Slack channel name such as "#ops"; got ${show(channel)}. Fix: pulumi config set --path '${r.path("alerts.slackChannel")}' '#ops'`,
        );
    }
    if ((channel === undefined) !== (url === undefined)) {
        const [missing, present] =
            channel === undefined
                ? ["alerts.slackChannel", "slackWebhookUrl"]
                : ["slackWebhookUrl", "alerts.slackChannel"];
        const fix =
            channel === undefined
                ? `pulumi config set --path '${r.path("alerts.slackChannel")}' '#ops'`
                : `pulumi config set --secret ${r.path("slackWebhookUrl")} https://hooks.slack.com/services/…`;
        r.problem(`${r.path(missing)}: required when ${r.path(present)} is set; Slack alerts need both. Fix: ${fix}`);
    }
    if (url !== undefined && (typeof url !== "string" || !/^https:\/\/\S+$/.test(url))) {
        // The value is a secret: its type is shown, never the value.
        r.problem(
            `${r.path("slackWebhookUrl")}: expected an https:// webhook URL; got a value of type ${typeof url}. Fix: pulumi config set --secret ${r.path("slackWebhookUrl")} https://hooks.slack.com/services/…`,
        );
    }
    const listed = r.get("alerts.emails");
    if (
        monitoring &&
        channel === undefined &&
        alertEmail === undefined &&
        !(Array.isArray(listed) && listed.length > 0)
    ) {
        r.problem(
            `${r.path("alerts.emails")}: required at tier ${tier}; alert policies need at least one e-mail or Slack target. Fix: pulumi config set --path '${r.path("alerts.emails[0]")}' ops@example.com`,
        );
    }
    return { emails, slack: typeof channel === "string" && typeof url === "string" ? { channel, url } : undefined };
}

/** The SMTP relay's keys, in the order problems are reported; smtpPassword is a secret. */
const SMTP_KEYS = ["alerts.smtpSmarthost", "alerts.smtpFrom", "alerts.smtpUsername", "smtpPassword"] as const;

/** Names `paths` as "a", "a and b" or "a, b and c". */
const andList = (paths: readonly string[]): string =>
    paths.length <= 1 ? paths.join("") : `${paths.slice(0, -1).join(", ")} and ${paths[paths.length - 1]}`;

/**
 * The authenticated SMTP relay the monitor's Alertmanager e-mails the alerts through: all four keys or
 * none, only on a stack with a monitor (logs) and alert e-mails. Read after the logs section, which decides whether
 * the monitor exists; `emails` are the addresses readAlerts accepted.
 */
export function readSmtpRelay(
    r: ConfigReader,
    stack: {
        readonly tier: Tier;
        readonly monitoring: boolean;
        readonly domain: string;
        readonly emails: readonly string[];
        readonly logs: LogsSettings | undefined;
    },
): SmtpRelaySettings | undefined {
    const { tier, monitoring, domain, emails, logs } = stack;
    const given = SMTP_KEYS.filter((key) => r.get(key) !== undefined);
    if (given.length === 0) return undefined;
    const before = r.problems.length;
    const value = (key: (typeof SMTP_KEYS)[number]) => r.get(key);
    const password = value("smtpPassword");
    // The password is a secret: its type and length are shown, never the value.
    const shown = (key: (typeof SMTP_KEYS)[number]) =>
        key !== "smtpPassword"
            ? show(value(key))
            : typeof password === "string"
              ? `text of ${password.length} characters${/\s/.test(password) ? " with whitespace" : ""} (value not shown)`
              : `a value of type ${typeof password} (value not shown)`;
    const fixes: Record<(typeof SMTP_KEYS)[number], string> = {
        "alerts.smtpSmarthost": r.setCmd("alerts.smtpSmarthost", "smtp.sendgrid.net:587"),
        "alerts.smtpFrom": r.setCmd("alerts.smtpFrom", `alerts@${domain}`),
        "alerts.smtpUsername": r.setCmd("alerts.smtpUsername", "apikey"),
        smtpPassword: `pulumi config set --secret ${r.path("smtpPassword")} <the relay's password or API key>`,
    };
    const all = `e-mail alerts need all of ${andList(SMTP_KEYS.map((k) => r.path(k)))}`;
    const givenList = andList(given.map((k) => r.path(k)));
    for (const key of SMTP_KEYS.filter((k) => !given.includes(k))) {
        r.problem(
            `${r.path(key)}: required when ${givenList} ${given.length === 1 ? "is" : "are"} set; ${all}. Fix: ${fixes[key]}`,
        );
    }

    const smarthost = value("alerts.smtpSmarthost");
    const parts = smarthost === undefined ? undefined : smarthostParts(smarthost);
    if (smarthost !== undefined && !parts) {
        r.problem(
            `${r.path("alerts.smtpSmarthost")}: expected "host:port" of an authenticated SMTP relay, such as "smtp.sendgrid.net:587"; got ${show(smarthost)}. Fix: ${fixes["alerts.smtpSmarthost"]}`,
        );
    } else if (parts && REFUSED_SMTP_PORTS[parts.port]) {
        r.problem(
            `${r.path("alerts.smtpSmarthost")}: port ${parts.port} is refused: ${REFUSED_SMTP_PORTS[parts.port]}; expected the relay's submission port, 587 or 2525, with STARTTLS; got ${show(smarthost)}. Fix: ${r.setCmd("alerts.smtpSmarthost", `${parts.host}:587`)}`,
        );
    }
    const from = value("alerts.smtpFrom");
    if (from !== undefined && (typeof from !== "string" || !EMAIL_PATTERN.test(from))) {
        r.problem(
            `${r.path("alerts.smtpFrom")}: expected an e-mail address the relay lets the account send from, such as "alerts@${domain}"; got ${show(from)}. Fix: ${fixes["alerts.smtpFrom"]}`,
        );
    }
    const username = value("alerts.smtpUsername");
    if (username !== undefined && !isSmtpCredential(username)) {
        r.problem(
            `${r.path("alerts.smtpUsername")}: expected the relay's user name, 1 to 256 characters without whitespace, such as "apikey"; got ${show(username)}. Fix: ${fixes["alerts.smtpUsername"]}`,
        );
    }
    if (password !== undefined && !isSmtpCredential(password)) {
        // Alertmanager 0.25 and 0.26 send the password file's content untrimmed (alertmanager.ts).
        r.problem(
            `${r.path("smtpPassword")}: expected the relay's password or API key, 1 to 256 characters without whitespace; got ${shown("smtpPassword")}. Fix: ${fixes.smtpPassword}`,
        );
    }

    if (!logs) {
        for (const key of given) {
            const rm =
                key === "smtpPassword" ? `pulumi config rm ${r.path(key)}` : `pulumi config rm --path '${r.path(key)}'`;
            const enable = tier >= 1 ? `pulumi config set --path '${r.path("logs.enabled")}' true, or ` : "";
            r.problem(
                `${r.path(key)}: applies only to a stack with the monitor droplet, whose Alertmanager sends the alert e-mails (tier 2 and above, or tier 1 with logs.enabled true); got ${shown(key)} at tier ${tier} without logs. Fix: ${enable}${rm}`,
            );
        }
    }
    // With neither e-mails nor Slack from tier 2, readAlerts already asks for alerts.emails.
    const listed = r.get("alerts.emails");
    const emailsGiven = (Array.isArray(listed) && listed.length > 0) || r.values.alertEmail !== undefined;
    if (!emailsGiven && !(monitoring && r.get("alerts.slackChannel") === undefined)) {
        r.problem(
            `${r.path("alerts.emails")}: required when an SMTP relay is set (${givenList}); Alertmanager e-mails the alerts to these addresses; got none. Fix: ${r.setCmd("alerts.emails[0]", "ops@example.com")}`,
        );
    }
    if (r.problems.length > before || emails.length === 0) return undefined;
    return {
        smarthost: smarthost as string,
        from: from as string,
        username: username as string,
        password: password as string,
    };
}

export function readApp(r: ConfigReader): StackSettings["app"] {
    const image = r.get("app.image");
    const valid = isImageReference(image);
    if (image !== undefined && !valid) {
        r.problem(
            `${r.path("app.image")}: expected a container image reference (a lower-case repository path, optionally a :tag and an @sha256: digest) such as "ghcr.io/acme/shop:1.4.2"; got ${show(image)}. Fix: pulumi config set --path '${r.path("app.image")}' ghcr.io/acme/shop:1.4.2`,
        );
    }
    const healthPath = r.get("app.healthPath");
    const pathValid = typeof healthPath === "string" && HEALTH_PATH_PATTERN.test(healthPath);
    if (healthPath !== undefined && !pathValid) {
        r.problem(
            `${r.path("app.healthPath")}: expected an absolute URL path of letters, digits and "/._~-" (at most 128 characters) that the app answers with 2xx when it serves, such as "/healthz"; got ${show(healthPath)}. Fix: pulumi config set --path '${r.path("app.healthPath")}' /healthz`,
        );
    }
    return {
        image: valid ? image : r.fallback<string>("app.image"),
        port: r.int("app.port", " (not 80, which nginx uses)"),
        healthPath: pathValid ? healthPath : r.fallback<string>("app.healthPath"),
    };
}

/** `releases.gateTimeoutMinutes` (tier 1+): how long a readiness gate waits for a new droplet to serve. */
export function readReleases(r: ConfigReader, tier: Tier): StackSettings["releases"] {
    r.onlyFrom(r.fieldsFrom("releases"), tier, "tier 0 is one droplet, with no load balancer a gate could watch");
    return { gateTimeoutMinutes: r.int("releases.gateTimeoutMinutes") };
}

/**
 * `secrets.delivery`. With "manual" nothing can hand the secrets file to droplets DigitalOcean creates
 * itself (autoscale members that carry the app), nor a custom certificate to HAProxy droplets: refused.
 */
export function readSecretsDelivery(
    r: ConfigReader,
    tier: Tier,
    pools: { web: PoolSettings; appPool?: PoolSettings },
    loadBalancer: StackSettings["loadBalancer"],
    certificate: StackSettings["certificate"],
): SecretsDelivery {
    const delivery = r.choice<SecretsDelivery>("secrets.delivery");
    if (delivery !== "manual") return delivery;
    const fix = `Fix: pulumi config set --path '${r.path("secrets.delivery")}' userData`;
    const autoscaled: [string, PoolSettings | undefined][] = [
        ["app.autoscale", pools.appPool],
        ["web.autoscale", tier === 1 ? pools.web : undefined],
    ];
    for (const [key, pool] of autoscaled) {
        if (!pool?.autoscale) continue;
        r.problem(
            `${r.path(key)}: needs secrets.delivery "userData"; DigitalOcean creates autoscale members itself, so no one can copy the secrets file onto them with secrets.delivery "manual"; got ${show(r.get(key))}. ${fix}, or pulumi config rm --path '${r.path(key)}'`,
        );
    }
    if (loadBalancer?.engine === "haproxy" && certificate?.kind === "custom") {
        r.problem(
            `${r.path("certificate.kind")}: "custom" with the haproxy engine needs secrets.delivery "userData", the channel that carries the private key to the HAProxy droplets; got "custom" with secrets.delivery "manual". ${fix}`,
        );
    }
    return delivery;
}

/** The certificate the load balancers terminate TLS with (tier 2+): Let's Encrypt, or custom PEM material. */
export function readCertificate(r: ConfigReader, tier: Tier, profile: TierProfile): StackSettings["certificate"] {
    r.onlyFrom(
        [...r.fieldsFrom("certificate"), "tlsPrivateKey", "tlsCertificate", "tlsCertificateChain"],
        tier,
        "TLS is terminated at the load balancer from tier 2",
    );
    if (!profile.tls) return undefined;
    const kind = r.choice<"lets_encrypt" | "custom">("certificate.kind");
    const { tlsPrivateKey, tlsCertificate, tlsCertificateChain } = r.values;
    if (kind === "lets_encrypt") {
        for (const name of ["tlsPrivateKey", "tlsCertificate", "tlsCertificateChain"]) {
            if (r.values[name] !== undefined) {
                r.problem(
                    `${r.path(name)}: used only when certificate.kind is "custom"; got a value with kind "lets_encrypt". Fix: pulumi config rm ${r.path(name)}`,
                );
            }
        }
        return { kind };
    }
    const pem = (name: string, value: unknown, secret: boolean) => {
        if (typeof value === "string" && value.includes("-----BEGIN")) return;
        // A private key is never echoed.
        const got = value === undefined ? "nothing" : secret ? "a value that is not PEM" : show(value);
        r.problem(
            `${r.path(name)}: required as PEM text when certificate.kind is "custom"; got ${got}. Fix: pulumi config set${secret ? " --secret" : ""} ${r.path(name)} < ${secret ? "privkey.pem" : "cert.pem"}`,
        );
    };
    pem("tlsPrivateKey", tlsPrivateKey, true);
    pem("tlsCertificate", tlsCertificate, false);
    return {
        kind,
        privateKey: String(tlsPrivateKey),
        leafCertificate: String(tlsCertificate),
        certificateChain: typeof tlsCertificateChain === "string" ? tlsCertificateChain : undefined,
    };
}
