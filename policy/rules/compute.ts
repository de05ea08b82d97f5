import { ALLOWED_INSTANCE_TYPES, STACK_ENVIRONMENTS } from "../../components/config/keys";
import { PolicyResource, ancestorTypes, anyUnknown, asArray, asRecord, asString, isUnknown, stackOf } from "./resource";
import { providerDefaultTags } from "./tags";

export const INSTANCE = "aws:ec2/instance:Instance";
export const LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate";
export const VOLUME = "aws:ebs/volume:Volume";

/** True, or not known until `up` (judged then). */
function isTrue(value: unknown): boolean {
    return value === true || value === "true" || isUnknown(value);
}

/** Mandatory: instances (and launch templates) only answer IMDSv2, token-protected metadata requests. */
export function checkImdsV2(resource: PolicyResource): string[] {
    if (resource.type !== INSTANCE && resource.type !== LAUNCH_TEMPLATE) return [];
    const options = resource.props.metadataOptions;
    const tokens = asRecord(options)?.httpTokens;
    if (tokens === "required" || anyUnknown(options, tokens)) return [];
    return [`metadataOptions.httpTokens is ${JSON.stringify(tokens ?? "unset")}; IMDSv2 needs "required" so that a ` +
        `request forged through the app (SSRF) cannot read the instance role's credentials`];
}

/** Mandatory: root block devices, extra EBS block devices and EBS volumes are encrypted. */
export function checkEbsEncryption(resource: PolicyResource): string[] {
    const props = resource.props;
    const violations: string[] = [];
    if (resource.type === VOLUME) {
        if (!isTrue(props.encrypted)) violations.push("encrypted must be true on every EBS volume");
    } else if (resource.type === INSTANCE) {
        const root = asRecord(props.rootBlockDevice);
        if (!isUnknown(props.rootBlockDevice) && (!root || !isTrue(root.encrypted))) {
            violations.push("rootBlockDevice.encrypted must be true (set rootBlockDevice: { encrypted: true, ... })");
        }
        asArray(props.ebsBlockDevices).forEach((device, index) => {
            if (!isUnknown(device) && !isTrue(asRecord(device)?.encrypted)) violations.push(`ebsBlockDevices[${index}].encrypted must be true`);
        });
    } else if (resource.type === LAUNCH_TEMPLATE) {
        asArray(props.blockDeviceMappings).forEach((mapping, index) => {
            const ebs = asRecord(asRecord(mapping)?.ebs);
            if (ebs && !isTrue(ebs.encrypted)) violations.push(`blockDeviceMappings[${index}].ebs.encrypted must be true`);
        });
    }
    return violations;
}

/**
 * Instance types each stack may use, keyed by stack name; a stack not listed is not restricted. The lists
 * are the program's own (components/config/keys.ts), so config validation and the pack never disagree.
 */
export const DEFAULT_ALLOWED_INSTANCE_TYPES: Readonly<Record<string, readonly string[]>> = Object.fromEntries(
    Object.entries(STACK_ENVIRONMENTS)
        .filter(([, environment]) => environment === "staging" || environment === "production")
        .map(([stack, environment]) => [stack, ALLOWED_INSTANCE_TYPES[environment as "staging" | "production"]]),
);

/** Instance types a CI runner host may use, in any stack: it builds images, so it is sized apart from the app hosts. */
export const DEFAULT_ALLOWED_RUNNER_INSTANCE_TYPES: readonly string[] = [
    "t3.small", "t3.medium", "t3.large", "t3a.small", "t3a.medium", "t3a.large",
    "t4g.small", "t4g.medium", "t4g.large", "m7i.large", "m7g.large", "c7i.large", "c7g.large",
];

/**
 * Advisory: an instance's type is on its allowed list (cost and capacity control). Runner hosts (inside a
 * `cicd:runner:*` component) are judged against the runner list; every other instance against its stack's list.
 */
export function checkInstanceType(
    resource: PolicyResource,
    allowedByStack: Readonly<Record<string, readonly string[]>> = DEFAULT_ALLOWED_INSTANCE_TYPES,
    allowedForRunners: readonly string[] = DEFAULT_ALLOWED_RUNNER_INSTANCE_TYPES,
): string[] {
    if (resource.type !== INSTANCE && resource.type !== LAUNCH_TEMPLATE) return [];
    const instanceType = asString(resource.props.instanceType);
    if (instanceType === undefined || isUnknown(instanceType)) return [];
    const stack = stackOf(resource);
    const isRunner = ancestorTypes(resource).some((type) => type.startsWith("cicd:runner:"));
    const allowed = isRunner ? allowedForRunners : stack === undefined ? undefined : allowedByStack[stack];
    if (!allowed || allowed.includes(instanceType)) return [];
    const scope = isRunner ? "for a runner host" : `in stack "${stack}"`;
    return [`instanceType "${instanceType}" is not allowed ${scope}; allowed: ${allowed.join(", ")}`];
}

/** Stacks whose data must survive a mistaken `pulumi destroy` or replacement, whatever environment they name. */
export const DEFAULT_PRODUCTION_STACKS: readonly string[] = ["prod", "production"];

/** Values of the `Environment` tag (the host components set it from the configured environment) that are production. */
export const DEFAULT_PRODUCTION_TAG_VALUES: readonly string[] = ["production"];

/**
 * Why a resource counts as production, or undefined. The configured environment decides, not the stack's name:
 * a stack called `acme-live` with `environment: production` tags its resources `Environment=production` (its
 * own tags or the provider's default tags). A stack listed by name counts as well.
 */
export function productionReason(
    resource: PolicyResource,
    productionStacks: readonly string[] = DEFAULT_PRODUCTION_STACKS,
    productionTagValues: readonly string[] = DEFAULT_PRODUCTION_TAG_VALUES,
): string | undefined {
    const own = asRecord(resource.props.tags) ?? {};
    const environment = asString(own.Environment) ?? asString(providerDefaultTags(resource).Environment);
    if (environment !== undefined && !isUnknown(environment) && productionTagValues.includes(environment)) {
        return `environment "${environment}"`;
    }
    const stack = stackOf(resource);
    return stack !== undefined && productionStacks.includes(stack) ? `production stack "${stack}"` : undefined;
}

/**
 * Mandatory: in production every EBS volume (the database lives on one) and every instance that belongs to a
 * Compose host component (`cicd:host:*`) carries the `protect` resource option.
 */
export function checkProductionProtection(
    resource: PolicyResource,
    productionStacks: readonly string[] = DEFAULT_PRODUCTION_STACKS,
    productionTagValues: readonly string[] = DEFAULT_PRODUCTION_TAG_VALUES,
): string[] {
    const isDataVolume = resource.type === VOLUME;
    const isHost = resource.type === INSTANCE && ancestorTypes(resource).some((type) => type.startsWith("cicd:host:"));
    if (!isDataVolume && !isHost) return [];
    const reason = productionReason(resource, productionStacks, productionTagValues);
    if (reason === undefined || resource.options?.protect === true) return [];
    return [`${isDataVolume ? "the data volume" : "the host"} in ${reason} must be created with ` +
        `the resource option protect: true, so that destroy or a replacement cannot delete it by accident`];
}
