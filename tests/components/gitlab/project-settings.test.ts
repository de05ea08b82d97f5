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
