// The benchmark's peer: @pulumi/awsguard, Pulumi's own CrossGuard pack for AWS, with every policy mandatory, as its
// README shows (`new AwsGuard({ all: "mandatory" })`). `npm run bench` copies this folder to out/bench-peer, installs
// it there from package-lock.json (npm ci: the same @pulumi/policy and @pulumi/pulumi as webstack's pack) and runs it
// over an AWS stack the size of webstack's (tools/bench/awsStack.ts). Outside the repository's type-checked tree, so
// @pulumi/aws is required, not imported.
const { AwsGuard } = require("@pulumi/awsguard") as { AwsGuard: new (args: { all: string }) => unknown };

// The pack reads its version from package.json in the working directory, as policies/index.ts does.
process.chdir(__dirname);

new AwsGuard({ all: "mandatory" });
