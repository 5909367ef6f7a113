// Pure readers of droplet user data (cloud-config or shell): what software it installs, and literal
// secrets it carries. Patterns aim at what the text *installs or sets*, not at words in comments or
// client packages: "postgresql-client" or "mysql://host" are not database servers.

/**
 * Remembers a reader's answers for the last few texts. A fleet's droplets usually share one user data, and
 * several policies read each droplet's: the scan runs once per distinct text rather than once per droplet per
 * policy. Bounded, so a stack of many distinct texts keeps the memory of `size` answers.
 */
export function memoByText<T>(read: (text: string) => T, size = 16): (text: string) => T {
    const answers = new Map<string, T>();
    return (text) => {
        if (answers.has(text)) return answers.get(text) as T;
        const answer = read(text);
        if (answers.size >= size) answers.delete(answers.keys().next().value as string);
        answers.set(text, answer);
        return answer;
    };
}

/** Database server packages (apt/dnf names) and container images that run a database on the droplet. */
const DATABASE_PACKAGE =
    /(?<![\w.+/-])(mysql-server(?:-[\d.]+)?|mysql-community-server|mariadb-server(?:-[\d.]+)?|percona-server-server(?:-[\d.]+)?|postgresql(?:-\d+)?|postgresql\d*-server|mongodb-org(?:-server)?|mongodb-server)(?![\w.+/-])/;
const DATABASE_IMAGE =
    /(?:docker(?:\s+container)?\s+run\b[^\n]*?\s|image:\s*["']?)(?:docker\.io\/)?(?:library\/)?(mysql|mariadb|postgres|postgis\/postgis|mongo|percona)(?::[\w][\w.-]*)?(?=\s|$|["'])/m;

/** The database server the user data installs or runs ("mysql-server", "postgres image"), if any. */
export const databaseServerIn = memoByText((userData: string): string | undefined => {
    const pkg = DATABASE_PACKAGE.exec(userData);
    if (pkg) return pkg[1];
    const image = DATABASE_IMAGE.exec(userData);
    if (image) return `${image[1]} container`;
    return undefined;
});

/** True when the user data installs or runs HAProxy (a self-managed load balancer: one machine). */
export const installsHaproxy = memoByText(
    (userData: string): boolean =>
        /(?<![\w.-])haproxy(?::[\w.-]+)?(?![\w.-])/i.test(userData) &&
        /(apt(?:-get)?\s+(?:-\S+\s+)*install|dnf\s+install|yum\s+install|apk\s+add|packages:|docker\s+run|image:)/i.test(userData),
);

/** A literal secret found in user data: what kind and on which line (the value itself is never returned). */
export interface SecretFinding {
    kind: string;
    line: number;
}

const TOKEN_PATTERNS: [string, RegExp][] = [
    ["a DigitalOcean API token (dop_v1_…)", /\bdo[por]_v1_[a-f0-9]{64}\b/],
    ["a private key", /-----BEGIN (?:[A-Z]+ )?PRIVATE KEY-----/],
    ["an AWS access key id", /\bAKIA[0-9A-Z]{16}\b/],
    ["a GitHub token", /\bgh[pousr]_[A-Za-z0-9]{36,}\b/],
    ["a Slack token", /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/],
];

// KEY=value, KEY: value, --key=value, "key": "value"; the value is a quoted string or one bare word.
const ASSIGNMENT = /(?:^|[\s"'{,;(])-{0,2}([A-Za-z_][\w.-]*)["']?\s*(?:=|:(?!\/\/))[ \t]*("[^"]*"|'[^']*'|[^\s,;}]*)/g;
/** Keys that name a credential: *password, *secret, *token, *api_key, … */
const CREDENTIAL_KEY = /(password|passwd|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credentials?)$/i;

/** True when an assigned value is a reference (env var, command substitution, file, template), not a literal. */
function isReference(value: string): boolean {
    const v = value
        .trim()
        .replace(/^["']|["',;]+$/g, "")
        .trim();
    if (v === "" || v === "|" || v === ">" || v === "null" || v === "~") return true;
    return /^(\$|`|<|%|\{\{|!|\/|@|file:|vault:|secret:|ref\+)/i.test(v);
}

/** Literal secrets in user data. References such as $(cat /f), ${VAR}, *_FILE=/path are not secrets. */
export const secretsIn: (userData: string) => readonly SecretFinding[] = memoByText((userData: string): SecretFinding[] => {
    const findings: SecretFinding[] = [];
    const lines = userData.split(/\r?\n/);
    lines.forEach((text, i) => {
        for (const [kind, pattern] of TOKEN_PATTERNS) {
            if (pattern.test(text)) findings.push({ kind, line: i + 1 });
        }
        if (TOKEN_PATTERNS.some(([, p]) => p.test(text))) return;
        for (const [, key, value] of text.matchAll(ASSIGNMENT)) {
            if (!CREDENTIAL_KEY.test(key) || /_FILE$|_PATH$|_REF$/i.test(key) || isReference(value)) continue;
            findings.push({ kind: `a literal value for ${key}`, line: i + 1 });
        }
    });
    return findings;
});
