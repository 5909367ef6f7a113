// Pure renderer of droplet user data (`#cloud-config`) for every host role webstack runs on Ubuntu 24.04.
// No Pulumi, no I/O, no clock, no randomness: the same role gives byte-identical text, because changed user data
// replaces the droplet. User data is readable through the DigitalOcean API and the metadata service, so it never
// carries a secret: tier 0 generates the MySQL password on the host; managed-database roles read theirs from a
// file an operator delivers out of band (DATABASE_SECRETS_PATH).
import { Document, isSeq } from "yaml";
import { HAPROXY_CERT_DIR, HAPROXY_CONFIG_PATH, renderHaproxyConfig, haproxyConfigProblems, ACME_HTTP01_PORT } from "./haproxy";
import { NGINX_SITE_LINK, NGINX_SITE_PATH, checkHost, checkPort, renderNginxConfig } from "./nginx";

export interface AppSpec {
    /** Container image the app runs, e.g. "ghcr.io/acme/shop:1.4.2" (no spaces, `$` or `%`). */
    image: string;
    /** TCP port the app listens on inside the container; published on the same host port. 1-65535. */
    port: number;
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
}
export type HostRole =
    /** Tier 0: nginx + app container + local MySQL server on one droplet. */
    | { kind: "all-in-one"; app: AppSpec; webPort: number }
    /** Tier 1: nginx + app container; managed MySQL. */
    | { kind: "web-and-app"; app: AppSpec; webPort: number; database: DatabaseEndpoint }
    /** Tier >= 2: nginx only, proxying to the app pool's internal load balancer. */
    | { kind: "web"; webPort: number; upstream: Endpoint }
    /** Tier >= 2: app container only. */
    | { kind: "app"; app: AppSpec; database: DatabaseEndpoint; cache?: Endpoint }
    /** Issue 7: self-managed HAProxy load balancer. */
    | { kind: "haproxy"; backends: Endpoint[]; algorithm: "roundrobin" | "leastconn"; tls: boolean; domain: string };

export type HostRoleKind = HostRole["kind"];

/** Droplet image every role is written for. */
export const DROPLET_IMAGE = "ubuntu-24-04-x64";
/** Non-secret settings handed to the app container (`--env-file`), 0644. */
export const APP_ENV_PATH = "/etc/webstack/app.env";
/** Root-only directory (0700) for secrets that never travel through user data. */
export const SECRETS_DIR = "/etc/webstack/secrets";
/**
 * Root-only (0600) env file with the app's secrets, in Docker `--env-file` format (`KEY=value` lines, no quotes):
 * `DATABASE_PASSWORD=...` and, when a cache is used, `CACHE_PASSWORD=...`. At tier 0 the host writes it at first
 * boot; with a managed database an operator delivers it, e.g.
 * `pulumi stack output --show-secrets <output> | ssh root@<host> 'install -m 600 /dev/stdin /etc/webstack/secrets/database.env'`.
 * The app unit does not start until the file exists, and starts by itself when it appears.
 */
export const DATABASE_SECRETS_PATH = `${SECRETS_DIR}/database.env`;
export const APP_SERVICE = "webstack-app.service";
export const APP_PATH_UNIT = "webstack-app.path";
/** Tier 0 only: the MySQL password the host generated for the app user (0600). */
export const MYSQL_PASSWORD_PATH = `${SECRETS_DIR}/mysql-app-password`;
/** Tier 0 only: the database and user created on the local MySQL server. */
export const LOCAL_DATABASE = { user: "app", database: "app", socketDir: "/run/mysqld" } as const;

const SYSTEMD_DIR = "/etc/systemd/system";
const MYSQL_INIT_SCRIPT = "/usr/local/sbin/webstack-mysql-init";
const CERT_PLACEHOLDER_SCRIPT = "/usr/local/sbin/webstack-haproxy-placeholder-cert";
const CERT_DEPLOY_HOOK = "/usr/local/sbin/webstack-haproxy-cert-deploy";
const CERTBOT_SERVICE = "webstack-certbot.service";
const CERTBOT_TIMER = "webstack-certbot.timer";
const HEADER = "# Rendered by webstack (components/cloudInit.ts); overwritten when the droplet is rebuilt.";

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

/** The cloud-config object before it is serialised (exported so tests and policies can inspect it). */
export interface CloudConfig {
    package_update: boolean;
    packages: string[];
    write_files: WriteFile[];
    runcmd: string[][];
}

/**
 * Renders the `#cloud-config` user data for `role`. Throws one Error listing every invalid field (see
 * `hostRoleProblems` to check without throwing).
 */
export function renderCloudInit(role: HostRole): string {
    // YAML 1.1 because cloud-init reads user data with PyYAML: strings such as "on" or "0644" get quoted.
    const doc = new Document(buildCloudConfig(role), { version: "1.1" });
    const runcmd = doc.get("runcmd");
    if (isSeq(runcmd)) {
        for (const command of runcmd.items) if (isSeq(command)) command.flow = true;
    }
    return `#cloud-config\n${doc.toString({ lineWidth: 0, minContentWidth: 0 })}`;
}

/** The cloud-config object for `role`, validated. */
export function buildCloudConfig(role: HostRole): CloudConfig {
    const problems = hostRoleProblems(role);
    if (problems.length > 0) {
        const kind = String((role as { kind?: unknown } | null)?.kind);
        throw new Error(`Invalid host role "${kind}":\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    }
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
                problems.push(`app.port: 3306 and 33060 belong to the local MySQL server; got "${String(role.app.port)}".`);
            }
            break;
        case "web-and-app":
            appProblems(problems, role.app);
            checkPort(problems, "webPort", role.webPort);
            colocatedPortProblems(problems, role.app, role.webPort);
            databaseProblems(problems, role.database);
            break;
        case "web":
            checkPort(problems, "webPort", role.webPort);
            checkHost(problems, "upstream.host", role.upstream?.host);
            checkPort(problems, "upstream.port", role.upstream?.port);
            break;
        case "app":
            appProblems(problems, role.app);
            databaseProblems(problems, role.database);
            if (role.cache !== undefined) {
                checkHost(problems, "cache.host", role.cache?.host);
                checkPort(problems, "cache.port", role.cache?.port);
            }
            break;
        case "haproxy":
            problems.push(...haproxyConfigProblems(role));
            break;
        default:
            problems.push(`kind: expected "all-in-one", "web-and-app", "web", "app" or "haproxy"; got "${String((role as { kind: unknown }).kind)}".`);
    }
    return problems;
}

// ---- roles ---------------------------------------------------------------------------------------------------

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
            ...appUnits(role.app, { publishOn: "127.0.0.1", localMysql: true }),
        ],
        runcmd: [...nginxCommands(), ["systemctl", "daemon-reload"], [MYSQL_INIT_SCRIPT], ...appCommands()],
    };
}

function webAndApp(role: Extract<HostRole, { kind: "web-and-app" }>): CloudConfig {
    return {
        package_update: true,
        packages: ["nginx", "docker.io"],
        write_files: [
            nginxSiteFile(localNginx(role)),
            file(APP_ENV_PATH, envFile(managedDatabaseEnv(role.database)), "0644"),
            // Tier 1 has no cloud firewall: publish the app on loopback only, nginx is its sole client.
            ...appUnits(role.app, { publishOn: "127.0.0.1", localMysql: false }),
        ],
        runcmd: [...nginxCommands(), ["systemctl", "daemon-reload"], ...secretsDirCommands(), ...appCommands()],
    };
}

function web(role: Extract<HostRole, { kind: "web" }>): CloudConfig {
    return {
        package_update: true,
        packages: ["nginx"],
        write_files: [nginxSiteFile({ listenPort: role.webPort, upstream: role.upstream, behindLoadBalancer: true })],
        runcmd: nginxCommands(),
    };
}

function app(role: Extract<HostRole, { kind: "app" }>): CloudConfig {
    const env = managedDatabaseEnv(role.database);
    if (role.cache !== undefined) {
        // DigitalOcean's managed Valkey only accepts TLS; its password travels with the database one.
        env.CACHE_HOST = role.cache.host;
        env.CACHE_PORT = String(role.cache.port);
        env.CACHE_TLS = "true";
    }
    return {
        package_update: true,
        packages: ["docker.io"],
        write_files: [
            file(APP_ENV_PATH, envFile(env), "0644"),
            // The web pool (through the internal load balancer) connects over the VPC; the cloud firewall limits
            // the port to the web tag.
            ...appUnits(role.app, { publishOn: "0.0.0.0", localMysql: false }),
        ],
        runcmd: [["systemctl", "daemon-reload"], ...secretsDirCommands(), ...appCommands()],
    };
}

function haproxy(role: Extract<HostRole, { kind: "haproxy" }>): CloudConfig {
    const config = file(
        HAPROXY_CONFIG_PATH,
        renderHaproxyConfig({ backends: role.backends, algorithm: role.algorithm, tls: role.tls, domain: role.domain }),
        "0644",
    );
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
            file(`${SYSTEMD_DIR}/${CERTBOT_SERVICE}`, certbotService(role.domain), "0644"),
            file(`${SYSTEMD_DIR}/${CERTBOT_TIMER}`, certbotTimer(role.domain), "0644"),
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

// ---- nginx ---------------------------------------------------------------------------------------------------

function localNginx(role: { app: AppSpec; webPort: number; kind: string }) {
    return {
        listenPort: role.webPort,
        upstream: { host: "127.0.0.1", port: role.app?.port },
        behindLoadBalancer: role.kind === "web-and-app",
    };
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

// ---- the app container ---------------------------------------------------------------------------------------

function appUnits(spec: AppSpec, opts: { publishOn: "127.0.0.1" | "0.0.0.0"; localMysql: boolean }): WriteFile[] {
    const publish = opts.publishOn === "0.0.0.0" ? `${spec.port}:${spec.port}` : `${opts.publishOn}:${spec.port}:${spec.port}`;
    const run = [
        "/usr/bin/docker run --rm --name app",
        `-p ${publish}`,
        `--env-file ${APP_ENV_PATH}`,
        `--env-file ${DATABASE_SECRETS_PATH}`,
        ...(opts.localMysql ? [`--volume ${LOCAL_DATABASE.socketDir}:${LOCAL_DATABASE.socketDir}`] : []),
        spec.image,
    ].join(" ");
    const service = [
        HEADER,
        "[Unit]",
        `Description=webstack app container (${spec.image})`,
        `After=network-online.target docker.service${opts.localMysql ? " mysql.service" : ""}`,
        `Wants=network-online.target${opts.localMysql ? " mysql.service" : ""}`,
        "Requires=docker.service",
        `# The secrets never travel in user data; ${APP_PATH_UNIT} starts this unit once the file exists.`,
        `ConditionPathExists=${DATABASE_SECRETS_PATH}`,
        "StartLimitIntervalSec=0",
        "",
        "[Service]",
        "Restart=always",
        "RestartSec=5s",
        // An operator's `install` may still be writing the file when the path unit fires; retry until it has content.
        `ExecStartPre=/usr/bin/test -s ${DATABASE_SECRETS_PATH}`,
        "ExecStartPre=-/usr/bin/docker rm --force app",
        `ExecStart=${run}`,
        "ExecStop=/usr/bin/docker stop --time 20 app",
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
    const path = [
        HEADER,
        "[Unit]",
        `Description=Start ${APP_SERVICE} once ${DATABASE_SECRETS_PATH} exists`,
        "",
        "[Path]",
        `PathExists=${DATABASE_SECRETS_PATH}`,
        `Unit=${APP_SERVICE}`,
        "",
        "[Install]",
        "WantedBy=paths.target",
        "",
    ].join("\n");
    return [file(`${SYSTEMD_DIR}/${APP_SERVICE}`, service, "0644"), file(`${SYSTEMD_DIR}/${APP_PATH_UNIT}`, path, "0644")];
}

function appCommands(): string[][] {
    return [
        ["systemctl", "enable", APP_SERVICE],
        ["systemctl", "enable", "--now", APP_PATH_UNIT],
    ];
}

function secretsDirCommands(): string[][] {
    return [["install", "-d", "-m", "0700", "-o", "root", "-g", "root", SECRETS_DIR]];
}

function managedDatabaseEnv(db: DatabaseEndpoint): Record<string, string> {
    return {
        DATABASE_HOST: db.host,
        DATABASE_PORT: String(db.port),
        DATABASE_USER: db.user,
        DATABASE_NAME: db.database,
        // DigitalOcean managed MySQL refuses unencrypted connections.
        DATABASE_SSLMODE: "REQUIRED",
    };
}

function mysqlInitScript(): string {
    const { user, database } = LOCAL_DATABASE;
    return [
        "#!/bin/sh",
        HEADER,
        "# Creates the app's database and user with a password generated here, at first boot; the password never",
        "# leaves this host and is not part of user data.",
        "set -eu",
        "umask 077",
        `install -d -m 0700 -o root -g root ${SECRETS_DIR}`,
        `if [ ! -s ${MYSQL_PASSWORD_PATH} ]; then`,
        `    openssl rand -hex 32 > ${MYSQL_PASSWORD_PATH}.new`,
        `    mv ${MYSQL_PASSWORD_PATH}.new ${MYSQL_PASSWORD_PATH}`,
        "fi",
        `chmod 0600 ${MYSQL_PASSWORD_PATH}`,
        `pw=$(cat ${MYSQL_PASSWORD_PATH})`,
        "systemctl enable --now mysql.service",
        // Ubuntu's root@localhost authenticates by socket (auth_socket), so no root password is involved.
        "mysql --user=root <<SQL",
        `CREATE DATABASE IF NOT EXISTS ${database} CHARACTER SET utf8mb4;`,
        `CREATE USER IF NOT EXISTS '${user}'@'localhost' IDENTIFIED BY '$pw';`,
        `ALTER USER '${user}'@'localhost' IDENTIFIED BY '$pw';`,
        `GRANT ALL PRIVILEGES ON ${database}.* TO '${user}'@'localhost';`,
        "SQL",
        `printf 'DATABASE_PASSWORD=%s\\n' "$pw" > ${DATABASE_SECRETS_PATH}.new`,
        `mv ${DATABASE_SECRETS_PATH}.new ${DATABASE_SECRETS_PATH}`,
        "",
    ].join("\n");
}

// ---- HAProxy -------------------------------------------------------------------------------------------------

function haproxyCommands(): string[][] {
    return [
        ["haproxy", "-c", "-f", HAPROXY_CONFIG_PATH],
        ["systemctl", "enable", "haproxy.service"],
        ["systemctl", "restart", "haproxy.service"],
    ];
}

function placeholderCertScript(domain: string): string {
    const pem = `${HAPROXY_CERT_DIR}/${domain}.pem`;
    return [
        "#!/bin/sh",
        HEADER,
        "# Self-signed stand-in so HAProxy can start before Let's Encrypt issues the real certificate; the certbot",
        "# deploy hook replaces it under the same name. Temporary files stay outside the directory HAProxy loads.",
        "set -eu",
        "umask 077",
        `install -d -m 0700 -o root -g root ${HAPROXY_CERT_DIR}`,
        `[ -s ${pem} ] && exit 0`,
        "tmp=$(mktemp -d)",
        "trap 'rm -rf \"$tmp\"' EXIT",
        `openssl req -x509 -newkey rsa:2048 -nodes -days 90 -subj "/CN=${domain}" -keyout "$tmp/key.pem" -out "$tmp/cert.pem"`,
        `cat "$tmp/cert.pem" "$tmp/key.pem" > "$tmp/combined.pem"`,
        `install -m 0600 "$tmp/combined.pem" ${pem}`,
        "",
    ].join("\n");
}

function certDeployHook(domain: string): string {
    const pem = `${HAPROXY_CERT_DIR}/${domain}.pem`;
    return [
        "#!/bin/sh",
        HEADER,
        "# certbot deploy hook: HAProxy wants the chain and the key in one PEM.",
        "set -eu",
        "umask 077",
        'lineage="${RENEWED_LINEAGE:?certbot sets RENEWED_LINEAGE}"',
        `cat "$lineage/fullchain.pem" "$lineage/privkey.pem" > /etc/haproxy/${domain}.pem.new`,
        `mv /etc/haproxy/${domain}.pem.new ${pem}`,
        "systemctl reload haproxy.service",
        "",
    ].join("\n");
}

function certbotService(domain: string): string {
    const certbot = [
        "/usr/bin/certbot certonly --standalone --non-interactive --agree-tos --register-unsafely-without-email",
        // HAProxy owns port 80 and routes /.well-known/acme-challenge/ to certbot on loopback.
        `--preferred-challenges http --http-01-address 127.0.0.1 --http-01-port ${ACME_HTTP01_PORT}`,
        `--cert-name ${domain} --domain ${domain} --deploy-hook ${CERT_DEPLOY_HOOK}`,
    ].join(" ");
    return [
        HEADER,
        "[Unit]",
        `Description=Obtain the Let's Encrypt certificate for ${domain}`,
        "Wants=network-online.target",
        "After=network-online.target haproxy.service",
        // Renewals are certbot.timer's job (the Debian package's); this unit only gets the first certificate.
        `ConditionPathExists=!/etc/letsencrypt/live/${domain}/fullchain.pem`,
        "",
        "[Service]",
        "Type=oneshot",
        `ExecStart=${certbot}`,
        "",
    ].join("\n");
}

function certbotTimer(domain: string): string {
    return [
        HEADER,
        "[Unit]",
        `Description=Retry obtaining the Let's Encrypt certificate for ${domain} until DNS points here`,
        "",
        "[Timer]",
        // Every 15 minutes stays under Let's Encrypt's limit of 5 failed validations per hostname per hour.
        "OnCalendar=*:0/15",
        "RandomizedDelaySec=60",
        `Unit=${CERTBOT_SERVICE}`,
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ].join("\n");
}

// ---- helpers -------------------------------------------------------------------------------------------------

function file(path: string, content: string, permissions: "0600" | "0644" | "0700"): WriteFile {
    return { path, content, owner: "root:root", permissions, defer: true };
}

function envFile(vars: Record<string, string>): string {
    return Object.entries(vars)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n")
        .concat("\n");
}

function appProblems(problems: string[], spec: AppSpec | undefined): void {
    const image = spec?.image;
    // Docker references: registry[:port]/path[:tag][@digest]. Anything else would be interpreted by systemd or a shell.
    if (typeof image !== "string" || image.length > 255 || !IMAGE_PATTERN.test(image)) {
        problems.push(`app.image: must be a container image reference such as "ghcr.io/acme/shop:1.4.2"; got "${String(image)}".`);
    }
    checkPort(problems, "app.port", spec?.port);
}

const IMAGE_PATTERN = /^[a-z0-9][a-z0-9._\/:-]*(?::[A-Za-z0-9_][A-Za-z0-9_.-]*)?(?:@sha256:[a-f0-9]{64})?$/;

function colocatedPortProblems(problems: string[], spec: AppSpec | undefined, webPort: number): void {
    if (spec?.port === webPort) {
        problems.push(`app.port: must differ from webPort, where nginx listens on the same host; got "${String(spec.port)}".`);
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
}
