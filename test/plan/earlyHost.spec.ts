// The CLI starts the plan's policy host before it loads the plan's own modules (plan/cli.ts earlyHost): the plan takes
// that host when it asks for the same pack, project, stack and config, and anything else gets a host of its own.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as path from "node:path";
import { loadStackConfig } from "../../plan/capture/cliConfig";
import { earlyHost, parseOptions, type PlanOptions } from "../../plan/cli";
import { PolicyHost, type StartOptions } from "../../plan/policyHost/host";
import { FIXTURES } from "../support/planRuns";

const PROGRAM = path.join(FIXTURES, "program");
const PACK = path.join(FIXTURES, "pack");
const options = (...args: string[]) => parseOptions(["-C", PROGRAM, "--policy-pack", PACK, ...args]) as PlanOptions;
const running = (host: PolicyHost) => host.child.exitCode === null && host.child.signalCode === null;

/** What the pipeline asks for: the stack's own config, loaded as the plan loads it. */
function planAsks(opts: PlanOptions): StartOptions {
    const { cwd, stack, tier, overrides, configFile, secretShapes } = opts;
    const cfg = loadStackConfig({ cwd, stack, tier, overrides, configFile, shapedPlaceholders: secretShapes });
    return { packDir: opts.policyPack, project: cfg.project, stack: cfg.stack, config: cfg.config };
}

/**
 * A started host as earlyHost sees one: earlyHost only starts hosts and closes them, so each start here is a real,
 * idle child process that `close` ends the way PolicyHost.close does. What is checked is which host each caller gets
 * and which processes are still running, without paying a pack's start-up (~0.7 s of CPU) for each; the host itself
 * is tested in test/plan/policyHost.
 */
function standIn(): PolicyHost {
    const child = spawn("sleep", ["60"], { stdio: "ignore" });
    const close = async () => {
        if (!running({ child } as PolicyHost)) return;
        const gone = once(child, "exit");
        child.kill("SIGTERM");
        await gone;
    };
    return { child, close } as unknown as PolicyHost;
}

describe("plan CLI: the policy host started early", function () {
    this.timeout(30000);
    const start = PolicyHost.start;
    let started: StartOptions[] = [];
    let hosts: PolicyHost[] = [];
    beforeEach(() => {
        started = [];
        hosts = [];
        PolicyHost.start = (o: StartOptions) => {
            started.push(o);
            hosts.push(standIn());
            return hosts[hosts.length - 1];
        };
    });
    afterEach(async () => {
        PolicyHost.start = start;
        // A failed assertion must not leave a host running until the worker exits.
        await Promise.all(hosts.map((h) => h.close()));
    });

    it("is the host the plan acquires for the same options; other options get a host of their own", async () => {
        const opts = options();
        const source = earlyHost(opts)!;
        assert.deepEqual(source.config.config, planAsks(opts).config);
        const acquired: PolicyHost[] = [];
        try {
            acquired.push(source.acquire(planAsks(opts)));
            assert.deepEqual([started.length, acquired[0]], [1, hosts[0]]);
            acquired.push(source.acquire(planAsks(opts)), source.acquire({ ...planAsks(opts), stack: "other" }));
            assert.deepEqual(
                started.map((o) => o.stack),
                ["dev", "dev", "other"],
            );
        } finally {
            await Promise.all(acquired.map((h) => source.release(h)));
            await source.closeUnused();
        }
        assert.deepEqual(acquired.map(running), [false, false, false]);
    });

    it("is closed when the plan never takes it", async () => {
        const source = earlyHost(options())!;
        const [early] = hosts;
        assert.equal(running(early), true);
        await source.closeUnused();
        assert.equal(running(early), false);
    });

    it("is not started for a stack export, a missing pack or a stack whose config cannot be read", () => {
        assert.equal(earlyHost(options("--stack-export", path.join(PROGRAM, "state.json"))), undefined);
        assert.equal(earlyHost({ ...options(), policyPack: path.join(FIXTURES, "no-pack") }), undefined);
        assert.equal(earlyHost(options("--stack", "missing")), undefined);
        assert.deepEqual(started, []);
    });
});
