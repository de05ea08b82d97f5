import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema } from "./utilities";
/** Arguments of a project environment; names and types follow `@pulumi/gitlab`'s `ProjectEnvironmentArgs`. */
export interface ProjectEnvironmentArgs {
    /** `always` or `with_action`: when GitLab runs the stop action at `auto_stop_in`. */
    autoStopSetting?: pulumi.Input<string>;
    clusterAgentId?: pulumi.Input<number>;
    description?: pulumi.Input<string>;
    /** Link shown on the environment page. */
    externalUrl?: pulumi.Input<string>;
    fluxResourcePath?: pulumi.Input<string>;
    kubernetesNamespace?: pulumi.Input<string>;
    /** Environment name as jobs reference it (`environment: name`); set it, or the provider adds a random suffix. */
    name?: pulumi.Input<string>;
    /** Project id or `group/project` path. */
    project: pulumi.Input<string>;
    /** Stop the environment before deleting it (GitLab refuses to delete an available environment). */
    stopBeforeDestroy?: pulumi.Input<boolean>;
    /** `production`, `staging`, `testing`, `development` or `other`. */
    tier?: pulumi.Input<string>;
}
/** A deployment environment of a project (`gitlab:index/projectEnvironment:ProjectEnvironment`). */
export declare class ProjectEnvironment extends pulumi.CustomResource {
    static readonly __pulumiType = "gitlab:index/projectEnvironment:ProjectEnvironment";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static readonly schema: ResourceSchema;
    /** Whether `obj` is a ProjectEnvironment, also across copies of this package. */
    static isInstance(obj: unknown): obj is ProjectEnvironment;
    readonly autoStopSetting: pulumi.Output<string>;
    readonly createdAt: pulumi.Output<string>;
    readonly description: pulumi.Output<string | undefined>;
    readonly externalUrl: pulumi.Output<string | undefined>;
    readonly name: pulumi.Output<string>;
    readonly project: pulumi.Output<string>;
    /** URL-safe name, as used in `CI_ENVIRONMENT_SLUG`. */
    readonly slug: pulumi.Output<string>;
    /** `available`, `stopping` or `stopped`. */
    readonly state: pulumi.Output<string>;
    readonly stopBeforeDestroy: pulumi.Output<boolean | undefined>;
    readonly tier: pulumi.Output<string>;
    constructor(name: string, args: ProjectEnvironmentArgs, opts?: pulumi.CustomResourceOptions);
}
