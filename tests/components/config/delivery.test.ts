import { strict as assert } from "assert";
import { ProductionConfig } from "../../../components/config";
import { configProblems, onlyConfigProblem, RawOverrides, validateStack } from "../../program/configHarness";

// The prod stack's delivery settings (components/config/delivery.ts): GitLab tier, production approvals, the CI
// roles, the OIDC provider, the runners' AMI. What the program makes of them is tests/program/first-up.test.ts.

const FREE: RawOverrides = { gitlabTier: "free", gitlabNamespaceId: undefined, productionApprovals: undefined };
const ROLES = {
    awsPreviewRoleArn: "arn:aws:iam::123456789012:role/ci-preview",
    awsStagingRoleArn: "arn:aws:iam::123456789012:role/ci-staging",
    awsProductionRoleArn: "arn:aws:iam::123456789012:role/ci-production",
};
const OIDC = "arn:aws:iam::123456789012:oidc-provider/gitlab.com";

const deliveryOf = (overrides: RawOverrides = {}) => (validateStack("prod", overrides) as ProductionConfig).delivery;

/** The problems of a prod stack with these overrides. */
const problemsOf = (overrides: RawOverrides) => configProblems(() => validateStack("prod", overrides));

/** The one problem of a prod stack with these overrides; fails when there are none or several. */
const onlyProblem = (overrides: RawOverrides) => onlyConfigProblem(() => validateStack("prod", overrides));

/** The keys the problems name, in order. */
const keysOf = (problems: readonly string[]) => problems.map((p) => p.split(" ")[0].replace(/^gitlab-docker-delivery:/, ""));

describe("config: delivery (gitlabTier, approvals, CI roles, runner AMI)", () => {
    it("reads a paid tier's defaults: no trigger approval, approvers unknown, the stack creates the roles, newest AMI, tags v*", () => {
        assert.deepEqual(deliveryOf(), {
            gitlabTier: "premium",
            allowPipelineTriggerApproveDeployment: false,
            productionApproverCount: undefined,
            ciRoles: undefined,
            awsOidcProviderArn: undefined,
            runnerAmiId: undefined,
            releaseTagPattern: "v*",
        });
    });

    it("takes each tier by name; free needs no group namespace", () => {
        assert.equal(deliveryOf({ gitlabTier: "ultimate" }).gitlabTier, "ultimate");
        assert.equal(deliveryOf(FREE).gitlabTier, "free");
    });

    it("requires gitlabTier, and refuses one GitLab does not have, naming the value and the tiers", () => {
        assert.match(onlyProblem({ gitlabTier: undefined }), /^gitlab-docker-delivery:gitlabTier is required: .*free, premium, ultimate/);
        const problem = onlyProblem({ gitlabTier: "gold" });
        assert.match(problem, /^gitlab-docker-delivery:gitlabTier "gold" is not a GitLab tier; allowed: free, premium, ultimate/);
    });

    it("says only that the tier is wrong: approval keys are not judged against a tier it does not know", () => {
        // Before: an unknown tier was read as free, and productionApprovals got "has no effect when gitlabTier is free".
        assert.deepEqual(keysOf(problemsOf({ gitlabTier: "gold", productionApproverCount: "3", allowPipelineTriggerApproveDeployment: "true" })), ["gitlabTier"]);
        assert.deepEqual(keysOf(problemsOf({ gitlabTier: undefined, gitlabNamespaceId: undefined })), ["gitlabTier"]);
    });

    it("requires a group namespace on a paid tier, naming the tier", () => {
        assert.match(onlyProblem({ gitlabNamespaceId: undefined }), /^gitlab-docker-delivery:gitlabNamespaceId is required when gitlabTier is premium/);
        assert.match(onlyProblem({ gitlabTier: "ultimate", gitlabNamespaceId: undefined }), /gitlabNamespaceId is required when gitlabTier is ultimate/);
        assert.equal(deliveryOf({ ...FREE, gitlabNamespaceId: "77" }).gitlabTier, "free");
    });

    it("refuses every approval setting on free, each named", () => {
        for (const key of ["productionApprovals", "allowPipelineTriggerApproveDeployment", "productionApproverCount"]) {
            const value = key === "allowPipelineTriggerApproveDeployment" ? "false" : "1";
            assert.match(onlyProblem({ ...FREE, [key]: value }), new RegExp(`^gitlab-docker-delivery:${key} has no effect when gitlabTier is free`), key);
        }
        const all = problemsOf({ ...FREE, productionApprovals: "2", allowPipelineTriggerApproveDeployment: "true", productionApproverCount: "3" });
        assert.deepEqual(keysOf(all).sort(), ["allowPipelineTriggerApproveDeployment", "productionApprovals", "productionApproverCount"]);
    });

    it("reads the approval settings on a paid tier", () => {
        const delivery = deliveryOf({ allowPipelineTriggerApproveDeployment: "true", productionApproverCount: "5" });
        assert.equal(delivery.allowPipelineTriggerApproveDeployment, true);
        assert.equal(delivery.productionApproverCount, 5);
        assert.equal(deliveryOf({ productionApproverCount: "1000" }).productionApproverCount, 1000);
    });

    it("refuses an approver count outside 1 to 1000 and a trigger setting that is not a boolean", () => {
        for (const count of ["0", "1001", "two"]) assert.ok(onlyProblem({ productionApproverCount: count }).includes(`productionApproverCount must be a whole number from 1 to 1000 (got "${count}")`), count);
        assert.match(onlyProblem({ allowPipelineTriggerApproveDeployment: "yes" }), /allowPipelineTriggerApproveDeployment must be true or false/);
    });

    it("lets approvals reach the approvers other than the one who triggered the pipeline", () => {
        assert.equal(deliveryOf({ productionApprovals: "1", productionApproverCount: "2" }).productionApproverCount, 2);
        assert.equal(deliveryOf({ productionApprovals: "3", productionApproverCount: "4" }).productionApproverCount, 4);
        // Counting the one who triggered it: as many approvals as approvers.
        assert.equal(deliveryOf({ productionApprovals: "2", productionApproverCount: "2", allowPipelineTriggerApproveDeployment: "true" }).productionApproverCount, 2);
        assert.equal(deliveryOf({ productionApprovals: "1", productionApproverCount: "1", allowPipelineTriggerApproveDeployment: "true" }).productionApproverCount, 1);
    });

    it("refuses more approvals than approvers who can give them, with the numbers and the keys that fix it", () => {
        const alone = onlyProblem({ productionApprovals: "1", productionApproverCount: "1" });
        assert.match(alone, /^gitlab-docker-delivery:productionApprovals is 1, but only 0 of the 1 approver\(s\)/);
        assert.match(alone, /allowPipelineTriggerApproveDeployment/);
        assert.match(onlyProblem({ productionApprovals: "4", productionApproverCount: "4" }), /productionApprovals is 4, but only 3 of the 4 approver\(s\)/);
        const withTrigger = onlyProblem({ productionApprovals: "3", productionApproverCount: "2", allowPipelineTriggerApproveDeployment: "true" });
        assert.match(withTrigger, /productionApprovals is 3, but only 2 of the 2 approver\(s\)/);
        assert.doesNotMatch(withTrigger, /allowPipelineTriggerApproveDeployment|triggered/, "the trigger is already allowed");
    });

    it("takes your own three CI roles, each in its place", () => {
        assert.deepEqual(deliveryOf(ROLES).ciRoles, { preview: ROLES.awsPreviewRoleArn, staging: ROLES.awsStagingRoleArn, production: ROLES.awsProductionRoleArn });
        const gov = { ...ROLES, awsProductionRoleArn: "arn:aws-us-gov:iam::123456789012:role/path/ci+prod=x,y.z@w-1" };
        assert.equal(deliveryOf(gov).ciRoles!.production, gov.awsProductionRoleArn);
    });

    it("refuses what is not an IAM role ARN, naming the key and the value", () => {
        for (const arn of ["arn:aws:iam::12345678901:role/x", "arn:aws:iam::123456789012:user/x", "arn:aws:iam::123456789012:role/", "role/x", "xarn:aws:iam::123456789012:role/x", "arn:aws:iam::123456789012:role/x y", "arn:aws:iam::1234567890123:role/x"]) {
            const problem = onlyProblem({ ...ROLES, awsStagingRoleArn: arn });
            assert.ok(problem.startsWith(`gitlab-docker-delivery:awsStagingRoleArn "${arn}" is not an IAM role ARN`), `${arn}: ${problem}`);
        }
    });

    it("refuses part of a set of own roles once, on the first missing key, listing all that are missing", () => {
        const one = onlyProblem({ awsStagingRoleArn: ROLES.awsStagingRoleArn });
        assert.match(one, /^gitlab-docker-delivery:awsPreviewRoleArn is required when any of awsPreviewRoleArn, awsStagingRoleArn, awsProductionRoleArn is set/);
        assert.match(one, /missing: awsPreviewRoleArn, awsProductionRoleArn\)$/);
        const two = onlyProblem({ awsPreviewRoleArn: ROLES.awsPreviewRoleArn, awsStagingRoleArn: ROLES.awsStagingRoleArn });
        assert.match(two, /^gitlab-docker-delivery:awsProductionRoleArn is required .*missing: awsProductionRoleArn\)$/);
    });

    it("reuses an existing OIDC provider when the stack creates the roles, and refuses one with your own roles or of the wrong form", () => {
        assert.equal(deliveryOf({ awsOidcProviderArn: OIDC }).awsOidcProviderArn, OIDC);
        assert.match(onlyProblem({ ...ROLES, awsOidcProviderArn: OIDC }), /^gitlab-docker-delivery:awsOidcProviderArn is only used when the prod stack creates the CI roles/);
        for (const arn of ["arn:aws:iam::123456789012:role/gitlab.com", "arn:aws:iam::123456789012:oidc-provider/", "arn:aws:iam::1234:oidc-provider/gitlab.com", "xarn:aws:iam::123456789012:oidc-provider/gitlab.com", "arn:aws:iam::123456789012:oidc-provider/gitlab.com x"]) {
            assert.ok(onlyProblem({ awsOidcProviderArn: arn }).startsWith(`gitlab-docker-delivery:awsOidcProviderArn "${arn}" is not an IAM OIDC provider ARN`), arn);
            assert.ok(onlyProblem({ ...ROLES, awsOidcProviderArn: arn }).includes(`"${arn}" is not an IAM OIDC provider ARN`), `${arn} with roles`);
        }
    });

    it("takes an AMI id of ami- and 8 to 17 lowercase hex digits, and refuses anything else", () => {
        for (const ami of ["ami-0123abcd", `ami-${"f".repeat(17)}`]) assert.equal(deliveryOf({ runnerAmiId: ami }).runnerAmiId, ami);
        for (const ami of ["ami-0123abc", `ami-${"f".repeat(18)}`, "ami-0123ABCD", "ami-0123abcg", "xami-0123abcd", "ami-0123abcd x"]) {
            assert.ok(onlyProblem({ runnerAmiId: ami }).startsWith(`gitlab-docker-delivery:runnerAmiId "${ami}" is not an AMI id`), ami);
        }
    });
});
