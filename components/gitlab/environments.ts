import type { types } from "@cicd/pulumi-gitlab";
import { EnvironmentName } from "./variables";

/** Roles GitLab accepts in protected-environment rules. */
export const DEPLOY_ROLES = ["developer", "maintainer"] as const;
export type DeployRole = (typeof DEPLOY_ROLES)[number];

/** Who may deploy to an environment and how many approvals a deployment needs. */
export interface EnvironmentPolicy {
    readonly name: EnvironmentName;
    /** GitLab deployment tier (shown in the UI, used by DORA metrics). */
    readonly tier: "staging" | "production";
    /** Lowest role allowed to run deploy jobs. */
    readonly deployers: DeployRole;
    /** Approvals a deployment waits for; 0 means none. */
    readonly requiredApprovals: number;
    /** Role whose members may approve. */
    readonly approvers: DeployRole;
}

/** Options of the two environments; every field has a default. */
export interface EnvironmentOptions {
    /** Approvals a production deployment waits for (default 1). 0 is refused: production must never deploy unreviewed. */
    readonly productionApprovals?: number;
    /** Role that approves production deployments (default `maintainer`). */
    readonly productionApprovers?: DeployRole;
    /** Lowest role that may deploy to staging (default `developer`). */
    readonly stagingDeployers?: DeployRole;
    /**
     * Whether the person who triggered a pipeline may approve its production deployment (default false: a second
     * person approves). A team with a single maintainer must set it, or its deployments wait forever.
     */
    readonly allowPipelineTriggerApproveDeployment?: boolean;
}

/** Problems with {@link EnvironmentOptions}, each naming the key and what is allowed. */
export function environmentOptionProblems(options: EnvironmentOptions, prefix = "environments"): string[] {
    const problems: string[] = [];
    const approvals = options.productionApprovals;
    if (approvals !== undefined && (!Number.isInteger(approvals) || approvals < 1 || approvals > 10)) {
        problems.push(
            `[${prefix}.productionApprovals] must be an integer from 1 to 10 (got ${approvals}): ` +
                "production deployments need at least one approval",
        );
    }
    for (const key of ["productionApprovers", "stagingDeployers"] as const) {
        const role = options[key];
        if (role !== undefined && !(DEPLOY_ROLES as readonly string[]).includes(role)) {
            problems.push(`[${prefix}.${key}] "${role}" is not a role GitLab accepts here; allowed: ${DEPLOY_ROLES.join(", ")}`);
        }
    }
    return problems;
}

/** The policies of staging and production, defaults applied. Call after {@link environmentOptionProblems}. */
export function environmentPolicies(options: EnvironmentOptions): EnvironmentPolicy[] {
    return [
        { name: "staging", tier: "staging", deployers: options.stagingDeployers ?? "developer", requiredApprovals: 0, approvers: "maintainer" },
        {
            name: "production",
            tier: "production",
            deployers: "maintainer",
            requiredApprovals: options.productionApprovals ?? 1,
            approvers: options.productionApprovers ?? "maintainer",
        },
    ];
}

/** Deploy access rules of a protected environment (v10 input `deployAccessLevelsAttributes`). */
export function deployAccessRules(policy: EnvironmentPolicy): types.input.ProjectProtectedEnvironmentDeployAccessLevelsAttribute[] {
    return [{ accessLevel: policy.deployers }];
}

/** Approval rules of a protected environment (input `approvalRules`); none when no approval is required. */
export function approvalRules(policy: EnvironmentPolicy): types.input.ProjectProtectedEnvironmentApprovalRule[] {
    return policy.requiredApprovals > 0 ? [{ accessLevel: policy.approvers, requiredApprovals: policy.requiredApprovals }] : [];
}
