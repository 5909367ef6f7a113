// The benchmark's baseline: registers N droplets under the same recording mock engine the plan uses
// (plan/capture/recorder.ts over Pulumi's setMocks), with no components, no config parsing, no policies and no
// report. `npm run bench` divides the 1,000-droplet plan's wall time by this script's.
//
//   node -r ./tools/register.js tools/bench/bare.ts COUNT [INPUTS.json]
//
// INPUTS.json holds one droplet's inputs (the bench takes them from the plan's own web droplet, user data
// included), so both sides register the same droplets; without it a representative droplet is used.
import * as fs from "node:fs";

const DEFAULT_INPUTS: Record<string, unknown> = {
    image: "ubuntu-24-04-x64",
    size: "s-1vcpu-1gb",
    region: "nyc3",
    vpcUuid: "00000000-0000-4000-8000-000000000001",
    sshKeys: ["3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa"],
    tags: ["webstack", "webstack-prod", "webstack-prod-web"],
    userData: `#cloud-config\npackage_update: true\npackages:\n  - nginx\n${"# padding to the size of the real cloud-config\n".repeat(40)}`,
    monitoring: true,
    ipv6: true,
    gracefulShutdown: true,
};

async function main(): Promise<void> {
    const t0 = Date.now();
    const count = Number(process.argv[2] ?? "1000");
    if (!Number.isInteger(count) || count < 1)
        throw new Error(`COUNT must be a positive integer; got "${process.argv[2]}"`);
    const inputs = process.argv[3]
        ? (JSON.parse(fs.readFileSync(process.argv[3], "utf8")) as Record<string, unknown>)
        : DEFAULT_INPUTS;

    const digitalocean = require("@pulumi/digitalocean") as typeof import("@pulumi/digitalocean");
    const { Recorder } = require("../../plan/capture/recorder") as typeof import("../../plan/capture/recorder");
    const recorder = new Recorder();
    await recorder.install("webstack", "prod");
    const t1 = Date.now();
    for (let i = 0; i < count; i++)
        new digitalocean.Droplet(`webstack-web-${i}`, inputs as unknown as import("@pulumi/digitalocean").DropletArgs);
    await recorder.settle();
    const t2 = Date.now();
    if (recorder.resources.length !== count)
        throw new Error(`registered ${recorder.resources.length} droplets; expected ${count}`);
    process.stderr.write(`${JSON.stringify({ timings: { load: t1 - t0, program: t2 - t1 }, resources: count })}\n`);
}

main().then(
    () => process.exit(0),
    (err) => {
        process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
        process.exit(2);
    },
);
