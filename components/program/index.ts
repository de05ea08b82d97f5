import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as gitlab from "@cicd/pulumi-gitlab";
import * as random from "@pulumi/random";
import { GitLabConfig, LocalConfig, PROJECT, ProductionConfig, ProgramConfig, SandboxGitLabConfig, StagingConfig, loadConfig } from "../config";
import { EnvironmentVariables, Project } from "../gitlab";
import { LocalTarget } from "../host";
import { DeploySettings, HostOutputs, deployToEc2, deployToHosts, remoteEnv } from "./hosts";
import { LocalImage, PromotedImage, RegistryImage } from "../image";
import { checkedRepository, ciRoles, runners, stagingOutput, tierWarning } from "./delivery";

/** Stack outputs: plain values or Outputs (secrets stay secret Outputs). */
export type ProgramOutputs = Record<string, pulumi.Input<unknown>>;

export interface ProgramOptions {
    /** Repository root (holds app/ and app/deploy/); defaults to the folder above components/. */
    readonly repoRoot?: string;
    /** Environment for CI fallbacks (CI_COMMIT_SHA, CI_REGISTRY_USER, ...); defaults to process.env. */
    readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The whole program: validates the stack's config first (one error, nothing created), then wires the
 * components of the stack's environment. index.ts calls this and exports what it returns.
 */
export function createProgram(options: ProgramOptions = {}): ProgramOutputs {
    const repoRoot = options.repoRoot ?? path.resolve(__dirname, "..", "..");
    return createStack(loadConfig(repoRoot, options.env ?? process.env), repoRoot);
}

/** The components of one validated stack config, and the stack outputs they produce. */
export function createStack(config: ProgramConfig, repoRoot: string): ProgramOutputs {
    switch (config.environment) {
        case "local":
            return localProgram(config, repoRoot);
        case "staging":
            return stagingProgram(config, repoRoot);
        case "production":
            return productionProgram(config, repoRoot);
    }
}

const appDir = (repoRoot: string) => path.join(repoRoot, "app");
const bundleDir = (repoRoot: string) => path.join(repoRoot, "app", "deploy");

/**
 * `local`: the image built and the stack run on this machine's Docker engine; no cloud, no push. GitLab only when
 * `gitlabToken` is set: then a personal sandbox project as well, to try the project setup against.
 */
function localProgram(config: LocalConfig, repoRoot: string): ProgramOutputs {
    const image = new LocalImage("app-image", {
        contextDir: appDir(repoRoot),
        repository: `${PROJECT}-local/app`,
        buildArgs: {
            BUILD_IMAGE: config.baseImages.build,
            RUNTIME_IMAGE: config.baseImages.runtime,
            APP_VERSION: config.appVersion,
            // Only when configured: a per-commit build arg would rebuild an unchanged source.
            GIT_COMMIT: config.gitCommit || undefined,
        },
        caFile: config.buildCaFile,
    });
    const target = new LocalTarget("local", {
        bundleDir: bundleDir(repoRoot),
        stateDir: config.stateDir,
        image: { ref: image.ref, id: image.imageId },
        httpPort: config.httpPort,
        httpsPort: config.httpsPort,
        project: config.composeProject,
        dbPassword: config.dbPassword === undefined ? undefined : pulumi.secret(config.dbPassword),
        composeImages: { postgres: config.baseImages.postgres, nginx: config.baseImages.nginx, acme: config.baseImages.acme },
    });
    const outputs: ProgramOutputs = {
        environment: "local",
        url: target.url,
        tls:
            config.httpsPort === undefined
                ? `off: plain HTTP on 127.0.0.1:${config.httpPort}; set httpsPort (e.g. 8443) for HTTPS with a CA made on this machine`
                : `on: HTTPS on https://localhost:${config.httpsPort} with a certificate from a CA made on this machine (trust caFile); port ${config.httpPort} redirects`,
        ...(target.caFile === undefined ? {} : { caFile: target.caFile }),
        imageRef: image.ref,
        imageId: image.imageId,
        composeProject: target.project,
        envFile: target.envFile,
        apiWriteToken: target.apiWriteToken,
    };
    if (config.gitlab !== undefined) {
        const sandbox = sandboxProject(config.gitlab);
        outputs.projectId = sandbox.projectId;
        outputs.projectUrl = sandbox.webUrl;
    }
    return outputs;
}

/** The GitLab provider every stack that talks to GitLab uses: explicit, with the stack's token kept secret. */
function gitlabProvider(settings: GitLabConfig): gitlab.Provider {
    return new gitlab.Provider("gitlab", { baseUrl: settings.baseUrl, token: pulumi.secret(settings.token) });
}

/**
 * The local stack's sandbox: the same `Project` prod owns, under its own name, so the project setup can be tried
 * without touching the real one. Nothing is pushed to its registry and no runner serves it.
 */
function sandboxProject(settings: SandboxGitLabConfig): Project {
    return new Project(
        "sandbox",
        {
            project: {
                name: settings.projectName,
                namespaceId: settings.namespaceId,
                description: `Personal sandbox of ${PROJECT}, provisioned by its local stack.`,
            },
        },
        { providers: { gitlab: gitlabProvider(settings) } },
    );
}

/**
 * The AWS provider of a stack that creates AWS resources, with the tags every one of them carries. Only then: a
 * staging stack with `hosts` registers none, so it needs no AWS account, region or credentials.
 */
function createAwsProvider(stack: string, region: string) {
    const tags = { Project: PROJECT, Stack: stack, ManagedBy: "pulumi" };
    return { tags, awsProvider: new aws.Provider("aws", { region: region as aws.Region, defaultTags: { tags } }) };
}

/** `https://gitlab.example.com/api/v4` → `https://gitlab.example.com` (what the runner registers against). */
function gitlabWebUrl(apiUrl: string): string {
    return apiUrl.replace(/\/api\/v4\/?$/, "").replace(/\/$/, "");
}

function registryHost(repository: string): string {
    return repository.split("/")[0];
}

/** A random secret of this environment, kept only encrypted in the state (48 letters and digits). */
function environmentSecret(environment: string, purpose: string): pulumi.Output<string> {
    return pulumi.secret(new random.RandomPassword(`${environment}-${purpose}`, { length: 48, special: false }).result);
}

/** The bearer token for writes to the environment's API, as a secret stack output for its operators. */
function apiWriteToken(env: pulumi.Output<Record<string, string>>): pulumi.Output<string> {
    return pulumi.secret(env.apply((values) => values.API_WRITE_TOKEN));
}

function hostEnv(postgresPassword: pulumi.Output<string>, config: StagingConfig | ProductionConfig): pulumi.Output<Record<string, string>> {
    // The app's own database role and the bearer token writes need: one of each per environment.
    const appDbPassword = environmentSecret(config.environment, "db-app-password");
    const writeToken = environmentSecret(config.environment, "api-write-token");
    return pulumi.secret(
        pulumi
            .all([postgresPassword, appDbPassword, writeToken])
            .apply(([password, appPassword, token]) => remoteEnv({ postgresPassword: password, appDbPassword: appPassword, apiWriteToken: token }, config.baseImages)),
    );
}

/** The stack's hosts: the `hosts` it lists, or the EC2 host it provisions. */
function deployHosts(config: StagingConfig | ProductionConfig, deploy: DeploySettings, ec2: () => Parameters<typeof deployToEc2>[2]): HostOutputs {
    const hosts = config.host.hosts;
    if (hosts !== undefined) return deployToHosts(config.environment, hosts, pulumi.secret(config.host.sshPrivateKey), deploy);
    return deployToEc2(config.environment, config.host, ec2(), deploy);
}

/**
 * `staging`: builds and pushes the image, owns its host and its staging-scoped CI variables. Everything
 * project-level (project, environments, deploy token, runner) is read from the prod stack, so
 * `pulumi destroy -s staging` deletes nothing else.
 */
function stagingProgram(config: StagingConfig, repoRoot: string): ProgramOutputs {
    const project = new pulumi.StackReference("project", { name: config.projectStack });

    const variables = new EnvironmentVariables(
        "staging-vars",
        { project: project.requireOutput("projectId").apply(String), environment: "staging", sshPrivateKey: pulumi.secret(config.host.sshPrivateKey) },
        { providers: { gitlab: gitlabProvider(config.gitlab) } },
    );

    // Pushing anywhere but the project's own registry would leave the hosts' deploy token unable to pull.
    const repository = checkedRepository(config.imageRepository, project.getOutput("registryRepository").apply((r) => (r === undefined ? undefined : String(r))) as pulumi.Output<string>, `output registryRepository of ${config.projectStack}`);
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

    const env = hostEnv(variables.postgresPassword, config);
    const host = deployHosts(
        config,
        {
            imageRef: image.ref,
            imageDigest: image.digest,
            bundleDir: bundleDir(repoRoot),
            env,
            tls: config.tls,
            registry: {
                address: registryHost(config.imageRepository),
                username: project.requireOutput("deployTokenUsername").apply(String),
                password: pulumi.secret(project.requireOutput("deployTokenPassword").apply(String)),
            },
        },
        () => {
            // Validation requires aws:region whenever staging provisions its EC2 host (no `hosts`).
            const region = config.awsRegion!;
            return { awsRegion: region, ...createAwsProvider(config.stack, region), ingressSecurityGroupIds: project.requireOutput("runnerSecurityGroupId").apply((id) => [String(id)]) };
        },
    );

    return {
        environment: "staging",
        url: host.url,
        tls: host.tls,
        hostAddress: host.hostAddress,
        rollbackCommands: host.rollbackCommands,
        imageRef: image.ref,
        imageDigest: image.digest,
        imageTag: image.shaTag,
        gitCommit: config.gitCommit,
        ciVariables: variables.keys,
        apiWriteToken: apiWriteToken(env),
    };
}

/**
 * `prod`: owns the project-level GitLab resources and the production host. It never builds: it
 * deploys the digest staging built (or `imageRef`), verified in the registry and tagged for
 * production. With `bootstrap: true` it provisions GitLab only, before any image exists.
 */
function productionProgram(config: ProductionConfig, repoRoot: string): ProgramOutputs {
    // Prod is on AWS whatever the host source: its runners and (unless brought) the CI roles live there.
    const { tags, awsProvider } = createAwsProvider(config.stack, config.awsRegion);
    const providers = { aws: awsProvider, gitlab: gitlabProvider(config.gitlab) };

    const project = new Project(
        "gitlab",
        {
            project: { name: PROJECT, namespaceId: config.gitlabNamespaceId },
            environments: { productionApprovals: config.productionApprovals, allowPipelineTriggerApproveDeployment: config.delivery.allowPipelineTriggerApproveDeployment },
            registry: { host: registryHost(config.imageRepository) },
            tier: config.delivery.gitlabTier,
        },
        { providers },
    );
    // Roles CI jobs assume (created here unless brought), handed to the project as its AWS_*_ROLE_ARN variables.
    const roles = ciRoles(config, gitlabWebUrl(config.gitlab.baseUrl), project.pathWithNamespace, { providers });
    project.addCiRoleVariables("gitlab", { awsPreviewRoleArn: roles.preview, awsDeployRoleArns: { staging: roles.staging, production: roles.production } });
    const repository = checkedRepository(config.imageRepository, project.registryRepository, "the prod stack's GitLab project");
    const gitlabTierWarning = tierWarning(config);
    // Deploy jobs run on a protected-refs-only runner, the only one the hosts let in on port 22; the rest on another.
    const { deploy: runner, mergeRequests: mrRunner } = runners(config, project.projectId, gitlabWebUrl(config.gitlab.baseUrl), tags, { providers });
    const variables = new EnvironmentVariables(
        "production-vars",
        { project: project.projectId, environment: "production", sshPrivateKey: pulumi.secret(config.host.sshPrivateKey) },
        { providers },
    );

    const outputs: ProgramOutputs = {
        environment: "production",
        projectId: project.projectId,
        projectUrl: project.webUrl,
        registryRepository: repository,
        ciRoleArns: roles,
        ...(gitlabTierWarning === undefined ? {} : { gitlabTierWarning }),
        deployTokenUsername: project.deployTokenUsername,
        deployTokenPassword: project.deployTokenPassword,
        runnerSecurityGroupId: runner.securityGroupId,
        runnerTags: { deploy: runner.tags, mergeRequests: mrRunner.tags },
        ciVariables: variables.keys,
    };

    if (config.bootstrap) {
        outputs.hosts = "skipped: bootstrap is true (GitLab resources only). Deploy staging, then `pulumi config rm bootstrap -s prod` and `pulumi up -s prod`.";
        return outputs;
    }

    const staging = config.imageRef === undefined ? new pulumi.StackReference("staging", { name: config.stagingStack }) : undefined;
    const sourceRef = config.imageRef ?? stagingOutput(staging!, config.stagingStack, "imageRef");
    const lookupRef = staging ? stagingOutput(staging, config.stagingStack, "imageTag") : undefined;
    const registry = { address: repository.apply(registryHost), username: config.registryUsername, password: pulumi.secret(config.registryPassword) };

    const image = new PromotedImage("app-image", {
        sourceRef,
        lookupRef,
        repository: config.imageRepository,
        tag: config.gitCommit ? `production-${config.gitCommit}` : pulumi.output(sourceRef).apply((ref) => `production-${ref.split("sha256:")[1]?.slice(0, 12) ?? "unknown"}`),
        registry,
    });

    const env = hostEnv(variables.postgresPassword, config);
    const host = deployHosts(
        config,
        {
            imageRef: image.ref,
            imageDigest: image.digest,
            bundleDir: bundleDir(repoRoot),
            env,
            tls: config.tls,
            registry: { address: registryHost(config.imageRepository), username: project.deployTokenUsername, password: project.deployTokenPassword },
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
        url: host.url,
        tls: host.tls,
        hostAddress: host.hostAddress,
        rollbackCommands: host.rollbackCommands,
        imageRef: image.ref,
        imageDigest: image.digest,
        promotedTag: image.promotedTag,
        dataVolumeId: host.dataVolumeId,
        apiWriteToken: apiWriteToken(env),
    };
}
