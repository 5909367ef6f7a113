import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";
import { DROPLET_IMAGE } from "./hostConfig/cloudInit";
import { AutoscaleSettings } from "./settings/stackSettings";
import { DropletSpec } from "./serverPool";

export interface AutoscalePoolArgs extends Omit<DropletSpec, "monitoring"> {
    readonly autoscale: AutoscaleSettings;
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
                },
            },
            // The template's user data is the only channel DigitalOcean feeds to members it creates (issue 13).
            { parent: this, additionalSecretOutputs: args.userDataIsSecret ? ["dropletTemplate"] : undefined },
        );
        this.registerOutputs({});
    }
}
