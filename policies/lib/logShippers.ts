// Pure reader of droplet user data: which log shipper, if any, it installs and configures to send the host's
// logs off the machine. General on purpose: any program's cloud-config or shell script, not only webstack's.
import { memoByText } from "./userData";

/** Agents whose installation alone means logs leave the host (each has to be pointed somewhere to start). */
const AGENTS: [string, RegExp][] = [
    ["Fluent Bit", /(?<![\w.-])(fluent-bit|td-agent-bit)(?![\w.-])/i],
    ["Fluentd", /(?<![\w.-])(fluentd|td-agent|fluent-package)(?![\w.-])/i],
    ["Vector", /(?<![\w.-])(vector|timberio\/vector)(?![\w.-])/i],
    ["Filebeat", /(?<![\w.-])filebeat(?![\w.-])/i],
    ["Promtail", /(?<![\w.-])promtail(?![\w.-])/i],
    ["Grafana Alloy", /(?<![\w.-])(grafana-alloy|alloy|grafana-agent)(?![\w.-])/i],
    ["OpenTelemetry Collector", /(?<![\w.-])(otelcol(?:-contrib)?|opentelemetry-collector(?:-contrib)?)(?![\w.-])/i],
    ["Datadog Agent", /(?<![\w.-])(datadog-agent|install_script_agent7\.sh)(?![\w.-])/i],
];
/** An install step: a package manager, cloud-config packages, a container, or a vendor's install script. */
const INSTALLS =
    /(apt(?:-get)?\s+(?:-\S+\s+)*install|dnf\s+install|yum\s+install|apk\s+add|snap\s+install|packages:|docker\s+run|image:|curl\s[^\n]*\|\s*(?:sudo\s+)?(?:ba)?sh)/i;
/**
 * rsyslog forwarding off the host: an output module action (omfwd, omelasticsearch, omhttp, omrelp, omkafka) or a
 * legacy forwarding selector ("*.* @@logs.example.net:514"). rsyslog is preinstalled on Debian and Ubuntu, so a
 * forwarding rule is enough.
 */
const RSYSLOG_FORWARD = /action\(\s*type\s*=\s*"(omfwd|omelasticsearch|omhttp|omrelp|omkafka)"/i;
const RSYSLOG_LEGACY = /^\s*(?:-\s*)?[*\w][\w*.,;!=-]*\s+@@?\(?[\w.:[\]-]+/m;
/** systemd-journal-upload sends the journal to a remote systemd-journal-remote. */
const JOURNAL_UPLOAD = /(?<![\w.-])systemd-journal-upload(?![\w.-])/i;

/** The log shipper the user data sets up ("rsyslog (omelasticsearch)", "Fluent Bit", …), or undefined. */
export const logShipperIn = memoByText((userData: string): string | undefined => {
    // Comment lines mention tools they do not run.
    const text = userData
        .split(/\r?\n/)
        .filter((l) => !/^\s*#(?!cloud-config)/.test(l))
        .join("\n");
    const forward = RSYSLOG_FORWARD.exec(text);
    if (forward) return `rsyslog (${forward[1].toLowerCase()})`;
    if (RSYSLOG_LEGACY.test(text)) return "rsyslog (forwarding rule)";
    if (JOURNAL_UPLOAD.test(text)) return "systemd-journal-upload";
    if (!INSTALLS.test(text)) return undefined;
    for (const [agent, pattern] of AGENTS) if (pattern.test(text)) return agent;
    return undefined;
});
