// The provider behind the component package: Pulumi's component provider (which infers the schema from
// WebStack's TypeScript types and constructs it on request), with two things the inference cannot know.
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { WebStack } from "../webStack";

/** The package name: the first part of every type token the schema declares (`webstack:index:WebStack`). */
export const PACKAGE_NAME = "webstack";
/** Where the analyzer reads package.json (name, version, entry point) and tsconfig.json. */
export const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");
/** Outputs that only ever hold secrets; the analyzer cannot see `pulumi.secret` in a type. */
export const SECRET_OUTPUTS = ["databaseUri", "appSecretsEnv", "logsDashboardsPassword"] as const;
/** Args that wire resources and may stay Outputs; every other arg is a plain value (a count, a choice, a name). */
const INPUT_ARGS = new Set(["previousDataResources"]);

interface Schema {
    resources: Record<string, { properties: Record<string, { secret?: boolean }> }>;
}

export class WebStackProvider extends ComponentProvider {
    constructor() {
        super({ components: [WebStack], name: PACKAGE_NAME, dirname: PACKAGE_ROOT });
    }

    async getSchema(): Promise<string> {
        const schema = JSON.parse(await super.getSchema()) as Schema;
        const webStack = schema.resources[`${PACKAGE_NAME}:index:WebStack`];
        for (const name of SECRET_OUTPUTS) webStack.properties[name].secret = true;
        return JSON.stringify(schema);
    }

    /**
     * A caller in another language may pass a plain arg as an Output: a secret (the Slack webhook URL, the TLS key,
     * read with requireSecret) or a value that depends on a resource. The engine then sends it wrapped, and the
     * component, which decides from these values which children exist, needs the value itself. WebStack keeps the
     * secret args secret whatever it is given.
     */
    async construct(name: string, type: string, inputs: pulumi.Inputs, options: pulumi.ComponentResourceOptions) {
        const plain: pulumi.Inputs = {};
        for (const [key, value] of Object.entries(inputs)) {
            if (INPUT_ARGS.has(key) || !pulumi.Output.isInstance(value)) {
                plain[key] = value;
                continue;
            }
            const output = value as unknown as { isKnown: Promise<boolean>; promise(): Promise<unknown> };
            if (!(await output.isKnown)) {
                throw new pulumi.InputPropertyError({
                    propertyPath: key,
                    reason: "must be known when the stack is planned: it decides which resources exist",
                });
            }
            plain[key] = await output.promise();
        }
        return super.construct(name, type, plain, options);
    }
}
