// The webstack CrossGuard policy pack. This file only builds the pack; the policies live one family
// per file. Run: pulumi preview --policy-pack policies --policy-pack-config policies/config/<stack>.json
import { PolicyPack } from "@pulumi/policy";
import { packPolicies } from "./catalog";

// PolicyPack reads the pack version from package.json in the working directory; run from this folder so
// the version lives only in policies/package.json, whoever launches the policy host.
process.chdir(__dirname);

new PolicyPack("webstack", {
    description: "DigitalOcean web stacks: single points of failure, TLS, monitoring, network isolation and hygiene.",
    enforcementLevel: "advisory",
    // The resource policies of every family and the one stack policy that runs every stack check (catalog.ts), so
    // the pack and its documented catalog cannot differ.
    policies: packPolicies,
});
