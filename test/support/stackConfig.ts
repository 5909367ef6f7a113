// The stack config parser as the settings specs call it: the config encoded as `pulumi config` hands it over,
// `secrets` the keys set with --secret.
import assert from "node:assert/strict";
import { parseStackConfig } from "../../components/settings/stackConfig";
import { ConfigError } from "../../components/settings/stackSettings";
import { encodeConfig } from "./program";

export const parseConfig = (config: Record<string, unknown>, secrets: readonly string[] = []) =>
    parseStackConfig("dev", encodeConfig(config), new Set(secrets.map((k) => `webstack:${k}`)));

/** Every problem the parser reports for `config`; fails when it parses. */
export function configProblems(config: Record<string, unknown>, secrets: readonly string[] = []): string[] {
    try {
        parseConfig(config, secrets);
    } catch (err) {
        assert.ok(err instanceof ConfigError);
        return [...err.problems];
    }
    assert.fail("expected a ConfigError");
}
