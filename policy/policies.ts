import { Policies, PolicyResource as StackPolicyResource, ReportViolation, ResourceValidationArgs, StackValidationArgs } from "@pulumi/policy";
import {
    DEFAULT_ALLOWED_INSTANCE_TYPES,
    DEFAULT_ALLOWED_RUNNER_INSTANCE_TYPES,
    DEFAULT_PRODUCTION_ENVIRONMENTS,
    DEFAULT_PRODUCTION_STACKS,
    DEFAULT_PRODUCTION_TAG_VALUES,
    DEFAULT_DEPLOY_RUNNER_PATTERN,
    DEFAULT_PREVIEW_ROLE_PURPOSES,
    DEFAULT_PRODUCTION_ROLE_PURPOSES,
    PolicyResource,
    REQUIRED_TAGS,
    StackResource,
    checkDeployRunner,
    checkEbsEncryption,
    checkBackupBucket,
    checkImdsV2,
    checkImmutableImages,
    checkInstanceType,
    checkMergeRequestRunnerUntrusted,
    checkNoSecretLiterals,
    checkOidcTrust,
    checkReleaseTagsProtected,
    checkProductionApprovals,
    checkProductionProtection,
    checkRequiredTags,
    checkSecretVariables,
    checkWorldIngress,
} from "./rules";

/**
 * `@pulumi/policy` wraps props in a proxy that throws when a policy reads a value unknown at preview, which
 * would skip the whole policy for that resource (and report it as "can't run during preview"). The rules
 * read the raw object instead and skip only the unknown values themselves.
 */
const PROXY_TARGET = "__getSpecialProxyTarget";

function rawProps(props: Record<string, unknown>): Record<string, unknown> {
    return (props[PROXY_TARGET] as Record<string, unknown> | undefined) ?? props;
}

/** Builds the plain view the rules judge from what the policy engine hands a validation. */
export function toPolicyResource(args: ResourceValidationArgs): PolicyResource {
    return {
        type: args.type,
        name: args.name,
        urn: args.urn,
        props: rawProps(args.props),
        options: {
            protect: args.opts?.protect,
            additionalSecretOutputs: args.opts?.additionalSecretOutputs,
            parent: args.opts?.parent,
        },
        provider: args.provider ? { type: args.provider.type, props: args.provider.props } : undefined,
    };
}

/** Builds the plain view a stack rule judges from one resource of `validateStack`: outputs, and URNs for links. */
export function toStackResource(resource: StackPolicyResource): StackResource {
    return {
        type: resource.type,
        name: resource.name,
        urn: resource.urn,
        props: rawProps(resource.props),
        options: { protect: resource.opts?.protect, parent: resource.parent?.urn ?? resource.opts?.parent },
        propertyDependencies: Object.fromEntries(Object.entries(resource.propertyDependencies ?? {})
            .map(([property, dependencies]) => [property, dependencies.map((dependency) => dependency.urn)])),
    };
}

/** Adapts a pure stack rule to `validateStack`: every message it returns becomes one violation. */
function judgeStack<C extends object = object>(rule: (resources: StackResource[], config: C) => string[]) {
    return (args: StackValidationArgs, reportViolation: ReportViolation): void => {
        for (const message of rule(args.resources.map(toStackResource), args.getConfig<C>())) reportViolation(message);
    };
}

/** Adapts a pure rule to `validateResource`: every message it returns becomes one violation. */
function judge<C extends object>(rule: (resource: PolicyResource, config: C) => string[]) {
    return (args: ResourceValidationArgs, reportViolation: ReportViolation): void => {
        for (const message of rule(toPolicyResource(args), args.getConfig<C>())) reportViolation(message);
    };
}

interface ProductionStacksConfig { productionStacks?: string[]; productionEnvironmentTags?: string[] }
interface ApprovalsConfig { productionEnvironments?: string[]; minimumApprovals?: number }
interface InstanceTypesConfig { allowedInstanceTypes?: Record<string, string[]>; allowedRunnerInstanceTypes?: string[] }
interface TagsConfig { requiredTags?: string[] }
interface OidcTrustConfig { previewRolePurposes?: string[]; productionRolePurposes?: string[] }
interface DeployRunnerConfig { deployRunnerPattern?: string }

const stringList = { type: "array" as const, items: { type: "string" as const } };

export const policies: Policies = [
    {
        name: "no-world-ingress-except-web",
        description: "No security-group ingress from the world (any prefix shorter than /8) except TCP 80 and 443; SSH (22) never; no prefix list on every port.",
        enforcementLevel: "mandatory",
        validateResource: judge(checkWorldIngress),
    },
    {
        name: "ec2-imdsv2-required",
        description: "EC2 instances and launch templates require IMDSv2 (metadataOptions.httpTokens = required).",
        enforcementLevel: "mandatory",
        validateResource: judge(checkImdsV2),
    },
    {
        name: "ebs-encrypted",
        description: "Root block devices, EBS block devices and EBS volumes are encrypted.",
        enforcementLevel: "mandatory",
        validateResource: judge(checkEbsEncryption),
    },
    {
        name: "gitlab-secret-variables-masked-protected",
        description: "GitLab CI variables holding secrets are masked and protected.",
        enforcementLevel: "mandatory",
        validateResource: judge(checkSecretVariables),
    },
    {
        name: "no-secret-literals",
        description: "No secret-looking literal (GitLab/AWS tokens, private keys, password=...) in a resource input the provider does not keep secret.",
        enforcementLevel: "mandatory",
        validateResource: judge(checkNoSecretLiterals),
    },
    {
        name: "production-environment-approvals",
        description: "Premium/Ultimate: the protected production environment requires at least one approval. Every tier (Free has no protected environments): CI variables scoped to production are protected.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                productionEnvironments: { ...stringList, default: [...DEFAULT_PRODUCTION_ENVIRONMENTS] },
                minimumApprovals: { type: "integer", minimum: 1, default: 1 },
            },
        },
        validateResource: judge<ApprovalsConfig>((resource, config) =>
            checkProductionApprovals(resource, config.productionEnvironments ?? DEFAULT_PRODUCTION_ENVIRONMENTS,
                config.minimumApprovals ?? 1)),
    },
    {
        name: "immutable-image-references",
        description: "Hosts deploy images by digest or commit-sha tag, never latest or another moving tag.",
        enforcementLevel: "mandatory",
        validateResource: judge(checkImmutableImages),
    },
    {
        name: "production-data-protected",
        description: "In production (Environment tag, or a production stack name), EBS data volumes and Compose host instances carry protect: true.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                productionStacks: { ...stringList, default: [...DEFAULT_PRODUCTION_STACKS] },
                productionEnvironmentTags: { ...stringList, default: [...DEFAULT_PRODUCTION_TAG_VALUES] },
            },
        },
        validateResource: judge<ProductionStacksConfig>((resource, config) =>
            checkProductionProtection(resource, config.productionStacks ?? DEFAULT_PRODUCTION_STACKS,
                config.productionEnvironmentTags ?? DEFAULT_PRODUCTION_TAG_VALUES)),
    },
    {
        name: "oidc-role-exact-subjects",
        description: "IAM roles assumed through OIDC check aud and sub; deploy roles name exact subjects (no ref:*; a wildcard only in a release tag pattern such as ref_type:tag:ref:v*); production roles trust release tags only, never a branch.",
        enforcementLevel: "mandatory",
        configSchema: {
            properties: {
                previewRolePurposes: { ...stringList, default: [...DEFAULT_PREVIEW_ROLE_PURPOSES] },
                productionRolePurposes: { ...stringList, default: [...DEFAULT_PRODUCTION_ROLE_PURPOSES] },
            },
        },
        validateResource: judge<OidcTrustConfig>((resource, config) =>
            checkOidcTrust(resource, config.previewRolePurposes ?? DEFAULT_PREVIEW_ROLE_PURPOSES,
                config.productionRolePurposes ?? DEFAULT_PRODUCTION_ROLE_PURPOSES)),
    },
    {
        name: "release-tags-protected",
        description: "Stack-wide: a deploy role that trusts GitLab jobs of tags (ref_type:tag:ref:<pattern>) trusts only tag patterns the same stack protects with a TagProtection for maintainers (or no one).",
        enforcementLevel: "mandatory",
        configSchema: { properties: { previewRolePurposes: { ...stringList, default: [...DEFAULT_PREVIEW_ROLE_PURPOSES] } } },
        validateStack: judgeStack<OidcTrustConfig>((resources, config) =>
            checkReleaseTagsProtected(resources, config.previewRolePurposes ?? DEFAULT_PREVIEW_ROLE_PURPOSES)),
    },
    {
        name: "deploy-runner-protected-unprivileged",
        description: "The deploy runner takes protected refs only (ref_protected) and its host runs no privileged containers, nor any part of privileged mode.",
        enforcementLevel: "mandatory",
        configSchema: { properties: { deployRunnerPattern: { type: "string", default: DEFAULT_DEPLOY_RUNNER_PATTERN } } },
        validateResource: judge<DeployRunnerConfig>((resource, config) =>
            checkDeployRunner(resource, config.deployRunnerPattern ?? DEFAULT_DEPLOY_RUNNER_PATTERN)),
    },
    {
        name: "merge-request-runner-untrusted",
        description: "No security group admits traffic, on any port, from the security group or address of a runner that takes merge-request jobs (accessLevel other than ref_protected).",
        enforcementLevel: "mandatory",
        validateStack: judgeStack(checkMergeRequestRunnerUntrusted),
    },
    {
        name: "backup-bucket-hardened",
        description: "Every backup bucket (Purpose database-backups) is versioned, encrypted by default, blocked from public access, and refuses requests without TLS.",
        enforcementLevel: "mandatory",
        validateStack: judgeStack(checkBackupBucket),
    },
    {
        name: "allowed-instance-types",
        description: "EC2 instance types come from the allowed list of their stack (app hosts) or the runner list (runner hosts).",
        enforcementLevel: "advisory",
        configSchema: {
            properties: {
                allowedInstanceTypes: {
                    type: "object",
                    additionalProperties: stringList,
                    default: Object.fromEntries(Object.entries(DEFAULT_ALLOWED_INSTANCE_TYPES).map(([k, v]) => [k, [...v]])),
                },
                allowedRunnerInstanceTypes: { ...stringList, default: [...DEFAULT_ALLOWED_RUNNER_INSTANCE_TYPES] },
            },
        },
        validateResource: judge<InstanceTypesConfig>((resource, config) =>
            checkInstanceType(resource, config.allowedInstanceTypes ?? DEFAULT_ALLOWED_INSTANCE_TYPES,
                config.allowedRunnerInstanceTypes ?? DEFAULT_ALLOWED_RUNNER_INSTANCE_TYPES)),
    },
    {
        name: "required-tags",
        description: "Every AWS resource that takes tags carries Project, Stack and ManagedBy (own or provider default tags).",
        enforcementLevel: "advisory",
        configSchema: { properties: { requiredTags: { ...stringList, default: [...REQUIRED_TAGS] } } },
        validateResource: judge<TagsConfig>((resource, config) =>
            checkRequiredTags(resource, config.requiredTags ?? REQUIRED_TAGS)),
    },
];
