import * as gitlab from "@cicd/pulumi-gitlab";
import * as pulumi from "@pulumi/pulumi";
import { EnvironmentOptions, approvalRules, deployAccessRules, environmentOptionProblems, environmentPolicies } from "./environments";
import { rejectProblems } from "../checks";
import { createCiVariable } from "./ciVariable";
import { GITLAB_TIERS, GitLabTier, tierHasProtectedEnvironments } from "./tier";
import { AWS_DEPLOY_ROLE_ARN, AWS_PREVIEW_ROLE_ARN, EnvironmentName } from "./variables";

/** Branch access levels GitLab accepts for push and merge. */
export const BRANCH_ACCESS_LEVELS = ["no one", "developer", "maintainer"] as const;
export type BranchAccessLevel = (typeof BRANCH_ACCESS_LEVELS)[number];

/** The branch pipelines deploy from; `.gitlab-ci.yml` runs staging and production on it. */
export const DEFAULT_BRANCH = "main";

/** Arguments of {@link Project}, grouped per concern. */
export interface ProjectArgs {
    /** The GitLab project itself. */
    readonly project: {
        /** Display name. */
        readonly name: string;
        /** URL path (default: `name` lower-cased, spaces as dashes). */
        readonly path?: string;
        /** Group to create the project in (default: the token owner's personal namespace). */
        readonly namespaceId?: pulumi.Input<number>;
        readonly description?: pulumi.Input<string>;
        /** Archive instead of delete on `pulumi destroy` (default true: a destroy must not lose history). */
        readonly archiveOnDestroy?: boolean;
        /**
         * Start the repository with a README commit on `main` (default false). This repository's history is pushed
         * into the new project at bootstrap; a README commit would make that push non-fast-forward, and force pushes
         * to `main` are refused. Without it, the first push creates `main`.
         */
        readonly initializeWithReadme?: boolean;
    };
    /** Protection of the default branch `main`. */
    readonly branch?: {
        /** Who may push directly (default `maintainer`). */
        readonly pushAccessLevel?: BranchAccessLevel;
        /** Who may merge (default `developer`). */
        readonly mergeAccessLevel?: BranchAccessLevel;
    };
    /** Environments `staging` and `production`, and who may deploy to them. */
    readonly environments?: EnvironmentOptions;
    /** Container registry and the token hosts pull with. */
    readonly registry?: {
        /** Registry host (default `registry.gitlab.com`); images live at `<host>/<group>/<project>`. */
        readonly host?: string;
        /** Expiry of the pull token (`YYYY-MM-DD`; default: never). */
        readonly deployTokenExpiresAt?: string;
    };
    /** The AWS roles CI jobs assume through GitLab OIDC, provisioned as CI/CD variables. */
    readonly ci?: {
        /** Per environment: `AWS_DEPLOY_ROLE_ARN` scoped to that environment and protected. */
        readonly awsDeployRoleArns?: { readonly staging?: pulumi.Input<string>; readonly production?: pulumi.Input<string> };
        /** Read-only role ARN for merge-request previews; provisioned as `AWS_PREVIEW_ROLE_ARN` (scope `*`, not protected). */
        readonly awsPreviewRoleArn?: pulumi.Input<string>;
    };
    /**
     * The GitLab tier of the project's namespace (default `premium`). On `free` there are no protected environments
     * and no deployment approvals, so none are created: production is guarded by the protected default branch, a
     * manual job and protected variables instead.
     */
    readonly tier?: GitLabTier;
}


const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;

/** Checks the plain (non-Output) arguments; returns every problem, each naming its key and what is allowed. */
export function projectArgsProblems(args: ProjectArgs): string[] {
    const problems: string[] = [];
    const name = args.project?.name;
    const named = typeof name === "string" && name.trim() !== "";
    if (!named) problems.push("[project.name] is required: the GitLab project's display name");
    // A blank name is one problem: its derived path, empty, would otherwise be reported as a second.
    const path = args.project?.path ?? (named ? defaultPath(name) : undefined);
    if (path !== undefined && !/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(path)) {
        problems.push(`[project.path] "${path}" is not a GitLab path: letters, digits, _ . - and no leading punctuation`);
    }
    for (const key of ["pushAccessLevel", "mergeAccessLevel"] as const) {
        const level = args.branch?.[key];
        if (level !== undefined && !(BRANCH_ACCESS_LEVELS as readonly string[]).includes(level)) {
            problems.push(`[branch.${key}] "${level}" is not allowed; allowed: ${BRANCH_ACCESS_LEVELS.join(", ")}`);
        }
    }
    problems.push(...environmentOptionProblems(args.environments ?? {}));
    const host = args.registry?.host;
    if (host !== undefined && !/^[a-z0-9.-]+(:\d+)?$/.test(host)) {
        problems.push(`[registry.host] "${host}" must be a registry host name such as registry.gitlab.com`);
    }
    const expiry = args.registry?.deployTokenExpiresAt;
    if (expiry !== undefined && !isCalendarDate(expiry)) {
        problems.push(`[registry.deployTokenExpiresAt] "${expiry}" must be a date YYYY-MM-DD`);
    }
    const roles: [string, unknown][] = [
        ["ci.awsPreviewRoleArn", args.ci?.awsPreviewRoleArn],
        ["ci.awsDeployRoleArns.staging", args.ci?.awsDeployRoleArns?.staging],
        ["ci.awsDeployRoleArns.production", args.ci?.awsDeployRoleArns?.production],
    ];
    for (const [key, arn] of roles) {
        if (typeof arn === "string" && !ROLE_ARN.test(arn)) {
            problems.push(`[${key}] "${arn}" is not an IAM role ARN (arn:aws:iam::123456789012:role/name)`);
        }
    }
    if (args.tier !== undefined && !(GITLAB_TIERS as readonly string[]).includes(args.tier)) {
        problems.push(`[tier] "${args.tier}" is not a GitLab tier; allowed: ${GITLAB_TIERS.join(", ")}`);
    }
    return problems;
}

/** GitLab path derived from a display name. */
export function defaultPath(name: string): string {
    return name.trim().toLowerCase().replace(/\s+/g, "-");
}

/**
 * A private GitLab project set up for this delivery flow: `main` protected, merge only after a green pipeline,
 * container registry on, environments `staging` and `production` with their deploy and approval rules, a pull-only
 * deploy token for hosts, and the project-wide CI/CD variables. Owned by the `prod` stack.
 */
export class Project extends pulumi.ComponentResource {
    /** Numeric project id, as a string (what the provider's `project` inputs take). */
    public readonly projectId: pulumi.Output<string>;
    /** `group/project`. */
    public readonly pathWithNamespace: pulumi.Output<string>;
    public readonly webUrl: pulumi.Output<string>;
    /** Image repository of the project's registry, e.g. `registry.gitlab.com/acme/app` (lower-case). */
    public readonly registryRepository: pulumi.Output<string>;
    /** User name of the pull-only deploy token. */
    public readonly deployTokenUsername: pulumi.Output<string>;
    /** Secret of the pull-only deploy token (scope `read_registry`). Secret. */
    public readonly deployTokenPassword: pulumi.Output<string>;
    /** Environment names, for `environment:` in `.gitlab-ci.yml`. */
    public readonly environmentNames: EnvironmentName[];

    /**
     * The AWS role variables, for roles that can only be created after the project (their trust names its path):
     * `AWS_DEPLOY_ROLE_ARN` once per environment, scoped to it and protected, and `AWS_PREVIEW_ROLE_ARN` for `*`.
     */
    public addCiRoleVariables(name: string, ci: NonNullable<ProjectArgs["ci"]>, projectId: pulumi.Input<string> = this.projectId): void {
        for (const environment of ["staging", "production"] as const) {
            const arn = ci.awsDeployRoleArns?.[environment];
            if (arn !== undefined) createCiVariable(this, `${name}-${environment}`, projectId, AWS_DEPLOY_ROLE_ARN, arn, environment);
        }
        if (ci.awsPreviewRoleArn !== undefined) createCiVariable(this, name, projectId, AWS_PREVIEW_ROLE_ARN, ci.awsPreviewRoleArn, "*");
    }

    constructor(name: string, args: ProjectArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated inside the super call, so that bad arguments register nothing, not even the component.
        super("cicd:gitlab:Project", name, rejectProblems(`cicd:gitlab:Project "${name}"`, projectArgsProblems(args)), opts);

        const path = args.project.path ?? defaultPath(args.project.name);
        const archiveOnDestroy = args.project.archiveOnDestroy ?? true;
        const initializeWithReadme = args.project.initializeWithReadme ?? false;
        const pushAccessLevel = args.branch?.pushAccessLevel ?? "maintainer";
        const mergeAccessLevel = args.branch?.mergeAccessLevel ?? "developer";
        const registryHost = args.registry?.host ?? "registry.gitlab.com";
        const policies = environmentPolicies(args.environments ?? {});
        const tier = args.tier ?? "premium";
        const paid = tierHasProtectedEnvironments(tier);

        const project = new gitlab.Project(`${name}-project`, {
            name: args.project.name,
            path,
            namespaceId: args.project.namespaceId,
            description: args.project.description,
            visibilityLevel: "private",
            initializeWithReadme,
            defaultBranch: DEFAULT_BRANCH,
            onlyAllowMergeIfPipelineSucceeds: true,
            allowMergeOnSkippedPipeline: false,
            onlyAllowMergeIfAllDiscussionsAreResolved: true,
            removeSourceBranchAfterMerge: true,
            containerRegistryAccessLevel: "private",
            environmentsAccessLevel: "private",
            buildsAccessLevel: "private",
            publicJobs: false,
            autoDevopsEnabled: false,
            // Older deploy jobs cannot overwrite a newer deployment.
            ciForwardDeploymentEnabled: true,
            ciSeparatedCaches: true,
            archiveOnDestroy,
            permanentlyDeleteOnDestroy: false,
            // A Premium setting: sent only where it exists, and false unless chosen (the approver is someone else).
            allowPipelineTriggerApproveDeployment: paid ? (args.environments?.allowPipelineTriggerApproveDeployment ?? false) : undefined,
        }, { parent: this });

        const projectId = project.id;

        new gitlab.BranchProtection(`${name}-main`, {
            project: projectId,
            // By name, not from the project's output: an empty repository has no default branch yet, and GitLab
            // protects a branch name before the branch exists.
            branch: DEFAULT_BRANCH,
            pushAccessLevel,
            mergeAccessLevel,
            allowForcePush: false,
        }, { parent: this });

        for (const policy of policies) {
            // The prod stack owns both environments: GitLab creates an environment by itself when a deploy job starts,
            // so a staging stack creating `staging` would race the job that runs it.
            const environment = new gitlab.ProjectEnvironment(`${name}-${policy.name}`, {
                project: projectId,
                name: policy.name,
                tier: policy.tier,
                stopBeforeDestroy: true,
            }, { parent: this });
            if (!paid) continue; // Free has no protected environments: the branch, a manual job and protected variables guard production
            new gitlab.ProjectProtectedEnvironment(`${name}-${policy.name}-protection`, {
                project: projectId,
                environment: environment.name,
                deployAccessLevelsAttributes: deployAccessRules(policy),
                approvalRules: approvalRules(policy),
            }, { parent: this });
        }

        const deployToken = new gitlab.ProjectDeployToken(`${name}-pull`, {
            project: projectId,
            name: `${path}-hosts-pull`,
            scopes: ["read_registry"],
            expiresAt: args.registry?.deployTokenExpiresAt === undefined ? undefined : `${args.registry.deployTokenExpiresAt}T00:00:00Z`,
        }, { parent: this });

        if (args.ci !== undefined) this.addCiRoleVariables(name, args.ci, projectId);

        this.projectId = projectId;
        this.pathWithNamespace = project.pathWithNamespace;
        this.webUrl = project.webUrl;
        this.registryRepository = pulumi.interpolate`${registryHost}/${project.pathWithNamespace}`.apply((repo) => repo.toLowerCase());
        this.deployTokenUsername = deployToken.username;
        this.deployTokenPassword = pulumi.secret(deployToken.token);
        this.environmentNames = policies.map((p) => p.name);

        this.registerOutputs({
            projectId: this.projectId,
            pathWithNamespace: this.pathWithNamespace,
            webUrl: this.webUrl,
            registryRepository: this.registryRepository,
            deployTokenUsername: this.deployTokenUsername,
            deployTokenPassword: this.deployTokenPassword,
        });
    }
}

/** YYYY-MM-DD naming a day that exists: V8's Date.parse takes 2027-02-30 and rolls it over to March. */
function isCalendarDate(text: string): boolean {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(text)) return false;
    const day = new Date(`${text}T00:00:00Z`);
    return !Number.isNaN(day.getTime()) && day.toISOString().slice(0, 10) === text;
}
