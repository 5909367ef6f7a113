// The account preflight: what DigitalOcean would refuse half-way through `pulumi up`, or what would never serve,
// found before anything is created. Pure: index.ts reads the account (digitalocean.getAccount), the zone, the
// region's default VPC and the stack's previous outputs, then calls `preflight`.
import { answers, placeholderApp } from "../hostConfig/placeholderApps";
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

/** What the preflight read besides the account (index.ts, checkAccount); a field left out was not read. */
export interface AccountState {
    /** Whether the account's DNS already hosts the stack's zone (read in both `dns.zone` modes). */
    readonly zoneHosted?: boolean;
    /** Whether an update of this stack has completed before (its previous outputs hold `url`): a hosted zone may
     *  then be the one it created. */
    readonly deployedBefore?: boolean;
    /**
     * The hosted zone's records at the apex and www that send the site somewhere (A, AAAA, CNAME), as "name type
     * value", read when the zone is there and this stack never completed an update; absent when not read.
     */
    readonly zoneSiteRecords?: readonly string[];
    /** The region's default VPC (`digitalocean.getVpc({ region })`); null when the account has no VPC there. */
    readonly regionDefaultVpc?: { readonly name: string; readonly description: string } | null;
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

/**
 * The most droplets and reserved IPs the stack runs at once: fixed pools, autoscale maxima, HAProxy droplets and the
 * monitor. And the most an update can need: Pulumi creates a replacement before it deletes the old resource, and
 * deletes only at the end of the update (pulumi/pulumi@1b59498 pkg/resource/deploy/step_generator.go:2328
 * GenerateDeletes), so an update that replaces every fixed droplet (a webstack release that renders new host configs)
 * runs the old and the new side by side: `releasePeak`. DigitalOcean replaces an autoscale pool's members itself.
 */
export function accountNeeds(s: StackSettings): {
    droplets: number;
    reservedIps: number;
    parts: string[];
    releasePeak: number;
} {
    const parts: string[] = [];
    let droplets = 0;
    let fixed = 0;
    const count = (n: number, part: string, replacedByPulumi: boolean) => {
        droplets += n;
        if (replacedByPulumi) fixed += n;
        parts.push(part);
    };
    const pool = (role: "web" | "app", p: PoolSettings | undefined) => {
        if (!p) return;
        if (p.autoscale) count(p.autoscale.max, `${role}.autoscale.max ${p.autoscale.max}`, false);
        else count(p.count, `${role}.count ${p.count}`, true);
    };
    // Tier 0's droplet holds MySQL: protected, a release never replaces it (only allowDataLoss lets one).
    const webReplaced = s.database !== undefined || s.allowDataLoss;
    if (s.web.autoscale || webReplaced) pool("web", s.web);
    else count(s.web.count, `web.count ${s.web.count}`, false);
    pool("app", s.appPool);
    const haproxy = s.loadBalancer?.engine === "haproxy" ? s.loadBalancer.count : 0;
    if (haproxy > 0) count(haproxy, `loadBalancer.count ${haproxy} HAProxy`, true);
    if (s.logs) count(1, "the monitor", true);
    return { droplets, reservedIps: haproxy, parts, releasePeak: droplets + fixed };
}

const path = (key: string) => `${NAMESPACE}:${key}`;

/**
 * Whether the stack adopts the zone the account already hosts (WebStack `adoptZone`): `dns.zone` create, no update of
 * the stack completed, and no apex or www record in the zone that sends the site elsewhere, which a second set of
 * records beside it would split the traffic of (another stack's zone).
 */
export function adoptsZone(s: StackSettings, state: AccountState): boolean {
    return (
        s.dns.zone === "create" &&
        state.zoneHosted === true &&
        state.deployedBefore === false &&
        state.zoneSiteRecords !== undefined &&
        state.zoneSiteRecords.length === 0
    );
}
const SLACK_FIX = `send alerts to Slack instead, which has no such rule: pulumi config set --path '${path("alerts.slackChannel")}' '#ops' and pulumi config set --secret ${path("slackWebhookUrl")} https://hooks.slack.com/services/…`;

/** Everything DigitalOcean would refuse for this stack on this account, and what would never serve. */
export function preflight(s: StackSettings, account: AccountFacts, state: AccountState = {}): PreflightResult {
    const problems: string[] = [];
    const notes: string[] = [];
    const { zoneHosted } = state;

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
    // GET /v2/account returns droplet_limit and floating_ip_limit only to a token with droplet:read and
    // reserved_ip:read (digitalocean/openapi@7c1300c specification/resources/account/models/account.yml:4-16);
    // without them the provider reports 0, which no active account has.
    if (account.dropletLimit === 0) {
        problems.push(
            `DigitalOcean account: the droplet limit reads 0, as it does when the API token lacks the scope "droplet:read", which the stack's droplets need as well; got 0. Fix: add droplet:read (and the other scopes in docs/account-requirements.md) to the token, then pulumi config set --secret digitalocean:token <the new token>`,
        );
    } else if (needs.droplets > account.dropletLimit) {
        problems.push(
            `${path("web.count")}: the stack runs up to ${needs.droplets} droplets (${needs.parts.join(", ")}) but the account allows ${account.dropletLimit} in all, other stacks' droplets included; got ${needs.droplets}. Fix: lower web.count, app.count or the autoscale maxima, or ask DigitalOcean support to raise the droplet limit`,
        );
    } else if (needs.releasePeak > account.dropletLimit) {
        notes.push(
            `DigitalOcean account: the stack runs ${needs.droplets} droplets, but an update that replaces all of them (a webstack release that renders new host configs) keeps the old ones serving until the new ones do, ${needs.releasePeak} at once, and the account allows ${account.dropletLimit} in all, other stacks' droplets included. Such an update would stop at a droplet's create, deleting nothing. Fix: ask DigitalOcean support to raise the droplet limit to at least ${needs.releasePeak}`,
        );
    }
    if (needs.reservedIps > 0 && account.floatingIpLimit === 0) {
        problems.push(
            `DigitalOcean account: the reserved IP limit reads 0, as it does when the API token lacks the scope "reserved_ip:read", which the haproxy engine's reserved IPs need as well; got 0. Fix: add reserved_ip:read (and the other scopes in docs/account-requirements.md) to the token, then pulumi config set --secret digitalocean:token <the new token>`,
        );
    } else if (needs.reservedIps > account.floatingIpLimit) {
        problems.push(
            `${path("loadBalancer.count")}: the haproxy engine needs one reserved IP per HAProxy droplet, ${needs.reservedIps} in all, but the account allows ${account.floatingIpLimit}; got ${needs.reservedIps}. Fix: pulumi config set --path '${path("loadBalancer.count")}' ${Math.max(account.floatingIpLimit, 1)}, or ask DigitalOcean support to raise the reserved IP limit`,
        );
    }

    if (isReservedDomain(s.domain)) {
        problems.push(
            `${path("domain")}: a reserved example domain (RFC 2606), which cannot be delegated to DigitalOcean, so neither its records nor a certificate would ever work; got ${show(s.domain)}. Fix: pulumi config set ${path("domain")} <a domain you control>`,
        );
    }
    // Domain names are unique at DigitalOcean, and the stack keeps its zone on destroy (retainOnDelete): after a
    // pulumi destroy, or once someone added the domain by hand, "create" would fail at the zone half-way through.
    if (adoptsZone(s, state))
        notes.push(
            `${path("dns.zone")}: the account's DNS already has the zone ${show(s.domain)}, with no record that sends ${show(s.domain)} or www anywhere, and no update of this stack has completed (an earlier pulumi destroy keeps the zone, a first update that failed before DNS created it, or it was added by hand), so this update adopts it (Pulumi import) rather than create a second one, which DigitalOcean refuses.`,
        );
    else if (s.dns.zone === "create" && zoneHosted === true && state.deployedBefore === false) {
        const serving = state.zoneSiteRecords?.length
            ? `, whose records already send the site somewhere (${state.zoneSiteRecords.join(", ")}): another stack's, or this one's from a first pulumi up that failed part-way`
            : "";
        problems.push(
            `${path("dns.zone")}: "create" makes a new zone, but the account's DNS already has the zone ${show(s.domain)}${serving} (kept by an earlier pulumi destroy, which never deletes the zone, created by a first pulumi up that failed part-way, or added by hand), and DigitalOcean holds one zone per name; got "create". Fix: pulumi config set --path '${path("dns.zone")}' existing`,
        );
    }
    if (s.dns.zone === "existing" && zoneHosted === false) {
        problems.push(
            `${path("dns.zone")}: "existing" adopts a zone already at DigitalOcean, but the account's DNS has no zone ${show(s.domain)}; got "existing". Fix: add the domain under Networking > Domains (or doctl compute domain create ${s.domain}), or pulumi config set --path '${path("dns.zone")}' create`,
        );
    }
    // DigitalOcean's Let's Encrypt certificates are validated through DigitalOcean DNS: the zone must be there. A
    // `lets_encrypt` certificate takes only `dns_names` (digitalocean/openapi@7c1300c
    // specification/resources/certificates/certificates_create.yml:13-14), so DigitalOcean proves control itself.
    if (
        s.certificate?.kind === "lets_encrypt" &&
        s.loadBalancer?.engine === "managed" &&
        (isReservedDomain(s.domain) || (s.dns.zone === "existing" && zoneHosted === false))
    ) {
        problems.push(
            `${path("certificate.kind")}: "lets_encrypt" needs DigitalOcean DNS to host ${show(s.domain)}, which it ${isReservedDomain(s.domain) ? "cannot (a reserved domain)" : "does not (no such zone in the account)"}; got "lets_encrypt". Fix: use a domain whose zone is at DigitalOcean, or pulumi config set --path '${path("certificate.kind")}' custom with tlsPrivateKey and tlsCertificate`,
        );
    }

    appProblems(s, problems, notes);
    notes.push(...adminCidrNotes(s), ...regionVpcNotes(s, state.regionDefaultVpc));

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

/**
 * A placeholder `app.image` (components/hostConfig/placeholderApps.ts): refused when the load balancers' health path
 * or the app port is one it does not serve, and named in a note otherwise, so no stack ships it by accident.
 */
function appProblems(s: StackSettings, problems: string[], notes: string[]): void {
    const app = placeholderApp(s.app.image);
    if (!app) return;
    const image = `the placeholder image ${show(s.app.image)}`;
    const orYourApp = `or pulumi config set --path '${path("app.image")}' <your app's image>`;
    if (s.app.port !== app.port) {
        problems.push(
            `${path("app.port")}: ${image} listens on ${app.port} only, so nginx would find nothing on the app port and answer 502; got ${show(s.app.port)}. Fix: pulumi config set --path '${path("app.port")}' ${app.port}, ${orYourApp}`,
        );
    }
    // Tier 0 has no load balancer, so nothing checks the health path there.
    if (s.loadBalancer && !answers(app, s.app.healthPath)) {
        const paths = app.answers === "every path" ? [] : app.answers;
        problems.push(
            `${path("app.healthPath")}: ${image} answers only ${paths.map((p) => show(p)).join(", ")} and 404 elsewhere, so every load balancer health check would fail and the site would answer 503; got ${show(s.app.healthPath)}. Fix: pulumi config set --path '${path("app.healthPath")}' ${paths[0]}, ${orYourApp}`,
        );
    }
    notes.push(
        `${path("app.image")}: ${show(s.app.image)} is a placeholder that serves ${app.serves} and uses no database; the site serves it until you set your app. Fix: pulumi config set --path '${path("app.image")}' <your app's image>`,
    );
}

/** The ranges reserved for documentation, which no real client has: RFC 5737 §3 (IPv4), RFC 3849 (IPv6). */
const DOCUMENTATION_RANGES = ["192.0.2.", "198.51.100.", "203.0.113."];

/** True for a CIDR inside a documentation range (192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24, 2001:db8::/32). */
export function isDocumentationCidr(cidr: string): boolean {
    const [address, bits] = cidr.toLowerCase().split("/");
    const prefix = bits === undefined ? undefined : Number(bits);
    if (address.includes(":")) return /^2001:0?db8:/.test(address) && (prefix === undefined || prefix >= 32);
    return DOCUMENTATION_RANGES.some((r) => address.startsWith(r)) && (prefix === undefined || prefix >= 24);
}

/** `adminCidrs` open SSH (and the monitor's tunnels) from tier 2 on; a documentation range opens it to no one. */
function adminCidrNotes(s: StackSettings): string[] {
    if (!s.firewalls) return [];
    return s.adminCidrs.flatMap((cidr, i) =>
        isDocumentationCidr(cidr)
            ? [
                  `${path("adminCidrs")}[${i}]: ${show(cidr)} is in a range reserved for documentation (RFC 5737, RFC 3849) that no real client comes from, so SSH to the droplets and the tunnels to Prometheus and Alertmanager (docs/monitoring.md) stay closed. Fix: pulumi config set --path '${path("adminCidrs")}[${i}]' <your office or VPN address>/32`,
              ]
            : [],
    );
}

/**
 * "If you do not currently have a VPC network in a specific datacenter region, the first one that you create will
 * be set as the default for that region. The default VPC for a region cannot be changed or deleted"
 * (digitalocean/openapi@7c1300c specification/resources/vpcs/vpcs_create.yml:9-11), and deleting it answers 403
 * (vpcs_delete.yml:9-12), so pulumi destroy would stop at the stack's VPC. Another VPC can take the default over
 * (models/vpc.yml:46-58; digitalocean/doctl@bc0c15a2 commands/vpcs.go, `vpcs update <id> --default=true`).
 */
function regionVpcNotes(s: StackSettings, regionDefault: AccountState["regionDefaultVpc"]): string[] {
    const create = `doctl vpcs create --name default-${s.region} --region ${s.region}`;
    if (regionDefault === null) {
        return [
            `${path("region")}: the account has no VPC in ${show(s.region)} yet, so the stack's VPC would become the region's default VPC, which DigitalOcean never deletes: pulumi destroy would then stop at it. Fix: before pulumi up, ${create} (the first VPC of a region becomes its default; docs/troubleshooting.md)`,
        ];
    }
    if (regionDefault && regionDefault.description.startsWith(`webstack ${s.stack} (`)) {
        return [
            `${path("region")}: the stack's VPC ${show(regionDefault.name)} is the default VPC of ${show(s.region)}, which DigitalOcean never deletes: pulumi destroy would stop at it. Fix: before pulumi destroy, ${create}, then doctl vpcs update <its id> --default=true (docs/troubleshooting.md)`,
        ];
    }
    return [];
}

/**
 * The preflight's reads and the custom-token scope each needs (digitalocean/openapi@7c1300c
 * specification/resources/account/account_get.yml:31-33, domains/domains_list.yml and domains_list_records.yml `security`, vpcs/vpcs_list.yml
 * `security`). A token with full access has them all.
 */
export const PREFLIGHT_READS = {
    account: { request: "GET /v2/account", scope: "account:read" },
    domains: { request: "GET /v2/domains", scope: "domain:read" },
    records: { request: "GET /v2/domains/{domain_name}/records", scope: "domain:read" },
    vpcs: { request: "GET /v2/vpcs", scope: "vpc:read" },
} as const;
export type PreflightRead = keyof typeof PREFLIGHT_READS;

const TOKEN_FIX = "then pulumi config set --secret digitalocean:token <the new token>";

/**
 * The problem to report for a failed preflight read, or undefined for an error that is none of the token's doing.
 * The provider passes godo's error text on: "<METHOD> <URL>: <status> (request \"<id>\") <message>"
 * (terraform-provider-digitalocean@401992a1 vendor/github.com/digitalocean/godo/godo.go:681-693); DigitalOcean
 * answers 401 to a token it does not know and 403 to one without the scope (shared/responses/unauthorized.yml,
 * forbidden.yml).
 */
export function readFailure(read: PreflightRead, err: unknown): string | undefined {
    const { request, scope } = PREFLIGHT_READS[read];
    const status = /https:\/\/api\.digitalocean\.com\/v2\/\S*: (401|403)\b/.exec(
        err instanceof Error ? err.message : String(err),
    )?.[1];
    if (status === "403") {
        return `DigitalOcean API token: refused ${request} with 403, so the token lacks the scope ${show(scope)}; got a token without ${scope}. Fix: add ${scope} and every other scope in docs/account-requirements.md to the token, ${TOKEN_FIX}`;
    }
    if (status === "401") {
        return `DigitalOcean API token: refused ${request} with 401, so the token is unknown, expired or revoked; got a token DigitalOcean does not accept. Fix: create a token with the scopes in docs/account-requirements.md, ${TOKEN_FIX}`;
    }
    return undefined;
}

/** True for the provider's answer to getVpc({ region }) in a region without a default VPC
 *  (terraform-provider-digitalocean@401992a1 digitalocean/vpc/datasource_vpc.go:143-155). */
export const isNoDefaultVpc = (err: unknown): boolean =>
    /unable to find default VPC in \S+ region/.test(err instanceof Error ? err.message : String(err));

/** The warning `pulumi preview` (and the offline plan) shows for the same problems. */
export const preflightWarning = (stack: string, problems: readonly string[]): string =>
    `pulumi up will refuse stack "${stack}" before creating anything:\n${formatProblems(problems)}`;

/**
 * The error `pulumi up` shows when the account would refuse the stack, or when the update needs its owner's decision
 * first (upgradePreflight.ts): every problem, one per line.
 */
export class PreflightError extends Error {
    constructor(
        readonly stack: string,
        readonly problems: readonly string[],
    ) {
        super(`Refused stack "${stack}" before creating anything:\n${formatProblems(problems)}`);
        this.name = "PreflightError";
    }
}
