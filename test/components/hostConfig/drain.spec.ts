// Draining before shutdown: how long, the script, and the unit that systemd stops before nginx and the app.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    DRAIN_FLAG,
    DRAIN_SCRIPT,
    DRAIN_SERVICE,
    drainParts,
    drainScript,
    drainSeconds,
    drainService,
} from "../../../components/hostConfig/drain";
import { run, tempDir } from "../../support/hostTools";

describe("drain before shutdown", () => {
    it("lasts as long as the slowest checking load balancer needs to take the droplet out, plus one check timeout", () => {
        // DigitalOcean's load balancers as the stack configures them (10 s, 3 failures, 5 s) and HAProxy (5 s × 3).
        assert.equal(drainSeconds([{ intervalSeconds: 10, unhealthyThreshold: 3, timeoutSeconds: 5 }]), 35);
        assert.equal(
            drainSeconds([
                { intervalSeconds: 10, unhealthyThreshold: 3, timeoutSeconds: 5 },
                { intervalSeconds: 5, unhealthyThreshold: 3, timeoutSeconds: 5 },
            ]),
            35,
        );
        assert.throws(() => drainSeconds([]), {
            message: "drainSeconds: at least one health check is required; got none.",
        });
    });

    it("raises the flag the health location reads, then waits", () => {
        assert.deepEqual(drainScript(35).split("\n").slice(2), [
            "# Runs when the droplet shuts down (ExecStop of the drain unit): the health path fails from now on, and nginx",
            "# and the app keep serving until every load balancer has stopped sending requests here.",
            "set -eu",
            "install -d -m 0755 /run/webstack",
            `touch ${DRAIN_FLAG}`,
            "sleep 35",
            "",
        ]);
        assert.throws(() => drainScript(0), {
            message: 'drainScript: seconds: must be an integer from 1 to 300; got "0".',
        });
    });

    it("is a script sh runs: it raises the flag and waits the given time", function () {
        const { dir, remove } = tempDir("drain");
        try {
            const file = path.join(dir, "drain.sh");
            fs.writeFileSync(file, drainScript(1).split("/run/webstack").join(dir), { mode: 0o700 });
            const started = Date.now();
            const result = run("/bin/sh", [file]);
            assert.equal(result.status, 0, result.output);
            assert.ok(fs.existsSync(path.join(dir, "draining")));
            assert.ok(Date.now() - started >= 1000);
        } finally {
            remove();
        }
    });

    it("is stopped before nginx, the app and docker (ordered after them), with room under systemd's stop timeout", () => {
        const unit = drainService(35);
        assert.match(unit, /^After=network-online\.target nginx\.service webstack-app\.service docker\.service$/m);
        assert.match(unit, new RegExp(`^ExecStop=${DRAIN_SCRIPT}$`, "m"));
        assert.match(unit, new RegExp(`^ExecStart=/bin/rm -f ${DRAIN_FLAG}$`, "m"));
        assert.match(unit, /^Type=oneshot$/m);
        assert.match(unit, /^RemainAfterExit=yes$/m);
        assert.match(unit, /^TimeoutStopSec=50$/m);
        assert.match(unit, /^WantedBy=multi-user\.target$/m);
    });

    it("adds the script, the unit and enabling it as cloud-config parts", () => {
        const parts = drainParts(35);
        assert.deepEqual(
            parts.writeFiles.map((f) => [f.path, f.permissions]),
            [
                [DRAIN_SCRIPT, "0700"],
                [`/etc/systemd/system/${DRAIN_SERVICE}`, "0644"],
            ],
        );
        assert.deepEqual(parts.runcmd, [
            ["systemctl", "daemon-reload"],
            ["systemctl", "enable", "--now", DRAIN_SERVICE],
        ]);
    });
});
