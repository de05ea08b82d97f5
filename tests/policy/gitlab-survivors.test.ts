import { strict as assert } from "node:assert";
import * as rules from "../../policy/rules";
import { GITLAB } from "./sdkTypes";
import { resource, verdict } from "./verdict";

// Issue 20: what the GitLab rules' mutation survivors showed no test pinned. Fixtures on the provider's tokens.

describe("gitlab-secret-variables-masked-protected, edges (issue 20)", () => {
    const policy = "gitlab-secret-variables-masked-protected";
    const check = rules.checkSecretVariables;

    it("names a secret variable without a key by its resource name", async () => {
        const subject = resource(GITLAB.projectVariable, { value: "glpat-abcdefghijklmnopqrst" }, { name: "token-var", options: { additionalSecretOutputs: ["value"] } });
        await verdict(policy, check, subject, /^CI variable "token-var" is secret \(its value is declared in additionalSecretOutputs\) and needs masked: true and protected: true$/);
    });
    it("leaves a plain variable alone, also when its options declare nothing", async () => {
        await verdict(policy, check, resource(GITLAB.projectVariable, { key: "APP_MODE", value: "fast" }, { options: {} }));
    });
    it("judges group variables too, and nothing that is not a variable", async () => {
        await verdict(policy, check, resource(GITLAB.groupVariable, { key: "DEPLOY_TOKEN", value: "x" }), /CI variable "DEPLOY_TOKEN" is secret/);
        await verdict(policy, check, resource(GITLAB.tagProtection, { key: "DEPLOY_TOKEN", value: "x" }));
    });
});

describe("production-environment-approvals, edges (issue 20)", () => {
    const check = (r: rules.PolicyResource) => rules.checkProductionApprovals(r);

    it("adds up only positive numeric approval counts, skipping rules without one", () => {
        assert.equal(rules.requiredApprovals({ approvalRules: [{ requiredApprovals: -1 }, { requiredApprovals: 2 }] }), 2);
        assert.equal(rules.requiredApprovals({ approvalRules: [null, { requiredApprovals: "2" }, { requiredApprovals: 1 }] }), 1);
        assert.equal(rules.requiredApprovals({}), 0);
    });
    it("asks protection only of variables scoped to production", () => {
        assert.deepEqual(check(resource(GITLAB.projectVariable, { key: "A", environmentScope: "staging", protected: false })), []);
        assert.deepEqual(check(resource(GITLAB.projectVariable, { key: "A", protected: false })), []);
        assert.match(check(resource(GITLAB.groupVariable, { key: "A", environmentScope: "production", protected: false })).join(), /CI variable "A" is scoped to "production" but not protected/);
    });
    it("asks approvals of production's protected environment, project or group, and of no other", () => {
        const none = { approvalRules: [] };
        assert.match(check(resource(GITLAB.groupProtectedEnvironment, { environment: "production", ...none })).join(), /protected environment "production" requires 0 approval/);
        assert.match(check(resource(GITLAB.projectProtectedEnvironment, { environment: "production", ...none })).join(), /requires 0 approval/);
        assert.deepEqual(check(resource(GITLAB.projectProtectedEnvironment, { environment: "staging", ...none })), []);
        assert.deepEqual(check(resource(GITLAB.projectProtectedEnvironment, { ...none })), []);
        assert.deepEqual(check(resource(GITLAB.tagProtection, { environment: "production", ...none })), []);
    });
    it("leaves a rule list with a missing entry to be counted, not judged unknown", () => {
        assert.match(check(resource(GITLAB.projectProtectedEnvironment, { environment: "production", approvalRules: [null] })).join(), /requires 0 approval/);
    });
});
