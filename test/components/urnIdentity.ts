// How the Pulumi engine recognises a deployed resource in the next update, replayed on a captured program run, so
// a test can tell whether a refactoring would delete and re-create anything.
//
// The mock engine's URNs chain only the direct parent's type (@pulumi/pulumi runtime/mocks.js MockMonitor.newUrn);
// the engine chains every ancestor's: a URN's type part is the parent URN's whole qualified type, "$", the
// resource's type, the root stack excepted (pulumi/pulumi@1b5949891b pkg/resource/deploy/deployment.go:795-805,
// sdk/go/common/resource/urn/urn.go:80-92). So the engine's URNs are rebuilt here from the record's parent links.
// A resource matches its old state by its URN first, then by its aliases, which the engine computes from the
// alias specs the SDK sends (runtime/resource.js mapAliasesForRequest) plus one inherited from each alias its
// parent matched (step_generator.go:545-654 collapseAliasToUrn, inheritedChildAlias, generateAliases; :660-705
// getOldResource records the matched alias for the children).
import * as path from "node:path";
import { AUTOSCALE_POOLS, HAPROXY_ARGS, HAPROXY_PROD_ARGS, STANDBY_ARGS, TIERS } from "../../examples/variants";
import { architectureArgs, autoscaleArgs } from "../../examples/variants";
import { parseOptions } from "../../plan/cli";
import { loadStackConfig } from "../../plan/capture/cliConfig";
import type { RecordedResource } from "../../plan/capture/recorder";
import { runProgram } from "../../plan/capture/runProgram";
import { recorder } from "../support/hooks";

const ROOT = path.resolve(__dirname, "..", "..");
const ROOT_STACK = "pulumi:pulumi:Stack";

/** Every shipped stack, every tier of the example stack, and the example's engine, autoscale and standby variants. */
export const VARIANTS: readonly { label: string; argv: string[] }[] = [
    ...["dev", "staging", "prod"].map((stack) => ({ label: `stack ${stack}`, argv: ["--stack", stack] })),
    ...TIERS.map((tier) => ({ label: `example tier ${tier}`, argv: architectureArgs(tier) })),
    ...TIERS.filter((tier) => tier > 0).map((tier) => ({
        label: `example tier ${tier} haproxy`,
        argv: [...architectureArgs(tier), ...HAPROXY_ARGS],
    })),
    ...Object.keys(AUTOSCALE_POOLS).map((tier) => ({
        label: `example tier ${tier} autoscale`,
        argv: [...architectureArgs(Number(tier)), ...autoscaleArgs(Number(tier))],
    })),
    { label: "example tier 3 standby", argv: [...architectureArgs(3), ...STANDBY_ARGS] },
    { label: "example tier 3 haproxy production", argv: [...architectureArgs(3), ...HAPROXY_PROD_ARGS] },
];

/** The program's resources for a variant's plan arguments, run in this process under the recording mocks. */
export async function runVariant(argv: string[]): Promise<{ stack: string; resources: RecordedResource[] }> {
    const opts = parseOptions(argv);
    if (opts === "help") throw new Error("no plan arguments");
    const cfg = loadStackConfig({
        cwd: ROOT,
        stack: opts.stack,
        tier: opts.tier,
        overrides: opts.overrides,
        configFile: opts.configFile,
    });
    const run = await runProgram(recorder, {
        project: cfg.project,
        stack: cfg.stack,
        main: path.join(ROOT, "index.ts"),
        config: cfg.config,
        secretKeys: cfg.secretKeys,
    });
    return { stack: cfg.stack, resources: run.resources };
}

/** `qualified type::name`: a URN without its `urn:pulumi:<stack>::<project>::` prefix. */
export type UrnTail = string;

const tailOf = (urn: string): UrnTail => urn.split("::").slice(2).join("::");
const qualifiedType = (urn: string) => urn.split("::")[2];
const nameOf = (urn: string) => urn.split("::").slice(3).join("::");

/** The URN the engine gives each recorded resource (keyed by the mock URN), every ancestor's type chained. */
export function engineUrns(resources: readonly RecordedResource[]): Map<string, string> {
    const byMockUrn = new Map(resources.map((r) => [r.urn, r]));
    const urns = new Map<string, string>();
    const urnOf = (r: RecordedResource): string => {
        const known = urns.get(r.urn);
        if (known) return known;
        const prefix = r.urn.split("::").slice(0, 2).join("::");
        const parent = r.parent ? byMockUrn.get(r.parent) : undefined;
        if (r.parent && !parent) throw new Error(`${r.urn}: its parent ${r.parent} was not recorded`);
        const parentType = parent ? qualifiedType(urnOf(parent)) : "";
        const type = parentType && parentType !== ROOT_STACK ? `${parentType}$${r.type}` : r.type;
        const urn = `${prefix}::${type}::${r.name}`;
        urns.set(r.urn, urn);
        return urn;
    };
    for (const r of resources) urnOf(r);
    return urns;
}

/** The engine's URNs of a run, without their common prefix, sorted: what a deployed stack holds. */
export const urnTails = (resources: readonly RecordedResource[]): UrnTail[] =>
    [...engineUrns(resources).values()].map(tailOf).sort();

interface AliasSpec {
    name: string;
    type: string;
    stack: string;
    project: string;
    parenturn: string;
    noparent: boolean;
}

/** An alias as the recorder keeps it: a URN, or the JSON of the SDK's Alias message with its spec. */
function parseAlias(recorded: string): { urn?: string; spec?: AliasSpec } {
    if (recorded.startsWith("urn:")) return { urn: recorded };
    const alias = JSON.parse(recorded) as { urn: string; spec?: AliasSpec };
    return alias.urn ? { urn: alias.urn } : { spec: alias.spec };
}

/** What an update of a stack that holds `deployed` would do with a program that registers `resources`. */
export interface Identity {
    /** Deployed URNs no resource claims (by URN or alias): the engine would delete them. */
    deleted: UrnTail[];
    /** Custom resources that claim no deployed URN: the engine would create them. */
    created: UrnTail[];
    /** Resources that claim their deployed URN through an alias: new URN → old URN. */
    aliased: [UrnTail, UrnTail][];
}

/** Replays the engine's matching (getOldResource) in registration order. */
export function identity(resources: readonly RecordedResource[], deployed: readonly UrnTail[]): Identity {
    const urns = engineUrns(resources);
    const old = new Set(deployed.map((tail) => `${tail}`));
    const claimed = new Set<UrnTail>();
    /** New URN → the old URN it matched through an alias (the engine's sg.aliases). */
    const matchedAlias = new Map<string, string>();
    const created: UrnTail[] = [];
    const aliased: [UrnTail, UrnTail][] = [];
    const prefix = (urn: string) => urn.split("::").slice(0, 2).join("::");
    const create = (parent: string, type: string, name: string, base: string) => {
        if (!parent) return `${base}::${type}::${name}`;
        const parentType = qualifiedType(parent);
        return `${base}::${parentType === ROOT_STACK ? "" : `${parentType}$`}${type}::${name}`;
    };
    for (const r of [...resources].sort((a, b) => a.order - b.order)) {
        const urn = urns.get(r.urn)!;
        const parent = r.parent ? urns.get(r.parent)! : "";
        const base = prefix(urn);
        const collapse = (a: { urn?: string; spec?: AliasSpec }): string => {
            if (a.urn) return a.urn;
            const spec = a.spec!;
            let aliasParent = spec.parenturn ? urns.get(spec.parenturn)! : parent;
            if (spec.parenturn && matchedAlias.has(aliasParent)) aliasParent = matchedAlias.get(aliasParent)!;
            if (spec.noparent || (aliasParent && qualifiedType(aliasParent) === ROOT_STACK)) aliasParent = "";
            return create(aliasParent, spec.type || r.type, spec.name || r.name, base);
        };
        const specs = r.aliases.map(parseAlias);
        const candidates = specs.map(collapse);
        const parentAlias = parent ? matchedAlias.get(parent) : undefined;
        if (parentAlias) {
            const inherit = (type: string, name: string) => {
                const parentName = nameOf(parent);
                const aliasName = name.startsWith(parentName)
                    ? nameOf(parentAlias) + name.slice(parentName.length)
                    : name;
                return create(parentAlias, type, aliasName, base);
            };
            candidates.push(inherit(r.type, r.name));
            for (const c of specs.map(collapse))
                candidates.push(inherit(c.split("::")[2].split("$").pop()!, nameOf(c)));
        }
        const found = [urn, ...candidates].map(tailOf).find((tail) => old.has(tail) && !claimed.has(tail));
        if (found === undefined) {
            if (r.custom) created.push(tailOf(urn));
            continue;
        }
        claimed.add(found);
        if (found !== tailOf(urn)) {
            matchedAlias.set(urn, `${base}::${found}`);
            aliased.push([tailOf(urn), found]);
        }
    }
    return { deleted: deployed.filter((tail) => !claimed.has(tail)), created, aliased };
}
