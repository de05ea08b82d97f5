import { INSTANCE } from "./compute";
import { PolicyResource, ancestorTypes, asArray, asRecord, asString, isUnknown } from "./resource";

export const USER_RUNNER = "gitlab:index/userRunner:UserRunner";

/** What marks a deploy runner: a runner tag, its description, or the runner host's name or tags containing this. */
export const DEFAULT_DEPLOY_RUNNER_PATTERN = "deploy";

/** The ways the runner host's boot script (components/runner/userData.ts) or a config.toml turn privileged mode on. */
const PRIVILEGED_ON = /(?:\bPRIVILEGED=(["']?)true\1|--docker-privileged(?:=|\s+)(["']?)true\2|\bprivileged\s*=\s*true)/i;

function matches(pattern: string, ...values: unknown[]): boolean {
    const re = new RegExp(pattern, "i");
    return values.some((value) => typeof value === "string" && !isUnknown(value) && re.test(value));
}

/** True when a GitLab runner is the deploy runner (by its tags or description). */
export function isDeployRunner(resource: PolicyResource, pattern = DEFAULT_DEPLOY_RUNNER_PATTERN): boolean {
    return resource.type === USER_RUNNER && matches(pattern, ...asArray(resource.props.tagLists), resource.props.description);
}

/**
 * Mandatory: the runner that takes deploy jobs runs protected refs only (`accessLevel: ref_protected`), so no
 * merge request's job ever lands on it; and its host runs job containers unprivileged, so a job that does land
 * there cannot take the host (and with it the SSH access production grants that host).
 */
export function checkDeployRunner(resource: PolicyResource, pattern = DEFAULT_DEPLOY_RUNNER_PATTERN): string[] {
    if (isDeployRunner(resource, pattern)) {
        const access = resource.props.accessLevel;
        if (access === "ref_protected" || isUnknown(access)) return [];
        return [`deploy runner (tags ${JSON.stringify(asArray(resource.props.tagLists))}) has accessLevel ` +
            `${JSON.stringify(access ?? "unset")}; it must be "ref_protected" so that only protected branches and tags run on it, ` +
            `never a merge request's job`];
    }
    const isRunnerHost = resource.type === INSTANCE && ancestorTypes(resource).some((type) => type.startsWith("cicd:runner:"));
    if (!isRunnerHost) return [];
    const tags = asRecord(resource.props.tags) ?? {};
    if (!matches(pattern, resource.name, ...Object.values(tags))) return [];
    const userData = asString(resource.props.userData);
    if (userData === undefined || isUnknown(userData) || !PRIVILEGED_ON.test(userData)) return [];
    return [`deploy runner host "${resource.name}" runs privileged job containers (its user data turns privileged mode on); ` +
        "a deploy runner is never privileged: a job there could take the host and the SSH access production grants it"];
}
