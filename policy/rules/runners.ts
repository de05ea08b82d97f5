import { INSTANCE, LAUNCH_TEMPLATE } from "./compute";
import { SECURITY_GROUP, ingressSources } from "./network";
import { PolicyResource, StackResource, ancestorTypes, asArray, asRecord, asString, decodeBase64, isUnknown, label } from "./resource";

export const USER_RUNNER = "gitlab:index/userRunner:UserRunner";

/** What marks a deploy runner: a runner tag, its description, or the runner host's name or tags containing this. */
export const DEFAULT_DEPLOY_RUNNER_PATTERN = "deploy";

/** The ways the runner host's boot script (components/runner/userData.ts) or a config.toml turn privileged mode on. */
const PRIVILEGED_ON = /(?:\bPRIVILEGED=(["']?)true\1|--docker-privileged(?:=|\s+)(["']?)true\2|\bprivileged\s*=\s*true)/i;

/**
 * Runner settings that give containers part of what privileged mode gives: services run privileged, added
 * capabilities or host devices, unmasked /proc and /sys, or any security option on the job containers. The deploy
 * runner needs none of them: its one option, seccomp=unconfined for service containers (the rootless BuildKit
 * service), is not among them.
 */
const WIDENED: readonly { readonly pattern: RegExp; readonly what: string }[] = [
    { pattern: /(?:--docker-services-privileged(?:=|\s+)(["']?)true\1|\bservices_privileged\s*=\s*true)/i, what: "privileged service containers" },
    { pattern: /(?:--docker-cap-add\b|\bcap_add\s*=\s*\[\s*["'])/i, what: "added capabilities" },
    { pattern: /(?:--docker-devices\b|\bdevices\s*=\s*\[\s*["'])/i, what: "host devices" },
    { pattern: /systempaths[=:]unconfined/i, what: "unmasked /proc and /sys (systempaths=unconfined)" },
    { pattern: /(?:--docker-security-opt\b|^\s*security_opt\s*=)/im, what: "security options on job containers" },
];

function matches(pattern: string, ...values: unknown[]): boolean {
    const re = new RegExp(pattern, "i");
    return values.some((value) => typeof value === "string" && !isUnknown(value) && re.test(value));
}

/**
 * A runner host's boot script as text: an instance's `userData` or `userDataBase64`, or a launch template's
 * `userData`, which EC2 takes base64-encoded (an autoscaled runner fleet boots from one). Unknown values pass through;
 * text that is not base64 is undefined (EC2 refuses it: nothing boots from it).
 */
function bootScript(resource: PolicyResource): string | undefined {
    const plain = resource.type === INSTANCE ? asString(resource.props.userData) : undefined;
    if (plain !== undefined) return plain;
    const encoded = asString(resource.type === INSTANCE ? resource.props.userDataBase64 : resource.props.userData);
    if (encoded === undefined || isUnknown(encoded)) return encoded;
    return decodeBase64(encoded);
}

/** True when a GitLab runner is the deploy runner (by its tags or description). */
export function isDeployRunner(resource: PolicyResource, pattern = DEFAULT_DEPLOY_RUNNER_PATTERN): boolean {
    return resource.type === USER_RUNNER && matches(pattern, ...asArray(resource.props.tagLists), resource.props.description);
}

/**
 * Mandatory: the runner that takes deploy jobs runs protected refs only (`accessLevel: ref_protected`), so no
 * merge request's job ever lands on it; and its host runs job and service containers unprivileged, with none of
 * privileged mode's parts either, so a job that does land there cannot take the host (and with it the SSH access
 * production grants that host).
 */
export function checkDeployRunner(resource: PolicyResource, pattern = DEFAULT_DEPLOY_RUNNER_PATTERN): string[] {
    if (isDeployRunner(resource, pattern)) {
        const access = resource.props.accessLevel;
        if (access === "ref_protected" || isUnknown(access)) return [];
        return [`deploy runner (tags ${JSON.stringify(asArray(resource.props.tagLists))}) has accessLevel ` +
            `${JSON.stringify(access ?? "unset")}; it must be "ref_protected" so that only protected branches and tags run on it, ` +
            `never a merge request's job`];
    }
    const isRunnerHost = (resource.type === INSTANCE || resource.type === LAUNCH_TEMPLATE) &&
        ancestorTypes(resource).some((type) => type.startsWith("cicd:runner:"));
    if (!isRunnerHost) return [];
    const tags = asRecord(resource.props.tags) ?? {};
    if (!matches(pattern, resource.name, ...Object.values(tags))) return [];
    const userData = bootScript(resource);
    if (userData === undefined || isUnknown(userData)) return [];
    const violations: string[] = [];
    if (PRIVILEGED_ON.test(userData)) {
        violations.push(`deploy runner host "${resource.name}" runs privileged job containers (its user data turns privileged mode on); ` +
            "a deploy runner is never privileged: a job there could take the host and the SSH access production grants it");
    }
    const widened = WIDENED.filter(({ pattern }) => pattern.test(userData)).map(({ what }) => what);
    if (widened.length > 0) {
        violations.push(`deploy runner host "${resource.name}" gives its containers ${widened.join(", ")}; a deploy runner gives none ` +
            "(its jobs build on rootless BuildKit, whose service container needs only seccomp=unconfined): each is part of privileged mode");
    }
    return violations;
}

/** True for a runner that takes jobs of unprotected refs, merge requests' among them (GitLab's default is not_protected). */
export function takesMergeRequestJobs(resource: PolicyResource): boolean {
    const access = resource.props.accessLevel;
    return resource.type === USER_RUNNER && !isUnknown(access) && access !== "ref_protected";
}

/** What identifies one merge-request runner's host on the network: its security groups and addresses. */
interface UntrustedRunner {
    readonly name: string;
    /** URNs of its host instances and security groups. */
    readonly urns: ReadonlySet<string>;
    readonly groupIds: ReadonlySet<string>;
    readonly cidrs: ReadonlySet<string>;
}

function known(value: unknown): value is string {
    return typeof value === "string" && value !== "" && !isUnknown(value);
}

function dependsOn(resource: StackResource, properties: readonly string[], urns: ReadonlySet<string>): boolean {
    return properties.some((property) => (resource.propertyDependencies?.[property] ?? []).some((urn) => urns.has(urn)));
}

/**
 * The merge-request runners of a stack. A runner's host and security groups are the resources registered beside
 * its `UserRunner` (children of the same component, as components/runner registers them), plus every group the
 * host wears, matched by id or, while ids are unknown, by the host's dependencies.
 */
function untrustedRunners(resources: readonly StackResource[]): UntrustedRunner[] {
    const groups = resources.filter((r) => r.type === SECURITY_GROUP);
    return resources.filter(takesMergeRequestJobs).flatMap((runner) => {
        const parent = runner.options?.parent;
        if (parent === undefined) return [];
        const siblings = resources.filter((r) => r.options?.parent === parent);
        const hosts = siblings.filter((r) => r.type === INSTANCE);
        const worn = groups.filter((group) => hosts.some((host) =>
            dependsOn(host, ["vpcSecurityGroupIds", "securityGroups"], new Set([group.urn ?? ""])) ||
            (known(group.props.id) && [...asArray(host.props.vpcSecurityGroupIds), ...asArray(host.props.securityGroups)].includes(group.props.id))));
        const ownGroups = [...siblings.filter((r) => r.type === SECURITY_GROUP), ...worn];
        const addresses = hosts.flatMap((host) => [host.props.privateIp, host.props.publicIp]).filter(known);
        return [{
            name: parent.split("::").pop() ?? runner.name,
            urns: new Set([...hosts, ...ownGroups].map((r) => r.urn ?? "")),
            groupIds: new Set(ownGroups.map((group) => group.props.id).filter(known)),
            cidrs: new Set(addresses.map((ip) => `${ip}/32`)),
        }];
    });
}

/**
 * Mandatory, stack-wide: no security group admits traffic, on any port, from a runner that takes merge-request
 * jobs, whether by that runner's security group or by its host's address. Code a merge request controls runs
 * there (privileged), so a host that trusts it trusts every branch author; hosts admit the deploy runner only.
 */
export function checkMergeRequestRunnerUntrusted(resources: readonly StackResource[]): string[] {
    const violations: string[] = [];
    for (const runner of untrustedRunners(resources)) {
        for (const resource of resources) {
            if (runner.urns.has(resource.urn ?? "")) continue; // its own groups may admit themselves
            const found: string[] = [];
            for (const sources of ingressSources(resource)) {
                const target = sources.targetGroupId;
                if ((known(target) && runner.groupIds.has(target)) || dependsOn(resource, ["securityGroupId"], runner.urns)) continue;
                const groups = sources.securityGroups.filter((id) => runner.groupIds.has(id));
                const cidrs = sources.cidrs.filter((cidr) => runner.cidrs.has(cidr));
                if (groups.length + cidrs.length > 0) {
                    found.push(`${sources.where} admits ${[...groups.map((id) => `its security group ${id}`), ...cidrs.map((c) => `its address ${c}`)].join(" and ")}`);
                } else if (found.length === 0 && dependsOn(resource, sources.sourceProperties, runner.urns)) {
                    found.push(`${sources.where} takes its source from the runner's host or security group`);
                }
            }
            for (const what of found) {
                violations.push(`${label(resource)}: ${what} of the merge-request runner "${runner.name}". Merge-request jobs run ` +
                    "there, so no host may trust it on any port; admit the deploy runner's security group (accessLevel ref_protected) instead");
            }
        }
    }
    return violations;
}
