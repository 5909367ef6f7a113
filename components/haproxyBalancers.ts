import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DISCOVERY_TTL_SECONDS } from "./dns";
import { type EdgeGateArgs, edgeGate } from "./readiness/servingGate";
import { DropletSpec, createDroplets, hasSshKey } from "./serverPool";
import { LIMITS } from "./settings/limits";
import { inBounds, requireValidArgs } from "./validate";

export interface HaproxyBalancersArgs extends Omit<DropletSpec, "gate"> {
    /** HAProxy droplets, 1 to 10; each gets a reserved IP and its own DNS A records (active-active). */
    readonly count: number;
    /** The zone the peer records go in. */
    readonly zone: pulumi.Input<string>;
    /**
     * With Let's Encrypt: the relative name of one A record per droplet (its private address), through which the
     * droplets forward ACME challenges to each other (hostConfig/haproxy.ts `acmePeers`). @default none
     */
    readonly acmePeersName?: string;
    /**
     * The gate each reserved IP waits on before it moves to its droplet (its address and id are the droplet's own).
     * @default none
     */
    readonly gate?: Omit<EdgeGateArgs, "address" | "droplet">;
}

/**
 * Self-managed load balancers: HAProxy droplets (`loadBalancer.engine: haproxy`), each behind a reserved IP so
 * DNS keeps pointing at the same address when a droplet is replaced. A reserved IP moves to a new droplet only once
 * that droplet serves the site (the gate, `beforeCreate` on the assignment). One HAProxy droplet is a single
 * machine: a single point of failure.
 */
export class HaproxyBalancers extends pulumi.ComponentResource {
    readonly droplets: digitalocean.Droplet[];
    readonly reservedIps: digitalocean.ReservedIp[];
    /** Each reserved IP's assignment to its droplet; what sends users there, so DNS records wait for them. */
    readonly assignments: digitalocean.ReservedIpAssignment[];
    /** With Let's Encrypt: each droplet's record under `acmePeersName`. */
    readonly peerRecords: digitalocean.DnsRecord[];

    constructor(name: string, args: HaproxyBalancersArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:HaproxyBalancers", name, {}, opts);
        requireValidArgs(this, "HaproxyBalancers", name, [
            inBounds("count", args.count, LIMITS.loadBalancers),
            hasSshKey(args.sshKeys),
        ]);
        this.droplets = createDroplets(name, args.count, args, this);
        // A replaced droplet gets a new private address: a new record (created before the old one is deleted, at the
        // end of the update) rather than an edit (`replaceOnChanges`, see observability.ts), so the droplets serving
        // now keep finding each other meanwhile.
        this.peerRecords = args.acmePeersName
            ? this.droplets.map(
                  (droplet, i) =>
                      new digitalocean.DnsRecord(
                          `${name}-peer-${i}`,
                          {
                              domain: args.zone,
                              type: "A",
                              name: args.acmePeersName!,
                              value: droplet.ipv4AddressPrivate,
                              ttl: DISCOVERY_TTL_SECONDS,
                          },
                          { parent: this, replaceOnChanges: ["value"] },
                      ),
              )
            : [];
        this.reservedIps = [];
        this.assignments = [];
        this.droplets.forEach((droplet, i) => {
            const ip = new digitalocean.ReservedIp(`${name}-ip-${i}`, { region: args.region }, { parent: this });
            const gate =
                args.gate &&
                edgeGate(`${name}-edge-gate-${i}`, {
                    ...args.gate,
                    address: droplet.ipv4Address,
                    droplet: droplet.id,
                });
            // The assignment's inputs force its replacement when the droplet changes (terraform-provider-digitalocean
            // @401992a1 digitalocean/reservedip/resource_reserved_ip_assignment.go:30-41, both ForceNew): the new one
            // assigns the IP to the new droplet, which moves it there (a reserved IP is one "you can assign to a
            // Droplet and then reassign to another Droplet later", docs.digitalocean.com/glossary/reserved-ips/; the
            // API's `assign` action takes any droplet_id, openapi reserved_ip_action_assign); the old one's delete, at
            // the end of the update, unassigns only an IP still on the old droplet (:105-118). The gate runs first, and the new droplet's
            // peer record exists before, so its certbot can be reached by a challenge sent to the droplets serving now.
            this.assignments.push(
                new digitalocean.ReservedIpAssignment(
                    `${name}-ip-assignment-${i}`,
                    { ipAddress: ip.ipAddress, dropletId: droplet.id.apply(Number) },
                    {
                        parent: this,
                        dependsOn: this.peerRecords[i] ? [this.peerRecords[i]] : [],
                        hooks: gate ? { beforeCreate: [gate] } : undefined,
                    },
                ),
            );
            this.reservedIps.push(ip);
        });
        this.registerOutputs({
            droplets: this.droplets,
            reservedIps: this.reservedIps,
            assignments: this.assignments,
            peerRecords: this.peerRecords,
        });
    }
}
