// Pure network helpers: world CIDRs and firewall port ranges.

/**
 * True when an address or CIDR admits the whole internet: any prefix length 0 ("0.0.0.0/0", "::/0",
 * "1.2.3.4/0"), including DigitalOcean's spellings of the IPv6 default route.
 */
export function isWorldCidr(address: string): boolean {
    const trimmed = address.trim().toLowerCase();
    const slash = trimmed.lastIndexOf("/");
    if (slash < 0) return false;
    return Number(trimmed.slice(slash + 1)) === 0 && trimmed.slice(slash + 1).trim() !== "";
}

/**
 * True for a source a few people come from: an address, or a CIDR of at most 4,096 IPv4 addresses (/20) or an IPv6
 * /48 (one site's allocation), as an office or a VPN has. A content network's ranges are far wider, so a droplet open
 * to them still serves the public: Cloudflare publishes its list at www.cloudflare.com/ips-v4 and /ips-v6 (which the
 * search tool here could not read); the copies of it found hold IPv4 blocks as wide as /13 and IPv6 /32s. The /20 and
 * /48 bounds are this pack's judgement, not a published figure.
 */
export function isNarrowSource(address: string): boolean {
    const [ip, prefix] = address.trim().split("/");
    if (prefix === undefined) return ip !== "";
    const bits = Number(prefix);
    if (!Number.isInteger(bits)) return false;
    return ip.includes(":") ? bits >= 48 : bits >= 20;
}

/** A firewall rule's port range as [from, to]; "all", "" and "0" mean every port (DigitalOcean API). */
export function parsePortRange(portRange: string | undefined): [number, number] | undefined {
    const text = (portRange ?? "").trim().toLowerCase();
    if (text === "" || text === "all" || text === "0") return [1, 65535];
    const match = /^(\d+)(?:\s*-\s*(\d+))?$/.exec(text);
    if (!match) return undefined;
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    return [Math.min(from, to), Math.max(from, to)];
}

/** True when the port range includes `port` (an unparseable range counts as including it). */
export function portRangeIncludes(portRange: string | undefined, port: number): boolean {
    const range = parsePortRange(portRange);
    return range === undefined || (range[0] <= port && port <= range[1]);
}

/** Lower-case host of a URL or bare host name ("https://Example.com:443/x" -> "example.com"). */
export function hostOf(target: string): string {
    const text = target.trim();
    const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(text) ? text : `http://${text}`;
    try {
        return new URL(withScheme).hostname
            .toLowerCase()
            .replace(/\.$/, "")
            .replace(/^\[|\]$/g, "");
    } catch (error) {
        if (error instanceof TypeError) return text.toLowerCase();
        throw error;
    }
}

/** True for an IPv4 address in 10/8, 172.16/12, 192.168/16 or 100.64/10, or an IPv6 address in fc00::/7. */
export function isPrivateAddress(ip: string): boolean {
    const v4 = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(ip);
    if (v4) {
        const [a, b] = [Number(v4[1]), Number(v4[2])];
        return (
            a === 10 ||
            (a === 172 && b >= 16 && b <= 31) ||
            (a === 192 && b === 168) ||
            (a === 100 && b >= 64 && b <= 127)
        );
    }
    return /^f[cd][0-9a-f]{0,2}:/i.test(ip);
}
