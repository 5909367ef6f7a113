// The identity proxy on app droplets (tier >= 2): nginx in front of the app container, so the droplet can announce
// itself on the health path (servingIdentity.ts) and drain before shutdown (drain.ts) although the app image is the
// user's. It listens on the app port, where the internal load balancer forwards TCP; the container is published on
// loopback only. Pure: options in, text out.
import { checkHealthPath, checkPort, formatProblems } from "./checks";
import { renderProxySite } from "./nginx";
import { HEALTH_CHECK_PATH, type WriteFile, file } from "./types";

export const APP_PROXY_SITE_PATH = "/etc/nginx/sites-available/webstack-app";
export const APP_PROXY_SITE_LINK = "/etc/nginx/sites-enabled/webstack-app";
/** Where the container is published on loopback when nginx takes the app port. */
export const APP_LOOPBACK_PORT = 18080;

/** The loopback port for an app that listens on `appPort` (never the same port: nginx holds that one). */
export const appLoopbackPort = (appPort: number): number =>
    appPort === APP_LOOPBACK_PORT ? APP_LOOPBACK_PORT + 1 : APP_LOOPBACK_PORT;

export interface AppProxyOptions {
    /** The app port (1-65535): the internal load balancer forwards to it and checks its health path there. */
    readonly appPort: number;
    /** The app's health path. @default "/healthz" */
    readonly healthPath?: string;
}

/**
 * The site (nginx.ts `renderProxySite`, the web site's limits and timeouts, so this hop is never the stricter one):
 * every request goes to the container on `127.0.0.1:appLoopbackPort(appPort)` unchanged, the X-Forwarded-* headers the
 * web droplets' nginx set included (nginx passes a client's request headers on unless told otherwise). Throws one
 * Error listing every invalid option.
 */
export function renderAppProxyConfig(opts: AppProxyOptions): string {
    const problems: string[] = [];
    checkPort(problems, "appPort", opts.appPort);
    if (opts.healthPath !== undefined) checkHealthPath(problems, "healthPath", opts.healthPath);
    if (problems.length > 0) throw new Error(`Invalid app proxy options:\n${formatProblems(problems)}`);
    return renderProxySite({
        renderer: "components/hostConfig/appProxy.ts",
        listenPort: opts.appPort,
        upstream: { host: "127.0.0.1", port: appLoopbackPort(opts.appPort) },
        health: { path: opts.healthPath ?? HEALTH_CHECK_PATH, served: true },
    });
}

/**
 * The cloud-config parts of the identity proxy: nginx, the site, and switching nginx to it. The app unit must publish
 * the container on `127.0.0.1:appLoopbackPort(appPort)` instead of the app port (the wiring does).
 */
export function appProxyParts(opts: AppProxyOptions): {
    packages: string[];
    writeFiles: WriteFile[];
    runcmd: string[][];
} {
    return {
        packages: ["nginx"],
        writeFiles: [file(APP_PROXY_SITE_PATH, renderAppProxyConfig(opts), "0644")],
        runcmd: [
            // The stock site also claims default_server on port 80.
            ["rm", "-f", "/etc/nginx/sites-enabled/default"],
            ["ln", "-sfn", APP_PROXY_SITE_PATH, APP_PROXY_SITE_LINK],
            ["systemctl", "enable", "nginx.service"],
            ["systemctl", "reload-or-restart", "nginx.service"],
        ],
    };
}
