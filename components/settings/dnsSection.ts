// The stack config section about DNS: whether the stack creates the zone or adds its records to a zone that
// already exists at DigitalOcean, and the extra records (MX, TXT, CAA, …) a live domain needs besides the site's.
import { CaaTag, DnsRecordType, valuesOf } from "./choices";
import type { TierContext } from "./configKeys";
import { ConfigReader as Reader, type KeySpec, quoteAll, show } from "./configReader";
import { DnsRecordSettings, DnsSettings } from "./stackSettings";

type ConfigReader = Reader<TierContext>;
const DNS_RECORD_TYPES = valuesOf(DnsRecordType);
const CAA_TAGS = valuesOf(CaaTag);

/** A name relative to the zone: "@" or dot-separated labels (letters, digits, "-", "_" for _dmarc, _domainkey, …). */
const RELATIVE_NAME = /^(@|(?!-)[a-z0-9_-]{1,63}(?<!-)(\.(?!-)[a-z0-9_-]{1,63}(?<!-))*)$/;
/** The names the stack's own A records use: an extra record there would clash with them. */
const SITE_NAMES = ["@", "www"];
const EXAMPLE = `'[{"type":"CAA","name":"@","value":"letsencrypt.org","flags":0,"tag":"issue"}]'`;

/** `dns.zone` (create | existing) and `dns.records`. */
export function readDns(r: ConfigReader): DnsSettings {
    const zone = r.choice<DnsSettings["zone"]>("dns.zone");
    const value = r.get("dns.records");
    if (value === undefined) return { zone, records: [] };
    const fix = `pulumi config set --path '${r.path("dns.records")}' --json ${EXAMPLE}`;
    if (!Array.isArray(value) || value.length > 50) {
        r.problem(
            `${r.path("dns.records")}: expected a list of at most 50 records {type, name, value, ttl?, priority?, flags?, tag?}; got ${show(value)}. Fix: ${fix}`,
        );
        return { zone, records: [] };
    }
    const records: DnsRecordSettings[] = [];
    value.forEach((item, i) => {
        const record = readRecord(r, `dns.records[${i}]`, item, fix);
        if (record) records.push(record);
    });
    return { zone, records };
}

/** The fields of one record, as declared (configKeys.ts DnsRecordOptions). */
function recordFields(r: ConfigReader): Readonly<Record<string, KeySpec<TierContext>>> {
    const type = r.spec("dns.records").type;
    if (typeof type !== "object" || !("listOf" in type)) throw new Error("dns.records is declared a list of records");
    return type.listOf.fields;
}

function readRecord(r: ConfigReader, key: string, item: unknown, fix: string): DnsRecordSettings | undefined {
    const path = r.path(key);
    const fields = recordFields(r);
    const RECORD_KEYS = Object.keys(fields);
    if (typeof item !== "object" || item === null || Array.isArray(item)) {
        r.problem(`${path}: expected an object with keys ${quoteAll(RECORD_KEYS)}; got ${show(item)}. Fix: ${fix}`);
        return undefined;
    }
    const rec = item as Record<string, unknown>;
    const before = r.problems.length;
    for (const sub of Object.keys(rec)) {
        if (!RECORD_KEYS.includes(sub))
            r.problem(`${path}.${sub}: unknown key; allowed keys are ${quoteAll(RECORD_KEYS)}. Fix: ${fix}`);
    }
    const type = rec.type as DnsRecordSettings["type"];
    if (!DNS_RECORD_TYPES.includes(type))
        r.problem(`${path}.type: expected ${quoteAll(DNS_RECORD_TYPES)}; got ${show(rec.type)}. Fix: ${fix}`);
    const name = rec.name;
    if (typeof name !== "string" || !RELATIVE_NAME.test(name)) {
        r.problem(
            `${path}.name: expected "@" (the apex) or a name relative to the zone such as "mail" or "_dmarc"; got ${show(name)}. Fix: ${fix}`,
        );
    } else if (SITE_NAMES.includes(name) && (type === "A" || type === "AAAA" || type === "CNAME")) {
        r.problem(
            `${path}: a ${type} record at ${show(name)} clashes with the site's own A records for the apex and www; got ${show(rec)}. Fix: remove it from ${r.path("dns.records")}`,
        );
    }
    const value = rec.value;
    if (typeof value !== "string" || value.trim() === "" || value.length > 2048) {
        r.problem(
            `${path}.value: expected the record's data as non-empty text (at most 2048 characters); got ${show(value)}. Fix: ${fix}`,
        );
    }
    const ttl = r.field(`${key}.ttl`, fields.ttl, rec.ttl);
    let priority: number | undefined;
    let flags: number | undefined;
    let tag: DnsRecordSettings["tag"];
    // MX needs a priority; CAA a flags byte and a tag ("An unsigned integer between 0-255", "issue", "issuewild" or
    // "iodef": digitalocean/openapi specification/resources/domains/models/domain_record.yml).
    if (type === "MX") priority = requiredInteger(r, { key, sub: "priority", value: rec.priority, example: 10 }, fix);
    else if (rec.priority !== undefined)
        r.problem(
            `${path}.priority: applies only to MX records; got ${show(rec.priority)} on a ${show(type)} record. Fix: ${fix}`,
        );
    if (type === "CAA") {
        flags = requiredInteger(r, { key, sub: "flags", value: rec.flags, example: 0 }, fix);
        if (!CAA_TAGS.includes(rec.tag as DnsRecordSettings["tag"] & string)) {
            r.problem(
                `${path}.tag: expected ${quoteAll(CAA_TAGS)} on a CAA record; got ${show(rec.tag ?? null)}. Fix: ${fix}`,
            );
        } else {
            tag = rec.tag as DnsRecordSettings["tag"];
        }
    } else {
        for (const sub of ["flags", "tag"]) {
            if (rec[sub] !== undefined)
                r.problem(
                    `${path}.${sub}: applies only to CAA records; got ${show(rec[sub])} on a ${show(type)} record. Fix: ${fix}`,
                );
        }
    }
    if (r.problems.length > before) return undefined;
    return { type, name: name as string, value: value as string, ttl, priority, flags, tag };
}

/** A record's field that its type needs (`priority` of an MX record, `flags` of a CAA record), within its bounds. */
function requiredInteger(
    r: ConfigReader,
    { key, sub, value, example }: { key: string; sub: "priority" | "flags"; value: unknown; example: number },
    fix: string,
): number {
    const spec = recordFields(r)[sub];
    const { min, max } = spec.bounds!;
    if (value === undefined) {
        r.problem(
            `${r.path(`${key}.${sub}`)}: required on a ${sub === "priority" ? "MX" : "CAA"} record, an integer from ${min} to ${max} such as ${example}; got nothing. Fix: ${fix}`,
        );
        return example;
    }
    return r.field(`${key}.${sub}`, spec, value, example);
}
