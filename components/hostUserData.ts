// The user data of each pool as Pulumi Outputs: the pure renderers (hostConfig/) fed with the cloud's outputs
// (hosts, replicas, passwords). User data that carries the app's secrets or a custom certificate is a
// Pulumi secret from end to end; the pools also list it in additionalSecretOutputs (`userDataIsSecret`).
import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import type { Cache } from "./cache";
import type { Database } from "./database";
import { renderCloudInit } from "./hostConfig/cloudInit";
import type { AppSecrets } from "./hostConfig/types";
import type { StackSettings } from "./settings/stackSettings";

/** User data and whether it carries secrets. */
export interface UserData {
    text: pulumi.Output<string> | string;
    secret: boolean;
}

/**
 * The app's secrets when `secrets.delivery` is "userData" (undefined with "manual": an operator copies the file).
 * DigitalOcean has no instance identity or secret store; user data is the one channel it feeds to droplets it
 * creates itself, autoscale members included (docs.digitalocean.com/products/droplets/how-to/use-autoscale-pools).
 */
function appSecrets(s: StackSettings, database: Database, cache?: Cache): pulumi.Output<AppSecrets | undefined> {
    return pulumi
        .all([database.appUser.password, cache ? cache.cluster.password : undefined])
        .apply(([db, c]) =>
            s.secretsDelivery === "userData"
                ? { DATABASE_PASSWORD: db, ...(c === undefined ? {} : { CACHE_PASSWORD: c }) }
                : undefined,
        );
}

/** Host, user, database and the replicas' private hosts, which reach the app as DATABASE_READ_HOSTS. */
function databaseEndpoint(database: Database) {
    return (
        pulumi
            .all([
                database.cluster.privateHost,
                database.cluster.port,
                database.appUser.name,
                database.appDatabase.name,
                pulumi.all(database.replicas.map((r) => r.privateHost)),
            ])
            // The port as the cluster reports it, not a constant: DigitalOcean assigns it.
            .apply(([host, port, user, db, readHosts]) => ({ host, port, user, database: db, readHosts }))
    );
}

const wrap = (text: pulumi.Output<string>, secret: boolean): UserData => ({
    text: secret ? pulumi.secret(text) : text,
    secret,
});

/** Tier 2+: the app droplets (app container only). */
export function appUserData(s: StackSettings, database: Database, cache?: Cache): UserData {
    const text = pulumi
        .all([
            databaseEndpoint(database),
            cache ? pulumi.all([cache.cluster.privateHost, cache.cluster.port]) : undefined,
            appSecrets(s, database, cache),
        ])
        .apply(([endpoint, cacheAt, secrets]) =>
            renderCloudInit({
                kind: "app",
                app: s.app,
                database: endpoint,
                cache: cacheAt ? { host: cacheAt[0], port: cacheAt[1] } : undefined,
                secrets,
            }),
        );
    return wrap(text, s.secretsDelivery === "userData");
}

/** Tier 0 (all in one, no secret: the host makes its own MySQL password) and tier 1 (nginx + app, managed MySQL). */
export function webAndAppUserData(s: StackSettings, webPort: number, database?: Database): UserData {
    if (!database) return { text: renderCloudInit({ kind: "all-in-one", app: s.app, webPort }), secret: false };
    const text = pulumi
        .all([databaseEndpoint(database), appSecrets(s, database)])
        .apply(([endpoint, secrets]) =>
            renderCloudInit({ kind: "web-and-app", app: s.app, webPort, database: endpoint, secrets }),
        );
    return wrap(text, s.secretsDelivery === "userData");
}

/**
 * HAProxy droplets: the web pool's private addresses, and either certbot (Let's Encrypt for apex and www) or,
 * the custom certificate delivered in secret user data.
 */
export function haproxyUserData(
    s: StackSettings,
    haproxy: Extract<StackSettings["loadBalancer"], { engine: "haproxy" }>,
    webDroplets: readonly digitalocean.Droplet[],
    webPort: number,
): UserData {
    const custom = s.certificate?.kind === "custom" ? s.certificate : undefined;
    const pem =
        custom &&
        pulumi.secret(
            [custom.leafCertificate, custom.certificateChain, custom.privateKey]
                .filter((p) => p)
                .map((p) => `${p!.trim()}\n`)
                .join(""),
        );
    const text = pulumi
        .all([pulumi.all(webDroplets.map((d) => d.ipv4AddressPrivate)), pem])
        .apply(([ips, certificatePem]) =>
            renderCloudInit({
                kind: "haproxy",
                backends: ips.map((host) => ({ host, port: webPort })),
                algorithm: haproxy.algorithm,
                tls: s.certificate !== undefined,
                domain: s.domain,
                healthPath: s.app.healthPath,
                certificatePem,
            }),
        );
    return wrap(text, custom !== undefined);
}
