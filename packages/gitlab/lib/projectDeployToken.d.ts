import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema } from "./utilities";
/** Arguments of a project deploy token; names and types follow `@pulumi/gitlab`'s `ProjectDeployTokenArgs`. */
export interface ProjectDeployTokenArgs {
    /** RFC 3339 expiry; none means the token does not expire. */
    expiresAt?: pulumi.Input<string>;
    name?: pulumi.Input<string>;
    /** Project id or `group/project` path. */
    project: pulumi.Input<string>;
    /** e.g. `read_registry`, `read_repository`, `write_registry`, `read_package_registry`. */
    scopes: pulumi.Input<pulumi.Input<string>[]>;
    /** Login name; GitLab generates `gitlab+deploy-token-N` when omitted. */
    username?: pulumi.Input<string>;
    /** Refuse an `expiresAt` in the past. */
    validatePastExpirationDate?: pulumi.Input<boolean>;
}
/** A deploy token of a project (`gitlab:index/projectDeployToken:ProjectDeployToken`; v10 removed `DeployToken`). */
export declare class ProjectDeployToken extends pulumi.CustomResource {
    static readonly __pulumiType = "gitlab:index/projectDeployToken:ProjectDeployToken";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static readonly schema: ResourceSchema;
    /** Whether `obj` is a ProjectDeployToken, also across copies of this package. */
    static isInstance(obj: unknown): obj is ProjectDeployToken;
    readonly expired: pulumi.Output<boolean>;
    readonly expiresAt: pulumi.Output<string>;
    readonly name: pulumi.Output<string>;
    readonly project: pulumi.Output<string>;
    readonly revoked: pulumi.Output<boolean>;
    readonly scopes: pulumi.Output<string[]>;
    /** The token's secret. Secret. */
    readonly token: pulumi.Output<string>;
    readonly username: pulumi.Output<string>;
    constructor(name: string, args: ProjectDeployTokenArgs, opts?: pulumi.CustomResourceOptions);
}
