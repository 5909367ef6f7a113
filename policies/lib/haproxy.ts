// Pure reader of an HAProxy configuration carried in droplet user data (a cloud-config `write_files` entry,
// a heredoc in a shell script: any text whose lines hold HAProxy's section keywords). It answers what the
// TLS, SPOF and network policies need to know about a self-managed load balancer: does it proxy at all,
// does it terminate TLS on 443 with a certificate, and does it redirect plain HTTP to HTTPS.
import { installsHaproxy } from "./userData";

/** One `frontend` or `listen` section: what it binds and whether it redirects to HTTPS. */
export interface HaproxyFrontend {
    name: string;
    binds: { port: number | undefined; ssl: boolean; crt: boolean; line: string }[];
    redirectsToHttps: boolean;
}

const SECTION =
    /^(global|defaults|frontend|backend|listen|resolvers|peers|userlist|program|http-errors|ring|cache|mailers)\b\s*(\S*)/;

/** The frontends (and `listen` sections) of the HAProxy config in some text; empty when there is none. */
export function haproxyFrontends(text: string): HaproxyFrontend[] {
    const frontends: HaproxyFrontend[] = [];
    let current: HaproxyFrontend | undefined;
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.replace(/#.*$/, "").trim();
        if (line === "") continue;
        const section = SECTION.exec(line);
        if (section) {
            current =
                section[1] === "frontend" || section[1] === "listen"
                    ? { name: section[2] || section[1], binds: [], redirectsToHttps: false }
                    : undefined;
            if (current) frontends.push(current);
            continue;
        }
        if (!current) continue;
        const bind = /^bind\s+(\S+)(.*)$/.exec(line);
        if (bind) {
            const port = /:(\d+)$/.exec(bind[1]);
            current.binds.push({
                port: port ? Number(port[1]) : undefined,
                ssl: /\sssl\b/.test(bind[2]),
                crt: /\scrt(?:-list)?\s+\S+/.test(bind[2]),
                line,
            });
        } else if (/^(?:http-request\s+)?redirect\s+scheme\s+https\b/.test(line)) {
            current.redirectsToHttps = true;
        }
    }
    return frontends;
}

/** True when the user data installs HAProxy and configures at least one frontend that binds a port. */
export function configuresHaproxy(userData: string): boolean {
    return installsHaproxy(userData) && haproxyFrontends(userData).some((f) => f.binds.length > 0);
}

/** What an HAProxy config lacks to serve the public over TLS only; empty when nothing. */
export function haproxyTlsGaps(
    userData: string,
    httpsPort = 443,
    httpPort = 80,
): ("no-tls-listener" | "no-redirect")[] {
    const frontends = haproxyFrontends(userData);
    const gaps: ("no-tls-listener" | "no-redirect")[] = [];
    // Without a TLS listener there is nothing to redirect to: one finding, not two.
    if (!frontends.some((f) => f.binds.some((b) => b.port === httpsPort && b.ssl && b.crt))) return ["no-tls-listener"];
    const plain = frontends.filter((f) => f.binds.some((b) => b.port === httpPort && !b.ssl));
    if (plain.some((f) => !f.redirectsToHttps)) gaps.push("no-redirect");
    return gaps;
}

/** The `server` addresses of the config's backends, loopback helpers (e.g. certbot on 127.0.0.1) excluded. */
export function haproxyServers(text: string): string[] {
    const servers: string[] = [];
    let inBackend = false;
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.replace(/#.*$/, "").trim();
        const section = SECTION.exec(line);
        if (section) {
            inBackend = section[1] === "backend" || section[1] === "listen";
            continue;
        }
        const server = inBackend ? /^server\s+\S+\s+(\S+)/.exec(line) : null;
        if (server && !/^(127\.|localhost\b|\[?::1\]?)/.test(server[1])) servers.push(server[1]);
    }
    return servers;
}

/** A `server-template`: HAProxy fills up to `slots` servers at run time from the A records of `name`. */
export interface ServerTemplate {
    readonly name: string;
    /** Absent, a server takes the port the connection arrived on (the manual's `server` <port>). */
    readonly port?: number;
    readonly slots: number;
}

/**
 * The `server-template`s that serve the site: those of the backends the frontends send requests to by default
 * (`default_backend`; a backend chosen by a rule, such as one for ACME challenges, does not serve the site) and those
 * of `listen` sections, which serve what they bind. The syntax is HAProxy's configuration manual (2.6,
 * configuration.txt section 4.2): `server-template <prefix> <num | range> <fqdn>[:<port>] [params*]`, where <num>
 * makes servers 1 to <num> and a range <low>-<high> makes <low> to <high>.
 */
export function haproxyServerTemplates(text: string): ServerTemplate[] {
    const used = new Set<string>();
    const templates = new Map<string, ServerTemplate[]>();
    let proxy: string | undefined;
    for (const raw of text.split(/\r?\n/)) {
        const line = raw.replace(/#.*$/, "").trim();
        const section = SECTION.exec(line);
        if (section) {
            proxy = section[1] === "backend" || section[1] === "listen" ? section[2] : undefined;
            if (section[1] === "listen") used.add(section[2]);
            continue;
        }
        const uses = /^default_backend\s+(\S+)/.exec(line);
        if (uses) used.add(uses[1]);
        const template = proxy
            ? /^server-template\s+\S+\s+(\d+)(?:-(\d+))?\s+([^\s:]+)(?::(\d+))?(?:\s|$)/.exec(line)
            : null;
        if (!proxy || !template) continue;
        const [low, high] = [Number(template[1]), template[2] === undefined ? undefined : Number(template[2])];
        templates.set(proxy, [
            ...(templates.get(proxy) ?? []),
            {
                name: template[3].replace(/\.$/, ""),
                port: template[4] === undefined ? undefined : Number(template[4]),
                slots: high === undefined ? low : Math.max(0, high - low + 1),
            },
        ]);
    }
    return [...templates].filter(([p]) => used.has(p)).flatMap(([, t]) => t);
}
