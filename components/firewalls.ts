import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { METRICS_PUSH_PORT } from "./hostConfig/metricsPush";
import { NGINX_EXPORTER_PORT } from "./hostConfig/prometheus";
import { isPort, requireValidArgs } from "./validate";

export const WORLD = ["0.0.0.0/0", "::/0"];

/** Who may open a port: DigitalOcean load balancers, droplets by tag, or addresses. */
interface Sources {
    readonly sourceLoadBalancerUids?: pulumi.Input<string>[];
    readonly sourceTags?: pulumi.Input<string>[];
    readonly sourceAddresses?: string[];
}

export interface FirewallsArgs {
    /** CIDRs allowed to SSH to every role; when empty, port 22 is closed. */
    readonly adminCidrs: readonly string[];
    /**
     * The web pool: its tag and the port nginx listens on, which the public load balancers (by id) or the HAProxy
     * droplets (by tag) reach; the monitor's tag may scrape the nginx exporter.
     */
    readonly web: {
        readonly tag: pulumi.Input<string>;
        readonly port: number;
        readonly from: { readonly loadBalancers: pulumi.Input<string>[] } | { readonly tag: pulumi.Input<string> };
        readonly scrapedBy?: pulumi.Input<string>;
    };
    /** The app pool: its tag and port, which only its internal load balancers (by id) reach. */
    readonly app?: {
        readonly tag: pulumi.Input<string>;
        readonly port: number;
        readonly loadBalancers: pulumi.Input<string>[];
    };
    /** The monitor droplet: reached only by the push of the droplets tagged `pushedFrom` (an autoscale web pool). */
    readonly monitor?: { readonly tag: pulumi.Input<string>; readonly pushedFrom?: pulumi.Input<string> };
    /** The HAProxy droplets: 80 and 443 from the world. */
    readonly haproxy?: { readonly tag: pulumi.Input<string> };
}

/**
 * Per-role cloud firewalls (tier 2+): the internet reaches only the load balancers (HAProxy droplets on 80 and 443
 * with the haproxy engine); each role accepts its one port from its load balancer, SSH only from the admin CIDRs,
 * and may reach out (package updates, image pulls, DNS, the managed database).
 */
export class Firewalls extends pulumi.ComponentResource {
    /** One firewall per role, `${name}-web`, `${name}-app`, `${name}-monitor`, `${name}-lb`, in that order. */
    readonly firewalls: digitalocean.Firewall[];

    constructor(name: string, args: FirewallsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Firewalls", name, {}, opts);
        requireValidArgs(this, "Firewalls", name, [
            isPort("web.port", args.web.port),
            ...(args.app ? [isPort("app.port", args.app.port)] : []),
            [
                !args.adminCidrs.some((c) => /\/0$/.test(c)),
                `adminCidrs: SSH from the whole internet is refused; got "${args.adminCidrs.join(", ")}".`,
            ],
        ]);
        const ssh =
            args.adminCidrs.length > 0
                ? [{ protocol: "tcp", portRange: "22", sourceAddresses: [...args.adminCidrs] }]
                : [];
        const outboundRules = [
            { protocol: "tcp", portRange: "1-65535", destinationAddresses: WORLD },
            { protocol: "udp", portRange: "1-65535", destinationAddresses: WORLD },
            { protocol: "icmp", destinationAddresses: WORLD },
        ];
        const firewall = (role: string, tag: pulumi.Input<string>, inbound: { port: number; sources: Sources }[]) =>
            new digitalocean.Firewall(
                `${name}-${role}`,
                {
                    tags: [tag],
                    inboundRules: [
                        ...inbound.map((i) => ({ protocol: "tcp", portRange: String(i.port), ...i.sources })),
                        ...ssh,
                    ],
                    outboundRules,
                },
                { parent: this },
            );
        const { web, app, monitor, haproxy } = args;
        const fromTag = (tag: pulumi.Input<string>): Sources => ({ sourceTags: [tag] });
        this.firewalls = [
            firewall("web", web.tag, [
                {
                    port: web.port,
                    sources:
                        "tag" in web.from ? fromTag(web.from.tag) : { sourceLoadBalancerUids: web.from.loadBalancers },
                },
                // The monitor scrapes the nginx exporter (requests per second); nothing else reaches it. An autoscale
                // pool's members push instead (their agent reaches the exporter on the droplet itself).
                ...(web.scrapedBy ? [{ port: NGINX_EXPORTER_PORT, sources: fromTag(web.scrapedBy) }] : []),
            ]),
            ...(app
                ? [
                      firewall("app", app.tag, [
                          { port: app.port, sources: { sourceLoadBalancerUids: app.loadBalancers } },
                      ]),
                  ]
                : []),
            // The monitor serves nothing but the push listener an autoscale web pool writes to (from the web tag, which
            // the pool's template carries); otherwise its firewall leaves it SSH from the admin CIDRs only.
            ...(monitor
                ? [
                      firewall(
                          "monitor",
                          monitor.tag,
                          monitor.pushedFrom ? [{ port: METRICS_PUSH_PORT, sources: fromTag(monitor.pushedFrom) }] : [],
                      ),
                  ]
                : []),
            ...(haproxy
                ? [
                      firewall(
                          "lb",
                          haproxy.tag,
                          [80, 443].map((port) => ({ port, sources: { sourceAddresses: WORLD } })),
                      ),
                  ]
                : []),
        ];
        this.registerOutputs({ firewalls: this.firewalls });
    }
}
