// HAProxy's certificate on the host: a self-signed placeholder so HAProxy can start, certbot's first issuance
// through HAProxy's ACME route, and the deploy hook that joins chain and key for HAProxy.
import { ACME_HTTP01_PORT, HAPROXY_CERT_DIR, HAPROXY_CONFIG_PATH } from "./haproxy";
import { HEADER } from "./types";

export const CERT_PLACEHOLDER_SCRIPT = "/usr/local/sbin/webstack-haproxy-placeholder-cert";
export const CERT_DEPLOY_HOOK = "/usr/local/sbin/webstack-haproxy-cert-deploy";
export const CERTBOT_SERVICE = "webstack-certbot.service";
export const CERTBOT_TIMER = "webstack-certbot.timer";
/** With ACME peers: waits until the peers' DNS name lists this droplet, so the first order is not a wasted failure. */
export const ACME_PEER_WAIT = "/usr/local/sbin/webstack-acme-wait-peer";
/** How long the wait may take before the service fails (the timer tries again 15 minutes later). */
export const ACME_PEER_WAIT_SECONDS = 600;

export function haproxyCommands(): string[][] {
    return [
        ["haproxy", "-c", "-f", HAPROXY_CONFIG_PATH],
        ["systemctl", "enable", "haproxy.service"],
        ["systemctl", "restart", "haproxy.service"],
    ];
}

export function placeholderCertScript(domain: string): string {
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
        `openssl req -x509 -newkey rsa:2048 -nodes -days 90 -subj "/CN=${domain}" -addext "subjectAltName=DNS:${domain},DNS:www.${domain}" -keyout "$tmp/key.pem" -out "$tmp/cert.pem"`,
        `cat "$tmp/cert.pem" "$tmp/key.pem" > "$tmp/combined.pem"`,
        `install -m 0600 "$tmp/combined.pem" ${pem}`,
        "",
    ].join("\n");
}

export function certDeployHook(domain: string): string {
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

/**
 * Exits 0 once `peersName` resolves to this droplet's private IPv4 (DigitalOcean metadata
 * `interfaces/private/0/ipv4/address`), 1 after ACME_PEER_WAIT_SECONDS. Until then no peer would forward a challenge
 * here, and a validation that fails counts against Let's Encrypt's limit of 5 failed authorizations per name per
 * account per hour (letsencrypt.org/docs/rate-limits/).
 */
export function peerWaitScript(peersName: string): string {
    return [
        "#!/bin/sh",
        HEADER,
        "set -eu",
        "ip=$(curl -fsS --retry 5 --retry-connrefused http://169.254.169.254/metadata/v1/interfaces/private/0/ipv4/address)",
        `deadline=$(( $(date +%s) + ${ACME_PEER_WAIT_SECONDS} ))`,
        `until getent ahostsv4 ${peersName} | awk '{print $1}' | grep -qx "$ip"; do`,
        '    [ "$(date +%s)" -lt "$deadline" ] || { echo "' + peersName + ' does not list $ip yet" >&2; exit 1; }',
        "    sleep 10",
        "done",
        "",
    ].join("\n");
}

/**
 * The first-issuance unit. With `peersName` (haproxy.ts `acmePeers`) it first waits until the peers' DNS name lists
 * this droplet: Let's Encrypt may ask any HAProxy droplet for the challenge, and the others find this one by that name.
 */
export function certbotService(domain: string, peersName?: string): string {
    const certbot = [
        "/usr/bin/certbot certonly --standalone --non-interactive --agree-tos --register-unsafely-without-email",
        // HAProxy owns port 80 and routes /.well-known/acme-challenge/ to certbot on loopback.
        `--preferred-challenges http --http-01-address 127.0.0.1 --http-01-port ${ACME_HTTP01_PORT}`,
        // One certificate for the apex and www, the two names the stack's DNS points here.
        `--cert-name ${domain} --domain ${domain} --domain www.${domain} --deploy-hook ${CERT_DEPLOY_HOOK}`,
    ].join(" ");
    return [
        HEADER,
        "[Unit]",
        `Description=Obtain the Let's Encrypt certificate for ${domain} and www.${domain}`,
        "Wants=network-online.target",
        "After=network-online.target haproxy.service",
        // Renewals are certbot.timer's job (the Debian package's); this unit only gets the first certificate.
        `ConditionPathExists=!/etc/letsencrypt/live/${domain}/fullchain.pem`,
        "",
        "[Service]",
        "Type=oneshot",
        ...(peersName ? [`ExecStartPre=${ACME_PEER_WAIT}`, `TimeoutStartSec=${ACME_PEER_WAIT_SECONDS + 300}`] : []),
        `ExecStart=${certbot}`,
        "",
    ].join("\n");
}

export function certbotTimer(domain: string): string {
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
