// The text and markdown renderings say what the document is: a preview of what the program would create, or an
// audit of a deployed stack read from a `pulumi stack export` file, where nothing is created.
import assert from "node:assert/strict";
import { availabilityOf, priceResources } from "../../../plan/pipeline";
import { buildDocument } from "../../../plan/report/document";
import { renderMarkdown, renderText } from "../../../plan/report/render";
import { readStackExport } from "../../../plan/stackExport";

const ROOT_URN = "urn:pulumi:prod::blog::pulumi:pulumi:Stack::blog-prod";

function exportedDocument() {
    const exported = readStackExport(
        JSON.stringify({
            version: 3,
            deployment: {
                manifest: { time: "2026-11-30T09:00:00Z", magic: "", version: "v3.249.0" },
                resources: [
                    { urn: ROOT_URN, custom: false, type: "pulumi:pulumi:Stack", outputs: {} },
                    {
                        urn: "urn:pulumi:prod::blog::digitalocean:index/droplet:Droplet::www",
                        custom: true,
                        id: "5101",
                        type: "digitalocean:index/droplet:Droplet",
                        parent: ROOT_URN,
                        protect: true,
                        inputs: { name: "www", region: "nyc3", size: "s-1vcpu-1gb", image: "ubuntu-24-04-x64" },
                        outputs: { id: "5101", name: "www", region: "nyc3", size: "s-1vcpu-1gb" },
                    },
                ],
            },
        }),
        "prod-state.json",
    );
    const resources = exported.run.resources.filter((r) => r.urn !== exported.run.stackUrn);
    return buildDocument({
        project: exported.project,
        stack: exported.stack,
        tier: null,
        run: { ...exported.run, resources },
        findings: [],
        policyPack: null,
        cost: priceResources(resources),
        availability: availabilityOf(resources),
        diagram: { svg: null, mermaid: null, dot: null, mermaidText: "flowchart LR\n" },
    });
}

describe("plan renderings (plan/report/render.ts)", () => {
    it("renders a stack export as an audit of what is deployed, not as resources to create", () => {
        const doc = { ...exportedDocument(), source: { kind: "stackExport" as const, file: "prod-state.json" } };
        const text = renderText(doc).split("\n");
        assert.equal(
            text[0],
            "Auditing the deployed stack (prod) offline: 2 resources from the stack export prod-state.json, as pulumi policy analyze --file does",
        );
        assert.deepEqual(
            text.slice(2, 5).map((l) => l.trimEnd()),
            [
                "     Type                                   Name       Audit",
                "     pulumi:pulumi:Stack                    blog-prod  analyzed",
                "     └─ digitalocean:index/droplet:Droplet  www        analyzed (protected)",
            ],
        );
        assert.deepEqual(text.slice(text.indexOf("Resources:"), text.indexOf("Resources:") + 2), [
            "Resources:",
            "    2 analyzed (the deployed state; nothing is created or changed)",
        ]);
        assert.ok(!text.some((l) => /to create|Previewing/.test(l)));
        assert.equal(
            renderMarkdown(doc).split("\n")[0],
            "### Offline audit: stack `prod` from the stack export `prod-state.json`",
        );
    });

    it("renders a program's document as a preview of what it would create", () => {
        const text = renderText(exportedDocument()).split("\n");
        assert.equal(text[0], "Previewing update (prod) offline");
        assert.equal(text[3].trimEnd(), " +   pulumi:pulumi:Stack                    blog-prod  create");
        assert.ok(text.includes("    + 2 to create"));
        assert.equal(renderMarkdown(exportedDocument()).split("\n")[0], "### Offline plan: stack `prod`");
    });
});
