import * as pulumi from "@pulumi/pulumi";
import { ResourceSchema, resourceOpts, resourceProps, schemaOf } from "./utilities";

/** Arguments of a protected tag; names and types follow `@pulumi/gitlab`'s `TagProtectionArgs`. */
export interface TagProtectionArgs {
    /** Who may create matching tags: `no one`, `developer` or `maintainer`. */
    createAccessLevel: pulumi.Input<string>;
    /** Project id or `group/project` path. */
    project: pulumi.Input<string>;
    /** Tag name or wildcard (`v*`). */
    tag: pulumi.Input<string>;
}

type TagProtectionOutputName = Exclude<keyof TagProtection, keyof pulumi.CustomResource>;

/** A protected tag or tag wildcard (`gitlab:index/tagProtection:TagProtection`). */
export class TagProtection extends pulumi.CustomResource {
    public static readonly __pulumiType = "gitlab:index/tagProtection:TagProtection";

    /** Inputs, outputs and secrets this binding declares for the token. */
    public static readonly schema: ResourceSchema = schemaOf<TagProtectionArgs, TagProtectionOutputName>({
        inputs: { createAccessLevel: true, project: true, tag: true },
        required: ["createAccessLevel", "project", "tag"],
        outputs: { createAccessLevel: true, project: true, tag: true },
    });

    /** Whether `obj` is a TagProtection, also across copies of this package. */
    public static isInstance(obj: unknown): obj is TagProtection {
        return pulumi.CustomResource.isInstance(obj) && (obj as unknown as { __pulumiType?: string }).__pulumiType === TagProtection.__pulumiType;
    }

    declare public readonly createAccessLevel: pulumi.Output<string>;
    declare public readonly project: pulumi.Output<string>;
    declare public readonly tag: pulumi.Output<string>;

    constructor(name: string, args: TagProtectionArgs, opts?: pulumi.CustomResourceOptions) {
        super(TagProtection.__pulumiType, name, resourceProps(TagProtection.__pulumiType, TagProtection.schema, args, opts), resourceOpts(TagProtection.schema, opts));
    }
}
