// The recording mock engine: runs a Pulumi program under `pulumi.runtime.setMocks` and keeps, for every
// registered resource, what the real engine would know (inputs with their secrets, options, parent,
// dependencies) plus the outputs DigitalOcean would compute, invented deterministically per type.
// Tests and the offline plan both read this one record; nothing re-derives the stack another way.
import * as pulumi from "@pulumi/pulumi";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { MOCK_PASSWORD_PREFIX, inventOutputs } from "./mockOutputs";
import { isSecret, plain, secretValue } from "./secretValues";

export { isSecret, plain, redact } from "./secretValues";

export interface RecordedResource {
    urn: string;
    type: string;
    name: string;
    custom: boolean;
    parent: string;
    id: string;
    /** Inputs as the engine receives them: secrets still wrapped (see `plain` and `redact`). */
    inputs: Record<string, unknown>;
    /** Inputs plus the outputs the mock invented, secrets unwrapped: what the cloud would hold. */
    state: Record<string, unknown>;
    dependencies: string[];
    propertyDependencies: Record<string, string[]>;
    protect: boolean;
    deleteBeforeReplace: boolean;
    retainOnDelete: boolean;
    /** The id the resource is imported from (the `import` option), when it has one. */
    importId?: string;
    ignoreChanges: string[];
    replaceOnChanges: string[];
    additionalSecretOutputs: string[];
    aliases: string[];
    provider: string;
    /** Position of the registration request in the program's run (0-based): the order `pulumi preview` lists steps. */
    order: number;
    /** The resource hooks bound to the resource, by kind (`afterCreate`, …), as hook names; no kind without one. */
    hooks: ResourceHookNames;
    /** `customTimeouts` the program set (`create`, `update`, `delete`, as Go durations such as "5m"), set ones only. */
    customTimeouts: Partial<Record<"create" | "update" | "delete", string>>;
}

/** The kinds of resource hook a resource can bind (@pulumi/pulumi 3.248 `ResourceHookBinding`, plus `onError`). */
export const HOOK_KINDS = [
    "beforeCreate",
    "afterCreate",
    "beforeUpdate",
    "afterUpdate",
    "beforeDelete",
    "afterDelete",
    "onError",
] as const;
export type HookKind = (typeof HOOK_KINDS)[number];
export type ResourceHookNames = Partial<Record<HookKind, string[]>>;

/** A named hook the program registered (RegisterResourceHookRequest), with the options the engine would see. */
export interface RegisteredHook {
    name: string;
    /** Runs during `pulumi preview` too. */
    onDryRun: boolean;
    /** A failure is only a warning. */
    ignoreErrors: boolean;
}

/**
 * What the engine does and Pulumi's mock monitor does not: outputs named in `additionalSecretOutputs`, and
 * outputs whose input was secret, come back secret, so the program sees e.g. a database password as a secret.
 */
function markSecretOutputs(req: any, resp: any): void {
    const extra: string[] = req.getAdditionalsecretoutputsList();
    const inputs = req.getObject()?.toJavaScript() ?? {};
    const secretInputs = Object.keys(inputs).filter((k) => containsSecret(inputs[k]));
    if (extra.length === 0 && secretInputs.length === 0) return;
    const state = resp.getObject()?.toJavaScript();
    if (!state) return;
    let changed = false;
    for (const key of new Set([...extra, ...secretInputs])) {
        if (key in state && !isSecret(state[key])) {
            state[key] = secretValue(plain(state[key]));
            changed = true;
        }
    }
    if (changed) resp.setObject(Struct.fromJavaScript(state));
}

function containsSecret(value: unknown): boolean {
    if (isSecret(value)) return true;
    if (Array.isArray(value)) return value.some(containsSecret);
    if (typeof value === "object" && value !== null) return Object.values(value).some(containsSecret);
    return false;
}

/** A VPC of the account that `digitalocean.getVpc` can find (GetVpcResult's fields the program reads). */
export interface MockVpc {
    id: string;
    name: string;
    description: string;
    ipRange: string;
}

/** What `digitalocean.getAccount` answers (GetAccountResult), and what else the account and its token hold. */
export interface MockAccount {
    dropletLimit: number;
    floatingIpLimit: number;
    status: string;
    statusMessage: string;
    email: string;
    emailVerified: boolean;
    uuid: string;
    /**
     * The default VPC `getVpc({ region })` finds, by region; null: the account has no VPC in that region. A region
     * not listed has a default VPC of DigitalOcean's own ("default-<region>"), as in an account that used it before.
     */
    defaultVpcs: Record<string, MockVpc | null>;
    /** Scopes the API token lacks: the reads that need them answer 403, as DigitalOcean does. */
    missingScopes: string[];
}

/**
 * A fresh team account as DigitalOcean sets one up: a droplet limit of 10 and 3 reserved IPs (the starting limits
 * docs/account-requirements.md states), active, its e-mail verified. The offline plan and the tests start
 * from it; a test changes a field to play another account.
 */
export const DEFAULT_MOCK_ACCOUNT: Readonly<MockAccount> = {
    dropletLimit: 10,
    floatingIpLimit: 3,
    status: "active",
    statusMessage: "",
    email: "owner@webstack.dev",
    emailVerified: true,
    uuid: "00000000-0000-4000-8000-00000000acc7",
    defaultVpcs: {},
    missingScopes: [],
};

/**
 * The custom-token scope each invoke needs (digitalocean/openapi@7c1300c specification/resources/<area>/*.yml
 * `security`).
 */
const INVOKE_SCOPES: Record<string, string> = {
    "digitalocean:index/getAccount:getAccount": "account:read",
    "digitalocean:index/getDomain:getDomain": "domain:read",
    "digitalocean:index/getDomains:getDomains": "domain:read",
    "digitalocean:index/getRecords:getRecords": "domain:read",
    "digitalocean:index/getVpc:getVpc": "vpc:read",
};

/** The request each invoke sends, for the 403 text below. */
const INVOKE_REQUESTS: Record<string, string> = {
    "digitalocean:index/getAccount:getAccount": "GET https://api.digitalocean.com/v2/account",
    "digitalocean:index/getDomain:getDomain": "GET https://api.digitalocean.com/v2/domains",
    "digitalocean:index/getDomains:getDomains": "GET https://api.digitalocean.com/v2/domains?page=1&per_page=200",
    "digitalocean:index/getRecords:getRecords":
        "GET https://api.digitalocean.com/v2/domains/example.com/records?page=1&per_page=200",
    "digitalocean:index/getVpc:getVpc": "GET https://api.digitalocean.com/v2/vpcs?page=1&per_page=200",
};

/** Answers for the data sources the program reads (the log store's CA, the database metrics login). */
function invokeAnswer(token: string, inputs: Record<string, any>): Record<string, unknown> | undefined {
    switch (token) {
        case "digitalocean:index/getDatabaseCa:getDatabaseCa":
            return {
                id: String(inputs.clusterId),
                clusterId: inputs.clusterId,
                certificate:
                    `-----BEGIN CERTIFICATE-----\nMOCKCA${String(inputs.clusterId)}\n` + "-----END CERTIFICATE-----\n",
            };
        case "digitalocean:index/getDatabaseMetricsCredentials:getDatabaseMetricsCredentials":
            return {
                id: "metrics-credentials",
                username: "doadmin-metrics",
                password: `${MOCK_PASSWORD_PREFIX}metrics`,
            };
        default:
            return undefined;
    }
}

/**
 * An invoke's failure as the engine reports it: the SDK rethrows only the gRPC error's `details`
 * (@pulumi/pulumi runtime/invoke.js: `innerReject(new Error(err.details))`), which carry the provider's message.
 */
function engineError(message: string): Error {
    return Object.assign(new Error(message), { details: message });
}

/** The hook names of a RegisterResourceRequest.ResourceHooksBinding, by kind; kinds without hooks are left out. */
function hookNames(binding: any): ResourceHookNames {
    const names: ResourceHookNames = {};
    if (!binding) return names;
    for (const kind of HOOK_KINDS) {
        const getter = `get${kind[0].toUpperCase()}${kind.slice(1)}List`;
        const list: string[] = binding[getter]?.() ?? [];
        if (list.length > 0) names[kind] = [...list];
    }
    return names;
}

/** The custom timeouts of a RegisterResourceRequest; the empty ones left out. */
function customTimeoutsOf(timeouts: any): RecordedResource["customTimeouts"] {
    const out: RecordedResource["customTimeouts"] = {};
    for (const kind of ["create", "update", "delete"] as const) {
        const value: string = timeouts?.[`get${kind[0].toUpperCase()}${kind.slice(1)}`]?.() ?? "";
        if (value !== "") out[kind] = value;
    }
    return out;
}

/** Captures every resource registration of a program run under Pulumi's mock engine. */
export class Recorder {
    readonly resources: RecordedResource[] = [];
    private requests = 0;
    /** Hook names registered since the last reset: the engine refuses a second hook of one name in a deployment. */
    private hooksThisRun = new Set<string>();

    /**
     * What a StackReference reads: the outputs of the stack's previous update (`{}`: a stack never deployed).
     * The program reads its own previous outputs to refuse updates that would delete data.
     */
    previousOutputs: Record<string, unknown> = {};

    /** The account `digitalocean.getAccount` reads (the program's preflight). */
    account: MockAccount = structuredClone(DEFAULT_MOCK_ACCOUNT);

    /** The zones the account's DNS already hosts (`getDomain` / `getDomains`), e.g. for `dns.zone: existing`. */
    domains: string[] = [];
    /** The records of those zones (`getRecords`), by zone; a zone not listed has none. */
    domainRecords: Record<string, { name: string; type: string; value: string }[]> = {};

    /** Invokes the program made, by token, in order. */
    readonly invokes: string[] = [];

    /**
     * Every resource hook the process registered, by name. Hooks are registered once, when a `ResourceHook` is
     * constructed (a component module may build one and reuse it across runs), so `reset` keeps them.
     */
    readonly resourceHooks = new Map<string, RegisteredHook>();

    /** What the mocks were last installed with (`install`): a run's record depends on these as on its spec. */
    installed?: { project: string; stack: string; preview: boolean; organization: string };

    /** Forgets what was recorded, e.g. between tests. */
    reset(): void {
        this.resources.length = 0;
        this.previousOutputs = {};
        this.account = structuredClone(DEFAULT_MOCK_ACCOUNT);
        this.domains = [];
        this.domainRecords = {};
        this.invokes.length = 0;
        this.requests = 0;
        this.hooksThisRun.clear();
    }

    /** The answer DigitalOcean (through the provider) gives to an invoke; throws on an invoke it does not know. */
    private answer(token: string, inputs: Record<string, any>): Record<string, unknown> {
        this.invokes.push(token);
        const scope = INVOKE_SCOPES[token];
        if (scope && this.account.missingScopes.includes(scope)) {
            // godo's error text, which the provider passes on (godo.go ErrorResponse.Error).
            throw engineError(
                `${INVOKE_REQUESTS[token]}: 403 (request "mock") You do not have permission to perform this action.`,
            );
        }
        switch (token) {
            case "digitalocean:index/getAccount:getAccount": {
                const a = this.account;
                // Without droplet:read and reserved_ip:read DigitalOcean leaves the limits out (account.yml:4-16).
                return {
                    dropletLimit: a.missingScopes.includes("droplet:read") ? 0 : a.dropletLimit,
                    floatingIpLimit: a.missingScopes.includes("reserved_ip:read") ? 0 : a.floatingIpLimit,
                    status: a.status,
                    statusMessage: a.statusMessage,
                    email: a.email,
                    emailVerified: a.emailVerified,
                    uuid: a.uuid,
                    id: a.uuid,
                };
            }
            case "digitalocean:index/getVpc:getVpc":
                return this.vpc(inputs);
            case "digitalocean:index/getDomain:getDomain": {
                if (!this.domains.includes(inputs.name))
                    throw engineError(
                        `domain not found: GET https://api.digitalocean.com/v2/domains/${inputs.name}: 404`,
                    );
                return {
                    id: inputs.name,
                    name: inputs.name,
                    ttl: 1800,
                    zoneFile: "",
                    domainUrn: `do:domain:${inputs.name}`,
                };
            }
            case "digitalocean:index/getRecords:getRecords": {
                if (!this.domains.includes(inputs.domain))
                    throw engineError(
                        `GET https://api.digitalocean.com/v2/domains/${inputs.domain}/records?page=1&per_page=200: 404`,
                    );
                const records = this.domainRecords[inputs.domain] ?? [];
                return {
                    id: inputs.domain,
                    domain: inputs.domain,
                    records: records.map((r, i) => ({ id: 7000 + i, domain: inputs.domain, ttl: 1800, ...r })),
                };
            }
            case "digitalocean:index/getDomains:getDomains": {
                const filters = (inputs.filters ?? []) as { key: string; values: string[] }[];
                const names = this.domains.filter((d) =>
                    filters.every((f) => f.key !== "name" || f.values.includes(d)),
                );
                return {
                    id: "domains",
                    filters,
                    domains: names.map((name) => ({ name, ttl: 1800, urn: `do:domain:${name}` })),
                };
            }
            default: {
                const answer = invokeAnswer(token, inputs);
                if (answer) return answer;
                throw engineError(
                    `webstack's mock engine has no answer for the invoke "${token}"; ` +
                        "add one to plan/capture/recorder.ts.",
                );
            }
        }
    }

    /** getVpc by id (a VPC the program created) or by region (the region's default VPC). */
    private vpc(inputs: Record<string, any>): Record<string, unknown> {
        if (inputs.region !== undefined) {
            const region = String(inputs.region);
            const found =
                region in this.account.defaultVpcs
                    ? this.account.defaultVpcs[region]
                    : {
                          id: "00000000-0000-4000-8000-00000000def0",
                          name: `default-${region}`,
                          description: "",
                          ipRange: "10.116.0.0/20",
                      };
            // The provider's answer when no VPC of the region is the default (datasource_vpc.go findRegionDefaultVPC).
            if (found === null)
                throw engineError(`Error retrieving VPC: unable to find default VPC in ${region} region`);
            return { ...found, region, default: true, urn: `do:vpc:${found.id}`, createdAt: "2026-01-01 00:00:00" };
        }
        const own = this.resources.find((r) => r.type === "digitalocean:index/vpc:Vpc" && r.id === inputs.id);
        if (!own) throw engineError(`Error retrieving VPC: GET https://api.digitalocean.com/v2/vpcs/${inputs.id}: 404`);
        return { ...own.state, id: own.id, default: false };
    }

    byType(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /**
     * Installs the mocks. Must run once per process before any resource exists: Pulumi keeps one
     * mock monitor per process, so tests share it and call `reset` between cases.
     */
    async install(project: string, stack: string, preview = false, organization = "organization"): Promise<void> {
        this.installed = { project, stack, preview, organization };
        await pulumi.runtime.setMocks(
            {
                newResource: (args) =>
                    args.type === "pulumi:pulumi:StackReference"
                        ? {
                              id: String(args.inputs.name),
                              state: { name: args.inputs.name, outputs: this.previousOutputs, secretOutputNames: [] },
                          }
                        : inventOutputs(args.type, args.name, args.inputs, preview),
                call: (args) => this.answer(args.token, args.inputs),
            },
            project,
            stack,
            preview,
            // "organization" is what the CLI reports with a self-managed (DIY) backend.
            organization,
        );
        const monitor = pulumi.runtime.getMonitor() as any;
        // The SDK's mock monitor (@pulumi/pulumi 3.248 runtime/mocks.js) has no RegisterResourceHook, yet setMocks
        // declares the feature supported, so binding a hook crashed the program ("registerResourceHook is not a
        // function"). The engine answers it by keeping the hook's callback for later; hooks never run under mocks.
        monitor.registerResourceHook = (req: any, callback: (err: unknown, resp: unknown) => void) => {
            const name: string = req.getName();
            // The engine's answer to a second registration of a name (pulumi/pulumi v3.248.0
            // pkg/resource/deploy/resource_hooks.go:90-102): every deployment names each hook once.
            if (this.hooksThisRun.has(name)) {
                callback(engineError(`resource hook already registered for name "${name}"`), undefined);
                return;
            }
            this.hooksThisRun.add(name);
            this.resourceHooks.set(name, {
                name,
                onDryRun: req.getOnDryRun(),
                ignoreErrors: req.getIgnoreErrors?.() ?? false,
            });
            callback(null, {});
        };
        // The mock monitor hands `newResource` only the type, name, inputs, provider and id (@pulumi/pulumi 3.248
        // runtime/mocks.js MockMonitor.registerResource); the options (parent, dependencies, protect, hooks, aliases,
        // …) are only in the request, so the recorder reads each request on its way in.
        const register = monitor.registerResource.bind(monitor);
        monitor.registerResource = (req: any, callback: (err: unknown, resp: any) => void) => {
            const order = this.requests++;
            return register(req, (err: unknown, resp: any) => {
                if (!err && resp) {
                    markSecretOutputs(req, resp);
                    this.capture(req, resp, order);
                }
                callback(err, resp);
            });
        };
    }

    private capture(req: any, resp: any, order: number): void {
        const inputs = (req.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>;
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((deps: any, key: string) => {
            propertyDependencies[key] = deps.getUrnsList();
        });
        this.resources.push({
            urn: resp.getUrn(),
            type: req.getType(),
            name: req.getName(),
            custom: req.getCustom(),
            parent: req.getParent(),
            id: resp.getId(),
            inputs,
            state: plain(resp.getObject()?.toJavaScript() ?? {}) as Record<string, unknown>,
            dependencies: req.getDependenciesList(),
            propertyDependencies,
            protect: req.getProtect?.() ?? false,
            deleteBeforeReplace: req.getDeletebeforereplace(),
            retainOnDelete: req.getRetainondelete?.() ?? false,
            ...(req.getImportid?.() ? { importId: req.getImportid() } : {}),
            ignoreChanges: req.getIgnorechangesList(),
            replaceOnChanges: req.getReplaceonchangesList(),
            additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
            aliases: req.getAliasesList().map((a: any) => a.getUrn?.() || JSON.stringify(a.toObject())),
            provider: req.getProvider(),
            order,
            hooks: hookNames(req.getHooks?.()),
            customTimeouts: customTimeoutsOf(req.getCustomtimeouts?.()),
        });
    }

    /** Resolves once every registration the program started has been answered. */
    async settle(): Promise<void> {
        await settled();
    }
}

/** The SDK's wait for every registration and invoke in flight (runtime/settings.js waitForRPCs). */
const settled = (): Promise<void> => (pulumi.runtime as any).waitForRPCs();

/**
 * Whether every registration of the process's runs is answered within `ms`. After a program failed, yes means it left
 * nothing pending and the process can run another program; a registration whose input rejected never is (see
 * runProgram), and neither is one still in flight after `ms`: both read as no.
 */
export async function settlesWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const answer = await Promise.race([settled().then(() => true), late]);
    clearTimeout(timer);
    return answer;
}
