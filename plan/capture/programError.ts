// How a program run fails, as the Node.js language host reports it: kept apart from the runner so the CLI can tell
// the error without loading the SDK.

/**
 * How the program failed, as the language host tells them apart: a `RunError` (a message for the user, no stack
 * trace), a `ResourceError` (attached to a resource), or anything else (an unhandled exception, with its stack).
 */
export type ProgramErrorKind = "run" | "resource" | "unhandled";

/** An error the program reported (bad config, a component's ResourceError, an unhandled exception). */
export class ProgramError extends Error {
    constructor(
        message: string,
        /** `type (name)` of the resource the CLI would attach the diagnostic to. */
        readonly subject: string,
        readonly kind: ProgramErrorKind,
    ) {
        super(message);
    }

    /** The diagnostic as `pulumi up` prints it. */
    render(): string {
        const [first, ...rest] = this.message.split("\n");
        const body = [`    error: ${first}`, ...rest.map((l) => (l.length ? `    ${l}` : l))].join("\n");
        return `Diagnostics:\n  ${this.subject}:\n${body}\n`;
    }
}
