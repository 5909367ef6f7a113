// One health request to one entry point, with Node's own http/https (no dependency): a fresh connection each time
// (a load balancer then picks a backend per request), the site's Host header and TLS server name, a bounded time.
import * as http from "node:http";
import * as https from "node:https";
import type * as tls from "node:tls";
import type { Answer } from "./gate";

export interface ProbeTarget {
    /** IPv4 address or host name to connect to. */
    readonly address: string;
    readonly port: number;
    readonly tls: boolean;
    /** Host header, and with TLS the server name (SNI) the certificate must be valid for. */
    readonly host: string;
    readonly path: string;
    /** Extra trusted CA (tests); production uses Node's bundled roots. */
    readonly ca?: string;
    /** The response header names to keep (lower case). */
    readonly headers: readonly string[];
    readonly timeoutMs: number;
}

/** Sends `GET path` and resolves with the status, the kept headers and the certificate's validity; never rejects. */
export function probeHealth(target: ProbeTarget): Promise<Answer> {
    return new Promise((resolve) => {
        let settled = false;
        const done = (answer: Answer) => {
            if (settled) return;
            settled = true;
            resolve(answer);
        };
        const options: https.RequestOptions = {
            host: target.address,
            port: target.port,
            path: target.path,
            method: "GET",
            headers: { Host: target.host, Connection: "close", "User-Agent": "webstack-readiness-gate" },
            agent: false,
            timeout: target.timeoutMs,
        };
        const req = target.tls
            ? https.request({
                  ...options,
                  servername: target.host,
                  // Never refused here: Node still checks the chain and the name (tls.connect's checkServerIdentity on
                  // the server name) and reports the outcome on the socket, which the answer carries to `accept`.
                  rejectUnauthorized: false,
                  ...(target.ca ? { ca: target.ca } : {}),
              })
            : http.request(options);
        const timer = setTimeout(
            () => req.destroy(new Error(`no answer within ${target.timeoutMs} ms`)),
            target.timeoutMs,
        );
        req.on("response", (res) => {
            const socket = res.socket as tls.TLSSocket;
            const certificate = target.tls
                ? socket.authorized
                    ? { valid: true }
                    : { valid: false, problem: String(socket.authorizationError ?? "not trusted") }
                : undefined;
            const headers: Record<string, string | undefined> = {};
            for (const name of target.headers) {
                const v = res.headers[name];
                headers[name] = Array.isArray(v) ? v.join(", ") : v;
            }
            res.resume();
            res.on("end", () => {
                clearTimeout(timer);
                done({
                    kind: "response",
                    status: res.statusCode ?? 0,
                    headers,
                    ...(certificate ? { certificate } : {}),
                });
            });
            res.on("error", (err) => {
                clearTimeout(timer);
                done({ kind: "error", message: err.message });
            });
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${target.timeoutMs} ms`)));
        req.on("error", (err) => {
            clearTimeout(timer);
            done({ kind: "error", message: err.message });
        });
        req.end();
    });
}
