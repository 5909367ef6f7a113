// webstack's offline plan: previews a stack without the Pulumi CLI, a backend or cloud credentials.
// Runs the real program under the recording mock engine, asks the real policy pack (spawned like the CLI
// spawns it, over the analyzer gRPC protocol) for its verdicts, prices the result and draws it.
//
//   npm run plan -- [--stack NAME] [--tier N] [--format text|json|markdown] [--out DIR]
//   npm run plan -- --stack-export FILE [--policy-pack-config FILE] [--format …]     (audit a deployed stack)
//
// Exit status: 0 no mandatory finding, 1 mandatory findings (as `pulumi preview` fails), 2 usage/config errors.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PlanConfigError } from "./capture/cliConfig";
import { ProgramError } from "./capture/runProgram";
import { killAllPolicyHosts } from "./policyHost/host";
import { PolicyHostError } from "./policyHost/protocol";
import { plan, type PlanOptions } from "./pipeline";
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
  --timings                 print phase timings and peak memory as one JSON line on stderr (npm run bench)
  -h, --help                show this help

Exit status: 0 no mandatory finding, 1 mandatory findings, 2 usage or configuration errors.
`;

class UsageError extends Error {}

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
                timings: { type: "boolean", default: false },
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
                `--stack-export analyzes a deployed stack's state, so it takes no ${clashing.map((k) => `--${k}`).join(", ")}; ` +
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
        timings: v.timings!,
    };
}

export async function main(argv: string[]): Promise<number> {
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
    const onSignal = (code: number) => () => {
        killAllPolicyHosts();
        process.exit(code);
    };
    process.once("SIGINT", onSignal(130));
    process.once("SIGTERM", onSignal(143));
    try {
        // WEBSTACK_PLAN_TIMING=1: progress lines on stderr (the policy host's pid and port, then the phase offsets).
        const watch = process.env.WEBSTACK_PLAN_TIMING === "1";
        const { doc, timings } = await plan(opts, watch ? (line) => process.stderr.write(`${line}\n`) : undefined);
        const report = require("./report/render") as typeof import("./report/render");
        const text =
            opts.format === "json"
                ? report.renderJson(doc)
                : opts.format === "markdown"
                  ? report.renderMarkdown(doc)
                  : report.renderText(doc);
        process.stdout.write(text);
        const at = { ...timings.at, output: Math.round(performance.now()) };
        if (watch)
            process.stderr.write(
                Object.entries(at)
                    .map(([what, ms]) => `${String(ms).padStart(6)} ms  ${what}`)
                    .join("\n") + "\n",
            );
        if (opts.timings) process.stderr.write(`${JSON.stringify({ timings: { ...timings, at } })}\n`);
        return doc.summary.exitCode;
    } catch (err) {
        killAllPolicyHosts();
        if (err instanceof ProgramError) process.stderr.write(err.render());
        else if (err instanceof PlanConfigError || err instanceof PolicyHostError || err instanceof StackExportError)
            process.stderr.write(`${err.message}\n`);
        else process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
        return 2;
    }
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => {
        // Flush stdout before exiting: a piped stdout is asynchronous.
        process.stdout.write("", () => process.exit(code));
    });
}
