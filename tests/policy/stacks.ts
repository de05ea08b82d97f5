import { createProgram } from "../../components/program";
import {
    FAKE_SECRETS as PROGRAM_FAKE_SECRETS,
    ORGANIZATION,
    REPO_ROOT,
    STACK_CONFIG,
    STACK_OUTPUTS,
    STAGING_DIGEST,
    StackName,
    pulumiConfig,
} from "../program/stacks";
import { MockRecorder, RecordedResource } from "../support/mocks";
import { PolicyResource } from "../../policy/rules";
import { StackRun, runStack } from "./capture";

// The project's own stacks, with the program engineer's valid config and fake secrets
// (tests/program/stacks.ts), plus the secrets that only providers produce (generated password,
// deploy and runner tokens) so that every secret path is exercised.

export const STACKS: readonly StackName[] = ["local", "staging", "prod"];

export const FAKE_SECRETS = {
    ...PROGRAM_FAKE_SECRETS,
    generatedPassword: "FAKEgeneratedPASSWORD-0123456789",
    runnerToken: "glrt-FAKErunnerTOKEN0123456789",
} as const;

/** Config per stack: the program's, with the local stack also given a fixed (secret) database password. */
export function stackConfig(stack: StackName): Record<string, string> {
    return stack === "local" ? { ...STACK_CONFIG.local, dbPassword: PROGRAM_FAKE_SECRETS.dbPassword } : { ...STACK_CONFIG[stack] };
}

/** The substrings to look for: each secret (its distinctive line for multi-line ones) and its base64 form. */
export function secretNeedles(): Array<{ name: string; needle: string }> {
    const needles: Array<{ name: string; needle: string }> = [];
    for (const [name, value] of Object.entries(FAKE_SECRETS)) {
        needles.push({ name, needle: value.split("\n").find((line) => line.includes("FAKE")) ?? value });
        // The SSH key reaches GitLab base64-encoded; a leak of that form is still a leak.
        const encoded = Buffer.from(value.trim() + "\n").toString("base64");
        needles.push({ name: `${name} (base64)`, needle: encoded.slice(12, 40) });
    }
    return needles;
}

/** Config added to the local stack to give it its optional sandbox GitLab project. */
export const LOCAL_GITLAB_CONFIG: Readonly<Record<string, string>> = { gitlabToken: FAKE_SECRETS.gitlabToken };

/**
 * Runs `stack`'s program under mocks, recording raw inputs (secret markers kept) and resource options.
 * `extraConfig` adds or replaces keys (e.g. {@link LOCAL_GITLAB_CONFIG}).
 */
export function runProjectStack(stack: StackName, preview = false, extraConfig: Readonly<Record<string, string>> = {}): Promise<StackRun> {
    const { config, secretKeys } = pulumiConfig({ ...stackConfig(stack), ...extraConfig });
    const mocks = new MockRecorder({
        stack,
        organization: ORGANIZATION,
        stackOutputs: STACK_OUTPUTS,
        calls: {
            "docker:index/getRegistryImage:getRegistryImage": (inputs) => ({ id: inputs.name, name: inputs.name, sha256Digest: STAGING_DIGEST }),
        },
        state: {
            "random:index/randomPassword:RandomPassword": { result: FAKE_SECRETS.generatedPassword },
            "gitlab:index/projectDeployToken:ProjectDeployToken": { token: FAKE_SECRETS.deployTokenPassword, username: "gitlab+deploy-token-1" },
            "gitlab:index/userRunner:UserRunner": { token: FAKE_SECRETS.runnerToken },
            "gitlab:index/project:Project": (inputs) => ({ pathWithNamespace: `acme/${inputs.path}`, webUrl: `https://gitlab.example.com/acme/${inputs.path}` }),
        },
    });
    return runStack({
        stack,
        config,
        secretKeys,
        mocks,
        organization: ORGANIZATION,
        preview,
        load: () => createProgram({ repoRoot: REPO_ROOT, env: {} }) as Record<string, unknown>,
    });
}

/**
 * Adapts the program engineer's recorded resources (inputs already unwrapped, as a policy pack sees
 * them) to the rules' view: the URN with the parent chain the engine would build, and the provider's inputs.
 */
export function toPolicyResources(stack: string, recorded: readonly RecordedResource[], config: Record<string, string>): PolicyResource[] {
    const qualifiedType = (resource: RecordedResource): string =>
        resource.parent ? `${resource.parent.split("::")[2]}$${resource.type}` : resource.type;
    return recorded.map((resource) => {
        const urn = `urn:pulumi:${stack}::gitlab-docker-delivery::${qualifiedType(resource)}::${resource.name}`;
        const pkg = resource.type.split(":")[0];
        const providerUrn = resource.provider ? resource.provider.split("::").slice(0, -1).join("::") : "";
        const explicit = recorded.find((candidate) => candidate.type.startsWith("pulumi:providers:") && candidate.urn === providerUrn);
        const defaults = Object.fromEntries(
            Object.entries(config).filter(([key]) => key.startsWith(`${pkg}:`)).map(([key, value]) => [key.slice(pkg.length + 1), value]),
        );
        return {
            type: resource.type,
            name: resource.name,
            urn,
            props: resource.inputs,
            options: { protect: resource.protect, additionalSecretOutputs: resource.additionalSecretOutputs, parent: resource.parent || undefined },
            provider: resource.custom && !resource.type.startsWith("pulumi:providers:")
                ? explicit ? { type: explicit.type, props: explicit.inputs } : { type: `pulumi:providers:${pkg}`, props: defaults }
                : undefined,
        };
    });
}

