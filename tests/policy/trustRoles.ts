import { PolicyResource } from "../../policy/rules";
import { urn } from "./harness";
import { AWS } from "./sdkTypes";
import { resource } from "./verdict";

// IAM roles that GitLab's ID tokens may assume, as the OIDC trust rules judge them (rules.test.ts, iam-survivors.test.ts).

export const ISSUER = "gitlab.example.com";
export const FEDERATED = `arn:aws:iam::123456789012:oidc-provider/${ISSUER}`;
/** The audience condition every deploy role needs. */
export const aud = { [`${ISSUER}:aud`]: `https://${ISSUER}` };

/** A web-identity statement from GitLab; `change` replaces any of its fields. */
export function statement(condition: Record<string, unknown>, change: Record<string, unknown> = {}): Record<string, unknown> {
    return { Effect: "Allow", Principal: { Federated: FEDERATED }, Action: "sts:AssumeRoleWithWebIdentity", Condition: condition, ...change };
}

/** A role in the prod stack trusting these statements; its trust policy as JSON text (as AWS takes it) or as an object. */
export function trustRole(statements: unknown, tags?: Record<string, string>, asObject = false): PolicyResource {
    const document = { Version: "2012-10-17", Statement: statements };
    return resource(AWS.iamRole, { assumeRolePolicy: asObject ? document : JSON.stringify(document), ...(tags ? { tags } : {}) },
        { urn: urn("prod", AWS.iamRole, "deploy") });
}
