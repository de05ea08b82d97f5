import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema, resourceOpts, resourceProps, schemaOf } from "./utilities";

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

type UserRunnerOutputName = Exclude<keyof UserRunner, keyof pulumi.CustomResource>;

/** A runner and its `glrt-` authentication token (`gitlab:index/userRunner:UserRunner`). */
export class UserRunner extends pulumi.CustomResource {
    public static readonly __pulumiType = "gitlab:index/userRunner:UserRunner";

    /** Inputs, outputs and secrets this binding declares for the token. */
    public static readonly schema: ResourceSchema = schemaOf<UserRunnerArgs, UserRunnerOutputName>({
        inputs: {
            accessLevel: true, description: true, groupId: true, locked: true, maintenanceNote: true,
            maximumTimeout: true, paused: true, projectId: true, runnerType: true, tagLists: true, untagged: true,
        },
        required: ["runnerType"],
        outputs: {
            accessLevel: true, description: true, locked: true, projectId: true, runnerType: true, tagLists: true,
            token: true, untagged: true,
        },
        secretOutputs: ["token"],
    });

    /** Whether `obj` is a UserRunner, also across copies of this package. */
    public static isInstance(obj: unknown): obj is UserRunner {
        return pulumi.CustomResource.isInstance(obj) && (obj as unknown as { __pulumiType?: string }).__pulumiType === UserRunner.__pulumiType;
    }

    declare public readonly accessLevel: pulumi.Output<string>;
    declare public readonly description: pulumi.Output<string | undefined>;
    declare public readonly locked: pulumi.Output<boolean>;
    declare public readonly projectId: pulumi.Output<number | undefined>;
    declare public readonly runnerType: pulumi.Output<string>;
    declare public readonly tagLists: pulumi.Output<string[]>;
    /** The `glrt-` authentication token `gitlab-runner register --token` takes. Secret. */
    declare public readonly token: pulumi.Output<string>;
    declare public readonly untagged: pulumi.Output<boolean>;

    constructor(name: string, args: UserRunnerArgs, opts?: pulumi.CustomResourceOptions) {
        super(UserRunner.__pulumiType, name, resourceProps(UserRunner.__pulumiType, UserRunner.schema, args, opts), resourceOpts(UserRunner.schema, opts));
    }
}
