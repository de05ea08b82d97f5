// A typed binding over the official Pulumi GitLab provider. Class, args and property names mirror `@pulumi/gitlab`,
// so that moving to that package is an import change: `import * as gitlab from "@pulumi/gitlab"`.
export { BranchProtection, type BranchProtectionArgs } from "./branchProtection";
export { Project, type ProjectArgs } from "./project";
export { ProjectDeployToken, type ProjectDeployTokenArgs } from "./projectDeployToken";
export { ProjectEnvironment, type ProjectEnvironmentArgs } from "./projectEnvironment";
export { ProjectProtectedEnvironment, type ProjectProtectedEnvironmentArgs } from "./projectProtectedEnvironment";
export { ProjectVariable, type ProjectVariableArgs } from "./projectVariable";
export { Provider, type ProviderArgs } from "./provider";
export { TagProtection, type TagProtectionArgs } from "./tagProtection";
export { UserRunner, type UserRunnerArgs } from "./userRunner";
export { pluginVersion, type ResourceSchema } from "./utilities";

import * as types from "./types";
export { types };
