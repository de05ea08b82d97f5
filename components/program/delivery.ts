// The prod and staging stacks' wiring of what #12 and #18 added: the CI roles, the GitLab tier, the image
// repository check, and the read of staging. Kept out of index.ts so that it stays a table of contents.
import * as pulumi from "@pulumi/pulumi";
import { FREE_TIER_LOSSES, ProductionConfig } from "../config";
import { OidcRoles } from "../ci";
import { DEFAULT_BRANCH, ReleaseTags } from "../gitlab";
import { StackContract, StagingStackOutputs } from "./stackOutputs";
import { DEFAULT_RUNNER_TAGS, DEPLOY_RUNNER_TAGS, ROOTLESS_BUILDKIT_SERVICE_SECURITY_OPT, Runner } from "../runner";

/** The role ARNs the project's CI variables carry: the user's own, or those of the roles this stack creates. */
export interface CiRoleArns {
    readonly preview: pulumi.Input<string>;
    readonly staging: pulumi.Input<string>;
    readonly production: pulumi.Input<string>;
}

/**
 * The CI roles: the user's (config `awsPreviewRoleArn`, `awsStagingRoleArn`, `awsProductionRoleArn`), or an
 * `OidcRoles` trusting exactly this project. `projectPath` comes from the project, so it is created first and the
 * roles' ARNs reach it as variables afterwards (`ciRoleVariables`). Either way the release tags (config
 * `releaseTagPattern`) are protected here: the production role trusts only them, so who may create them is who may
 * start a production deploy.
 */
export function ciRoles(config: ProductionConfig, issuerUrl: string, projectPath: pulumi.Input<string>, opts: pulumi.ComponentResourceOptions): CiRoleArns {
    const releaseTagPattern = config.delivery.releaseTagPattern;
    new ReleaseTags("release-tags", { project: projectPath, pattern: releaseTagPattern }, opts);
    const own = config.delivery.ciRoles;
    if (own !== undefined) return own;
    const roles = new OidcRoles("ci-roles", {
        issuerUrl,
        projectPath,
        defaultBranch: DEFAULT_BRANCH,
        releaseTagPattern,
        existingProviderArn: config.delivery.awsOidcProviderArn,
        stagingStack: config.stagingStack.split("/").pop(),
    }, opts);
    return roles.roleArns;
}

/** On GitLab Free: one warning naming what production loses, also returned for the `gitlabTierWarning` output. */
export function tierWarning(config: ProductionConfig): string | undefined {
    if (config.delivery.gitlabTier !== "free") return undefined;
    pulumi.log.warn(FREE_TIER_LOSSES);
    return FREE_TIER_LOSSES;
}

/**
 * `configured` (config `imageRepository`) checked against the repository the project's registry really has. A
 * mismatch fails every resource that takes the result, before anything is pushed or tagged: staging would push
 * where the hosts' deploy token cannot pull.
 */
export function checkedRepository(configured: string, actual: pulumi.Input<string>, source: string): pulumi.Output<string> {
    return pulumi.output(actual).apply((repository) => {
        if (repository !== undefined && repository !== configured) {
            throw new Error(
                `imageRepository is ${configured}, but the project's registry is ${repository} (${source}): ` +
                    `set it with \`pulumi config set imageRepository ${repository}\``,
            );
        }
        return configured;
    });
}

/**
 * Reads `name` from the staging stack. A missing output means staging is gone (destroyed, or never deployed), and
 * the message says so once, with the ways forward, instead of the engine's bare "required output not found".
 */
export function stagingOutput(staging: StackContract<StagingStackOutputs>, name: keyof StagingStackOutputs): pulumi.Output<string> {
    return staging.get(name).apply((value) => {
        if (value === undefined || value === "") {
            throw new Error(
                `the staging stack ${staging.stackName} has no output "${name}": staging is destroyed or was never deployed. ` +
                    "Production deploys only what staging built and tested: deploy staging again (the deploy_staging job), " +
                    "or set imageRef on prod to a digest staging built earlier (`pulumi config set imageRef <repo>:<sha>@sha256:<digest> -s prod`).",
            );
        }
        return value;
    });
}

/**
 * Two runners, so that code a merge request controls never runs where deploy credentials or production's SSH
 * trust live: `deploy` takes jobs of protected refs only (`ref_protected`), is not privileged (its jobs build the
 * image with a rootless BuildKit service, whose container alone gets the seccomp option it needs), and its security
 * group is the one the hosts let in on port 22; `mergeRequests` runs everything else (privileged, for Docker-in-
 * Docker) and no host trusts it.
 */
export function runners(config: ProductionConfig, projectId: pulumi.Input<string>, gitlabUrl: string, tags: Record<string, string>, opts: pulumi.ComponentResourceOptions) {
    const instance = { instanceType: config.runnerInstanceType, subnetId: config.host.subnetId, amiId: config.delivery.runnerAmiId, tags };
    const deploy = new Runner("runner-deploy", {
        gitlab: { projectId, url: gitlabUrl, tags: [...DEPLOY_RUNNER_TAGS], accessLevel: "ref_protected", description: "deploy (protected refs)" },
        instance,
        docker: { privileged: false, servicesSecurityOpt: [...ROOTLESS_BUILDKIT_SERVICE_SECURITY_OPT] },
    }, opts);
    const mergeRequests = new Runner("runner-mr", {
        gitlab: { projectId, url: gitlabUrl, tags: [...DEFAULT_RUNNER_TAGS], accessLevel: "not_protected", description: "merge requests and tests" },
        instance,
        docker: { privileged: true },
    }, opts);
    return { deploy, mergeRequests };
}
