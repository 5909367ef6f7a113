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
 * The lock, idempotent (re-run at every boot): containers' traffic to the metadata address is dropped in
 * DOCKER-USER, the chain Docker's FORWARD rules consult first and never rewrite; host processes' traffic
 * passes only for uid 0 (cloud-init, the droplet agent) and, when installed, the metrics agent's own user.
 */
export function metadataLockScript(): string {
    return [
        "#!/bin/sh",
        HEADER,
        "# Keeps the metadata service (and the user data it serves, which holds this host's secrets) away from",
        "# containers and non-root users. Idempotent: webstack-metadata-lock.service runs it at every boot, before docker.",
        "set -eu",
        `addr=${METADATA_ADDRESS}`,
        "iptables -w -N DOCKER-USER 2>/dev/null || true",
        'iptables -w -C DOCKER-USER -d "$addr" -j DROP 2>/dev/null || iptables -w -I DOCKER-USER 1 -d "$addr" -j DROP',
        `iptables -w -N ${METADATA_CHAIN} 2>/dev/null || iptables -w -F ${METADATA_CHAIN}`,
        `iptables -w -A ${METADATA_CHAIN} -m owner --uid-owner 0 -j RETURN`,
        // DigitalOcean's metrics agent runs as its own user and reads the metadata service (inference, see docs/serving.md).
        `if id -u do-agent >/dev/null 2>&1; then iptables -w -A ${METADATA_CHAIN} -m owner --uid-owner do-agent -j RETURN; fi`,
        `iptables -w -A ${METADATA_CHAIN} -j DROP`,
        `iptables -w -C OUTPUT -d "$addr" -j ${METADATA_CHAIN} 2>/dev/null || iptables -w -I OUTPUT 1 -d "$addr" -j ${METADATA_CHAIN}`,
        "",
    ].join("\n");
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

/** Runs before the app unit is enabled: no container starts before the lock is in place. */
export function metadataLockCommands(): string[][] {
    return [
        ["systemctl", "daemon-reload"],
        ["systemctl", "enable", "--now", METADATA_LOCK_SERVICE],
    ];
}
