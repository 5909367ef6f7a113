// `npm run bench` rows for the static files nginx serves from disk, measured with wrk on loopback (one thread,
// 16 connections, 1 s runs): each ratio is the median over paired runs taken back to back in alternating order:
//
//   7.  a 20 KiB content-hashed CSS file through the rendered site (its static location) ÷ the same file from
//       nginx with a minimal static configuration (`location /static/ { root …; }`), its ceiling       goal ≥ 0.9
//   8.  the same file from disk through the rendered site ÷ proxied by the same site to an app stand-in
//       (a Node HTTP server holding the file in memory) in its own process                              reported
//
// Both nginx processes run one worker with the http-level settings of Ubuntu's stock nginx.conf (sendfile,
// tcp_nopush, media types) and the same open_file_cache, so row 7 is the cost of what the site's location adds
// (try_files, the Cache-Control map and header, the gzip checks); requests carry no Accept-Encoding, so every side
// sends the same bytes.
import { type ChildProcess, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { renderNginxConfig } from "../../components/hostConfig/nginx";
import { findTool, freePort } from "../loopback/processes";
import { type RunningNginx, startNginx, stopChild } from "../loopback/staticSite";
import { median, quantile } from "./stats";

export interface StaticFilesRow {
    measure: string;
    value: string;
    goal: string;
    pass: boolean | null;
    detail: string;
}

const FILE = "/static/css/app.3f2a9c1b.css";
const CONNECTIONS = 16;
/** Pairs of runs per repetition. */
const PAIRS = 4;
/**
 * Ubuntu's stock nginx.conf as far as serving a file goes, plus the site's own open_file_cache (the site's
 * location sets the same values): without it the minimal side would pay an open/fstat/close per request that
 * the site saves, and the ratio would measure the cache rather than what the site's location adds.
 */
const HTTP_LEVEL = [
    "open_file_cache max=10000 inactive=60s;",
    "open_file_cache_valid 30s;",
    "sendfile on;",
    "tcp_nopush on;",
    "types { text/css css; }",
    "default_type application/octet-stream;",
];

/** wrk's requests per second for `url` over `seconds`; throws on socket errors or non-2xx answers. */
function wrk(wrkPath: string, url: string, seconds: number): Promise<number> {
    return new Promise((resolve, reject) => {
        const child = spawn(wrkPath, ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "--timeout", "2s", url], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
        child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
        const kill = setTimeout(() => child.kill("SIGKILL"), (seconds + 10) * 1000);
        child.on("error", reject);
        child.on("close", (code) => {
            clearTimeout(kill);
            const rps = /Requests\/sec:\s+([\d.]+)/.exec(out);
            if (code !== 0 || !rps || /Socket errors|Non-2xx/.test(out))
                return reject(new Error(`wrk ${url} exited ${code}:\n${out}`));
            resolve(Number(rps[1]));
        });
    });
}

/** The app stand-in in its own process: answers every request with `file`'s bytes. */
async function startApp(file: string, port: number): Promise<ChildProcess> {
    const code = [
        "const http = require('node:http');",
        `const body = require('node:fs').readFileSync(${JSON.stringify(file)});`,
        "http.createServer((req, res) => {",
        "  res.writeHead(200, { 'Content-Type': 'text/css', 'Content-Length': body.length }); res.end(body);",
        `}).listen(${port}, '127.0.0.1', () => process.stdout.write('ready\\n'));`,
    ].join("\n");
    const child = spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit"] });
    await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error("the app stand-in did not start within 10 s")), 10_000);
        child.stdout!.once("data", () => (clearTimeout(timer), resolve()));
        child.once("exit", (c) => (clearTimeout(timer), reject(new Error(`the app stand-in exited ${c}`))));
    });
    return child;
}

const ROWS = [
    "7. static file (20 KiB CSS) through the rendered site ÷ nginx with a minimal static config (wrk, loopback)",
    "8. the same file served by nginx from disk ÷ proxied by nginx to the app stand-in (wrk, loopback)",
];

const skipped = (why: string): StaticFilesRow[] =>
    ROWS.map((measure) => ({
        measure,
        value: "n/a",
        goal: measure.startsWith("7.") ? "≥ 0.9" : "report",
        pass: null,
        detail: why,
    }));

/** Rows 7 and 8: `reps` repetitions of PAIRS paired `seconds`-long wrk runs. */
export async function staticFilesRows(opts: {
    reps: number;
    seconds?: number;
    log: (line: string) => void;
}): Promise<StaticFilesRow[]> {
    // wrk is the bench's alone: no test runs it, so it is not among the test tools (or CI's packages).
    const wrkPath = [...(process.env.PATH ?? "").split(path.delimiter), "/usr/bin", "/usr/local/bin"]
        .filter(Boolean)
        .map((dir) => path.join(dir, "wrk"))
        .find((p) => fs.existsSync(p));
    const nginxPath = findTool("nginx");
    if (!wrkPath) return skipped("wrk is not installed (apt-get install -y wrk)");
    if (!nginxPath) return skipped("nginx is not installed (apt-get install -y nginx-light)");
    const seconds = opts.seconds ?? 1;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "webstack-bench-static-"));
    // nginx's workers run as another user when the bench runs as root: the tree must be readable to them.
    fs.chmodSync(tmp, 0o755);
    const running: RunningNginx[] = [];
    let app: ChildProcess | undefined;
    try {
        const root = path.join(tmp, "root");
        const file = path.join(root, FILE);
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, ".product-card { margin: 0 auto; padding: 1rem; color: #222; }\n".repeat(330));
        const appPort = await freePort();
        app = await startApp(file, appPort);

        const sitePort = await freePort();
        const siteDir = path.join(tmp, "site");
        fs.mkdirSync(siteDir);
        const site = renderNginxConfig({
            listenPort: sitePort,
            upstream: { host: "127.0.0.1", port: appPort },
            behindLoadBalancer: true,
            staticFiles: { urlPrefix: "/static/", root },
        });
        running.push(await startNginx(nginxPath, siteDir, site, sitePort, HTTP_LEVEL));

        const minimalPort = await freePort();
        const minimalDir = path.join(tmp, "minimal");
        fs.mkdirSync(minimalDir);
        const minimal = `server {\n    listen ${minimalPort};\n    location /static/ { root ${root}; }\n}\n`;
        running.push(await startNginx(nginxPath, minimalDir, minimal, minimalPort, HTTP_LEVEL));

        const urls = {
            site: `http://127.0.0.1:${sitePort}${FILE}`,
            minimal: `http://127.0.0.1:${minimalPort}${FILE}`,
            proxied: `http://127.0.0.1:${sitePort}/app${FILE}`,
        };
        // Warm-up: page cache, open_file_cache, upstream keepalive connections.
        for (const url of Object.values(urls)) await wrk(wrkPath, url, 1);
        // Paired short runs, each pair in alternating order (ABBA), so a burst of other work on the machine lands
        // on both sides of a ratio; the row is the median of the pairs' ratios.
        const rps = { site: [] as number[], minimal: [] as number[], proxied: [] as number[] };
        const ratios = { ceiling: [] as number[], proxy: [] as number[] };
        const pair = async (a: keyof typeof urls, b: keyof typeof urls, flip: boolean): Promise<number> => {
            const [first, second] = flip ? [b, a] : [a, b];
            const x = await wrk(wrkPath, urls[first], seconds);
            const y = await wrk(wrkPath, urls[second], seconds);
            const [ra, rb] = flip ? [y, x] : [x, y];
            rps[a].push(ra);
            rps[b].push(rb);
            return ra / rb;
        };
        for (let i = 0; i < opts.reps; i++) {
            for (let k = 0; k < PAIRS; k++) {
                ratios.ceiling.push(await pair("site", "minimal", k % 2 === 1));
                ratios.proxy.push(await pair("site", "proxied", k % 2 === 0));
            }
            const last = (xs: number[]) => median(xs.slice(-PAIRS)).toFixed(2);
            opts.log(
                `  static files ${i + 1}/${opts.reps}: site ÷ minimal ${last(ratios.ceiling)}, site ÷ proxied ${last(ratios.proxy)}`,
            );
        }
        const perSecond = (xs: number[]) => `${Math.round(median(xs)).toLocaleString("en-US")} req/s`;
        const spread = (xs: number[]) => `pairs ${quantile(xs, 0.25).toFixed(2)}–${quantile(xs, 0.75).toFixed(2)}`;
        const runs = `median of ${ratios.ceiling.length} pairs of ${seconds} s runs, ${CONNECTIONS} connections`;
        const ceiling = median(ratios.ceiling);
        return [
            {
                measure: ROWS[0],
                value: ceiling.toFixed(2),
                goal: "≥ 0.9",
                pass: ceiling >= 0.9,
                detail: `${perSecond(rps.site)} vs ${perSecond(rps.minimal)}; ${runs}; ${spread(ratios.ceiling)}`,
            },
            {
                measure: ROWS[1],
                value: median(ratios.proxy).toFixed(2),
                goal: "report",
                pass: null,
                detail: `${perSecond(rps.site)} vs ${perSecond(rps.proxied)} (a Node HTTP server holding the file in memory); ${spread(ratios.proxy)}`,
            },
        ];
    } finally {
        for (const n of running) await n.stop();
        if (app) await stopChild(app);
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}
