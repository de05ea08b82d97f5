// The GitLab project component under mocks: what it asks GitLab for, and what it refuses.
/* eslint-disable @typescript-eslint/no-require-imports -- modules load after the mocks are installed */
import * as assert from "node:assert/strict";
import { installMocks, isSecretOutput, MockRecorder, RecordedResource, valueOf } from "../../support/mocks";

const T = {
    project: "gitlab:index/project:Project",
    variable: "gitlab:index/projectVariable:ProjectVariable",
    environment: "gitlab:index/projectEnvironment:ProjectEnvironment",
    protectedEnvironment: "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
    deployToken: "gitlab:index/projectDeployToken:ProjectDeployToken",
    branch: "gitlab:index/branchProtection:BranchProtection",
    provider: "pulumi:providers:gitlab",
};

const STAGING_ROLE = "arn:aws:iam::123456789012:role/gitlab-staging";
const DEPLOY_ROLE = "arn:aws:iam::123456789012:role/gitlab-deploy";
const PREVIEW_ROLE = "arn:aws:iam::123456789012:role/gitlab-preview";

describe("cicd:gitlab:Project", () => {
    let mocks: MockRecorder;
    let components: typeof import("../../../components/gitlab");
    let project: import("../../../components/gitlab").Project;

    before(async () => {
        mocks = await installMocks({
            stack: "prod",
            state: {
                [T.project]: (inputs) => ({ pathWithNamespace: `Acme/${inputs.path}`, webUrl: `https://gitlab.com/Acme/${inputs.path}` }),
                [T.deployToken]: { username: "gitlab+deploy-token-7", token: "gldt-not-a-real-token" },
            },
        });
        const gitlab = await import("@cicd/pulumi-gitlab");
        components = require("../../../components/gitlab") as typeof import("../../../components/gitlab");
        const provider = new gitlab.Provider("gl", { token: "glpat-not-a-real-token" });
        project = new components.Project("app", {
            project: { name: "Delivery App", namespaceId: 1234 },
            ci: { awsDeployRoleArns: { staging: STAGING_ROLE, production: DEPLOY_ROLE }, awsPreviewRoleArn: PREVIEW_ROLE },
        }, { providers: [provider] });
        await mocks.settle();
    });

    const only = (type: string): RecordedResource => {
        const all = mocks.findAll(type);
        assert.equal(all.length, 1, `expected one ${type}`);
        return all[0];
    };
    const environmentRule = (name: string) => mocks.find(T.protectedEnvironment, `app-${name}-protection`).inputs;

    it("creates a private project with main as default branch, merging only after a green pipeline", () => {
        const p = only(T.project).inputs;
        assert.equal(p.visibilityLevel, "private");
        assert.equal(p.defaultBranch, "main");
        assert.equal(p.initializeWithReadme, false, "the repository's history is pushed into an empty project");
        assert.equal(p.onlyAllowMergeIfPipelineSucceeds, true);
        assert.equal(p.allowMergeOnSkippedPipeline, false);
        assert.equal(p.name, "Delivery App");
        assert.equal(p.path, "delivery-app");
        assert.equal(p.namespaceId, 1234);
    });

    it("turns the container registry on with the v10 access-level input, for members only", () => {
        const p = only(T.project).inputs;
        assert.equal(p.containerRegistryAccessLevel, "private");
        assert.equal(p.containerRegistryEnabled, undefined);
    });

    it("archives rather than deletes the project on destroy by default", () => {
        assert.equal(only(T.project).inputs.archiveOnDestroy, true);
        assert.equal(only(T.project).inputs.permanentlyDeleteOnDestroy, false);
    });

    it("must protect main against force pushes", () => {
        const branch = only(T.branch).inputs;
        assert.equal(branch.branch, "main");
        assert.equal(branch.allowForcePush, false);
        assert.equal(branch.pushAccessLevel, "maintainer");
        assert.equal(branch.mergeAccessLevel, "developer");
    });

    it("creates staging and production environments with their tiers", () => {
        const environments = mocks.findAll(T.environment).map((r) => [r.inputs.name, r.inputs.tier]);
        assert.deepEqual(environments.sort(), [["production", "production"], ["staging", "staging"]]);
        assert.deepEqual(project.environmentNames, ["staging", "production"]);
    });

    it("lets only maintainers deploy to production, after at least one maintainer approval", () => {
        const production = environmentRule("production");
        assert.equal(production.environment, "production");
        assert.deepEqual(production.deployAccessLevelsAttributes, [{ accessLevel: "maintainer" }]);
        assert.deepEqual(production.approvalRules, [{ accessLevel: "maintainer", requiredApprovals: 1 }]);
        assert.equal(production.deployAccessLevels, undefined, "v10 removed deployAccessLevels");
    });

    it("lets developers deploy to staging without approval", () => {
        const staging = environmentRule("staging");
        assert.deepEqual(staging.deployAccessLevelsAttributes, [{ accessLevel: "developer" }]);
        assert.deepEqual(staging.approvalRules, []);
    });

    it("gives hosts a deploy token that can only read the registry, and keeps it secret", async () => {
        const token = only(T.deployToken);
        assert.deepEqual(token.inputs.scopes, ["read_registry"]);
        assert.ok(token.additionalSecretOutputs.includes("token"));
        assert.equal(await valueOf(project.deployTokenUsername), "gitlab+deploy-token-7");
        assert.equal(await isSecretOutput(project.deployTokenPassword), true);
    });

    it("provisions one protected deploy role per environment, scoped to it, and the preview role unprotected, project-wide", () => {
        const deploys = mocks.findAll(T.variable).filter((v) => v.inputs.key === "AWS_DEPLOY_ROLE_ARN");
        const preview = mocks.findAll(T.variable).find((v) => v.inputs.key === "AWS_PREVIEW_ROLE_ARN");
        assert.ok(preview);
        assert.deepEqual(deploys.map((d) => [d.inputs.environmentScope, d.inputs.value, d.inputs.protected]).sort(), [
            ["production", DEPLOY_ROLE, true],
            ["staging", STAGING_ROLE, true],
        ]);
        assert.equal(preview.inputs.environmentScope, "*");
        assert.equal(preview.inputs.protected, false, "merge-request pipelines run previews");
        for (const role of [...deploys, preview]) {
            // Not secrets: previews show them, and the policy pack does not treat them as credentials.
            assert.equal(role.inputs.masked, false);
            assert.deepEqual(role.secretInputs, []);
            assert.deepEqual(role.additionalSecretOutputs, []);
        }
        assert.equal(mocks.findAll(T.variable).length, 3);
    });

    it("pins gitlab plugin 10.1.1 and the explicit provider on every GitLab resource", () => {
        const gitlabResources = mocks.resources.filter((r) => r.type.startsWith("gitlab:"));
        assert.equal(gitlabResources.length, 10);
        for (const r of gitlabResources) {
            assert.equal(r.version, "10.1.1", `${r.type} ${r.name}`);
            assert.match(r.provider, /::pulumi:providers:gitlab::gl::/, `${r.type} ${r.name}`);
        }
    });

    it("parents every child to the component", () => {
        const component = only("cicd:gitlab:Project");
        for (const r of mocks.resources.filter((r) => r.type.startsWith("gitlab:"))) {
            assert.equal(mocks.parentOf(r), component, `${r.type} ${r.name}`);
        }
    });

    it("exports the registry repository lower-cased and the project id", async () => {
        assert.equal(await valueOf(project.registryRepository), "registry.gitlab.com/acme/delivery-app");
        const id = await valueOf(project.projectId);
        assert.equal(typeof id, "string");
        assert.notEqual(id, "");
    });
});

describe("cicd:gitlab:Project with bad arguments", () => {
    let mocks: MockRecorder;
    let components: typeof import("../../../components/gitlab");

    before(async () => {
        mocks = await installMocks();
        components = require("../../../components/gitlab") as typeof import("../../../components/gitlab");
    });

    const attempt = (name: string, args: import("../../../components/gitlab").ProjectArgs) => () => new components.Project(name, args);

    it("refuses production without approvals, naming the key, and registers nothing", async () => {
        assert.throws(
            attempt("no-approvals", { project: { name: "x" }, environments: { productionApprovals: 0 } }),
            /cicd:gitlab:Project "no-approvals": \[environments\.productionApprovals\] must be an integer from 1 to 10 \(got 0\): production deployments need at least one approval/,
        );
        await mocks.settle();
        assert.deepEqual(mocks.resources.filter((r) => r.name.startsWith("no-approvals")), []);
    });

    it("honours a larger approval count", async () => {
        new components.Project("two-approvals", { project: { name: "two" }, environments: { productionApprovals: 2, productionApprovers: "developer" } });
        await mocks.settle();
        assert.deepEqual(mocks.find(T.protectedEnvironment, "two-approvals-production-protection").inputs.approvalRules, [
            { accessLevel: "developer", requiredApprovals: 2 },
        ]);
        assert.equal(mocks.findAll(T.variable).filter((v) => v.name.startsWith("two-approvals")).length, 0, "no role variables unless given");
    });

    it("reports every bad key at once", () => {
        assert.throws(
            attempt("many", {
                project: { name: " ", path: "-bad" },
                branch: { pushAccessLevel: "everyone" as "maintainer" },
                environments: { productionApprovals: 1.5, stagingDeployers: "owner" as "developer" },
                registry: { deployTokenExpiresAt: "next year" },
                ci: { awsDeployRoleArns: { production: "role/deploy" } },
            }),
            (err: Error) => {
                for (const key of ["project.name", "project.path", "branch.pushAccessLevel", "environments.productionApprovals", "environments.stagingDeployers", "registry.deployTokenExpiresAt", "ci.awsDeployRoleArns.production"]) {
                    assert.ok(err.message.includes(`[${key}]`), `message should name ${key}: ${err.message}`);
                }
                return true;
            },
        );
    });
});
