import { strict as assert } from "node:assert";
import * as rules from "../../policy/rules";
import { PolicyResource, StackResource, UNKNOWN_VALUE } from "../../policy/rules";
import { runStackPolicy, urn } from "./harness";
import { AWS, DOCKER_BUILD, GITLAB } from "./sdkTypes";
import { FEDERATED, ISSUER, aud, statement, trustRole } from "./trustRoles";
import { assertSameVerdict, resource, verdict } from "./verdict";

// oidc-role-exact-subjects and release-tags-protected (issue 20): how the rules read a trust policy, on the SDK's
// type tokens. rules.test.ts and release-tags.test.ts hold the main cases; these pin the reading around them.

const POLICY = "oidc-role-exact-subjects";
const sub = (subjects: unknown) => ({ [`${ISSUER}:sub`]: subjects });
const branch = (ref: string) => `project_path:group/app:ref_type:branch:ref:${ref}`;
const tag = (ref: string) => `project_path:group/app:ref_type:tag:ref:${ref}`;

const role = (statements: unknown, purpose?: string, asObject = false) => trustRole(statements, purpose ? { Purpose: purpose } : undefined, asObject);

const check = (r: PolicyResource) => rules.checkOidcTrust(r);
const noAud = statement({ StringEquals: sub(branch("main")) });

describe("oidc-role-exact-subjects reading the trust policy (issue 20)", () => {
    it("judges a trust policy given as an object, a single Statement object, and a Statement list with other entries", async () => {
        await verdict(POLICY, check, role([noAud], undefined, true), /aud claim/);
        await verdict(POLICY, check, role(noAud), /Statement\[0\] .*aud claim/);
        await verdict(POLICY, check, role(["not a statement", noAud]), /aud claim/);
        const service = { Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" };
        await verdict(POLICY, check, role([service, noAud]), /^assumeRolePolicy Statement\[1\] \(web identity from gitlab\.example\.com\) does not check the token's aud claim/);
    });

    it("names every OIDC provider a statement trusts", async () => {
        const two = statement({ StringEquals: sub(branch("main")) }, { Principal: { Federated: [FEDERATED, "arn:aws:iam::123456789012:oidc-provider/gitlab.other.example"] } });
        await verdict(POLICY, check, role([two]), /\(web identity from gitlab\.example\.com, gitlab\.other\.example\)/);
    });

    it("reads sts:* and * as letting a web identity in, and a list of actions by any of them", async () => {
        for (const Action of ["sts:*", "*", ["sts:TagSession", "sts:AssumeRoleWithWebIdentity"]]) {
            await verdict(POLICY, check, role([statement({ StringEquals: sub(branch("main")) }, { Action })]), /aud claim/);
        }
    });

    it("judges only what lets a GitLab token in: not a Deny, another action, a SAML or service principal, nor a role without trust policy", async () => {
        const open = {};
        await verdict(POLICY, check, role([statement(open, { Effect: "Deny" })]));
        await verdict(POLICY, check, role([statement(open, { Action: "sts:AssumeRole" })]));
        await verdict(POLICY, check, role([statement(open, { Action: "sts:*", Principal: { Federated: "arn:aws:iam::123456789012:saml-provider/corp" } })]));
        await verdict(POLICY, check, role([statement(open, { Principal: "*" })]));
        await verdict(POLICY, check, resource(AWS.iamRole, { name: "no-trust-yet" }));
        await verdict(POLICY, check, role([statement(open, { Principal: { Federated: [7, FEDERATED] } })]), /web identity from gitlab\.example\.com\)/);
    });

    it("judges IAM roles only: another resource carrying the same document is not a role", async () => {
        const document = JSON.stringify({ Version: "2012-10-17", Statement: [noAud] });
        await verdict(POLICY, check, resource(AWS.s3BucketPolicy, { bucket: "b", assumeRolePolicy: document }));
    });

    it("leaves a trust policy with a value not known yet (the provider's issuer at preview) for up", async () => {
        const pending = JSON.stringify({ Version: "2012-10-17", Statement: [statement({ StringEquals: sub(branch("main")) }, { Principal: { Federated: `arn:aws:iam::123456789012:oidc-provider/${UNKNOWN_VALUE}` } })] });
        await verdict(POLICY, check, resource(AWS.iamRole, { assumeRolePolicy: pending }));
        await verdict(POLICY, check, resource(AWS.iamRole, { assumeRolePolicy: "{ not json" }));
    });

    it("on a production role, judges each known string subject and leaves unknown ones", async () => {
        await verdict(POLICY, check, role([statement({ StringEquals: { ...aud, ...sub([tag("v1.0.0"), UNKNOWN_VALUE, 42]) } })], "production", true));
        await verdict(POLICY, check, role([statement({ StringEquals: { ...aud, ...sub([UNKNOWN_VALUE, branch("main")]) } })], "production", true),
            /production role be assumed by "project_path:group\/app:ref_type:branch:ref:main"/);
    });

    it("says the ref is open for a wildcard anywhere in it, and says nothing of the ref when the wildcard is elsewhere", async () => {
        await verdict(POLICY, check, role([statement({ StringEquals: aud, StringLike: sub(branch("release/*")) })]),
            /"project_path:group\/app:ref_type:branch:ref:release\/\*" \(any branch, so any merge request's job\)/);
        const [message] = check(role([statement({ StringEquals: aud, StringLike: sub("project_path:group/*:ref_type:branch:ref:main") })]));
        assert.match(message, /trusts the subject pattern "project_path:group\/\*:ref_type:branch:ref:main"; /);
    });

    it("does not count an IfExists operator as a check of the subject", async () => {
        await verdict(POLICY, check, role([statement({ StringEquals: aud, StringLikeIfExists: sub(branch("main")) })]), /does not check the token's sub claim/);
    });
});

const TAGS_POLICY = "release-tags-protected";

function stackRole(name: string, subjects: unknown, extra: Record<string, unknown> = {}, purpose = "production"): StackResource {
    const assumeRolePolicy = { Version: "2012-10-17", Statement: [statement({ StringEquals: aud, StringLike: sub(subjects) }), ...(extra.statements as unknown[] ?? [])] };
    return { type: AWS.iamRole, name, urn: urn("prod", AWS.iamRole, name), props: { assumeRolePolicy, tags: { Purpose: purpose } } };
}

function protection(name: string, props: Record<string, unknown>): StackResource {
    return { type: GITLAB.tagProtection, name, urn: urn("prod", GITLAB.tagProtection, name), props: { project: "group/app", ...props } };
}

async function stackVerdict(stack: StackResource[], expected?: RegExp): Promise<void> {
    assertSameVerdict(rules.checkReleaseTagsProtected(stack), await runStackPolicy(TAGS_POLICY, stack), expected);
}

describe("release-tags-protected matching tags to protections (issue 20)", () => {
    it("covers an exact tag only by a protection whose wildcard matches it, dots read literally", async () => {
        await stackVerdict([stackRole("production", tag("v2.0.0")), protection("release", { tag: "release-*", createAccessLevel: "maintainer" })],
            /"production" trusts GitLab jobs of tags "v2\.0\.0".*\(protected: "release-\*"\)/);
        await stackVerdict([stackRole("production", tag("v1.0.3")), protection("minor", { tag: "v1.0.*", createAccessLevel: "maintainer" })]);
        await stackVerdict([stackRole("production", tag("v1x0")), protection("minor", { tag: "v1.0*", createAccessLevel: "maintainer" })], /tags "v1x0"/);
    });

    it("lists every protection it found, and counts a protection without a tag as none", async () => {
        await stackVerdict([stackRole("production", tag("v*")), protection("a", { tag: "release-*", createAccessLevel: "maintainer" }), protection("b", { tag: "rc-*", createAccessLevel: "Maintainer" })],
            /\(protected: "release-\*", "rc-\*"\)/);
        await stackVerdict([stackRole("production", tag("v2.0.0")), protection("bare", { createAccessLevel: "maintainer" })], /\(protected: none\)/);
    });

    it("takes only TagProtections for protections: an image index's tag, unknown at preview, turns nothing off", async () => {
        const index: StackResource = { type: DOCKER_BUILD.index, name: "app-index", urn: urn("prod", DOCKER_BUILD.index, "app-index"), props: { tag: UNKNOWN_VALUE, sources: [UNKNOWN_VALUE] } };
        await stackVerdict([stackRole("production", tag("v*")), index], /"production" trusts GitLab jobs of tags "v\*"/);
    });
    it("judges roles only, and only statements that let a GitLab token in", async () => {
        const notRole: StackResource = { ...stackRole("production", tag("v*")), type: AWS.s3BucketPolicy, name: "policy", urn: urn("prod", AWS.s3BucketPolicy, "policy") };
        await stackVerdict([notRole]);
        const denied: StackResource = stackRole("production", branch("main"), { statements: [statement({ StringLike: sub(tag("v*")) }, { Effect: "Deny" })] });
        await stackVerdict([denied]);
    });

    it("leaves a tag subject not known yet for up, and still judges the known ones", async () => {
        await stackVerdict([stackRole("production", [tag(UNKNOWN_VALUE)])]);
        await stackVerdict([stackRole("production", [tag(UNKNOWN_VALUE), tag("v*")])], /tags "v\*"/);
    });
});
