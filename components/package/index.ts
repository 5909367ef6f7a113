// The component package's entry point (package.json `main`): what the Node.js language host runs when a program
// in any language uses WebStack through `pulumi package add`. It serves Pulumi's provider gRPC protocol and
// prints its port; the engine's address is its one argument.
import { main } from "@pulumi/pulumi/provider";
import { WebStackProvider } from "./webStackProvider";

// The analyzer keeps doc comments of the types in the files it walks before it finds WebStack: this
// re-export has it walk webStackArgs.ts before webStack.ts.
export type { WebStackArgs } from "../webStackArgs";

void main(new WebStackProvider(), process.argv.slice(2));
