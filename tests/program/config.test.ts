import { strict as assert } from "assert";
import {
    ConfigError,
    KNOWN_KEYS,
    ProductionConfig,
    StagingConfig,
    LocalConfig,
    gitlabProjectNameProblem,
    imageRefProblem,
    isArmInstanceType,
    isWorldCidr,
    parseCidr,
    validateConfig,
} from "../../components/config";
import { configProblems as problemsOf, SECRET_KEYS, validateStack as validate } from "./configHarness";
import { FAKE_SECRETS, STACK_CONFIG } from "./stacks";

const SECRETS = SECRET_KEYS;

describe("config validation", () => {
    it("accepts the committed-style config of every stack and applies defaults", () => {
        const local = validate("local") as LocalConfig;
        assert.equal(local.environment, "local");
        assert.equal(local.httpPort, 8080);
        assert.equal(local.baseImages.build, "cicd-standin/node-build:trixie");
        const staging = validate("staging") as StagingConfig;
        assert.equal(staging.environment, "staging");
        assert.deepEqual(staging.platforms, ["linux/amd64"]);
        assert.equal(staging.projectStack, "acme/gitlab-docker-delivery/prod");
        const prod = validate("prod") as ProductionConfig;
        assert.equal(prod.environment, "production");
        assert.equal(prod.protectData, true);
        assert.equal(prod.productionApprovals, 1);
        assert.equal(prod.stagingStack, "acme/gitlab-docker-delivery/staging");
        assert.equal(prod.bootstrap, false);
    });

    it("reports every problem at once, each naming its key and what is allowed", () => {
        const problems = problemsOf(() =>
            validate("prod", {
                instanceType: "x1e.32xlarge",
                sshIngressCidrs: JSON.stringify(["10.0.0.0/8", "0.0.0.0/0", "not-a-cidr"]),
                imageRef: "registry.gitlab.com/acme/gitlab-docker-delivery:latest",
                sshPublicKey: undefined,
                productionApprovals: "0",
            }),
        );
        const text = problems.join("\n");
        assert.match(text, /gitlab-docker-delivery:instanceType "x1e\.32xlarge" is not allowed in production; allowed: t3\.medium/);
        assert.match(text, /sshIngressCidrs\[1\] "0\.0\.0\.0\/0" would open SSH to the whole internet/);
        assert.match(text, /sshIngressCidrs\[2\] "not-a-cidr" is not a CIDR block/);
        assert.match(text, /imageRef .*latest/);
        assert.match(text, /sshPublicKey is required/);
        assert.match(text, /productionApprovals must be a whole number from 1 to 10/);
        assert.equal(problems.length, 6, text);
    });

    it("refuses SSH from ::/0 as well as 0.0.0.0/0", () => {
        const problems = problemsOf(() => validate("staging", { sshIngressCidrs: JSON.stringify(["::/0"]) }));
        assert.match(problems.join(), /"::\/0" would open SSH to the whole internet/);
    });

    it("names every missing required key of a remote stack in one error", () => {
        let error: unknown;
        try {
            validateConfig("staging", {}, { secretKeys: SECRETS, env: {} });
        } catch (err) {
            error = err;
        }
        assert.ok(error instanceof ConfigError);
        const message = error.message;
        for (const key of ["aws:region", "imageRepository", "sshPublicKey", "sshPrivateKey", "registryUsername", "registryPassword", "gitlabToken", "gitCommit"]) {
            assert.ok(message.includes(key), `missing ${key} in:\n${message}`);
        }
        assert.match(message, /nothing was created/);
    });

    it("takes CI's predefined variables when config leaves them unset", () => {
        const raw = { ...STACK_CONFIG.staging };
        delete (raw as Record<string, string>).gitCommit;
        delete (raw as Record<string, string>).registryUsername;
        delete (raw as Record<string, string>).registryPassword;
        const config = validateConfig("staging", raw, {
            secretKeys: SECRETS,
            env: { CI_COMMIT_SHA: "abcdef0123456789abcdef0123456789abcdef01", CI_REGISTRY_USER: "gitlab-ci-token", CI_REGISTRY_PASSWORD: "job-token" },
        }) as StagingConfig;
        assert.equal(config.gitCommit, "abcdef0123456789abcdef0123456789abcdef01");
        assert.equal(config.registryUsername, "gitlab-ci-token");
    });

    it("takes unset base images and the CA bundle from the environment, so an offline machine needs no edited stack file", () => {
        const env = {
            BUILD_IMAGE: "mirror.example/node-build:22",
            RUNTIME_IMAGE: "mirror.example/node-runtime:22",
            POSTGRES_IMAGE: "mirror.example/postgres:16",
            NGINX_IMAGE: "mirror.example/nginx:1.27",
            BUILD_CA_FILE: "/etc/ssl/certs/ca-certificates.crt",
        };
        const raw = { ...STACK_CONFIG.local, "baseImages": JSON.stringify({ nginx: "nginx:1.27.3-alpine" }) };
        const config = validateConfig("local", raw, { secretKeys: SECRETS, env, fileExists: () => true }) as LocalConfig;
        assert.deepEqual(config.baseImages, {
            build: "mirror.example/node-build:22",
            runtime: "mirror.example/node-runtime:22",
            postgres: "mirror.example/postgres:16",
            nginx: "nginx:1.27.3-alpine", // config wins over the environment
        });
        assert.equal(config.buildCaFile, "/etc/ssl/certs/ca-certificates.crt");
    });

    it("refuses a local Compose project name that Compose would reject", () => {
        const problems = problemsOf(() => validate("local", { composeProject: "My Stack" }));
        assert.ok(problems.some((p) => p.includes("composeProject") && p.includes('"My Stack"')), problems.join("\n"));
        assert.equal((validate("local", { composeProject: "cicd-test-1" }) as LocalConfig).composeProject, "cicd-test-1");
    });

    it("judges base images from the environment like configured ones (no `latest`)", () => {
        const problems = problemsOf(() =>
            validateConfig("local", { httpPort: "8080" }, { secretKeys: SECRETS, env: { BUILD_IMAGE: "node:latest" } }),
        );
        assert.ok(problems.some((p) => p.includes("baseImages.build") && p.includes("latest")), problems.join("\n"));
    });

    it("refuses a secret stored in plain text and never echoes its value", () => {
        const problems = problemsOf(() =>
            validateConfig("staging", { ...STACK_CONFIG.staging }, { secretKeys: new Set(["gitlabToken", "registryPassword"]), env: {} }),
        );
        const text = problems.join("\n");
        assert.match(text, /sshPrivateKey holds a secret but is stored in plain text; set it again with `pulumi config set --secret/);
        assert.ok(!text.includes("FAKEKEY"), "the error must not contain the key");
        assert.ok(!text.includes(FAKE_SECRETS.gitlabToken));
    });

    it("rejects an unknown environment and unknown stacks without one", () => {
        assert.match(problemsOf(() => validate("qa", { environment: "qa" }, {})).join(), /environment "qa" is unknown; allowed: local, staging, production/);
        assert.match(problemsOf(() => validate("feature-x", {}, {})).join(), /environment is required for stack "feature-x"/);
    });

    it("rejects keys that do not belong to the stack's environment (typos)", () => {
        const problems = problemsOf(() => validate("local", { instanceType: "t3.small", htpPort: "80" }));
        assert.match(problems.join("\n"), /instanceType is not a setting of the local environment/);
        assert.match(problems.join("\n"), /htpPort is not a setting of the local environment/);
    });

    it("checks local settings: port range, base image refs, CA file, password length", () => {
        const problems = problemsOf(() =>
            validate("local", {
                httpPort: "80",
                baseImages: JSON.stringify({ build: "node:latest", runtme: "x" }),
                buildCaFile: "/nope/ca.pem",
                dbPassword: "short",
            }),
        ).join("\n");
        assert.match(problems, /httpPort must be a whole number from 1024 to 65535/);
        assert.match(problems, /baseImages\.build "node:latest" uses the mutable tag `latest`/);
        assert.match(problems, /baseImages\.runtme is not a known key; allowed: build, runtime, postgres, nginx, acme/);
        assert.match(problems, /buildCaFile points to "\/nope\/ca\.pem", which does not exist/);
        assert.match(problems, /dbPassword must be at least 16 characters/);
        assert.equal((validate("local", { buildCaFile: "/etc/ssl/certs/ca-certificates.crt" }) as LocalConfig).buildCaFile, "/etc/ssl/certs/ca-certificates.crt");
    });

    it("requires arm64 images for Graviton instance types", () => {
        const problems = problemsOf(() => validate("staging", { instanceType: "t4g.small" })).join();
        assert.match(problems, /platforms must include linux\/arm64 because instanceType t4g\.small runs linux\/arm64/);
        const ok = validate("staging", { instanceType: "t4g.small", platforms: JSON.stringify(["linux/arm64"]) }) as StagingConfig;
        assert.deepEqual(ok.platforms, ["linux/arm64"]);
    });

    it("accepts a production imageRef only when pinned by digest in the configured repository", () => {
        const digest = "a".repeat(64);
        const ok = validate("prod", { imageRef: `registry.gitlab.com/acme/gitlab-docker-delivery@sha256:${digest}` }) as ProductionConfig;
        assert.equal(ok.imageRef, `registry.gitlab.com/acme/gitlab-docker-delivery@sha256:${digest}`);
        assert.match(problemsOf(() => validate("prod", { imageRef: "registry.gitlab.com/acme/gitlab-docker-delivery:0123abc" })).join(), /must be pinned by digest/);
        assert.match(problemsOf(() => validate("prod", { imageRef: `docker.io/evil/app@sha256:${digest}` })).join(), /must be an image of imageRepository/);
    });
});

describe("config validation: the local stack's optional sandbox GitLab project", () => {
    it("has no GitLab settings without a token, whatever GITLAB_TOKEN the shell exports", () => {
        assert.equal((validate("local") as LocalConfig).gitlab, undefined);
        const withEnv = validateConfig("local", { ...STACK_CONFIG.local }, { secretKeys: SECRETS, env: { GITLAB_TOKEN: "glpat-from-the-shell" } }) as LocalConfig;
        assert.equal(withEnv.gitlab, undefined, "only a token in the stack's config turns the sandbox on");
    });

    it("knows the sandbox keys on local, under the names the remote stacks use", () => {
        for (const k of ["gitlabToken", "gitlabBaseUrl", "gitlabNamespaceId"]) {
            assert.ok(KNOWN_KEYS.local.includes(k), `local lacks ${k}`);
            assert.ok(KNOWN_KEYS.production.includes(k), `the name ${k} is not the production one`);
        }
        assert.ok(KNOWN_KEYS.local.includes("gitlabProjectName"));
        assert.ok(!KNOWN_KEYS.staging.includes("gitlabProjectName"), "remote stacks keep refusing it as unknown");
    });

    it("with a secret token: defaults like the remote stacks and the sandbox name", () => {
        const local = validate("local", { gitlabToken: FAKE_SECRETS.gitlabToken }) as LocalConfig;
        assert.deepEqual(local.gitlab, {
            baseUrl: "https://gitlab.com/api/v4",
            token: FAKE_SECRETS.gitlabToken,
            projectName: "gitlab-docker-delivery-sandbox",
            namespaceId: undefined,
        });
        const custom = validate("local", {
            gitlabToken: FAKE_SECRETS.gitlabToken,
            gitlabBaseUrl: "https://gitlab.example.com/api/v4",
            gitlabProjectName: "my-sandbox_2",
            gitlabNamespaceId: "77",
        }) as LocalConfig;
        assert.equal(custom.gitlab?.baseUrl, "https://gitlab.example.com/api/v4");
        assert.equal(custom.gitlab?.projectName, "my-sandbox_2");
        assert.equal(custom.gitlab?.namespaceId, 77);
    });

    it("refuses gitlabProjectName without a token with one problem that says why", () => {
        const problems = problemsOf(() => validate("local", { gitlabProjectName: "my-sandbox" }));
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^gitlab-docker-delivery:gitlabProjectName is only used when gitlabToken is set/);
        assert.match(problems[0], /pulumi config set --secret gitlab-docker-delivery:gitlabToken/);
    });

    it("refuses the other sandbox keys without a token too, each named", () => {
        const problems = problemsOf(() => validate("local", { gitlabBaseUrl: "https://gitlab.example.com/api/v4", gitlabNamespaceId: "77" }));
        assert.equal(problems.length, 2, problems.join("\n"));
        assert.match(problems.join("\n"), /gitlabBaseUrl is only used when gitlabToken is set/);
        assert.match(problems.join("\n"), /gitlabNamespaceId is only used when gitlabToken is set/);
    });

    it("checks the sandbox keys with a token: name, base URL, namespace id, token stored as a secret", () => {
        const problems = problemsOf(() =>
            validateConfig("local", {
                ...STACK_CONFIG.local,
                gitlabToken: FAKE_SECRETS.gitlabToken,
                gitlabProjectName: "My Sandbox",
                gitlabBaseUrl: "http://gitlab.example.com/api/v4",
                gitlabNamespaceId: "group-7",
            }, { secretKeys: new Set(), env: {} }),
        );
        const text = problems.join("\n");
        assert.match(text, /gitlabToken holds a secret but is stored in plain text/);
        assert.match(text, /gitlabProjectName "My Sandbox" is not a GitLab project path/);
        assert.match(text, /gitlabBaseUrl must be an https URL of the GitLab API/);
        assert.match(text, /gitlabNamespaceId must be the numeric id of the GitLab group \(got "group-7"\)/);
        assert.equal(problems.length, 4, text);
        assert.ok(!text.includes(FAKE_SECRETS.gitlabToken), "the token is never echoed");
    });
});

describe("config helpers", () => {
    it("parses CIDRs and spots the world", () => {
        assert.deepEqual(parseCidr("203.0.113.4/32"), { version: 4, prefix: 32 });
        assert.deepEqual(parseCidr("2001:db8::/64"), { version: 6, prefix: 64 });
        assert.equal(parseCidr("300.1.1.1/8"), undefined);
        assert.equal(parseCidr("10.0.0.0/33"), undefined);
        assert.equal(parseCidr("10.0.0.0"), undefined);
        assert.equal(isWorldCidr("0.0.0.0/0"), true);
        assert.equal(isWorldCidr("::/0"), true);
        assert.equal(isWorldCidr("10.0.0.0/8"), false);
    });

    it("judges image references", () => {
        assert.equal(imageRefProblem("registry.gitlab.com/acme/app:0123abc"), undefined);
        assert.equal(imageRefProblem(`registry.gitlab.com/acme/app@sha256:${"f".repeat(64)}`), undefined);
        assert.match(imageRefProblem("registry.gitlab.com/acme/app") ?? "", /neither tag nor digest/);
        assert.match(imageRefProblem("registry.gitlab.com/acme/app:latest") ?? "", /latest/);
        assert.match(imageRefProblem("localhost:5000/app:v1", true) ?? "", /pinned by digest/);
        assert.equal(imageRefProblem("localhost:5000/app:v1"), undefined);
        assert.match(imageRefProblem("UPPER/case:v1") ?? "", /not a valid image reference/);
    });

    it("judges GitLab project names that double as paths", () => {
        for (const ok of ["gitlab-docker-delivery-sandbox", "a", "Sandbox.2", "my_sandbox"]) assert.equal(gitlabProjectNameProblem(ok), undefined, ok);
        for (const bad of ["", "-sandbox", "sandbox-", "my sandbox", "sandbox.git", "sandbox.atom", "sand/box", "x".repeat(256)]) {
            assert.match(gitlabProjectNameProblem(bad) ?? "", /is not a GitLab project path/, bad);
        }
    });

    it("recognises Graviton instance types", () => {
        for (const t of ["t4g.small", "m7g.large", "c7gn.xlarge", "m6gd.large"]) assert.equal(isArmInstanceType(t), true, t);
        for (const t of ["t3.small", "m6i.large", "g4dn.xlarge", "m5dn.large"]) assert.equal(isArmInstanceType(t), false, t);
    });
});
