import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema } from "./utilities";
/** Arguments of a protected tag; names and types follow `@pulumi/gitlab`'s `TagProtectionArgs`. */
export interface TagProtectionArgs {
    /** Who may create matching tags: `no one`, `developer` or `maintainer`. */
    createAccessLevel: pulumi.Input<string>;
    /** Project id or `group/project` path. */
    project: pulumi.Input<string>;
    /** Tag name or wildcard (`v*`). */
    tag: pulumi.Input<string>;
}
/** A protected tag or tag wildcard (`gitlab:index/tagProtection:TagProtection`). */
export declare class TagProtection extends pulumi.CustomResource {
    static readonly __pulumiType = "gitlab:index/tagProtection:TagProtection";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static readonly schema: ResourceSchema;
    /** Whether `obj` is a TagProtection, also across copies of this package. */
    static isInstance(obj: unknown): obj is TagProtection;
    readonly createAccessLevel: pulumi.Output<string>;
    readonly project: pulumi.Output<string>;
    readonly tag: pulumi.Output<string>;
    constructor(name: string, args: TagProtectionArgs, opts?: pulumi.CustomResourceOptions);
}
