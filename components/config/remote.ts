// What staging and production share: the image repository and platforms, the registry and GitLab credentials, the
// host, HTTPS, and the AWS region. staging.ts and production.ts add their own keys on top.
import { isArmInstanceType } from "../checks";
import { ALLOWED_PLATFORMS, PULUMI_PROJECT, Platform } from "./keys";
import { validateHost } from "./host";
import type { RawConfig, Reader } from "./reader";
import { validateCommon, validateGitlabBaseUrl } from "./shared";
import { validateTls } from "./tls";
import { validateBackup } from "./backup";
import type { RemoteCommon, ValidateOptions } from "./types";

/** `aws:region` (or `AWS_REGION`), for a stack that creates AWS resources; `purpose` says which ones. */
export function validateAwsRegion(r: Reader, raw: RawConfig, env: Readonly<Record<string, string | undefined>>, purpose: string): string {
    const awsRegion = raw["aws:region"] ?? env.AWS_REGION ?? "";
    if (awsRegion === "") r.problems.push(`aws:region is required: ${purpose} (pulumi config set aws:region eu-central-1)`);
    else if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(awsRegion)) r.problems.push(`aws:region "${awsRegion}" is not an AWS region (e.g. eu-central-1)`);
    return awsRegion;
}

/** What needs AWS on each remote stack, as the aws:region problem tells it. */
export const EC2_HOST_REGION = "the AWS region of the hosts";
export const PROD_HOSTS_REGION = "prod creates its two GitLab runners on AWS (and the CI roles, unless you bring your own), also when hosts is set";

export function validateRemote(environment: "staging" | "production", stack: string, r: Reader, opts: ValidateOptions): RemoteCommon {
    const env = opts.env ?? {};
    const common = validateCommon(stack, r, opts);

    const imageRepository = r.required("imageRepository", "the registry repository images are pushed to, e.g. registry.gitlab.com/acme/gitlab-docker-delivery");
    if (imageRepository !== "" && (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/.test(imageRepository))) {
        r.problem("imageRepository", `"${imageRepository}" must be registry-host/path without tag or digest`);
    }

    const platformsRaw = r.stringList("platforms");
    const platforms = (platformsRaw.length > 0 ? platformsRaw : ["linux/amd64"]) as Platform[];
    platforms.forEach((p, i) => {
        if (!(ALLOWED_PLATFORMS as readonly string[]).includes(p)) r.problem(`platforms[${i}]`, `"${p}" is not supported; allowed: ${ALLOWED_PLATFORMS.join(", ")}`);
    });

    const host = validateHost(environment, r);
    // Only the EC2 host has a known architecture; the machines of `hosts` may run either.
    const neededPlatform: Platform = isArmInstanceType(host.instanceType) ? "linux/arm64" : "linux/amd64";
    if (host.hosts === undefined && !platforms.includes(neededPlatform)) {
        r.problem("platforms", `must include ${neededPlatform} because instanceType ${host.instanceType} runs ${neededPlatform} (set platforms to ["${neededPlatform}"])`);
    }

    const registryUsername = r.string("registryUsername") ?? env.CI_REGISTRY_USER ?? "";
    if (registryUsername === "") r.problem("registryUsername", "is required: a registry user allowed to push and read images (in CI: CI_REGISTRY_USER)");
    const registryPassword =
        r.secret("registryPassword", "the registry password or token (in CI: CI_REGISTRY_PASSWORD)", env.CI_REGISTRY_PASSWORD === undefined) ??
        env.CI_REGISTRY_PASSWORD ??
        "";

    const gitlabBaseUrl = validateGitlabBaseUrl(r);
    const gitlabToken = r.secret("gitlabToken", "a GitLab access token with api scope", env.GITLAB_TOKEN === undefined) ?? env.GITLAB_TOKEN ?? "";

    // Only staging builds. Prod never does (its bootstrap deploys nothing, and it promotes staging's digest, tagged
    // production-<gitCommit> when known, else production-<digest>), so it needs no commit.
    if (environment === "staging" && common.gitCommit === "") {
        r.problem("gitCommit", "is required on staging (or CI_COMMIT_SHA in CI): the image it builds is tagged with it");
    }

    return {
        ...common,
        host,
        gitlab: { baseUrl: gitlabBaseUrl, token: gitlabToken },
        imageRepository,
        platforms,
        registryUsername,
        registryPassword,
        tls: validateTls(r, host.hosts),
        backup: validateBackup(r, environment, host.hosts === undefined),
    };
}

/** The full name of another stack of this project, for the default StackReferences. */
export function stackPath(opts: ValidateOptions, stack: string): string {
    return `${opts.organization ?? "organization"}/${PULUMI_PROJECT}/${stack}`;
}
