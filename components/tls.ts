import * as digitalocean from "@pulumi/digitalocean";
import * as pulumi from "@pulumi/pulumi";

export interface TlsArgs {
    /** Apex domain; a Let's Encrypt certificate covers it and `www.`; DigitalOcean must host its DNS. */
    readonly domain: string;
    /** lets_encrypt, or custom PEM material (the private key as a secret). */
    readonly certificate:
        | { readonly kind: "lets_encrypt" }
        | {
              readonly kind: "custom";
              readonly privateKey: pulumi.Input<string>;
              readonly leafCertificate: string;
              readonly certificateChain?: string;
          };
}

/**
 * The certificate the public load balancers terminate TLS with (tier 2+). Its name is left to Pulumi's
 * autonaming, so a rotation creates the new certificate before deleting the old one.
 */
export class Tls extends pulumi.ComponentResource {
    readonly certificate: digitalocean.Certificate;

    constructor(name: string, args: TlsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("webstack:components:Tls", name, {}, opts);
        const c = args.certificate;
        this.certificate = new digitalocean.Certificate(
            `${name}-cert`,
            c.kind === "lets_encrypt"
                ? { type: "lets_encrypt", domains: [args.domain, `www.${args.domain}`] }
                : {
                      type: "custom",
                      privateKey: pulumi.secret(c.privateKey),
                      leafCertificate: c.leafCertificate,
                      certificateChain: c.certificateChain,
                  },
            { parent: this },
        );
        this.registerOutputs({ certificate: this.certificate });
    }
}
