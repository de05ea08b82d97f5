// The prod stack's settings of GitLab's tier, production approvals, the CI roles, the runners' AMI and the release
// tags, checked in one place. production.ts calls it with the Reader, so every problem still lands in the one ConfigError.
import type { Reader } from "./reader";
import { GITLAB_TIERS, GitLabTier } from "../gitlab/tier";
import { readReleaseTagPattern } from "./release";

/** What production loses on GitLab Free; printed as a warning and exported as `gitlabTierWarning`. */
export const FREE_TIER_LOSSES =
    "gitlabTier is free: no protected environments and no deployment approvals. Production is guarded only by the " +
    "protected release tags (maintainers create them), the manual deploy_production job and protected variables; any " +
    "maintainer can deploy production alone, and any job on the default branch can reach production's variables " +
    "(not production's AWS role, which trusts release tags only).";

/** Roles CI jobs assume; brought by the user, or created by the prod stack when none is given. */
export interface CiRoleConfig {
    readonly preview: string;
    readonly staging: string;
    readonly production: string;
}

export interface DeliveryConfig {
    readonly gitlabTier: GitLabTier;
    /** Let whoever triggered a pipeline approve its production deployment (paid tiers; default false). */
    readonly allowPipelineTriggerApproveDeployment: boolean;
    /** People who may approve production (Maintainer or above), when the user tells us. */
    readonly productionApproverCount?: number;
    /** Bring-your-own roles (all three), or undefined: the stack creates them. */
    readonly ciRoles?: CiRoleConfig;
    /** An IAM OIDC provider for the GitLab issuer that already exists in the account. */
    readonly awsOidcProviderArn?: string;
    /** Explicit AMI of the runner hosts; unset: the newest AL2023 at creation, then kept (ignoreChanges). */
    readonly runnerAmiId?: string;
    /** Protected tags production deploys from (default `v*`): the production role trusts only them. */
    readonly releaseTagPattern: string;
}

const ROLE_KEYS = { preview: "awsPreviewRoleArn", staging: "awsStagingRoleArn", production: "awsProductionRoleArn" } as const;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]+$/;
const OIDC_PROVIDER_ARN = /^arn:aws[a-z-]*:iam::\d{12}:oidc-provider\/\S+$/;

/**
 * Reads the tier, approval and role keys of the prod stack. `approvals` is `productionApprovals` as read;
 * `approvalsSet` whether the user set it; `namespaceId` the project's group (undefined: personal namespace).
 */
export function validateDelivery(r: Reader, approvals: number, approvalsSet: boolean, namespaceId: number | undefined): DeliveryConfig {
    const tierText = r.string("gitlabTier");
    // Undefined when the tier is missing or unknown: its one problem is said, and nothing is judged against a guess.
    const tier = GITLAB_TIERS.find((t) => t === tierText);
    if (tierText === undefined) {
        r.problem("gitlabTier", `is required: the GitLab tier of the project's namespace, one of ${GITLAB_TIERS.join(", ")} (protected environments and deployment approvals need premium or ultimate)`);
    } else if (tier === undefined) {
        r.problem("gitlabTier", `"${tierText}" is not a GitLab tier; allowed: ${GITLAB_TIERS.join(", ")}`);
    }
    const gitlabTier: GitLabTier = tier ?? "free";
    const paid = gitlabTier !== "free";

    const allowTrigger = r.boolean("allowPipelineTriggerApproveDeployment", false);
    // 0: unset, or out of range (its one problem is said, and no approvals are checked against it).
    const approverCount = r.integer("productionApproverCount", 0, 1, 1000);
    const productionApproverCount = approverCount > 0 ? approverCount : undefined;

    if (paid && namespaceId === undefined) {
        r.problem("gitlabNamespaceId", `is required when gitlabTier is ${gitlabTier}: a personal namespace has no paid tier, so protected environments would fail half-way; give the numeric id of the group`);
    }
    if (tier === "free") {
        const approvalKeys = ["allowPipelineTriggerApproveDeployment", "productionApproverCount"].filter((k) => r.string(k) !== undefined);
        if (approvalsSet) approvalKeys.unshift("productionApprovals");
        for (const k of approvalKeys) {
            r.problem(k, "has no effect when gitlabTier is free (GitLab Free has no deployment approvals); remove it, or set gitlabTier to premium or ultimate");
        }
    }
    if (paid && approverCount > 0) {
        // GitLab never counts the person who triggered the pipeline unless allowPipelineTriggerApproveDeployment is set.
        const eligible = approverCount - (allowTrigger ? 0 : 1);
        if (approvals > eligible) {
            r.problem(
                "productionApprovals",
                `is ${approvals}, but only ${eligible} of the ${approverCount} approver(s) can approve a deployment ` +
                    (allowTrigger ? "" : "someone else triggered (the person who runs the pipeline cannot approve it) ") +
                    "so every production deployment would wait forever; lower productionApprovals, add approvers" +
                    (allowTrigger ? "" : ", or set allowPipelineTriggerApproveDeployment true"),
            );
        }
    }

    const roleValues = Object.entries(ROLE_KEYS).map(([kind, k]) => [kind, k, r.string(k)] as const);
    const givenRoles = roleValues.filter(([, , v]) => v !== undefined);
    for (const [, k, v] of givenRoles) {
        if (!ROLE_ARN.test(v!)) r.problem(k, `"${v}" is not an IAM role ARN (arn:aws:iam::123456789012:role/name)`);
    }
    if (givenRoles.length > 0 && givenRoles.length < roleValues.length) {
        const missing = roleValues.filter(([, , v]) => v === undefined).map(([, k]) => k);
        r.problem(missing[0], `is required when any of ${Object.values(ROLE_KEYS).join(", ")} is set: bring all three roles, or none and the prod stack creates them (missing: ${missing.join(", ")})`);
    }
    const ciRoles = givenRoles.length === roleValues.length
        ? { preview: r.string(ROLE_KEYS.preview)!, staging: r.string(ROLE_KEYS.staging)!, production: r.string(ROLE_KEYS.production)! }
        : undefined;
    const awsOidcProviderArn = r.string("awsOidcProviderArn");
    if (awsOidcProviderArn !== undefined && !OIDC_PROVIDER_ARN.test(awsOidcProviderArn)) {
        r.problem("awsOidcProviderArn", `"${awsOidcProviderArn}" is not an IAM OIDC provider ARN (arn:aws:iam::123456789012:oidc-provider/gitlab.com)`);
    } else if (awsOidcProviderArn !== undefined && ciRoles !== undefined) {
        r.problem("awsOidcProviderArn", "is only used when the prod stack creates the CI roles; with your own roles, remove it");
    }

    const runnerAmiId = r.string("runnerAmiId");
    if (runnerAmiId !== undefined && !/^ami-[0-9a-f]{8,17}$/.test(runnerAmiId)) r.problem("runnerAmiId", `"${runnerAmiId}" is not an AMI id (ami-...)`);

    const releaseTagPattern = readReleaseTagPattern(r);

    return { gitlabTier, allowPipelineTriggerApproveDeployment: allowTrigger, productionApproverCount, ciRoles, awsOidcProviderArn, runnerAmiId, releaseTagPattern };
}
