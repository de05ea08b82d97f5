import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema, resourceOpts, resourceProps, schemaOf } from "./utilities";

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

type ProjectDeployTokenOutputName = Exclude<keyof ProjectDeployToken, keyof pulumi.CustomResource>;

/** A deploy token of a project (`gitlab:index/projectDeployToken:ProjectDeployToken`; v10 removed `DeployToken`). */
export class ProjectDeployToken extends pulumi.CustomResource {
    public static readonly __pulumiType = "gitlab:index/projectDeployToken:ProjectDeployToken";

    /** Inputs, outputs and secrets this binding declares for the token. */
    public static readonly schema: ResourceSchema = schemaOf<ProjectDeployTokenArgs, ProjectDeployTokenOutputName>({
        inputs: { expiresAt: true, name: true, project: true, scopes: true, username: true, validatePastExpirationDate: true },
        required: ["project", "scopes"],
        outputs: { expired: true, expiresAt: true, name: true, project: true, revoked: true, scopes: true, token: true, username: true },
        secretOutputs: ["token"],
    });

    /** Whether `obj` is a ProjectDeployToken, also across copies of this package. */
    public static isInstance(obj: unknown): obj is ProjectDeployToken {
        return pulumi.CustomResource.isInstance(obj) && (obj as unknown as { __pulumiType?: string }).__pulumiType === ProjectDeployToken.__pulumiType;
    }

    declare public readonly expired: pulumi.Output<boolean>;
    declare public readonly expiresAt: pulumi.Output<string>;
    declare public readonly name: pulumi.Output<string>;
    declare public readonly project: pulumi.Output<string>;
    declare public readonly revoked: pulumi.Output<boolean>;
    declare public readonly scopes: pulumi.Output<string[]>;
    /** The token's secret. Secret. */
    declare public readonly token: pulumi.Output<string>;
    declare public readonly username: pulumi.Output<string>;

    constructor(name: string, args: ProjectDeployTokenArgs, opts?: pulumi.CustomResourceOptions) {
        super(ProjectDeployToken.__pulumiType, name, resourceProps(ProjectDeployToken.__pulumiType, ProjectDeployToken.schema, args, opts), resourceOpts(ProjectDeployToken.schema, opts));
    }
}
