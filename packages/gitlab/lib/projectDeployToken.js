"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ProjectDeployToken = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** A deploy token of a project (`gitlab:index/projectDeployToken:ProjectDeployToken`; v10 removed `DeployToken`). */
class ProjectDeployToken extends pulumi.CustomResource {
    static __pulumiType = "gitlab:index/projectDeployToken:ProjectDeployToken";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static schema = (0, utilities_1.schemaOf)({
        inputs: { expiresAt: true, name: true, project: true, scopes: true, username: true, validatePastExpirationDate: true },
        required: ["project", "scopes"],
        outputs: { expired: true, expiresAt: true, name: true, project: true, revoked: true, scopes: true, token: true, username: true },
        secretOutputs: ["token"],
    });
    /** Whether `obj` is a ProjectDeployToken, also across copies of this package. */
    static isInstance(obj) {
        return pulumi.CustomResource.isInstance(obj) && obj.__pulumiType === ProjectDeployToken.__pulumiType;
    }
    constructor(name, args, opts) {
        super(ProjectDeployToken.__pulumiType, name, (0, utilities_1.resourceProps)(ProjectDeployToken.__pulumiType, ProjectDeployToken.schema, args, opts), (0, utilities_1.resourceOpts)(ProjectDeployToken.schema, opts));
    }
}
exports.ProjectDeployToken = ProjectDeployToken;
