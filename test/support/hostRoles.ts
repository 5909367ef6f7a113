// One realistic input per host role, shaped like what WebStack passes (managed database facts as the DigitalOcean
// provider reports them), plus the secret values that must never reach user data.
import type { AppSpec, DatabaseEndpoint, HostRole } from "../../components/hostConfig/types";
import { DRAIN_SECONDS } from "../../components/hostRoles";

export const APP: AppSpec = { image: "registry.digitalocean.com/acme/shop:1.4.2", port: 8080 };

export const DATABASE: DatabaseEndpoint = {
    host: "private-web-db-do-user-1-0.b.db.ondigitalocean.com",
    port: 25060,
    user: "app",
    database: "shop",
};

export const CACHE = { host: "private-web-cache-do-user-1-0.b.db.ondigitalocean.com", port: 25061 };

/** The internal load balancer in front of the app pool (tier >= 2). */
export const APP_LB = { host: "10.110.0.9", port: 8080 };

/** Web servers listed in haproxy.cfg: the renderer's other mode, which the stack no longer uses. */
export const WEB_BACKENDS = [
    { host: "10.110.0.2", port: 80 },
    { host: "10.110.0.3", port: 80 },
    { host: "10.110.0.4", port: 80 },
];

/** The names HAProxy droplets find the web pool and their ACME peers by. */
export const WEB_POOL = { name: "webstack-metrics-web.www.example.com", port: 80 };
export const ACME_PEERS = { name: "webstack-lb-peers.www.example.com" };

export const ROLES = {
    "all-in-one": { kind: "all-in-one", app: APP, webPort: 80 },
    "web-and-app": { kind: "web-and-app", app: APP, webPort: 80, database: DATABASE, drainSeconds: DRAIN_SECONDS },
    web: { kind: "web", webPort: 80, upstream: APP_LB, drainSeconds: DRAIN_SECONDS },
    app: { kind: "app", app: APP, database: DATABASE, cache: CACHE, drainSeconds: DRAIN_SECONDS },
    "app without cache": { kind: "app", app: APP, database: DATABASE, drainSeconds: DRAIN_SECONDS },
    "haproxy with TLS": {
        kind: "haproxy",
        webPool: WEB_POOL,
        acmePeers: ACME_PEERS,
        algorithm: "roundrobin",
        tls: true,
        domain: "www.example.com",
    },
    "haproxy without TLS": {
        kind: "haproxy",
        webPool: WEB_POOL,
        algorithm: "leastconn",
        tls: false,
        domain: "www.example.com",
    },
} satisfies Record<string, HostRole>;

/**
 * Values that would only be in user data if a secret leaked: the recording mock engine's database passwords
 * (`mock-password-<hash>`), connection URIs with credentials, and private-key material.
 */
export const SECRET_MARKERS = [
    /mock-password/i,
    /mysql:\/\/[^\s/]*:[^\s/]*@/i,
    /rediss?:\/\/[^\s/]*:[^\s/]*@/i,
    /BEGIN [A-Z ]*PRIVATE KEY/,
];

/**
 * Every `...password=value` or `...password: value` assignment whose value is not a reference to something the
 * host holds (`$var`, `$(cat file)`, a printf `%s`), and every `IDENTIFIED BY '<literal>'`.
 */
export function literalPasswordAssignments(text: string): string[] {
    const found: string[] = [];
    for (const m of text.matchAll(/\b\w*(?:password|passwd|secret|token)\w*\s*[=:]\s*(\S+)/gi)) {
        if (!/^["']?(?:\$|%s)/.test(m[1])) found.push(m[0]);
    }
    for (const m of text.matchAll(/IDENTIFIED\s+BY\s+'([^']*)'/gi)) {
        if (!m[1].startsWith("$")) found.push(m[0]);
    }
    return found;
}
