import { PolicyResource as StackPolicyResource, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { PolicyResource, StackResource, unwrapSecrets } from "../../policy/rules";

// The policy server wraps props in this proxy (throwing on values unknown at preview); the harness does too.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { unknownCheckingProxy } = require("@pulumi/policy/proxy") as { unknownCheckingProxy: <T>(props: T) => T };

/** The pack's policy with this name; throws when it does not exist, so a renamed policy fails loudly. */
export function policyNamed(name: string): ResourceValidationPolicy | StackValidationPolicy {
    const policy = policies.find((candidate) => candidate.name === name);
    if (!policy) throw new Error(`policy pack has no policy named ${name}`);
    return policy;
}

function isStackPolicy(policy: ResourceValidationPolicy | StackValidationPolicy): policy is StackValidationPolicy {
    return "validateStack" in policy && policy.validateStack !== undefined;
}

/** The resource options the policy engine hands every policy, resource or stack, for a captured resource. */
function policyOptions(resource: PolicyResource): ResourceValidationArgs["opts"] {
    return {
        protect: resource.options?.protect ?? false,
        ignoreChanges: [],
        aliases: [],
        customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
        additionalSecretOutputs: [...(resource.options?.additionalSecretOutputs ?? [])],
        parent: resource.options?.parent,
    };
}

/**
 * Runs one of the pack's real `validateResource` functions on a resource, with the argument bag the
 * policy engine would pass (secrets unwrapped, as `@pulumi/policy` does), and returns the violations.
 */
export async function runPolicy(name: string, resource: PolicyResource, config: object = {}): Promise<string[]> {
    const policy = policyNamed(name);
    const violations: string[] = [];
    if (isStackPolicy(policy)) return violations; // judges whole stacks: runStackPolicy
    const args: ResourceValidationArgs = {
        type: resource.type,
        name: resource.name,
        urn: resource.urn ?? `urn:pulumi:test::gitlab-docker-delivery::${resource.type}::${resource.name}`,
        props: unknownCheckingProxy(unwrapSecrets(resource.props) as Record<string, unknown>),
        opts: policyOptions(resource),
        provider: resource.provider
            ? { type: resource.provider.type, props: resource.provider.props, urn: "urn:provider", name: "provider" }
            : undefined,
        stackTags: new Map(),
        isType: () => false,
        asType: () => undefined,
        getConfig: <T extends object>() => config as T,
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason ?? ""}`);
        },
    };
    const validations = Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validate of validations) {
        if (validate) await validate(args, (message: string) => violations.push(message));
    }
    return violations;
}

/**
 * Runs one of the pack's real `validateStack` functions on a stack, with the resources built the way the policy
 * server builds them (props behind its unknown-checking proxy; parent and property dependencies as resource
 * objects, looked up by URN), and returns the violations.
 */
export async function runStackPolicy(name: string, resources: readonly StackResource[], config: object = {}): Promise<string[]> {
    const policy = policyNamed(name);
    if (!isStackPolicy(policy)) throw new Error(`${name} is not a stack policy`);
    const byUrn = new Map<string, StackPolicyResource>();
    const built = resources.map((resource) => {
        const urnOf = resource.urn ?? urn("test", resource.type, resource.name);
        const policyResource: StackPolicyResource = {
            type: resource.type,
            name: resource.name,
            urn: urnOf,
            props: unknownCheckingProxy(unwrapSecrets(resource.props) as Record<string, unknown>),
            opts: policyOptions(resource),
            dependencies: [],
            propertyDependencies: {},
            isType: () => false,
            asType: () => undefined,
        };
        byUrn.set(urnOf, policyResource);
        return { resource, policyResource };
    });
    for (const { resource, policyResource } of built) {
        const parent = resource.options?.parent === undefined ? undefined : byUrn.get(resource.options.parent);
        if (parent) policyResource.parent = parent;
        for (const [property, urns] of Object.entries(resource.propertyDependencies ?? {})) {
            policyResource.propertyDependencies[property] = urns.flatMap((dependency) => byUrn.get(dependency) ?? []);
        }
    }
    const violations: string[] = [];
    await policy.validateStack({
        resources: built.map(({ policyResource }) => policyResource),
        getConfig: <T extends object>() => config as T,
        stackTags: new Map(),
        notApplicable: (reason?: string): never => {
            throw new Error(`notApplicable: ${reason ?? ""}`);
        },
    }, (message: string) => violations.push(message));
    return violations;
}

/** Runs every stack policy of the pack on a stack; returns `policy: message` lines, mandatory ones flagged. */
export async function runStackPack(resources: readonly StackResource[]): Promise<Array<{ policy: string; level: string; message: string }>> {
    const results: Array<{ policy: string; level: string; message: string }> = [];
    for (const policy of policies.filter(isStackPolicy)) {
        for (const message of await runStackPolicy(policy.name, resources)) {
            results.push({ policy: policy.name, level: policy.enforcementLevel ?? "advisory", message });
        }
    }
    return results;
}

/** Runs every policy of the pack on a resource; returns `policy: message` lines, mandatory ones flagged. */
export async function runPack(resource: PolicyResource): Promise<Array<{ policy: string; level: string; message: string }>> {
    const results: Array<{ policy: string; level: string; message: string }> = [];
    for (const policy of policies) {
        for (const message of await runPolicy(policy.name, resource)) {
            results.push({ policy: policy.name, level: policy.enforcementLevel ?? "advisory", message });
        }
    }
    return results;
}

export function urn(stack: string, type: string, name: string, parents: string[] = []): string {
    return `urn:pulumi:${stack}::gitlab-docker-delivery::${[...parents, type].join("$")}::${name}`;
}
