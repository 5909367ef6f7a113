// The component package's entry point (package.json `main`): what the Node.js language host runs when a program
// in any language uses WebStack through `pulumi package add`. It serves Pulumi's provider gRPC protocol and
// prints its port; the engine's address is its one argument.
import { main } from "@pulumi/pulumi/provider";
import { WebStackProvider } from "./webStackProvider";

void main(new WebStackProvider(), process.argv.slice(2));
