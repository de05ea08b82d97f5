import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import { ResourceSchema, resourceOpts, resourceProps, schemaOf } from "./utilities";

/** Arguments of a protected branch; names and types follow `@pulumi/gitlab`'s `BranchProtectionArgs`. */
export interface BranchProtectionArgs {
    /** Allow force pushes by those who may push. */
    allowForcePush?: pulumi.Input<boolean>;
    /** Extra groups or users who may merge (Premium). */
    allowedToMerges?: pulumi.Input<pulumi.Input<inputs.BranchProtectionAllowedToMerge>[]>;
    /** Extra groups, users or deploy keys who may push (Premium). */
    allowedToPushes?: pulumi.Input<pulumi.Input<inputs.BranchProtectionAllowedToPush>[]>;
    /** Extra groups or users who may unprotect (Premium). */
    allowedToUnprotects?: pulumi.Input<pulumi.Input<inputs.BranchProtectionAllowedToUnprotect>[]>;
    /** Branch name or wildcard. */
    branch: pulumi.Input<string>;
    /** Require code owner approval (Premium). */
    codeOwnerApprovalRequired?: pulumi.Input<boolean>;
    /** `no one`, `developer`, `maintainer` or `admin`. */
    mergeAccessLevel?: pulumi.Input<string>;
    /** Project id or `group/project` path. */
    project: pulumi.Input<string>;
    /** `no one`, `developer`, `maintainer` or `admin`. */
    pushAccessLevel?: pulumi.Input<string>;
}

type BranchProtectionOutputName = Exclude<keyof BranchProtection, keyof pulumi.CustomResource>;

/** A protected branch (`gitlab:index/branchProtection:BranchProtection`). */
export class BranchProtection extends pulumi.CustomResource {
    public static readonly __pulumiType = "gitlab:index/branchProtection:BranchProtection";

    /** Inputs, outputs and secrets this binding declares for the token. */
    public static readonly schema: ResourceSchema = schemaOf<BranchProtectionArgs, BranchProtectionOutputName>({
        inputs: {
            allowForcePush: true, allowedToMerges: true, allowedToPushes: true, allowedToUnprotects: true, branch: true,
            codeOwnerApprovalRequired: true, mergeAccessLevel: true, project: true, pushAccessLevel: true,
        },
        required: ["branch", "project"],
        outputs: {
            allowForcePush: true, branch: true, branchProtectionId: true, mergeAccessLevel: true, project: true,
            pushAccessLevel: true,
        },
    });

    /** Whether `obj` is a BranchProtection, also across copies of this package. */
    public static isInstance(obj: unknown): obj is BranchProtection {
        return pulumi.CustomResource.isInstance(obj) && (obj as unknown as { __pulumiType?: string }).__pulumiType === BranchProtection.__pulumiType;
    }

    declare public readonly allowForcePush: pulumi.Output<boolean | undefined>;
    declare public readonly branch: pulumi.Output<string>;
    declare public readonly branchProtectionId: pulumi.Output<number>;
    declare public readonly mergeAccessLevel: pulumi.Output<string | undefined>;
    declare public readonly project: pulumi.Output<string>;
    declare public readonly pushAccessLevel: pulumi.Output<string | undefined>;

    constructor(name: string, args: BranchProtectionArgs, opts?: pulumi.CustomResourceOptions) {
        super(BranchProtection.__pulumiType, name, resourceProps(BranchProtection.__pulumiType, BranchProtection.schema, args, opts), resourceOpts(BranchProtection.schema, opts));
    }
}
