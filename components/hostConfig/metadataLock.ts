// Droplets whose user data carries secrets keep DigitalOcean's metadata service away from containers
// and non-root processes. The service serves the user data to any local process without a token
// (docs.digitalocean.com/products/droplets/how-to/retrieve-droplet-metadata), and user data cannot be changed
// after creation (…/how-to/provide-user-data), so the only lever left on the droplet is the network path.
import { type CloudConfig, type WriteFile, HEADER, SYSTEMD_DIR, file } from "./types";

/** DigitalOcean's link-local metadata address. */
export const METADATA_ADDRESS = "169.254.169.254/32";
export const METADATA_LOCK_SCRIPT = "/usr/local/sbin/webstack-metadata-lock";
export const METADATA_LOCK_SERVICE = "webstack-metadata-lock.service";
/** The chain host processes' metadata traffic goes through: root passes, everyone else is dropped. */
export const METADATA_CHAIN = "WEBSTACK-METADATA";
/**
 * DigitalOcean's metrics agent: its unit runs it as `User=do-agent` (digitalocean/do-agent@bc91446b
 * packaging/etc/systemd/system/do-agent.service:7), and it reads its droplet id, region and auth token from the
 * metadata service and sends its metrics through the same address (pkg/clients/tsclient/client.go:39,176-177,
 * 238-262,289-294,484-499), so a blocked agent reports nothing: no memory or disk alerts, no CPU-based autoscaling.
 * Its package creates the user and restarts the unit when it is installed or updated
 * (packaging/scripts/after_install.sh:22,29-31).
 */
export const METRICS_AGENT = { user: "do-agent", unit: "do-agent.service" } as const;
/** A drop-in the agent's unit reads whenever it starts, wherever the package puts the unit file. */
export const METRICS_AGENT_DROP_IN = `${SYSTEMD_DIR}/${METRICS_AGENT.unit}.d/webstack-metadata-lock.conf`;

/**
 * The lock, idempotent (re-run at every boot, and before every start of the metrics agent): containers' traffic to
 * the metadata address is dropped in DOCKER-USER, the chain Docker's FORWARD rules consult first and never
 * rewrite; host processes' traffic passes only for uid 0 (cloud-init, the droplet agent) and, when it exists, the
 * metrics agent's user. The chain is rebuilt in one iptables-restore transaction: `--noflush` keeps every other
 * chain and replaces the one the input declares, so the DROP is never missing, not even while the agent restarts.
 */
export function metadataLockScript(): string {
    const chain = METADATA_CHAIN;
    return [
        "#!/bin/sh",
        HEADER,
        "# Keeps the metadata service (and the user data it serves, which holds this host's secrets) away from",
        "# containers and non-root users. Idempotent: webstack-metadata-lock.service runs it at every boot, before docker,",
        `# and ${METRICS_AGENT.unit} before each start, so the agent's user passes whenever it was installed.`,
        "set -eu",
        `addr=${METADATA_ADDRESS}`,
        "iptables -w -N DOCKER-USER 2>/dev/null || true",
        'iptables -w -C DOCKER-USER -d "$addr" -j DROP 2>/dev/null || iptables -w -I DOCKER-USER 1 -d "$addr" -j DROP',
        "{",
        "    echo '*filter'",
        `    echo ':${chain} - [0:0]'`,
        `    echo '-A ${chain} -m owner --uid-owner 0 -j RETURN'`,
        `    if agent=$(id -u ${METRICS_AGENT.user} 2>/dev/null); then echo "-A ${chain} -m owner --uid-owner $agent -j RETURN"; fi`,
        `    echo '-A ${chain} -j DROP'`,
        "    echo 'COMMIT'",
        "} | iptables-restore -w --noflush",
        `iptables -w -C OUTPUT -d "$addr" -j ${chain} 2>/dev/null || iptables -w -I OUTPUT 1 -d "$addr" -j ${chain}`,
        "",
    ].join("\n");
}

/**
 * Runs the lock as root before every start of the metrics agent: the agent's package creates its user and
 * restarts the unit on install and update (after_install.sh:22,29-31), so whenever DigitalOcean installs it, before
 * or after cloud-init's runcmd, its first start already passes. `+` runs the command with full privileges despite
 * `User=do-agent`, `-` keeps a failed lock from stopping the agent (systemd.service(5), "ExecStart=" prefixes;
 * checked with systemd-analyze verify in test/components/hostConfig/metadataLock.spec.ts).
 */
export function metricsAgentDropIn(): string {
    return [HEADER, "[Service]", `ExecStartPre=-+${METADATA_LOCK_SCRIPT}`, ""].join("\n");
}

export function metadataLockService(): string {
    return [
        HEADER,
        "[Unit]",
        "Description=Keep the metadata service (169.254.169.254) away from containers and non-root users",
        // Early, before any network service or container can start (iptables rules do not survive a reboot).
        "DefaultDependencies=no",
        "After=local-fs.target",
        "Before=network-pre.target docker.service",
        "Wants=network-pre.target",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=${METADATA_LOCK_SCRIPT}`,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

export function metadataLockFiles(): WriteFile[] {
    return [
        file(METADATA_LOCK_SCRIPT, metadataLockScript(), "0700"),
        file(`${SYSTEMD_DIR}/${METADATA_LOCK_SERVICE}`, metadataLockService(), "0644"),
        file(METRICS_AGENT_DROP_IN, metricsAgentDropIn(), "0644"),
    ];
}

/**
 * `config` with the lock added, unless it has it already: for every role whose user data carries a secret file (the
 * metadata service serves the whole user data to whoever asks, so a 0600 file alone protects nothing). The lock's
 * commands go first, before any service of the role starts.
 */
export function withMetadataLock(config: CloudConfig): CloudConfig {
    if (config.write_files.some((f) => f.path === METADATA_LOCK_SCRIPT)) return config;
    return {
        ...config,
        write_files: [...config.write_files, ...metadataLockFiles()],
        runcmd: [...metadataLockCommands(), ...config.runcmd],
    };
}

/** Runs before the app unit is enabled: no container starts before the lock is in place. The daemon-reload also
 *  makes a metrics agent that is already installed read its drop-in for its next start. */
export function metadataLockCommands(): string[][] {
    return [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", METADATA_LOCK_SERVICE],
    ];
}
