// The least a policy pack costs the host: one resource policy and one stack policy that look at every
// resource and find nothing. `npm run bench` runs the 1,000-droplet plan with it to measure what
// @pulumi/policy's server, protobuf and gRPC cost before any policy code runs (row 3's floor).
import { PolicyPack } from "@pulumi/policy";

// The pack reads its version from package.json in the working directory, as policies/index.ts does.
process.chdir(__dirname);

new PolicyPack("bench-floor", {
    policies: [
        {
            name: "every-resource",
            description: "Reads nothing; the host still deserializes each resource for it.",
            validateResource: () => undefined,
        },
        {
            name: "whole-stack",
            description: "Reads nothing; the host still deserializes the whole stack for it.",
            validateStack: () => undefined,
        },
    ],
});
