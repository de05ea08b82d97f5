// GitLab tiers, pure: the config validation and the Project component share the list.

/** GitLab tiers; protected environments and deployment approvals need `premium` or `ultimate`. */
export const GITLAB_TIERS = ["free", "premium", "ultimate"] as const;
export type GitLabTier = (typeof GITLAB_TIERS)[number];

/** Whether `tier` has protected environments and deployment approvals. */
export function tierHasProtectedEnvironments(tier: GitLabTier): boolean {
    return tier !== "free";
}
