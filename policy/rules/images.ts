import { PolicyResource, asRecord, asString, isUnknown } from "./resource";

const DIGEST = /@sha256:[0-9a-f]{64}$/;
/**
 * A git commit sha as the whole tag (optionally `sha-<sha>`), or a content hash of the build context
 * (`src-<hash>`, the local stack's tag): both name exactly one build, unlike `latest` or `staging`.
 */
const SHA_TAG = /^(?:(?:sha|src)-)?[0-9a-f]{7,64}$/;

/**
 * Why an image reference is not immutable, or undefined when it is. Immutable means pinned by digest
 * (`repo@sha256:<64 hex>`, with or without a tag) or tagged with a git commit sha.
 */
export function mutableImageReason(ref: string): string | undefined {
    const trimmed = ref.trim();
    if (DIGEST.test(trimmed)) return undefined;
    if (trimmed.includes("@")) return "its digest is not a sha256 digest";
    const lastSegment = trimmed.slice(trimmed.lastIndexOf("/") + 1);
    const colon = lastSegment.lastIndexOf(":");
    if (colon < 0) return "it has neither a tag nor a digest, so Docker pulls the moving \"latest\"";
    const tag = lastSegment.slice(colon + 1);
    if (tag === "latest") return "\"latest\" moves with every push";
    if (!SHA_TAG.test(tag)) return `tag "${tag}" is not a commit sha and can be pushed again`;
    return undefined;
}

export const COMMAND_TYPES: readonly string[] = ["command:remote:Command", "command:local:Command"];
export const CONTAINER_TYPES: readonly string[] = ["docker:index/container:Container"];

/** Environment keys that carry the app image a host runs (the Compose bundle reads APP_IMAGE). */
export const IMAGE_ENVIRONMENT_KEYS: readonly string[] = ["APP_IMAGE", "IMAGE", "IMAGE_REF"];

/** `--image REF` / `--image=REF` arguments of the deploy program, in a shell command string. */
export function deployImageArguments(command: string): string[] {
    const refs: string[] = [];
    for (const match of command.matchAll(/--image(?:=|\s+)(["']?)([^\s"';|&]+)\1/g)) refs.push(match[2]);
    return refs;
}

/** Every image reference a resource would deploy, with where it was found. */
export function deployedImages(resource: PolicyResource): Array<{ where: string; ref: string }> {
    const found: Array<{ where: string; ref: string }> = [];
    const props = resource.props;
    if (COMMAND_TYPES.includes(resource.type)) {
        for (const field of ["create", "update"]) {
            const command = asString(props[field]);
            if (command) for (const ref of deployImageArguments(command)) found.push({ where: field, ref });
        }
        const environment = asRecord(props.environment) ?? {};
        for (const key of IMAGE_ENVIRONMENT_KEYS) {
            const ref = asString(environment[key]);
            if (ref) found.push({ where: `environment.${key}`, ref });
        }
    }
    if (CONTAINER_TYPES.includes(resource.type)) {
        const ref = asString(props.image);
        if (ref) found.push({ where: "image", ref });
    }
    return found;
}

/** Mandatory: hosts deploy images by digest or immutable sha tag, never `latest` or a moving tag. */
export function checkImmutableImages(resource: PolicyResource): string[] {
    const violations: string[] = [];
    for (const { where, ref } of deployedImages(resource)) {
        if (isUnknown(ref)) continue; // preview: the digest is computed by the build; `up` sees it
        const reason = mutableImageReason(ref);
        if (reason) violations.push(`${where} deploys image "${ref}": ${reason}; deploy repo@sha256:<digest> or a commit-sha tag`);
    }
    return violations;
}
