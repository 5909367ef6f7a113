// The provider classes the pack names, each resolved once. @pulumi/digitalocean exports every class through a getter
// that calls require() on each access (4.80.1 utilities.js lazyLoad, lines 82-91; index.js defines one per class), and
// the checks name a class for every resource they look at (`r.isType(Droplet)`, `stack.of(LoadBalancer)`): on a
// 1,000-droplet stack that was thousands of module-cache lookups per policy run.
import * as sdk from "@pulumi/digitalocean";

export const digitalocean = {
    Cdn: sdk.Cdn,
    Certificate: sdk.Certificate,
    DatabaseCluster: sdk.DatabaseCluster,
    DatabaseFirewall: sdk.DatabaseFirewall,
    DatabaseLogsinkOpensearch: sdk.DatabaseLogsinkOpensearch,
    DatabaseLogsinkRsyslog: sdk.DatabaseLogsinkRsyslog,
    DatabaseReplica: sdk.DatabaseReplica,
    DnsRecord: sdk.DnsRecord,
    Domain: sdk.Domain,
    Droplet: sdk.Droplet,
    DropletAutoscale: sdk.DropletAutoscale,
    Firewall: sdk.Firewall,
    FloatingIp: sdk.FloatingIp,
    FloatingIpAssignment: sdk.FloatingIpAssignment,
    KubernetesCluster: sdk.KubernetesCluster,
    LoadBalancer: sdk.LoadBalancer,
    MonitorAlert: sdk.MonitorAlert,
    ReservedIp: sdk.ReservedIp,
    ReservedIpAssignment: sdk.ReservedIpAssignment,
    ReservedIpv6: sdk.ReservedIpv6,
    ReservedIpv6Assignment: sdk.ReservedIpv6Assignment,
    SpacesBucket: sdk.SpacesBucket,
    SshKey: sdk.SshKey,
    Tag: sdk.Tag,
    UptimeAlert: sdk.UptimeAlert,
    UptimeCheck: sdk.UptimeCheck,
    Vpc: sdk.Vpc,
} as const;
