// A recorder for Pulumi unit tests: installs `pulumi.runtime.setMocks`, records every resource the
// program registers (type, name, inputs and resource options) and every invoke, and waits until all
// registrations, including late ones whose inputs are outputs, have settled.
import * as pulumi from "@pulumi/pulumi";

/** One registered resource, as the engine would have seen it. */
export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** Inputs with secrets unwrapped (what the provider would receive). */
    readonly inputs: Record<string, any>;
    /** true for provider-backed resources, false for components. */
    readonly custom: boolean;
    /** URN of the parent ("" for the root). */
    readonly parent: string;
    readonly protect: boolean;
    /** Provider reference (`urn::id`) when one was set explicitly or inherited. */
    readonly provider: string;
    /** Plugin version requested through the `version` option. */
    readonly version: string;
    readonly additionalSecretOutputs: readonly string[];
    readonly ignoreChanges: readonly string[];
    readonly dependencies: readonly string[];
    readonly retainOnDelete: boolean;
    readonly deleteBeforeReplace: boolean;
    /** Top-level input names that held a secret (at any depth) when registered. */
    readonly secretInputs: readonly string[];
    /** Inputs with every secret value replaced by "[secret]": what a state file or log shows in plain text. */
    readonly plainInputs: Record<string, any>;
}

export interface RecordedCall {
    readonly token: string;
    readonly inputs: Record<string, any>;
    /** Provider reference (`urn::id`) the invoke went through, when one was set explicitly. */
    readonly provider?: string;
}

export interface RecorderOptions {
    readonly project?: string;
    readonly stack?: string;
    readonly preview?: boolean;
    readonly organization?: string;
    /** Extra state for resources of a type (merged over the inputs), e.g. `{ "aws:ec2/instance:Instance": { privateIp: "10.0.0.5" } }`. */
    readonly state?: Readonly<Record<string, Record<string, any> | ((inputs: Record<string, any>, name: string) => Record<string, any>)>>;
    /** Results of invokes by token, e.g. `{ "aws:ec2/getAmi:getAmi": { id: "ami-123" } }`. */
    readonly calls?: Readonly<Record<string, Record<string, any> | ((inputs: Record<string, any>) => Record<string, any>)>>;
    /** Outputs of referenced stacks by stack name (`pulumi:pulumi:StackReference`). */
    readonly stackOutputs?: Readonly<Record<string, Record<string, any>>>;
}

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

const isSecretValue = (v: any) => v && typeof v === "object" && v["4dabf18193072939515e22adb298388d"] === SECRET_SIG;

function containsSecret(value: any): boolean {
    if (isSecretValue(value)) return true;
    if (Array.isArray(value)) return value.some(containsSecret);
    if (value && typeof value === "object") return Object.values(value).some(containsSecret);
    return false;
}

/** Replaces every secret by "[secret]". */
function redact(value: any): any {
    if (isSecretValue(value)) return "[secret]";
    if (Array.isArray(value)) return value.map(redact);
    if (value && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v)]));
    return value;
}

/** Unwraps the RPC form of secrets (`{4dabf18193072939515e22adb298388d: ..., value}`) and notes their keys. */
function unwrap(value: any): any {
    if (Array.isArray(value)) return value.map(unwrap);
    if (value && typeof value === "object") {
        if (value["4dabf18193072939515e22adb298388d"] === SECRET_SIG) return unwrap(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

interface RegisterRequest {
    getType(): string;
    getName(): string;
    getCustom(): boolean;
    getParent(): string;
    getProtect(): boolean | undefined;
    getProvider(): string;
    getVersion(): string;
    getAdditionalsecretoutputsList(): string[];
    getIgnorechangesList(): string[];
    getDependenciesList(): string[];
    getRetainondelete(): boolean | undefined;
    getDeletebeforereplace(): boolean;
    getObject(): { toJavaScript(): Record<string, any> } | undefined;
}

type Monitor = { registerResource(req: RegisterRequest, cb: (err: any, resp: any) => void): Promise<void> };

export class MockRecorder implements pulumi.runtime.Mocks {
    readonly resources: RecordedResource[] = [];
    readonly calls: RecordedCall[] = [];
    private readonly pendingOptions = new Map<string, Omit<RecordedResource, "inputs" | "urn" | "type" | "name" | "custom">[]>();
    private inFlight = 0;
    private nextId = 0;

    constructor(private readonly options: RecorderOptions = {}) {}

    /** Installs the mocks (call before loading the program) and hooks the monitor to capture resource options. */
    async install(): Promise<this> {
        const o = this.options;
        await pulumi.runtime.setMocks(this, o.project ?? "gitlab-docker-delivery", o.stack ?? "test", o.preview ?? false, o.organization ?? "organization");
        const monitor = pulumi.runtime.getMonitor() as unknown as Monitor;
        const original = monitor.registerResource.bind(monitor);
        monitor.registerResource = async (req, callback) => {
            this.inFlight++;
            const key = `${req.getType()}::${req.getName()}`;
            const raw = req.getObject()?.toJavaScript() ?? {};
            const secretInputs = Object.entries(raw)
                .filter(([, v]) => containsSecret(v))
                .map(([k]) => k);
            const plainInputs = redact(raw);
            const queue = this.pendingOptions.get(key) ?? [];
            queue.push({
                parent: req.getParent(),
                protect: req.getProtect() === true,
                provider: req.getProvider(),
                version: req.getVersion(),
                additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
                ignoreChanges: req.getIgnorechangesList(),
                dependencies: req.getDependenciesList(),
                retainOnDelete: req.getRetainondelete() === true,
                deleteBeforeReplace: req.getDeletebeforereplace() === true,
                secretInputs,
                plainInputs,
            });
            this.pendingOptions.set(key, queue);
            try {
                await original(req, callback);
            } finally {
                this.inFlight--;
            }
        };
        return this;
    }

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, any> } {
        const inputs = unwrap(args.inputs ?? {});
        const key = `${args.type}::${args.name}`;
        const opts = this.pendingOptions.get(key)?.shift() ?? {
            parent: "",
            protect: false,
            provider: args.provider ?? "",
            version: "",
            additionalSecretOutputs: [],
            ignoreChanges: [],
            dependencies: [],
            retainOnDelete: false,
            deleteBeforeReplace: false,
            secretInputs: [],
            plainInputs: inputs,
        };
        const urn = `urn:pulumi:${this.options.stack ?? "test"}::${this.options.project ?? "gitlab-docker-delivery"}::${args.type}::${args.name}`;
        this.resources.push({ type: args.type, name: args.name, urn, inputs, custom: args.custom ?? true, ...opts, provider: opts.provider || args.provider || "" });

        if (args.type === "pulumi:pulumi:StackReference") {
            const stackName = String(inputs.name ?? args.id ?? args.name);
            const outputs = this.options.stackOutputs?.[stackName];
            if (outputs === undefined) throw new Error(`mock: no outputs recorded for referenced stack ${stackName}`);
            return { id: stackName, state: { name: stackName, outputs, secretOutputNames: [] } };
        }
        const extra = this.options.state?.[args.type];
        const state = typeof extra === "function" ? extra(inputs, args.name) : extra ?? {};
        const id = args.custom === false ? undefined : mockId(args.type, args.name, this.nextId++);
        return { id, state: { ...defaultState(args.type, args.name), ...inputs, ...state } };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, any> {
        const inputs = unwrap(args.inputs ?? {});
        this.calls.push({ token: args.token, inputs, provider: args.provider });
        const result = this.options.calls?.[args.token];
        if (typeof result === "function") return result(inputs);
        return result ?? defaultCall(args.token, inputs);
    }

    /** Waits until every registration, including ones that waited for other resources' outputs, is done. */
    async settle(): Promise<void> {
        let stableRounds = 0;
        let lastCount = -1;
        while (stableRounds < 3) {
            await new Promise((resolve) => setTimeout(resolve, 5));
            const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
            if (waitForRPCs) await waitForRPCs();
            if (this.inFlight === 0 && this.resources.length === lastCount) stableRounds++;
            else stableRounds = 0;
            lastCount = this.resources.length;
        }
    }

    find(type: string, name: string): RecordedResource {
        const found = this.resources.find((r) => r.type === type && r.name === name);
        if (!found) {
            const names = this.resources.filter((r) => r.type === type).map((r) => r.name);
            throw new Error(`no ${type} named ${name}; recorded of that type: ${names.join(", ") || "none"}`);
        }
        return found;
    }

    findAll(type: string): RecordedResource[] {
        return this.resources.filter((r) => r.type === type);
    }

    /** The recorded resource whose URN is `urn`'s parent. */
    parentOf(resource: RecordedResource): RecordedResource | undefined {
        return this.resources.find((r) => r.urn === resource.parent || (resource.parent !== "" && resource.parent.endsWith(`::${r.type}::${r.name}`)));
    }
}

/** GitLab ids are numbers; everything else gets a readable fake id. */
function mockId(type: string, name: string, n: number): string {
    return type === "gitlab:index/project:Project" ? String(4200 + n) : `${name}-id-${n}`;
}

/** Plausible provider-computed outputs for the types this project uses. */
function defaultState(type: string, name: string): Record<string, any> {
    const common: Record<string, any> = {};
    if (type.startsWith("aws:")) {
        const service = type.split(":")[1].split("/")[0];
        common.arn = `arn:aws:${service}:eu-central-1:123456789012:${name}`;
    }
    return { ...common, ...typeState(type, name) };
}

function typeState(type: string, name: string): Record<string, any> {
    switch (type) {
        case "aws:ec2/instance:Instance":
            return { privateIp: "10.0.1.10", availabilityZone: "eu-central-1a", arn: `arn:aws:ec2:eu-central-1:123456789012:instance/${name}` };
        case "aws:ec2/eip:Eip":
            return { publicIp: "203.0.113.10", publicDns: "ec2-203-0-113-10.compute.amazonaws.com" };
        case "aws:ec2/keyPair:KeyPair":
            return { keyName: name };
        // IAM's own shape (no region; `oidc-provider/<issuer>`): the policy pack knows a web identity by it.
        case "aws:iam/openIdConnectProvider:OpenIdConnectProvider":
            return { arn: "arn:aws:iam::123456789012:oidc-provider/gitlab.com" };
        case "docker-build:index:Image":
            return { digest: `sha256:${"ab".repeat(32)}`, ref: "" };
        case "docker-build:index:Index":
            return {};
        case "command:local:Command":
        case "command:remote:Command":
            return { stdout: "", stderr: "" };
        default:
            return {};
    }
}

function defaultCall(token: string, inputs: Record<string, any>): Record<string, any> {
    switch (token) {
        case "aws:ec2/getAmi:getAmi":
            return { id: "ami-0123456789abcdef0", name: "ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-amd64-server-20260101", architecture: "x86_64" };
        case "aws:ec2/getVpc:getVpc":
            return { id: "vpc-0123456789abcdef0", cidrBlock: "172.31.0.0/16" };
        case "aws:kms/getAlias:getAlias":
            return { id: inputs.name, name: inputs.name, targetKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/00000000-0000-0000-0000-000000000000", targetKeyId: "00000000-0000-0000-0000-000000000000" };
        case "aws:ec2/getSubnet:getSubnet":
            return { id: inputs.id, vpcId: "vpc-0123456789abcdef0", availabilityZone: "eu-central-1a" };
        case "docker:index/getRegistryImage:getRegistryImage":
            return { id: inputs.name, name: inputs.name, sha256Digest: `sha256:${"ab".repeat(32)}` };
        default:
            return {};
    }
}

/** Creates and installs a recorder. */
export async function installMocks(options: RecorderOptions = {}): Promise<MockRecorder> {
    return new MockRecorder(options).install();
}

/** Resolves an Output's value in tests. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

/** Whether an Output is marked secret. */
export function isSecretOutput<T>(output: pulumi.Output<T>): Promise<boolean> {
    return pulumi.isSecret(output);
}
