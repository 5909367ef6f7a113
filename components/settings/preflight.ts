// The account preflight: what DigitalOcean would refuse half-way through `pulumi up`, found before anything is
// created. Pure: index.ts reads the account (digitalocean.getAccount) and the zone, then calls `preflight`.
import { formatProblems } from "../problems";
import { show } from "./configReader";
import { NAMESPACE, PoolSettings, StackSettings } from "./stackSettings";

/** What `digitalocean.getAccount` returns that the preflight needs (field names of GetAccountResult). */
export interface AccountFacts {
    /** "The total number of droplets current user or team may have active at one time." */
    readonly dropletLimit: number;
    /** The reserved (formerly floating) IP limit of the account. */
    readonly floatingIpLimit: number;
    /** "active", "warning" or "locked". */
    readonly status: string;
    readonly statusMessage?: string;
    /** The API token's user. */
    readonly email: string;
    readonly emailVerified: boolean;
}

/** Refusals fail `pulumi up`; notes are only ever warnings. */
export interface PreflightResult {
    readonly problems: string[];
    readonly notes: string[];
}

// Names reserved for documentation and testing, which nobody can delegate to DigitalOcean: RFC 2606 §2-3
// (example.com, example.net, example.org; .example, .test, .invalid, .localhost) and RFC 6761 §6.
const RESERVED_SECOND_LEVEL = ["example.com", "example.net", "example.org"];
const RESERVED_TOP_LEVEL = ["example", "test", "invalid", "localhost"];

/** True for a placeholder or reserved domain (or a name under one). */
export function isReservedDomain(domain: string): boolean {
    const d = domain.toLowerCase().replace(/\.$/, "");
    const labels = d.split(".");
    return (
        RESERVED_TOP_LEVEL.includes(labels[labels.length - 1]) ||
        RESERVED_SECOND_LEVEL.some((r) => d === r || d.endsWith(`.${r}`))
    );
}

/** The most droplets and reserved IPs the stack can run at once: fixed pools, autoscale maxima, HAProxy droplets. */
export function accountNeeds(s: StackSettings): { droplets: number; reservedIps: number; parts: string[] } {
    const parts: string[] = [];
    let droplets = 0;
    const pool = (role: "web" | "app", p: PoolSettings | undefined) => {
        if (!p) return;
        const n = p.autoscale ? p.autoscale.max : p.count;
        droplets += n;
        parts.push(p.autoscale ? `${role}.autoscale.max ${n}` : `${role}.count ${n}`);
    };
    pool("web", s.web);
    pool("app", s.appPool);
    const haproxy = s.loadBalancer?.engine === "haproxy" ? s.loadBalancer.count : 0;
    if (haproxy > 0) {
        droplets += haproxy;
        parts.push(`loadBalancer.count ${haproxy} HAProxy`);
    }
    return { droplets, reservedIps: haproxy, parts };
}

const path = (key: string) => `${NAMESPACE}:${key}`;
const SLACK_FIX = `send alerts to Slack instead, which has no such rule: pulumi config set --path '${path("alerts.slackChannel")}' '#ops' and pulumi config set --secret ${path("slackWebhookUrl")} https://hooks.slack.com/services/…`;

/**
 * Everything DigitalOcean would refuse for this stack on this account. `zoneHosted` says whether the account's
 * DNS already holds the zone (read only with `dns.zone: existing`; undefined otherwise).
 */
export function preflight(s: StackSettings, account: AccountFacts, zoneHosted: boolean | undefined): PreflightResult {
    const problems: string[] = [];
    const notes: string[] = [];

    if (account.status === "locked") {
        problems.push(
            `DigitalOcean account: status "locked"${account.statusMessage ? ` (${account.statusMessage})` : ""}; a locked account can create nothing. Fix: resolve it in the control panel (Billing, or a support ticket), then run pulumi up again`,
        );
    } else if (account.status !== "active") {
        notes.push(
            `DigitalOcean account: status ${show(account.status)}${account.statusMessage ? ` (${account.statusMessage})` : ""}; creating resources may fail.`,
        );
    }

    const needs = accountNeeds(s);
    if (needs.droplets > account.dropletLimit) {
        problems.push(
            `${path("web.count")}: the stack runs up to ${needs.droplets} droplets (${needs.parts.join(", ")}) but the account allows ${account.dropletLimit} in all, other stacks' droplets included; got ${needs.droplets}. Fix: lower web.count, app.count or the autoscale maxima, or ask DigitalOcean support to raise the droplet limit`,
        );
    }
    if (needs.reservedIps > account.floatingIpLimit) {
        problems.push(
            `${path("loadBalancer.count")}: the haproxy engine needs one reserved IP per HAProxy droplet, ${needs.reservedIps} in all, but the account allows ${account.floatingIpLimit}; got ${needs.reservedIps}. Fix: pulumi config set --path '${path("loadBalancer.count")}' ${Math.max(account.floatingIpLimit, 1)}, or ask DigitalOcean support to raise the reserved IP limit`,
        );
    }

    if (isReservedDomain(s.domain)) {
        problems.push(
            `${path("domain")}: a reserved example domain (RFC 2606), which cannot be delegated to DigitalOcean, so neither its records nor a certificate would ever work; got ${show(s.domain)}. Fix: pulumi config set ${path("domain")} <a domain you control>`,
        );
    }
    if (s.dns.zone === "existing" && zoneHosted === false) {
        problems.push(
            `${path("dns.zone")}: "existing" adopts a zone already at DigitalOcean, but the account's DNS has no zone ${show(s.domain)}; got "existing". Fix: add the domain under Networking > Domains (or doctl compute domain create ${s.domain}), or pulumi config set --path '${path("dns.zone")}' create`,
        );
    }
    // DigitalOcean's Let's Encrypt certificates are validated through DigitalOcean DNS: the zone must be there
    // (shared/reference/digitalocean.md, Certificates; digitalocean/openapi certificates/models/certificate_create.yml).
    if (
        s.certificate?.kind === "lets_encrypt" &&
        s.loadBalancer?.engine === "managed" &&
        (isReservedDomain(s.domain) || zoneHosted === false)
    ) {
        problems.push(
            `${path("certificate.kind")}: "lets_encrypt" needs DigitalOcean DNS to host ${show(s.domain)}, which it ${isReservedDomain(s.domain) ? "cannot (a reserved domain)" : "does not (no such zone in the account)"}; got "lets_encrypt". Fix: use a domain whose zone is at DigitalOcean, or pulumi config set --path '${path("certificate.kind")}' custom with tlsPrivateKey and tlsCertificate`,
        );
    }

    // Uptime alerts (tier 2+): "The Email has to be one that is verified on that DigitalOcean account"
    // (digitalocean/openapi specification/resources/uptime/models/notification.yml); any other address fails
    // UptimeAlert create with 400 at the end of the update. The API shows only the token user's own e-mail.
    if (s.monitoring) {
        s.alerts.emails.forEach((email, i) => {
            const domain = email.slice(email.lastIndexOf("@") + 1);
            const key = `${path("alerts.emails")}[${i}]`;
            if (isReservedDomain(domain)) {
                problems.push(
                    `${key}: at a reserved example domain, which can never be an e-mail verified on the DigitalOcean account, as uptime alerts require; got ${show(email)}. Fix: pulumi config set --path '${key}' <a team member's login e-mail>, or ${SLACK_FIX}`,
                );
            } else if (email.toLowerCase() === account.email.toLowerCase() && !account.emailVerified) {
                problems.push(
                    `${key}: the account's own e-mail is not verified yet, and uptime alerts go only to verified e-mails; got ${show(email)}. Fix: verify it from DigitalOcean's e-mail (control panel, Account > Settings), or ${SLACK_FIX}`,
                );
            } else if (email.toLowerCase() !== account.email.toLowerCase()) {
                notes.push(
                    `${key}: ${show(email)} must be the verified login e-mail of a member of the team that owns the API token (${account.email}), or creating the uptime alerts fails; distribution lists cannot be verified: use Slack for them.`,
                );
            }
        });
    }
    return { problems, notes };
}

/** The warning `pulumi preview` (and the offline plan) shows for the same problems. */
export const preflightWarning = (stack: string, problems: readonly string[]): string =>
    `pulumi up will fail for stack "${stack}" before creating anything; DigitalOcean would refuse:\n${formatProblems(problems)}`;

/** The error `pulumi up` shows when the account would refuse the stack: every problem, one per line. */
export class PreflightError extends Error {
    constructor(
        readonly stack: string,
        readonly problems: readonly string[],
    ) {
        super(`DigitalOcean would refuse stack "${stack}"; nothing was created:\n${formatProblems(problems)}`);
        this.name = "PreflightError";
    }
}
