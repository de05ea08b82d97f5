import { PolicyResource, asRecord, isUnknown } from "./resource";

export const REQUIRED_TAGS: readonly string[] = ["Project", "Stack", "ManagedBy"];

/**
 * AWS resource types this project creates (or may) that accept `tags`. Any other `aws:` resource whose
 * inputs carry a `tags` map is judged as well.
 */
export const TAGGABLE_AWS_TYPES: readonly string[] = [
    "aws:ec2/instance:Instance",
    "aws:ec2/securityGroup:SecurityGroup",
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    "aws:ec2/eip:Eip",
    "aws:ebs/volume:Volume",
    "aws:ec2/keyPair:KeyPair",
    "aws:ec2/launchTemplate:LaunchTemplate",
    "aws:iam/role:Role",
    "aws:iam/instanceProfile:InstanceProfile",
    "aws:iam/policy:Policy",
    "aws:ssm/parameter:Parameter",
    "aws:s3/bucket:Bucket",
    "aws:s3/bucketV2:BucketV2",
    "aws:ecr/repository:Repository",
    "aws:cloudwatch/logGroup:LogGroup",
    "aws:kms/key:Key",
];

/** AWS provider `defaultTags` as inputs (an object) or as stack config (a JSON string). */
export function providerDefaultTags(resource: PolicyResource): Record<string, unknown> {
    let defaults: unknown = resource.provider?.props.defaultTags;
    if (typeof defaults === "string") {
        try {
            defaults = JSON.parse(defaults);
        } catch {
            return {};
        }
    }
    if (Array.isArray(defaults)) defaults = defaults[0];
    return asRecord(asRecord(defaults)?.tags) ?? {};
}

/** Advisory: every taggable AWS resource carries Project, Stack and ManagedBy (its own or the provider's default tags). */
export function checkRequiredTags(resource: PolicyResource, required: readonly string[] = REQUIRED_TAGS): string[] {
    if (!resource.type.startsWith("aws:") || isUnknown(resource.props.tags)) return [];
    const own = asRecord(resource.props.tags);
    if (!own && !TAGGABLE_AWS_TYPES.includes(resource.type)) return [];
    const effective = { ...providerDefaultTags(resource), ...(own ?? {}) };
    const missing = required.filter((tag) => typeof effective[tag] !== "string" || effective[tag] === "");
    if (missing.length === 0) return [];
    return [`missing tag(s) ${missing.join(", ")}; set them on the resource or in the AWS provider's defaultTags`];
}
