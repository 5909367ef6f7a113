// Nothing deployed is deleted or re-created by a change of the program's structure: every resource of every shipped
// stack and example variant keeps the URN the engine gave it, or claims it through an alias the engine honours.
// urnBaseline.json holds the engine's URNs (prefix `urn:pulumi:<stack>::webstack::` dropped) as the program made
// them before WebStack was split into Edge, AppTier and Observability; additions need no change to it, and a
// resource deliberately removed is removed from it by hand, in the same commit.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import type { RecordedResource } from "../../plan/capture/recorder";
import { recorder } from "../support/hooks";
import baseline from "./urnBaseline.json";
import { VARIANTS, engineUrns, identity, runVariant } from "./urnIdentity";

const DEPLOYED = baseline as Record<string, { stack: string; urns: string[] }>;

class Group extends pulumi.ComponentResource {
    constructor(type: string, name: string, opts?: pulumi.ComponentResourceOptions) {
        super(`test:index:${type}`, name, {}, opts);
        this.registerOutputs({});
    }
}

/** Registers `build`'s resources under the mock engine and returns their record. */
async function record(build: () => void): Promise<RecordedResource[]> {
    build();
    await recorder.settle();
    return [...recorder.resources].sort((a, b) => a.order - b.order);
}

const tailsOf = (resources: RecordedResource[]) =>
    [...engineUrns(resources).values()].map((urn) => urn.split("::").slice(2).join("::")).sort();

describe("resource identity across the refactoring (the engine's URNs and aliases)", () => {
    for (const { label, argv } of VARIANTS) {
        it(`${label}: every deployed resource keeps its URN or claims it through an alias`, async () => {
            const deployed = DEPLOYED[label];
            assert.ok(deployed, `urnBaseline.json has no "${label}"`);
            const { stack, resources } = await runVariant(argv);
            assert.equal(stack, deployed.stack);
            const { deleted } = identity(resources, deployed.urns);
            assert.deepEqual(deleted, [], "the engine would delete these (and create their successors)");
        });
    }

    it("chains every ancestor's type in a URN, where the mock engine chains only the parent's", async () => {
        const resources = await record(() => {
            const outer = new Group("Outer", "a");
            const inner = new Group("Inner", "a-b", { parent: outer });
            new Group("Leaf", "a-b-c", { parent: inner });
        });
        const leaf = resources.find((r) => r.name === "a-b-c")!;
        assert.equal(leaf.urn, "urn:pulumi:dev::webstack::test:index:Inner$test:index:Leaf::a-b-c");
        assert.equal(
            engineUrns(resources).get(leaf.urn),
            "urn:pulumi:dev::webstack::test:index:Outer$test:index:Inner$test:index:Leaf::a-b-c",
        );
    });

    it("finds a resource moved under a new component deleted without an alias, and kept with one", async () => {
        const before = tailsOf(
            await record(() => {
                const top = new Group("Top", "s");
                const mid = new Group("Mid", "s-m", { parent: top });
                new Group("Leaf", "s-m-0", { parent: mid });
            }),
        );
        recorder.reset();
        const unaliased = await record(() => {
            const top = new Group("Top", "s");
            const edge = new Group("Edge", "s-edge", { parent: top });
            const mid = new Group("Mid", "s-m", { parent: edge });
            new Group("Leaf", "s-m-0", { parent: mid });
        });
        // The leaf's mock URN names only its parent, which did not change; the engine's names every ancestor.
        assert.deepEqual(identity(unaliased, before).deleted, [
            "test:index:Top$test:index:Mid$test:index:Leaf::s-m-0",
            "test:index:Top$test:index:Mid::s-m",
        ]);

        recorder.reset();
        const aliased = await record(() => {
            const top = new Group("Top", "s");
            const edge = new Group("Edge", "s-edge", { parent: top });
            const mid = new Group("Mid", "s-m", { parent: edge, aliases: [{ parent: top }] });
            new Group("Leaf", "s-m-0", { parent: mid });
        });
        const found = identity(aliased, before);
        assert.deepEqual(found.deleted, []);
        // The leaf inherits its parent's alias, as the engine's generateAliases multiplies them out.
        assert.deepEqual(found.aliased, [
            ["test:index:Top$test:index:Edge$test:index:Mid::s-m", "test:index:Top$test:index:Mid::s-m"],
            [
                "test:index:Top$test:index:Edge$test:index:Mid$test:index:Leaf::s-m-0",
                "test:index:Top$test:index:Mid$test:index:Leaf::s-m-0",
            ],
        ]);
    });
});
