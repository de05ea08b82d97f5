// Runs the whole program of one stack under mocks and returns what it registered. Shared by the
// program tests, the policy tests (they evaluate the pack over `resources`) and the benchmark.
import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { createProgram, ProgramOutputs } from "../../components/program";
import { MockRecorder, RecordedResource, RecorderOptions, installMocks } from "../support/mocks";

export type StackName = "local" | "staging" | "prod";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const ORGANIZATION = "acme";

/** Fake secrets: known strings that tests search for in everything the program exposes. */
export const FAKE_SECRETS = {
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKEKEYb3BlbnNzaC1rZXktdjEAAAAAfakefakefake\n-----END OPENSSH PRIVATE KEY-----\n",
    gitlabToken: "glpat-FAKEgitlabTOKEN0123456789",
    registryPassword: "FAKEregistryPASSWORD-0123456789",
    dbPassword: "FAKEdbPASSWORD0123456789abcdef",
    deployTokenPassword: "gldt-FAKEdeployTOKEN0123456789",
} as const;

const P = "gitlab-docker-delivery";

/** A complete, valid config per stack (keys without the project prefix, except provider keys). */
export const STACK_CONFIG: Readonly<Record<StackName, Record<string, string>>> = {
    local: {
        httpPort: "8080",
        stateDir: "/tmp/gitlab-docker-delivery-test-state",
        baseImages: JSON.stringify({
            build: "cicd-standin/node-build:trixie",
            runtime: "cicd-standin/node-runtime:trixie",
            postgres: "cicd-standin/postgres:trixie",
            nginx: "cicd-standin/nginx:trixie",
        }),
    },
    staging: {
        "aws:region": "eu-central-1",
        instanceType: "t3.small",
        imageRepository: "registry.gitlab.com/acme/gitlab-docker-delivery",
        gitCommit: "0123456789abcdef0123456789abcdef01234567",
        registryUsername: "ci-bot",
        registryPassword: FAKE_SECRETS.registryPassword,
        gitlabToken: FAKE_SECRETS.gitlabToken,
        sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake deploy@example",
        sshPrivateKey: FAKE_SECRETS.sshPrivateKey,
        sshIngressCidrs: JSON.stringify(["203.0.113.4/32"]),
    },
    prod: {
        "aws:region": "eu-central-1",
        instanceType: "t3.medium",
        imageRepository: "registry.gitlab.com/acme/gitlab-docker-delivery",
        gitCommit: "0123456789abcdef0123456789abcdef01234567",
        registryUsername: "ci-bot",
        registryPassword: FAKE_SECRETS.registryPassword,
        gitlabToken: FAKE_SECRETS.gitlabToken,
        sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFakeFakeFakeFakeFakeFakeFakeFakeFakeFake deploy@example",
        sshPrivateKey: FAKE_SECRETS.sshPrivateKey,
        sshIngressCidrs: JSON.stringify(["203.0.113.4/32"]),
        productionApprovals: "1",
        gitlabTier: "premium",
        gitlabNamespaceId: "1234",
    },
};

export const STAGING_DIGEST = `sha256:${"cd".repeat(32)}`;

/** Outputs of the stacks the program references. */
export const STACK_OUTPUTS: Readonly<Record<string, Record<string, unknown>>> = {
    [`${ORGANIZATION}/${P}/prod`]: {
        projectId: "4242",
        deployTokenUsername: "gitlab+deploy-token-1",
        deployTokenPassword: FAKE_SECRETS.deployTokenPassword,
        runnerSecurityGroupId: "sg-0runner0000000000",
        registryRepository: "registry.gitlab.com/acme/gitlab-docker-delivery",
    },
    [`${ORGANIZATION}/${P}/staging`]: {
        imageRef: `registry.gitlab.com/acme/gitlab-docker-delivery@${STAGING_DIGEST}`,
        imageDigest: STAGING_DIGEST,
        imageTag: "registry.gitlab.com/acme/gitlab-docker-delivery:0123456789abcdef0123456789abcdef01234567",
    },
};

export interface CaptureOptions {
    /** Keys to add or replace (value undefined removes the key). */
    readonly config?: Readonly<Record<string, string | undefined>>;
    /** Process environment the program sees (CI fallbacks); defaults to empty so CI variables do not leak in. */
    readonly env?: Readonly<Record<string, string | undefined>>;
    /** Registry digest returned by the docker registry lookup (prod verification). */
    readonly registryDigest?: string;
    /** Provider-computed state per resource type (e.g. a GitLab project's `webUrl`), merged over the inputs. */
    readonly state?: RecorderOptions["state"];
    /** Outputs of referenced stacks, replacing {@link STACK_OUTPUTS} (e.g. a destroyed staging stack: `{}`). */
    readonly stackOutputs?: RecorderOptions["stackOutputs"];
}

export interface CapturedStack {
    readonly recorder: MockRecorder;
    readonly resources: readonly RecordedResource[];
    readonly outputs?: ProgramOutputs;
    /** What the program threw synchronously (config errors). */
    readonly error?: Error;
    /** Errors raised later, inside outputs (e.g. an apply that throws); expected to be empty. */
    readonly asyncErrors: readonly Error[];
}

const SECRET_CONFIG_KEYS = ["sshPrivateKey", "gitlabToken", "registryPassword", "dbPassword"];

/** The config map as Pulumi hands it to a program: full keys, plus the list of secret keys. */
export function pulumiConfig(values: Readonly<Record<string, string | undefined>>): { config: Record<string, string>; secretKeys: string[] } {
    const config: Record<string, string> = {};
    const secretKeys: string[] = [];
    for (const [key, value] of Object.entries(values)) {
        if (value === undefined) continue;
        const fullKey = key.includes(":") ? key : `${P}:${key}`;
        config[fullKey] = value;
        if (SECRET_CONFIG_KEYS.includes(key)) secretKeys.push(fullKey);
    }
    return { config, secretKeys };
}

/** Runs `stack`'s program under fresh mocks and waits until every registration has settled. */
export async function captureStack(stack: StackName, options: CaptureOptions = {}): Promise<CapturedStack> {
    const recorder = await installMocks({
        stack,
        organization: ORGANIZATION,
        stackOutputs: options.stackOutputs ?? STACK_OUTPUTS,
        // The project GitLab creates for the prod stack: its path is what the registry and the CI roles' trust use.
        state: { "gitlab:index/project:Project": { pathWithNamespace: "acme/gitlab-docker-delivery" }, ...options.state },
        calls: {
            "docker:index/getRegistryImage:getRegistryImage": (inputs) => ({
                id: inputs.name,
                name: inputs.name,
                sha256Digest: options.registryDigest ?? STAGING_DIGEST,
            }),
        },
    });
    const { config, secretKeys } = pulumiConfig({ ...STACK_CONFIG[stack], ...(options.config ?? {}) });
    pulumi.runtime.setAllConfig(config, secretKeys);
    let outputs: ProgramOutputs | undefined;
    let error: Error | undefined;
    const asyncErrors: Error[] = [];
    const onRejection = (reason: unknown) => asyncErrors.push(reason instanceof Error ? reason : new Error(String(reason)));
    process.on("unhandledRejection", onRejection);
    try {
        outputs = createProgram({ repoRoot: REPO_ROOT, env: options.env ?? {} });
    } catch (err) {
        error = err as Error;
    }
    try {
        await recorder.settle();
    } finally {
        process.off("unhandledRejection", onRejection);
    }
    return { recorder, resources: recorder.resources, outputs, error, asyncErrors };
}

/** Resolves every stack output; returns the plain values and which were secret. */
export async function resolveOutputs(captured: CapturedStack): Promise<{ values: Record<string, unknown>; secret: Set<string> }> {
    assert.ok(captured.outputs, `program failed: ${captured.error?.message}`);
    const values: Record<string, unknown> = {};
    const secret = new Set<string>();
    for (const [key, value] of Object.entries(captured.outputs)) {
        const output = pulumi.output(value) as pulumi.Output<unknown>;
        values[key] = await new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
        if (await pulumi.isSecret(output)) secret.add(key);
    }
    return { values, secret };
}
