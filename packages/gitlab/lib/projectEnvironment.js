"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ProjectEnvironment = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** A deployment environment of a project (`gitlab:index/projectEnvironment:ProjectEnvironment`). */
class ProjectEnvironment extends pulumi.CustomResource {
    static __pulumiType = "gitlab:index/projectEnvironment:ProjectEnvironment";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static schema = (0, utilities_1.schemaOf)({
        inputs: {
            autoStopSetting: true, clusterAgentId: true, description: true, externalUrl: true, fluxResourcePath: true,
            kubernetesNamespace: true, name: true, project: true, stopBeforeDestroy: true, tier: true,
        },
        required: ["project"],
        outputs: {
            autoStopSetting: true, createdAt: true, description: true, externalUrl: true, name: true, project: true,
            slug: true, state: true, stopBeforeDestroy: true, tier: true,
        },
    });
    /** Whether `obj` is a ProjectEnvironment, also across copies of this package. */
    static isInstance(obj) {
        return pulumi.CustomResource.isInstance(obj) && obj.__pulumiType === ProjectEnvironment.__pulumiType;
    }
    constructor(name, args, opts) {
        super(ProjectEnvironment.__pulumiType, name, (0, utilities_1.resourceProps)(ProjectEnvironment.__pulumiType, ProjectEnvironment.schema, args, opts), (0, utilities_1.resourceOpts)(ProjectEnvironment.schema, opts));
    }
}
exports.ProjectEnvironment = ProjectEnvironment;
