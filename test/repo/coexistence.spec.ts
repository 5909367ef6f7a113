// One DigitalOcean account, many stacks: the three shipped stacks (deploy.yml deploys them with one
// token) and two stacks made by `pulumi new` with the template's defaults plan side by side with no overlapping
// VPC range and no account-wide name owned by two stacks, except what every stack keeps on destroy.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import { RecordedResource } from "../../plan/capture/recorder";
import { runProgram } from "../../plan/capture/runProgram";
import { cliString, loadStackConfig } from "../../plan/capture/cliConfig";
import { shippedStacks } from "../../tools/docs/generate";
import { recorder } from "../support/hooks";

const ROOT = path.join(__dirname, "..", "..");
const INDEX = path.join(ROOT, "index.ts");

/** Types whose `name` DigitalOcean keeps unique per account (a second create of the name fails or is the same one). */
const ACCOUNT_WIDE = [
    "tag:Tag",
    "project:Project",
    "domain:Domain",
    "vpc:Vpc",
    "certificate:Certificate",
    "databaseCluster:DatabaseCluster",
    "spacesBucket:SpacesBucket",
].map((t) => `digitalocean:index/${t}`);

/** `pulumi new` answers: the template's defaults, plus what it has no default for. */
function templateConfig(domain: string): Record<string, string> {
    const project = YAML.parse(fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8")) as {
        template: { config: Record<string, { default?: unknown }> };
    };
    const config: Record<string, string> = {};
    for (const [key, prompt] of Object.entries(project.template.config))
        if (prompt.default !== undefined) config[key] = cliString(prompt.default);
    return {
        ...config,
        "webstack:domain": domain,
        "webstack:sshKeys": "3b:16:bf:e4:8b:00:8b:b8:59:8c:a9:d3:f0:19:45:fa",
        "webstack:alertEmail": "owner@acme.dev",
    };
}

/** The first address and the size of an IPv4 CIDR. */
function span(cidr: string): [number, number] {
    const [ip, bits] = cidr.split("/");
    const start = ip.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    return [start, 2 ** (32 - Number(bits))];
}
const overlap = (a: string, b: string) => {
    const [x, xs] = span(a);
    const [y, ys] = span(b);
    return x < y + ys && y < x + xs;
};

describe("stacks in one DigitalOcean account", () => {
    const stacks: { stack: string; config: Record<string, string>; secretKeys: string[] }[] = [
        ...shippedStacks().map((stack) => ({ ...loadStackConfig({ cwd: ROOT, stack }), stack })),
        { stack: "alpha", config: templateConfig("alpha.acme.dev"), secretKeys: [] },
        { stack: "beta", config: templateConfig("beta.acme.dev"), secretKeys: [] },
    ];
    const runs = new Map<string, RecordedResource[]>();
    before(async () => {
        for (const s of stacks) {
            const run = await runProgram(recorder, {
                project: "webstack",
                stack: s.stack,
                main: INDEX,
                config: s.config,
                secretKeys: s.secretKeys,
            });
            runs.set(s.stack, run.resources);
        }
    });

    it("plans the three shipped stacks and two template stacks", () => {
        assert.deepEqual([...runs.keys()], ["dev", "prod", "staging", "alpha", "beta"]);
    });

    it("claims no overlapping VPC ranges: each leaves the range to DigitalOcean or sets one no other overlaps", () => {
        const ranges = [...runs].flatMap(([stack, rs]) =>
            rs
                .filter((r) => r.type === "digitalocean:index/vpc:Vpc")
                .map((r) => [stack, r.inputs.ipRange as string | undefined] as const),
        );
        assert.equal(ranges.length, 5);
        const explicit = ranges.filter((r): r is readonly [string, string] => r[1] !== undefined);
        const clashes = explicit.flatMap(([a, ra], i) =>
            explicit
                .slice(i + 1)
                .filter(([, rb]) => overlap(ra, rb))
                .map(([b, rb]) => `${a} ${ra} / ${b} ${rb}`),
        );
        assert.deepEqual(clashes, []);
    });

    it("owns no account-wide name another stack owns; the shared project tag is kept on destroy by all", () => {
        const owners = new Map<string, { stack: string; retained: boolean }[]>();
        for (const [stack, rs] of runs) {
            for (const r of rs.filter((x) => ACCOUNT_WIDE.includes(x.type) && typeof x.inputs.name === "string")) {
                const key = `${r.type.split(":").pop()} ${String(r.inputs.name)}`;
                owners.set(key, [...(owners.get(key) ?? []), { stack, retained: r.retainOnDelete }]);
            }
        }
        const shared = [...owners].filter(([, o]) => o.length > 1);
        assert.deepEqual(
            shared.map(([key, o]) => [key, o.every((x) => x.retained)]),
            [["Tag webstack", true]],
        );
    });
});
