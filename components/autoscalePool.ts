import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DROPLET_IMAGE } from "./hostConfig/cloudInit";
import { AutoscaleSettings } from "./settings/stackSettings";
import { DropletSpec, hasSshKey } from "./serverPool";
import { LIMITS } from "./settings/limits";
import { inBounds, requireValidArgs } from "./validate";

export interface AutoscalePoolArgs extends Omit<DropletSpec, "monitoring" | "gate"> {
    /**
     * Hooks bound to the pool resource: a readiness gate bound `afterCreate` and `afterUpdate` waits until the
     * template's release serves. It reports; it cannot hold DigitalOcean's own rollout of the members. @default none
     */
    readonly hooks?: pulumi.ResourceHookBinding;
    readonly autoscale: AutoscaleSettings;
    /**
     * The DigitalOcean project the members join (the template's `project_id`, digitalocean/openapi
     * droplet_autoscale/models/autoscale_pool_droplet_template.yml; optional and updatable in the provider's
     * resource_droplet_autoscale.go). Without it they land in the account's default project.
     */
    readonly projectId?: pulumi.Input<string>;
}

/**
 * A DigitalOcean droplet autoscale pool (`web.autoscale` / `app.autoscale`): between `min` and `max` members,
 * scaled on average CPU. Members carry the role tag, so the load balancer and the firewalls that target the
 * tag cover them without listing ids.
 */
export class AutoscalePool extends pulumi.ComponentResource {
    readonly pool: digitalocean.DropletAutoscale;

    constructor(name: string, args: AutoscalePoolArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:AutoscalePool", name, {}, opts);
        const { min, max, targetCpu } = args.autoscale;
        requireValidArgs(this, "AutoscalePool", name, [
            inBounds("autoscale.min", min, LIMITS.autoscaleDroplets),
            inBounds("autoscale.max", max, LIMITS.autoscaleDroplets),
            [!(max < min), `autoscale.max: must be at least autoscale.min (${min}); got "${max}".`],
            inBounds("autoscale.targetCpu", targetCpu, LIMITS.autoscaleCpuPercent),
            hasSshKey(args.sshKeys),
        ]);
        this.pool = new digitalocean.DropletAutoscale(
            `${name}-pool`,
            {
                config: {
                    minInstances: args.autoscale.min,
                    maxInstances: args.autoscale.max,
                    targetCpuUtilization: args.autoscale.targetCpu / 100,
                    cooldownMinutes: 5,
                },
                dropletTemplate: {
                    image: DROPLET_IMAGE,
                    size: args.size,
                    region: args.region,
                    vpcUuid: args.vpcUuid,
                    sshKeys: [...args.sshKeys],
                    tags: args.tags,
                    userData: args.userData,
                    ipv6: true,
                    withDropletAgent: true,
                    projectId: args.projectId,
                },
            },
            // The template's user data is the only channel DigitalOcean feeds to members it creates.
            {
                parent: this,
                additionalSecretOutputs: args.userDataIsSecret ? ["dropletTemplate"] : undefined,
                hooks: args.hooks,
            },
        );
        this.registerOutputs({ pool: this.pool });
    }
}
