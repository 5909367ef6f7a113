// Pure renderer of the nginx site that web roles run (tier 0 and 1: in front of the local app container;
// tier >= 2: in front of the app pool's internal load balancer). No Pulumi, no I/O: options in, text out.
import { checkHealthPath, checkHost, checkPort, formatProblems } from "./checks";
import { DRAIN_FLAG } from "./drain";
import { IDENTITY_INCLUDE_GLOB } from "./servingIdentity";
import { ABSOLUTE_DIR_PATTERN, STATIC_FILES_ROOT, isUrlPrefix, EXPECTED as STATIC_EXPECTED } from "./staticFiles";
import { HEALTH_CHECK_PATH, type Endpoint } from "./types";

/** Where cloud-init writes the site; Ubuntu's stock nginx.conf includes sites-enabled/* inside `http {}`. */
export const NGINX_SITE_PATH = "/etc/nginx/sites-available/webstack";
/** The symlink that enables the site (the stock `default` site is removed, it also claims default_server on 80). */
export const NGINX_SITE_LINK = "/etc/nginx/sites-enabled/webstack";

export interface NginxSiteOptions {
    /** TCP port nginx listens on, 1-65535; the load balancer forwards to it. IPv4 only: traffic arrives from a
     *  load balancer or through the stack's A records, and a `[::]` listener fails on hosts without IPv6. */
    readonly listenPort: number;
    /** Where every request except the health check goes: `127.0.0.1:<app port>` or the app pool's internal LB.
     *  `host` is an IPv4 address or a DNS name (nginx resolves names once, when it loads the config). */
    readonly upstream: Endpoint;
    /** true when a load balancer terminating TLS sits in front: its X-Forwarded-Proto is passed on (falling
     *  back to the scheme nginx saw), and the health location announces the droplet, drains and waits for the static
     *  files (`healthLocation`); false at tier 0, where a client could forge the header, so nginx's own scheme is
     *  sent, and nothing checks or gates the droplet, so the health location is a plain proxy. */
    readonly behindLoadBalancer: boolean;
    /** The app's health path; the load balancers check it here and nginx proxies it to `upstream`, so the check
     *  fails whenever the app (or, tier 2+, every app droplet behind the internal load balancer) does not serve.
     *  @default "/healthz" */
    readonly healthPath?: string;
    /** The URL prefix nginx answers from this droplet's disk instead of the app (the copy is
     *  components/hostConfig/staticFiles.ts); absent, every path is proxied. */
    readonly staticFiles?: StaticFilesSite;
}

export interface StaticFilesSite {
    /** "/" + one or more directories + "/", such as "/static/"; a file's path on disk is `<root><its URL path>`. */
    readonly urlPrefix: string;
    /** The directory nginx's `root` names (absolute, no trailing slash). @default STATIC_FILES_ROOT */
    readonly root?: string;
}

/**
 * `Cache-Control` of the static files: names carrying a content hash (8 to 64 hex digits after "." or "-" in the
 * file name, as webpack, Parcel, Angular, Django's ManifestStaticFilesStorage and Sprockets write them) never
 * change, so a year and `immutable`; HTML names the current hashes, so it is revalidated on every use (ETag and
 * Last-Modified make that a 304); the rest may change with the next release: five minutes.
 */
export const STATIC_CACHE_CONTROL = {
    fingerprinted: "public, max-age=31536000, immutable",
    html: "no-cache",
    other: "public, max-age=300",
} as const;

/** Media types gzip compresses on the fly when no precompressed `.gz` sits beside the file (text/html always is). */
export const STATIC_GZIP_TYPES = [
    "text/css",
    "text/plain",
    "text/xml",
    "text/javascript",
    "application/javascript",
    "application/json",
    "application/xml",
    "application/wasm",
    "image/svg+xml",
] as const;

/**
 * Renders the nginx site file (an `upstream`, a `map` and one `server`, all valid inside `http {}`): listens on
 * `listenPort` and proxies every request, the health path included, to `upstream` with X-Forwarded-For/-Proto
 * and bounded timeouts. Throws one Error listing every invalid option.
 */
export function renderNginxConfig(opts: NginxSiteOptions): string {
    const problems = nginxConfigProblems(opts);
    if (problems.length > 0) {
        throw new Error(`Invalid nginx site options:\n${formatProblems(problems)}`);
    }
    const forwardedProtoMap = opts.behindLoadBalancer
        ? [
              "# The load balancer terminates TLS and says which scheme the client used.",
              "map $http_x_forwarded_proto $webstack_forwarded_proto {",
              "    default $http_x_forwarded_proto;",
              '    ""      $scheme;',
              "}",
              "",
          ]
        : [];
    return renderProxySite({
        renderer: "components/hostConfig/nginx.ts",
        preamble: [...forwardedProtoMap, ...(opts.staticFiles ? staticCacheMap() : [])],
        listenPort: opts.listenPort,
        upstream: opts.upstream,
        health: {
            path: opts.healthPath ?? HEALTH_CHECK_PATH,
            // Without a load balancer in front (tier 0) nothing checks the health path, no gate waits for the droplet
            // and there is nothing to drain from: the location stays as it was before the gates existed, so tier 0's
            // user data (and its protected droplet, which holds MySQL) does not change with them.
            served: opts.behindLoadBalancer,
            publishedRoot: opts.behindLoadBalancer && opts.staticFiles ? staticRoot(opts.staticFiles) : undefined,
        },
        // Without a load balancer in front, a client-supplied X-Forwarded-Proto must not be trusted.
        forwardedProto: opts.behindLoadBalancer ? "$webstack_forwarded_proto" : "$scheme",
        locations: opts.staticFiles ? staticLocation(opts.staticFiles) : [],
    });
}

/** What a site that proxies to one upstream is made of (the web site here, the app droplets' identity proxy). */
export interface ProxySiteParts {
    /** The file that renders it, named in the header comment. */
    readonly renderer: string;
    /** http-level lines before the upstream (maps). */
    readonly preamble?: readonly string[];
    readonly listenPort: number;
    readonly upstream: Endpoint;
    readonly health: HealthLocationOptions;
    /** Sets X-Real-IP, X-Forwarded-For and X-Forwarded-Proto (this value) on proxied requests; absent, the client's
     *  own headers pass unchanged (the identity proxy, behind the web droplets' nginx that set them). */
    readonly forwardedProto?: string;
    /** Locations after `location /`, each line indented for the server block. */
    readonly locations?: readonly string[];
}

/**
 * One site: an upstream kept alive below the internal load balancer's idle timeout, a server with the request limits
 * and timeouts every webstack nginx uses, the health location and `location /`. Shared, so no hop of the request path
 * is ever the stricter one.
 */
export function renderProxySite(site: ProxySiteParts): string {
    const forwarded = site.forwardedProto
        ? [
              "        proxy_set_header X-Real-IP $remote_addr;",
              "        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
              `        proxy_set_header X-Forwarded-Proto ${site.forwardedProto};`,
          ]
        : [];
    const lines = [
        `# Rendered by webstack (${site.renderer}). Changes are overwritten on the next rebuild.`,
        ...(site.preamble ?? []),
        "upstream webstack_app {",
        `    server ${site.upstream.host}:${site.upstream.port};`,
        "    keepalive 16;",
        // Below the idle timeout of the internal load balancer in front of the app pool (http_idle_timeout_seconds
        // default 60: digitalocean/openapi specification/resources/load_balancers/models/load_balancer_base.yml), so
        // nginx, not the load balancer, closes an idle upstream connection (equal timeouts race into 502s).
        "    keepalive_timeout 50s;",
        "}",
        "",
        "server {",
        `    listen ${site.listenPort} default_server;`,
        "    server_name _;",
        "    server_tokens off;",
        "",
        "    client_max_body_size 10m;",
        "    client_body_timeout 15s;",
        "    client_header_timeout 15s;",
        // Longer than the 50 s after which the web droplets' nginx closes its idle upstream connections, so the
        // identity proxy never closes a connection the other side is about to reuse.
        "    keepalive_timeout 65s;",
        "    send_timeout 30s;",
        "",
        ...healthLocation(site.health),
        "",
        "    location / {",
        "        proxy_pass http://webstack_app;",
        "        proxy_http_version 1.1;",
        '        proxy_set_header Connection "";',
        "        proxy_set_header Host $host;",
        ...forwarded,
        "        proxy_connect_timeout 5s;",
        "        proxy_send_timeout 60s;",
        "        proxy_read_timeout 60s;",
        "    }",
        ...(site.locations ?? []),
        "}",
    ];
    return `${lines.join("\n")}\n`;
}

const staticRoot = (site: StaticFilesSite) => site.root ?? STATIC_FILES_ROOT;

/** http-level: the static files' Cache-Control by file name (regexes in order; HTML first, hashed or not). */
function staticCacheMap(): string[] {
    return [
        "# Cache lifetimes of the static files (see the static location below).",
        "map $uri $webstack_static_cache_control {",
        `    default "${STATIC_CACHE_CONTROL.other}";`,
        `    "~*\\.html?$" "${STATIC_CACHE_CONTROL.html}";`,
        `    "~[.-][0-9a-f]{8,64}(\\.[A-Za-z0-9]+)+$" "${STATIC_CACHE_CONTROL.fingerprinted}";`,
        "}",
        "",
    ];
}

/**
 * The prefix served from disk. `^~` keeps regex locations away from it; `= <healthPath>` still wins over it, so
 * the health check reaches the app even under the prefix. A missing file (or a missing tree) is a plain 404 and
 * never reaches the app. gzip directives are set here, not in `http {}`, where Ubuntu's stock nginx.conf already
 * says `gzip on;` (a second one would be a duplicate directive).
 */
function staticLocation(site: StaticFilesSite): string[] {
    return [
        "",
        "    # Static files from this droplet's disk, copied from the app's release at boot: the app never sees these paths.",
        `    location ^~ ${site.urlPrefix} {`,
        `        root ${staticRoot(site)};`,
        "        try_files $uri =404;",
        "        sendfile on;",
        "        tcp_nopush on;",
        // Descriptors, sizes and misses of hot files stay cached; 30 s bounds how long a republished tree
        // (one rename of the `current` link) takes to show.
        "        open_file_cache max=10000 inactive=60s;",
        "        open_file_cache_valid 30s;",
        "        open_file_cache_errors on;",
        "        gzip on;",
        "        gzip_static on;",
        "        gzip_vary on;",
        // Without it nginx compresses nothing for a request carrying "Via" (gzip_proxied off, the default).
        "        gzip_proxied any;",
        "        gzip_comp_level 5;",
        "        gzip_min_length 1024;",
        `        gzip_types ${STATIC_GZIP_TYPES.join(" ")};`,
        "        add_header Cache-Control $webstack_static_cache_control;",
        "    }",
    ];
}

/** How the health location behaves. */
export interface HealthLocationOptions {
    /** The app's health path. */
    readonly path: string;
    /**
     * true for a droplet that a load balancer checks and a readiness gate waits for: the location announces the
     * droplet (servingIdentity.ts), answers 503 while it drains (drain.ts), and opens an upstream connection per
     * check. false (tier 0): a plain proxied location, as before the gates existed.
     */
    readonly served: boolean;
    /**
     * With static files: the directory the copy publishes (staticFiles.ts). Until it exists the health path answers
     * 503, so no load balancer sends users, and no gate passes, a droplet whose files are not in place yet.
     */
    readonly publishedRoot?: string;
}

/**
 * The health location, shared by the web site and the app droplets' identity proxy (appProxy.ts). No answer of
 * nginx's own while the droplet serves: the health path goes to the app like any request, so a load balancer keeps
 * only droplets whose app serves, and the proxy timeouts stay under the 5 s the checks wait. For a served droplet:
 *   - while it drains before shutdown (drain.ts) it answers 503, so every load balancer takes it out before nginx
 *     stops;
 *   - with static files, it answers 503 until the copy has published a tree (`-d` follows the `current` link);
 *   - it announces the droplet (servingIdentity.ts) to the readiness gate, here only, never on pages;
 *   - each check opens its own upstream connection (`Connection: close`): behind the tier-2 internal load balancer,
 *     which forwards TCP and so picks an app droplet per connection, a pooled connection would pin every check to
 *     the app droplet it first reached, and neither the check nor the gate would see the others.
 */
export function healthLocation(health: HealthLocationOptions): string[] {
    const refuse = (condition: string) => [`        if (${condition}) {`, "            return 503;", "        }"];
    return [
        `    location = ${health.path} {`,
        "        access_log off;",
        ...(health.served
            ? [
                  `        include ${IDENTITY_INCLUDE_GLOB};`,
                  ...refuse(`-f ${DRAIN_FLAG}`),
                  ...(health.publishedRoot ? refuse(`!-d ${health.publishedRoot}`) : []),
              ]
            : []),
        "        proxy_pass http://webstack_app;",
        "        proxy_http_version 1.1;",
        `        proxy_set_header Connection ${health.served ? "close" : '""'};`,
        "        proxy_set_header Host $host;",
        "        proxy_connect_timeout 2s;",
        "        proxy_read_timeout 4s;",
        "    }",
    ];
}

/** Every problem with `opts`, as `path: message; got "value".` lines (empty when valid). */
export function nginxConfigProblems(opts: NginxSiteOptions): string[] {
    const problems: string[] = [];
    checkPort(problems, `listenPort`, opts.listenPort);
    checkHost(problems, `upstream.host`, opts.upstream?.host);
    checkPort(problems, `upstream.port`, opts.upstream?.port);
    if (opts.healthPath !== undefined) checkHealthPath(problems, "healthPath", opts.healthPath);
    if (opts.staticFiles !== undefined) {
        if (!isUrlPrefix(opts.staticFiles?.urlPrefix)) {
            problems.push(
                `staticFiles.urlPrefix: must be ${STATIC_EXPECTED.urlPrefix}; got "${String(opts.staticFiles?.urlPrefix)}".`,
            );
        }
        const root = opts.staticFiles?.root;
        if (root !== undefined && !ABSOLUTE_DIR_PATTERN.test(root)) {
            problems.push(`staticFiles.root: must be an absolute directory, no trailing "/"; got "${String(root)}".`);
        }
    }
    if (typeof opts.behindLoadBalancer !== "boolean") {
        problems.push(`behindLoadBalancer: must be true or false; got "${String(opts.behindLoadBalancer)}".`);
    }
    return problems;
}
