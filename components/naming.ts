// Names and tags. DigitalOcean tags allow letters, digits, ":", "-" and "_"; Pulumi stack names may also
// contain ".", so it is replaced.

/** The tags every taggable resource of a stack carries, and the per-role tags that wire resources together. */
export interface StackTags {
    /**
     * "webstack": every resource this project made, across stacks. Every stack manages a Tag of this name, so each
     * keeps it on destroy (`retainOnDelete`): "Deleting a tag also untags all the resources that have previously been
     * tagged by the Tag" (digitalocean/openapi specification/resources/tags/tags_delete.yml), other stacks' included.
     */
    readonly project: string;
    /** "webstack-<stack>": every resource of this stack. */
    readonly stack: string;
    /** "webstack-<stack>-<role>": droplets of a role; load balancers and firewalls target it. */
    role(role: string): string;
}

export function stackTags(project: string, stack: string): StackTags {
    const safe = (text: string) => text.replace(/[^A-Za-z0-9:_-]/g, "-").toLowerCase();
    const stackTag = `${safe(project)}-${safe(stack)}`;
    return { project: safe(project), stack: stackTag, role: (role) => `${stackTag}-${safe(role)}` };
}
