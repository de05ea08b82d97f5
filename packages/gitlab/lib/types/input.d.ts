import * as pulumi from "@pulumi/pulumi";
/** Who may merge into a protected branch (one of accessLevel, groupId, userId). */
export interface BranchProtectionAllowedToMerge {
    /** `no one`, `developer`, `maintainer` or `admin`. */
    accessLevel?: pulumi.Input<string>;
    groupId?: pulumi.Input<number>;
    userId?: pulumi.Input<number>;
}
/** Who may push to a protected branch (one of accessLevel, deployKeyId, groupId, userId). */
export interface BranchProtectionAllowedToPush {
    /** `no one`, `developer`, `maintainer` or `admin`. */
    accessLevel?: pulumi.Input<string>;
    deployKeyId?: pulumi.Input<number>;
    groupId?: pulumi.Input<number>;
    userId?: pulumi.Input<number>;
}
/** Who may unprotect a protected branch (one of accessLevel, groupId, userId). */
export interface BranchProtectionAllowedToUnprotect {
    /** `developer`, `maintainer` or `admin`. */
    accessLevel?: pulumi.Input<string>;
    groupId?: pulumi.Input<number>;
    userId?: pulumi.Input<number>;
}
/** Cleanup policy for the project's container registry. */
export interface ProjectContainerExpirationPolicy {
    /** How often the policy runs: `1d`, `7d`, `14d`, `1month`, `3month`. */
    cadence?: pulumi.Input<string>;
    enabled?: pulumi.Input<boolean>;
    /** Number of tags kept per image. */
    keepN?: pulumi.Input<number>;
    nameRegexDelete?: pulumi.Input<string>;
    nameRegexKeep?: pulumi.Input<string>;
    /** Tags older than this are removed: `7d`, `14d`, `30d`, `90d`. */
    olderThan?: pulumi.Input<string>;
}
/** An approval rule of a protected environment (exactly one of accessLevel, groupId, userId). */
export interface ProjectProtectedEnvironmentApprovalRule {
    /** `developer` or `maintainer`. */
    accessLevel?: pulumi.Input<string>;
    groupId?: pulumi.Input<number>;
    /** `0` (direct members only) or `1` (inherited memberships too). */
    groupInheritanceType?: pulumi.Input<number>;
    /** Approvals required from this rule's members before a deployment runs. */
    requiredApprovals?: pulumi.Input<number>;
    userId?: pulumi.Input<number>;
}
/** Who may deploy to a protected environment (exactly one of accessLevel, groupId, userId). */
export interface ProjectProtectedEnvironmentDeployAccessLevelsAttribute {
    /** `developer` or `maintainer`. */
    accessLevel?: pulumi.Input<string>;
    groupId?: pulumi.Input<number>;
    /** `0` (direct members only) or `1` (inherited memberships too). */
    groupInheritanceType?: pulumi.Input<number>;
    userId?: pulumi.Input<number>;
}
