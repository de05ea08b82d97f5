import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { DEFAULT_RELEASE_TAG_PATTERN, releaseTagPatternProblem } from "../gitlab/releaseTags";
import { CI_ROLE_KINDS, CiRoleKind, PREVIEW_DENY_POLICY, TrustSubject, issuerHost, trustPolicy } from "./trust";

/** AWS-managed policies each role starts from; the inline policies below narrow them. */
export const ROLE_MANAGED_POLICIES: Readonly<Record<CiRoleKind, readonly string[]>> = {
    preview: ["arn:aws:iam::aws:policy/ReadOnlyAccess"],
    // No IAM: merged code running in deploy_staging cannot rewrite a trust policy or mint a role.
    staging: ["arn:aws:iam::aws:policy/PowerUserAccess"],
    // The prod stack owns the runners' instance roles, the OIDC provider and these roles themselves.
    production: ["arn:aws:iam::aws:policy/PowerUserAccess", "arn:aws:iam::aws:policy/IAMFullAccess"],
};

/** EC2 actions on existing resources that the staging role may not take on resources of another stack. */
export const OTHER_STACK_EC2_ACTIONS: readonly string[] = [
    "ec2:TerminateInstances", "ec2:StopInstances", "ec2:RebootInstances", "ec2:ModifyInstanceAttribute",
    "ec2:AttachVolume", "ec2:DetachVolume", "ec2:DeleteVolume", "ec2:ModifyVolume", "ec2:CreateSnapshot",
    "ec2:AuthorizeSecurityGroupIngress", "ec2:RevokeSecurityGroupIngress", "ec2:ModifySecurityGroupRules", "ec2:DeleteSecurityGroup",
    "ec2:AssociateAddress", "ec2:DisassociateAddress", "ec2:ReleaseAddress", "ec2:DeleteKeyPair", "ec2:CreateTags", "ec2:DeleteTags",
];

/** Inline policy of the staging role: hands off anything tagged for another stack (every resource carries `Stack`). */
export function stagingBoundaryPolicy(stagingStack: string): Record<string, unknown> {
    return {
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "OnlyStagingResources",
                Effect: "Deny",
                Action: [...OTHER_STACK_EC2_ACTIONS],
                Resource: "*",
                Condition: { StringNotEquals: { "aws:ResourceTag/Stack": stagingStack }, Null: { "aws:ResourceTag/Stack": "false" } },
            },
        ],
    };
}

export interface OidcRolesArgs {
    /** GitLab instance URL, the token issuer (`https://gitlab.com`). */
    readonly issuerUrl: string;
    /** `aud` the jobs request (default: the issuer URL, what `.gitlab-ci.yml` asks for with `$CI_SERVER_URL`). */
    readonly audience?: string;
    /** `group/project` of the project whose jobs assume the roles. */
    readonly projectPath: pulumi.Input<string>;
    /** The protected default branch (staging deploys from it; production never does). */
    readonly defaultBranch: string;
    /** Protected tag wildcard production deploys from (default `v*`): the only ref the production role trusts. */
    readonly releaseTagPattern?: string;
    /** An IAM OIDC provider for this issuer that already exists in the account (one per URL is allowed). */
    readonly existingProviderArn?: string;
    /** Stack name of staging, for its role's boundary (default `staging`). */
    readonly stagingStack?: string;
    readonly tags?: Record<string, string>;
}

/**
 * The IAM OIDC identity provider of the GitLab instance and three roles its jobs assume: `preview` (read-only, any
 * branch and the release tags, never data or secrets), `staging` (the protected default branch and the release tags)
 * and `production` (the protected release tags only, so no job of a branch pipeline can assume it; different roles so
 * that staging's credentials cannot touch production).
 */
export class OidcRoles extends pulumi.ComponentResource {
    public readonly providerArn: pulumi.Output<string>;
    public readonly roleArns: Readonly<Record<CiRoleKind, pulumi.Output<string>>>;

    constructor(name: string, args: OidcRolesArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked before the component registers: bad arguments register nothing, not even the component.
        const releaseTagPattern = args.releaseTagPattern ?? DEFAULT_RELEASE_TAG_PATTERN;
        const patternProblem = releaseTagPatternProblem(releaseTagPattern);
        if (patternProblem) throw new Error(`cicd:ci:OidcRoles "${name}": [releaseTagPattern] ${patternProblem}`);
        if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(args.issuerUrl)) {
            throw new Error(`cicd:ci:OidcRoles "${name}": [issuerUrl] "${args.issuerUrl}" must be the https URL of the GitLab instance`);
        }
        super("cicd:ci:OidcRoles", name, {}, opts);
        const issuerUrl = args.issuerUrl.replace(/\/+$/, "");
        const audience = args.audience ?? issuerUrl;
        const tags = { ManagedBy: "pulumi", ...args.tags };

        this.providerArn = args.existingProviderArn !== undefined
            ? pulumi.output(args.existingProviderArn)
            : new aws.iam.OpenIdConnectProvider(`${name}-gitlab`, {
                url: issuerUrl,
                clientIdLists: [audience],
                // No thumbprint: IAM verifies the issuer's certificate against its own trusted CAs for public issuers.
                tags: { ...tags, Name: `gitlab-oidc-${issuerHost(issuerUrl)}` },
            }, { parent: this }).arn;

        const arns: Partial<Record<CiRoleKind, pulumi.Output<string>>> = {};
        for (const kind of CI_ROLE_KINDS) {
            const assumeRolePolicy = pulumi.all([this.providerArn, args.projectPath]).apply(([providerArn, projectPath]) => {
                const subject: TrustSubject = { providerArn, issuerUrl, audience, projectPath: projectPath.toLowerCase(),
                    defaultBranch: args.defaultBranch, releaseTagPattern };
                return JSON.stringify(trustPolicy(kind, subject));
            });
            const role = new aws.iam.Role(`${name}-${kind}`, {
                assumeRolePolicy,
                description: `GitLab CI ${kind} jobs (OIDC)`,
                maxSessionDuration: 3600,
                // `Purpose` is what the policy pack reads to tell the preview role (any branch) from deploy roles (exact ref).
                tags: { ...tags, Purpose: kind },
            }, { parent: this });
            ROLE_MANAGED_POLICIES[kind].forEach((policyArn, i) => {
                new aws.iam.RolePolicyAttachment(`${name}-${kind}-managed-${i}`, { role: role.name, policyArn }, { parent: this });
            });
            if (kind === "preview") {
                new aws.iam.RolePolicy(`${name}-preview-no-data`, { role: role.id, policy: JSON.stringify(PREVIEW_DENY_POLICY) }, { parent: this });
            }
            if (kind === "staging") {
                const boundary = stagingBoundaryPolicy(args.stagingStack ?? "staging");
                new aws.iam.RolePolicy(`${name}-staging-boundary`, { role: role.id, policy: JSON.stringify(boundary) }, { parent: this });
            }
            arns[kind] = role.arn;
        }
        this.roleArns = arns as Record<CiRoleKind, pulumi.Output<string>>;
        this.registerOutputs({ providerArn: this.providerArn, ...this.roleArns });
    }
}
