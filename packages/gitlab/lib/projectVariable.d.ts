import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema } from "./utilities";
/** Arguments of a project CI/CD variable; names and types follow `@pulumi/gitlab`'s `ProjectVariableArgs`. */
export interface ProjectVariableArgs {
    description?: pulumi.Input<string>;
    /** Environment scope: `*` (default) for all, or an environment name such as `production`. */
    environmentScope?: pulumi.Input<string>;
    /** Hide the value in the UI for good (GitLab 17.4+); implies masked. Only settable on create. */
    hidden?: pulumi.Input<boolean>;
    /** Variable name: letters, digits and `_`. */
    key: pulumi.Input<string>;
    /** Mask the value in job logs; GitLab requires 8+ characters from its masking alphabet. */
    masked?: pulumi.Input<boolean>;
    /** Project id or `group/project` path. */
    project: pulumi.Input<string>;
    /** Expose the variable only to pipelines on protected branches and tags. */
    protected?: pulumi.Input<boolean>;
    /** Do not expand `$` references in the value. */
    raw?: pulumi.Input<boolean>;
    /**
     * The value. The provider's schema does not mark it secret, and neither does this binding (as `@pulumi/gitlab`):
     * for a secret, pass `pulumi.secret(value)` and the resource option `additionalSecretOutputs: ["value"]`.
     */
    value: pulumi.Input<string>;
    /** `env_var` (default) or `file` (the job gets a path to a temporary file holding the value). */
    variableType?: pulumi.Input<string>;
}
/** A project-level CI/CD variable (`gitlab:index/projectVariable:ProjectVariable`). */
export declare class ProjectVariable extends pulumi.CustomResource {
    static readonly __pulumiType = "gitlab:index/projectVariable:ProjectVariable";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static readonly schema: ResourceSchema;
    /** Whether `obj` is a ProjectVariable, also across copies of this package. */
    static isInstance(obj: unknown): obj is ProjectVariable;
    readonly description: pulumi.Output<string | undefined>;
    readonly environmentScope: pulumi.Output<string>;
    readonly hidden: pulumi.Output<boolean>;
    readonly key: pulumi.Output<string>;
    readonly masked: pulumi.Output<boolean>;
    readonly project: pulumi.Output<string>;
    readonly protected: pulumi.Output<boolean>;
    readonly raw: pulumi.Output<boolean>;
    /** Plain unless the caller marked it secret (see {@link ProjectVariableArgs.value}). */
    readonly value: pulumi.Output<string>;
    readonly variableType: pulumi.Output<string>;
    constructor(name: string, args: ProjectVariableArgs, opts?: pulumi.CustomResourceOptions);
}
