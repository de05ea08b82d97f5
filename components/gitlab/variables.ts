// The CI/CD variables the GitLab components provision, in one table: the components create variables from it, the
// docs list it, and the pipeline's tests check `.gitlab-ci.yml` against it.

/** Environments the project deploys to; the names `.gitlab-ci.yml` uses in `environment:`. */
export const ENVIRONMENT_NAMES = ["staging", "production"] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/** One CI/CD variable a component provisions. */
export interface CiVariableSpec {
    readonly key: string;
    /** `project`: one variable for every environment (scope `*`); `environment`: one per environment, scoped to it. */
    readonly scope: "project" | "environment";
    /** `env_var`, or `file` (the job gets the path of a file holding the value). */
    readonly variableType: "env_var" | "file";
    /** Hidden in job logs. Every secret is masked. */
    readonly masked: boolean;
    /** Only pipelines on protected branches and tags see it. Every secret is protected. */
    readonly protected: boolean;
    /** The value is a secret (also wrapped with `pulumi.secret` so state and outputs keep it encrypted). */
    readonly secret: boolean;
    /** Which component creates it and when. */
    readonly provisionedBy: string;
    readonly description: string;
}

export const AWS_DEPLOY_ROLE_ARN: CiVariableSpec = {
    key: "AWS_DEPLOY_ROLE_ARN",
    // One per environment, each its own role: a job of `staging` never sees production's role.
    scope: "environment",
    variableType: "env_var",
    masked: false,
    // Protected: merge-request pipelines must not assume the role that can change staging and production.
    protected: true,
    secret: false,
    provisionedBy: "Project, per environment of ci.awsDeployRoleArns",
    description: "IAM role that the environment's deploy jobs assume through GitLab OIDC (AssumeRoleWithWebIdentity)",
};

export const AWS_PREVIEW_ROLE_ARN: CiVariableSpec = {
    key: "AWS_PREVIEW_ROLE_ARN",
    scope: "project",
    variableType: "env_var",
    masked: false,
    // Not protected: merge-request pipelines run `pulumi preview` with this read-only role.
    protected: false,
    secret: false,
    provisionedBy: "Project, when ci.awsPreviewRoleArn is set",
    description: "Read-only IAM role that merge-request preview jobs assume through GitLab OIDC",
};

export const POSTGRES_PASSWORD: CiVariableSpec = {
    key: "POSTGRES_PASSWORD",
    scope: "environment",
    variableType: "env_var",
    masked: true,
    protected: true,
    secret: true,
    provisionedBy: "EnvironmentVariables (generated with @pulumi/random)",
    description: "Password of the environment's PostgreSQL database",
};

export const DEPLOY_SSH_KEY: CiVariableSpec = {
    key: "DEPLOY_SSH_KEY",
    scope: "environment",
    variableType: "file",
    // A PEM key has newlines, which GitLab cannot mask; the value is the key base64-encoded on one line, so it can.
    masked: true,
    protected: true,
    secret: true,
    provisionedBy: "EnvironmentVariables, when sshPrivateKey is set",
    description: "File holding the base64 of the SSH private key for the environment's host (base64 -d < \"$DEPLOY_SSH_KEY\")",
};

/** Every variable the GitLab components can provision. */
export const PROVISIONED_VARIABLES: readonly CiVariableSpec[] = [AWS_DEPLOY_ROLE_ARN, AWS_PREVIEW_ROLE_ARN, POSTGRES_PASSWORD, DEPLOY_SSH_KEY];

/** Names of {@link PROVISIONED_VARIABLES}, for checks of the variables `.gitlab-ci.yml` reads. */
export const PROVISIONED_VARIABLE_NAMES: readonly string[] = PROVISIONED_VARIABLES.map((v) => v.key);

/**
 * GitLab masks only values of 8+ characters, on one line, from base64's alphabet plus `@ : . ~ - _` (GitLab 17.x).
 * Returns why `value` cannot be masked, or undefined when it can.
 */
export function maskingProblem(value: string): string | undefined {
    if (value.length < 8) return `is ${value.length} characters long; GitLab masks only values of at least 8`;
    if (!/^[A-Za-z0-9+/=@:.~_-]+$/.test(value)) {
        return "contains characters GitLab cannot mask (allowed: letters, digits and + / = @ : . ~ - _, on one line)";
    }
    return undefined;
}

/** Whether `environment` is one the components know; throws naming the allowed ones otherwise. */
export function checkEnvironmentName(key: string, environment: string): EnvironmentName {
    if (!(ENVIRONMENT_NAMES as readonly string[]).includes(environment)) {
        throw new Error(`[${key}] "${environment}" is not an environment of this project; allowed: ${ENVIRONMENT_NAMES.join(", ")}`);
    }
    return environment as EnvironmentName;
}

/** Checks that `value` is a PEM/OpenSSH private key; returns why not, or undefined. Never echoes the value. */
export function sshPrivateKeyProblem(value: string): string | undefined {
    if (!/^-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----\r?\n[\s\S]+\r?\n-----END [A-Z0-9 ]*PRIVATE KEY-----\s*$/.test(value.trim() + "\n")) {
        return "must be a PEM or OpenSSH private key (-----BEGIN ... PRIVATE KEY----- ... -----END ... PRIVATE KEY-----)";
    }
    return undefined;
}
