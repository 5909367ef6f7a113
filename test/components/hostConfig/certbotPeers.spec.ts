// With ACME peers, the first certificate order waits until the peers' DNS name lists this droplet: before that no
// peer would forward Let's Encrypt's challenge here, and a failed validation counts against the hourly limit.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    ACME_PEER_WAIT,
    ACME_PEER_WAIT_SECONDS,
    certbotService,
    peerWaitScript,
} from "../../../components/hostConfig/certbot";
import { run, tempDir } from "../../support/hostTools";

const PEERS = "webstack-lb-peers.example.com";

/** Runs the wait script with stand-ins for curl (the metadata service), getent (DNS), date and sleep. */
function runWait(peersAnswer: string): { status: number | null; output: string } {
    const { dir, remove } = tempDir("acme-wait");
    try {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        const stub = (name: string, body: string) =>
            fs.writeFileSync(path.join(bin, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 });
        stub("curl", "echo 10.110.0.7");
        stub("getent", `[ "$1 $2" = "ahostsv4 ${PEERS}" ] || exit 2\nprintf '${peersAnswer}'`);
        // Time moves 100 s per call, so the deadline passes after a few rounds without sleeping.
        stub("date", `f=${dir}/t; t=$(cat $f 2>/dev/null || echo 1000); echo $((t + 100)) > $f; echo $t`);
        stub("sleep", "exit 0");
        const file = path.join(dir, "wait.sh");
        fs.writeFileSync(file, peerWaitScript(PEERS), { mode: 0o700 });
        return run("/usr/bin/env", [`PATH=${bin}:/usr/bin:/bin`, "/bin/sh", file]);
    } finally {
        remove();
    }
}

describe("certbot with ACME peers", () => {
    it("waits for the peers' DNS name before the first order, within a start timeout", () => {
        const unit = certbotService("example.com", PEERS);
        assert.match(unit, new RegExp(`^ExecStartPre=${ACME_PEER_WAIT}$`, "m"));
        assert.match(unit, new RegExp(`^TimeoutStartSec=${ACME_PEER_WAIT_SECONDS + 300}$`, "m"));
        assert.ok(unit.indexOf("ExecStartPre=") < unit.indexOf("ExecStart=/usr/bin/certbot"));
        assert.doesNotMatch(certbotService("example.com"), /ExecStartPre|TimeoutStartSec/);
    });

    it("goes on as soon as the name lists this droplet's private address", () => {
        const result = runWait("10.110.0.5      STREAM webstack-lb-peers.example.com\\n10.110.0.7      STREAM\\n");
        assert.deepEqual([result.status, result.output], [0, ""]);
    });

    it("gives up after the wait with a message, when the name never lists it", () => {
        const result = runWait("10.110.0.5      STREAM webstack-lb-peers.example.com\\n10.110.0.70     STREAM\\n");
        assert.deepEqual([result.status, result.output.trim()], [1, `${PEERS} does not list 10.110.0.7 yet`]);
    });
});
