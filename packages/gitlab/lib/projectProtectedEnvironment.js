"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ProjectProtectedEnvironment = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** Deploy and approval rules of an environment (`gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment`). */
class ProjectProtectedEnvironment extends pulumi.CustomResource {
    static __pulumiType = "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static schema = (0, utilities_1.schemaOf)({
        inputs: { approvalRules: true, deployAccessLevelsAttributes: true, environment: true, project: true },
        required: ["environment", "project"],
        outputs: { environment: true, project: true },
    });
    /** Whether `obj` is a ProjectProtectedEnvironment, also across copies of this package. */
    static isInstance(obj) {
        return pulumi.CustomResource.isInstance(obj) && obj.__pulumiType === ProjectProtectedEnvironment.__pulumiType;
    }
    constructor(name, args, opts) {
        super(ProjectProtectedEnvironment.__pulumiType, name, (0, utilities_1.resourceProps)(ProjectProtectedEnvironment.__pulumiType, ProjectProtectedEnvironment.schema, args, opts), (0, utilities_1.resourceOpts)(ProjectProtectedEnvironment.schema, opts));
    }
}
exports.ProjectProtectedEnvironment = ProjectProtectedEnvironment;
