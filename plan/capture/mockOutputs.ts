// The outputs DigitalOcean would compute for each resource type (ids, IPs, hosts, URNs, passwords), invented
// deterministically from the resource's name so runs are stable. The recorder answers registrations with them.
import { stateUserDataHash } from "../../policies/lib/userDataHash";
import { isSecret, secretValue } from "./secretValues";

/** Every invented password starts with this, so a scan can look for them. */
export const MOCK_PASSWORD_PREFIX = "mock-password-";

/** A short deterministic number from a string, so invented IPs and ids are stable across runs. */
function hashOf(text: string): number {
    let h = 2166136261;
    for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
    return h >>> 0;
}

/**
 * The inputs as the provider's state keeps them: a droplet's user data as the SHA-1 of the text, in a preview's plan
 * and after a create alike (policies/lib/userDataHash.ts says where the provider does it). The policy pack's stack
 * checks see the state.
 */
function stored(type: string, inputs: Record<string, any>): Record<string, unknown> {
    if (type !== "digitalocean:index/droplet:Droplet") return { ...inputs };
    // User data that carries secrets arrives as a secret; its hash stays one.
    const secret = isSecret(inputs.userData);
    const text = secret ? inputs.userData.value : inputs.userData;
    if (typeof text !== "string") return { ...inputs };
    const hash = stateUserDataHash(text);
    return { ...inputs, userData: secret ? secretValue(hash) : hash };
}

/**
 * Outputs DigitalOcean computes, per type token. Inputs are echoed back as the provider does. In preview (a first
 * `pulumi preview`) only the inputs come back and no id: Pulumi's mock then resolves every other output, and the
 * id, as unknown, the way the engine reports what the cloud has not computed yet.
 */
export function inventOutputs(
    type: string,
    name: string,
    inputs: Record<string, any>,
    preview = false,
): { id: string; state: Record<string, unknown> } {
    if (preview) return { id: "", state: stored(type, inputs) };
    const h = hashOf(`${type}::${name}`);
    const id = String(100000000 + (h % 800000000));
    const uuid = `00000000-0000-4000-8000-${String(h).padStart(12, "0").slice(-12)}`;
    const octet = 1 + (h % 250);
    const auto = (prefix: string) => inputs.name ?? `${prefix}-${(h % 0xffffff).toString(16).padStart(6, "0")}`;
    const base = stored(type, inputs);
    switch (type) {
        case "digitalocean:index/droplet:Droplet":
            return {
                id,
                state: {
                    ...base,
                    name: auto(name),
                    ipv4Address: `203.0.113.${octet}`,
                    ipv4AddressPrivate: `10.10.1.${octet}`,
                    dropletUrn: `do:droplet:${id}`,
                    status: "active",
                    vpcUuid: inputs.vpcUuid ?? uuid,
                },
            };
        case "digitalocean:index/loadBalancer:LoadBalancer":
            return {
                id: uuid,
                state: {
                    ...base,
                    name: auto(name),
                    ip: inputs.network === "INTERNAL" ? `10.10.2.${octet}` : `198.51.100.${octet}`,
                    loadBalancerUrn: `do:loadbalancer:${uuid}`,
                    status: "active",
                },
            };
        case "digitalocean:index/databaseCluster:DatabaseCluster": {
            const host = `${auto(name)}-do-user-1.db.ondigitalocean.com`;
            const user = "doadmin";
            const password = `${MOCK_PASSWORD_PREFIX}${h}`;
            // DigitalOcean's ports: 25060 for MySQL (and PostgreSQL), 25061 for Valkey.
            const port = inputs.engine === "valkey" ? 25061 : 25060;
            // OpenSearch speaks HTTPS and comes with OpenSearch Dashboards (the ui* outputs).
            if (inputs.engine === "opensearch") {
                return {
                    id: uuid,
                    state: {
                        ...base,
                        name: auto(name),
                        host,
                        privateHost: `private-${host}`,
                        port: 25060,
                        user,
                        password,
                        uri: `https://${user}:${password}@${host}:25060`,
                        privateUri: `https://${user}:${password}@private-${host}:25060`,
                        uiHost: `${auto(name)}-dashboards-do-user-1.db.ondigitalocean.com`,
                        uiPort: 443,
                        uiUser: user,
                        uiPassword: `${MOCK_PASSWORD_PREFIX}ui-${h}`,
                        uiUri:
                            `https://${user}:${MOCK_PASSWORD_PREFIX}ui-${h}@` +
                            `${auto(name)}-dashboards-do-user-1.db.ondigitalocean.com:443`,
                        clusterUrn: `do:dbaas:${uuid}`,
                    },
                };
            }
            return {
                id: uuid,
                state: {
                    ...base,
                    name: auto(name),
                    host,
                    privateHost: `private-${host}`,
                    port,
                    user,
                    password,
                    database: "defaultdb",
                    uri: `mysql://${user}:${password}@${host}:${port}/defaultdb?ssl-mode=REQUIRED`,
                    privateUri: `mysql://${user}:${password}@private-${host}:${port}/defaultdb?ssl-mode=REQUIRED`,
                    // The provider's form, https://<host>:<port>/metrics (TF resource_database_cluster.go
                    // setMetricsEndpoints); port 9273 per DigitalOcean's MySQL monitoring docs. The API lists "one
                    // record for the cluster's primary node and a second entry for the cluster's standby node(s)"
                    // (digitalocean/openapi databases/models/database_cluster.yml:170-177); the standby host's form is
                    // not documented, so it is invented.
                    metricsEndpoints: [
                        `https://${host}:9273/metrics`,
                        ...(Number(inputs.nodeCount ?? 1) > 1 ? [`https://standby-${host}:9273/metrics`] : []),
                    ],
                    clusterUrn: `do:dbaas:${uuid}`,
                },
            };
        }
        case "digitalocean:index/databaseReplica:DatabaseReplica": {
            const host = `${auto(name)}-do-user-1.db.ondigitalocean.com`;
            return {
                id: uuid,
                state: {
                    ...base,
                    name: auto(name),
                    uuid,
                    host,
                    privateHost: `private-${host}`,
                    port: 25060,
                    user: "doadmin",
                    password: `${MOCK_PASSWORD_PREFIX}${h}`,
                    uri: `mysql://doadmin:${MOCK_PASSWORD_PREFIX}${h}@${host}:25060/defaultdb`,
                    privateUri: `mysql://doadmin:${MOCK_PASSWORD_PREFIX}${h}@private-${host}:25060/defaultdb`,
                },
            };
        }
        case "digitalocean:index/databaseUser:DatabaseUser":
            return {
                id: `${inputs.clusterId}/user/${inputs.name}`,
                state: { ...base, password: `${MOCK_PASSWORD_PREFIX}${h}`, role: "normal" },
            };
        case "digitalocean:index/databaseDb:DatabaseDb":
            return { id: `${inputs.clusterId}/database/${inputs.name}`, state: base };
        case "digitalocean:index/certificate:Certificate":
            return {
                id: uuid,
                state: {
                    ...base,
                    name: auto(name),
                    uuid,
                    state: "verified",
                    notAfter: "2027-02-23T00:00:00Z",
                    sha1Fingerprint: h.toString(16),
                },
            };
        case "digitalocean:index/domain:Domain":
            return { id: inputs.name, state: { ...base, domainUrn: `do:domain:${inputs.name}`, ttl: 1800 } };
        case "digitalocean:index/dnsRecord:DnsRecord":
            return {
                id,
                state: { ...base, fqdn: inputs.name === "@" ? inputs.domain : `${inputs.name}.${inputs.domain}` },
            };
        case "digitalocean:index/vpc:Vpc":
            // Without ipRange DigitalOcean allocates a free /20; the invented one holds the invented private addresses.
            return {
                id: uuid,
                state: { ...base, name: auto(name), ipRange: inputs.ipRange ?? "10.10.0.0/20", urn: `do:vpc:${uuid}` },
            };
        case "digitalocean:index/reservedIp:ReservedIp":
            return {
                id: `192.0.2.${octet}`,
                state: { ...base, ipAddress: `192.0.2.${octet}`, urn: `do:reservedip:192.0.2.${octet}` },
            };
        case "digitalocean:index/dropletAutoscale:DropletAutoscale":
            return { id: uuid, state: { ...base, name: auto(name), status: "active" } };
        case "digitalocean:index/tag:Tag":
            return { id: inputs.name, state: base };
        case "digitalocean:index/spacesBucket:SpacesBucket": {
            const bucket = auto(name);
            return {
                id: bucket,
                state: {
                    ...base,
                    name: bucket,
                    bucketDomainName: `${bucket}.${inputs.region}.digitaloceanspaces.com`,
                    endpoint: `${inputs.region}.digitaloceanspaces.com`,
                    bucketUrn: `do:space:${bucket}`,
                },
            };
        }
        case "digitalocean:index/cdn:Cdn":
            return {
                id: uuid,
                state: {
                    ...base,
                    endpoint:
                        `${String(inputs.origin ?? "origin").split(".")[0]}.` +
                        `${inputs.region ?? "nyc3"}.cdn.digitaloceanspaces.com`,
                    createdAt: "2026-11-25T00:00:00Z",
                },
            };
        case "digitalocean:index/databaseLogsinkOpensearch:DatabaseLogsinkOpensearch":
            // The provider's id is "<cluster id>,<sink id>" (resource_database_logsink_opensearch.go).
            return { id: `${inputs.clusterId},${uuid}`, state: { ...base, logsinkId: uuid } };
        case "digitalocean:index/monitorAlert:MonitorAlert":
            return { id: uuid, state: { ...base, uuid } };
        case "digitalocean:index/uptimeCheck:UptimeCheck":
        case "digitalocean:index/uptimeAlert:UptimeAlert":
        case "digitalocean:index/firewall:Firewall":
        case "digitalocean:index/databaseFirewall:DatabaseFirewall":
        case "digitalocean:index/project:Project":
            return { id: uuid, state: { ...base, name: inputs.name ?? auto(name) } };
        default:
            return { id: `${name}-id`, state: base };
    }
}
