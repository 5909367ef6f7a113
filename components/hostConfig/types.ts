// The shapes the host renderers share: what an app, an endpoint and a host role are, and the cloud-config parts
// (write_files entries) every renderer produces.

export interface AppSpec {
    /** Container image the app runs, e.g. "ghcr.io/acme/shop:1.4.2" (no spaces, `$` or `%`). */
    image: string;
    /** TCP port the app listens on inside the container; published on the same host port. 1-65535. */
    port: number;
    /** Path the app answers with 2xx when it serves; the load balancers check it through nginx.
     *  @default "/healthz" */
    healthPath?: string;
}
export interface Endpoint {
    /** IPv4 address or DNS name. */
    host: string;
    /** TCP port, 1-65535. */
    port: number;
}
export interface DatabaseEndpoint extends Endpoint {
    /** MySQL user the app connects as (letters, digits, `_`, `-`; at most 32). */
    user: string;
    /** MySQL database (schema) name (letters, digits, `_`, `-`; at most 64). */
    database: string;
    /** Private hosts of the read-only replicas, handed to the app as DATABASE_READ_HOSTS. @default [] */
    readHosts?: readonly string[];
}
/**
 * The app's secrets as `KEY=value` pairs (DATABASE_PASSWORD, CACHE_PASSWORD), written by cloud-init into the
 * root-only secrets file. Absent: the file is delivered out of band (`secrets.delivery: manual`).
 * The rendered user data then holds them: the caller must keep it a Pulumi secret.
 */
export type AppSecrets = Readonly<Record<string, string>>;
/**
 * What every droplet behind a load balancer (tier >= 1) adds to its role: it announces itself on the health path
 * (servingIdentity.ts) and, at shutdown, fails its health path for `drainSeconds` before nginx stops (drain.ts).
 */
export interface Serving {
    /** Seconds the health path answers 503 before nginx and the app stop: the longest any checking load balancer
     *  takes to take the droplet out, 1 to 300. */
    drainSeconds: number;
}
/** What the app is told besides its database (appUnit.ts AppSettings): where its static assets are served from. */
interface AppHosting {
    /** Host name of the CDN in front of the stack's Spaces bucket, handed to the app as CDN_ENDPOINT. */
    cdnEndpoint?: string;
}
export type HostRole =
    /** Tier 0: nginx + app container + local MySQL server on one droplet. */
    | { kind: "all-in-one"; app: AppSpec; webPort: number; staticFiles?: StaticFiles }
    /** Tier 1: nginx + app container; managed MySQL. */
    | ({
          kind: "web-and-app";
          app: AppSpec;
          webPort: number;
          database: DatabaseEndpoint;
          secrets?: AppSecrets;
          staticFiles?: StaticFiles;
      } & Serving &
          AppHosting)
    /** Tier >= 2: nginx only, proxying to the app pool's internal load balancer; `healthPath` is the app's. */
    | ({ kind: "web"; webPort: number; upstream: Endpoint; healthPath?: string; staticFiles?: StaticFiles } & Serving)
    /** Tier >= 2: the app container behind the identity proxy (appProxy.ts). */
    | ({ kind: "app"; app: AppSpec; database: DatabaseEndpoint; cache?: Endpoint; secrets?: AppSecrets } & Serving &
          AppHosting)
    /** Self-managed HAProxy load balancer, finding the web droplets in DNS (`webPool`) and, with certbot, its peers
     *  (`acmePeers`; haproxy.ts). `certificatePem` (chain and key, secret): a custom certificate delivered in user
     *  data instead of certbot's Let's Encrypt one. */
    | {
          kind: "haproxy";
          webPool: { name: string; port: number };
          acmePeers?: { name: string; trustedFrom?: string };
          algorithm: "roundrobin" | "leastconn";
          tls: boolean;
          domain: string;
          healthPath?: string;
          certificatePem?: string;
      };

/**
 * The static files a web host's nginx serves from its own disk (components/hostConfig/staticFiles.ts copies them
 * there at boot): the URL prefix, and the app's image and the directory in it, or an archive and its SHA-256. The
 * archive's fields are not named `url`: cloudInit.ts `holdsSecret` counts a field of that name as a secret, and an
 * archive URL holds none (no credentials or query are accepted).
 */
export interface StaticFiles {
    readonly urlPrefix: string;
    readonly source:
        | { readonly kind: "image"; readonly image: string; readonly dir: string }
        | { readonly kind: "archive"; readonly archiveUrl: string; readonly archiveSha256: string };
}

/** One entry of cloud-init's `write_files`. */
export interface WriteFile {
    path: string;
    content: string;
    owner: string;
    permissions: string;
    /** Always true: written in the final stage, after `packages`. The nginx and haproxy packages start their
     *  service on install, which must happen with the stock config (ours needs the default site removed and,
     *  for HAProxy, a certificate first); runcmd then switches over. */
    defer: boolean;
}

/** The cloud-config object before it is serialised. */
export interface CloudConfig {
    package_update: boolean;
    packages: string[];
    write_files: WriteFile[];
    runcmd: string[][];
}

/**
 * The default app health path. The load balancers (DigitalOcean's and HAProxy) check it through nginx, which
 * proxies it to the app, so a droplet is healthy only when its request path serves.
 */
export const HEALTH_CHECK_PATH = "/healthz";
/** An absolute URL path nginx, HAProxy and the DigitalOcean API all take verbatim: no spaces, quotes, `;`, `?` or `#`. */
export const HEALTH_PATH_PATTERN = /^\/[A-Za-z0-9._~\/-]{0,127}$/;

/** Prepended to every file webstack writes on a host. */
export const HEADER = "# Rendered by webstack (components/hostConfig); overwritten when the droplet is rebuilt.";
export const SYSTEMD_DIR = "/etc/systemd/system";

/** A root-owned `write_files` entry. */
export function file(path: string, content: string, permissions: "0600" | "0644" | "0700"): WriteFile {
    return { path, content, owner: "root:root", permissions, defer: true };
}

/** Docker `--env-file` text: `KEY=value` lines, no quotes. */
export function envFile(vars: Record<string, string>): string {
    return Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")
        .concat("\n");
}
