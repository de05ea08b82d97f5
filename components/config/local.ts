// The local stack's keys: ports, the Compose project, the state folder, an optional fixed database password, and
// the optional sandbox GitLab project.
import { DEFAULT_SANDBOX_PROJECT_NAME, SANDBOX_KEYS } from "./keys";
import { configKey, Reader } from "./reader";
import { gitlabProjectNameProblem, validateCommon, validateGitlabBaseUrl, validateGitlabNamespaceId } from "./shared";
import type { LocalConfig, SandboxGitLabConfig, ValidateOptions } from "./types";
import { validateBackup } from "./backup";

/**
 * The local stack's sandbox project: present only when `gitlabToken` is set (in config, as a secret: an exported
 * GITLAB_TOKEN must not make `npm run local:up` start creating GitLab projects). Its other keys without a token
 * would silently do nothing, so they are refused.
 */
function validateSandbox(r: Reader): SandboxGitLabConfig | undefined {
    const token = r.secret("gitlabToken", "", false);
    if (token === undefined) {
        for (const k of SANDBOX_KEYS) {
            if (k !== "gitlabToken" && r.string(k) !== undefined) {
                r.problem(k, `is only used when gitlabToken is set (the local stack's sandbox GitLab project); set \`pulumi config set --secret ${configKey("gitlabToken")} ...\` or remove it with \`pulumi config rm ${configKey(k)}\``);
            }
        }
        return undefined;
    }
    const projectName = r.string("gitlabProjectName") ?? DEFAULT_SANDBOX_PROJECT_NAME;
    const nameProblem = gitlabProjectNameProblem(projectName);
    if (nameProblem) r.problem("gitlabProjectName", nameProblem);
    return { baseUrl: validateGitlabBaseUrl(r), token, projectName, namespaceId: validateGitlabNamespaceId(r) };
}

export function validateLocal(stack: string, r: Reader, opts: ValidateOptions): LocalConfig {
    const common = validateCommon(stack, r, opts);
    const config: LocalConfig = {
        ...common,
        environment: "local",
        httpPort: r.integer("httpPort", 8080, 1024, 65535),
        httpsPort: r.string("httpsPort") === undefined ? undefined : r.integer("httpsPort", 8443, 1024, 65535),
        composeProject: r.string("composeProject") ?? "gitlab-docker-delivery-local",
        stateDir: r.string("stateDir") ?? opts.defaultStateDir ?? `.pulumi-local/${stack}`,
        dbPassword: r.secret("dbPassword", "", false),
        gitlab: validateSandbox(r),
        backup: validateBackup(r, "local", false),
    };
    if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(config.composeProject)) {
        r.problem("composeProject", `must be a Compose project name: lowercase letters, digits, "-" and "_", starting with a letter or digit (got "${config.composeProject}")`);
    }
    if (config.httpsPort !== undefined && config.httpsPort === config.httpPort) r.problem("httpsPort", `is the same port as httpPort (${config.httpPort}); pick another, e.g. 8443`);
    if (config.dbPassword !== undefined && config.dbPassword.length < 16) r.problem("dbPassword", "must be at least 16 characters (or unset it to generate one)");
    return config;
}
