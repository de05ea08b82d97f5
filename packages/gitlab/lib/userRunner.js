"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.UserRunner = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** A runner and its `glrt-` authentication token (`gitlab:index/userRunner:UserRunner`). */
class UserRunner extends pulumi.CustomResource {
    static __pulumiType = "gitlab:index/userRunner:UserRunner";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static schema = (0, utilities_1.schemaOf)({
        inputs: {
            accessLevel: true, description: true, groupId: true, locked: true, maintenanceNote: true,
            maximumTimeout: true, paused: true, projectId: true, runnerType: true, tagLists: true, untagged: true,
        },
        required: ["runnerType"],
        outputs: {
            accessLevel: true, description: true, locked: true, projectId: true, runnerType: true, tagLists: true,
            token: true, untagged: true,
        },
        secretOutputs: ["token"],
    });
    /** Whether `obj` is a UserRunner, also across copies of this package. */
    static isInstance(obj) {
        return pulumi.CustomResource.isInstance(obj) && obj.__pulumiType === UserRunner.__pulumiType;
    }
    constructor(name, args, opts) {
        super(UserRunner.__pulumiType, name, (0, utilities_1.resourceProps)(UserRunner.__pulumiType, UserRunner.schema, args, opts), (0, utilities_1.resourceOpts)(UserRunner.schema, opts));
    }
}
exports.UserRunner = UserRunner;
