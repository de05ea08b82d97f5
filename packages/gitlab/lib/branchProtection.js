"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.BranchProtection = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** A protected branch (`gitlab:index/branchProtection:BranchProtection`). */
class BranchProtection extends pulumi.CustomResource {
    static __pulumiType = "gitlab:index/branchProtection:BranchProtection";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static schema = (0, utilities_1.schemaOf)({
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
    static isInstance(obj) {
        return pulumi.CustomResource.isInstance(obj) && obj.__pulumiType === BranchProtection.__pulumiType;
    }
    constructor(name, args, opts) {
        super(BranchProtection.__pulumiType, name, (0, utilities_1.resourceProps)(BranchProtection.__pulumiType, BranchProtection.schema, args, opts), (0, utilities_1.resourceOpts)(BranchProtection.schema, opts));
    }
}
exports.BranchProtection = BranchProtection;
