import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import { ResourceSchema, resourceOpts, resourceProps, schemaOf } from "./utilities";

/**
 * Arguments of a GitLab project: the subset of the provider's inputs this project uses or is likely to need.
 * Names and types follow `@pulumi/gitlab`'s `ProjectArgs`. Access levels take `disabled`, `private` or `enabled`.
 */
export interface ProjectArgs {
    /** Allow merging when the pipeline was skipped (only with `onlyAllowMergeIfPipelineSucceeds`). */
    allowMergeOnSkippedPipeline?: pulumi.Input<boolean>;
    /** Let the person who triggered a pipeline approve its deployments (Premium; false keeps two people involved). */
    allowPipelineTriggerApproveDeployment?: pulumi.Input<boolean>;
    /** Archive rather than delete the project on `pulumi destroy`. */
    archiveOnDestroy?: pulumi.Input<boolean>;
    /** Auto-cancel redundant pipelines: `enabled` or `disabled`. */
    autoCancelPendingPipelines?: pulumi.Input<string>;
    /** Turn Auto DevOps on (this project brings its own `.gitlab-ci.yml`). */
    autoDevopsEnabled?: pulumi.Input<boolean>;
    /** CI/CD pipelines: `disabled`, `private` or `enabled`. */
    buildsAccessLevel?: pulumi.Input<string>;
    /** Job timeout in seconds. */
    buildTimeout?: pulumi.Input<number>;
    /** Path of the CI configuration file. */
    ciConfigPath?: pulumi.Input<string>;
    /** Clone depth of CI jobs. */
    ciDefaultGitDepth?: pulumi.Input<number>;
    /** Allow jobs of older pipelines to deploy after newer ones (false prevents rolling back by accident). */
    ciForwardDeploymentEnabled?: pulumi.Input<boolean>;
    /** Minimum role that may override pipeline variables: `no_one_allowed`, `developer`, `maintainer`, `owner`. */
    ciPipelineVariablesMinimumOverrideRole?: pulumi.Input<string>;
    /** Separate caches for protected and unprotected branches. */
    ciSeparatedCaches?: pulumi.Input<boolean>;
    /** Cleanup policy for the container registry. */
    containerExpirationPolicy?: pulumi.Input<inputs.ProjectContainerExpirationPolicy>;
    /** Container registry: `disabled`, `private` or `enabled` (v10 replaces `containerRegistryEnabled`). */
    containerRegistryAccessLevel?: pulumi.Input<string>;
    /** Default branch; needs an initialised repository (`initializeWithReadme`) to apply on create. */
    defaultBranch?: pulumi.Input<string>;
    description?: pulumi.Input<string>;
    /** Environments and deployments: `disabled`, `private` or `enabled`. */
    environmentsAccessLevel?: pulumi.Input<string>;
    /** Runners of the parent group may run this project's jobs. */
    groupRunnersEnabled?: pulumi.Input<boolean>;
    /** Repository URL to import from. */
    importUrl?: pulumi.Input<string>;
    /** Password for `importUrl`. Secret. */
    importUrlPassword?: pulumi.Input<string>;
    /** User name for `importUrl`. */
    importUrlUsername?: pulumi.Input<string>;
    /** Create the repository with a README, so that the default branch exists. */
    initializeWithReadme?: pulumi.Input<boolean>;
    /** Issues: `disabled`, `private` or `enabled`. */
    issuesAccessLevel?: pulumi.Input<string>;
    /** Keep the artifacts of the latest successful pipeline per ref. */
    keepLatestArtifact?: pulumi.Input<boolean>;
    lfsEnabled?: pulumi.Input<boolean>;
    /** `merge`, `rebaseMerge` or `ff`. */
    mergeMethod?: pulumi.Input<string>;
    /** Merged-results pipelines. */
    mergePipelinesEnabled?: pulumi.Input<boolean>;
    /** Merge requests: `disabled`, `private` or `enabled`. */
    mergeRequestsAccessLevel?: pulumi.Input<string>;
    /** Project name; set it, or the provider appends a random suffix to the resource name. */
    name?: pulumi.Input<string>;
    /** Group or user namespace id; defaults to the token owner's namespace. */
    namespaceId?: pulumi.Input<number>;
    onlyAllowMergeIfAllDiscussionsAreResolved?: pulumi.Input<boolean>;
    /** Merge only when the pipeline succeeded. */
    onlyAllowMergeIfPipelineSucceeds?: pulumi.Input<boolean>;
    /** Package registry: `disabled`, `private` or `enabled`. */
    packageRegistryAccessLevel?: pulumi.Input<string>;
    /** URL path of the project. */
    path?: pulumi.Input<string>;
    /** Delete permanently on `pulumi destroy` instead of GitLab's delayed deletion. */
    permanentlyDeleteOnDestroy?: pulumi.Input<boolean>;
    /** Job logs and artifacts visible to non-members. */
    publicJobs?: pulumi.Input<boolean>;
    removeSourceBranchAfterMerge?: pulumi.Input<boolean>;
    /** Repository: `disabled`, `private` or `enabled`. */
    repositoryAccessLevel?: pulumi.Input<string>;
    requestAccessEnabled?: pulumi.Input<boolean>;
    resolveOutdatedDiffDiscussions?: pulumi.Input<boolean>;
    /** Instance-wide shared runners may run this project's jobs. */
    sharedRunnersEnabled?: pulumi.Input<boolean>;
    /** Snippets: `disabled`, `private` or `enabled`. */
    snippetsAccessLevel?: pulumi.Input<string>;
    /** `never`, `always`, `default_on` or `default_off`. */
    squashOption?: pulumi.Input<string>;
    topics?: pulumi.Input<pulumi.Input<string>[]>;
    /** `private`, `internal` or `public`. */
    visibilityLevel?: pulumi.Input<string>;
    /** Wiki: `disabled`, `private` or `enabled`. */
    wikiAccessLevel?: pulumi.Input<string>;
}

type ProjectOutputName = Exclude<keyof Project, keyof pulumi.CustomResource>;

/** A GitLab project (`gitlab:index/project:Project`). */
export class Project extends pulumi.CustomResource {
    public static readonly __pulumiType = "gitlab:index/project:Project";

    /** Inputs, outputs and secrets this binding declares for the token. */
    public static readonly schema: ResourceSchema = schemaOf<ProjectArgs, ProjectOutputName>({
        inputs: {
            allowMergeOnSkippedPipeline: true, allowPipelineTriggerApproveDeployment: true, archiveOnDestroy: true, autoCancelPendingPipelines: true,
            autoDevopsEnabled: true, buildsAccessLevel: true, buildTimeout: true, ciConfigPath: true,
            ciDefaultGitDepth: true, ciForwardDeploymentEnabled: true, ciPipelineVariablesMinimumOverrideRole: true,
            ciSeparatedCaches: true, containerExpirationPolicy: true, containerRegistryAccessLevel: true,
            defaultBranch: true, description: true, environmentsAccessLevel: true, groupRunnersEnabled: true,
            importUrl: true, importUrlPassword: true, importUrlUsername: true, initializeWithReadme: true,
            issuesAccessLevel: true, keepLatestArtifact: true, lfsEnabled: true, mergeMethod: true,
            mergePipelinesEnabled: true, mergeRequestsAccessLevel: true, name: true, namespaceId: true,
            onlyAllowMergeIfAllDiscussionsAreResolved: true, onlyAllowMergeIfPipelineSucceeds: true,
            packageRegistryAccessLevel: true, path: true, permanentlyDeleteOnDestroy: true, publicJobs: true,
            removeSourceBranchAfterMerge: true, repositoryAccessLevel: true, requestAccessEnabled: true,
            resolveOutdatedDiffDiscussions: true, sharedRunnersEnabled: true, snippetsAccessLevel: true,
            squashOption: true, topics: true, visibilityLevel: true, wikiAccessLevel: true,
        },
        required: [],
        outputs: {
            containerRegistryAccessLevel: true, defaultBranch: true, description: true, emptyRepo: true,
            httpUrlToRepo: true, importUrlPassword: true, name: true, namespaceId: true, onlyAllowMergeIfPipelineSucceeds: true, path: true,
            pathWithNamespace: true, runnersToken: true, sshUrlToRepo: true, visibilityLevel: true, webUrl: true,
        },
        secretInputs: ["importUrlPassword"],
        secretOutputs: ["importUrlPassword", "runnersToken"],
    });

    /** Whether `obj` is a Project, also across copies of this package. */
    public static isInstance(obj: unknown): obj is Project {
        return pulumi.CustomResource.isInstance(obj) && (obj as unknown as { __pulumiType?: string }).__pulumiType === Project.__pulumiType;
    }

    declare public readonly containerRegistryAccessLevel: pulumi.Output<string>;
    declare public readonly defaultBranch: pulumi.Output<string>;
    declare public readonly description: pulumi.Output<string | undefined>;
    /** Whether the repository has no commits yet. */
    declare public readonly emptyRepo: pulumi.Output<boolean>;
    declare public readonly httpUrlToRepo: pulumi.Output<string>;
    /** Secret. */
    declare public readonly importUrlPassword: pulumi.Output<string | undefined>;
    declare public readonly name: pulumi.Output<string>;
    declare public readonly namespaceId: pulumi.Output<number>;
    declare public readonly onlyAllowMergeIfPipelineSucceeds: pulumi.Output<boolean | undefined>;
    declare public readonly path: pulumi.Output<string>;
    /** `group/project`, the form API calls and registry paths use. */
    declare public readonly pathWithNamespace: pulumi.Output<string>;
    /** Legacy runner registration token of the project. Secret. */
    declare public readonly runnersToken: pulumi.Output<string>;
    declare public readonly sshUrlToRepo: pulumi.Output<string>;
    declare public readonly visibilityLevel: pulumi.Output<string>;
    declare public readonly webUrl: pulumi.Output<string>;

    constructor(name: string, args?: ProjectArgs, opts?: pulumi.CustomResourceOptions) {
        super(Project.__pulumiType, name, resourceProps(Project.__pulumiType, Project.schema, args, opts), resourceOpts(Project.schema, opts));
    }
}
