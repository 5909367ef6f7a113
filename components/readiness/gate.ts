// The readiness gate's logic, pure: it asks the entry points users reach a role through until each has answered the
// way `accept` wants (a new droplet's identity on a 2xx/3xx health response, or a valid certificate), bounded by a
// timeout, and otherwise fails with one message saying what it saw. Clock and probe are injected, so tests drive it
// with a fake clock and fake answers; servingGate.ts binds it to a Pulumi resource hook with real HTTP.

/** One public address the gate asks, e.g. a load balancer's IP. */
export interface EntryPoint {
    /** How the message names it, e.g. `load balancer 203.0.113.10`. */
    readonly label: string;
    readonly address: string;
}

/** What one request to an entry point's health path gave. */
export type Answer =
    | {
          readonly kind: "response";
          readonly status: number;
          /** Identity header values by role, as received (parsed by the caller's `accept`). */
          readonly headers: Readonly<Record<string, string | undefined>>;
          /** With TLS: whether the certificate chain and the name were valid, and why not. */
          readonly certificate?: { readonly valid: boolean; readonly problem?: string };
      }
    | { readonly kind: "error"; readonly message: string };

export interface GateClock {
    /** Milliseconds, monotonic enough for durations. */
    now(): number;
    sleep(ms: number): Promise<void>;
}

export interface GateSpec {
    /** What is being waited for, e.g. `web droplet 381920 (webstack-web-0)`. */
    readonly subject: string;
    /** Every one of them must answer acceptably at least once. */
    readonly entryPoints: readonly EntryPoint[];
    /** Whether an answer proves the subject serves. */
    readonly accept: (answer: Answer) => boolean;
    /** Who gave an answer, for the message (e.g. `web droplet 1111`); undefined when the answer names no one. */
    readonly answeredBy: (answer: Answer) => string | undefined;
    /** What the subject would have shown, e.g. `droplet 381920`, for "never from …". */
    readonly expected: string;
    /** Give up after this long. */
    readonly timeoutMs: number;
    /** Pause between rounds (each round asks every entry point not yet satisfied `samplesPerRound` times). */
    readonly intervalMs: number;
    /** Requests per entry point and round: a load balancer spreads them, so the new droplet answers only a share. */
    readonly samplesPerRound: number;
    /** The last paragraph of the failure message: what happens now and the fix. */
    readonly onTimeout: string;
}

/** What the gate saw at one entry point. */
export interface EntryLog {
    readonly entry: EntryPoint;
    answers: number;
    byStatus: Map<number, number>;
    responders: Map<string, number>;
    errors: number;
    lastError?: string;
    certificateProblems: Map<string, number>;
    /** Milliseconds after the start when `accept` first held, or undefined. */
    acceptedAfterMs?: number;
}

export interface GateResult {
    readonly elapsedMs: number;
    readonly log: readonly EntryLog[];
}

/** Thrown when the timeout passes; the message is the one Pulumi prints for the failed hook. */
export class GateTimeoutError extends Error {
    constructor(
        message: string,
        readonly log: readonly EntryLog[],
    ) {
        super(message);
        this.name = "GateTimeoutError";
    }
}

/** Asks every entry point until each has answered acceptably once; throws GateTimeoutError after `timeoutMs`. */
export async function waitUntilServing(
    spec: GateSpec,
    probe: (entry: EntryPoint) => Promise<Answer>,
    clock: GateClock,
): Promise<GateResult> {
    const problems = gateSpecProblems(spec);
    if (problems.length > 0) throw new Error(`Invalid readiness gate:\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    const start = clock.now();
    const elapsed = () => clock.now() - start;
    const log: EntryLog[] = spec.entryPoints.map((entry) => ({
        entry,
        answers: 0,
        byStatus: new Map(),
        responders: new Map(),
        errors: 0,
        certificateProblems: new Map(),
    }));
    for (;;) {
        for (const entry of log) {
            for (let i = 0; i < spec.samplesPerRound && entry.acceptedAfterMs === undefined; i++) {
                if (elapsed() >= spec.timeoutMs) break;
                const answer = await probe(entry.entry).catch((err: unknown): Answer => ({
                    kind: "error",
                    message: errorText(err),
                }));
                record(entry, answer, spec);
                if (spec.accept(answer)) entry.acceptedAfterMs = elapsed();
            }
        }
        if (log.every((e) => e.acceptedAfterMs !== undefined)) return { elapsedMs: elapsed(), log };
        const remaining = spec.timeoutMs - elapsed();
        if (remaining <= 0) throw new GateTimeoutError(timeoutMessage(spec, log), log);
        await clock.sleep(Math.min(spec.intervalMs, remaining));
    }
}

function record(entry: EntryLog, answer: Answer, spec: GateSpec): void {
    if (answer.kind === "error") {
        entry.errors++;
        entry.lastError = answer.message;
        return;
    }
    entry.answers++;
    entry.byStatus.set(answer.status, (entry.byStatus.get(answer.status) ?? 0) + 1);
    const who = spec.answeredBy(answer);
    if (who !== undefined) entry.responders.set(who, (entry.responders.get(who) ?? 0) + 1);
    if (answer.certificate && !answer.certificate.valid) {
        const problem = answer.certificate.problem ?? "invalid";
        entry.certificateProblems.set(problem, (entry.certificateProblems.get(problem) ?? 0) + 1);
    }
}

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** `15 minutes`, `90 seconds`, `1 minute 30 seconds`. */
export function duration(ms: number): string {
    const seconds = Math.round(ms / 1000);
    const m = Math.floor(seconds / 60);
    const s = seconds % 60;
    const part = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
    if (m === 0) return part(s, "second");
    return s === 0 ? part(m, "minute") : `${part(m, "minute")} ${part(s, "second")}`;
}

/** One line per entry point: what answered, how, and what failed. */
export function describeEntry(entry: EntryLog, expected: string): string {
    if (entry.acceptedAfterMs !== undefined)
        return `${entry.entry.label}: served by ${expected} after ${duration(entry.acceptedAfterMs)}.`;
    const parts: string[] = [];
    if (entry.answers === 0) parts.push("no answer");
    else {
        const statuses = [...entry.byStatus]
            .sort(([a], [b]) => a - b)
            .map(([status, n]) => `${n} × ${status}`)
            .join(", ");
        const who = [...entry.responders.keys()].sort();
        parts.push(
            `${entry.answers} answer${entry.answers === 1 ? "" : "s"} (${statuses})${who.length > 0 ? ` from ${who.join(", ")}` : " naming no droplet"}`,
        );
    }
    parts.push(`never from ${expected}`);
    for (const [problem, n] of entry.certificateProblems) parts.push(`${n} with an invalid certificate (${problem})`);
    if (entry.errors > 0)
        parts.push(`${entry.errors} failed request${entry.errors === 1 ? "" : "s"} (last: ${entry.lastError})`);
    return `${entry.entry.label}: ${parts.join("; ")}.`;
}

export function timeoutMessage(spec: GateSpec, log: readonly EntryLog[]): string {
    const missing = log.filter((e) => e.acceptedAfterMs === undefined).length;
    const through = log.length === 1 ? "through its entry point" : `through ${missing} of ${log.length} entry points`;
    return [
        `Readiness gate: ${spec.subject} was not seen serving ${through} within ${duration(spec.timeoutMs)}.`,
        ...log.map((e) => `  - ${describeEntry(e, spec.expected)}`),
        spec.onTimeout,
    ].join("\n");
}

/** Every problem with `spec` (empty when valid). */
export function gateSpecProblems(spec: GateSpec): string[] {
    const problems: string[] = [];
    if (!Array.isArray(spec.entryPoints) || spec.entryPoints.length === 0)
        problems.push(`entryPoints: at least one entry point is required; got none.`);
    const positive = (name: string, v: number, min: number) => {
        if (!Number.isFinite(v) || v < min) problems.push(`${name}: must be a number of at least ${min}; got "${v}".`);
    };
    positive("timeoutMs", spec.timeoutMs, 1);
    positive("intervalMs", spec.intervalMs, 1);
    if (!Number.isInteger(spec.samplesPerRound) || spec.samplesPerRound < 1)
        problems.push(`samplesPerRound: must be an integer of at least 1; got "${spec.samplesPerRound}".`);
    return problems;
}
