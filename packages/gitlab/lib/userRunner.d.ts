import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema } from "./utilities";
/**
 * Arguments of a runner created through the API (the v10 replacement of the removed `Runner` resource); names and
 * types follow `@pulumi/gitlab`'s `UserRunnerArgs`.
 */
export interface UserRunnerArgs {
    /** `not_protected` or `ref_protected` (only jobs on protected branches and tags). */
    accessLevel?: pulumi.Input<string>;
    description?: pulumi.Input<string>;
    /** Group id, required with `runnerType: group_type`. */
    groupId?: pulumi.Input<number>;
    /** Locked to its project (project runners only). */
    locked?: pulumi.Input<boolean>;
    maintenanceNote?: pulumi.Input<string>;
    /** Upper bound, in seconds, on how long a job may run on this runner. */
    maximumTimeout?: pulumi.Input<number>;
    paused?: pulumi.Input<boolean>;
    /** Numeric project id, required with `runnerType: project_type`. */
    projectId?: pulumi.Input<number>;
    /** `instance_type`, `group_type` or `project_type`. */
    runnerType: pulumi.Input<string>;
    /** Job tags this runner picks up. */
    tagLists?: pulumi.Input<pulumi.Input<string>[]>;
    /** Also run jobs without tags. */
    untagged?: pulumi.Input<boolean>;
}
/** A runner and its `glrt-` authentication token (`gitlab:index/userRunner:UserRunner`). */
export declare class UserRunner extends pulumi.CustomResource {
    static readonly __pulumiType = "gitlab:index/userRunner:UserRunner";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static readonly schema: ResourceSchema;
    /** Whether `obj` is a UserRunner, also across copies of this package. */
    static isInstance(obj: unknown): obj is UserRunner;
    readonly accessLevel: pulumi.Output<string>;
    readonly description: pulumi.Output<string | undefined>;
    readonly locked: pulumi.Output<boolean>;
    readonly projectId: pulumi.Output<number | undefined>;
    readonly runnerType: pulumi.Output<string>;
    readonly tagLists: pulumi.Output<string[]>;
    /** The `glrt-` authentication token `gitlab-runner register --token` takes. Secret. */
    readonly token: pulumi.Output<string>;
    readonly untagged: pulumi.Output<boolean>;
    constructor(name: string, args: UserRunnerArgs, opts?: pulumi.CustomResourceOptions);
}
