// The app as a container under systemd (docker run with an env file and the root-only secrets file), the
// secrets directory, and tier 0's local MySQL initialisation.
import { checkHost, formatProblems } from "./checks";
import {
    type AppSecrets,
    type AppSpec,
    type DatabaseEndpoint,
    type WriteFile,
    HEADER,
    SYSTEMD_DIR,
    envFile,
    file,
} from "./types";

/** Non-secret settings handed to the app container (`--env-file`), 0644. */
export const APP_ENV_PATH = "/etc/webstack/app.env";
/** Root-only directory (0700) for the app's secrets. */
export const SECRETS_DIR = "/etc/webstack/secrets";
/**
 * Root-only (0600) env file with the app's secrets, in Docker `--env-file` format (`KEY=value` lines, no quotes):
 * `DATABASE_PASSWORD=...` and, when a cache is used, `CACHE_PASSWORD=...`. At tier 0 the host writes it at first
 * boot; with a managed database cloud-init writes it from the (secret) user data, or, with
 * `secrets.delivery: manual`, an operator delivers it, e.g.
 * `pulumi stack output --show-secrets appSecretsEnv | ssh root@<host> 'install -m 600 /dev/stdin /etc/webstack/secrets/database.env'`.
 * The app unit does not start until the file exists, and starts by itself when it appears.
 */
export const DATABASE_SECRETS_PATH = `${SECRETS_DIR}/database.env`;
export const APP_SERVICE = "webstack-app.service";
export const APP_PATH_UNIT = "webstack-app.path";
/** Tier 0 only: the MySQL password the host generated for the app user (0600). */
export const MYSQL_PASSWORD_PATH = `${SECRETS_DIR}/mysql-app-password`;
/** Tier 0 only: the database and user created on the local MySQL server. */
export const LOCAL_DATABASE = { user: "app", database: "app", socketDir: "/run/mysqld" } as const;
/** Tier 0 only: creates the app's database and user at first boot. */
export const MYSQL_INIT_SCRIPT = "/usr/local/sbin/webstack-mysql-init";

/**
 * The app's systemd units. The container is published on loopback only, on `hostPort` (default: the app port): nginx
 * on the same droplet is its one client (the web site at tiers 0 and 1, the identity proxy on app droplets, which
 * takes the app port itself: appProxy.ts).
 */
export function appUnits(spec: AppSpec, opts: { hostPort?: number; localMysql: boolean }): WriteFile[] {
    const publish = `127.0.0.1:${opts.hostPort ?? spec.port}:${spec.port}`;
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
        `# ${APP_PATH_UNIT} starts this unit once the secrets file exists (written at boot or delivered by hand).`,
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
    return [
        file(`${SYSTEMD_DIR}/${APP_SERVICE}`, service, "0644"),
        file(`${SYSTEMD_DIR}/${APP_PATH_UNIT}`, path, "0644"),
    ];
}

export function appCommands(): string[][] {
    return [
        ["systemctl", "enable", APP_SERVICE],
        ["systemctl", "enable", "--now", APP_PATH_UNIT],
    ];
}

export function secretsDirCommands(): string[][] {
    return [["install", "-d", "-m", "0700", "-o", "root", "-g", "root", SECRETS_DIR]];
}

/** What the app is told besides its database, in its env file (non-secret). */
export interface AppSettings {
    /**
     * Host name of the CDN in front of the stack's Spaces bucket (tier 3 and `staticAssets.enabled`), as DigitalOcean
     * reports it (`digitalocean.Cdn.endpoint`, e.g. "assets.nyc3.cdn.digitaloceanspaces.com"): the app serves its
     * static assets from https://<it>/<object key>. Handed to the app as CDN_ENDPOINT. @default undefined (no CDN)
     */
    readonly cdnEndpoint?: string;
}

/** Every problem with `app`, as `path: message; got "value".` lines (empty when valid). */
export function appSettingsProblems(app: AppSettings): string[] {
    const problems: string[] = [];
    if (app.cdnEndpoint !== undefined) checkHost(problems, "app.cdnEndpoint", app.cdnEndpoint);
    return problems;
}

/**
 * The app's env file entries: its database (and read replicas) and, when the stack has one, the CDN its static
 * assets are served from. Throws on a value that cannot be one line of a Docker env file.
 */
export function managedDatabaseEnv(db: DatabaseEndpoint, app: AppSettings = {}): Record<string, string> {
    const problems = appSettingsProblems(app);
    if (problems.length > 0) throw new Error(`Invalid app settings:\n${formatProblems(problems)}`);
    return {
        DATABASE_HOST: db.host,
        DATABASE_PORT: String(db.port),
        DATABASE_USER: db.user,
        DATABASE_NAME: db.database,
        // DigitalOcean managed MySQL refuses unencrypted connections.
        DATABASE_SSLMODE: "REQUIRED",
        // The read-only replicas, comma-separated, so reads can go there (same port, user and password).
        ...(db.readHosts && db.readHosts.length > 0 ? { DATABASE_READ_HOSTS: db.readHosts.join(",") } : {}),
        ...(app.cdnEndpoint !== undefined ? { CDN_ENDPOINT: app.cdnEndpoint } : {}),
    };
}

/**
 * The secrets file as a `write_files` entry: root-only, written in the final stage like every other
 * file, so the app's path unit starts the container at first boot with no manual step. The password is in
 * write_files, never in runcmd, so it never shows in a process list.
 */
export function secretsFile(secrets: AppSecrets): WriteFile {
    return file(DATABASE_SECRETS_PATH, envFile(secrets), "0600");
}

export function mysqlInitScript(): string {
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
