import * as pulumi from "@pulumi/pulumi";
import { adoptedBy } from "./adoption";
import { HaproxyBalancers, type HaproxyBalancersArgs } from "./haproxyBalancers";
import type { UserDataSpec } from "./hostRoles";
import { LoadBalancers } from "./loadBalancers";
import type { StackSettings } from "./settings/stackSettings";
import { Tls, type TlsArgs } from "./tls";
import { isPort, requireValidArgs } from "./validate";

export interface EdgeArgs {
    /** DigitalOcean's load balancers (count, nodes) or HAProxy droplets (count, size, algorithm). */
    readonly balancer: NonNullable<StackSettings["loadBalancer"]>;
    readonly region: string;
    readonly vpcUuid: pulumi.Input<string>;
    /** The web pool behind the edge: its role tag, the port nginx listens on, the app's health path. */
    readonly web: { readonly tag: pulumi.Input<string>; readonly port: number; readonly healthPath: string };
    /**
     * TLS terminated at the managed load balancers: the certificate, and the zone Let's Encrypt validates through
     * when the stack creates it. HAProxy droplets terminate TLS themselves (their user data says how).
     */
    readonly tls?: TlsArgs & { readonly zone?: pulumi.Resource };
    /**
     * The HAProxy droplets (haproxy engine): their tags, SSH keys, metrics agent and user data, the zone their peer
     * records go in, and the gate each reserved IP waits on before it moves (HaproxyBalancersArgs).
     */
    readonly haproxy?: UserDataSpec &
        Pick<HaproxyBalancersArgs, "zone" | "acmePeersName" | "gate"> & {
            readonly tags: pulumi.Input<string>[];
            readonly sshKeys: readonly string[];
            readonly monitoring: boolean;
        };
}

/**
 * What the public reaches (tier 1+): DigitalOcean load balancers targeting the web pool's tag, with the
 * certificate TLS is terminated with from tier 2, or HAProxy droplets behind reserved IPs.
 */
export class Edge extends pulumi.ComponentResource {
    readonly tls?: Tls;
    /** The managed engine's load balancers. */
    readonly loadBalancers?: LoadBalancers;
    /** The haproxy engine's droplets and reserved IPs. */
    readonly haproxy?: HaproxyBalancers;
    /** The addresses the site's DNS records point at: the load balancers', or the HAProxy droplets' reserved IPs. */
    readonly addresses: pulumi.Output<string>[];

    constructor(name: string, args: EdgeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Edge", name, {}, opts);
        requireValidArgs(this, "Edge", name, [
            isPort("web.port", args.web.port),
            [
                args.balancer.engine === "managed" || args.haproxy !== undefined,
                `haproxy: the HAProxy droplets' tags, SSH keys and user data are required with the haproxy engine; got none.`,
            ],
        ]);
        // These were WebStack's own children: aliased to it, so every URN is kept (adoption.ts).
        const adopted = adoptedBy(this, opts);
        const { balancer, region, vpcUuid, web } = args;
        const managed = balancer.engine === "managed" ? balancer : undefined;
        const tls = managed && args.tls;
        this.tls = tls
            ? new Tls(
                  `${name}-tls`,
                  { domain: tls.domain, certificate: tls.certificate },
                  { ...adopted, dependsOn: tls.zone },
              )
            : undefined;
        this.loadBalancers =
            managed &&
            new LoadBalancers(
                `${name}-lb`,
                {
                    count: managed.count,
                    sizeUnit: managed.sizeUnit,
                    region,
                    vpcUuid,
                    network: "EXTERNAL",
                    targetTag: web.tag,
                    targetPort: web.port,
                    entryPort: web.port,
                    // The app's own health path, through nginx: a droplet whose app does not serve is out.
                    healthcheck: { protocol: "http", path: web.healthPath },
                    certificateName: this.tls?.certificate.name,
                },
                adopted,
            );
        const haproxy = balancer.engine === "haproxy" ? balancer : undefined;
        this.haproxy =
            haproxy && args.haproxy
                ? new HaproxyBalancers(
                      `${name}-haproxy`,
                      { ...args.haproxy, count: haproxy.count, size: haproxy.size, region, vpcUuid },
                      adopted,
                  )
                : undefined;
        this.addresses = this.haproxy
            ? this.haproxy.reservedIps.map((ip) => ip.ipAddress)
            : (this.loadBalancers?.loadBalancers ?? []).map((lb) => lb.ip);
        this.registerOutputs({
            tls: this.tls,
            loadBalancers: this.loadBalancers,
            haproxy: this.haproxy,
            addresses: this.addresses,
        });
    }
}
