// Managed database size slugs -> RAM. DigitalOcean encodes the memory in the slug's last "<n>gb" part
// for every database plan it offers: db-s-1vcpu-2gb, db-amd-2vcpu-4gb, db-intel-1vcpu-1gb, gd-2vcpu-8gb,
// gd-2vcpu-8gb-intel, m-2vcpu-16gb, m3-2vcpu-16gb, so1_5-2vcpu-16gb (GET /v2/databases/options, OpenAPI
// digitalocean/openapi@7c1300c responses/options.yml; checked against every slug listed there).
const SLUG_RAM = /(\d+)gb(?:-[a-z]+)?$/;

/** RAM in GB of a database size slug, or undefined for a slug that does not carry it. */
export function databaseRamGb(size: string): number | undefined {
    const match = SLUG_RAM.exec(size.trim().toLowerCase());
    return match ? Number(match[1]) : undefined;
}

/** Standby nodes need a plan with at least this much RAM (DigitalOcean managed databases docs). */
export const STANDBY_MIN_RAM_GB = 2;
