// The stack's tags: the ones every resource carries, and one per role the stack has. Load balancers, firewalls,
// database firewalls and alert policies select droplets by them.
import * as digitalocean from "@pulumi/digitalocean";
import type * as pulumi from "@pulumi/pulumi";
import { stackTags } from "./naming";
import type { StackSettings } from "./settings/stackSettings";

/** The tags of a stack, each created once: the ones every resource carries, and one per role the stack has. */
export interface Tags {
    readonly common: pulumi.Output<string>[];
    readonly web: pulumi.Output<string>;
    readonly app?: pulumi.Output<string>;
    readonly lb?: pulumi.Output<string>;
    readonly monitor?: pulumi.Output<string>;
    readonly db?: pulumi.Output<string>;
    readonly cache?: pulumi.Output<string>;
    readonly logs?: pulumi.Output<string>;
}

/**
 * The stack's tags, each created once, before anything that carries it. The app tag outlives the app pool by one
 * update (a move "down"), while the droplets that carry it still serve and the database firewall trusts it.
 */
export function createTags(
    parent: pulumi.Resource,
    name: string,
    project: string,
    s: StackSettings,
    move: "up" | "down" | undefined,
): Tags {
    const names = stackTags(project, s.stack);
    const tag = (key: string, value: string, keep = false) =>
        new digitalocean.Tag(`${name}-tag-${key}`, { name: value }, { parent, retainOnDelete: keep }).name;
    const role = (key: string, present: unknown) => (present ? tag(key, names.role(key)) : undefined);
    return {
        // The project tag is shared by every stack: no destroy may delete it (StackTags.project).
        common: [tag("project", names.project, true), tag("stack", names.stack)],
        web: tag("web", names.role("web")),
        app: role("app", s.appPool || move === "down"),
        lb: role("lb", s.loadBalancer?.engine === "haproxy"),
        monitor: role("monitor", s.logs),
        db: role("db", s.database),
        cache: role("cache", s.cache && s.appPool),
        logs: role("logs", s.logs),
    };
}
