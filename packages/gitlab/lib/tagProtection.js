"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.TagProtection = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** A protected tag or tag wildcard (`gitlab:index/tagProtection:TagProtection`). */
class TagProtection extends pulumi.CustomResource {
    static __pulumiType = "gitlab:index/tagProtection:TagProtection";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static schema = (0, utilities_1.schemaOf)({
        inputs: { createAccessLevel: true, project: true, tag: true },
        required: ["createAccessLevel", "project", "tag"],
        outputs: { createAccessLevel: true, project: true, tag: true },
    });
    /** Whether `obj` is a TagProtection, also across copies of this package. */
    static isInstance(obj) {
        return pulumi.CustomResource.isInstance(obj) && obj.__pulumiType === TagProtection.__pulumiType;
    }
    constructor(name, args, opts) {
        super(TagProtection.__pulumiType, name, (0, utilities_1.resourceProps)(TagProtection.__pulumiType, TagProtection.schema, args, opts), (0, utilities_1.resourceOpts)(TagProtection.schema, opts));
    }
}
exports.TagProtection = TagProtection;
