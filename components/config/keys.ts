// The key tables of the stack config: which keys each environment reads, which hold secrets, and the values that
// name environments, instance types and platforms. Plain data: every validator and the policy pack read it here.

/** The Pulumi project (Pulumi.yaml's `name`): the namespace of every config key and part of every stack's full name. */
export const PULUMI_PROJECT = "gitlab-docker-delivery";

export type Environment = "local" | "staging" | "production";
export const ENVIRONMENTS: readonly Environment[] = ["local", "staging", "production"];

/** The stack each environment is normally deployed from; other stack names must set `environment`. */
export const STACK_ENVIRONMENTS: Readonly<Record<string, Environment>> = {
    local: "local",
    staging: "staging",
    prod: "production",
    production: "production",
};

/** Instance types production may use (advisory for staging, enforced for production). */
export const ALLOWED_INSTANCE_TYPES: Readonly<Record<"staging" | "production", readonly string[]>> = {
    staging: ["t3.micro", "t3.small", "t3.medium", "t3a.small", "t3a.medium", "t4g.small", "t4g.medium"],
    production: ["t3.medium", "t3.large", "t3a.medium", "t3a.large", "m6i.large", "m7i.large", "t4g.medium", "t4g.large", "m7g.large"],
};

export const ALLOWED_PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type Platform = (typeof ALLOWED_PLATFORMS)[number];

/** Default name of the local stack's sandbox project. */
export const DEFAULT_SANDBOX_PROJECT_NAME = `${PULUMI_PROJECT}-sandbox`;

/** Default GitLab API of every stack that talks to GitLab. */
export const DEFAULT_GITLAB_BASE_URL = "https://gitlab.com/api/v4";

/** Maps a stack name to its environment (or undefined for unknown stacks). */
export function environmentForStack(stack: string): Environment | undefined {
    return STACK_ENVIRONMENTS[stack];
}

/** HTTPS of the remote stacks (components/config/tls.ts); `domain` first: the others only matter with it. */
export const TLS_KEYS: readonly string[] = ["domain", "extraDomains", "acmeEmail", "acmeDirectoryUrl", "hostedZoneId"];

/** Database backups of every stack (components/config/backup.ts). */
export const BACKUP_KEYS: readonly string[] = ["backupEnabled", "backupRetentionDays"];

/** GitLab tier, approvals, CI roles and runner AMI of the prod stack (components/config/delivery.ts). */
export const DELIVERY_KEYS: readonly string[] = [
    "gitlabTier",
    "allowPipelineTriggerApproveDeployment",
    "productionApproverCount",
    "awsPreviewRoleArn",
    "awsStagingRoleArn",
    "awsProductionRoleArn",
    "awsOidcProviderArn",
    "runnerAmiId",
    "releaseTagPattern",
];

/** Local keys that only matter with a sandbox GitLab project, i.e. when `gitlabToken` is set. */
export const SANDBOX_KEYS = ["gitlabToken", "gitlabBaseUrl", "gitlabProjectName", "gitlabNamespaceId"];

/** Keys that configure the EC2 host; with `hosts` set nothing reads them, so setting them is a mistake. */
export const EC2_HOST_KEYS = ["instanceType", "rootVolumeSizeGb", "sshIngressCidrs", "sshConnectVia", "subnetId", "dataVolumeSizeGb"];

/** Keys each environment reads; anything else set under the project namespace is rejected as a typo. */
const COMMON_KEYS = ["environment", "appVersion", "gitCommit", "baseImages", "buildCaFile", ...BACKUP_KEYS];
const REMOTE_KEYS = [
    ...COMMON_KEYS,
    "gitlabBaseUrl",
    "gitlabToken",
    "imageRepository",
    "platforms",
    "registryUsername",
    "registryPassword",
    "instanceType",
    "rootVolumeSizeGb",
    "sshIngressCidrs",
    "sshPublicKey",
    "sshPrivateKey",
    "sshConnectVia",
    "subnetId",
    "hosts",
    ...TLS_KEYS,
];
export const KNOWN_KEYS: Readonly<Record<Environment, readonly string[]>> = {
    local: [...COMMON_KEYS, "httpPort", "httpsPort", "composeProject", "stateDir", "dbPassword", ...SANDBOX_KEYS],
    staging: [...REMOTE_KEYS, "projectStack"],
    production: [
        ...REMOTE_KEYS,
        "dataVolumeSizeGb",
        "protectData",
        "imageRef",
        "stagingStack",
        "bootstrap",
        "gitlabNamespaceId",
        "productionApprovals",
        "runnerInstanceType",
        ...DELIVERY_KEYS,
    ],
};

/** Keys whose values are secrets and must be stored with `--secret`. */
export const SECRET_KEYS: readonly string[] = ["gitlabToken", "registryPassword", "sshPrivateKey", "dbPassword"];
