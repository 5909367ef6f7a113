// The prober of a release rehearsal: sends requests the whole time a release runs and reports what users would have
// seen (failed requests, the longest time without a successful answer). Used with real processes on loopback
// (test/rehearsal/) and against a real stack (tools/rehearse.ts); the request itself is injected.

/** One request; resolves with the HTTP status, rejects on a network or TLS error. */
export type SendRequest = () => Promise<{ status: number }>;

export interface ProberOptions {
    readonly send: SendRequest;
    /** Pause between two requests of one worker. */
    readonly intervalMs: number;
    /** Requests in flight at once. */
    readonly concurrency: number;
    /** A clock in milliseconds (injected by the tests). @default performance.now */
    readonly now?: () => number;
    readonly sleep?: (ms: number) => Promise<void>;
}

export interface Failure {
    /** Milliseconds after the start. */
    readonly atMs: number;
    readonly reason: string;
}

export interface ProberReport {
    readonly sent: number;
    readonly failed: number;
    /** The longest stretch without a successful answer, start and stop included. */
    readonly longestGapMs: number;
    readonly durationMs: number;
    /** The first failures, in order (at most 10). */
    readonly failures: readonly Failure[];
}

/** 2xx and 3xx are what a user's browser renders or follows. */
export const isSuccess = (status: number) => status >= 200 && status < 400;

export class Prober {
    private running = false;
    private workers: Promise<void>[] = [];
    private sent = 0;
    private failed = 0;
    private failures: Failure[] = [];
    private lastSuccess = 0;
    private longestGap = 0;
    private startedAt = 0;
    private readonly now: () => number;
    private readonly sleep: (ms: number) => Promise<void>;

    constructor(private readonly opts: ProberOptions) {
        this.now = opts.now ?? (() => performance.now());
        this.sleep = opts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    }

    start(): void {
        if (this.running) throw new Error("the prober is already running");
        this.running = true;
        this.startedAt = this.now();
        this.lastSuccess = this.startedAt;
        this.workers = Array.from({ length: this.opts.concurrency }, () => this.work());
    }

    /** Stops sending, waits for the requests in flight, and reports. */
    async stop(): Promise<ProberReport> {
        this.running = false;
        await Promise.all(this.workers);
        const end = this.now();
        this.longestGap = Math.max(this.longestGap, end - this.lastSuccess);
        return {
            sent: this.sent,
            failed: this.failed,
            longestGapMs: Math.round(this.longestGap),
            durationMs: Math.round(end - this.startedAt),
            failures: [...this.failures],
        };
    }

    private async work(): Promise<void> {
        while (this.running) {
            this.sent++;
            let reason: string | undefined;
            try {
                const { status } = await this.opts.send();
                if (!isSuccess(status)) reason = `HTTP ${status}`;
            } catch (err) {
                reason = err instanceof Error ? err.message : String(err);
            }
            const at = this.now();
            if (reason === undefined) {
                this.longestGap = Math.max(this.longestGap, at - this.lastSuccess);
                this.lastSuccess = at;
            } else {
                this.failed++;
                if (this.failures.length < 10) this.failures.push({ atMs: Math.round(at - this.startedAt), reason });
            }
            if (this.running) await this.sleep(this.opts.intervalMs);
        }
    }
}
