// Pure readers of droplet user data (cloud-config or shell): what software it installs, and literal
// secrets it carries. Patterns aim at what the text *installs or sets*, not at words in comments or
// client packages: "postgresql-client" or "mysql://host" are not database servers.
import { gunzipSync } from "node:zlib";
import { isMap, isSeq, parseDocument } from "yaml";

/**
 * Remembers a reader's answers for the last few texts. A fleet's droplets usually share one user data, and
 * several policies read each droplet's: the scan runs once per distinct text rather than once per droplet per
 * policy. Bounded, so a stack of many distinct texts keeps the memory of `size` answers.
 */
export function memoByText<T>(read: (text: string) => T, size = 16): (text: string) => T {
    // A short list compared with ===, not a Map: each deserialization hands the pack a new string object, and a Map
    // lookup hashes every character of it first (about 15 µs for 11 kB of user data, per droplet, per policy), while
    // === stops at a different length and otherwise compares bytes. Newest first; the oldest is forgotten.
    const texts: string[] = [];
    const answers: T[] = [];
    return (text) => {
        for (let i = 0; i < texts.length; i++) if (texts[i] === text) return answers[i];
        const answer = read(text);
        texts.unshift(text);
        answers.unshift(answer);
        if (texts.length > size) {
            texts.pop();
            answers.pop();
        }
        return answer;
    };
}

/**
 * Database server packages (apt/dnf/apk names) and services: what runs a database on the droplet. A PostgreSQL
 * extension package, postgresql-<major>-<extension> (postgis-3, pgvector, repmgr, cron, …), pulls in the server of its
 * major version (Debian 12: `apt-cache show postgresql-15-postgis-3`, "Depends: postgresql-15, …"; so do the other
 * extension packages), all but the -scripts and -doc packages that go with some of them.
 */
const DATABASE_PACKAGE =
    /^(mysql-server(?:-[\d.]+)?|mysql-community-server|mariadb-server(?:-[\d.]+)?|percona-server-server(?:-[\d.]+)?|postgresql(?:-\d+)?|postgresql-\d+-(?![\w.+-]*-(?:scripts|doc)(?:[=:]|$))[a-z][\w.+-]*|postgresql\d*-server|mongodb-org(?:-server)?|mongodb-server)(?:[=:][\w.~+-]*)?$/;
/** An install command (apt, dnf, yum, apk, zypper, snap) and the words after it. */
const INSTALL_COMMAND =
    /(?:apt(?:-get)?|dnf|yum|zypper|snap)\s+(?:-\S+\s+)*install\s+([^\n;&|]*)|apk\s+add\s+([^\n;&|]*)/g;
/** Starting a database service the image or an earlier step installed. */
const DATABASE_SERVICE =
    /\bsystemctl\s+(?:enable|start|restart)\s+(?:--now\s+)?(mysqld?|mariadb|postgresql(?:-\d+|@[\w.-]+)?|mongod)(?![\w-])/;
/**
 * Container images of database servers, run by `docker run` or named by a compose `image:`: an official image
 * (`postgres:16`) or one from any registry and owner whose repository is a database server's (`pgvector/pgvector`,
 * `bitnami/postgresql`, `timescale/timescaledb-ha`, `mysql/mysql-server`, `ghcr.io/cloudnative-pg/postgresql`).
 */
const DATABASE_REPOSITORIES = [
    "mysql",
    "mysql-server",
    "mariadb",
    "percona",
    "percona-server",
    "percona-server-mongodb",
    "postgres",
    "postgresql",
    "postgresql-repmgr",
    "postgis",
    "pgvector",
    "timescaledb",
    "timescaledb-ha",
    "mongo",
    "mongodb",
    "mongodb-community-server",
];
/** A compose file's `image:`, and the rest of its line. */
const COMPOSE_IMAGE = /\bimage:\s*["']?([^\s"']+)["']?([^\n]*)/g;
const DOCKER_RUN = /\bdocker(?:\s+container)?\s+run(?=\s)/g;
/**
 * `docker run`'s flags that take no value (docker/cli@28f7560: the BoolVar flags of cli/command/container/opts.go and
 * run.go); every other flag takes one, as the next word or after "=". Flags end at the image (run.go,
 * `SetInterspersed(false)`): the words after it are the container's command.
 */
const DOCKER_RUN_SWITCHES = new Set([
    "interactive",
    "read-only",
    "tty",
    "rm",
    "privileged",
    "publish-all",
    "no-healthcheck",
    "oom-kill-disable",
    "init",
    "detach",
    "sig-proxy",
    "quiet",
    "use-api-socket",
    "help",
    "disable-content-trust",
]);
const DOCKER_RUN_SHORT_SWITCHES = new Set(["i", "t", "P", "d", "q"]);

/** Client programs: a database image run only to call one of them (`docker run --rm postgres:16 psql -h …`) is a client. */
const CLIENT_PROGRAM =
    /^\s*(?:psql|pg_dump|pg_dumpall|pg_restore|pg_isready|mysql|mysqldump|mysqladmin|mongosh|mongo|mongodump|mongorestore)\b/;

/**
 * The words of the shell command at `start` in `text`, read lazily, quotes and backslashes resolved; `$(…)` and
 * backquoted substitutions stay inside their word. The command ends at a newline no backslash continues (a quote left
 * open ends there too, as in a quoted YAML list item), at `;`, `&` or `|`, or at a `)` that closes a subshell or
 * substitution it is in. When the command is itself inside a quoted string (`outer`: a YAML or `bash -c` string), that
 * string's escapes are read first: `\"` in a double-quoted one, `''` or `'\''` in a single-quoted one, are its quotes,
 * and the string's own closing quote ends the command.
 */
function* shellWords(text: string, start: number, outer?: '"' | "'"): Generator<string> {
    let word: string | undefined;
    let quote: string | undefined;
    let nested = 0;
    let backquoted = false;
    for (let i = start; i < text.length; i++) {
        let c = text[i];
        if (c === "\\" && text[i + 1] === "\n") {
            i++;
            continue;
        }
        if (c === "\n") break;
        if (outer === '"' && c === "\\" && text[i + 1] === '"') c = text[++i];
        else if (outer === '"' && c === '"') break;
        else if (outer === "'" && text.startsWith("'\\''", i)) c = text[(i += 3)];
        else if (outer === "'" && text.startsWith("''", i)) c = text[++i];
        else if (outer === "'" && c === "'") break;
        if (quote === "'") {
            if (c === "'") quote = undefined;
            else word += c;
        } else if (c === "\\" && i + 1 < text.length) {
            word = (word ?? "") + text[++i];
        } else if (c === "$" && text[i + 1] === "(") {
            nested++;
            word = (word ?? "") + text[i] + text[++i];
        } else if (nested > 0) {
            nested += c === "(" ? 1 : c === ")" ? -1 : 0;
            word += c;
        } else if (c === "`" || backquoted) {
            backquoted = c === "`" ? !backquoted : backquoted;
            word = (word ?? "") + c;
        } else if (quote === '"') {
            if (c === '"') quote = undefined;
            else word += c;
        } else if (c === "'" || c === '"') {
            quote = c;
            word ??= "";
        } else if (c === ";" || c === "&" || c === "|" || c === ")") {
            break;
        } else if (/\s/.test(c)) {
            if (word !== undefined) yield word;
            word = undefined;
        } else {
            word = (word ?? "") + c;
        }
    }
    if (word !== undefined) yield word;
}

/** The image of `docker run` and the first word of its command, given the words after `run`: flags skipped. */
function dockerRunImage(words: Iterator<string>): { image: string; command: string } | undefined {
    for (let next = words.next(); !next.done; next = words.next()) {
        const w = next.value;
        if (w === "--" || !w.startsWith("-") || w === "-") {
            const image = w === "--" ? words.next() : next;
            return image.done ? undefined : { image: image.value, command: words.next().value ?? "" };
        }
        if (w.startsWith("--")) {
            if (!w.includes("=") && !DOCKER_RUN_SWITCHES.has(w.slice(2))) words.next();
        } else {
            // Shorthands together (-dit, -dp 80:80, -p8080:80): switches, then one that takes the rest or the next
            // word.
            const letters = [...w.slice(1)];
            if (letters.findIndex((l) => !DOCKER_RUN_SHORT_SWITCHES.has(l)) === letters.length - 1) words.next();
        }
    }
    return undefined;
}

/**
 * The quote a position of `text` is inside on its line, for positions asked in increasing order: the line is scanned
 * once, from where the last question left it.
 */
function enclosingQuotes(text: string): (at: number) => '"' | "'" | undefined {
    let pos = 0;
    let quote: '"' | "'" | undefined;
    return (at) => {
        for (; pos < at; pos++) {
            const c = text[pos];
            if (c === "\n") quote = undefined;
            else if (c === "\\" && quote !== "'") pos++;
            else if (c === quote) quote = undefined;
            else if (quote === undefined && (c === '"' || c === "'")) quote = c;
        }
        return quote;
    };
}

/** An image reference's repository: registry and owner kept, Docker Hub's own prefixes, the tag and digest dropped. */
function imageRepository(image: string): string {
    const name = image.split("@")[0];
    const tag = name.indexOf(":", name.lastIndexOf("/") + 1);
    return (tag < 0 ? name : name.slice(0, tag)).replace(/^docker\.io\//, "").replace(/^library\//, "");
}

/** User data without its comment lines; a `#cloud-config` header and a `#!` line are not comments. */
export function withoutComments(userData: string): string {
    return userData
        .split(/\r?\n/)
        .filter((l) => !/^\s*#(?!cloud-config|!)/.test(l))
        .join("\n");
}

/** A container the user data starts: its image's repository and the first word of the command it is given. */
export interface Container {
    repository: string;
    command: string;
}

/** The containers `text` starts, in order: `docker run` commands (as docker reads them) and compose `image:` lines. */
export function containersIn(text: string): Container[] {
    const found: (Container & { at: number })[] = [];
    const quoteAt = enclosingQuotes(text);
    for (const m of text.matchAll(DOCKER_RUN)) {
        const run = dockerRunImage(shellWords(text, m.index + m[0].length, quoteAt(m.index)));
        if (run) found.push({ at: m.index, repository: imageRepository(run.image), command: run.command });
    }
    for (const m of text.matchAll(COMPOSE_IMAGE))
        found.push({ at: m.index, repository: imageRepository(m[1]), command: m[2].trim() });
    return found.sort((a, b) => a.at - b.at).map(({ repository, command }) => ({ repository, command }));
}

/** The last part of a repository path (`bitnami/postgresql` → `postgresql`). */
export const repositoryName = (repository: string): string => repository.slice(repository.lastIndexOf("/") + 1);

/** The package names a cloud-config `packages:` list installs (`- name`, `- [name, version]`). */
function cloudConfigPackages(text: string): string[] {
    const names: string[] = [];
    for (const block of text.matchAll(/^packages:[ \t]*\n((?:[ \t]*-[^\n]*\n?)+)/gm))
        for (const item of block[1].matchAll(/^[ \t]*-[ \t]*\[?[ \t]*["']?([\w.+:=~-]+)/gm)) names.push(item[1]);
    return names;
}

/**
 * The database server the user data installs or runs ("mysql-server", "postgres container"), if any. Only what is
 * installed (apt/dnf/yum/apk/zypper/snap install, cloud-config `packages:`), started (systemctl) or run as a server
 * container counts: a connection URL (postgresql://…), a DATABASE_URL, a client package (postgresql-client) or a
 * client program run against a managed cluster (psql, mysql, mongosh, also from a database image) is a client.
 */
export const databaseServerIn = memoByText((userData: string): string | undefined => {
    const text = withoutComments(userData);
    for (const m of text.matchAll(INSTALL_COMMAND)) {
        const words = (m[1] ?? m[2] ?? "").split(/\s+/).filter((w) => w !== "" && !w.startsWith("-"));
        const pkg = words.find((w) => DATABASE_PACKAGE.test(w));
        if (pkg) return pkg.replace(/[=:].*$/, "");
    }
    const listed = cloudConfigPackages(text).find((p) => DATABASE_PACKAGE.test(p));
    if (listed) return listed.replace(/[=:].*$/, "");
    const service = DATABASE_SERVICE.exec(text);
    if (service) return `${service[1].replace(/@.*$/, "")} service`;
    // A container of a database image that is not given a client program to run.
    const container = containersIn(text).find(
        (c) => DATABASE_REPOSITORIES.includes(repositoryName(c.repository)) && !CLIENT_PROGRAM.test(c.command),
    );
    return container && `${container.repository} container`;
});

/** True when the user data installs or runs HAProxy (a self-managed load balancer: one machine). */
export const installsHaproxy = memoByText(
    (userData: string): boolean =>
        /(?<![\w.-])haproxy(?::[\w.-]+)?(?![\w.-])/i.test(userData) &&
        /(apt(?:-get)?\s+(?:-\S+\s+)*install|dnf\s+install|yum\s+install|apk\s+add|packages:|docker\s+run|image:)/i.test(
            userData,
        ),
);

/** Web servers and reverse proxies: software that answers HTTP for the public when the droplet has a public address. */
const WEB_SERVER = /(?<![\w.+/-])(nginx|apache2|httpd|caddy|traefik|haproxy|lighttpd)(?::[\w.-]+)?(?![\w.+/-])/i;
const INSTALLS =
    /(apt(?:-get)?\s+(?:-\S+\s+)*install|dnf\s+install|yum\s+install|apk\s+add|snap\s+install|packages:|docker\s+run|image:)/i;
const SERVER_NAMES: Record<string, string> = {
    nginx: "nginx",
    apache2: "Apache",
    httpd: "Apache",
    caddy: "Caddy",
    traefik: "Traefik",
    haproxy: "HAProxy",
    lighttpd: "lighttpd",
};

/**
 * Shell and YAML comment lines dropped (they name software they do not run), and what a switch turns off: k3s
 * bundles Traefik unless started with `--disable traefik` (docs.k3s.io/networking/networking-services).
 */
function runnableText(userData: string): string {
    return withoutComments(userData).replace(/--disable(?:[= ]+)[\w,-]+/g, "");
}

/** The web server or reverse proxy the user data installs or starts ("nginx", "Caddy", …), if any. */
export const webServerIn = memoByText((userData: string): string | undefined => {
    const text = runnableText(userData);
    if (!INSTALLS.test(text)) return undefined;
    const m = WEB_SERVER.exec(text);
    return m ? SERVER_NAMES[m[1].toLowerCase()] : undefined;
});

/** True when the user data installs or runs a web server or reverse proxy (nginx, Apache, Caddy, Traefik, HAProxy, lighttpd). */
export const installsWebServer = (userData: string): boolean => webServerIn(userData) !== undefined;

/**
 * True when the user data runs keepalived that moves a DigitalOcean reserved (floating) IP to this droplet when it
 * takes over: keepalived installed, and a script that assigns the IP through the API (the reserved_ips or floating_ips
 * actions, doctl's reserved-ip-action or floating-ip-action, or the assign-ip helper of DigitalOcean's tutorial "How To
 * Set Up Highly Available Web Servers with Keepalived and Reserved IPs", where "if the primary server goes down, the
 * Reserved IP will be moved to the second server automatically").
 */
export const takesOverReservedIp = memoByText((userData: string): boolean => {
    const text = runnableText(userData);
    return (
        INSTALLS.test(text) &&
        /(?<![\w.-])keepalived(?![\w-])/i.test(text) &&
        /reserved_ips|floating_ips|reserved-ip-action|floating-ip-action|(?<![\w-])assign-ip(?![\w-])/i.test(text)
    );
});

/** A literal secret found in user data: what kind, on which line, under which variable (the value itself is never returned). */
export interface SecretFinding {
    kind: string;
    line: number;
    /** The variable or option the value is assigned to, when there is one (what ignoreKeys names). */
    key?: string;
}

const TOKEN_PATTERNS: [string, RegExp][] = [
    ["a DigitalOcean API token (dop_v1_…)", /\bdo[por]_v1_[a-f0-9]{64}\b/],
    ["a private key", /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/],
    ["an AWS access key id", /\bAKIA[0-9A-Z]{16}\b/],
    ["a GitHub token", /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
    ["a Slack token", /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/],
    // GitLab's token prefixes (docs.gitlab.com/security/tokens/#token-prefixes): personal, runner authentication,
    // pipeline trigger, deploy and service account tokens, e.g. `gitlab-runner register --token glrt-…`.
    ["a GitLab token", /\bgl(?:pat|rt|ptt|dt|soat)-[A-Za-z0-9_-]{20,}/],
];

// KEY=value, KEY: value, --key=value, "key": "value"; the value is a quoted string or one bare word.
const ASSIGNMENT = /(?:^|[\s"'{,;(])-{0,2}([A-Za-z_][\w.-]*)["']?\s*(?:=|:(?!\/\/))[ \t]*("[^"]*"|'[^']*'|[^\s,;}]*)/g;
/** Keys that name a credential: *password, *secret, *token, *api_key, … */
const CREDENTIAL_KEY = /(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)$/i;
/** Keys that name key or certificate material (*_KEY, *_CERT, *_PEM, …): secret when the value is encoded key bytes. */
const KEY_MATERIAL_KEY = /(?:^|[_.-])(key|cert|crt|certificate|pem|p12|pfx)$/i;
/** Key material that is public by name (WG_PUBLIC_KEY, SSH_PUB_KEY). */
const PUBLIC_KEY_NAME = /(?:^|[_.-])pub(?:lic)?(?:[_.-]|$)/i;
/**
 * scheme://user:password@host (RFC 3986 §3.2.1 userinfo): the password is what follows the first ":" up to "@";
 * userinfo holds no "/", "?", "#" or "@", so "http://host:8080/a@b" is not a password.
 */
const URL_WITH_PASSWORD = /\b([a-z][a-z0-9+.-]*):\/\/[^\s:@/?#"'`]*:([^\s@/?#"'`]+)@[^\s@/?#"'`]/gi;

/** A value's text without its quotes and trailing punctuation. */
function bare(value: string): string {
    return value
        .trim()
        .replace(/^["']|["',;]+$/g, "")
        .trim();
}

/** True when an assigned value is a reference (env var, command substitution, file, template) or a placeholder, not a literal. */
function isReference(value: string): boolean {
    const v = bare(value);
    if (v === "" || v === "|" || v === ">" || v === "null" || v === "~") return true;
    if (/^(\$|`|<|%|\{\{|!|\/|@|file:|vault:|secret:|ref\+)/i.test(v)) return true;
    // Placeholders: {password}, [password], ***, xxx, ...
    return /^(\{[^{}]*\}|\[[^[\]]*\]|\*+|x{3,}|\.{3}|…)$/i.test(v);
}

/** The bytes an encoded value carries: hex, or base64 (optionally written "base64:…"); undefined for ordinary text. */
function encodedBytes(value: string): Buffer | undefined {
    const v = bare(value).replace(/^base64:/i, "");
    if (/^(?:0x)?[0-9a-f]{32,}$/i.test(v)) return Buffer.from(v.replace(/^0x/i, ""), "hex");
    // At least 32 characters of the base64 alphabet, mixing letters and digits: a word or identifier is not key material.
    if (/^[A-Za-z0-9+/_-]{32,}={0,2}$/.test(v) && /\d/.test(v) && /[A-Za-z]/.test(v)) return Buffer.from(v, "base64");
    return undefined;
}

/**
 * True when encoded bytes are a public certificate or public key: PEM text whose label is not a private key,
 * or DER whose outer SEQUENCE starts with another SEQUENCE (an X.509 Certificate's tbsCertificate, RFC 5280 §4.1,
 * or SubjectPublicKeyInfo's algorithm, §4.1.2.7). Private keys (PKCS#8, RFC 5208 §5; PKCS#1, RFC 8017 A.1.2;
 * SEC 1 EC keys, RFC 5915 §3) and PKCS#12 bundles (RFC 7292 §4) start with an INTEGER version instead.
 */
function isPublicKeyMaterial(bytes: Buffer): boolean {
    const text = bytes.toString("latin1");
    if (text.startsWith("-----BEGIN ")) return !/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text);
    if (bytes.length < 4 || bytes[0] !== 0x30) return false;
    // DER length: short form (< 0x80) or 0x8n followed by n length bytes.
    const inner = bytes[1] < 0x80 ? 2 : 2 + (bytes[1] & 0x7f);
    return bytes[inner] === 0x30;
}

/**
 * sudoers(5) tags (`NOPASSWD:`, `PASSWD:`, …) in a cloud-config `sudo:` rule such as "ALL=(ALL) NOPASSWD:ALL": the
 * tag says no password is asked, it carries none.
 */
const SUDOERS_TAG = /^(?:NO)?(?:PASSWD|EXEC|SETENV|LOG_INPUT|LOG_OUTPUT|MAIL|FOLLOW|INTERCEPT)$/;
/** A YAML or shell boolean (cloud-config's `lock_passwd: true`): a switch, never a secret. */
const BOOLEAN = /^(?:true|false|yes|no|on|off)$/i;

/**
 * cloud-init's write_files encodings and how to undo them (cloud-init 22.4 cloudinit/config/cc_write_files.py:138-153,
 * canonicalize_extraction: "b64"/"base64"; "gz+b64", "gz+base64", "gzip+b64", "gzip+base64"; "gz"/"gzip" is raw
 * gzip, which YAML can only carry as !!binary, which the YAML parser already decodes).
 */
function decodeFileContent(content: string | Uint8Array, encoding: string): string | undefined {
    const e = encoding.toLowerCase().trim();
    try {
        const bytes =
            typeof content === "string"
                ? Buffer.from(content, e.includes("b") ? "base64" : "latin1")
                : Buffer.from(content);
        if (["b64", "base64"].includes(e)) return bytes.toString("utf8");
        if (["gz+b64", "gz+base64", "gzip+b64", "gzip+base64", "gz", "gzip"].includes(e))
            return gunzipSync(bytes).toString("utf8");
    } catch {
        // Content that does not decode is not written by cloud-init either ("Unknown encoding" / a failed step).
        return undefined;
    }
    return undefined;
}

/** Encoded write_files entries of a cloud-config: each decoded text with the line its `content` starts on. */
const encodedFiles = memoByText(
    (userData: string): { path: string; encoding: string; line: number; text: string }[] => {
        // Parsing YAML is the costly part: only a cloud-config that encodes a file needs it.
        if (!userData.startsWith("#cloud-config") || !/^\s*-?\s*encoding:/m.test(userData)) return [];
        const doc = parseDocument(userData, { version: "1.1" });
        if (doc.errors.length > 0 || !isMap(doc.contents)) return [];
        const files = doc.contents.get("write_files", true);
        if (!isSeq(files)) return [];
        const result: { path: string; encoding: string; line: number; text: string }[] = [];
        for (const entry of files.items) {
            if (!isMap(entry)) continue;
            const encoding = entry.get("encoding");
            const node = entry.get("content", true) as
                { range?: [number, number, number]; value?: unknown } | undefined;
            const content = entry.get("content");
            if (typeof encoding !== "string" || !node?.range) continue;
            if (typeof content !== "string" && !(content instanceof Uint8Array)) continue;
            const text = decodeFileContent(content, encoding);
            if (text === undefined) continue;
            const line = userData.slice(0, node.range[0]).split("\n").length;
            result.push({ path: String(entry.get("path") ?? "(no path)"), encoding, line, text });
        }
        return result;
    },
);

/**
 * Literal secrets in user data, including those in write_files entries cloud-init decodes (base64, gzip+base64).
 * References such as $(cat /f), ${VAR}, *_FILE=/path are not secrets.
 */
export const secretsIn: (userData: string) => readonly SecretFinding[] = memoByText(
    (userData: string): SecretFinding[] => {
        const findings: SecretFinding[] = [...plainSecretsIn(userData)];
        const encodedIn = (text: string, offset: number, where: string) => {
            for (const file of encodedFiles(text))
                for (const f of plainSecretsIn(file.text))
                    findings.push({
                        ...f,
                        kind: `${f.kind} in write_files "${file.path}"${where} (encoding ${file.encoding}, decoded line ${f.line})`,
                        line: offset + file.line,
                    });
        };
        encodedIn(userData, 0, "");
        // A MIME multipart user data (what Terraform's cloudinit_config renders) holds each part on its own: a
        // cloud-config part's write_files, and a base64 part's text, are read as the part cloud-init reads.
        for (const part of mimeParts(userData)) {
            const where = ` of MIME part ${part.index} (${part.type})`;
            if (part.base64)
                for (const f of plainSecretsIn(part.text))
                    findings.push({
                        ...f,
                        kind: `${f.kind} in MIME part ${part.index} (base64, decoded line ${f.line})`,
                        line: part.line,
                    });
            encodedIn(part.text, part.line - 1, where);
        }
        return findings;
    },
);

/**
 * The parts of a MIME multipart user data, cloud-init's "MIME multi-part archive"
 * (docs.cloud-init.io/en/latest/explanation/format.html): each part's content type, its body (decoded when its
 * Content-Transfer-Encoding is base64), the line its body starts on, and its number from 1. None for other user data.
 */
function mimeParts(userData: string): { index: number; type: string; text: string; line: number; base64: boolean }[] {
    const boundary = /^Content-Type:\s*multipart\/[\w-]+;[^\r\n]*?boundary="?([^";\r\n]+)"?/im.exec(
        userData.slice(0, 4096),
    )?.[1];
    if (!boundary) return [];
    const lines = userData.split(/\r?\n/);
    const spans: [number, number][] = [];
    let start = -1;
    for (let i = 0; i < lines.length; i++) {
        if (!lines[i].startsWith(`--${boundary}`)) continue;
        if (start >= 0) spans.push([start, i]);
        start = lines[i].startsWith(`--${boundary}--`) ? -1 : i + 1;
    }
    return spans.map(([from, to], n) => {
        const headers = new Map<string, string>();
        let i = from;
        for (; i < to && lines[i].trim() !== ""; i++) {
            const m = /^([\w-]+):\s*(.*)$/.exec(lines[i]);
            if (m) headers.set(m[1].toLowerCase(), m[2].trim());
        }
        const raw = lines.slice(i + 1, to).join("\n");
        const base64 = (headers.get("content-transfer-encoding") ?? "").toLowerCase() === "base64";
        return {
            index: n + 1,
            type: (headers.get("content-type") ?? "text/plain").split(";")[0].trim(),
            text: base64 ? Buffer.from(raw.replace(/\s+/g, ""), "base64").toString("utf8") : raw,
            line: i + 2,
            base64,
        };
    });
}

/** Literal secrets in text as it stands (no decoding). */
const plainSecretsIn = memoByText((userData: string): SecretFinding[] => {
    const findings: SecretFinding[] = [];
    const lines = userData.split(/\r?\n/);
    lines.forEach((text, i) => {
        const tokens = TOKEN_PATTERNS.filter(([, pattern]) => pattern.test(text));
        for (const [kind] of tokens) findings.push({ kind, line: i + 1 });
        if (tokens.length > 0) return;
        const assignments = [...text.matchAll(ASSIGNMENT)];
        const urls: string[] = [];
        for (const url of text.matchAll(URL_WITH_PASSWORD)) {
            if (isReference(url[2])) continue;
            urls.push(url[0]);
            const owner = assignments.find((a) => a[2].includes(url[0]));
            findings.push({
                kind: `a password in a ${url[1].toLowerCase()}:// URL`,
                line: i + 1,
                ...(owner ? { key: owner[1] } : {}),
            });
        }
        for (const [, key, value] of assignments) {
            if (/_FILE$|_PATH$|_REF$/i.test(key) || isReference(value) || urls.some((u) => value.includes(u))) continue;
            // `lock_passwd: true`, `NOPASSWD:ALL` (a sudoers tag), `chpasswd: { expire: false }` hold no secret.
            if (SUDOERS_TAG.test(key) || BOOLEAN.test(bare(value)) || /^[{[]/.test(bare(value))) continue;
            if (CREDENTIAL_KEY.test(key)) {
                findings.push({ kind: `a literal value for ${key}`, line: i + 1, key });
                continue;
            }
            if (!KEY_MATERIAL_KEY.test(key) || PUBLIC_KEY_NAME.test(key)) continue;
            const bytes = encodedBytes(value);
            if (bytes && !isPublicKeyMaterial(bytes))
                findings.push({ kind: `a literal value for ${key}`, line: i + 1, key });
        }
    });
    return findings;
});

/** File modes that only the owner can read: what a secrets file on a host should have. */
const OWNER_ONLY_MODE = /^0?[0-7]?[46]00$/;

/**
 * Line numbers (1-based) of user data that lie inside the `content` of a cloud-config `write_files` entry whose
 * `permissions` let only the owner read the file (0600, 0400): text cloud-init writes into a private file, not
 * into a command line or a world-readable file. Empty for anything that is not `#cloud-config` YAML.
 */
export const ownerOnlyFileLines = memoByText((userData: string): ReadonlySet<number> => {
    const lines = new Set<number>();
    if (!userData.startsWith("#cloud-config")) return lines;
    const doc = parseDocument(userData, { version: "1.1" });
    if (doc.errors.length > 0 || !isMap(doc.contents)) return lines;
    const files = doc.contents.get("write_files", true);
    if (!isSeq(files)) return lines;
    const lineAt = (offset: number) => userData.slice(0, offset).split("\n").length;
    for (const entry of files.items) {
        if (!isMap(entry)) continue;
        const mode = entry.get("permissions");
        const content = entry.get("content", true) as { range?: [number, number, number] } | undefined;
        // Encoded content counts too: its secrets are reported on the line its content starts on.
        if (typeof mode !== "string" || !OWNER_ONLY_MODE.test(mode) || !content?.range) continue;
        const [start, , end] = content.range;
        for (let line = lineAt(start); line <= lineAt(Math.max(start, end - 1)); line++) lines.add(line);
    }
    return lines;
});

/** Metrics servers (Prometheus, Grafana, VictoriaMetrics, Zabbix): software that watches a stack rather than serving it. */
const METRICS_SERVER = /(?<![\w.+/-])(prometheus|grafana|victoria-metrics|zabbix-server-\w+)(?::[\w.-]+)?(?![\w.+/-])/i;

/** True when the user data installs or runs a metrics server (Prometheus, Grafana, VictoriaMetrics, Zabbix). */
export const installsMetricsServer = memoByText(
    (userData: string): boolean => METRICS_SERVER.test(userData) && INSTALLS.test(userData),
);

/** True when the user data installs a metrics server and no web server or proxy: a host off the request path. */
export const onlyWatches = memoByText(
    (userData: string): boolean => installsMetricsServer(userData) && !installsWebServer(userData),
);
