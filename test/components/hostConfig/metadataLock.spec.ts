// The metadata lock and DigitalOcean's metrics agent. The rendered units pass `systemd-analyze verify` beside a
// stand-in for the agent's unit (User=do-agent, as the package ships it), and the rendered script runs with the real
// iptables in a network and mount namespace of its own: root and the agent's user reach 169.254.169.254, anyone
// else is dropped, whether the agent's user appeared before the lock ran or after (its unit then re-runs the lock
// through the drop-in). Nothing touches the host's firewall or files: the namespaces go with the process. Skipped
// where namespaces cannot be created (visible message); a missing tool fails in CI.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
    METADATA_LOCK_SCRIPT,
    METADATA_LOCK_SERVICE,
    METRICS_AGENT_DROP_IN,
    metadataLockFiles,
    metadataLockScript,
    metadataLockService,
    metricsAgentDropIn,
} from "../../../components/hostConfig/metadataLock";
import { HEADER } from "../../../components/hostConfig/types";
import { requireTool, tempDir } from "../../support/hostTools";

describe("metadata lock and the metrics agent: rendered files", () => {
    it("adds the agent's drop-in, which runs the lock as root before each start and never stops the agent", () => {
        assert.equal(METRICS_AGENT_DROP_IN, "/etc/systemd/system/do-agent.service.d/webstack-metadata-lock.conf");
        assert.equal(
            metricsAgentDropIn(),
            [HEADER, "[Service]", "ExecStartPre=-+/usr/local/sbin/webstack-metadata-lock", ""].join("\n"),
        );
        assert.deepEqual(
            metadataLockFiles().map((f) => [f.path, f.permissions, f.owner]),
            [
                [METADATA_LOCK_SCRIPT, "0700", "root:root"],
                [`/etc/systemd/system/${METADATA_LOCK_SERVICE}`, "0644", "root:root"],
                [METRICS_AGENT_DROP_IN, "0644", "root:root"],
            ],
        );
    });
});

describe("metadata lock and the metrics agent: systemd-analyze verify", function () {
    this.timeout(20000);
    let root: { dir: string; remove: () => void } | undefined;
    afterEach(() => root?.remove());

    /** A root holding the rendered units, a stand-in for the agent's unit, stub targets and stub executables. */
    function systemRoot(dropIn: string): string {
        root = tempDir("systemd");
        const at = (p: string, content: string, mode = 0o644) => {
            const file = path.join(root!.dir, p);
            fs.mkdirSync(path.dirname(file), { recursive: true });
            fs.writeFileSync(file, content, { mode });
        };
        for (const target of [
            "sysinit.target",
            "basic.target",
            "shutdown.target",
            "multi-user.target",
            "network-online.target",
            "network-pre.target",
            "local-fs.target",
        ])
            at(`usr/lib/systemd/system/${target}`, "[Unit]\nDescription=stub\n");
        // The agent's unit as digitalocean/do-agent packages it (packaging/etc/systemd/system/do-agent.service).
        at(
            "etc/systemd/system/do-agent.service",
            "[Unit]\nDescription=agent\nAfter=network-online.target\nWants=network-online.target\n\n[Service]\nUser=do-agent\nExecStart=/opt/digitalocean/bin/do-agent --syslog\nRestart=always\n\n[Install]\nWantedBy=multi-user.target\n",
        );
        at("opt/digitalocean/bin/do-agent", "#!/bin/sh\n", 0o755);
        at(METADATA_LOCK_SCRIPT.slice(1), metadataLockScript(), 0o700);
        at(`etc/systemd/system/${METADATA_LOCK_SERVICE}`, metadataLockService());
        at(METRICS_AGENT_DROP_IN.slice(1), dropIn);
        return root.dir;
    }

    const verify = (analyze: string, dir: string) =>
        spawnSync(analyze, ["verify", `--root=${dir}`, "do-agent.service", METADATA_LOCK_SERVICE], {
            encoding: "utf8",
            timeout: 15000,
        });

    it("accepts the lock's unit and the agent's unit with the drop-in, without a word", function () {
        const analyze = requireTool(this, "systemd-analyze");
        const result = verify(analyze, systemRoot(metricsAgentDropIn()));
        assert.deepEqual(
            { status: result.status, output: `${result.stdout}${result.stderr}` },
            { status: 0, output: "" },
        );
    });

    it("reports a drop-in whose command it cannot read (the check is real)", function () {
        const analyze = requireTool(this, "systemd-analyze");
        const result = verify(analyze, systemRoot(metricsAgentDropIn().replace("-+", "~-+")));
        assert.match(
            result.stderr,
            /webstack-metadata-lock\.conf:\d+: Neither a valid executable name nor an absolute path/,
        );
    });
});

describe("metadata lock and the metrics agent: real iptables in a namespace of its own", function () {
    this.timeout(20000);
    const AGENT_UID = 990;
    let dir: { dir: string; remove: () => void } | undefined;
    afterEach(() => dir?.remove());

    /**
     * Runs `steps` (shell) as root in fresh network and mount namespaces, where 169.254.169.254 answers from a
     * second network namespace behind a veth pair, as the metadata service answers from outside the droplet (its
     * replies come in through INPUT, which the lock leaves alone). `lock` runs the rendered script,
     * `agent_installed` puts a do-agent user into /etc/passwd (a bind mount inside the namespace), and
     * `probe <uid>` prints "<uid> pass" (refused by the far side: it got through) or "<uid> drop" (no answer).
     */
    function inNamespace(ctx: Mocha.Context, steps: string): string[] {
        // Namespaces need root and a kernel and sandbox that allow them (an unprivileged container does not): a
        // capability of the machine, not a tool, so their absence skips even in CI, with a visible message.
        const probe = spawnSync("unshare", ["--net", "--mount", "true"], { encoding: "utf8", timeout: 5000 });
        if (probe.error || probe.status !== 0) {
            console.warn(
                `      SKIPPED: cannot create network namespaces here (${probe.error?.message ?? probe.stderr.trim()})`,
            );
            return ctx.skip();
        }
        for (const t of ["iptables", "iptables-restore", "unshare", "nsenter", "setpriv", "ip"] as const)
            requireTool(ctx, t);
        dir = tempDir("metadata-lock");
        const file = (name: string, content: string, mode = 0o644) => {
            fs.writeFileSync(path.join(dir!.dir, name), content, { mode });
            return path.join(dir!.dir, name);
        };
        const users = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534::/nonexistent:/usr/sbin/nologin\n";
        const before = file("passwd", users);
        const after = file("passwd-agent", `${users}do-agent:x:${AGENT_UID}:${AGENT_UID}::/nonexistent:/bin/false\n`);
        const lock = file("lock", metadataLockScript(), 0o700);
        const script = [
            "set -eu",
            // The far side lives as long as this shell, and no longer (pdeathsig), even if a step fails.
            "setpriv --pdeathsig KILL unshare --net sleep 15 & far=$!",
            "trap 'kill $far 2>/dev/null || true' EXIT",
            'while [ "$(readlink /proc/$far/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.01; done',
            "ip link add veth0 type veth peer name veth1",
            "ip link set veth1 netns $far",
            "nsenter -t $far -n sh -c 'ip link set veth1 up && ip addr add 169.254.169.254/16 dev veth1'",
            "ip link set veth0 up",
            "ip addr add 169.254.1.1/16 dev veth0",
            `mount --bind ${before} /etc/passwd`,
            `lock() { sh ${lock}; }`,
            `agent_installed() { umount /etc/passwd; mount --bind ${after} /etc/passwd; }`,
            "probe() {",
            '    if timeout 0.4 setpriv --reuid "$1" --regid "$1" --clear-groups bash -c \'exec 3<>/dev/tcp/169.254.169.254/80\' 2>/dev/null; then echo open',
            '    else [ "$?" -eq 124 ] && echo "$1 drop" || echo "$1 pass"; fi',
            "}",
            steps,
        ].join("\n");
        const result = spawnSync("unshare", ["--net", "--mount", "bash", "-c", script], {
            encoding: "utf8",
            timeout: 15000,
        });
        assert.equal(result.status, 0, result.stderr);
        return result.stdout.trim().split("\n");
    }

    it("lets root through and drops anyone else, the agent's uid included, while the agent is not installed", function () {
        assert.deepEqual(inNamespace(this, `lock; probe 0; probe ${AGENT_UID}; probe 65534`), [
            "0 pass",
            `${AGENT_UID} drop`,
            "65534 drop",
        ]);
    });

    it("lets the agent through once its package created the user and its unit re-ran the lock (installed after runcmd)", function () {
        assert.deepEqual(
            inNamespace(
                this,
                `lock; probe ${AGENT_UID}; agent_installed; lock; probe 0; probe ${AGENT_UID}; probe 65534`,
            ),
            [`${AGENT_UID} drop`, "0 pass", `${AGENT_UID} pass`, "65534 drop"],
        );
    });

    it("lets the agent through when it was installed before the lock first ran (installed by vendor data)", function () {
        assert.deepEqual(inNamespace(this, `agent_installed; lock; probe ${AGENT_UID}; probe 65534`), [
            `${AGENT_UID} pass`,
            "65534 drop",
        ]);
    });

    it("stays one rule set however often it runs, with the containers' DROP in DOCKER-USER", function () {
        const rules = inNamespace(this, "agent_installed; lock; lock; lock; iptables -S");
        assert.deepEqual(rules, [
            "-P INPUT ACCEPT",
            "-P FORWARD ACCEPT",
            "-P OUTPUT ACCEPT",
            "-N DOCKER-USER",
            "-N WEBSTACK-METADATA",
            "-A OUTPUT -d 169.254.169.254/32 -j WEBSTACK-METADATA",
            "-A DOCKER-USER -d 169.254.169.254/32 -j DROP",
            "-A WEBSTACK-METADATA -m owner --uid-owner 0 -j RETURN",
            `-A WEBSTACK-METADATA -m owner --uid-owner ${AGENT_UID} -j RETURN`,
            "-A WEBSTACK-METADATA -j DROP",
        ]);
    });
});
