"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.types = exports.pluginVersion = exports.UserRunner = exports.TagProtection = exports.Provider = exports.ProjectVariable = exports.ProjectProtectedEnvironment = exports.ProjectEnvironment = exports.ProjectDeployToken = exports.Project = exports.BranchProtection = void 0;
// A typed binding over the official Pulumi GitLab provider. Class, args and property names mirror `@pulumi/gitlab`,
// so that moving to that package is an import change: `import * as gitlab from "@pulumi/gitlab"`.
var branchProtection_1 = require("./branchProtection");
Object.defineProperty(exports, "BranchProtection", { enumerable: true, get: function () { return branchProtection_1.BranchProtection; } });
var project_1 = require("./project");
Object.defineProperty(exports, "Project", { enumerable: true, get: function () { return project_1.Project; } });
var projectDeployToken_1 = require("./projectDeployToken");
Object.defineProperty(exports, "ProjectDeployToken", { enumerable: true, get: function () { return projectDeployToken_1.ProjectDeployToken; } });
var projectEnvironment_1 = require("./projectEnvironment");
Object.defineProperty(exports, "ProjectEnvironment", { enumerable: true, get: function () { return projectEnvironment_1.ProjectEnvironment; } });
var projectProtectedEnvironment_1 = require("./projectProtectedEnvironment");
Object.defineProperty(exports, "ProjectProtectedEnvironment", { enumerable: true, get: function () { return projectProtectedEnvironment_1.ProjectProtectedEnvironment; } });
var projectVariable_1 = require("./projectVariable");
Object.defineProperty(exports, "ProjectVariable", { enumerable: true, get: function () { return projectVariable_1.ProjectVariable; } });
var provider_1 = require("./provider");
Object.defineProperty(exports, "Provider", { enumerable: true, get: function () { return provider_1.Provider; } });
var tagProtection_1 = require("./tagProtection");
Object.defineProperty(exports, "TagProtection", { enumerable: true, get: function () { return tagProtection_1.TagProtection; } });
var userRunner_1 = require("./userRunner");
Object.defineProperty(exports, "UserRunner", { enumerable: true, get: function () { return userRunner_1.UserRunner; } });
var utilities_1 = require("./utilities");
Object.defineProperty(exports, "pluginVersion", { enumerable: true, get: function () { return utilities_1.pluginVersion; } });
const types = require("./types");
exports.types = types;
