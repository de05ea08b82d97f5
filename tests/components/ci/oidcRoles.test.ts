// The CI roles component and its trust policies (#12 item 2, #18 "Roles per environment"), under mocks.
/* eslint-disable @typescript-eslint/no-require-imports -- modules load after the mocks are installed */
import * as assert from "node:assert/strict";
import { installMocks, MockRecorder } from "../../support/mocks";
import { CI_ROLE_KINDS, TrustSubject, branchSubject, issuerHost, tagSubject, trustAllows, trustPolicy } from "../../../components/ci/trust";

const SUBJECT: TrustSubject = {
    providerArn: "arn:aws:iam::123456789012:oidc-provider/gitlab.example.com/gitlab",
    issuerUrl: "https://gitlab.example.com/gitlab/",
    audience: "https://gitlab.example.com/gitlab",
    projectPath: "platform/delivery",
    defaultBranch: "main",
    releaseTagPattern: "v*",
};
const token = (sub: string) => ({ aud: SUBJECT.audience, sub });

describe("CI role trust policies (components/ci/trust.ts)", () => {
    it("keys the conditions on the issuer's host and path, as IAM names them", () => {
        assert.equal(issuerHost(SUBJECT.issuerUrl), "gitlab.example.com/gitlab");
        const policy = trustPolicy("production", SUBJECT) as { Statement: { Condition: Record<string, Record<string, unknown>>; Principal: unknown; Action: string }[] };
        assert.deepEqual(policy.Statement[0].Condition, {
            StringEquals: { "gitlab.example.com/gitlab:aud": "https://gitlab.example.com/gitlab" },
            StringLike: { "gitlab.example.com/gitlab:sub": ["project_path:platform/delivery:ref_type:tag:ref:v*"] },
        });
        assert.deepEqual(policy.Statement[0].Principal, { Federated: SUBJECT.providerArn });
        assert.equal(policy.Statement[0].Action, "sts:AssumeRoleWithWebIdentity");
    });

    it("refuses a merge request's token on both deploy roles; the preview role takes it", () => {
        const mr = token(branchSubject("platform/delivery", "attacker-branch"));
        for (const kind of CI_ROLE_KINDS) {
            assert.equal(trustAllows(trustPolicy(kind, SUBJECT), SUBJECT.issuerUrl, mr), kind === "preview", kind);
        }
    });

    it("production admits release tags only: every job of the default branch is refused, staging admits both", () => {
        const main = token(branchSubject("platform/delivery", "main"));
        const release = token(tagSubject("platform/delivery", "v1.4.0"));
        assert.equal(trustAllows(trustPolicy("production", SUBJECT), SUBJECT.issuerUrl, main), false, "a job on main got production's role");
        assert.equal(trustAllows(trustPolicy("production", SUBJECT), SUBJECT.issuerUrl, release), true);
        assert.equal(trustAllows(trustPolicy("staging", SUBJECT), SUBJECT.issuerUrl, main), true);
        assert.equal(trustAllows(trustPolicy("staging", SUBJECT), SUBJECT.issuerUrl, release), true);
        // A tag outside the protected pattern, or a branch named like a release: neither is a release.
        for (const sub of [tagSubject("platform/delivery", "1.4.0"), tagSubject("platform/delivery", "release-v1"), branchSubject("platform/delivery", "v1.4.0")]) {
            assert.equal(trustAllows(trustPolicy("production", SUBJECT), SUBJECT.issuerUrl, token(sub)), false, sub);
        }
    });

    it("refuses a token without the audience or from a look-alike project path", () => {
        const policy = trustPolicy("staging", SUBJECT);
        assert.equal(trustAllows(policy, SUBJECT.issuerUrl, { aud: "other", sub: branchSubject("platform/delivery", "main") }), false);
        assert.equal(trustAllows(policy, SUBJECT.issuerUrl, { aud: SUBJECT.audience, sub: branchSubject("platform/delivery-fork", "main") }), false);
        assert.equal(trustAllows(policy, SUBJECT.issuerUrl, { aud: SUBJECT.audience, sub: branchSubject("platform/delivery", "main") }), true);
    });
});

describe("cicd:ci:OidcRoles", () => {
    let mocks: MockRecorder;
    before(async () => {
        mocks = await installMocks({ stack: "prod" });
        const { OidcRoles } = require("../../../components/ci") as typeof import("../../../components/ci");
        new OidcRoles("ci", { issuerUrl: "https://gitlab.com/", projectPath: "Acme/App", defaultBranch: "main", tags: { Stack: "prod" } });
        await mocks.settle();
    });

    it("creates one provider and three roles, their trust naming the lower-cased project path", () => {
        assert.equal(mocks.findAll("aws:iam/openIdConnectProvider:OpenIdConnectProvider").length, 1);
        const roles = mocks.findAll("aws:iam/role:Role");
        assert.deepEqual(roles.map((r) => r.name).sort(), ["ci-preview", "ci-production", "ci-staging"]);
        const production = JSON.parse(roles.find((r) => r.name === "ci-production")!.inputs.assumeRolePolicy);
        assert.deepEqual(production.Statement[0].Condition.StringLike["gitlab.com:sub"], ["project_path:acme/app:ref_type:tag:ref:v*"]);
        const staging = JSON.parse(roles.find((r) => r.name === "ci-staging")!.inputs.assumeRolePolicy);
        assert.deepEqual(staging.Statement[0].Condition.StringLike["gitlab.com:sub"],
            ["project_path:acme/app:ref_type:branch:ref:main", "project_path:acme/app:ref_type:tag:ref:v*"]);
        for (const role of roles) {
            assert.equal(role.inputs.maxSessionDuration, 3600);
            assert.equal(role.inputs.tags.Stack, "prod");
        }
    });

    it("refuses an issuer that is not https, and registers nothing, not even the component (failed on the old code)", async () => {
        const { OidcRoles } = require("../../../components/ci") as typeof import("../../../components/ci");
        assert.throws(() => new OidcRoles("bad", { issuerUrl: "http://gitlab.com", projectPath: "a/b", defaultBranch: "main" }), /\[issuerUrl\] "http:\/\/gitlab.com" must be the https URL/);
        await mocks.settle();
        assert.deepEqual(mocks.findAll("cicd:ci:OidcRoles").map((r) => r.name), ["ci"]);
    });

    it("refuses a release tag pattern that any tag (or a branch-like name) would match, and registers nothing", async () => {
        const { OidcRoles } = require("../../../components/ci") as typeof import("../../../components/ci");
        for (const pattern of ["*", "*v", "v?", "v 1*", "ref:v*", ""]) {
            assert.throws(() => new OidcRoles(`bad-${pattern.length}`, { issuerUrl: "https://gitlab.com", projectPath: "a/b", defaultBranch: "main", releaseTagPattern: pattern }),
                /\[releaseTagPattern\] ".*" is not a release tag pattern: it must start with a letter or digit/, pattern);
        }
        await mocks.settle();
        assert.deepEqual(mocks.findAll("cicd:ci:OidcRoles").map((r) => r.name), ["ci"]);
    });
});
