"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Project = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** A GitLab project (`gitlab:index/project:Project`). */
class Project extends pulumi.CustomResource {
    static __pulumiType = "gitlab:index/project:Project";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static schema = (0, utilities_1.schemaOf)({
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
    static isInstance(obj) {
        return pulumi.CustomResource.isInstance(obj) && obj.__pulumiType === Project.__pulumiType;
    }
    constructor(name, args, opts) {
        super(Project.__pulumiType, name, (0, utilities_1.resourceProps)(Project.__pulumiType, Project.schema, args, opts), (0, utilities_1.resourceOpts)(Project.schema, opts));
    }
}
exports.Project = Project;
