// Pure readers of reverse-proxy configurations other than HAProxy (lib/haproxy.ts) carried in droplet user data:
// nginx, Caddy and Traefik. A droplet is a load balancer only when its proxy spreads requests over at least two
// backends: one nginx proxying to a local app (`proxy_pass http://127.0.0.1:8080`) or to a single upstream
// server is a web server, not a balancer. Loopback backends (127.x, localhost, ::1) never count.
import { containersIn, memoByText, repositoryName, withoutComments } from "./userData";

export type ProxySoftware = "nginx" | "Caddy" | "Traefik";

/** A self-run load balancer found in user data: which software and the backends it balances over. */
export interface ProxyBalancer {
    software: ProxySoftware;
    servers: string[];
    /** What its configuration lacks to serve the public over TLS only. */
    tlsGaps: ("no-tls-listener" | "no-redirect")[];
}

const LOOPBACK = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:127\.|localhost\b|\[?::1\]?)/i;
/**
 * Installed by a package manager (apt, dnf, yum, apk, a cloud-config `packages:` list) or run as a container of its
 * image (`docker run` as docker reads it, over continued lines; compose `image:`). A container's name, a mounted
 * path or another word of a `docker run` line is not its image.
 */
const installs = (name: string, text: string): boolean =>
    new RegExp(
        `(?:apt(?:-get)?\\s+(?:-\\S+\\s+)*install|dnf\\s+install|yum\\s+install|apk\\s+add)[^\\n]*(?<![\\w.-])${name}(?![\\w.-])|packages:(?:\\n\\s*-\\s*\\S+)*\\n\\s*-\\s*${name}\\s*$`,
        "im",
    ).test(text) || containersIn(withoutComments(text)).some((c) => repositoryName(c.repository) === name);
const remote = (servers: string[]): string[] => servers.filter((s) => !LOOPBACK.test(s));

/** nginx: the servers of an `upstream` block that some `proxy_pass` sends to (nginx.org ngx_http_upstream_module). */
function nginxBalancer(text: string): ProxyBalancer | undefined {
    if (!installs("nginx", text)) return undefined;
    const upstreams = new Map<string, string[]>();
    for (const block of text.matchAll(/\bupstream\s+([\w.-]+)\s*\{([^}]*)\}/g)) {
        upstreams.set(
            block[1],
            [...block[2].matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]),
        );
    }
    const targets = [...text.matchAll(/\bproxy_pass\s+https?:\/\/([\w.-]+)/g)].map((m) => m[1]);
    const servers = [...new Set(targets.flatMap((t) => remote(upstreams.get(t) ?? [])))];
    if (servers.length < 2) return undefined;
    const tlsGaps: ProxyBalancer["tlsGaps"] = [];
    if (!/\blisten\s+[^;]*\b443\b[^;]*\bssl\b/.test(text) || !/\bssl_certificate\s+\S/.test(text))
        tlsGaps.push("no-tls-listener");
    else if (!/\b(?:return\s+30[178]\s+https:\/\/|rewrite\s+\S+\s+https:\/\/)/.test(text)) tlsGaps.push("no-redirect");
    return { software: "nginx", servers, tlsGaps };
}

/** Caddy: a `reverse_proxy` with several upstreams, inline or in a `to` line (caddyserver.com/docs/caddyfile/directives/reverse_proxy). */
function caddyBalancer(text: string): ProxyBalancer | undefined {
    if (!installs("caddy", text)) return undefined;
    const servers: string[] = [];
    for (const m of text.matchAll(/^\s*(?:reverse_proxy|to)\s+([^{\n]+)/gm)) {
        servers.push(
            ...m[1]
                .trim()
                .split(/\s+/)
                .filter((s) => !s.startsWith("/") && !s.startsWith("@") && s !== "*"),
        );
    }
    const backends = [...new Set(remote(servers))];
    if (backends.length < 2) return undefined;
    // Caddy serves HTTPS and redirects HTTP by itself for a site named by a domain, unless told not to
    // (caddyserver.com/docs/automatic-https); an http:// or :80-only site address opts out.
    const optedOut =
        /\bauto_https\s+off\b/.test(text) ||
        (/^\s*(?:http:\/\/\S+|:80)\s*\{/m.test(text) &&
            !/^\s*(?:https:\/\/)?[a-z0-9.-]+\.[a-z]{2,}(?::443)?\s*\{/im.test(text));
    return {
        software: "Caddy",
        servers: backends,
        tlsGaps: optedOut
            ? ["no-tls-listener"]
            : /\bauto_https\s+disable_redirects\b/.test(text)
              ? ["no-redirect"]
              : [],
    };
}

/** Traefik: a service loadBalancer with several server URLs (doc.traefik.io/traefik/routing/services/). */
function traefikBalancer(text: string): ProxyBalancer | undefined {
    if (!installs("traefik", text)) return undefined;
    const urls = [...text.matchAll(/\burl\s*[:=]\s*["']?(https?:\/\/[^\s"']+)/g)].map((m) => m[1]);
    const servers = [...new Set(remote(urls))];
    if (servers.length < 2) return undefined;
    const tlsGaps: ProxyBalancer["tlsGaps"] = [];
    const tls =
        /(?:address\s*[:=]\s*["']?:443\b|entrypoints\.\w+\.address=:443\b)/i.test(text) &&
        /\b(?:certResolver|certresolvers?|certFile|certificates)\b/i.test(text);
    if (!tls) tlsGaps.push("no-tls-listener");
    else if (!/(?:redirections\.entrypoint\.scheme=https|scheme\s*[:=]\s*["']?https\b|redirectScheme)/i.test(text))
        tlsGaps.push("no-redirect");
    return { software: "Traefik", servers, tlsGaps };
}

/** The nginx, Caddy or Traefik load balancer the user data configures, if any. */
export const proxyBalancerIn = memoByText(
    (userData: string): ProxyBalancer | undefined =>
        nginxBalancer(userData) ?? caddyBalancer(userData) ?? traefikBalancer(userData),
);

/** TLS a droplet terminates itself, with a certificate it obtains and renews on its own. */
export interface DropletTls {
    /** "Caddy (automatic HTTPS)", "Traefik (ACME)", "nginx with certbot", … */
    how: string;
    /** What it lacks to serve the public over TLS only. */
    tlsGaps: ("no-tls-listener" | "no-redirect")[];
}

/** Container images that front a host's web traffic with Let's Encrypt certificates on their own (any owner). */
const ACME_PROXY_REPOSITORIES = new Set([
    "acme-companion",
    "letsencrypt-nginx-proxy-companion",
    "swag",
    "caddy-docker-proxy",
]);

/**
 * Whether the user data sets up TLS on the droplet itself with an ACME (Let's Encrypt) certificate:
 *  - Caddy serving a site named by a domain: automatic HTTPS obtains and renews the certificate and redirects HTTP
 *    (caddyserver.com/docs/automatic-https), unless `auto_https off` or only http:// / :80 sites;
 *  - Traefik with an ACME certificate resolver and an entry point on :443 (doc.traefik.io/traefik/https/acme/);
 *  - certbot (--nginx, --apache, certonly) obtaining a certificate, certbot's packages renewing it by timer
 *    (eff-certbot.readthedocs.io/en/stable/using.html#automated-renewals); since certbot 1.0.0 the nginx and apache
 *    installers redirect HTTP to HTTPS unless told --no-redirect (certbot CHANGELOG, 1.0.0, "Changed"); certonly
 *    needs the TLS server block and the redirect written by hand;
 *  - the nginx-proxy acme-companion, linuxserver's SWAG or caddy-docker-proxy started as containers.
 * In user data or in a container the same user data starts (docker run, compose `image:`).
 */
export const dropletTlsIn = memoByText((userData: string): DropletTls | undefined => {
    const text = withoutComments(userData);
    const images = containersIn(text).map((c) => c.repository);
    if (installs("caddy", text) || images.includes("caddy")) {
        const domainSite =
            /^\s*(?:https:\/\/)?[a-z0-9*.-]+\.[a-z]{2,}(?::443)?(?:\s*,\s*\S+)*\s*\{/im.test(text) ||
            /\breverse-proxy\b[^\n]*--from\s+(?:https:\/\/)?[a-z0-9.-]+\.[a-z]{2,}/i.test(text) ||
            /\bfile-server\b[^\n]*--domain\s+[a-z0-9.-]+\.[a-z]{2,}/i.test(text);
        if (domainSite && !/\bauto_https\s+off\b/.test(text))
            return {
                how: "Caddy (automatic HTTPS)",
                tlsGaps: /\bauto_https\s+disable_redirects\b/.test(text) ? ["no-redirect"] : [],
            };
    }
    if (installs("traefik", text) || images.includes("traefik")) {
        const acme = /certificates?resolvers?[.\w-]*\.acme\b|certificatesResolvers:[\s\S]*?\bacme:/i.test(text);
        const https = /(?:address\s*[:=]\s*["']?:443\b|entrypoints\.[\w-]+\.address=:443\b)/i.test(text);
        if (acme && https)
            return {
                how: "Traefik (ACME certificate resolver)",
                tlsGaps:
                    /(?:redirections\.entrypoint\.scheme=https|redirections:[\s\S]*?scheme:\s*https|redirectScheme)/i.test(
                        text,
                    )
                        ? []
                        : ["no-redirect"],
            };
    }
    const certbot = /(?<![\w.-])certbot\s+(?:[^\n]*\s)?(?:--nginx|--apache|certonly|run)\b/i.test(text);
    if (certbot) {
        // The web server certbot works with: the one it installs into, or the one the user data configures (a
        // certonly run with --standalone or --webroot names none).
        const server =
            /--apache\b/.test(text) || /SSLEngine\s+on/i.test(text)
                ? "Apache"
                : /--nginx\b/.test(text) || /(?<![\w-])nginx\b/.test(text)
                  ? "nginx"
                  : undefined;
        const installer = /--(?:nginx|apache)\b/.test(text);
        const redirect =
            (installer && !/--no-redirect\b/.test(text)) ||
            /\b(?:return\s+30[178]\s+https:\/\/|rewrite\s+\S+\s+https:\/\/|Redirect\s+(?:permanent\s+)?\S+\s+https:\/\/)/i.test(
                text,
            );
        // `certbot --nginx` (and --apache) also writes the TLS server block; certonly needs one written by hand.
        const listener = installer || /\blisten\s+[^;]*\b443\b[^;]*\bssl\b/.test(text) || /SSLEngine\s+on/i.test(text);
        return {
            how: server ? `${server} with certbot` : "certbot",
            tlsGaps: !listener ? ["no-tls-listener"] : redirect ? [] : ["no-redirect"],
        };
    }
    if (images.some((r) => ACME_PROXY_REPOSITORIES.has(repositoryName(r))))
        return { how: "an ACME proxy container", tlsGaps: [] };
    return undefined;
});
