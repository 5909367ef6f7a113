// The release rehearsal against a real DigitalOcean account:
//
//   npm run rehearse -- --stack <name> --image <new app image> [--probe-seconds 60]
//
// Through Pulumi's Automation API on this project: `pulumi up` of the stack, a minute of requests to its URL, then
// `app.image` set to --image and `pulumi up` again while a prober sends requests the whole time, then `pulumi
// destroy`. It prints each step's duration, the failed requests and the longest time without a successful answer.
// The stack is a rehearsal stack: it is destroyed at the end, so its data protection is lifted first (database.protect
// false, allowDataLoss true). Without the Pulumi CLI or a DigitalOcean token it says what is missing and exits 0.
import { execFileSync } from "node:child_process";
import * as http from "node:http";
import * as https from "node:https";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { SendRequest } from "./rehearsal/prober";
import { type RehearsalStack, missingPrerequisites, renderReport, runScenario } from "./rehearsal/scenario";

const ROOT = path.resolve(__dirname, "..");

export const USAGE = `Usage: npm run rehearse -- --stack NAME --image IMAGE [--probe-seconds N]

Deploys the stack, probes it, releases IMAGE as webstack:app.image while probing, then destroys the stack.
Use a stack of its own: it is destroyed at the end (its database protection is lifted for that).
`;

/** The installed CLI's version, or undefined when there is none. */
function pulumiVersion(): string | undefined {
    try {
        return execFileSync("pulumi", ["version"], { encoding: "utf8", timeout: 30_000 }).trim();
    } catch {
        return undefined;
    }
}

/** GET the site's URL on a fresh connection, as a browser would, with a 10 s budget. */
export function requestUrl(url: string): SendRequest {
    const target = new URL(url);
    const client = target.protocol === "https:" ? https : http;
    return () =>
        new Promise((resolve, reject) => {
            const req = client.get(target, { agent: false, timeout: 10_000 }, (res) => {
                res.resume();
                res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
            });
            req.on("timeout", () => req.destroy(new Error("no answer within 10 s")));
            req.on("error", reject);
        });
}

async function automationStack(stackName: string, log: (s: string) => void): Promise<RehearsalStack> {
    const { LocalWorkspace } = await import("@pulumi/pulumi/automation");
    const stack = await LocalWorkspace.createOrSelectStack({ stackName, workDir: ROOT });
    // A rehearsal stack is destroyed at the end: nothing in it may be protected.
    await stack.setConfig("webstack:database.protect", { value: "false" }, true);
    await stack.setConfig("webstack:allowDataLoss", { value: "true" });
    const onOutput = (out: string) => log(out.replace(/\n$/, ""));
    return {
        // Unbounded parallelism, as the deploy workflow: waiting gates must never hold every worker.
        up: async () => void (await stack.up({ onOutput, parallel: 2147483647 })),
        setImage: (image) => stack.setConfig("webstack:app.image", { value: image }, true),
        url: async () => String((await stack.outputs()).url?.value),
        destroy: async () => void (await stack.destroy({ onOutput })),
    };
}

export async function main(argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
    let values;
    try {
        ({ values } = parseArgs({
            args: argv,
            strict: true,
            options: {
                stack: { type: "string" },
                image: { type: "string" },
                "probe-seconds": { type: "string", default: "60" },
                help: { type: "boolean", short: "h", default: false },
            },
        }));
    } catch (err) {
        process.stderr.write(`error: ${(err as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (values.help) {
        process.stdout.write(USAGE);
        return 0;
    }
    const missing = missingPrerequisites(env, pulumiVersion());
    if (missing.length > 0) {
        process.stdout.write(
            `Release rehearsal skipped: it needs\n${missing.map((m) => `  - ${m}`).join("\n")}\nNothing was deployed.\n`,
        );
        return 0;
    }
    const probeSeconds = Number(values["probe-seconds"]);
    const problems = [
        ...(values.stack ? [] : ["--stack NAME is required"]),
        ...(values.image ? [] : ["--image IMAGE (the app release to roll out) is required"]),
        ...(Number.isInteger(probeSeconds) && probeSeconds >= 5 && probeSeconds <= 3600
            ? []
            : [`--probe-seconds must be an integer from 5 to 3600; got "${values["probe-seconds"]}"`]),
    ];
    if (problems.length > 0) {
        process.stderr.write(`error: ${problems.join("; ")}\n\n${USAGE}`);
        return 2;
    }
    const log = (line: string) => process.stderr.write(`${line}\n`);
    const stack = await automationStack(values.stack!, log);
    const reports = await runScenario({
        stack,
        image: values.image!,
        request: requestUrl,
        baselineMs: probeSeconds * 1000,
        probeIntervalMs: 100,
        log: (line) => log(`==> ${line}`),
    });
    process.stdout.write(renderReport(reports));
    return reports.some((r) => r.error) || reports.some((r) => (r.probe?.failed ?? 0) > 0) ? 1 : 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (err: Error) => {
            process.stderr.write(`error: ${err.stack ?? err.message}\n`);
            process.exit(2);
        },
    );
}
