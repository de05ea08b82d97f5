import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import { ResourceSchema, resourceOpts, resourceProps, schemaOf } from "./utilities";

/**
 * Arguments of a protected environment; names and types follow `@pulumi/gitlab`'s
 * `ProjectProtectedEnvironmentArgs` (v10: `deployAccessLevelsAttributes`, not the removed `deployAccessLevels`).
 */
export interface ProjectProtectedEnvironmentArgs {
    /** Who must approve a deployment, and how many approvals each rule needs. */
    approvalRules?: pulumi.Input<pulumi.Input<inputs.ProjectProtectedEnvironmentApprovalRule>[]>;
    /** Who may deploy. */
    deployAccessLevelsAttributes?: pulumi.Input<pulumi.Input<inputs.ProjectProtectedEnvironmentDeployAccessLevelsAttribute>[]>;
    /** Environment name. */
    environment: pulumi.Input<string>;
    /** Project id or `group/project` path. */
    project: pulumi.Input<string>;
}

type ProjectProtectedEnvironmentOutputName = Exclude<keyof ProjectProtectedEnvironment, keyof pulumi.CustomResource>;

/** Deploy and approval rules of an environment (`gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment`). */
export class ProjectProtectedEnvironment extends pulumi.CustomResource {
    public static readonly __pulumiType = "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment";

    /** Inputs, outputs and secrets this binding declares for the token. */
    public static readonly schema: ResourceSchema = schemaOf<ProjectProtectedEnvironmentArgs, ProjectProtectedEnvironmentOutputName>({
        inputs: { approvalRules: true, deployAccessLevelsAttributes: true, environment: true, project: true },
        required: ["environment", "project"],
        outputs: { environment: true, project: true },
    });

    /** Whether `obj` is a ProjectProtectedEnvironment, also across copies of this package. */
    public static isInstance(obj: unknown): obj is ProjectProtectedEnvironment {
        return pulumi.CustomResource.isInstance(obj) && (obj as unknown as { __pulumiType?: string }).__pulumiType === ProjectProtectedEnvironment.__pulumiType;
    }

    declare public readonly environment: pulumi.Output<string>;
    declare public readonly project: pulumi.Output<string>;

    constructor(name: string, args: ProjectProtectedEnvironmentArgs, opts?: pulumi.CustomResourceOptions) {
        super(ProjectProtectedEnvironment.__pulumiType, name, resourceProps(ProjectProtectedEnvironment.__pulumiType, ProjectProtectedEnvironment.schema, args, opts), resourceOpts(ProjectProtectedEnvironment.schema, opts));
    }
}
