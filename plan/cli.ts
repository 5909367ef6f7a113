// webstack's offline plan: previews a stack without the Pulumi CLI, a backend or cloud credentials.
// Runs the real program under the recording mock engine, asks the real policy pack (spawned like the CLI
// spawns it, over the analyzer gRPC protocol) for its verdicts, prices the result and draws it.
//
//   npm run plan -- [--stack NAME] [--tier N] [--format text|json|markdown] [--out DIR]
//   npm run plan -- --stack-export FILE [--policy-pack-config FILE] [--format …]     (audit a deployed stack)
//
// Exit status: 0 no mandatory finding, 1 mandatory findings (as `pulumi preview` fails), 2 usage/config errors.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { SECRET_SHAPES } from "../components/settings/configKeys";
import { loadStackConfig, PlanConfigError, type StackConfig } from "./capture/cliConfig";
import { ProgramError } from "./capture/programError";
import { killAllPolicyHosts, PolicyHost, type StartOptions } from "./policyHost/host";
import { PolicyHostError } from "./policyHost/protocol";
import type { PlanListener, PlanOptions, PolicyHostSource } from "./pipeline";
import { StackExportError } from "./stackExport";

export type { PlanOptions };

export const USAGE = `Usage: npm run plan -- [options]

Previews a stack offline: resource tree, policy findings, monthly cost, architecture diagram.

Options:
  --stack NAME              stack to plan (reads Pulumi.NAME.yaml)            [default: dev]
  --tier N                  override webstack:tier
  -c, --config KEY=VALUE    override a config value (repeatable), like pulumi preview --config
  --config-file FILE        read stack config from FILE instead of Pulumi.STACK.yaml
  --config-path             treat --config keys as paths (web.count, names[0]), like pulumi --path
  --format text|json|markdown                                                   [default: text]
  --out DIR                 where plan.json, plan.md and architecture.{svg,mmd,dot} go [default: out/STACK]
  -C, --cwd DIR             the project directory (holds Pulumi.yaml)          [default: .]
  --policy-pack DIR         the policy pack to run                             [default: policies]
  --policy-pack-config FILE policy config                        [default: POLICY_PACK/config/STACK.json if present]
  --stack-export FILE       analyze a \`pulumi stack export\` document instead of running the program, as
                            \`pulumi policy analyze --file FILE\` does (no --stack, --tier or --config)
  -h, --help                show this help

Exit status: 0 no mandatory finding, 1 mandatory findings, 2 usage or configuration errors.
`;

class UsageError extends Error {}

/**
 * The webstack program's secret keys that it checks by shape, from its config declaration: keyed by the qualified
 * name, so a program of another namespace planned with -C gets none of them.
 */
export const WEBSTACK_SECRET_SHAPES = Object.fromEntries(
    Object.entries(SECRET_SHAPES).map(([key, shape]) => [`webstack:${key}`, shape]),
);

export function parseOptions(argv: string[]): PlanOptions | "help" {
    let parsed;
    try {
        parsed = parseArgs({
            args: argv,
            strict: true,
            allowPositionals: false,
            options: {
                stack: { type: "string" },
                tier: { type: "string" },
                config: { type: "string", short: "c", multiple: true },
                "config-path": { type: "boolean", default: false },
                "config-file": { type: "string" },
                format: { type: "string", default: "text" },
                out: { type: "string" },
                cwd: { type: "string", short: "C" },
                "policy-pack": { type: "string" },
                "policy-pack-config": { type: "string" },
                "stack-export": { type: "string" },
                help: { type: "boolean", short: "h", default: false },
            },
        });
    } catch (err) {
        throw new UsageError((err as Error).message);
    }
    const v = parsed.values;
    if (v.help) return "help";
    if (v["stack-export"] !== undefined) {
        // As the CLI: --file and --stack are mutually exclusive, and a state file has no program to configure.
        const clashing = (["stack", "tier", "config", "config-file"] as const).filter((k) => v[k] !== undefined);
        if (v["config-path"]) clashing.push("config-path" as never);
        if (clashing.length > 0)
            throw new UsageError(
                "--stack-export analyzes a deployed stack's state, " +
                    `so it takes no ${clashing.map((k) => `--${k}`).join(", ")}; ` +
                    "drop them, or drop --stack-export to preview the program",
            );
        if (v["stack-export"].trim() === "")
            throw new UsageError("--stack-export needs a file, e.g. --stack-export prod-state.json");
    }
    v.stack ??= "dev";
    const format = v.format!;
    if (format !== "text" && format !== "json" && format !== "markdown")
        throw new UsageError(`--format must be text, json or markdown; got "${format}"`);
    if (!/^[A-Za-z0-9_.-]+$/.test(v.stack!))
        throw new UsageError(`--stack must be a stack name (letters, digits, "-", "_", "."); got "${v.stack}"`);
    if (v.tier !== undefined && v.tier.trim() === "") throw new UsageError("--tier needs a value, e.g. --tier 2");
    const overrides = (v.config ?? []).map((kv) => {
        const eq = kv.indexOf("=");
        if (eq <= 0) throw new UsageError(`--config expects KEY=VALUE; got "${kv}"`);
        return { key: kv.slice(0, eq), value: kv.slice(eq + 1), path: v["config-path"] };
    });
    const cwd = path.resolve(v.cwd ?? ".");
    return {
        stack: v.stack!,
        tier: v.tier,
        overrides,
        format,
        cwd,
        out: path.resolve(v.out ?? path.join(cwd, "out", v["stack-export"] !== undefined ? "stack-export" : v.stack!)),
        policyPack: v["policy-pack"] !== undefined ? path.resolve(v["policy-pack"]) : path.join(cwd, "policies"),
        policyPackExplicit: v["policy-pack"] !== undefined,
        policyPackConfig: v["policy-pack-config"] && path.resolve(v["policy-pack-config"]),
        configFile: v["config-file"] && path.resolve(v["config-file"]),
        stackExport: v["stack-export"] !== undefined ? path.resolve(v["stack-export"]) : undefined,
        secretShapes: WEBSTACK_SECRET_SHAPES,
    };
}

/** How a caller runs the CLI in its own process: who watches the steps, who lends the policy hosts. */
export interface MainOptions {
    /** Told each step of the plan (see PlanEvent), e.g. by `npm run bench`. */
    listener?: PlanListener;
    /** Lends running policy hosts (plan/spawnPlan.ts's worker); by default each plan starts and stops its own. */
    policyHosts?: PolicyHostSource;
}

/**
 * A policy host started before this process loads the plan's own modules (the SDK and the components, half a second):
 * the host boots for about as long in its own process, so it is listening by the time the program is captured instead
 * of after it. The plan reuses the stack config read here and takes this host when it asks for one of the same pack,
 * project, stack and config; a config that cannot be read starts no host (the plan reports the error itself).
 */
export function earlyHost(
    opts: PlanOptions,
): (PolicyHostSource & { config: StackConfig; closeUnused(): Promise<void> }) | undefined {
    if (opts.stackExport !== undefined || !fs.existsSync(path.join(opts.policyPack, "index.ts"))) return undefined;
    let cfg: StackConfig;
    try {
        const { cwd, stack, tier, overrides, configFile, secretShapes } = opts;
        cfg = loadStackConfig({ cwd, stack, tier, overrides, configFile, shapedPlaceholders: secretShapes });
    } catch {
        return undefined;
    }
    const wanted: StartOptions = {
        packDir: opts.policyPack,
        project: cfg.project,
        stack: cfg.stack,
        config: cfg.config,
    };
    let early: PolicyHost | undefined = PolicyHost.start(wanted);
    return {
        config: cfg,
        acquire(asked) {
            const host = early && JSON.stringify(asked) === JSON.stringify(wanted) ? early : PolicyHost.start(asked);
            if (host === early) early = undefined;
            return host;
        },
        release: (host) => host.close(),
        closeUnused: async () => {
            await early?.close();
            early = undefined;
        },
    };
}

/** The CLI: writes the plan to stdout and problems to stderr, and returns the exit status. */
export async function main(argv: string[], { listener, policyHosts }: MainOptions = {}): Promise<number> {
    let opts: PlanOptions | "help";
    try {
        opts = parseOptions(argv);
    } catch (err) {
        process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (opts === "help") {
        process.stdout.write(USAGE);
        return 0;
    }
    // Ctrl-C and SIGTERM end the plan at once, its policy host too (the exit codes a shell gives those signals).
    const onSignal = (code: number) => () => {
        killAllPolicyHosts();
        process.exit(code);
    };
    const onInt = onSignal(130);
    const onTerm = onSignal(143);
    process.once("SIGINT", onInt);
    process.once("SIGTERM", onTerm);
    const early = policyHosts ? undefined : earlyHost(opts);
    try {
        // Loaded once the host is on its way: the pipeline and the report load the SDK and the components.
        const { plan } = require("./pipeline") as typeof import("./pipeline");
        const { renderJson, renderMarkdown, renderText } =
            require("./report/render") as typeof import("./report/render");
        const { doc } = await plan(
            { ...opts, stackConfig: early?.config, policyHosts: policyHosts ?? early },
            listener,
        );
        const render = { json: renderJson, markdown: renderMarkdown, text: renderText }[opts.format];
        process.stdout.write(render(doc));
        return doc.summary.exitCode;
    } catch (err) {
        if (!policyHosts) killAllPolicyHosts();
        if (err instanceof ProgramError) process.stderr.write(err.render());
        else if (err instanceof PlanConfigError || err instanceof PolicyHostError || err instanceof StackExportError)
            process.stderr.write(`${err.message}\n`);
        else process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
        return 2;
    } finally {
        await early?.closeUnused();
        process.off("SIGINT", onInt);
        process.off("SIGTERM", onTerm);
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        // Flush stdout before exiting: a piped stdout is asynchronous.
        process.stdout.write("", () => process.exit(code));
    });
}
