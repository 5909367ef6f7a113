// What every Prometheus host webstack renders shares (the monitor, and an autoscaled web droplet's agent): the
// Debian/Ubuntu package's defaults file and secrets directory, the loopback listener, the nginx exporter's port.
// Apart from prometheus.ts so metricsPush.ts can use them without importing the monitor's renderers.

/** The nginx exporter's port on the web droplets' private interface (the package's default, 9113). */
export const NGINX_EXPORTER_PORT = 9113;
/** Prometheus (the monitor's, and an agent's own status pages) listens on loopback only; viewed through SSH (docs/monitoring.md). */
export const PROMETHEUS_LISTEN = "127.0.0.1:9090";
/** The package's unit runs `/usr/bin/prometheus $ARGS` with ARGS from this file (Debian 12's 2.42.0 unit). */
export const PROMETHEUS_DEFAULTS = "/etc/default/prometheus";
/** Where the secret files the daemons read (as user `prometheus`) live: 0700, owned by `prometheus`. */
export const PROMETHEUS_SECRETS_DIR = "/etc/prometheus/secrets";
/** Creates (or corrects) the secrets directory: with `secrets.delivery: manual` no secret file has made it. */
export const SECRETS_DIR_COMMAND = [
    "install",
    "-d",
    "-m",
    "0700",
    "-o",
    "prometheus",
    "-g",
    "prometheus",
    PROMETHEUS_SECRETS_DIR,
];
