"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.ProjectVariable = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** A project-level CI/CD variable (`gitlab:index/projectVariable:ProjectVariable`). */
class ProjectVariable extends pulumi.CustomResource {
    static __pulumiType = "gitlab:index/projectVariable:ProjectVariable";
    /** Inputs, outputs and secrets this binding declares for the token. */
    static schema = (0, utilities_1.schemaOf)({
        inputs: {
            description: true, environmentScope: true, hidden: true, key: true, masked: true, project: true,
            protected: true, raw: true, value: true, variableType: true,
        },
        required: ["key", "project", "value"],
        outputs: {
            description: true, environmentScope: true, hidden: true, key: true, masked: true, project: true,
            protected: true, raw: true, value: true, variableType: true,
        },
    });
    /** Whether `obj` is a ProjectVariable, also across copies of this package. */
    static isInstance(obj) {
        return pulumi.CustomResource.isInstance(obj) && obj.__pulumiType === ProjectVariable.__pulumiType;
    }
    constructor(name, args, opts) {
        super(ProjectVariable.__pulumiType, name, (0, utilities_1.resourceProps)(ProjectVariable.__pulumiType, ProjectVariable.schema, args, opts), (0, utilities_1.resourceOpts)(ProjectVariable.schema, opts));
    }
}
exports.ProjectVariable = ProjectVariable;
