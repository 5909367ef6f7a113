import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { LIMITS, isWithin } from "./settings/limits";
import { inBounds, isPort, requireValidArgs } from "./validate";

/**
 * Every DigitalOcean load balancer's health check: every 10 s, 5 s to answer, 3 passes to come in and 3 failures to
 * go out (the fields: digitalocean/openapi@7c1300c specification/resources/load_balancers/models/health_check.yml
 * :31-54). The droplets' drain (hostRoles.ts) lasts as long as the slowest check takes to stop sending requests.
 */
export const HEALTH_CHECK = {
    checkIntervalSeconds: 10,
    responseTimeoutSeconds: 5,
    healthyThreshold: 3,
    unhealthyThreshold: 3,
} as const;

export interface LoadBalancersArgs {
    /** Number of load balancers, 1 to 10; several public ones run active-active behind DNS. */
    readonly count: number;
    /** Nodes per load balancer, 1 to 200 (each node handles about 10,000 requests per second). */
    readonly sizeUnit: number;
    readonly region: string;
    readonly vpcUuid: pulumi.Input<string>;
    /** EXTERNAL serves the internet; INTERNAL serves the VPC only (the app pool behind nginx). */
    readonly network: "EXTERNAL" | "INTERNAL";
    /** Tag of the droplets to balance: new droplets with the tag join without touching the load balancer. */
    readonly targetTag: pulumi.Input<string>;
    /** Port the droplets listen on. */
    readonly targetPort: number;
    /** Port clients connect to with plain HTTP. */
    readonly entryPort: number;
    /**
     * "http" parses requests and sets its own X-Forwarded-For/-Proto/-Port; "tcp" passes the bytes through, so
     * the headers set in front (the public load balancer's X-Forwarded-Proto: https) reach the droplets intact.
     * "tcp" excludes `certificateName`. @default "http"
     */
    readonly forwarding?: "http" | "tcp";
    /** Health check; "http" checks `path` (a 2xx/3xx answer is healthy), "tcp" only opens the port. */
    readonly healthcheck: { readonly protocol: "http" | "tcp"; readonly path?: string };
    /** When set: HTTPS on 443 with this certificate, HTTP redirected to HTTPS, STRONG ciphers. */
    readonly certificateName?: pulumi.Input<string>;
}

/** One or more DigitalOcean load balancers targeting a droplet tag, `${name}-0` … */
export class LoadBalancers extends pulumi.ComponentResource {
    readonly loadBalancers: digitalocean.LoadBalancer[];

    constructor(name: string, args: LoadBalancersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:LoadBalancers", name, {}, opts);
        requireValidArgs(this, "LoadBalancers", name, [
            inBounds("count", args.count, LIMITS.loadBalancers),
            inBounds("sizeUnit", args.sizeUnit, LIMITS.loadBalancerNodes),
            isPort("targetPort", args.targetPort),
            [
                isWithin(args.entryPort, LIMITS.port) &&
                    !(args.certificateName !== undefined && args.entryPort === 443),
                `entryPort: must be a port from ${LIMITS.port.min} to ${LIMITS.port.max} other than 443 when TLS uses 443; got "${args.entryPort}".`,
            ],
            [
                !(args.forwarding === "tcp" && args.certificateName !== undefined),
                `forwarding: "tcp" passes TLS through and cannot use a certificate; got a certificateName with forwarding "tcp".`,
            ],
        ]);
        const protocol = args.forwarding ?? "http";
        const http = {
            entryProtocol: protocol,
            entryPort: args.entryPort,
            targetProtocol: protocol,
            targetPort: args.targetPort,
        };
        const tls = args.certificateName !== undefined;
        const forwardingRules = tls
            ? [
                  {
                      entryProtocol: "https",
                      entryPort: 443,
                      targetProtocol: "http",
                      targetPort: args.targetPort,
                      certificateName: args.certificateName,
                  },
                  http,
              ]
            : [http];
        this.loadBalancers = Array.from(
            { length: args.count },
            (_, i) =>
                new digitalocean.LoadBalancer(
                    `${name}-${i}`,
                    {
                        region: args.region,
                        vpcUuid: args.vpcUuid,
                        network: args.network,
                        sizeUnit: args.sizeUnit,
                        dropletTag: args.targetTag,
                        forwardingRules,
                        healthcheck: {
                            protocol: args.healthcheck.protocol,
                            port: args.targetPort,
                            path: args.healthcheck.path,
                            ...HEALTH_CHECK,
                        },
                        redirectHttpToHttps: tls,
                        tlsCipherPolicy: tls ? "STRONG" : undefined,
                        // webstack manages the zone's records itself (one A record per load balancer).
                        disableLetsEncryptDnsRecords: tls ? true : undefined,
                        enableBackendKeepalive: true,
                    },
                    { parent: this },
                ),
        );
        this.registerOutputs({ loadBalancers: this.loadBalancers });
    }
}
