// Trust policies of the CI roles, as pure functions: the component creates roles from them, the tests and the
// policy pack judge them without an engine.
//
// What AWS can check: for a generic OIDC provider such as GitLab, a role's trust policy sees only the token's
// `aud` and `sub` (as `<issuer-host>:aud` / `<issuer-host>:sub`). GitLab's other claims (`environment`,
// `environment_protected`, `ref_protected`, ...) never reach IAM, and GitLab's configurable `sub` takes only
// `project_path`, `ref_type` and `ref`. So the environment of a job is enforced on the GitLab side (environment-
// scoped, protected variables and protected environments), and on the AWS side by the ref: production trusts only
// the protected release tags, which no job of a branch pipeline (the default branch's included) can present.

/** Which job may assume a role. */
export type CiRoleKind = "preview" | "staging" | "production";
export const CI_ROLE_KINDS: readonly CiRoleKind[] = ["preview", "staging", "production"];

export interface TrustSubject {
    /** ARN of the IAM OIDC provider of the GitLab instance. */
    readonly providerArn: string;
    /** Issuer URL of the GitLab instance, e.g. `https://gitlab.com` (its host prefixes the condition keys). */
    readonly issuerUrl: string;
    /** `aud` the jobs request (`id_tokens: ...: aud:`). */
    readonly audience: string;
    /** `group/project` (lower case as GitLab prints it in `sub`). */
    readonly projectPath: string;
    /** The protected default branch staging deploys from. */
    readonly defaultBranch: string;
    /** The protected tag wildcard production deploys from (`v*`; components/gitlab/releaseTags.ts). */
    readonly releaseTagPattern: string;
}

/** `gitlab.com` for `https://gitlab.com/`; a path of a self-managed instance is kept (`host/gitlab`). */
export function issuerHost(issuerUrl: string): string {
    return issuerUrl.replace(/^https:\/\//, "").replace(/\/+$/, "");
}

/** The exact `sub` of a job on `branch` of `projectPath`. */
export function branchSubject(projectPath: string, branch: string): string {
    return `project_path:${projectPath}:ref_type:branch:ref:${branch}`;
}

/** The exact `sub` of a job of a pipeline for `tag` (or the `StringLike` pattern of such tags) of `projectPath`. */
export function tagSubject(projectPath: string, tag: string): string {
    return `project_path:${projectPath}:ref_type:tag:ref:${tag}`;
}

/**
 * The `sub` patterns a role of `kind` trusts. Production: release tags only, so no branch pipeline's job, not even
 * one on the default branch naming production's ARN, can assume it. Staging: the default branch, and the release
 * tags, whose pipeline deploys its commit to staging before production. Preview (read-only): any branch and the
 * release tags.
 */
export function trustedSubjects(kind: CiRoleKind, subject: TrustSubject): { operator: "StringEquals" | "StringLike"; values: string[] } {
    const releases = tagSubject(subject.projectPath, subject.releaseTagPattern);
    if (kind === "preview") return { operator: "StringLike", values: [branchSubject(subject.projectPath, "*"), releases] };
    if (kind === "staging") return { operator: "StringLike", values: [branchSubject(subject.projectPath, subject.defaultBranch), releases] };
    return { operator: "StringLike", values: [releases] };
}

/** The assume-role policy document of a role of `kind`. */
export function trustPolicy(kind: CiRoleKind, subject: TrustSubject): Record<string, unknown> {
    const host = issuerHost(subject.issuerUrl);
    const subjects = trustedSubjects(kind, subject);
    const condition: Record<string, Record<string, string | string[]>> = { StringEquals: { [`${host}:aud`]: subject.audience } };
    if (subjects.operator === "StringEquals") condition.StringEquals[`${host}:sub`] = subjects.values[0];
    else condition.StringLike = { [`${host}:sub`]: subjects.values };
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: `GitLab${kind[0].toUpperCase()}${kind.slice(1)}Jobs`,
                Effect: "Allow",
                Principal: { Federated: subject.providerArn },
                Action: "sts:AssumeRoleWithWebIdentity",
                Condition: condition,
            },
        ],
    };
}

/**
 * Whether a GitLab token with these claims may assume the role: the trust policy evaluated the way STS does for
 * the two keys it checks (exact match, or `*`/`?` wildcards under StringLike). For tests and the policy pack.
 */
export function trustAllows(policy: Record<string, unknown>, issuerUrl: string, claims: { aud: string; sub: string }): boolean {
    const host = issuerHost(issuerUrl);
    const statements = (policy.Statement ?? []) as { Effect: string; Condition?: Record<string, Record<string, string | string[]>> }[];
    return statements.some((statement) => {
        if (statement.Effect !== "Allow") return false;
        return Object.entries(statement.Condition ?? {}).every(([operator, keys]) =>
            Object.entries(keys).every(([conditionKey, expected]) => {
                const claim = conditionKey === `${host}:aud` ? claims.aud : conditionKey === `${host}:sub` ? claims.sub : undefined;
                if (claim === undefined) return false; // a key STS does not provide never matches
                const values = Array.isArray(expected) ? expected : [expected];
                return values.some((value) => (operator === "StringLike" ? likeMatch(value, claim) : value === claim));
            }),
        );
    });
}

function likeMatch(pattern: string, value: string): boolean {
    const regex = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);
    return regex.test(value);
}

/**
 * What the preview role may never read, whatever a read-only managed policy allows: parameters (the runner token),
 * secrets, table data, instance passwords and console output. A merge request controls the preview job's code.
 * S3 objects and KMS decryption stay allowed: a preview must read its stack's state from an S3 backend (often
 * SSE-KMS); the state's secrets stay encrypted with the stack's passphrase, which merge-request jobs never get.
 */
export const PREVIEW_DENY_POLICY = {
    Version: "2012-10-17",
    Statement: [
        {
            Sid: "NoSecretsOrData",
            Effect: "Deny",
            Action: ["ssm:GetParameter*", "secretsmanager:GetSecretValue", "dynamodb:GetItem", "dynamodb:BatchGetItem", "dynamodb:Query", "dynamodb:Scan", "ec2:GetPasswordData", "ec2:GetConsoleOutput"],
            Resource: "*",
        },
    ],
};
