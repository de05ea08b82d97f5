import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PolicyResource, StackResource, unwrapSecrets } from "../../policy/rules";

// Runs a stack's program under `pulumi.runtime.setMocks` and records every registration the way the
// engine (and so a policy pack) would receive it: inputs, the `protect` option, `additionalSecretOutputs`,
// the parent chain in the URN and the provider's inputs. The mock interface only passes inputs to
// `newResource`, so the options are read from the monitor's RegisterResource requests.

// eslint-disable-next-line @typescript-eslint/no-require-imports
const settings = require("@pulumi/pulumi/runtime/settings");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const rpc = require("@pulumi/pulumi/runtime/rpc");

export const PROJECT = "gitlab-docker-delivery";
export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface CapturedResource extends PolicyResource {
    readonly urn: string;
    readonly custom: boolean;
    /** Raw provider reference (`urn::id`), empty for the default provider. */
    readonly providerRef: string;
    /** Input property → URNs its value came from, as the SDK sends them to the engine. */
    readonly propertyDependencies: Record<string, string[]>;
    /** What the (mock) provider returned: the outputs a stack policy judges, with `id`; set once registered. */
    outputs?: Record<string, unknown>;
}

export interface StackRun {
    readonly stack: string;
    readonly resources: CapturedResource[];
    /** The program module's exports (the stack outputs). */
    readonly exports: Record<string, unknown>;
    /** Every invoke (data source) the program made, with its arguments. */
    readonly invokes: Array<{ token: string; inputs: Record<string, unknown> }>;
}

export interface RunOptions {
    readonly stack: string;
    /** Stack config as `pulumi config` would pass it: `project:key` → string (JSON for objects). */
    readonly config: Record<string, string>;
    /** Keys of `config` that are secrets (read with requireSecret / getSecret). */
    readonly secretKeys?: readonly string[];
    /** Mock outputs per resource type / invoke token; the defaults echo inputs. */
    readonly mocks?: pulumi.runtime.Mocks;
    /** Module that is the program (default: the repository's index.ts). */
    readonly program?: string;
    /** Runs the program instead of requiring `program`; returns the stack outputs. */
    readonly load?: () => Record<string, unknown>;
    /** Pulumi organization (`pulumi.getOrganization()`), which stack references are qualified with. */
    readonly organization?: string;
    readonly preview?: boolean;
}

/** Echoes inputs and invents stable ids and the attributes the AWS data sources return. */
export const echoMocks: pulumi.runtime.Mocks = {
    newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs } }),
    call: (args) => ({ ...args.inputs, id: `${args.token.split(":").pop()}-id` }),
};

function recordingMocks(base: pulumi.runtime.Mocks, invokes: StackRun["invokes"]): pulumi.runtime.Mocks {
    return {
        newResource: (args) => base.newResource(args),
        call: (args) => {
            invokes.push({ token: args.token, inputs: args.inputs });
            return base.call(args);
        },
    };
}

/** Waits until no registration is in flight and nothing new arrived for a few turns of the event loop. */
async function settle(count: () => number, inFlight: () => number): Promise<void> {
    let stableRounds = 0;
    let last = -1;
    for (let round = 0; round < 500 && stableRounds < 5; round++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        const now = count();
        stableRounds = now === last && inFlight() === 0 ? stableRounds + 1 : 0;
        last = now;
    }
}

/** Resolves an export (Outputs nested anywhere) to its plain value and whether Pulumi keeps it secret. */
export async function resolveOutput(value: unknown): Promise<{ value: unknown; secret: boolean }> {
    const output = pulumi.output(value as pulumi.Input<unknown>) as pulumi.Output<unknown>;
    // `promise()` (internal) settles for unknown values too, where `apply` would never run during preview.
    const internal = output as unknown as { promise(withUnknowns?: boolean): Promise<unknown> };
    const [plain, secret] = await Promise.all([internal.promise(true), pulumi.isSecret(output)]);
    return { value: plain, secret };
}

/** The parts of the monitor's RegisterResourceRequest the capture reads. */
interface RegisterRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getObject(): unknown;
    getProvider(): string;
    getProtect(): boolean | undefined;
    getAdditionalsecretoutputsList(): string[];
    getPropertydependenciesMap(): { forEach(callback: (value: { getUrnsList(): string[] }, key: string) => void): void };
}

/** The parts of the monitor's RegisterResourceResponse the capture reads. */
interface RegisterResponse {
    getId(): string;
    getObject(): unknown;
}

/** Runs the program of `options.stack` under mocks and returns what the engine would have seen. */
export async function runStack(options: RunOptions): Promise<StackRun> {
    const invokes: StackRun["invokes"] = [];
    pulumi.runtime.setAllConfig({ ...options.config }, [...(options.secretKeys ?? [])]);
    await pulumi.runtime.setMocks(recordingMocks(options.mocks ?? echoMocks, invokes), PROJECT, options.stack, options.preview ?? false, options.organization);

    const monitor = settings.getMonitor();
    const resources: CapturedResource[] = [];
    let inFlight = 0;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterRequest, callback: (err: unknown, res: unknown) => void) => {
        inFlight++;
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string = req.getParent();
        const propertyDependencies: Record<string, string[]> = {};
        req.getPropertydependenciesMap().forEach((value, key) => (propertyDependencies[key] = value.getUrnsList()));
        const captured: CapturedResource = {
            type,
            name,
            urn: monitor.newUrn(parent, type, name),
            custom: req.getCustom(),
            props: rpc.deserializeProperties(req.getObject()),
            providerRef: req.getProvider() ?? "",
            options: {
                protect: req.getProtect() === true,
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                parent: parent || undefined,
            },
            propertyDependencies,
        };
        resources.push(captured);
        register(req, (err: unknown, res: RegisterResponse | undefined) => {
            inFlight--;
            if (!err && res) {
                const id = res.getId();
                captured.outputs = { ...rpc.deserializeProperties(res.getObject()), ...(id ? { id } : {}) };
            }
            callback(err, res);
        });
    };

    let exports: Record<string, unknown>;
    if (options.load) {
        exports = { ...options.load() };
    } else {
        // Only the entry module is evaluated again: the components it imports are stateless.
        const program = require.resolve(options.program ?? path.join(REPO_ROOT, "index.ts"));
        delete require.cache[program];
        // require, not import(): under tsx/cjs a dynamic import() bypasses the TypeScript loader.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        exports = { ...require(program) };
    }
    // Programs may export a promise or a function (`export = async () => ...`).
    const main = (exports.default ?? exports) as unknown;
    if (typeof main === "function") Object.assign(exports, await (main as () => Promise<Record<string, unknown>>)());
    await settle(() => resources.length, () => inFlight);
    for (const value of Object.values(exports)) if (pulumi.Output.isInstance(value)) await resolveOutput(value);
    await settle(() => resources.length, () => inFlight);

    return { stack: options.stack, resources: withProviders(resources, options.config), exports, invokes };
}

/**
 * The stack as `validateStack` receives it after `up` (or preview): each resource's outputs, secrets unwrapped
 * as `@pulumi/policy` does, and the property dependencies that link resources.
 */
export function toStackResources(run: StackRun): StackResource[] {
    return run.resources.map((resource) => ({
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        props: unwrapSecrets(resource.outputs ?? resource.props) as Record<string, unknown>,
        options: resource.options,
        propertyDependencies: resource.propertyDependencies,
    }));
}

/** Attaches each resource's provider inputs: an explicit provider's registration, or the default provider's stack config. */
function withProviders(resources: CapturedResource[], config: Record<string, string>): CapturedResource[] {
    return resources.map((resource) => {
        if (!resource.custom || resource.type.startsWith("pulumi:providers:")) return resource;
        const pkg = resource.type.split(":")[0];
        const explicit = resource.providerRef
            ? resources.find((candidate) => candidate.urn === resource.providerRef.split("::").slice(0, -1).join("::"))
            : undefined;
        if (explicit) return { ...resource, provider: { type: explicit.type, props: explicit.props } };
        const defaults: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(config)) {
            if (key.startsWith(`${pkg}:`)) defaults[key.slice(pkg.length + 1)] = value;
        }
        return { ...resource, provider: { type: `pulumi:providers:${pkg}`, props: defaults } };
    });
}
