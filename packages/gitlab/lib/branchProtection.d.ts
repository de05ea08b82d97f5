import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import { ResourceSchema } from "./utilities";
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
/** A protected branch (`gitlab:index/branchProtection:BranchProtection`). */
export declare class BranchProtection extends pulumi.CustomResource {
    static readonly __pulumiType = "gitlab:index/branchProtection:BranchProtection";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static readonly schema: ResourceSchema;
    /** Whether `obj` is a BranchProtection, also across copies of this package. */
    static isInstance(obj: unknown): obj is BranchProtection;
    readonly allowForcePush: pulumi.Output<boolean | undefined>;
    readonly branch: pulumi.Output<string>;
    readonly branchProtectionId: pulumi.Output<number>;
    readonly mergeAccessLevel: pulumi.Output<string | undefined>;
    readonly project: pulumi.Output<string>;
    readonly pushAccessLevel: pulumi.Output<string | undefined>;
    constructor(name: string, args: BranchProtectionArgs, opts?: pulumi.CustomResourceOptions);
}
