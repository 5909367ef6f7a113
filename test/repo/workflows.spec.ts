// The GitHub workflows (.github/workflows/*.yml), parsed: every script, path and stack they name exists, every
// action is pinned to a released version and given only inputs it declares, permissions are least privilege,
// the pull-request job works without secrets, previews and deploys run the pack with each stack's config.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { TOOL_PACKAGES } from "../support/hostTools";

const ROOT = path.join(__dirname, "..", "..");
const WORKFLOWS = path.join(ROOT, ".github", "workflows");

interface Step {
    name?: string;
    id?: string;
    if?: string;
    uses?: string;
    run?: string;
    with?: Record<string, unknown>;
    env?: Record<string, string>;
}
interface Job {
    name?: string;
    if?: string;
    needs?: string | string[];
    "runs-on"?: string;
    container?: string | { image: string };
    environment?: string | { name: string };
    permissions?: string | Record<string, string>;
    concurrency?: string | { group: string; "cancel-in-progress"?: boolean };
    strategy?: { matrix?: Record<string, unknown[]> };
    env?: Record<string, string>;
    steps?: Step[];
    uses?: string;
}
interface Workflow {
    name: string;
    on: Record<string, unknown>;
    permissions?: string | Record<string, string>;
    env?: Record<string, string>;
    jobs: Record<string, Job>;
}

const files = fs.readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f));
const workflows: Record<string, Workflow> = Object.fromEntries(
    files.map((f) => [f, YAML.parse(fs.readFileSync(path.join(WORKFLOWS, f), "utf8")) as Workflow]),
);
const scripts = (
    JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }
).scripts;
const shippedStacks = fs
    .readdirSync(ROOT)
    .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
    .filter((s): s is string => s !== undefined)
    .sort();

const jobs = (wf: Workflow) => Object.entries(wf.jobs);
const steps = (wf: Workflow) => jobs(wf).flatMap(([, job]) => job.steps ?? []);
const runs = (wf: Workflow) => steps(wf).flatMap((s) => (s.run ? [s.run] : []));
const usesOf = (wf: Workflow) => [
    ...jobs(wf).flatMap(([, j]) => (j.uses ? [j.uses] : [])),
    ...steps(wf).flatMap((s) => (s.uses ? [s.uses] : [])),
];
const action = (uses: string) => uses.split("@")[0];
const pulumiSteps = (job: Job) => (job.steps ?? []).filter((s) => s.uses && action(s.uses) === "pulumi/actions");

/** The stacks a job is about: its matrix, its STACKS list, and the literal stack names it passes to Pulumi. */
function stacksOf(wf: Workflow, job: Job): string[] {
    const named = [
        ...((job.strategy?.matrix?.stack as string[] | undefined) ?? []),
        ...`${job.env?.STACKS ?? ""} ${wf.env?.STACKS ?? ""}`.split(/\s+/).filter(Boolean),
        ...pulumiSteps(job)
            .map((s) => String(s.with?.["stack-name"] ?? ""))
            .filter((name) => name !== "" && !name.includes("${{")),
    ];
    return [...new Set(named)];
}

/** A value with `${{ matrix.stack }}` and `$stack` expanded for each of the job's stacks. */
function expand(value: string, stacks: string[]): string[] {
    if (!/\$\{\{\s*matrix\.stack\s*\}\}|\$\{?stack\b/.test(value)) return [value];
    return stacks.map((stack) =>
        value.replace(/\$\{\{\s*matrix\.stack\s*\}\}/g, stack).replace(/\$\{?stack\}?/g, stack),
    );
}

/** Relative paths named by a job: action inputs that take paths, and path-like words of its scripts. */
function pathsOf(wf: Workflow, job: Job): string[] {
    const stacks = stacksOf(wf, job);
    const named: string[] = [];
    for (const step of job.steps ?? []) {
        for (const key of [
            "work-dir",
            "policyPacks",
            "policyPackConfigs",
            "pulumi-version-file",
            "cache-dependency-path",
        ]) {
            const value = step.with?.[key];
            if (typeof value === "string")
                named.push(
                    ...value
                        .split(/[\n,;]/)
                        .map((v) => v.trim())
                        .filter(Boolean),
                );
        }
        for (const word of (step.run ?? "").split(/[\s;|&<>()]+/)) {
            const w = word.replace(/^["']|["']$/g, "");
            if (/^(\.{1,2}\/)?[\w.-]+(\/[\w.${}-]+)+$/.test(w) && !w.startsWith("/") && !w.includes("://"))
                named.push(w);
        }
    }
    return named.flatMap((p) => expand(p, stacks));
}

describe("GitHub workflows", () => {
    it("ship pull-request.yml, preview.yml and deploy.yml, each parsed as a workflow with jobs", () => {
        for (const f of ["pull-request.yml", "preview.yml", "deploy.yml"]) {
            assert.ok(workflows[f], `missing .github/workflows/${f}`);
            assert.equal(typeof workflows[f].name, "string", f);
            assert.ok(Object.keys(workflows[f].jobs).length > 0, f);
        }
    });

    it("call only npm scripts that package.json defines", () => {
        for (const [file, wf] of Object.entries(workflows)) {
            for (const script of runs(wf)) {
                for (const m of script.matchAll(/\bnpm\s+(?:run|run-script)((?:\s+--?[\w-]+)*)\s+([\w:.-]+)/g)) {
                    assert.ok(m[2] in scripts, `${file}: npm run ${m[2]} is not a script in package.json`);
                }
                for (const m of script.matchAll(/\bnpm\s+(test|start)\b/g))
                    assert.ok(m[1] in scripts, `${file}: npm ${m[1]} has no script`);
            }
        }
    });

    it("name only paths that exist in the repository", () => {
        let checked = 0;
        for (const [file, wf] of Object.entries(workflows)) {
            for (const [id, job] of jobs(wf)) {
                for (const p of pathsOf(wf, job)) {
                    assert.ok(fs.existsSync(path.join(ROOT, p)), `${file} job ${id}: "${p}" does not exist`);
                    checked++;
                }
            }
        }
        assert.ok(checked >= 10, `only ${checked} paths found: the path extraction is broken`);
    });

    it("name only stacks with Pulumi.<stack>.yaml and policies/config/<stack>.json, and every shipped stack", () => {
        for (const [file, wf] of Object.entries(workflows)) {
            const named = new Set(jobs(wf).flatMap(([, job]) => stacksOf(wf, job)));
            for (const stack of named) {
                assert.ok(
                    fs.existsSync(path.join(ROOT, `Pulumi.${stack}.yaml`)),
                    `${file}: stack "${stack}" has no Pulumi.${stack}.yaml`,
                );
                assert.ok(
                    fs.existsSync(path.join(ROOT, "policies", "config", `${stack}.json`)),
                    `${file}: stack "${stack}" has no policies/config/${stack}.json`,
                );
            }
            assert.deepEqual(
                [...named].sort(),
                shippedStacks,
                `${file} must plan, preview or deploy every shipped stack`,
            );
        }
    });

    it("pin every action to a released version tag (never a branch)", () => {
        for (const [file, wf] of Object.entries(workflows)) {
            for (const uses of usesOf(wf)) {
                if (uses.startsWith("./")) continue;
                assert.match(
                    uses,
                    /^[\w.-]+\/[\w.-]+(\/[\w./-]+)?@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/,
                    `${file}: "${uses}" is not pinned to a vX.Y.Z tag or a commit`,
                );
            }
        }
    });

    // Inputs declared by each action's action.yml at the pinned version (pulumi/actions v7.0.0, actions/checkout
    // v7.0.1, actions/setup-node v7.0.0): a misspelt input is silently ignored by GitHub, so check them here.
    const INPUTS: Record<string, string[]> = {
        "actions/checkout": [
            "repository",
            "ref",
            "token",
            "ssh-key",
            "ssh-known-hosts",
            "ssh-strict",
            "ssh-user",
            "persist-credentials",
            "path",
            "clean",
            "filter",
            "sparse-checkout",
            "sparse-checkout-cone-mode",
            "fetch-depth",
            "fetch-tags",
            "show-progress",
            "lfs",
            "submodules",
            "set-safe-directory",
            "github-server-url",
            "allow-unsafe-pr-checkout",
        ],
        "actions/setup-node": [
            "node-version",
            "node-version-file",
            "architecture",
            "check-latest",
            "registry-url",
            "scope",
            "token",
            "cache",
            "package-manager-cache",
            "cache-dependency-path",
            "mirror",
            "mirror-token",
        ],
        "pulumi/actions": [
            "command",
            "stack-name",
            "pulumi-version",
            "pulumi-version-file",
            "work-dir",
            "comment-on-pr",
            "comment-on-pr-number",
            "comment-on-summary",
            "github-token",
            "cloud-url",
            "secrets-provider",
            "parallel",
            "message",
            "config-map",
            "expect-no-changes",
            "diff",
            "replace",
            "exclude",
            "exclude-dependents",
            "target",
            "target-dependents",
            "policyPacks",
            "policyPackConfigs",
            "refresh",
            "upsert",
            "remove",
            "edit-pr-comment",
            "color",
            "exclude-protected",
            "plan",
            "suppress-outputs",
            "suppress-progress",
            "always-include-summary",
            "continue-on-error",
            "log-verbosity",
            "log-flow",
            "debug",
        ],
    };
    it("pass each action only inputs its action.yml declares", () => {
        for (const [file, wf] of Object.entries(workflows)) {
            for (const step of steps(wf).filter((s) => s.uses)) {
                const known = INPUTS[action(step.uses!)];
                assert.ok(known, `${file}: ${step.uses} is not a reviewed action; add its inputs here`);
                for (const input of Object.keys(step.with ?? {}))
                    assert.ok(known.includes(input), `${file}: ${step.uses} has no input "${input}"`);
            }
        }
    });

    it("grant contents: read at the top and pull-requests: write only to the job that comments on the PR", () => {
        for (const [file, wf] of Object.entries(workflows)) {
            assert.deepEqual(wf.permissions, { contents: "read" }, `${file}: top-level permissions`);
            for (const [id, job] of jobs(wf)) {
                if (job.permissions === undefined) continue;
                assert.equal(
                    typeof job.permissions,
                    "object",
                    `${file} job ${id}: permissions must list scopes, not "${String(job.permissions)}"`,
                );
                const comments = pulumiSteps(job).some((s) => String(s.with?.["comment-on-pr"]) === "true");
                for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
                    if (level === "write")
                        assert.ok(
                            scope === "pull-requests" && comments,
                            `${file} job ${id}: ${scope}: write is not needed`,
                        );
                    else assert.ok(level === "read" || level === "none", `${file} job ${id}: ${scope}: ${level}`);
                }
                if (comments)
                    assert.equal(
                        (job.permissions as Record<string, string>)["pull-requests"],
                        "write",
                        `${file} job ${id} comments on the PR`,
                    );
            }
        }
    });

    describe("pull-request.yml", () => {
        const wf = workflows["pull-request.yml"];
        const [id, job] = jobs(wf)[0];
        const text = fs.readFileSync(path.join(WORKFLOWS, "pull-request.yml"), "utf8");
        const stepRunning = (re: RegExp) => (job.steps ?? []).findIndex((s) => re.test(s.run ?? ""));

        it("runs on every pull request, forks included, with one job and no secret", () => {
            assert.deepEqual(Object.keys(wf.on), ["pull_request"]);
            assert.equal(jobs(wf).length, 1);
            assert.doesNotMatch(text, /secrets\./, "a fork's pull request gets no secrets");
            assert.equal(job.environment, undefined, id);
            assert.equal(job.if, undefined, `${id} must run for forks too`);
        });

        it("sets up Node 20 with the npm cache, then runs .ci/run's install, its check, and the plan", () => {
            const setup = (job.steps ?? []).find((s) => s.uses?.startsWith("actions/setup-node@"));
            assert.equal(setup?.with?.["node-version"], "20.x");
            assert.equal(setup?.with?.cache, "npm");
            const order = [/^bash \.ci\/run install$/, /^bash \.ci\/run check$/, /\bnpm run --silent plan\b/].map(
                stepRunning,
            );
            assert.ok(
                order.every((i) => i >= 0),
                `steps found at ${order.join(", ")}`,
            );
            assert.deepEqual(
                [...order].sort((a, b) => a - b),
                order,
            );
            assert.equal(job.steps![order[0]].id, "install", "the plan step runs only when the install succeeded");
        });

        it("installs nothing itself: the Debian tools come from .ci/run, which installs what the tests run", () => {
            for (const step of job.steps ?? []) assert.doesNotMatch(step.run ?? "", /apt-get|npm ci\b/, step.name);
            const ciRun = fs.readFileSync(path.join(ROOT, ".ci", "run"), "utf8");
            const ciPackages: string[] = [...ciRun.matchAll(/need\+=\(([\w.-]+)\)/g)].map((m) => m[1]).sort();
            const testPackages: string[] = [...new Set<string>(Object.values(TOOL_PACKAGES))];
            assert.deepEqual(ciPackages, testPackages.sort(), ".ci/run and the host-config tests disagree");
            const image = typeof job.container === "string" ? job.container : job.container?.image;
            assert.match(
                image ?? "",
                /^node:20(\.[\d.]+)?-(bookworm|trixie)/,
                "apt-get needs a Debian image where the job runs as root",
            );
        });

        it("plans every stack as markdown into the job summary, even when lint or tests failed", () => {
            const step = job.steps![stepRunning(/\bplan\b/)];
            assert.match(step.run!, /--format markdown\b/);
            assert.match(step.run!, />>\s*"\$GITHUB_STEP_SUMMARY"/);
            assert.match(step.if ?? "", /!cancelled\(\)/);
        });

        it("writes every stack's summary before failing on mandatory findings (exit 1) or a broken plan", () => {
            const step = job.steps![stepRunning(/\bplan\b/)];
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-pr-plan-"));
            try {
                // A stand-in npm: prints a summary per stack and exits with the code PLAN_EXIT_<stack> asks for.
                fs.writeFileSync(
                    path.join(dir, "npm"),
                    [
                        "#!/usr/bin/env bash",
                        'stack=""; while [ $# -gt 0 ]; do [ "$1" = --stack ] && stack=$2; shift; done',
                        'echo "### plan $stack"',
                        'var="PLAN_EXIT_$stack"; exit "${!var:-0}"',
                        "",
                    ].join("\n"),
                    { mode: 0o755 },
                );
                const run = (exits: Record<string, number>) => {
                    const summary = path.join(dir, `summary-${Object.values(exits).join("")}.md`);
                    const r = spawnSync("bash", ["--norc", "--noprofile", "-e", "-c", step.run!], {
                        encoding: "utf8",
                        stdio: ["ignore", "pipe", "pipe"],
                        env: {
                            PATH: `${dir}:${process.env.PATH}`,
                            STACKS: shippedStacks.join(" "),
                            GITHUB_STEP_SUMMARY: summary,
                            ...Object.fromEntries(Object.entries(exits).map(([s, c]) => [`PLAN_EXIT_${s}`, String(c)])),
                        },
                    });
                    return { status: r.status, summary: fs.readFileSync(summary, "utf8"), output: r.stdout + r.stderr };
                };
                const all = shippedStacks.map((s) => `### plan ${s}`).join("\n") + "\n";
                const clean = run({});
                assert.deepEqual([clean.status, clean.summary], [0, all], clean.output);
                assert.doesNotMatch(clean.output, /::error/);
                const mandatory = run({ [shippedStacks[0]]: 1 });
                assert.equal(mandatory.status, 1);
                assert.equal(mandatory.summary, all);
                assert.match(mandatory.output, new RegExp(`stack ${shippedStacks[0]} has mandatory policy findings`));
                const broken = run({ [shippedStacks[1]]: 2 });
                assert.equal(broken.status, 1);
                assert.ok(
                    broken.summary.startsWith(all.split("\n").slice(0, 2).join("\n")) &&
                        broken.summary.includes(`### plan ${shippedStacks[2]}`),
                    broken.summary,
                );
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });

    describe("preview.yml", () => {
        const wf = workflows["preview.yml"];
        const previewJobs = jobs(wf).filter(([, j]) => pulumiSteps(j).length > 0);

        it("runs pulumi preview of every stack with the pack and the stack's config, commenting on the PR", () => {
            assert.deepEqual(
                Object.keys(wf.on),
                ["pull_request"],
                "pull_request_target would hand secrets to a fork's code",
            );
            assert.equal(previewJobs.length, 1);
            const [, job] = previewJobs[0];
            assert.deepEqual([...(job.strategy?.matrix?.stack ?? [])].sort(), shippedStacks);
            const step = pulumiSteps(job)[0];
            assert.equal(step.with?.command, "preview");
            assert.match(String(step.with?.["stack-name"]), /^\$\{\{\s*matrix\.stack\s*\}\}$/);
            assert.equal(step.with?.policyPacks, "policies");
            assert.match(
                String(step.with?.policyPackConfigs),
                /^policies\/config\/\$\{\{\s*matrix\.stack\s*\}\}\.json$/,
            );
            assert.equal(String(step.with?.["comment-on-pr"]), "true");
        });

        it("runs only for branches of this repository, which have the secrets", () => {
            for (const [id, job] of jobs(wf)) {
                assert.equal(
                    job.if?.replace(/\s+/g, " ").trim(),
                    "github.event.pull_request.head.repo.full_name == github.repository",
                    id,
                );
                assert.match(String(job.env?.PULUMI_ACCESS_TOKEN), /^\$\{\{\s*secrets\.PULUMI_ACCESS_TOKEN\s*\}\}$/);
                assert.match(String(job.env?.DIGITALOCEAN_TOKEN), /^\$\{\{\s*secrets\.DIGITALOCEAN_TOKEN\s*\}\}$/);
            }
        });

        it("installs the program and the pack before previewing", () => {
            for (const [id, job] of previewJobs) {
                const all = job.steps ?? [];
                const install = all.findIndex((s) => /\bnpm ci\b/.test(s.run ?? ""));
                assert.ok(install >= 0 && install < all.indexOf(pulumiSteps(job)[0]), id);
            }
        });
    });

    describe("deploy.yml", () => {
        const wf = workflows["deploy.yml"];

        it("runs pulumi up on push to main only", () => {
            assert.deepEqual(wf.on, { push: { branches: ["main"] } });
        });

        it("updates dev, then staging, then prod, each with the pack and its config, one update at a time", () => {
            const order: string[] = [];
            for (const [id, job] of jobs(wf)) {
                const ups = pulumiSteps(job);
                assert.equal(ups.length, 1, id);
                const stack = String(ups[0].with?.["stack-name"]);
                assert.equal(ups[0].with?.command, "up", id);
                assert.equal(ups[0].with?.policyPacks, "policies", id);
                assert.equal(ups[0].with?.policyPackConfigs, `policies/config/${stack}.json`, id);
                const concurrency = job.concurrency as { group: string; "cancel-in-progress"?: boolean };
                assert.ok(concurrency?.group.includes(stack), `${id}: concurrency group per stack`);
                assert.equal(concurrency["cancel-in-progress"], false, `${id}: never cancel a running update`);
                const needs = [job.needs ?? []].flat();
                assert.deepEqual(needs, order.length > 0 ? [jobIdOf(order[order.length - 1])] : [], `${id} needs`);
                order.push(stack);
            }
            assert.deepEqual(order, ["dev", "staging", "prod"]);
            const groups = jobs(wf).map(([, j]) => (j.concurrency as { group: string }).group);
            assert.equal(new Set(groups).size, groups.length);
        });

        it("puts prod, and only prod, behind the production environment", () => {
            for (const [id, job] of jobs(wf)) {
                const stack = String(pulumiSteps(job)[0].with?.["stack-name"]);
                const env = typeof job.environment === "object" ? job.environment.name : job.environment;
                assert.equal(env, stack === "prod" ? "production" : undefined, id);
            }
        });

        it("gives every update the Pulumi and DigitalOcean tokens from secrets", () => {
            for (const [id, job] of jobs(wf)) {
                const env = { ...wf.env, ...job.env };
                assert.match(String(env.PULUMI_ACCESS_TOKEN), /^\$\{\{\s*secrets\.PULUMI_ACCESS_TOKEN\s*\}\}$/, id);
                assert.match(String(env.DIGITALOCEAN_TOKEN), /^\$\{\{\s*secrets\.DIGITALOCEAN_TOKEN\s*\}\}$/, id);
            }
        });

        function jobIdOf(stack: string): string {
            const found = jobs(wf).find(([, j]) => pulumiSteps(j).some((s) => s.with?.["stack-name"] === stack));
            return found ? found[0] : `<no job for ${stack}>`;
        }
    });
});
