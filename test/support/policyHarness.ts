// Runs webstack policies in-process, the way @pulumi/policy 1.21's analyzer host does (server.js):
// props wrapped in the real unknownCheckingProxy, `UnknownValueError` turned into an advisory
// "can't run … during preview" diagnostic, `notApplicable` skipping the policy, any other error failing.
// Stacks are described as specs whose reference properties may be `ref(...)`s; `materialize` turns them
// into PolicyResources as they look after an update (known outputs) or during a first preview
// (computed outputs unknown, references known only through propertyDependencies).
import * as policy from "@pulumi/policy";
import type {
    EnforcementLevel,
    Policy,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as pulumi from "@pulumi/pulumi";
import { checkOfFinding } from "../../policies/catalog";

/** What the engine sends for a value the cloud has not computed yet. */
export const UNKNOWN = pulumi.runtime.unknownValue;

type ResourceClass = { new (...rest: any[]): any };
const tokenOf = (cls: ResourceClass): string => (cls as unknown as { __pulumiType: string }).__pulumiType;
const unknownCheckingProxy = (policy as unknown as { unknownCheckingProxy: <T>(o: T) => T }).unknownCheckingProxy;
const UnknownValueError = (policy as unknown as { UnknownValueError: new (...args: any[]) => Error }).UnknownValueError;

/** A reference to another spec's property (a load balancer's id): a dependency, unknown in preview when computed. */
export class Ref {
    constructor(
        readonly name: string,
        readonly property: string,
    ) {}
}
export const ref = (name: string, property = "id"): Ref => new Ref(name, property);

export interface Spec {
    cls: ResourceClass;
    name: string;
    props: Record<string, unknown>;
    protect?: boolean;
    /** The resource option, as the engine forwards it to the analyzer. @default [] */
    additionalSecretOutputs?: string[];
}

export const spec = (cls: ResourceClass, name: string, props: Record<string, unknown>, protect = false): Spec => ({
    cls,
    name,
    props,
    protect,
});

/** Outputs the cloud computes: unknown during a first preview. */
const COMPUTED = new Set([
    "id",
    "uuid",
    "ipv4Address",
    "ipv4AddressPrivate",
    "ipv6Address",
    "ip",
    "ipv6",
    "urn",
    "clusterUrn",
    "loadBalancerUrn",
    "host",
    "privateHost",
]);

export interface MaterializeOptions {
    /** Computed outputs (and references to them) become unknown, as in a first `pulumi preview`. */
    preview?: boolean;
    /** Drop propertyDependencies, as a host that does not forward them would. */
    withoutDependencies?: boolean;
    /** Drop `id`/`uuid` from the outputs, as a recorder that keeps ids beside the state would. */
    withoutIds?: boolean;
    /** Every property unknown (and no dependencies): the worst case a preview can present. */
    allUnknown?: boolean;
}

export function urnOf(s: Spec): string {
    return `urn:pulumi:test::webstack::${tokenOf(s.cls)}::${s.name}`;
}

/** Turns specs into the PolicyResources a stack policy receives. */
export function materialize(specs: readonly Spec[], options: MaterializeOptions = {}): PolicyResource[] {
    const byName = new Map(specs.map((s) => [s.name, s]));
    const resources = new Map<string, PolicyResource>();
    const pending: [PolicyResource, Record<string, string[]>][] = [];
    for (const s of specs) {
        const deps: Record<string, string[]> = {};
        const resolve = (value: unknown, key: string): unknown => {
            if (value instanceof Ref) {
                const target = byName.get(value.name);
                if (!target) throw new Error(`spec "${s.name}" refers to missing "${value.name}"`);
                (deps[key] ??= []).push(value.name);
                if (options.preview && COMPUTED.has(value.property)) return UNKNOWN;
                return resolve(target.props[value.property], key);
            }
            if (Array.isArray(value)) return value.map((v) => resolve(v, key));
            if (value && typeof value === "object")
                return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, key)]));
            return value;
        };
        const raw: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(s.props)) {
            if (options.withoutIds && (key === "id" || key === "uuid")) continue;
            if (options.allUnknown) {
                raw[key] = UNKNOWN;
                continue;
            }
            raw[key] = options.preview && COMPUTED.has(key) ? UNKNOWN : resolve(value, key);
        }
        const props = unknownCheckingProxy(raw);
        const token = tokenOf(s.cls);
        const resource: PolicyResource = {
            type: token,
            props,
            urn: urnOf(s),
            name: s.name,
            opts: {
                protect: s.protect ?? false,
                ignoreChanges: [],
                aliases: [],
                customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
                additionalSecretOutputs: s.additionalSecretOutputs ?? [],
            },
            dependencies: [],
            propertyDependencies: {},
            isType: (cls: ResourceClass) => tokenOf(cls) === token,
            asType: ((cls: ResourceClass) => (tokenOf(cls) === token ? props : undefined)) as PolicyResource["asType"],
        };
        resources.set(s.name, resource);
        pending.push([resource, options.withoutDependencies || options.allUnknown ? {} : deps]);
    }
    for (const [resource, deps] of pending) {
        for (const [key, names] of Object.entries(deps)) {
            resource.propertyDependencies[key] = names.map((n) => resources.get(n)!);
        }
        resource.dependencies = [...new Set(Object.values(resource.propertyDependencies).flat())];
    }
    return [...resources.values()];
}

class NotApplicable extends Error {}

/** One policy's result on one stack (or resource). */
export interface Outcome {
    /** Violation messages, in report order. */
    violations: string[];
    /** Messages of the advisory "can't run … during preview" diagnostics. */
    undecided: string[];
    notApplicable: boolean;
}

const notApplicable = (reason?: string): never => {
    throw new NotApplicable(reason);
};

async function guarded(outcome: Outcome, run: () => void | Promise<void>): Promise<void> {
    try {
        await run();
    } catch (error) {
        if (error instanceof UnknownValueError) outcome.undecided.push((error as Error).message);
        else if (error instanceof NotApplicable) outcome.notApplicable = true;
        else throw error;
    }
}

const isStackPolicy = (p: Policy): p is StackValidationPolicy =>
    typeof (p as StackValidationPolicy).validateStack === "function";

/**
 * The host's reportViolation for a policy, recording what follows the description it prefixes: a string as given, or
 * an object's message (which the host takes whole) past that prefix, with the object's severity or the policy's.
 */
function recorder(
    p: Policy,
    outcome: Outcome,
    severities: string[],
): (message: string | { message: string; severity?: string }) => void {
    return (violation) => {
        const text = typeof violation === "object" ? violation.message : violation;
        const prefix = `${p.description}\n`;
        outcome.violations.push(
            typeof violation === "object" && text.startsWith(prefix) ? text.slice(prefix.length) : text,
        );
        severities.push((typeof violation === "object" ? violation.severity : undefined) ?? p.severity ?? "");
    };
}

/** Runs a stack policy on a stack; config as the policy's entry in config/<stack>.json (without enforcementLevel). */
export async function runStack(
    p: StackValidationPolicy,
    resources: PolicyResource[],
    config: Record<string, unknown> = {},
    severities: string[] = [],
): Promise<Outcome> {
    const outcome: Outcome = { violations: [], undecided: [], notApplicable: false };
    await guarded(outcome, () =>
        p.validateStack(
            { resources, getConfig: <T extends object>() => config as T, stackTags: new Map(), notApplicable },
            recorder(p, outcome, severities) as never,
        ),
    );
    return outcome;
}

/** Runs a resource policy on every resource of a stack, concatenating the outcomes. */
export async function runResources(
    p: ResourceValidationPolicy,
    resources: PolicyResource[],
    config: Record<string, unknown> = {},
    severities: string[] = [],
): Promise<Outcome> {
    const outcome: Outcome = { violations: [], undecided: [], notApplicable: true };
    const validations =
        p.validateResource === undefined
            ? []
            : Array.isArray(p.validateResource)
              ? p.validateResource
              : [p.validateResource];
    for (const r of resources) {
        for (const validate of validations) {
            const one: Outcome = { violations: [], undecided: [], notApplicable: false };
            const args: ResourceValidationArgs = {
                type: r.type,
                props: r.props,
                urn: r.urn,
                name: r.name,
                opts: r.opts,
                stackTags: new Map(),
                isType: r.isType,
                asType: r.asType as ResourceValidationArgs["asType"],
                getConfig: <T extends object>() => config as T,
                notApplicable,
            };
            await guarded(one, () => validate(args, recorder(p, one, severities) as never));
            outcome.violations.push(...one.violations);
            outcome.undecided.push(...one.undecided);
            if (!one.notApplicable) outcome.notApplicable = false;
        }
    }
    return outcome;
}

/** Runs any policy against a stack; `severities` receives each violation's severity, in report order. */
export function run(
    p: Policy,
    resources: PolicyResource[],
    config: Record<string, unknown> = {},
    severities: string[] = [],
): Promise<Outcome> {
    return isStackPolicy(p)
        ? runStack(p, resources, config, severities)
        : runResources(p as ResourceValidationPolicy, resources, config, severities);
}

export interface Finding {
    policy: string;
    enforcementLevel: EnforcementLevel;
    /** As the host reports it: the policy's, or for a composite's finding its check's. */
    severity: string;
    message: string;
}

/** A policy pack config file: per policy, a level or { enforcementLevel?, ...knobs }. */
export type PackConfig = Record<
    string,
    EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)
>;

/** Runs a set of policies like the analyzer host would, with a config/<stack>.json style config. */
export async function runPack(
    policies: readonly Policy[],
    resources: PolicyResource[],
    packConfig: PackConfig = {},
): Promise<Finding[]> {
    const findings: Finding[] = [];
    for (const p of policies) {
        const entry = packConfig[p.name];
        const { enforcementLevel: configured, ...knobs } =
            typeof entry === "string" ? { enforcementLevel: entry } : (entry ?? {});
        const level = configured ?? p.enforcementLevel ?? "advisory";
        if (level === "disabled") continue;
        const severities: string[] = [];
        const outcome = await run(p, resources, knobs, severities);
        findings.push(
            ...outcome.violations.map((message, i) => ({
                policy: p.name,
                enforcementLevel: level,
                severity: severities[i],
                message,
            })),
        );
        findings.push(
            ...outcome.undecided.map((message) => ({
                policy: p.name,
                enforcementLevel: "advisory" as const,
                severity: p.severity ?? "",
                message,
            })),
        );
    }
    return findings;
}

/** Sorted, de-duplicated names of the policies (for stack-checks-pass: the stack checks) with mandatory findings. */
export const mandatoryPolicies = (findings: Finding[]): string[] =>
    [...new Set(findings.filter((f) => f.enforcementLevel === "mandatory").map(checkOfFinding))].sort();
