import { PolicyResource, anyUnknown, asArray, asRecord, asString, isSecretWrapped, isUnknown } from "./resource";
import { SECRET_NAME, secretLiteralKinds } from "./secrets";

export const PROJECT_VARIABLE = "gitlab:index/projectVariable:ProjectVariable";
export const GROUP_VARIABLE = "gitlab:index/groupVariable:GroupVariable";
export const INSTANCE_VARIABLE = "gitlab:index/instanceVariable:InstanceVariable";
export const PROJECT_PROTECTED_ENVIRONMENT = "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment";
export const GROUP_PROTECTED_ENVIRONMENT = "gitlab:index/groupProtectedEnvironment:GroupProtectedEnvironment";

const VARIABLE_TYPES = [PROJECT_VARIABLE, GROUP_VARIABLE, INSTANCE_VARIABLE];

/**
 * CI variable keys that name a credential by one of their words, wherever it sits: `DB_CREDS`, `REGISTRY_AUTH`,
 * `SMTP_PASS`, `SENTRY_DSN`. Broader than {@link SECRET_NAME} (which judges every resource input by its last
 * word): a CI variable's whole purpose is to hand a job a value, so a credential word anywhere in the key counts.
 */
export const SECRET_VARIABLE_KEY =
    /(?:^|_)(?:CREDS?|CREDENTIALS?|AUTH|PASS|PASSWD|PWD|PASSWORD|PASSPHRASE|SECRETS?|TOKENS?|DSN|KUBECONFIG|PRIVATE_KEY|API_KEY)(?:_|$)/i;

/**
 * Why a CI variable counts as secret, or undefined when it does not. A policy pack cannot see whether a
 * value was wrapped with `pulumi.secret()` (`@pulumi/policy` unwraps secrets before validation), so the
 * signals it can see are: the key's name, the value's shape, and `additionalSecretOutputs: ["value"]`.
 * Under mocks the secret wrapper is visible too and counts as well.
 */
export function secretVariableReason(resource: PolicyResource): string | undefined {
    const key = asString(resource.props.key) ?? "";
    const value = resource.props.value;
    if (SECRET_NAME.test(key) || SECRET_VARIABLE_KEY.test(key)) return `its key "${key}" names a credential`;
    if (resource.options?.additionalSecretOutputs?.includes("value")) return "its value is declared in additionalSecretOutputs";
    if (isSecretWrapped(value)) return "its value is a Pulumi secret";
    if (typeof value === "string" && secretLiteralKinds(value).length > 0) return "its value looks like a credential";
    return undefined;
}

/** Mandatory: secret CI variables are masked (or hidden) and protected, so job logs and unprotected branches never see them. */
export function checkSecretVariables(resource: PolicyResource): string[] {
    if (!VARIABLE_TYPES.includes(resource.type)) return [];
    const reason = secretVariableReason(resource);
    if (!reason) return [];
    const props = resource.props;
    const missing: string[] = [];
    if (props.masked !== true && props.hidden !== true && !anyUnknown(props.masked, props.hidden)) missing.push("masked: true");
    if (props.protected !== true && !isUnknown(props.protected)) missing.push("protected: true");
    if (missing.length === 0) return [];
    return [`CI variable ${JSON.stringify(asString(props.key) ?? resource.name)} is secret (${reason}) and needs ${missing.join(" and ")}`];
}

/** GitLab environment names that are production. */
export const DEFAULT_PRODUCTION_ENVIRONMENTS: readonly string[] = ["production"];

/** Sum of `approvalRules[].requiredApprovals`; a rule without an explicit count is not counted. */
export function requiredApprovals(props: Record<string, unknown>): number {
    return asArray(props.approvalRules)
        .map((rule) => asRecord(rule)?.requiredApprovals)
        .reduce<number>((sum, count) => sum + (typeof count === "number" && count > 0 ? count : 0), 0);
}

/**
 * Mandatory, adapted to the GitLab tier: on Premium and Ultimate the protected production environment needs at
 * least `minimum` approvals before a deploy runs. GitLab Free has no protected environments (none is registered
 * there), so production is guarded by protected variables instead: on every tier, a CI variable scoped to a
 * production environment is protected, so only pipelines of protected refs ever see it.
 */
export function checkProductionApprovals(
    resource: PolicyResource,
    productionEnvironments: readonly string[] = DEFAULT_PRODUCTION_ENVIRONMENTS,
    minimum = 1,
): string[] {
    if (resource.type === PROJECT_VARIABLE || resource.type === GROUP_VARIABLE) {
        const scope = asString(resource.props.environmentScope);
        if (scope === undefined || isUnknown(scope) || !productionEnvironments.includes(scope)) return [];
        if (resource.props.protected === true || isUnknown(resource.props.protected)) return [];
        return [`CI variable ${JSON.stringify(asString(resource.props.key) ?? resource.name)} is scoped to "${scope}" but not protected; ` +
            "production's variables are protected on every tier (on GitLab Free they are what keeps production's credentials from unprotected branches)"];
    }
    if (resource.type !== PROJECT_PROTECTED_ENVIRONMENT && resource.type !== GROUP_PROTECTED_ENVIRONMENT) return [];
    const environment = asString(resource.props.environment);
    if (environment === undefined || isUnknown(environment) || !productionEnvironments.includes(environment)) return [];
    const rules = resource.props.approvalRules;
    if (isUnknown(rules) || asArray(rules).some((rule) => anyUnknown(rule, asRecord(rule)?.requiredApprovals))) return [];
    const count = requiredApprovals(resource.props);
    if (count >= minimum) return [];
    return [`protected environment "${environment}" requires ${count} approval(s); it needs approvalRules with ` +
        `requiredApprovals totalling at least ${minimum}, so that no single person ships to production alone`];
}
