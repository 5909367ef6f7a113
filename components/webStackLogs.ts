// WebStack's wiring of the log store, kept beside it: the store from the settings, and each host role's
// user data with the log shipping added.
import * as pulumi from "@pulumi/pulumi";
import type { Cache } from "./cache";
import type { Database } from "./database";
import { LogStore } from "./logStore";
import type { LogsSettings } from "./settings/stackSettings";

/** The stack's log store, trusted by the tags of every role that ships to it, with a sink from the database and cache. */
export function createLogStore(
    name: string,
    region: string,
    logs: LogsSettings,
    protect: boolean,
    vpcUuid: pulumi.Output<string>,
    tags: {
        common: pulumi.Output<string>[];
        logs: () => pulumi.Output<string>;
        web: pulumi.Output<string>;
        app?: pulumi.Output<string>;
        lb?: pulumi.Output<string>;
    },
    data: { database?: Database | false; cache?: Cache },
    parent: pulumi.Resource,
): LogStore {
    const sources = [
        ...(data.database ? [{ role: "mysql", clusterId: data.database.cluster.id }] : []),
        ...(data.cache ? [{ role: "valkey", clusterId: data.cache.cluster.id }] : []),
    ];
    return new LogStore(
        name,
        {
            size: logs.size,
            region,
            vpcUuid,
            tags: [...tags.common, tags.logs()],
            trustedTags: [tags.web, tags.app, tags.lb].filter((t): t is pulumi.Output<string> => t !== undefined),
            sources,
            indexDaysMax: logs.indexDaysMax,
            sinkNamePrefix: "webstack",
            protect,
        },
        { parent },
    );
}
