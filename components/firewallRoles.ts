// The per-role cloud firewall rules of a WebStack (moved out of webStack.ts to keep it under the layout limit).
import type * as digitalocean from "@pulumi/digitalocean";
import type * as pulumi from "@pulumi/pulumi";
import { FirewallRole, WORLD } from "./firewalls";
import { METRICS_PUSH_PORT } from "./hostConfig/metricsPush";
import { NGINX_EXPORTER_PORT } from "./hostConfig/prometheus";
import type { LoadBalancers } from "./loadBalancers";
import type { StackSettings } from "./settings/stackSettings";

/**
 * The per-role doors (tier 2+): the web pool accepts its port from the public load balancers (or the HAProxy
 * droplets' tag), the app pool from its internal load balancer, and HAProxy droplets 80/443 from the world.
 */
export function firewallRoles(
    s: StackSettings,
    tags: {
        web: pulumi.Output<string>;
        app?: pulumi.Output<string>;
        lb?: pulumi.Output<string>;
        monitor?: pulumi.Output<string>;
    },
    publicLbs: readonly digitalocean.LoadBalancer[],
    appLb: LoadBalancers | undefined,
    webPort: number,
): FirewallRole[] {
    const webPushes = s.web.autoscale !== undefined;
    const roles: FirewallRole[] = [
        {
            role: "web",
            tag: tags.web,
            inbound: [
                {
                    port: webPort,
                    sources: tags.lb
                        ? { sourceTags: [tags.lb] }
                        : { sourceLoadBalancerUids: publicLbs.map((lb) => lb.id) },
                },
                // The monitor scrapes the nginx exporter (requests per second); nothing else reaches it. An
                // autoscale pool's members push instead (their agent reaches the exporter on the droplet itself).
                ...(tags.monitor && !webPushes
                    ? [{ port: NGINX_EXPORTER_PORT, sources: { sourceTags: [tags.monitor] } }]
                    : []),
            ],
        },
    ];
    if (tags.app && appLb) {
        roles.push({
            role: "app",
            tag: tags.app,
            inbound: [
                { port: s.app.port, sources: { sourceLoadBalancerUids: appLb.loadBalancers.map((lb) => lb.id) } },
            ],
        });
    }
    // The monitor droplet serves nothing but the push listener an autoscale web pool writes to (from the
    // web tag, which the pool's template carries); otherwise its firewall leaves it SSH from the admin CIDRs only.
    if (tags.monitor) {
        roles.push({
            role: "monitor",
            tag: tags.monitor,
            inbound: webPushes ? [{ port: METRICS_PUSH_PORT, sources: { sourceTags: [tags.web] } }] : [],
        });
    }
    if (tags.lb)
        roles.push({
            role: "lb",
            tag: tags.lb,
            inbound: [80, 443].map((port) => ({ port, sources: { sourceAddresses: WORLD } })),
        });
    return roles;
}
