import { strict as assert } from "node:assert";
import * as rules from "../../policy/rules";
import { StackResource, UNKNOWN_VALUE } from "../../policy/rules";
import { runStackPolicy, urn } from "./harness";
import { AWS, GITLAB } from "./sdkTypes";
import { assertSameVerdict } from "./verdict";
import { toStackResources } from "./capture";
import { runProjectStack } from "./stacks";

// release-tags-protected (issue 18): the production role trusts release tags, so those tags must be protected in
// the same stack, or anyone who may push a tag takes the role. Fixtures shaped like what components/ci and
// components/gitlab/releaseTags.ts register.

const POLICY = "release-tags-protected";
const ISSUER = "gitlab.example.com";

function role(name: string, purpose: string, subjects: string[]): StackResource {
    const assumeRolePolicy = JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Effect: "Allow",
            Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${ISSUER}` },
            Action: "sts:AssumeRoleWithWebIdentity",
            Condition: { StringEquals: { [`${ISSUER}:aud`]: `https://${ISSUER}` }, StringLike: { [`${ISSUER}:sub`]: subjects } },
        }],
    });
    return { type: AWS.iamRole, name, urn: urn("prod", AWS.iamRole, name), props: { assumeRolePolicy, tags: { Purpose: purpose } } };
}

function protection(tag: string, createAccessLevel: string): StackResource {
    const name = `release-tags-${tag.length}-${createAccessLevel}`;
    return { type: GITLAB.tagProtection, name, urn: urn("prod", GITLAB.tagProtection, name), props: { project: "group/app", tag, createAccessLevel } };
}

const tags = (pattern: string) => `project_path:group/app:ref_type:tag:ref:${pattern}`;
const main = "project_path:group/app:ref_type:branch:ref:main";
const PRODUCTION = role("ci-roles-production", "production", [tags("v*")]);
const STAGING = role("ci-roles-staging", "staging", [main, tags("v*")]);
const PREVIEW = role("ci-roles-preview", "preview", ["project_path:group/app:ref_type:branch:ref:*", tags("v*")]);

async function verdict(stack: StackResource[], expected?: RegExp): Promise<void> {
    assertSameVerdict(rules.checkReleaseTagsProtected(stack), await runStackPolicy(POLICY, stack), expected);
}

describe("release-tags-protected (issue 18)", () => {
    it("must not let the production role trust tags the stack does not protect", async () => {
        await verdict([PRODUCTION, PREVIEW], /"ci-roles-production" trusts GitLab jobs of tags "v\*", but no gitlab:index\/tagProtection:TagProtection .*\(protected: none\)/);
    });
    it("must not count a protection that lets developers create the tags, or one of another pattern", async () => {
        await verdict([PRODUCTION, protection("v*", "developer")], /"ci-roles-production" trusts GitLab jobs of tags "v\*"/);
        await verdict([PRODUCTION, protection("release-*", "maintainer")], /protected: "release-\*"/);
    });
    it("judges the staging role's tags too, and a wider trust than the protection", async () => {
        await verdict([STAGING, role("ci-roles-production", "production", [tags("*")]), protection("v*", "maintainer")],
            /"ci-roles-production" trusts GitLab jobs of tags "\*"/);
        await verdict([STAGING], /"ci-roles-staging" trusts GitLab jobs of tags "v\*"/);
    });
    it("accepts the tags protected for maintainers (or no one), an exact tag under a protected wildcard, and branch-only roles", async () => {
        await verdict([PRODUCTION, STAGING, PREVIEW, protection("v*", "maintainer")]);
        await verdict([PRODUCTION, protection("v*", "no one")]);
        await verdict([role("ci-roles-production", "production", [tags("v2.0.0")]), protection("v*", "maintainer")]);
        await verdict([role("ci-roles-staging", "staging", [main]), PREVIEW]);
    });
    it("waits for a protection or a trust not known yet (preview)", async () => {
        await verdict([PRODUCTION, { ...protection("v*", "maintainer"), props: { project: "group/app", tag: UNKNOWN_VALUE, createAccessLevel: "maintainer" } }]);
        await verdict([{ ...PRODUCTION, props: { assumeRolePolicy: UNKNOWN_VALUE, tags: { Purpose: "production" } } }]);
    });
    it("prod as the program registers it passes, and fails without its tag protection (the rule sees the real stack)", async function () {
        this.timeout(120_000);
        const stack = toStackResources(await runProjectStack("prod", false));
        assert.ok(stack.some((r) => r.type === GITLAB.tagProtection), "prod registers no TagProtection");
        await verdict(stack);
        await verdict(stack.filter((r) => r.type !== GITLAB.tagProtection), /"ci-roles-production" trusts GitLab jobs of tags "v\*"/);
    });
});
