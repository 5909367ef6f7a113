import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { Database } from "../../components/database";
import { LoadBalancers } from "../../components/loadBalancers";
import { Monitoring } from "../../components/monitoring";
import { ServerPool } from "../../components/serverPool";
import { recorder } from "../support/hooks";

const droplet = {
    size: "s-1vcpu-1gb",
    region: "nyc3",
    vpcUuid: "vpc",
    tags: ["t"],
    userData: "#cloud-config\n",
    monitoring: false,
};

describe("Component arguments", () => {
    it("refuses a server pool with no droplets and no SSH key, listing both, before creating anything", async () => {
        assert.throws(
            () => new ServerPool("pool", { ...droplet, count: 0, sshKeys: [] }),
            (err: unknown) => {
                assert.ok(pulumi.ResourceError.isInstance(err));
                assert.equal(
                    (err as Error).message,
                    [
                        'Invalid arguments for ServerPool "pool":',
                        '  - count: must be an integer from 1 to 1000; got "0".',
                        "  - sshKeys: at least one key is required (DigitalOcean e-mails root passwords otherwise); got none.",
                    ].join("\n"),
                );
                return true;
            },
        );
        await recorder.settle();
        assert.deepEqual(
            recorder.resources.filter((r) => r.custom),
            [],
        );
    });

    it("refuses load balancer sizes outside DigitalOcean's bounds", () => {
        assert.throws(
            () =>
                new LoadBalancers("lb", {
                    count: 11,
                    sizeUnit: 201,
                    region: "nyc3",
                    vpcUuid: "vpc",
                    network: "EXTERNAL",
                    targetTag: "t",
                    targetPort: 80,
                    entryPort: 80,
                    healthcheck: { protocol: "tcp" },
                }),
            {
                message:
                    'Invalid arguments for LoadBalancers "lb":\n  - count: must be an integer from 1 to 10; got "11".\n  - sizeUnit: must be an integer from 1 to 200; got "201".',
            },
        );
    });

    it("refuses more than two standby nodes", () => {
        assert.throws(
            () =>
                new Database("db", {
                    size: "db-s-1vcpu-2gb",
                    standbyNodes: 3,
                    readReplicas: 0,
                    region: "nyc3",
                    vpcUuid: "vpc",
                    tags: [],
                    trustedTags: [],
                    protect: false,
                }),
            {
                message:
                    'Invalid arguments for Database "db":\n  - standbyNodes: must be an integer from 0 to 2; got "3".',
            },
        );
    });

    it("refuses alerts without a target", () => {
        assert.throws(
            () =>
                new Monitoring("m", {
                    dropletTags: [],
                    loadBalancerIds: [],
                    databaseIds: [],
                    url: "https://example.com",
                    targets: { emails: [] },
                }),
            {
                message:
                    'Invalid arguments for Monitoring "m":\n  - targets: at least one e-mail or Slack target is required; an alert nobody receives is no alert; got none.',
            },
        );
    });
});
