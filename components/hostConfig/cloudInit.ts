// Pure renderer of droplet user data (`#cloud-config`) for every host webstack runs on Ubuntu 24.04: a role and
// its add-ons (log shipping, the nginx exporter and its push agent) as data, assembled into one cloud-config object
// and serialized once. No Pulumi, no I/O, no clock, no randomness: the same host gives byte-identical text, because
// changed user data replaces the droplet. Tier 0 generates its MySQL password on the host. Managed-database roles
// get their secrets file from user data when the role carries `secrets` (the caller keeps that user data a Pulumi
// secret, and the host keeps the metadata service, which serves user data, away from containers and non-root
// users), or from an operator otherwise (`secrets.delivery: manual`).
import { Document, isSeq } from "yaml";
import {
    APP_ENV_PATH,
    LOCAL_DATABASE,
    MYSQL_INIT_SCRIPT,
    appCommands,
    appSettingsProblems,
    appUnits,
    managedDatabaseEnv,
    mysqlInitScript,
    secretsDirCommands,
    secretsFile,
} from "./appUnit";
import { appLoopbackPort, appProxyParts } from "./appProxy";
import {
    ACME_PEER_WAIT,
    CERTBOT_SERVICE,
    CERTBOT_TIMER,
    CERT_DEPLOY_HOOK,
    CERT_PLACEHOLDER_SCRIPT,
    certDeployHook,
    certbotService,
    certbotTimer,
    haproxyCommands,
    peerWaitScript,
    placeholderCertScript,
} from "./certbot";
import { checkHealthPath, checkHost, checkImage, checkPort, checkSecrets, formatProblems } from "./checks";
import { checkDrainSeconds, drainParts } from "./drain";
import { type LogShipping, logShippingParts, logShippingProblems } from "./logShipper";
import { HAPROXY_CERT_DIR, HAPROXY_CONFIG_PATH, haproxyConfigProblems, renderHaproxyConfig } from "./haproxy";
import { METADATA_LOCK_SERVICE, metadataLockCommands, metadataLockFiles, withMetadataLock } from "./metadataLock";
import { NGINX_SITE_LINK, NGINX_SITE_PATH, renderNginxConfig } from "./nginx";
import { type MetricsPush, metricsAgentParts, pushPasswordProblems } from "./metricsPush";
import { type MonitorConfig, monitorCloudConfig, nginxExporterParts } from "./prometheus";
import { staticFilesParts, staticFilesProblems } from "./staticFiles";
import type { ShippedRole } from "./logShipper";
import { identityParts } from "./servingIdentity";
import {
    type AppSecrets,
    type AppSpec,
    type CloudConfig,
    type DatabaseEndpoint,
    type HostRole,
    type StaticFiles,
    type WriteFile,
    SYSTEMD_DIR,
    envFile,
    file,
} from "./types";

/** Droplet image every role is written for. */
export const DROPLET_IMAGE = "ubuntu-24-04-x64";

/** What a host runs besides its role, added to the role's cloud-config before it is serialized. */
export interface HostAddOns {
    /**
     * The nginx exporter the monitor scrapes for requests per second (roles that run nginx). With `push` (autoscale
     * pools, whose members no DNS record names) the droplet also runs a Prometheus agent that writes to the monitor;
     * its password makes the user data a secret.
     */
    readonly exporter?: { readonly push?: MetricsPush };
    /** Ships the host's logs to OpenSearch; with the shipper's password the user data is a secret. */
    readonly shipping?: LogShipping;
}

/** The monitor droplet: Prometheus and Alertmanager. */
export type MonitorRole = { readonly kind: "monitor" } & MonitorConfig;

/** Everything one droplet runs: its role and its add-ons. */
export type Host = (HostRole | MonitorRole) & HostAddOns;

/**
 * Names that hold a secret wherever they appear in a host: the app's secrets file, a PEM private key, a password
 * (log shipper, metrics push, database metrics, SMTP relay) and the monitor's Slack webhook URL (the one URL a
 * host holds, and a credential).
 */
const SECRET_FIELDS = new Set(["secrets", "certificatePem", "password", "url"]);

/**
 * True when `host` holds a secret: some field named in SECRET_FIELDS is set, at any depth of its plain objects. A
 * field whose value is still to come (an object of another class, such as a Pulumi Output) counts by its name,
 * so this answers the same for a host whose values are known and for one whose values are still to come.
 */
export function holdsSecret(host: unknown): boolean {
    const plain = (v: unknown): v is Record<string, unknown> =>
        typeof v === "object" && v !== null && (Object.getPrototypeOf(v) === Object.prototype || Array.isArray(v));
    if (!plain(host)) return false;
    return Object.entries(host).some(
        ([key, value]) => value !== undefined && (SECRET_FIELDS.has(key) || holdsSecret(value)),
    );
}

/** The role a host's logs are indexed under: what the load balancers see (nginx hosts are "web"). */
const shippedAs = (kind: Host["kind"]): ShippedRole => (kind === "web-and-app" || kind === "all-in-one" ? "web" : kind);

/**
 * Renders the `#cloud-config` user data for `host`: its role, then the exporter, then the log shipping. Throws one
 * Error listing every invalid field of the role (see `hostRoleProblems` to check without throwing), or of an
 * add-on. The text carries secrets when `holdsSecret(host)`: the caller must then pass it as a secret.
 */
export function renderCloudInit(host: Host): string {
    const { exporter, shipping, ...role } = host;
    let config = role.kind === "monitor" ? monitorCloudConfig(role) : buildCloudConfig(role);
    if (exporter) config = withExporter(config, role.kind, exporter.push);
    if (shipping) config = withShipping(config, shippedAs(role.kind), shipping);
    return serialize(config);
}

/** The nginx exporter added to a role that runs nginx, and with `push` the agent that writes to the monitor. */
function withExporter(config: CloudConfig, kind: Host["kind"], push?: MetricsPush): CloudConfig {
    const problems = pushPasswordProblems(push?.password, "push.password");
    if (push) checkHost(problems, "push.host", push.host);
    if (!["web", "web-and-app", "all-in-one"].includes(kind))
        problems.push(`exporter: applies only to roles that run nginx; got a role of kind "${kind}".`);
    if (problems.length > 0) throw new Error(`Invalid metrics push:\n${formatProblems(problems)}`);
    const parts = [nginxExporterParts(), ...(push ? [metricsAgentParts(push)] : [])];
    const exported: CloudConfig = {
        ...config,
        packages: [...config.packages, ...parts.flatMap((p) => p.packages)],
        write_files: [...config.write_files, ...parts.flatMap((p) => p.writeFiles)],
        runcmd: [...config.runcmd, ...parts.flatMap((p) => p.runcmd)],
    };
    // The agent's password is in the user data, which the metadata service serves to any local process.
    return push?.password !== undefined ? withMetadataLock(exported) : exported;
}

function withShipping(config: CloudConfig, kind: ShippedRole, logs: LogShipping): CloudConfig {
    const problems = logShippingProblems(logs);
    if (problems.length > 0)
        throw new Error(`Invalid log shipping for host role "${kind}":\n${formatProblems(problems)}`);
    const parts = logShippingParts(kind, logs);
    const shipped = {
        ...config,
        packages: [...config.packages, ...parts.packages],
        write_files: [...config.write_files, ...parts.writeFiles],
        runcmd: [...config.runcmd, ...parts.runcmd],
    };
    // The shipper's password is in the user data, which the metadata service serves to any local process.
    return logs.password !== undefined ? withMetadataLock(shipped) : shipped;
}

function serialize(config: CloudConfig): string {
    // YAML 1.1 because cloud-init reads user data with PyYAML: strings such as "on" or "0644" get quoted.
    const doc = new Document(config, { version: "1.1" });
    const runcmd = doc.get("runcmd");
    if (isSeq(runcmd)) {
        for (const command of runcmd.items) if (isSeq(command)) command.flow = true;
    }
    return `#cloud-config\n${doc.toString({ lineWidth: 0, minContentWidth: 0 })}`;
}

/** The cloud-config object for `role`, validated. */
function buildCloudConfig(role: HostRole): CloudConfig {
    const problems = hostRoleProblems(role);
    if (problems.length > 0) {
        const kind = String((role as { kind?: unknown } | null)?.kind);
        throw new Error(`Invalid host role "${kind}":\n${formatProblems(problems)}`);
    }
    return withStaticFiles(roleConfig(role), staticFilesOf(role));
}

function roleConfig(role: HostRole): CloudConfig {
    switch (role.kind) {
        case "all-in-one":
            return allInOne(role);
        case "web-and-app":
            return webAndApp(role);
        case "web":
            return web(role);
        case "app":
            return app(role);
        case "haproxy":
            return haproxy(role);
    }
}

/** Every problem with `role`, as `path: message; got "value".` lines (empty when valid). */
export function hostRoleProblems(role: HostRole): string[] {
    const problems: string[] = [];
    if (role === null || typeof role !== "object") {
        return [`role: must be an object; got "${String(role)}".`];
    }
    switch (role.kind) {
        case "all-in-one":
            appProblems(problems, role.app);
            checkPort(problems, "webPort", role.webPort);
            colocatedPortProblems(problems, role.app, role.webPort);
            if (role.app?.port === 3306 || role.app?.port === 33060) {
                problems.push(
                    `app.port: 3306 and 33060 belong to the local MySQL server; got "${String(role.app.port)}".`,
                );
            }
            break;
        case "web-and-app":
            appProblems(problems, role.app);
            checkPort(problems, "webPort", role.webPort);
            colocatedPortProblems(problems, role.app, role.webPort);
            databaseProblems(problems, role.database);
            if (role.secrets !== undefined) checkSecrets(problems, "secrets", role.secrets);
            problems.push(...appSettingsProblems(role));
            checkDrainSeconds(problems, "drainSeconds", role.drainSeconds);
            break;
        case "web":
            checkPort(problems, "webPort", role.webPort);
            checkHost(problems, "upstream.host", role.upstream?.host);
            checkPort(problems, "upstream.port", role.upstream?.port);
            if (role.healthPath !== undefined) checkHealthPath(problems, "healthPath", role.healthPath);
            checkDrainSeconds(problems, "drainSeconds", role.drainSeconds);
            break;
        case "app":
            appProblems(problems, role.app);
            databaseProblems(problems, role.database);
            if (role.secrets !== undefined) checkSecrets(problems, "secrets", role.secrets);
            if (role.cache !== undefined) {
                checkHost(problems, "cache.host", role.cache?.host);
                checkPort(problems, "cache.port", role.cache?.port);
            }
            problems.push(...appSettingsProblems(role));
            checkDrainSeconds(problems, "drainSeconds", role.drainSeconds);
            break;
        case "haproxy":
            problems.push(...haproxyConfigProblems(role));
            if (
                role.certificatePem !== undefined &&
                (!role.tls ||
                    typeof role.certificatePem !== "string" ||
                    !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(role.certificatePem))
            ) {
                problems.push(
                    `certificatePem: must be PEM text holding the certificate chain and its private key, with tls true; got a value that is not (value not shown).`,
                );
            }
            break;
        default:
            problems.push(
                `kind: expected "all-in-one", "web-and-app", "web", "app" or "haproxy"; got "${String((role as { kind: unknown }).kind)}".`,
            );
    }
    const staticFiles = staticFilesOf(role);
    if (staticFiles !== undefined) problems.push(...staticFilesProblems(staticFiles));
    return problems;
}

/** The static files a role's nginx serves from disk: only roles that run nginx have them. */
function staticFilesOf(role: HostRole): StaticFiles | undefined {
    return role.kind === "all-in-one" || role.kind === "web-and-app" || role.kind === "web"
        ? role.staticFiles
        : undefined;
}

/** The first of the commands that switch nginx from the stock site to the webstack site. */
const NGINX_SWITCH = nginxCommands()[0];

/**
 * A role that serves static files: the copy's packages (skopeo and umoci, or curl), its env file, script and unit,
 * and the commands that start it just before nginx switches to the webstack site, so a new droplet usually passes its
 * health check with its files in place (its site gets the static location from the role). A failed copy never
 * keeps nginx down: `systemctl start` returns once the first attempt fails (the unit enters "failed" before its
 * restart, systemd/systemd@000d6582 src/core/service.c `state_translation_table`, and src/core/unit.c
 * `unit_process_job` ends the start job then), cloud-init runs runcmd as one `#!/bin/sh` script without `-e`
 * (cloudinit/util.py `shellify`, cloud-init 22.4.2), so the nginx commands run after a failed start too; systemd
 * retries the copy, and the health path answers 503 until it has published a tree.
 */
function withStaticFiles(config: CloudConfig, staticFiles: StaticFiles | undefined): CloudConfig {
    if (staticFiles === undefined) return config;
    const parts = staticFilesParts(staticFiles);
    const at = config.runcmd.findIndex((c) => c.join(" ") === NGINX_SWITCH.join(" "));
    if (at < 0) throw new Error("static files need a role whose runcmd switches nginx to the webstack site");
    return {
        ...config,
        packages: [...config.packages, ...parts.packages],
        write_files: [...config.write_files, ...parts.writeFiles],
        runcmd: [...config.runcmd.slice(0, at), ...parts.runcmd, ...config.runcmd.slice(at)],
    };
}

function allInOne(role: Extract<HostRole, { kind: "all-in-one" }>): CloudConfig {
    const { user, database, socketDir } = LOCAL_DATABASE;
    return {
        package_update: true,
        packages: ["nginx", "docker.io", "mysql-server", "openssl"],
        write_files: [
            nginxSiteFile(localNginx(role)),
            file(MYSQL_INIT_SCRIPT, mysqlInitScript(), "0700"),
            file(
                APP_ENV_PATH,
                envFile({
                    // The app reaches MySQL through its Unix socket (mounted into the container), so MySQL never
                    // listens beyond localhost on a droplet that has no firewall at tier 0.
                    DATABASE_HOST: "localhost",
                    DATABASE_PORT: "3306",
                    DATABASE_SOCKET: `${socketDir}/mysqld.sock`,
                    DATABASE_USER: user,
                    DATABASE_NAME: database,
                }),
                "0644",
            ),
            ...appUnits(role.app, { localMysql: true }),
        ],
        runcmd: [...nginxCommands(), ["systemctl", "daemon-reload"], [MYSQL_INIT_SCRIPT], ...appCommands()],
    };
}

function webAndApp(role: Extract<HostRole, { kind: "web-and-app" }>): CloudConfig {
    const serving = servingParts("web", role.drainSeconds);
    return {
        package_update: true,
        packages: ["nginx", "docker.io"],
        write_files: [
            nginxSiteFile(localNginx(role)),
            file(APP_ENV_PATH, envFile(managedDatabaseEnv(role.database, role)), "0644"),
            // Tier 1 has no cloud firewall: publish the app on loopback only, nginx is its sole client.
            ...appUnits(role.app, { localMysql: false }),
            ...secretFiles(role.secrets),
            ...serving.writeFiles,
        ],
        runcmd: [
            ...serving.announce,
            ...nginxCommands(),
            ["systemctl", "daemon-reload"],
            ...secretsDirCommands(),
            ...secretCommands(role.secrets),
            ...appCommands(),
            ...serving.drain,
        ],
    };
}

function web(role: Extract<HostRole, { kind: "web" }>): CloudConfig {
    const serving = servingParts("web", role.drainSeconds);
    return {
        package_update: true,
        packages: ["nginx"],
        write_files: [
            nginxSiteFile({
                listenPort: role.webPort,
                upstream: role.upstream,
                behindLoadBalancer: true,
                healthPath: role.healthPath,
                staticFiles: staticSite(role.staticFiles),
            }),
            ...serving.writeFiles,
        ],
        runcmd: [...serving.announce, ...nginxCommands(), ...serving.drain],
    };
}

function app(role: Extract<HostRole, { kind: "app" }>): CloudConfig {
    const env = managedDatabaseEnv(role.database, role);
    if (role.cache !== undefined) {
        // DigitalOcean's managed Valkey only accepts TLS; its password travels with the database one.
        env.CACHE_HOST = role.cache.host;
        env.CACHE_PORT = String(role.cache.port);
        env.CACHE_TLS = "true";
    }
    const proxy = appProxyParts({ appPort: role.app.port, healthPath: role.app.healthPath });
    const serving = servingParts("app", role.drainSeconds);
    return {
        package_update: true,
        packages: ["docker.io", ...proxy.packages],
        write_files: [
            file(APP_ENV_PATH, envFile(env), "0644"),
            // nginx (the identity proxy) takes the app port, where the internal load balancer forwards over the VPC
            // and the cloud firewall admits it; the container listens on loopback behind it.
            ...appUnits(role.app, { hostPort: appLoopbackPort(role.app.port), localMysql: false }),
            ...secretFiles(role.secrets),
            ...proxy.writeFiles,
            ...serving.writeFiles,
        ],
        runcmd: [
            ["systemctl", "daemon-reload"],
            ...secretsDirCommands(),
            ...secretCommands(role.secrets),
            ...appCommands(),
            ...serving.announce,
            ...proxy.runcmd,
            ...serving.drain,
        ],
    };
}

/**
 * What a droplet behind a load balancer adds to its role, kept as parts of their own: the identity it announces on
 * the health path (written before nginx loads the site that includes it) and the drain at shutdown (enabled last).
 */
function servingParts(role: "web" | "app", drainSeconds: number) {
    const identity = identityParts(role);
    const drain = drainParts(drainSeconds);
    return {
        writeFiles: [...identity.writeFiles, ...drain.writeFiles],
        announce: identity.runcmd,
        drain: drain.runcmd,
    };
}

function haproxy(role: Extract<HostRole, { kind: "haproxy" }>): CloudConfig {
    const config = file(
        HAPROXY_CONFIG_PATH,
        renderHaproxyConfig({
            webPool: role.webPool,
            acmePeers: role.acmePeers,
            algorithm: role.algorithm,
            tls: role.tls,
            domain: role.domain,
            healthPath: role.healthPath,
        }),
        "0644",
    );
    if (role.tls && role.certificatePem !== undefined) {
        // A custom certificate arrives in (secret) user data: no certbot, no placeholder, and the
        // metadata service that serves the key is locked to root.
        return {
            package_update: true,
            packages: ["haproxy"],
            write_files: [
                config,
                file(`${HAPROXY_CERT_DIR}/${role.domain}.pem`, role.certificatePem, "0600"),
                ...metadataLockFiles(),
            ],
            runcmd: [...metadataLockCommands(), ...haproxyCommands()],
        };
    }
    if (!role.tls) {
        return {
            package_update: true,
            packages: ["haproxy"],
            write_files: [config],
            runcmd: haproxyCommands(),
        };
    }
    return {
        package_update: true,
        packages: ["haproxy", "certbot", "openssl"],
        write_files: [
            config,
            file(CERT_PLACEHOLDER_SCRIPT, placeholderCertScript(role.domain), "0700"),
            file(CERT_DEPLOY_HOOK, certDeployHook(role.domain), "0700"),
            file(`${SYSTEMD_DIR}/${CERTBOT_SERVICE}`, certbotService(role.domain, role.acmePeers?.name), "0644"),
            file(`${SYSTEMD_DIR}/${CERTBOT_TIMER}`, certbotTimer(role.domain), "0644"),
            ...(role.acmePeers ? [file(ACME_PEER_WAIT, peerWaitScript(role.acmePeers.name), "0700")] : []),
        ],
        runcmd: [
            // HAProxy refuses to start while `crt` names an empty directory: serve a self-signed placeholder
            // until Let's Encrypt has issued the real certificate (which needs DNS to point here first).
            [CERT_PLACEHOLDER_SCRIPT],
            ...haproxyCommands(),
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", CERTBOT_TIMER],
            ["systemctl", "start", "--no-block", CERTBOT_SERVICE],
        ],
    };
}

function localNginx(role: { app: AppSpec; webPort: number; kind: string; staticFiles?: StaticFiles }) {
    return {
        listenPort: role.webPort,
        upstream: { host: "127.0.0.1", port: role.app?.port },
        behindLoadBalancer: role.kind === "web-and-app",
        healthPath: role.app?.healthPath,
        staticFiles: staticSite(role.staticFiles),
    };
}

/** The static location of a role's nginx site (root: where the copy publishes, STATIC_FILES_ROOT). */
const staticSite = (staticFiles: StaticFiles | undefined) => staticFiles && { urlPrefix: staticFiles.urlPrefix };

/** The secrets file and the metadata lock, when the role's user data carries the secrets. */
function secretFiles(secrets: AppSecrets | undefined): WriteFile[] {
    return secrets === undefined ? [] : [secretsFile(secrets), ...metadataLockFiles()];
}

function secretCommands(secrets: AppSecrets | undefined): string[][] {
    return secrets === undefined ? [] : [["systemctl", "enable", "--now", METADATA_LOCK_SERVICE]];
}

function nginxSiteFile(opts: Parameters<typeof renderNginxConfig>[0]): WriteFile {
    return file(NGINX_SITE_PATH, renderNginxConfig(opts), "0644");
}

function nginxCommands(): string[][] {
    return [
        // The stock site also claims default_server on port 80.
        ["rm", "-f", "/etc/nginx/sites-enabled/default"],
        ["ln", "-sfn", NGINX_SITE_PATH, NGINX_SITE_LINK],
        ["systemctl", "enable", "nginx.service"],
        ["systemctl", "reload-or-restart", "nginx.service"],
    ];
}

function appProblems(problems: string[], spec: AppSpec | undefined): void {
    checkImage(problems, "app.image", spec?.image);
    checkPort(problems, "app.port", spec?.port);
    if (spec?.healthPath !== undefined) checkHealthPath(problems, "app.healthPath", spec.healthPath);
}

function colocatedPortProblems(problems: string[], spec: AppSpec | undefined, webPort: number): void {
    if (spec?.port === webPort) {
        problems.push(
            `app.port: must differ from webPort, where nginx listens on the same host; got "${String(spec.port)}".`,
        );
    }
}

function databaseProblems(problems: string[], db: DatabaseEndpoint | undefined): void {
    checkHost(problems, "database.host", db?.host);
    checkPort(problems, "database.port", db?.port);
    if (typeof db?.user !== "string" || !/^[A-Za-z0-9_-]{1,32}$/.test(db.user)) {
        problems.push(`database.user: must be 1 to 32 letters, digits, "_" or "-"; got "${String(db?.user)}".`);
    }
    if (typeof db?.database !== "string" || !/^[A-Za-z0-9_-]{1,64}$/.test(db.database)) {
        problems.push(`database.database: must be 1 to 64 letters, digits, "_" or "-"; got "${String(db?.database)}".`);
    }
    (db?.readHosts ?? []).forEach((host, i) => checkHost(problems, `database.readHosts[${i}]`, host));
}
