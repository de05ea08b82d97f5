// `prod`: owns the project-level GitLab resources and the production host. It never builds: it deploys the digest
// staging built (or `imageRef`), verified in the registry and tagged for production. With `bootstrap: true` it
// provisions GitLab only, before any image exists.
import * as pulumi from "@pulumi/pulumi";
import { PULUMI_PROJECT, ProductionConfig } from "../config";
import { EnvironmentVariables, Project } from "../gitlab";
import { PromotedImage } from "../image";
import { checkedRepository, ciRoles, runners, stagingOutput, tierWarning } from "./delivery";
import { ProjectStackOutputs, StackContract, StagingStackOutputs } from "./stackOutputs";
import { ProgramOutputs, createAwsProvider, deployRemoteApp, gitlabProvider, gitlabWebUrl, registryHost } from "./shared";

export function productionProgram(config: ProductionConfig, repoRoot: string): ProgramOutputs {
    // Prod is on AWS whatever the host source: its runners and (unless brought) the CI roles live there.
    const { tags, awsProvider } = createAwsProvider(config.stack, config.awsRegion);
    const providers = { aws: awsProvider, gitlab: gitlabProvider(config.gitlab) };

    const gitlabProject = new Project(
        "gitlab",
        {
            project: { name: PULUMI_PROJECT, namespaceId: config.gitlabNamespaceId },
            environments: { productionApprovals: config.productionApprovals, allowPipelineTriggerApproveDeployment: config.delivery.allowPipelineTriggerApproveDeployment },
            registry: { host: registryHost(config.imageRepository) },
            tier: config.delivery.gitlabTier,
        },
        { providers },
    );
    // Roles CI jobs assume (created here unless brought), handed to the project as its AWS_*_ROLE_ARN variables.
    const roles = ciRoles(config, gitlabWebUrl(config.gitlab.baseUrl), gitlabProject.pathWithNamespace, { providers });
    gitlabProject.addCiRoleVariables("gitlab", { awsPreviewRoleArn: roles.preview, awsDeployRoleArns: { staging: roles.staging, production: roles.production } });
    const repository = checkedRepository(config.imageRepository, gitlabProject.registryRepository, "the prod stack's GitLab project");
    const gitlabTierWarning = tierWarning(config);
    // Deploy jobs run on a protected-refs-only runner, the only one the hosts let in on port 22; the rest on another.
    const { deploy: runner, mergeRequests: mrRunner } = runners(config, gitlabProject.projectId, gitlabWebUrl(config.gitlab.baseUrl), tags, { providers });
    const variables = new EnvironmentVariables(
        "production-vars",
        { project: gitlabProject.projectId, environment: "production", sshPrivateKey: pulumi.secret(config.host.sshPrivateKey) },
        { providers },
    );

    // What staging reads through its StackContract; exported also with bootstrap, which staging's first up needs.
    const projectStackExports: ProjectStackOutputs = {
        projectId: gitlabProject.projectId,
        registryRepository: repository,
        deployTokenUsername: gitlabProject.deployTokenUsername,
        deployTokenPassword: gitlabProject.deployTokenPassword,
        runnerSecurityGroupId: runner.securityGroupId,
    };
    const outputs: ProgramOutputs = {
        environment: "production",
        ...projectStackExports,
        projectUrl: gitlabProject.webUrl,
        ciRoleArns: roles,
        ...(gitlabTierWarning === undefined ? {} : { gitlabTierWarning }),
        runnerTags: { deploy: runner.tags, mergeRequests: mrRunner.tags },
        ciVariables: variables.keys,
    };

    if (config.bootstrap) {
        outputs.hosts = "skipped: bootstrap is true (GitLab resources only). Deploy staging, then `pulumi config rm bootstrap -s prod` and `pulumi up -s prod`.";
        return outputs;
    }

    const stagingStack = config.imageRef === undefined ? new StackContract<StagingStackOutputs>("staging", config.stagingStack) : undefined;
    const sourceRef = config.imageRef ?? stagingOutput(stagingStack!, "imageRef");
    const lookupRef = stagingStack ? stagingOutput(stagingStack, "imageTag") : undefined;
    const registry = { address: repository.apply(registryHost), username: config.registryUsername, password: pulumi.secret(config.registryPassword) };

    const image = new PromotedImage("app-image", {
        sourceRef,
        lookupRef,
        repository: config.imageRepository,
        tag: config.gitCommit ? `production-${config.gitCommit}` : pulumi.output(sourceRef).apply((ref) => `production-${ref.split("sha256:")[1]?.slice(0, 12) ?? "unknown"}`),
        registry,
    });

    const app = deployRemoteApp(
        config,
        repoRoot,
        {
            image: { ref: image.ref, digest: image.digest },
            postgresPassword: variables.postgresPassword,
            pullCredentials: { username: gitlabProject.deployTokenUsername, password: gitlabProject.deployTokenPassword },
        },
        () => ({
            awsRegion: config.awsRegion,
            tags,
            awsProvider,
            ingressSecurityGroupIds: [runner.securityGroupId],
            dataVolumeSizeGb: config.dataVolumeSizeGb,
            protect: config.protectData,
        }),
    );
    if (!config.protectData) {
        pulumi.log.warn("protectData is false: the production host and its database volume can be deleted by `pulumi destroy`.");
    }

    return {
        ...outputs,
        ...app.outputs,
        promotedTag: image.promotedTag,
        dataVolumeId: app.dataVolumeId,
    };
}
