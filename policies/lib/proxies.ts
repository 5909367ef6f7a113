// Pure readers of reverse-proxy configurations other than HAProxy (lib/haproxy.ts) carried in droplet user data:
// nginx, Caddy and Traefik. A droplet is a load balancer only when its proxy spreads requests over at least two
// backends: one nginx proxying to a local app (`proxy_pass http://127.0.0.1:8080`) or to a single upstream
// server is a web server, not a balancer. Loopback backends (127.x, localhost, ::1) never count.
import { memoByText } from "./userData";

export type ProxySoftware = "nginx" | "Caddy" | "Traefik";

/** A self-run load balancer found in user data: which software and the backends it balances over. */
export interface ProxyBalancer {
    software: ProxySoftware;
    servers: string[];
    /** What its configuration lacks to serve the public over TLS only. */
    tlsGaps: ("no-tls-listener" | "no-redirect")[];
}

const LOOPBACK = /^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:127\.|localhost\b|\[?::1\]?)/i;
const installs = (name: string, text: string): boolean =>
    new RegExp(
        `(?:apt(?:-get)?\\s+(?:-\\S+\\s+)*install|dnf\\s+install|yum\\s+install|apk\\s+add|docker\\s+run|image:)[^\\n]*(?<![\\w.-])${name}(?![\\w.-])|packages:(?:\\n\\s*-\\s*\\S+)*\\n\\s*-\\s*${name}\\s*$`,
        "im",
    ).test(text);
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
