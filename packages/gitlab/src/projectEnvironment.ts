import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema, resourceOpts, resourceProps, schemaOf } from "./utilities";

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

type ProjectEnvironmentOutputName = Exclude<keyof ProjectEnvironment, keyof pulumi.CustomResource>;

/** A deployment environment of a project (`gitlab:index/projectEnvironment:ProjectEnvironment`). */
export class ProjectEnvironment extends pulumi.CustomResource {
    public static readonly __pulumiType = "gitlab:index/projectEnvironment:ProjectEnvironment";

    /** Inputs, outputs and secrets this binding declares for the token. */
    public static readonly schema: ResourceSchema = schemaOf<ProjectEnvironmentArgs, ProjectEnvironmentOutputName>({
        inputs: {
            autoStopSetting: true, clusterAgentId: true, description: true, externalUrl: true, fluxResourcePath: true,
            kubernetesNamespace: true, name: true, project: true, stopBeforeDestroy: true, tier: true,
        },
        required: ["project"],
        outputs: {
            autoStopSetting: true, createdAt: true, description: true, externalUrl: true, name: true, project: true,
            slug: true, state: true, stopBeforeDestroy: true, tier: true,
        },
    });

    /** Whether `obj` is a ProjectEnvironment, also across copies of this package. */
    public static isInstance(obj: unknown): obj is ProjectEnvironment {
        return pulumi.CustomResource.isInstance(obj) && (obj as unknown as { __pulumiType?: string }).__pulumiType === ProjectEnvironment.__pulumiType;
    }

    declare public readonly autoStopSetting: pulumi.Output<string>;
    declare public readonly createdAt: pulumi.Output<string>;
    declare public readonly description: pulumi.Output<string | undefined>;
    declare public readonly externalUrl: pulumi.Output<string | undefined>;
    declare public readonly name: pulumi.Output<string>;
    declare public readonly project: pulumi.Output<string>;
    /** URL-safe name, as used in `CI_ENVIRONMENT_SLUG`. */
    declare public readonly slug: pulumi.Output<string>;
    /** `available`, `stopping` or `stopped`. */
    declare public readonly state: pulumi.Output<string>;
    declare public readonly stopBeforeDestroy: pulumi.Output<boolean | undefined>;
    declare public readonly tier: pulumi.Output<string>;

    constructor(name: string, args: ProjectEnvironmentArgs, opts?: pulumi.CustomResourceOptions) {
        super(ProjectEnvironment.__pulumiType, name, resourceProps(ProjectEnvironment.__pulumiType, ProjectEnvironment.schema, args, opts), resourceOpts(ProjectEnvironment.schema, opts));
    }
}
