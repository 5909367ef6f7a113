// The app's env file: its database, its read replicas and, when the stack has one, the CDN in front of its Spaces
// bucket (CDN_ENDPOINT), each one Docker env-file line; a value that is not a host name is refused, not written.
import assert from "node:assert/strict";
import { appSettingsProblems, managedDatabaseEnv } from "../../../components/hostConfig/appUnit";
import { envFile } from "../../../components/hostConfig/types";
import { DATABASE } from "../../support/hostRoles";

describe("app env file", () => {
    it("tells the app the CDN its static assets are served from, as CDN_ENDPOINT", () => {
        const env = managedDatabaseEnv(DATABASE, {
            cdnEndpoint: "webstack-static-1a2b3c.nyc3.cdn.digitaloceanspaces.com",
        });
        assert.deepEqual(envFile(env).split("\n").slice(-2), [
            "CDN_ENDPOINT=webstack-static-1a2b3c.nyc3.cdn.digitaloceanspaces.com",
            "",
        ]);
        assert.deepEqual(Object.keys(env), [
            "DATABASE_HOST",
            "DATABASE_PORT",
            "DATABASE_USER",
            "DATABASE_NAME",
            "DATABASE_SSLMODE",
            "CDN_ENDPOINT",
        ]);
    });

    it("writes no CDN_ENDPOINT for a stack without a CDN", () => {
        assert.equal("CDN_ENDPOINT" in managedDatabaseEnv(DATABASE), false);
        assert.equal("CDN_ENDPOINT" in managedDatabaseEnv(DATABASE, {}), false);
    });

    it("refuses an endpoint that is not a host name, which would break the env file", () => {
        assert.deepEqual(appSettingsProblems({ cdnEndpoint: "cdn.example.test\nDATABASE_HOST=evil" }), [
            'app.cdnEndpoint: must be an IPv4 address or a DNS name; got "cdn.example.test\nDATABASE_HOST=evil".',
        ]);
        assert.throws(() => managedDatabaseEnv(DATABASE, { cdnEndpoint: "https://cdn.example.test/" }), {
            message:
                'Invalid app settings:\n  - app.cdnEndpoint: must be an IPv4 address or a DNS name; got "https://cdn.example.test/".',
        });
    });
});
