// Mocha root hooks: install the recording mock engine once for the whole process (Pulumi keeps a single
// mock monitor per process, and mocha runs every spec file in one process), and forget the record
// before each test.
import { Recorder } from "../../plan/capture/recorder";

export const recorder = new Recorder();

export const mochaHooks = {
    async beforeAll(): Promise<void> {
        await recorder.install("webstack", "dev");
    },
    beforeEach(): void {
        recorder.reset();
    },
};
