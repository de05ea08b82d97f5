// components/config/remote.ts: what staging and production share (platforms, registry and GitLab credentials, CI
// fallbacks, backups by host source, the default stack references).
import { strict as assert } from "assert";
import { ALLOWED_PLATFORMS, ProductionConfig, StagingConfig, configKey, validateConfig } from "../../../components/config";
import { SECRET_KEYS, configProblems, hostsSource, problemsAbout, validateStack } from "../../program/configHarness";
import { STACK_CONFIG } from "../../program/stacks";

type Remote = StagingConfig | ProductionConfig;

/** Validates `stack` (staging or prod) with the given CI environment and no organization unless given. */
function withEnv(stack: "staging" | "prod", overrides: Record<string, string | undefined>, env: Record<string, string>, organization?: string): Remote {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...STACK_CONFIG[stack], ...overrides })) if (v !== undefined) raw[k] = v;
    return validateConfig(stack, raw, { secretKeys: SECRET_KEYS, env, organization }) as Remote;
}

/** The problems that name `key`. */

describe("config remote: platforms", () => {
    it("refuses a platform it cannot build, naming it and its position", () => {
        const problems = configProblems(() => validateStack("staging", { platforms: JSON.stringify(["linux/amd64", "linux/s390x"]) }));
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.equal(problemsAbout(problems, "platforms[1]").length, 1, problems.join("\n"));
        assert.ok(problems[0].includes('"linux/s390x"'), problems[0]);
        const listed = problems[0].split(/[\s,;:]+/);
        for (const platform of ALLOWED_PLATFORMS) assert.ok(listed.includes(platform), `${platform} in: ${problems[0]}`);
        assert.deepEqual((validateStack("staging", { platforms: JSON.stringify(["linux/amd64", "linux/arm64"]) }) as Remote).platforms, ["linux/amd64", "linux/arm64"]);
    });
});

describe("config remote: registry and GitLab credentials", () => {
    const unset = { registryUsername: undefined, registryPassword: undefined, gitlabToken: undefined };

    it("takes them from CI's variables when the config leaves them unset", () => {
        const config = withEnv("staging", unset, { CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: "ci-job-token", GITLAB_TOKEN: "glpat-from-env" });
        assert.equal(config.registryUsername, "gitlab-ci-token");
        assert.equal(config.registryPassword, "ci-job-token");
        assert.equal(config.gitlab.token, "glpat-from-env");
    });

    it("prefers the stack's config over CI's variables", () => {
        const config = withEnv("prod", { registryUsername: "ci-bot", registryPassword: "pw-from-config", gitlabToken: "glpat-from-config" }, { CI_REGISTRY_USER: "u", CI_REGISTRY_PASSWORD: "p", GITLAB_TOKEN: "t" });
        assert.equal(config.registryUsername, "ci-bot");
        assert.equal(config.registryPassword, "pw-from-config");
        assert.equal(config.gitlab.token, "glpat-from-config");
    });

    it("without either, names each missing key and the CI variable that would fill it", () => {
        const problems = configProblems(() => withEnv("staging", unset, {}));
        assert.equal(problems.length, 3, problems.join("\n"));
        for (const [key, variable] of [["registryUsername", "CI_REGISTRY_USER"], ["registryPassword", "CI_REGISTRY_PASSWORD"], ["gitlabToken", "api scope"]]) {
            const [problem] = problemsAbout(problems, key);
            assert.ok(problem?.includes(variable), `${key}: ${problem}`);
        }
    });
});

describe("config remote: backups follow the host source", () => {
    it("are on by default on production's EC2 host, off with hosts, and refused there when asked for", () => {
        assert.equal((validateStack("prod") as ProductionConfig).backup.enabled, true);
        assert.equal((validateStack("prod", hostsSource()) as ProductionConfig).backup.enabled, false);
        assert.equal((validateStack("staging", { backupEnabled: "true" }) as StagingConfig).backup.enabled, true);
        assert.deepEqual(configProblems(() => validateStack("staging", { ...hostsSource(), backupEnabled: "true" })).map((p) => p.split(" ")[0]), [configKey("backupEnabled")]);
    });
});

describe("config remote: default stack references", () => {
    it("name the other stack under the Pulumi organization, or `organization` when none is known", () => {
        assert.equal((withEnv("staging", {}, {}, "acme") as StagingConfig).projectStack, "acme/gitlab-docker-delivery/prod");
        assert.equal((withEnv("staging", {}, {}) as StagingConfig).projectStack, "organization/gitlab-docker-delivery/prod");
        assert.equal((withEnv("prod", {}, {}) as ProductionConfig).stagingStack, "organization/gitlab-docker-delivery/staging");
    });
});
