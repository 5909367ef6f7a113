// Draining on shutdown: before nginx (and the app) stop, the health path answers 503 for long enough that every
// load balancer has taken the droplet out, so no request is sent to a droplet that is going away. Pure renderers.
//
// Why: a load balancer keeps sending requests to a backend until its check has failed `unhealthy_threshold` times
// ("The number of times a health check must fail for a backend Droplet to be marked 'unhealthy' and be removed from
// the pool", digitalocean/openapi specification/resources/load_balancers/models/health_check.yml:45-50), and no
// DigitalOcean document says it retries a refused connection on another droplet. Pulumi deletes replaced droplets
// with `gracefulShutdown: true`, which sends a shutdown action and waits for the droplet to be off before deleting it
// (terraform-provider-digitalocean digitalocean/droplet/resource_droplet.go:861-877 @ 401992a1), and systemd stops
// units in the reverse of their start order (systemd.unit(5), Before=/After=), so a unit ordered after nginx is
// stopped first: its ExecStop is the drain.
import { HEADER, SYSTEMD_DIR, type WriteFile, file } from "./types";

/** While this file exists the health location answers 503 (nginx.ts, appProxy.ts). /run is emptied at boot. */
export const DRAIN_FLAG = "/run/webstack/draining";
export const DRAIN_SCRIPT = "/usr/local/sbin/webstack-drain";
export const DRAIN_SERVICE = "webstack-drain.service";

/** A load balancer's health check as DigitalOcean's API and HAProxy's `inter`/`fall`/`timeout check` describe it. */
export interface HealthCheckTiming {
    readonly intervalSeconds: number;
    readonly unhealthyThreshold: number;
    readonly timeoutSeconds: number;
}

/**
 * Seconds the health path must fail before nginx stops: the longest any checking load balancer needs to take the
 * droplet out (the first failing check comes within one interval, then `unhealthyThreshold - 1` more intervals),
 * plus one check timeout of slack. The managed load balancers' 10 s × 3 with a 5 s timeout gives 35 s.
 */
export function drainSeconds(checks: readonly HealthCheckTiming[]): number {
    if (checks.length === 0) throw new Error("drainSeconds: at least one health check is required; got none.");
    return Math.max(...checks.map((c) => c.intervalSeconds * c.unhealthyThreshold + c.timeoutSeconds));
}

/** A drain's length in seconds: it must finish well inside the 5 minutes the droplets' deletes wait (serverPool.ts). */
const DRAIN_SECONDS_RANGE = { min: 1, max: 300 } as const;

/** Appends a problem unless `value` is a drain length in DRAIN_SECONDS_RANGE. */
export function checkDrainSeconds(problems: string[], path: string, value: unknown): void {
    const { min, max } = DRAIN_SECONDS_RANGE;
    if (!Number.isInteger(value) || (value as number) < min || (value as number) > max)
        problems.push(`${path}: must be an integer from ${min} to ${max}; got "${String(value)}".`);
}

/** The drain script: raise the flag, then wait `seconds` while the load balancers notice. */
export function drainScript(seconds: number): string {
    const problems: string[] = [];
    checkDrainSeconds(problems, "seconds", seconds);
    if (problems.length > 0) throw new Error(`drainScript: ${problems[0]}`);
    return [
        "#!/bin/sh",
        HEADER,
        "# Runs when the droplet shuts down (ExecStop of the drain unit): the health path fails from now on, and nginx",
        "# and the app keep serving until every load balancer has stopped sending requests here.",
        "set -eu",
        `install -d -m 0755 ${DRAIN_FLAG.slice(0, DRAIN_FLAG.lastIndexOf("/"))}`,
        `touch ${DRAIN_FLAG}`,
        `sleep ${seconds}`,
        "",
    ].join("\n");
}

/**
 * The unit whose stop is the drain. Ordered after nginx and the app (and the identity proxy, which is nginx too), so
 * at shutdown systemd stops it first and waits for the drain before stopping them. TimeoutStopSec leaves the drain
 * room under systemd's default 90 s.
 */
export function drainService(seconds: number): string {
    return [
        HEADER,
        "[Unit]",
        "Description=Fail the health path before shutdown so load balancers stop sending requests first",
        "After=network-online.target nginx.service webstack-app.service docker.service",
        "",
        "[Service]",
        "Type=oneshot",
        "RemainAfterExit=yes",
        `ExecStart=/bin/rm -f ${DRAIN_FLAG}`,
        `ExecStop=${DRAIN_SCRIPT}`,
        `TimeoutStopSec=${seconds + 15}`,
        "",
        "[Install]",
        "WantedBy=multi-user.target",
        "",
    ].join("\n");
}

/** The cloud-config parts: the script, the unit, and enabling it. */
export function drainParts(seconds: number): { packages: string[]; writeFiles: WriteFile[]; runcmd: string[][] } {
    return {
        packages: [],
        writeFiles: [
            file(DRAIN_SCRIPT, drainScript(seconds), "0700"),
            file(`${SYSTEMD_DIR}/${DRAIN_SERVICE}`, drainService(seconds), "0644"),
        ],
        runcmd: [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", DRAIN_SERVICE],
        ],
    };
}
