import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import { ResourceSchema } from "./utilities";
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
/** Deploy and approval rules of an environment (`gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment`). */
export declare class ProjectProtectedEnvironment extends pulumi.CustomResource {
    static readonly __pulumiType = "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static readonly schema: ResourceSchema;
    /** Whether `obj` is a ProjectProtectedEnvironment, also across copies of this package. */
    static isInstance(obj: unknown): obj is ProjectProtectedEnvironment;
    readonly environment: pulumi.Output<string>;
    readonly project: pulumi.Output<string>;
    constructor(name: string, args: ProjectProtectedEnvironmentArgs, opts?: pulumi.CustomResourceOptions);
}
