import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DROPLET_IMAGE } from "./hostConfig/cloudInit";
import { gateStash } from "./readiness/servingGate";
import { LIMITS } from "./settings/limits";
import { type Check, inBounds, requireValidArgs } from "./validate";

/** What every droplet of a role shares. */
export interface DropletSpec {
    /** Droplet size slug, e.g. "s-1vcpu-1gb". */
    readonly size: string;
    readonly region: string;
    readonly vpcUuid: pulumi.Input<string>;
    /** SSH key fingerprints or ids installed for root; never empty (DigitalOcean e-mails passwords otherwise). */
    readonly sshKeys: readonly string[];
    /** Tags, the role tag included; load balancers, firewalls and alerts target the role tag. */
    readonly tags: pulumi.Input<string>[];
    /** Rendered cloud-config. Changing it replaces the droplets (create before delete). */
    readonly userData: pulumi.Input<string>;
    /**
     * The user data carries secrets: besides being a secret Output, it is listed in the resource's
     * `additionalSecretOutputs`, so the state keeps it encrypted whatever the input's provenance, and a policy can
     * see that the stack declared it secret. @default false
     */
    readonly userDataIsSecret?: boolean;
    /** Installs the DigitalOcean metrics agent (memory and disk alerts need it). Changing it replaces the droplets. */
    readonly monitoring: boolean;
    /** Protects the droplets from deletion and replacement (tier 0, where MySQL keeps its data on the droplet). @default false */
    readonly protect?: boolean;
    /** DigitalOcean weekly backups of each droplet (about 20 % of the droplet's price); changes in place. @default false */
    readonly backups?: boolean;
    /**
     * A readiness gate each new droplet must pass before the update goes on (components/readiness/servingGate.ts): a
     * ServerPool binds it on its gate Stash (`gateStash`), an AutoscalePool after the pool's creation and updates.
     * @default none
     */
    readonly gate?: pulumi.ResourceHook;
}

/**
 * How long a droplet's delete may take. The provider waits 60 s by default for a graceful shutdown to power the
 * droplet off (terraform-provider-digitalocean@401992a1 digitalocean/droplet/resource_droplet.go:59-62 `Delete`,
 * :861-877), and the engine hands the provider the old resource's own `customTimeouts.delete` (pulumi/pulumi
 * v3.248.0 pkg/resource/deploy/step.go:663). A serving droplet drains for 35 s before nginx and the app stop
 * (hostConfig/drain.ts), then the app container gets 20 s to stop: 60 s would fail the delete at the end of the update.
 */
export const DROPLET_DELETE_TIMEOUT = "5m";

// Weekly, not the API's default: "If omitted and `backups` is `true`, the backup plan will default to daily"
// (terraform-provider-digitalocean docs/resources/droplet.md, backup_policy), and daily costs more than the weekly
// 20 % the plan prices. Hour 4 UTC is a start the provider accepts (resource_droplet.go: hour 0 to 20, plan
// daily|weekly, weekday SUN..SAT).
export const BACKUP_POLICY = { plan: "weekly", weekday: "SUN", hour: 4 } as const;

/** The check that a role's droplets get an SSH key: without one DigitalOcean e-mails root passwords. */
export const hasSshKey = (sshKeys: readonly string[]): Check => [
    sshKeys.length > 0,
    `sshKeys: at least one key is required (DigitalOcean e-mails root passwords otherwise); got none.`,
];

/** Droplets `${name}-0` … `${name}-(count-1)` built from one spec, children of `parent`. */
export function createDroplets(
    name: string,
    count: number,
    spec: Omit<DropletSpec, "gate">,
    parent: pulumi.Resource,
): digitalocean.Droplet[] {
    return Array.from(
        { length: count },
        (_, i) =>
            new digitalocean.Droplet(
                `${name}-${i}`,
                {
                    image: DROPLET_IMAGE,
                    size: spec.size,
                    region: spec.region,
                    vpcUuid: spec.vpcUuid,
                    sshKeys: [...spec.sshKeys],
                    tags: spec.tags,
                    userData: spec.userData,
                    monitoring: spec.monitoring,
                    ipv6: true,
                    gracefulShutdown: true,
                    ...(spec.backups ? { backups: true, backupPolicy: { ...BACKUP_POLICY } } : {}),
                },
                {
                    parent,
                    protect: spec.protect,
                    additionalSecretOutputs: spec.userDataIsSecret ? ["userData"] : undefined,
                    customTimeouts: { delete: DROPLET_DELETE_TIMEOUT },
                },
            ),
    );
}

export interface ServerPoolArgs extends DropletSpec {
    /** Number of droplets, 1 to 1,000. */
    readonly count: number;
}

/**
 * A pool of identical droplets of one role, numbered `${name}-0` … `${name}-(count-1)`, and with a gate, the gate
 * Stash `${name}-serving` holding their ids (created or updated once every new one serves).
 */
export class ServerPool extends pulumi.ComponentResource {
    readonly droplets: digitalocean.Droplet[];
    /** The gate Stash when the pool is gated: what must wait for the droplets to serve depends on it. */
    readonly gate?: pulumi.Stash;
    /** Logical names of the droplets. */
    readonly dropletNames: string[];

    constructor(name: string, args: ServerPoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:ServerPool", name, {}, opts);
        requireValidArgs(this, "ServerPool", name, [
            inBounds("count", args.count, LIMITS.poolDroplets),
            hasSshKey(args.sshKeys),
        ]);
        this.droplets = createDroplets(name, args.count, args, this);
        this.dropletNames = this.droplets.map((_, i) => `${name}-${i}`);
        const gate = args.gate;
        this.gate =
            gate &&
            gateStash(
                `${name}-serving`,
                this.droplets.map((d) => d.id),
                gate,
                { parent: this },
            );
        this.registerOutputs({ droplets: this.droplets, dropletNames: this.dropletNames, gate: this.gate });
    }
}
