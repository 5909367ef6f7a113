// A DNS server on loopback UDP that answers A queries from a table the test changes while it runs: the stand-in for
// DigitalOcean's DNS when HAProxy discovers the web pool (and its ACME peers) at run time. Just enough of RFC 1035:
// one question, A answers with a 1 s TTL, NOERROR with no answer for other types of a known name, NXDOMAIN otherwise.
import * as dgram from "node:dgram";

export interface DnsStub {
    readonly port: number;
    /** Sets the A records of `name` (case-insensitive, without the trailing dot); an empty list removes the name. */
    set(name: string, addresses: readonly string[]): void;
    /** How many queries it answered. */
    readonly queries: () => number;
    close(): Promise<void>;
}

export function startDnsStub(): Promise<DnsStub> {
    const records = new Map<string, string[]>();
    const socket = dgram.createSocket("udp4");
    let count = 0;
    socket.on("message", (msg, from) => {
        const reply = answer(msg, records);
        if (!reply) return;
        count++;
        socket.send(reply, from.port, from.address);
    });
    return new Promise((resolve, reject) => {
        socket.once("error", reject);
        socket.bind(0, "127.0.0.1", () => {
            resolve({
                port: socket.address().port,
                set: (name, addresses) => {
                    if (addresses.length === 0) records.delete(name.toLowerCase());
                    else records.set(name.toLowerCase(), [...addresses]);
                },
                queries: () => count,
                close: () => new Promise((done) => socket.close(() => done())),
            });
        });
    });
}

function answer(msg: Buffer, records: Map<string, string[]>): Buffer | undefined {
    if (msg.length < 12 || msg.readUInt16BE(4) !== 1) return undefined;
    // The question: labels up to a zero byte, then type and class.
    const labels: string[] = [];
    let at = 12;
    while (at < msg.length && msg[at] !== 0) {
        const len = msg[at];
        labels.push(msg.subarray(at + 1, at + 1 + len).toString("ascii"));
        at += 1 + len;
    }
    const questionEnd = at + 5;
    if (questionEnd > msg.length) return undefined;
    const type = msg.readUInt16BE(at + 1);
    const name = labels.join(".").toLowerCase();
    const found = records.get(name);
    const answers = found && type === 1 ? found : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(msg.readUInt16BE(0), 0);
    // QR, AA, RD copied; RCODE 3 (NXDOMAIN) for an unknown name.
    header.writeUInt16BE(0x8400 | (msg.readUInt16BE(2) & 0x0100) | (found ? 0 : 3), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    const rrs = answers.map((ip) => {
        const rr = Buffer.alloc(16);
        rr.writeUInt16BE(0xc00c, 0); // the name: a pointer to the question's
        rr.writeUInt16BE(1, 2); // A
        rr.writeUInt16BE(1, 4); // IN
        rr.writeUInt32BE(1, 6); // TTL 1 s
        rr.writeUInt16BE(4, 10);
        ip.split(".").forEach((octet, i) => rr.writeUInt8(Number(octet), 12 + i));
        return rr;
    });
    return Buffer.concat([header, msg.subarray(12, questionEnd), ...rrs]);
}
