// The account config keys: vpcIpRange's API bounds, dns.zone and dns.records, web.backups, and the
// autoscale template's regions. Exact messages: key, value, allowed set, fix.
import assert from "node:assert/strict";
import { exampleConfig } from "../../support/program";
import { configProblems, parseConfig } from "../../support/stackConfig";

const parse = parseConfig;
const problems = configProblems;
const CAA_FIX = `pulumi config set --path 'webstack:dns.records' --json '[{"type":"CAA","name":"@","value":"letsencrypt.org","flags":0,"tag":"issue"}]'`;

describe("Stack config: VPC range", () => {
    it("leaves the range to DigitalOcean when vpcIpRange is unset", () => {
        assert.equal(parse(exampleConfig(1)).vpcIpRange, undefined);
    });
    for (const range of ["10.20.0.0/16", "172.31.0.0/20", "192.168.7.0/28"]) {
        it(`accepts ${range} (RFC 1918, /16 to /28)`, () => {
            assert.equal(parse({ ...exampleConfig(1), vpcIpRange: range }).vpcIpRange, range);
        });
    }
    for (const range of ["10.0.0.0/15", "10.0.0.0/29", "8.8.8.0/24", "fd00::/48"]) {
        it(`refuses ${range}`, () => {
            assert.deepEqual(problems({ ...exampleConfig(1), vpcIpRange: range }), [
                `webstack:vpcIpRange: expected a private (RFC 1918) IPv4 range from /16 to /28 that no other VPC of the account overlaps, such as "10.20.0.0/20"; got "${range}". Fix: pulumi config rm webstack:vpcIpRange (DigitalOcean then allocates a free /20), or pulumi config set webstack:vpcIpRange 10.20.0.0/20`,
            ]);
        });
    }
});

describe("Stack config: DNS", () => {
    it("creates the zone by default, with no extra records", () => {
        assert.deepEqual(parse(exampleConfig(1)).dns, { zone: "create", records: [] });
    });

    it("refuses a zone mode other than create or existing", () => {
        assert.deepEqual(problems({ ...exampleConfig(1), dns: { zone: "adopt" } }), [
            `webstack:dns.zone: expected "create" or "existing"; got "adopt". Fix: pulumi config set --path 'webstack:dns.zone' create`,
        ]);
    });

    it("reads MX, TXT and CAA records with their defaults", () => {
        const records = [
            { type: "MX", name: "@", value: "mx1.mail.test.", priority: 10 },
            { type: "TXT", name: "_dmarc", value: "v=DMARC1; p=none", ttl: 3600 },
            { type: "CAA", name: "@", value: "letsencrypt.org", flags: 0, tag: "issue" },
        ];
        assert.deepEqual(parse({ ...exampleConfig(1), dns: { zone: "existing", records } }).dns, {
            zone: "existing",
            records: [
                {
                    type: "MX",
                    name: "@",
                    value: "mx1.mail.test.",
                    ttl: 1800,
                    priority: 10,
                    flags: undefined,
                    tag: undefined,
                },
                {
                    type: "TXT",
                    name: "_dmarc",
                    value: "v=DMARC1; p=none",
                    ttl: 3600,
                    priority: undefined,
                    flags: undefined,
                    tag: undefined,
                },
                {
                    type: "CAA",
                    name: "@",
                    value: "letsencrypt.org",
                    ttl: 1800,
                    priority: undefined,
                    flags: 0,
                    tag: "issue",
                },
            ],
        });
    });

    it("refuses an unknown record type", () => {
        assert.deepEqual(
            problems({ ...exampleConfig(1), dns: { records: [{ type: "SPF", name: "@", value: "v=spf1 -all" }] } }),
            [
                `webstack:dns.records[0].type: expected "A", "AAAA", "CAA", "CNAME", "MX", "NS" or "TXT"; got "SPF". Fix: ${CAA_FIX}`,
            ],
        );
    });

    it("refuses a record that clashes with the site's apex and www records", () => {
        assert.deepEqual(
            problems({
                ...exampleConfig(1),
                dns: { records: [{ type: "CNAME", name: "www", value: "elsewhere.test." }] },
            }),
            [
                `webstack:dns.records[0]: a CNAME record at "www" clashes with the site's own A records for the apex and www; got "{"type":"CNAME","name":"www","value":"elsewhere.test."}". Fix: remove it from webstack:dns.records`,
            ],
        );
    });

    it("refuses an MX record without a priority", () => {
        assert.deepEqual(
            problems({ ...exampleConfig(1), dns: { records: [{ type: "MX", name: "@", value: "mx1.mail.test." }] } }),
            [
                `webstack:dns.records[0].priority: required on a MX record, an integer from 0 to 65535 such as 10; got nothing. Fix: ${CAA_FIX}`,
            ],
        );
    });

    it("refuses a CAA record with a tag DigitalOcean does not accept", () => {
        assert.deepEqual(
            problems({
                ...exampleConfig(1),
                dns: { records: [{ type: "CAA", name: "@", value: "letsencrypt.org", flags: 0, tag: "issuer" }] },
            }),
            [
                `webstack:dns.records[0].tag: expected "issue", "issuewild" or "iodef" on a CAA record; got "issuer". Fix: ${CAA_FIX}`,
            ],
        );
    });

    it("refuses a name that is not relative to the zone", () => {
        assert.deepEqual(
            problems({ ...exampleConfig(1), dns: { records: [{ type: "TXT", name: "Mail Host", value: "x" }] } }),
            [
                `webstack:dns.records[0].name: expected "@" (the apex) or a name relative to the zone such as "mail" or "_dmarc"; got "Mail Host". Fix: ${CAA_FIX}`,
            ],
        );
    });

    it("refuses records given as something else than a list", () => {
        assert.deepEqual(problems({ ...exampleConfig(1), dns: { records: "MX 10 mx1" } }), [
            `webstack:dns.records: expected a list of at most 50 records {type, name, value, ttl?, priority?, flags?, tag?}; got "MX 10 mx1". Fix: ${CAA_FIX}`,
        ]);
    });
});

describe("Stack config: droplet backups", () => {
    it("turns weekly backups on at tier 0, where the droplet holds MySQL", () => {
        assert.equal(parse(exampleConfig(0)).web.backups, true);
    });
    it("leaves them off from tier 1, where the droplets hold no data", () => {
        assert.equal(parse(exampleConfig(1)).web.backups, false);
    });
    it("lets tier 0 turn them off", () => {
        assert.equal(parse({ ...exampleConfig(0), web: { backups: false } }).web.backups, false);
    });
    it("refuses backups on an autoscaled pool", () => {
        assert.deepEqual(problems({ ...exampleConfig(1), web: { backups: true, autoscale: { min: 2, max: 4 } } }), [
            `webstack:web.backups: applies only to a fixed pool; autoscale members are replaced, not restored; got "true". Fix: pulumi config rm --path 'webstack:web.backups'`,
        ]);
    });
});

describe("Stack config: autoscale regions", () => {
    it("refuses an autoscale pool in a region the autoscale API does not list", () => {
        assert.deepEqual(problems({ ...exampleConfig(1), region: "atl1", web: { autoscale: { min: 2, max: 4 } } }), [
            `webstack:web.autoscale: DigitalOcean autoscale pools are not offered in "atl1"; expected a region among "ams2", "ams3", "blr1", "fra1", "lon1", "nyc1", "nyc2", "nyc3", "sfo1", "sfo2", "sfo3", "sgp1", "syd1" or "tor1". Fix: pulumi config rm --path 'webstack:web.autoscale', or pulumi config set webstack:region nyc3`,
        ]);
    });
});
