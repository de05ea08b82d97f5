// Issue 20: the project settings, environment options and registry arguments no other test pinned.
/* eslint-disable @typescript-eslint/no-require-imports -- modules load after the mocks are installed */
import * as assert from "node:assert/strict";
import { installMocks, MockRecorder, valueOf } from "../../support/mocks";

const T = {
    project: "gitlab:index/project:Project",
    environment: "gitlab:index/projectEnvironment:ProjectEnvironment",
    deployToken: "gitlab:index/projectDeployToken:ProjectDeployToken",
};

describe("cicd:gitlab:Project settings (issue 20)", () => {
    let mocks: MockRecorder;
    let components: typeof import("../../../components/gitlab");
    let selfHosted: import("../../../components/gitlab").Project;

    before(async () => {
        mocks = await installMocks({
            stack: "prod",
            state: { [T.project]: (inputs) => ({ pathWithNamespace: `Acme/${inputs.path}` }) },
        });
        components = require("../../../components/gitlab") as typeof import("../../../components/gitlab");
        new components.Project("plain", { project: { name: "Plain" } });
        selfHosted = new components.Project("hosted", {
            project: { name: "Hosted" },
            registry: { host: "registry.example.com:5050", deployTokenExpiresAt: "2027-06-30" },
        });
        await mocks.settle();
    });

    const projectInputs = (name: string) => mocks.find(T.project, `${name}-project`).inputs;
    const tokenInputs = (name: string) => mocks.find(T.deployToken, `${name}-pull`).inputs;

    it("keeps pipelines, job logs and environments to members: no public jobs", () => {
        const p = projectInputs("plain");
        assert.equal(p.publicJobs, false, "job logs and artifacts of a private project stay private");
        assert.equal(p.buildsAccessLevel, "private");
        assert.equal(p.environmentsAccessLevel, "private");
    });

    it("refuses an older deploy job over a newer deployment and keeps protected caches apart", () => {
        const p = projectInputs("plain");
        assert.equal(p.ciForwardDeploymentEnabled, true);
        assert.equal(p.ciSeparatedCaches, true, "unprotected branches must not poison the caches protected jobs read");
    });

    it("merges only with every discussion resolved, and never runs Auto DevOps beside our pipeline", () => {
        const p = projectInputs("plain");
        assert.equal(p.onlyAllowMergeIfAllDiscussionsAreResolved, true);
        assert.equal(p.autoDevopsEnabled, false);
        assert.equal(p.removeSourceBranchAfterMerge, true);
    });

    it("stops every environment's deployments before destroying it", () => {
        const environments = mocks.findAll(T.environment).filter((r) => r.name.startsWith("plain-"));
        assert.deepEqual(environments.map((r) => r.inputs.name).sort(), ["production", "staging"]);
        for (const environment of environments) assert.equal(environment.inputs.stopBeforeDestroy, true, environment.name);
    });

    it("passes the deploy token's expiry to GitLab as midnight UTC, and sets none by default", () => {
        assert.equal(tokenInputs("hosted").expiresAt, "2027-06-30T00:00:00Z");
        assert.equal(tokenInputs("plain").expiresAt, undefined);
    });

    it("builds the image repository on the configured registry host", async () => {
        assert.equal(await valueOf(selfHosted.registryRepository), "registry.example.com:5050/acme/hosted");
    });
});

describe("cicd:gitlab:Project registry arguments (issue 20)", () => {
    let projectArgsProblems: typeof import("../../../components/gitlab/project").projectArgsProblems;

    before(async () => {
        await installMocks();
        ({ projectArgsProblems } = require("../../../components/gitlab/project") as typeof import("../../../components/gitlab/project"));
    });

    const registryProblems = (registry: { host?: string; deployTokenExpiresAt?: string }) =>
        projectArgsProblems({ project: { name: "x" }, registry });

    it("accepts a registry host name, with or without a port", () => {
        for (const host of ["registry.gitlab.com", "registry.example.com:5050", "10.0.0.5:5000"]) {
            assert.deepEqual(registryProblems({ host }), [], host);
        }
    });
    it("refuses a registry host that is a URL, has a path, an empty port or capitals", () => {
        for (const host of ["https://registry.gitlab.com", "registry.gitlab.com/acme", "registry.gitlab.com:", "Registry.GitLab.com", " registry.gitlab.com"]) {
            assert.deepEqual(registryProblems({ host }), [`[registry.host] "${host}" must be a registry host name such as registry.gitlab.com`], host);
        }
    });
    it("accepts an expiry date YYYY-MM-DD", () => {
        for (const expiry of ["2027-06-30", "2028-02-29", "2027-12-31"]) assert.deepEqual(registryProblems({ deployTokenExpiresAt: expiry }), [], expiry);
    });
    it("refuses an expiry that is not a real date YYYY-MM-DD", () => {
        for (const expiry of ["2027-6-30", "2027-06-30T00:00:00Z", "12027-06-30", "+2027-06-30", "2027-13-01", "2027-02-45", "2027-02-30", "2027-04-31", "2027-02-29", "next year"]) {
            assert.deepEqual(registryProblems({ deployTokenExpiresAt: expiry }), [`[registry.deployTokenExpiresAt] "${expiry}" must be a date YYYY-MM-DD`], expiry);
        }
    });
});

describe("cicd:gitlab:Project defaults and optional parts (issue 20)", () => {
    const T2 = {
        ...T,
        protectedEnvironment: "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
        variable: "gitlab:index/projectVariable:ProjectVariable",
    };
    const PREVIEW_ROLE = "arn:aws:iam::123456789012:role/gitlab-preview";
    const STAGING_ROLE = "arn:aws:iam::123456789012:role/gitlab-staging";
    let mocks: MockRecorder;

    before(async () => {
        mocks = await installMocks({ stack: "prod" });
        const components = require("../../../components/gitlab") as typeof import("../../../components/gitlab");
        new components.Project("untiered", { project: { name: "Untiered" } });
        new components.Project("free", { project: { name: "Free" }, tier: "free" });
        new components.Project("preview", { project: { name: "Preview" }, ci: { awsPreviewRoleArn: PREVIEW_ROLE } });
        new components.Project("staging", { project: { name: "Staging" }, ci: { awsDeployRoleArns: { staging: STAGING_ROLE } } });
        await mocks.settle();
    });

    const protectedEnvironments = (name: string) => mocks.findAll(T2.protectedEnvironment).filter((r) => r.name.startsWith(`${name}-`));
    const variables = (name: string) => mocks.findAll(T2.variable).filter((r) => r.name.startsWith(`${name}-`));

    it("is a Premium project unless told otherwise: both environments protected, pipeline-trigger approval off", () => {
        assert.deepEqual(protectedEnvironments("untiered").map((r) => r.name).sort(), ["untiered-production-protection", "untiered-staging-protection"]);
        assert.equal(mocks.find(T.project, "untiered-project").inputs.allowPipelineTriggerApproveDeployment, false);
    });

    it("on Free creates the environments but no protection GitLab would refuse", () => {
        assert.deepEqual(mocks.findAll(T.environment).filter((r) => r.name.startsWith("free-")).map((r) => r.inputs.name).sort(), ["production", "staging"]);
        assert.deepEqual(protectedEnvironments("free"), []);
    });

    it("names the hosts' deploy token after the project path", () => {
        assert.equal(mocks.find(T.deployToken, "untiered-pull").inputs.name, "untiered-hosts-pull");
    });

    it("creates only the role variables it is given, each under its own name", () => {
        assert.deepEqual(variables("preview").map((r) => [r.name, r.inputs.key, r.inputs.environmentScope]), [
            ["preview-aws-preview-role-arn", "AWS_PREVIEW_ROLE_ARN", "*"],
        ]);
        assert.deepEqual(variables("staging").map((r) => [r.name, r.inputs.key, r.inputs.environmentScope]), [
            ["staging-staging-aws-deploy-role-arn", "AWS_DEPLOY_ROLE_ARN", "staging"],
        ]);
    });
});

describe("cicd:gitlab:Project name, path, branch, role and tier arguments (issue 20)", () => {
    let project: typeof import("../../../components/gitlab/project");

    before(async () => {
        await installMocks();
        project = require("../../../components/gitlab/project") as typeof import("../../../components/gitlab/project");
    });

    it("requires a display name, also when the project block is missing or the name is blank", () => {
        const required = "[project.name] is required: the GitLab project's display name";
        assert.deepEqual(project.projectArgsProblems({} as never), [required]);
        assert.deepEqual(project.projectArgsProblems({ project: { name: "   " } }), [required]);
    });

    it("derives the path from the name (trimmed, lower-case, runs of blanks as one dash) and checks that path", () => {
        assert.equal(project.defaultPath("  Delivery   App "), "delivery-app");
        assert.deepEqual(project.projectArgsProblems({ project: { name: "Delivery App!" } }), [
            `[project.path] "delivery-app!" is not a GitLab path: letters, digits, _ . - and no leading punctuation`,
        ]);
    });

    it("refuses a path with a slash after valid characters", () => {
        assert.deepEqual(project.projectArgsProblems({ project: { name: "x", path: "app/evil" } }), [
            `[project.path] "app/evil" is not a GitLab path: letters, digits, _ . - and no leading punctuation`,
        ]);
    });

    it("lists the allowed branch access levels when one is wrong", () => {
        assert.deepEqual(project.projectArgsProblems({ project: { name: "x" }, branch: { pushAccessLevel: "owner" as never } }), [
            `[branch.pushAccessLevel] "owner" is not allowed; allowed: no one, developer, maintainer`,
        ]);
    });

    it("checks each AWS role ARN under its own key, and takes a ci block with none", () => {
        const bad = "arn:aws:iam::12:role/x";
        assert.deepEqual(project.projectArgsProblems({ project: { name: "x" }, ci: { awsPreviewRoleArn: bad } }), [
            `[ci.awsPreviewRoleArn] "${bad}" is not an IAM role ARN (arn:aws:iam::123456789012:role/name)`,
        ]);
        assert.deepEqual(project.projectArgsProblems({ project: { name: "x" }, ci: { awsDeployRoleArns: { staging: bad } } }), [
            `[ci.awsDeployRoleArns.staging] "${bad}" is not an IAM role ARN (arn:aws:iam::123456789012:role/name)`,
        ]);
        assert.deepEqual(project.projectArgsProblems({ project: { name: "x" }, ci: {} }), []);
    });

    it("refuses an unknown GitLab tier, listing the tiers", () => {
        assert.deepEqual(project.projectArgsProblems({ project: { name: "x" }, tier: "gold" as never }), [
            `[tier] "gold" is not a GitLab tier; allowed: free, premium, ultimate`,
        ]);
    });
});
