// The release rehearsal against a real account, as steps over an injected stack (the Automation API in
// tools/rehearse.ts, fakes in the tests): up → probe → change app.image → probe throughout the update → destroy.
import { Prober, type ProberReport, type SendRequest } from "./prober";
import { cliSupportsGates, PULUMI_CLI } from "../../components/readiness/servingGate";

/** What the rehearsal does to the stack. */
export interface RehearsalStack {
    /** `pulumi up`; resolves when the update succeeded. */
    up(): Promise<void>;
    /** `pulumi config set --path webstack:app.image <image>`. */
    setImage(image: string): Promise<void>;
    /** The stack's `url` output. */
    url(): Promise<string>;
    destroy(): Promise<void>;
}

export interface StepReport {
    readonly step: string;
    readonly durationMs: number;
    /** What users saw while the step ran, when the prober was on. */
    readonly probe?: ProberReport;
    readonly error?: string;
}

export interface ScenarioOptions {
    readonly stack: RehearsalStack;
    readonly image: string;
    /** Builds the prober's request for the site's URL. */
    readonly request: (url: string) => SendRequest;
    /** How long to probe the deployed site before the release. */
    readonly baselineMs: number;
    readonly probeIntervalMs: number;
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
    readonly log?: (line: string) => void;
}

/** A step that failed while the prober ran: the failure, and what users saw meanwhile. */
class ProbedFailure extends Error {
    constructor(
        override readonly cause: unknown,
        readonly probe: ProberReport,
    ) {
        super(cause instanceof Error ? cause.message : String(cause));
    }
}

/** Runs the steps in order; a failed step ends the run, but destroy always runs once `up` was attempted. */
export async function runScenario(opts: ScenarioOptions): Promise<StepReport[]> {
    const now = opts.now ?? (() => performance.now());
    const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
    const log = opts.log ?? (() => undefined);
    const reports: StepReport[] = [];
    const step = async (name: string, work: () => Promise<ProberReport | void>): Promise<boolean> => {
        log(`${name} …`);
        const start = now();
        try {
            const probe = (await work()) ?? undefined;
            reports.push({ step: name, durationMs: Math.round(now() - start), ...(probe ? { probe } : {}) });
            return true;
        } catch (err) {
            const cause = err instanceof ProbedFailure ? err.cause : err;
            reports.push({
                step: name,
                durationMs: Math.round(now() - start),
                ...(err instanceof ProbedFailure ? { probe: err.probe } : {}),
                error: cause instanceof Error ? cause.message : String(cause),
            });
            return false;
        }
    };
    const probing = async (url: string, during: () => Promise<void>): Promise<ProberReport> => {
        const prober = new Prober({
            send: opts.request(url),
            intervalMs: opts.probeIntervalMs,
            concurrency: 2,
            now,
            sleep,
        });
        prober.start();
        let failure: unknown;
        try {
            await during();
        } catch (err) {
            failure = err;
        }
        // Stopped in every case, so a failed update still reports what users saw meanwhile.
        const probe = await prober.stop();
        if (failure !== undefined) throw new ProbedFailure(failure, probe);
        return probe;
    };
    let url = "";
    try {
        if (!(await step("up (first deployment)", () => opts.stack.up()))) return reports;
        if (!(await step("read the site's URL", async () => void (url = await opts.stack.url())))) return reports;
        if (!(await step("probe the deployed site", () => probing(url, () => sleep(opts.baselineMs))))) return reports;
        if (!(await step(`set app.image ${opts.image}`, () => opts.stack.setImage(opts.image)))) return reports;
        await step("up (release, probed throughout)", () => probing(url, () => opts.stack.up()));
    } finally {
        await step("destroy", () => opts.stack.destroy());
    }
    return reports;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

/** The report printed at the end: each step's duration, what users saw, and the verdict. */
export function renderReport(reports: readonly StepReport[]): string {
    const lines = ["Release rehearsal", ""];
    for (const r of reports) {
        lines.push(`  ${r.step}: ${seconds(r.durationMs)}${r.error ? ` FAILED: ${r.error}` : ""}`);
        if (r.probe)
            lines.push(
                `      ${r.probe.sent} requests, ${r.probe.failed} failed, longest gap without a successful answer ${seconds(r.probe.longestGapMs)}`,
                ...r.probe.failures.slice(0, 3).map((f) => `      failed at +${seconds(f.atMs)}: ${f.reason}`),
            );
    }
    const release = reports.find((r) => r.step.startsWith("up (release"));
    const verdict =
        release === undefined || release.error
            ? "not completed: the release update did not run to the end (see the failed step)"
            : release.probe && release.probe.failed === 0
              ? "no request failed during the release"
              : `${release.probe?.failed ?? "?"} requests failed during the release`;
    lines.push("", `Verdict: ${verdict}.`);
    return `${lines.join("\n")}\n`;
}

/** What must be present to run against a real account; empty when everything is. */
export function missingPrerequisites(env: NodeJS.ProcessEnv, pulumiVersion: string | undefined): string[] {
    const missing: string[] = [];
    if (pulumiVersion === undefined)
        missing.push(
            `the Pulumi CLI (${PULUMI_CLI.pinned} or at least ${PULUMI_CLI.minimum}): https://www.pulumi.com/docs/install/`,
        );
    else if (!cliSupportsGates(pulumiVersion))
        missing.push(
            `a Pulumi CLI that fails an update when a readiness gate fails (at least ${PULUMI_CLI.minimum}); found ${pulumiVersion}`,
        );
    if (!env.DIGITALOCEAN_TOKEN && !env.DIGITALOCEAN_ACCESS_TOKEN)
        missing.push("a DigitalOcean API token in DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN)");
    return missing;
}
