// `staging`: builds and pushes the image, owns its host and its staging-scoped CI variables. Everything
// project-level (project, environments, deploy token, runner) is read from the prod stack, so
// `pulumi destroy -s staging` deletes nothing else.
import * as pulumi from "@pulumi/pulumi";
import { StagingConfig } from "../config";
import { EnvironmentVariables } from "../gitlab";
import { RegistryImage } from "../image";
import { checkedRepository } from "./delivery";
import { ProjectStackOutputs, StackContract, StagingStackOutputs } from "./stackOutputs";
import { ProgramOutputs, appDir, createAwsProvider, deployRemoteApp, gitlabProvider, registryHost } from "./shared";

export function stagingProgram(config: StagingConfig, repoRoot: string): ProgramOutputs {
    // The project stack (prod) owns the GitLab project, its deploy token and the runners; staging only reads them.
    const projectStack = new StackContract<ProjectStackOutputs>("project-stack", config.projectStack);

    const variables = new EnvironmentVariables(
        "staging-vars",
        { project: projectStack.require("projectId"), environment: "staging", sshPrivateKey: pulumi.secret(config.host.sshPrivateKey) },
        { providers: { gitlab: gitlabProvider(config.gitlab) } },
    );

    // Pushing anywhere but the project's own registry would leave the hosts' deploy token unable to pull.
    const repository = checkedRepository(config.imageRepository, projectStack.get("registryRepository") as pulumi.Output<string>, `output registryRepository of ${config.projectStack}`);
    const image = new RegistryImage("app-image", {
        contextDir: appDir(repoRoot),
        repository: config.imageRepository,
        gitCommit: config.gitCommit,
        stack: config.stack,
        appVersion: config.appVersion,
        platforms: config.platforms,
        baseImages: config.baseImages,
        caFile: config.buildCaFile,
        registry: { address: repository.apply(registryHost), username: config.registryUsername, password: pulumi.secret(config.registryPassword) },
        cacheDir: process.env.BUILD_CACHE_DIR || undefined, // set only by the deploy jobs (.gitlab-ci.yml)
        // The builder the pipeline's Pulumi jobs register (buildx's own variable; the provider does not read it).
        builder: process.env.BUILDX_BUILDER || undefined,
    });

    const stagingExports: StagingStackOutputs = { imageRef: image.ref, imageTag: image.shaTag };

    const app = deployRemoteApp(
        config,
        repoRoot,
        {
            image: { ref: image.ref, digest: image.digest },
            postgresPassword: variables.postgresPassword,
            pullCredentials: {
                username: projectStack.require("deployTokenUsername"),
                password: pulumi.secret(projectStack.require("deployTokenPassword")),
            },
        },
        () => {
            // Validation requires aws:region whenever staging provisions its EC2 host (no `hosts`).
            const region = config.awsRegion!;
            return { awsRegion: region, ...createAwsProvider(config.stack, region), ingressSecurityGroupIds: projectStack.require("runnerSecurityGroupId").apply((id) => [id]) };
        },
    );

    return {
        environment: "staging",
        ...app.outputs,
        ...stagingExports,
        gitCommit: config.gitCommit,
        ciVariables: variables.keys,
    };
}
