// Where the monitor's Alertmanager sends the QPS alerts. Exact alertmanager.yml for e-mail through an
// authenticated SMTP relay (alone and beside Slack), checked by the real amtool; the relay's password only in a 0600
// file that locks the metadata service; and a loopback run of the real Alertmanager that e-mails an alert and its
// resolution to a stand-in relay on 127.0.0.1, with STARTTLS and AUTH.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import { parse, stringify } from "yaml";
import {
    type EmailRelay,
    SLACK_WEBHOOK_PATH,
    SMTP_PASSWORD_PATH,
    renderAlertmanagerConfig,
} from "../../../components/hostConfig/alertmanager";
import { renderCloudInit } from "../../../components/hostConfig/cloudInit";
import { METADATA_LOCK_SCRIPT } from "../../../components/hostConfig/metadataLock";
import {
    ALERTMANAGER_CONFIG_PATH,
    type MonitorConfig,
    monitorConfigProblems,
} from "../../../components/hostConfig/prometheus";
import { freePort, requireTool, run, tempDir } from "../../support/hostTools";

/** The monitor droplet's user data for `config`. */
const renderMonitor = (config: MonitorConfig) => renderCloudInit({ kind: "monitor", ...config });

const PASSWORD = "SG.relayPasswordSecret-4d2c";
const WEBHOOK = "https://hooks.slack.com/services/T000/B000/amWebhookSecret";
const EMAIL: EmailRelay = {
    to: ["ops@example.com", "oncall@example.com"],
    smarthost: "smtp.sendgrid.net:587",
    from: "alerts@shop.example",
    username: "apikey",
    password: PASSWORD,
};
const SLACK = { channel: "#ops", url: WEBHOOK };
const MONITOR: MonitorConfig = { stack: "prod", retentionDays: 14, email: EMAIL };

const HEADER = "# Rendered by webstack (components/hostConfig); overwritten when the droplet is rebuilt.";
const GLOBAL = [
    "global:",
    "  smtp_smarthost: smtp.sendgrid.net:587",
    "  smtp_from: alerts@shop.example",
    "  smtp_auth_username: apikey",
    `  smtp_auth_password_file: ${SMTP_PASSWORD_PATH}`,
    "  smtp_require_tls: true",
];
const route = (receiver: string) => [
    "route:",
    `  receiver: ${receiver}`,
    "  group_by:",
    "    - alertname",
    "    - stack",
    "  group_wait: 30s",
    "  group_interval: 5m",
    "  repeat_interval: 4h",
];
const EMAIL_CONFIGS = [
    "    email_configs:",
    "      - to: ops@example.com",
    "        send_resolved: true",
    "      - to: oncall@example.com",
    "        send_resolved: true",
];

interface Doc {
    write_files: { path: string; content: string; owner: string; permissions: string }[];
}
const docOf = (userData: string) => parse(userData.replace(/^#cloud-config\n/, ""), { version: "1.1" }) as Doc;

/** alertmanager.yml with its secret files' host paths moved into `dir` (amtool and Alertmanager read the files it names). */
const relocate = (text: string, dir: string) =>
    text
        .split(SMTP_PASSWORD_PATH)
        .join(path.join(dir, "smtp-password"))
        .split(SLACK_WEBHOOK_PATH)
        .join(path.join(dir, "webhook"));

describe("Alertmanager: alert e-mails through an SMTP relay", () => {
    it("renders e-mail alone: the relay in global, one e-mail per recipient, resolutions too, the password by file", () => {
        assert.equal(
            renderAlertmanagerConfig({ email: EMAIL }),
            [HEADER, ...GLOBAL, ...route("email"), "receivers:", "  - name: email", ...EMAIL_CONFIGS, ""].join("\n"),
        );
    });

    it("renders Slack and e-mail in one receiver", () => {
        assert.equal(
            renderAlertmanagerConfig({ slack: SLACK, email: EMAIL }),
            [
                HEADER,
                ...GLOBAL,
                ...route("slack-and-email"),
                "receivers:",
                "  - name: slack-and-email",
                "    slack_configs:",
                `      - api_url_file: ${SLACK_WEBHOOK_PATH}`,
                '        channel: "#ops"',
                "        send_resolved: true",
                ...EMAIL_CONFIGS,
                "",
            ].join("\n"),
        );
    });

    it("keeps Slack alone and no receiver as they were", () => {
        assert.equal(
            renderAlertmanagerConfig({ slack: SLACK }),
            [
                HEADER,
                ...route("slack"),
                "receivers:",
                "  - name: slack",
                "    slack_configs:",
                `      - api_url_file: ${SLACK_WEBHOOK_PATH}`,
                '        channel: "#ops"',
                "        send_resolved: true",
                "",
            ].join("\n"),
        );
        assert.equal(
            renderAlertmanagerConfig({}),
            [HEADER, ...route("none"), "receivers:", "  - name: none", ""].join("\n"),
        );
    });

    for (const [label, receivers] of [
        ["e-mail", { email: EMAIL }],
        ["Slack and e-mail", { slack: SLACK, email: EMAIL }],
    ] as const) {
        it(`passes amtool check-config with ${label}`, function () {
            const amtool = requireTool(this, "amtool");
            const { dir, remove } = tempDir("alertmanager-smtp");
            try {
                fs.writeFileSync(path.join(dir, "smtp-password"), PASSWORD, { mode: 0o600 });
                fs.writeFileSync(path.join(dir, "webhook"), WEBHOOK, { mode: 0o600 });
                fs.writeFileSync(
                    path.join(dir, "alertmanager.yml"),
                    relocate(renderAlertmanagerConfig(receivers), dir),
                );
                const checked = run(amtool, ["check-config", path.join(dir, "alertmanager.yml")]);
                assert.equal(checked.status, 0, checked.output);
                assert.match(checked.output, /SUCCESS/);
            } finally {
                remove();
            }
        });
    }

    it("writes the password, with no line break, only to a 0600 file the prometheus user owns, and locks the metadata service", () => {
        const userData = renderMonitor(MONITOR);
        const doc = docOf(userData);
        assert.deepEqual(
            doc.write_files
                .filter((f) => f.content.includes(PASSWORD))
                .map((f) => [f.path, f.permissions, f.owner, f.content]),
            [[SMTP_PASSWORD_PATH, "0600", "prometheus:prometheus", PASSWORD]],
        );
        assert.ok(!doc.write_files.find((f) => f.path === ALERTMANAGER_CONFIG_PATH)!.content.includes(PASSWORD));
        assert.ok(
            doc.write_files.some((f) => f.path === METADATA_LOCK_SCRIPT),
            "the metadata lock",
        );
    });

    it("writes no password file and no lock when the secrets are delivered by hand", () => {
        const userData = renderMonitor({ ...MONITOR, email: { ...EMAIL, password: undefined } });
        const doc = docOf(userData);
        assert.ok(!userData.includes(PASSWORD));
        assert.deepEqual(
            doc.write_files.filter((f) => f.permissions === "0600"),
            [],
        );
        assert.ok(!doc.write_files.some((f) => f.path === METADATA_LOCK_SCRIPT));
        // Alertmanager still names the file an operator copies in.
        assert.match(
            doc.write_files.find((f) => f.path === ALERTMANAGER_CONFIG_PATH)!.content,
            /smtp_auth_password_file: \/etc\/prometheus\/secrets\/smtp-password/,
        );
    });

    it("lists every problem of an invalid relay, never the password", () => {
        const bad = {
            to: [],
            smarthost: "smtp.sendgrid.net:25",
            from: "alerts",
            username: "",
            password: "a b",
        } as EmailRelay;
        const problems = monitorConfigProblems({ ...MONITOR, email: bad });
        assert.deepEqual(problems, [
            "email.to: at least one address is required; got none.",
            'email.smarthost: port 25 is refused: DigitalOcean blocks it ("SMTP port 25 is blocked on all Droplets for new accounts", docs.digitalocean.com/support/why-is-smtp-blocked); got "smtp.sendgrid.net:25".',
            'email.from: must be an e-mail address; got "alerts".',
            'email.username: must be 1 to 256 characters without whitespace; got "".',
            "email.password: must be 1 to 256 characters without whitespace; got a value of type string that is not (value not shown).",
        ]);
        assert.deepEqual(monitorConfigProblems({ ...MONITOR, email: { ...EMAIL, to: ["x"], smarthost: "relay" } }), [
            'email.to[0]: must be an e-mail address; got "x".',
            'email.smarthost: must be "host:port" such as "smtp.sendgrid.net:587"; got "relay".',
        ]);
        assert.throws(() => renderMonitor({ ...MONITOR, email: bad }), /Invalid monitor config/);
    });

    it("e-mails an alert and its resolution through a stand-in relay on loopback, after STARTTLS, with AUTH", async function () {
        this.timeout(20000);
        // The daemon comes in amtool's package (prometheus-alertmanager), beside it.
        const alertmanager = path.join(path.dirname(requireTool(this, "amtool")), "prometheus-alertmanager");
        const openssl = requireTool(this, "openssl");
        const { dir, remove } = tempDir("alertmanager-loopback");
        const relay = standInRelay(selfSignedLoopback(openssl, dir));
        const [smtpPort, apiPort] = [await freePort(), await freePort()];
        await new Promise<void>((ok) => relay.server.listen(smtpPort, "127.0.0.1", ok));
        // The rendered config, changed only where a test must: the smarthost is the stand-in, its self-signed
        // certificate is trusted (require_tls stays true: the stand-in speaks STARTTLS), and the 30 s group wait and
        // 5 min group interval shrink so the alert and its resolution go out within seconds.
        const config = parse(
            relocate(
                renderAlertmanagerConfig({
                    email: { ...EMAIL, to: ["ops@example.com"], smarthost: `127.0.0.1:${smtpPort}` },
                }),
                dir,
            ),
        );
        config.route = { ...config.route, group_wait: "0s", group_interval: "1s" };
        config.receivers[0].email_configs[0].tls_config = { ca_file: path.join(dir, "cert.pem") };
        assert.equal(config.global.smtp_require_tls, true);
        fs.writeFileSync(path.join(dir, "alertmanager.yml"), stringify(config));
        fs.writeFileSync(path.join(dir, "smtp-password"), PASSWORD, { mode: 0o600 });
        // No --exit flag exists; the spawn timeout stops it even if this test dies before its finally.
        const child = spawn(
            alertmanager,
            [
                `--config.file=${path.join(dir, "alertmanager.yml")}`,
                `--storage.path=${path.join(dir, "data")}`,
                `--web.listen-address=127.0.0.1:${apiPort}`,
                "--cluster.listen-address=",
            ],
            { stdio: ["ignore", "ignore", "pipe"], timeout: 15000 },
        );
        let log = "";
        child.stderr!.setEncoding("utf8").on("data", (d: string) => (log += d));
        const api = `http://127.0.0.1:${apiPort}`;
        const until = async (done: () => boolean | Promise<boolean>, what: string) => {
            const deadline = Date.now() + 8000;
            while (!(await done())) {
                if (Date.now() > deadline || child.exitCode !== null)
                    assert.fail(`${what}; Alertmanager's log:\n${log}\nstand-in saw:\n${relay.transcript.join("\n")}`);
                await new Promise((r) => setTimeout(r, 100));
            }
        };
        try {
            await until(
                () =>
                    fetch(`${api}/-/ready`).then(
                        (r) => r.ok,
                        () => false,
                    ),
                "Alertmanager never became ready",
            );
            const alert = {
                labels: { alertname: "WebRequestsSpike", stack: "prod", severity: "warning" },
                annotations: { summary: "Web requests per second is over 3x." },
            };
            const post = (body: unknown) =>
                fetch(`${api}/api/v2/alerts`, {
                    method: "POST",
                    headers: { "content-type": "application/json" },
                    body: JSON.stringify(body),
                });
            assert.equal((await post([{ ...alert, startsAt: new Date().toISOString() }])).status, 200);
            await until(() => relay.messages.length >= 1, "no alert e-mail reached the stand-in relay");
            assert.equal(
                (
                    await post([
                        {
                            ...alert,
                            startsAt: new Date(Date.now() - 60000).toISOString(),
                            endsAt: new Date().toISOString(),
                        },
                    ])
                ).status,
                200,
            );
            await until(() => relay.messages.length >= 2, "no resolution e-mail reached the stand-in relay");

            const [firing, resolved] = relay.messages;
            for (const m of [firing, resolved]) {
                assert.deepEqual(
                    { tls: m.tls, auth: m.auth, from: m.from, to: m.to },
                    {
                        tls: true,
                        auth: `\0apikey\0${PASSWORD}`,
                        from: "<alerts@shop.example>",
                        to: ["<ops@example.com>"],
                    },
                );
                assert.match(m.data, /^To: ops@example\.com$/m);
            }
            assert.match(firing.data, /^Subject: \[FIRING:1\] WebRequestsSpike /m);
            assert.match(resolved.data, /^Subject: \[RESOLVED\] WebRequestsSpike /m);
        } finally {
            child.kill("SIGTERM");
            await new Promise((r) => setTimeout(r, 200));
            if (child.exitCode === null) child.kill("SIGKILL");
            relay.server.close();
            remove();
        }
    });
});

/** A key and a self-signed certificate for 127.0.0.1 (an IP SAN: Go checks no common name), as PEM files in `dir`. */
function selfSignedLoopback(openssl: string, dir: string): { key: string; cert: string } {
    const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
    const made = run(openssl, [
        "req",
        "-x509",
        ...["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1"],
        ...["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert],
    ]);
    assert.equal(made.status, 0, made.output);
    return { key: fs.readFileSync(key, "utf8"), cert: fs.readFileSync(cert, "utf8") };
}

interface Delivered {
    /** Whether the session had switched to TLS when the message was sent. */
    tls: boolean;
    /** The AUTH PLAIN response, decoded: authorization identity, user name and password, NUL-separated. */
    auth: string;
    from: string;
    to: string[];
    data: string;
}

/**
 * A stand-in SMTP relay: STARTTLS before anything else (as relays on 587 require), then AUTH PLAIN or LOGIN, then
 * any message, which it records. Enough of RFC 5321/3207/4954 for Go's net/smtp client, which Alertmanager uses.
 */
function standInRelay(pem: { key: string; cert: string }): {
    server: net.Server;
    messages: Delivered[];
    transcript: string[];
} {
    const messages: Delivered[] = [];
    const transcript: string[] = [];
    const server = net.createServer((raw) => {
        let socket: net.Socket = raw;
        let buffer = "";
        let session: Delivered = { tls: false, auth: "", from: "", to: [], data: "" };
        let mode: "command" | "data" | "auth-plain" | "auth-user" | "auth-pass" = "command";
        let user = "";
        const reply = (text: string) => socket.write(`${text}\r\n`);
        const handle = (line: string) => {
            transcript.push(mode === "command" ? line.replace(/^(AUTH \S+) .*/i, "$1 …") : `[${mode}]`);
            if (mode === "data") {
                if (line === ".") {
                    messages.push(session);
                    session = { ...session, from: "", to: [], data: "" };
                    mode = "command";
                    reply("250 2.0.0 queued");
                } else session.data += `${line.replace(/^\./, "")}\n`;
                return;
            }
            if (mode !== "command") {
                const decoded = Buffer.from(line, "base64").toString("utf8");
                if (mode === "auth-user") {
                    user = decoded;
                    mode = "auth-pass";
                    reply(`334 ${Buffer.from("Password:").toString("base64")}`);
                    return;
                }
                session.auth = mode === "auth-pass" ? `\0${user}\0${decoded}` : decoded;
                mode = "command";
                reply("235 2.7.0 authenticated");
                return;
            }
            const [verb, ...args] = line.split(" ");
            switch (verb.toUpperCase()) {
                case "EHLO":
                    // AUTH only inside TLS, as real submission relays do.
                    reply(session.tls ? "250-stand-in\r\n250 AUTH PLAIN LOGIN" : "250-stand-in\r\n250 STARTTLS");
                    return;
                case "STARTTLS": {
                    reply("220 2.0.0 ready to start TLS");
                    raw.removeAllListeners("data");
                    const secure = new tls.TLSSocket(raw, { isServer: true, key: pem.key, cert: pem.cert });
                    secure.on("data", onData);
                    secure.on("error", () => undefined);
                    socket = secure;
                    session.tls = true;
                    return;
                }
                case "AUTH":
                    if (!session.tls) return void reply("530 5.7.0 STARTTLS first");
                    if (args[0]?.toUpperCase() === "PLAIN" && args[1]) {
                        session.auth = Buffer.from(args[1], "base64").toString("utf8");
                        return void reply("235 2.7.0 authenticated");
                    }
                    mode = args[0]?.toUpperCase() === "PLAIN" ? "auth-plain" : "auth-user";
                    return void reply(
                        mode === "auth-plain" ? "334 " : `334 ${Buffer.from("Username:").toString("base64")}`,
                    );
                case "MAIL":
                    if (!session.auth) return void reply("530 5.7.0 authentication required");
                    session.from = line.replace(/^MAIL FROM:/i, "").split(" ")[0];
                    return void reply("250 2.1.0 ok");
                case "RCPT":
                    session.to.push(line.replace(/^RCPT TO:/i, "").split(" ")[0]);
                    return void reply("250 2.1.5 ok");
                case "DATA":
                    mode = "data";
                    return void reply("354 end with <CRLF>.<CRLF>");
                case "QUIT":
                    reply("221 2.0.0 bye");
                    socket.end();
                    return;
                case "RSET":
                case "NOOP":
                    return void reply("250 2.0.0 ok");
                default:
                    reply("502 5.5.2 not implemented");
            }
        };
        const onData = (chunk: Buffer) => {
            buffer += chunk.toString("utf8");
            for (let end = buffer.indexOf("\r\n"); end >= 0; end = buffer.indexOf("\r\n")) {
                const line = buffer.slice(0, end);
                buffer = buffer.slice(end + 2);
                handle(line);
            }
        };
        raw.on("data", onData);
        raw.on("error", () => undefined);
        reply("220 stand-in ESMTP");
    });
    return { server, messages, transcript };
}
