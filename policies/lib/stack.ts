// The stack's one view per stack validation: resources by type, id, IP and droplet tag, reference resolution that
// understands every way DigitalOcean lets a resource point at another (ids, uuids, tags, IPs) and falls back to the
// engine's propertyDependencies when the referenced value is unknown during preview, and the facts several checks
// share (what serves the web, what DNS points at), each computed once. Every lookup is a Map hit: checks stay linear
// in the number of resources. A family's stack policy hands all its checks the same resources array
// (lib/checks.ts), so `StackIndex.of` gives them one view.
import { digitalocean } from "./digitalocean";
import type { PolicyResource, StackValidation, StackValidationArgs, ReportViolation } from "@pulumi/policy";
import { isUnknown, read, readStrings } from "./unknowns";

/** A provider resource class, as @pulumi/policy's isType accepts it. */
export type ResourceClass = { new (...rest: any[]): any };

/** Where a reference led: the resources found, and whether an unknown value left it open. */
export interface Resolution {
    targets: PolicyResource[];
    undecided: boolean;
}

/**
 * Tag names read from a property, completed from the Tag resources the property depends on when some names
 * are still unknown (a first preview); `undecided` when a name stays unknown.
 */
function resolveTagNames(
    values: { values: string[]; unknown: boolean },
    dependencies: readonly PolicyResource[] | undefined,
): { names: string[]; undecided: boolean } {
    const names = new Set(values.values);
    let undecided = false;
    if (values.unknown) {
        const tagDeps = (dependencies ?? []).filter((d) => d.isType(digitalocean.Tag));
        for (const tag of tagDeps) {
            const name = read(tag.props, "name");
            if (typeof name === "string" && name !== "") names.add(name);
            else undecided = true;
        }
        if (tagDeps.length === 0) undecided = true;
    }
    return { names: [...names], undecided };
}

const views = new WeakMap<readonly PolicyResource[], StackIndex>();

export class StackIndex {
    /** The view of a stack validation's resources, built on first use and shared by every check that gets the same array. */
    static of(resources: readonly PolicyResource[]): StackIndex {
        let view = views.get(resources);
        if (!view) {
            view = new StackIndex(resources);
            views.set(resources, view);
        }
        return view;
    }

    private readonly facts = new Map<string, unknown>();

    /** A fact several checks share (e.g. which droplets serve the web), computed once per view. */
    memo<T>(key: string, compute: () => T): T {
        if (!this.facts.has(key)) this.facts.set(key, compute());
        return this.facts.get(key) as T;
    }

    private readonly byClass = new Map<ResourceClass, PolicyResource[]>();
    private readonly tagNamesOf = new Map<PolicyResource, { names: string[]; undecided: boolean }>();
    private readonly templateTagsOf = new Map<PolicyResource, { names: string[]; undecided: boolean }>();
    // Built on first use: a check pays only for the lookups it makes.
    private idIndex?: Map<string, PolicyResource>;
    private ipIndex?: Map<string, PolicyResource>;
    private tagIndex?: { dropletsByTagName: Map<string, PolicyResource[]>; undecided: PolicyResource[] };

    constructor(readonly resources: readonly PolicyResource[]) {}

    private get byId(): Map<string, PolicyResource> {
        if (this.idIndex) return this.idIndex;
        this.idIndex = new Map();
        for (const r of this.resources) {
            for (const key of ["id", "uuid"]) {
                const id = read(r.props, key);
                if ((typeof id === "string" && id !== "") || typeof id === "number") this.idIndex.set(String(id), r);
            }
        }
        return this.idIndex;
    }

    private get byIp(): Map<string, PolicyResource> {
        if (this.ipIndex) return this.ipIndex;
        const byIp = new Map<string, PolicyResource>();
        for (const droplet of this.of(digitalocean.Droplet)) {
            for (const key of ["ipv4Address", "ipv6Address", "ipv4AddressPrivate"]) {
                const ip = read(droplet.props, key);
                if (typeof ip === "string" && ip !== "") byIp.set(ip, droplet);
            }
        }
        for (const lb of this.of(digitalocean.LoadBalancer)) {
            for (const key of ["ip", "ipv6"]) {
                const ip = read(lb.props, key);
                if (typeof ip === "string" && ip !== "") byIp.set(ip, lb);
            }
        }
        // A reserved IP stands for the droplet it is assigned to. The IPv6 ones name their address `ip`
        // (@pulumi/digitalocean 4.80.1 reservedIpv6.d.ts, reservedIpv6Assignment.d.ts), the others `ipAddress`.
        for (const [cls, key] of [
            [digitalocean.ReservedIp, "ipAddress"],
            [digitalocean.ReservedIpAssignment, "ipAddress"],
            [digitalocean.FloatingIp, "ipAddress"],
            [digitalocean.FloatingIpAssignment, "ipAddress"],
            [digitalocean.ReservedIpv6, "ip"],
            [digitalocean.ReservedIpv6Assignment, "ip"],
        ] as const) {
            for (const r of this.of(cls)) {
                const ip = read(r.props, key);
                if (typeof ip !== "string" || ip === "") continue;
                const droplet = this.resolve(r, "dropletId", [digitalocean.Droplet]).targets[0];
                if (droplet) byIp.set(ip, droplet);
            }
        }
        this.ipIndex = byIp;
        return byIp;
    }

    private get byTag(): { dropletsByTagName: Map<string, PolicyResource[]>; undecided: PolicyResource[] } {
        if (this.tagIndex) return this.tagIndex;
        const index = { dropletsByTagName: new Map<string, PolicyResource[]>(), undecided: [] as PolicyResource[] };
        for (const droplet of this.of(digitalocean.Droplet)) {
            const tags = this.tagNames(droplet, "tags");
            for (const name of tags.names) {
                const list = index.dropletsByTagName.get(name) ?? [];
                list.push(droplet);
                index.dropletsByTagName.set(name, list);
            }
            if (tags.undecided) index.undecided.push(droplet);
        }
        this.tagIndex = index;
        return index;
    }

    /** Droplets whose tags could not all be read; they might carry any tag. */
    get dropletsWithUndecidedTags(): readonly PolicyResource[] {
        return this.byTag.undecided;
    }

    /** Resources of one provider class, in stack order (one pass over the stack groups them all by type token). */
    of(cls: ResourceClass): PolicyResource[] {
        let list = this.byClass.get(cls);
        if (!list) {
            const token = (cls as unknown as { __pulumiType?: string }).__pulumiType;
            list = token ? (this.byType.get(token) ?? []) : this.resources.filter((r) => r.isType(cls));
            this.byClass.set(cls, list);
        }
        return list;
    }

    private get byType(): Map<string, PolicyResource[]> {
        return this.memo("byType", () => {
            const groups = new Map<string, PolicyResource[]>();
            for (const r of this.resources) {
                const list = groups.get(r.type);
                if (list) list.push(r);
                else groups.set(r.type, [r]);
            }
            return groups;
        });
    }

    isOneOf(r: PolicyResource, classes: readonly ResourceClass[]): boolean {
        return classes.some((cls) => r.isType(cls));
    }

    /** The resource a known IP address belongs to (droplet, load balancer, or a reserved IP's droplet). */
    resourceAtIp(ip: string): PolicyResource | undefined {
        return this.byIp.get(ip.trim());
    }

    /** The resource with this URN. */
    resourceWithUrn(urn: string): PolicyResource | undefined {
        return this.memo("byUrn", () => new Map(this.resources.map((r) => [r.urn, r]))).get(urn);
    }

    /** The resource with this id or uuid. */
    resourceWithId(id: string): PolicyResource | undefined {
        return this.byId.get(id);
    }

    /**
     * Resolves a reference property (a single id or a list of ids) to resources of the given classes.
     * Known values are looked up by id; when a value is unknown or names nothing in the stack, the
     * engine's propertyDependencies for that property supply the referenced resources.
     */
    resolve(
        r: PolicyResource,
        property: string,
        classes: readonly ResourceClass[],
        ids = readStrings(r.props, property),
    ): Resolution {
        const found = new Map<string, PolicyResource>();
        let unresolved = ids.unknown;
        for (const id of ids.values) {
            const target = this.byId.get(id);
            if (target && this.isOneOf(target, classes)) found.set(target.urn, target);
            else unresolved = true;
        }
        let fromDependencies = 0;
        if (unresolved) {
            for (const dep of r.propertyDependencies?.[property] ?? []) {
                if (this.isOneOf(dep, classes)) {
                    found.set(dep.urn, dep);
                    fromDependencies++;
                }
            }
        }
        return { targets: [...found.values()], undecided: ids.unknown && fromDependencies === 0 };
    }

    /**
     * Tag names in a tags property (droplet tags, firewall tags, a load balancer's dropletTag, an
     * alert's tags). Tag values may be written as a Tag resource's id or name (the same string at
     * DigitalOcean); unknown ones are recovered from the Tag resources the property depends on.
     */
    tagNames(r: PolicyResource, property: string): { names: string[]; undecided: boolean } {
        if (property === "tags" && this.tagNamesOf.has(r)) return this.tagNamesOf.get(r)!;
        const result = resolveTagNames(readStrings(r.props, property), r.propertyDependencies?.[property]);
        if (property === "tags") this.tagNamesOf.set(r, result);
        return result;
    }

    /** Droplets carrying a tag. */
    dropletsTagged(name: string): PolicyResource[] {
        return this.byTag.dropletsByTagName.get(name) ?? [];
    }

    /**
     * The tags an autoscale pool's template gives each droplet it creates. The engine reports dependencies per
     * top-level property, so unknown tag names are recovered from the Tag resources `dropletTemplate` depends on.
     */
    templateTags(pool: PolicyResource): { names: string[]; undecided: boolean } {
        const cached = this.templateTagsOf.get(pool);
        if (cached) return cached;
        const template = read(pool.props, "dropletTemplate");
        const values = isUnknown(template) ? { values: [], unknown: true } : readStrings(template, "tags");
        const result = resolveTagNames(values, pool.propertyDependencies?.dropletTemplate);
        this.templateTagsOf.set(pool, result);
        return result;
    }
}

/**
 * Like validateStackResourcesOfType (not applicable when the stack has no resource of the class),
 * but the validation also gets the whole stack's index, which cross-resource checks need:
 * validateStackResourcesOfType hands its callback only the filtered resources.
 */
export function validateStackOf(
    cls: ResourceClass | readonly ResourceClass[],
    validate: (
        subjects: PolicyResource[],
        stack: StackIndex,
        args: StackValidationArgs,
        reportViolation: ReportViolation,
    ) => void,
): StackValidation {
    if (Array.isArray(cls)) {
        // Several subject classes (e.g. droplets and autoscale pools): no single type for the host's fast check.
        const classes = cls as readonly ResourceClass[];
        return (args, reportViolation) => {
            const stack = StackIndex.of(args.resources);
            const subjects = classes.flatMap((c) => stack.of(c));
            if (subjects.length === 0)
                return args.notApplicable(
                    `Policy only applies to resources of types ${classes.map((c) => `'${(c as unknown as { __pulumiType?: string }).__pulumiType}'`).join(", ")}`,
                );
            return validate(subjects, stack, args, reportViolation);
        };
    }
    const single = cls as ResourceClass;
    const fn: StackValidation = (args, reportViolation) => {
        const stack = StackIndex.of(args.resources);
        const subjects = stack.of(single);
        if (subjects.length === 0)
            return args.notApplicable(
                `Policy only applies to resources of type '${(single as unknown as { __pulumiType?: string }).__pulumiType}'`,
            );
        return validate(subjects, stack, args, reportViolation);
    };
    // Keep the host's fast "not applicable" check (server.js reads __pulumiType off the function).
    const token = (single as unknown as { __pulumiType?: string }).__pulumiType;
    if (token) (fn as unknown as { __pulumiType: string }).__pulumiType = token;
    return fn;
}
