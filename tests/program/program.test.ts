import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { RecordedResource, installMocks } from "../support/mocks";
import { runPack } from "../policy/harness";
import { toPolicyResources } from "../policy/stacks";
import { CapturedStack, FAKE_SECRETS, STACK_CONFIG, STAGING_DIGEST, captureStack, pulumiConfig, resolveOutputs } from "./stacks";

const PROJECT_LEVEL_GITLAB = [
    "gitlab:index/project:Project",
    "gitlab:index/branchProtection:BranchProtection",
    "gitlab:index/projectEnvironment:ProjectEnvironment",
    "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
    "gitlab:index/projectDeployToken:ProjectDeployToken",
    "gitlab:index/userRunner:UserRunner",
];

function custom(captured: CapturedStack): RecordedResource[] {
    return captured.resources.filter((r) => r.custom);
}

function ofType(captured: CapturedStack, type: string): RecordedResource[] {
    return captured.resources.filter((r) => r.type === type);
}

function only(captured: CapturedStack, type: string): RecordedResource {
    const found = ofType(captured, type);
    assert.equal(found.length, 1, `expected one ${type}, got ${found.map((r) => r.name).join(", ") || "none"}`);
    return found[0];
}

/** The part of a fake secret to search for (the key's body line for the PEM key). */
const needle = (secret: string) => secret.trim().split("\n")[1] ?? secret;

/** No fake secret may appear in any input outside a value registered as secret. */
function assertSecretsOnlyInSecretInputs(captured: CapturedStack): void {
    for (const resource of captured.resources) {
        const text = JSON.stringify(resource.plainInputs);
        for (const [name, secret] of Object.entries(FAKE_SECRETS)) {
            assert.ok(!text.includes(needle(secret)), `${resource.type} ${resource.name} carries ${name} in plain text`);
        }
    }
}

function assertNoSecretInPlainOutputs(values: Record<string, unknown>, secret: Set<string>): void {
    for (const [key, value] of Object.entries(values)) {
        if (secret.has(key)) continue;
        const text = JSON.stringify(value) ?? "";
        for (const [name, fake] of Object.entries(FAKE_SECRETS)) {
            assert.ok(!text.includes(needle(fake)), `output ${key} exposes ${name}`);
        }
    }
}

describe("program: local stack", () => {
    let captured: CapturedStack;
    before(async () => {
        captured = await captureStack("local");
    });

    it("creates no AWS, GitLab or registry resources: only local commands", () => {
        assert.equal(captured.error, undefined);
        assert.deepEqual(captured.asyncErrors.map(String), []);
        const types = new Set(custom(captured).map((r) => r.type));
        assert.deepEqual([...types].sort(), ["command:local:Command"]);
        assert.equal(captured.recorder.calls.length, 0, "no provider lookups on the local stack");
    });

    it("registers exactly the image build, the password, the env file and the deploy", () => {
        assert.deepEqual(captured.resources.map((r) => `${r.type}::${r.name}`).sort(), [
            "cicd:host:LocalTarget::local",
            "cicd:image:LocalImage::app-image",
            "command:local:Command::app-image-build",
            "command:local:Command::local-api-write-token",
            "command:local:Command::local-db-app-password",
            "command:local:Command::local-db-password",
            "command:local:Command::local-deploy",
            "command:local:Command::local-env",
        ]);
    });

    it("builds app/Dockerfile's runtime target with Debian's docker and BuildKit, base images as build args", () => {
        const build = captured.recorder.find("command:local:Command", "app-image-build");
        assert.match(build.inputs.create, /"\$DOCKER" build --quiet --target "\$BUILD_TARGET"/);
        assert.equal(build.inputs.environment.DOCKER, "/usr/bin/docker");
        assert.equal(build.inputs.environment.DOCKER_BUILDKIT, "1");
        assert.equal(build.inputs.environment.BUILD_TARGET, "runtime");
        assert.match(build.inputs.environment.DOCKERFILE, /app\/Dockerfile$/);
        assert.equal(build.inputs.environment.BUILD_IMAGE, "cicd-standin/node-build:trixie");
        assert.equal(build.inputs.environment.RUNTIME_IMAGE, "cicd-standin/node-runtime:trixie");
        assert.match(build.inputs.create, /--build-arg BUILD_IMAGE --build-arg RUNTIME_IMAGE/);
        assert.doesNotMatch(build.inputs.create, /--secret/, "no CA secret unless buildCaFile is set");
        assert.match(build.inputs.environment.IMAGE_TAG, /^gitlab-docker-delivery-local\/app:src-[0-9a-f]{16}$/);
    });

    it("is idempotent: the same source gives the same tag and triggers, so a second up rebuilds nothing", async () => {
        const again = await captureStack("local");
        const first = captured.recorder.find("command:local:Command", "app-image-build");
        const second = again.recorder.find("command:local:Command", "app-image-build");
        assert.deepEqual(second.inputs.triggers, first.inputs.triggers);
        assert.equal(second.inputs.environment.IMAGE_TAG, first.inputs.environment.IMAGE_TAG);
        const deploy1 = captured.recorder.find("command:local:Command", "local-deploy");
        const deploy2 = again.recorder.find("command:local:Command", "local-deploy");
        assert.equal(deploy2.inputs.create, deploy1.inputs.create, "same image and bundle: the deploy command is unchanged");
    });

    it("passes the CA bundle as a BuildKit secret, never as a build arg, when buildCaFile is set", async () => {
        const withCa = await captureStack("local", { config: { buildCaFile: __filename } });
        const build = withCa.recorder.find("command:local:Command", "app-image-build");
        assert.match(build.inputs.create, /--secret id=ca,src="\$BUILD_CA_FILE"/);
        assert.equal(build.inputs.environment.BUILD_CA_FILE, __filename);
        assert.doesNotMatch(build.inputs.create, /--build-arg BUILD_CA_FILE/);
    });

    it("deploys through deploy.sh as project gitlab-docker-delivery-local, and destroy removes its volumes", () => {
        const deploy = captured.recorder.find("command:local:Command", "local-deploy");
        assert.match(deploy.inputs.create, /bash \S*app\/deploy\/deploy\.sh deploy --image gitlab-docker-delivery-local\/app:src-[0-9a-f]{16} --env local/);
        assert.match(deploy.inputs.create, /--project gitlab-docker-delivery-local/);
        assert.match(deploy.inputs.create, /--env-file \/tmp\/gitlab-docker-delivery-test-state\/local\.env/);
        assert.match(deploy.inputs.delete, /deploy\.sh down --volumes --env local/);
    });

    it("writes the env file 0600 with logging off, the password a secret generated once", () => {
        const env = captured.recorder.find("command:local:Command", "local-env");
        assert.equal(env.inputs.logging, "none");
        assert.match(env.inputs.create, /umask 077/);
        assert.ok(env.secretInputs.includes("stdin"), "env content is a secret input");
        assert.match(env.inputs.stdin, /^HTTP_BIND=127\.0\.0\.1$/m);
        assert.match(env.inputs.stdin, /^HTTP_PORT=8080$/m);
        assert.match(env.inputs.stdin, /^POSTGRES_IMAGE=cicd-standin\/postgres:trixie$/m);
        const password = captured.recorder.find("command:local:Command", "local-db-password");
        assert.equal(password.inputs.logging, "none");
        assert.ok(password.additionalSecretOutputs.includes("stdout"));
        assert.equal(password.inputs.triggers, undefined, "created once, never re-generated");
    });

    it("uses a configured dbPassword instead of generating one, and keeps it secret", async () => {
        const withPassword = await captureStack("local", { config: { dbPassword: FAKE_SECRETS.dbPassword, httpPort: "18080" } });
        assert.equal(withPassword.resources.filter((r) => r.name === "local-db-password").length, 0);
        const env = withPassword.recorder.find("command:local:Command", "local-env");
        assert.match(env.inputs.stdin, new RegExp(`^POSTGRES_PASSWORD=${FAKE_SECRETS.dbPassword}$`, "m"));
        assert.ok(env.secretInputs.includes("stdin"));
        assertSecretsOnlyInSecretInputs(withPassword);
        const { values, secret } = await resolveOutputs(withPassword);
        assert.equal(values.url, "http://127.0.0.1:18080");
        assertNoSecretInPlainOutputs(values, secret);
    });

    it("exports the URL on 127.0.0.1 and the image reference", async () => {
        const { values } = await resolveOutputs(captured);
        assert.equal(values.url, "http://127.0.0.1:8080");
        assert.match(String(values.imageRef), /^gitlab-docker-delivery-local\/app:src-[0-9a-f]{16}$/);
        assert.equal(values.composeProject, "gitlab-docker-delivery-local");
    });
});

describe("program: local stack with a GitLab token (sandbox project)", () => {
    const SANDBOX_STATE = {
        "gitlab:index/project:Project": (inputs: Record<string, any>) => ({
            pathWithNamespace: `jdoe/${inputs.path}`,
            webUrl: `https://gitlab.com/jdoe/${inputs.path}`,
        }),
    };
    let captured: CapturedStack;
    before(async () => {
        captured = await captureStack("local", { config: { gitlabToken: FAKE_SECRETS.gitlabToken }, state: SANDBOX_STATE });
    });

    it("without a token registers no gitlab: resource and no gitlab provider", async () => {
        const plain = await captureStack("local");
        assert.equal(plain.error, undefined);
        assert.deepEqual(plain.resources.filter((r) => r.type.startsWith("gitlab:") || r.type === "pulumi:providers:gitlab" || r.type.startsWith("cicd:gitlab:")).map((r) => r.name), []);
        assert.ok(!("projectUrl" in (plain.outputs ?? {})) && !("projectId" in (plain.outputs ?? {})), "no sandbox outputs without a token");
    });

    it("creates the Project component's resources, all through one explicit gitlab provider", () => {
        assert.equal(captured.error, undefined);
        assert.deepEqual(captured.asyncErrors.map(String), []);
        const provider = only(captured, "pulumi:providers:gitlab");
        assert.equal(provider.name, "gitlab");
        assert.equal(provider.inputs.baseUrl, "https://gitlab.com/api/v4");
        const component = only(captured, "cicd:gitlab:Project");
        assert.equal(component.name, "sandbox");
        const gitlabResources = captured.resources.filter((r) => r.type.startsWith("gitlab:"));
        assert.deepEqual(gitlabResources.map((r) => `${r.type}::${r.name}`).sort(), [
            "gitlab:index/branchProtection:BranchProtection::sandbox-main",
            "gitlab:index/project:Project::sandbox-project",
            "gitlab:index/projectDeployToken:ProjectDeployToken::sandbox-pull",
            "gitlab:index/projectEnvironment:ProjectEnvironment::sandbox-production",
            "gitlab:index/projectEnvironment:ProjectEnvironment::sandbox-staging",
            "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment::sandbox-production-protection",
            "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment::sandbox-staging-protection",
        ]);
        for (const r of gitlabResources) {
            assert.ok(r.provider.startsWith(`${provider.urn}::`), `${r.name} must use the explicit provider, got "${r.provider}"`);
            assert.equal(captured.recorder.parentOf(r)?.name, "sandbox", `${r.name} is a child of the sandbox component`);
        }
        const project = only(captured, "gitlab:index/project:Project");
        assert.equal(project.inputs.name, "gitlab-docker-delivery-sandbox");
        assert.equal(project.inputs.path, "gitlab-docker-delivery-sandbox");
        assert.equal(project.inputs.visibilityLevel, "private");
        assert.equal(project.inputs.namespaceId, undefined, "the token owner's namespace unless gitlabNamespaceId is set");
    });

    it("adds nothing else: same local commands, no push, no runner, no AWS, no lookups", () => {
        const others = custom(captured).filter((r) => !r.type.startsWith("gitlab:") && r.type !== "pulumi:providers:gitlab");
        assert.deepEqual(others.map((r) => `${r.type}::${r.name}`).sort(), [
            "command:local:Command::app-image-build",
            "command:local:Command::local-api-write-token",
            "command:local:Command::local-db-app-password",
            "command:local:Command::local-db-password",
            "command:local:Command::local-deploy",
            "command:local:Command::local-env",
        ]);
        assert.equal(ofType(captured, "gitlab:index/userRunner:UserRunner").length, 0);
        assert.equal(ofType(captured, "gitlab:index/projectVariable:ProjectVariable").length, 0, "no CI variables: no AWS roles, no hosts");
        assert.equal(captured.recorder.calls.length, 0);
        const build = captured.recorder.find("command:local:Command", "app-image-build");
        assert.doesNotMatch(build.inputs.create, /\bpush\b/, "the local image is never pushed");
    });

    it("keeps the production protected environment at one approval or more", () => {
        const production = captured.recorder.find("gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment", "sandbox-production-protection");
        assert.equal(production.inputs.environment, "production");
        assert.ok(production.inputs.approvalRules.length >= 1);
        assert.ok(production.inputs.approvalRules.every((rule: any) => rule.requiredApprovals >= 1));
    });

    it("hands the token to the provider only as a secret, and never exports it", async () => {
        const provider = only(captured, "pulumi:providers:gitlab");
        assert.equal(provider.inputs.token, FAKE_SECRETS.gitlabToken, "the provider does receive the token");
        assert.ok(provider.secretInputs.includes("token"), "the token is registered as a secret");
        assert.equal(provider.plainInputs.token, "[secret]");
        assertSecretsOnlyInSecretInputs(captured);
        const { values, secret } = await resolveOutputs(captured);
        assertNoSecretInPlainOutputs(values, secret);
        for (const [key, value] of Object.entries(values)) {
            assert.ok(!(JSON.stringify(value) ?? "").includes(FAKE_SECRETS.gitlabToken), `output ${key} carries the token, even if secret`);
        }
    });

    it("exports the sandbox project's URL and id", async () => {
        const { values, secret } = await resolveOutputs(captured);
        assert.equal(values.projectUrl, "https://gitlab.com/jdoe/gitlab-docker-delivery-sandbox");
        assert.match(String(values.projectId), /^\d+$/);
        assert.ok(!secret.has("projectUrl") && !secret.has("projectId"), "the URL and id are not secrets");
        assert.equal(values.url, "http://127.0.0.1:8080", "the local app is still served as before");
    });

    it("takes gitlabBaseUrl, gitlabProjectName and gitlabNamespaceId from config", async () => {
        const configured = await captureStack("local", {
            config: {
                gitlabToken: FAKE_SECRETS.gitlabToken,
                gitlabBaseUrl: "https://gitlab.example.com/api/v4",
                gitlabProjectName: "jdoe-delivery-try",
                gitlabNamespaceId: "77",
            },
            state: SANDBOX_STATE,
        });
        assert.equal(configured.error, undefined);
        assert.equal(only(configured, "pulumi:providers:gitlab").inputs.baseUrl, "https://gitlab.example.com/api/v4");
        const project = only(configured, "gitlab:index/project:Project");
        assert.equal(project.inputs.name, "jdoe-delivery-try");
        assert.equal(project.inputs.path, "jdoe-delivery-try");
        assert.equal(project.inputs.namespaceId, 77);
    });
});

describe("program: local stack passes the policy pack with and without a GitLab token", () => {
    for (const [label, extra] of [["without a token", {}], ["with a token", { gitlabToken: FAKE_SECRETS.gitlabToken }]] as const) {
        it(`${label}: every registered resource passes every policy`, async () => {
            const values = { ...STACK_CONFIG.local, ...extra };
            const captured = await captureStack("local", { config: extra });
            assert.equal(captured.error, undefined);
            const resources = toPolicyResources("local", captured.resources, pulumiConfig(values).config);
            assert.equal(resources.some((r) => r.type.startsWith("gitlab:")), "gitlabToken" in extra, "the pack judged the stack it was meant to");
            const violations: string[] = [];
            for (const resource of resources) {
                for (const v of await runPack(resource)) violations.push(`${v.level} ${v.policy}: ${resource.type} ${resource.name}: ${v.message}`);
            }
            assert.deepEqual(violations, []);
        });
    }
});

describe("program: the service's secrets per environment (issue 18)", () => {
    for (const environment of ["staging", "production"] as const) {
        it(`generates the app role's password and the API write token for ${environment} (random provider) into the host's env file, secret`, async () => {
            const generated = (inputs: Record<string, any>, name: string) => ({ ...inputs, result: `generated-${name}-${"x".repeat(24)}` });
            const captured = await captureStack(environment === "staging" ? "staging" : "prod", { state: { "random:index/randomPassword:RandomPassword": generated } });
            assert.equal(captured.error, undefined);
            for (const purpose of ["db-app-password", "api-write-token"]) {
                const password = captured.recorder.find("random:index/randomPassword:RandomPassword", `${environment}-${purpose}`);
                assert.equal(password.inputs.length, 48);
                assert.equal(password.inputs.special, false, "letters and digits: safe in an env file and a header");
            }
            const env = captured.recorder.find("command:remote:Command", `${environment}-env`);
            assert.ok(env.secretInputs.includes("stdin"), "the env file content is secret");
            assert.match(env.inputs.stdin, new RegExp(`^API_WRITE_TOKEN=generated-${environment}-api-write-token-x{24}$`, "m"));
            assert.match(env.inputs.stdin, new RegExp(`^POSTGRES_APP_PASSWORD=generated-${environment}-db-app-password-x{24}$`, "m"));
            assert.doesNotMatch(JSON.stringify(env.plainInputs), /generated-/);
            const { values, secret } = await resolveOutputs(captured);
            assert.equal(values.apiWriteToken, `generated-${environment}-api-write-token-${"x".repeat(24)}`, "operators read the token from the stack");
            assert.ok(secret.has("apiWriteToken"), "the apiWriteToken output is secret");
        });
    }
});

describe("program: staging stack", () => {
    let captured: CapturedStack;
    before(async () => {
        captured = await captureStack("staging");
    });

    it("registers exactly the expected resources of its own (image, host, providers, prod reference)", () => {
        const mine = custom(captured).filter((r) => !r.name.startsWith("staging-vars-")).map((r) => r.name).sort();
        assert.deepEqual(mine, [
            "app-image-build", "aws", "gitlab", "project-stack",
            "staging-api-write-token", "staging-bundle", "staging-db-app-password", "staging-deploy", "staging-env", "staging-folder", "staging-instance",
            "staging-ip", "staging-key", "staging-ready", "staging-registry-credentials", "staging-sg", "staging-ssh-key",
        ]);
        assert.deepEqual(captured.resources.filter((r) => !r.custom).map((r) => r.type).sort(), [
            "cicd:gitlab:EnvironmentVariables", "cicd:host:ComposeDeployment", "cicd:host:Ec2Host", "cicd:image:RegistryImage",
        ]);
    });

    it("creates none of the project-level GitLab resources (prod owns them)", () => {
        assert.equal(captured.error, undefined);
        assert.deepEqual(captured.asyncErrors.map(String), []);
        for (const type of PROJECT_LEVEL_GITLAB) assert.equal(ofType(captured, type).length, 0, `staging must not create ${type}`);
        const variables = ofType(captured, "gitlab:index/projectVariable:ProjectVariable");
        assert.ok(variables.length > 0);
        for (const v of variables) assert.equal(v.inputs.environmentScope, "staging", `${v.name} must be scoped to staging`);
        const ref = only(captured, "pulumi:pulumi:StackReference");
        assert.equal(ref.inputs.name, "acme/gitlab-docker-delivery/prod");
    });

    it("builds with docker-build, pushes sha and stack tags, no registry cache, CA never a build arg", () => {
        const image = only(captured, "docker-build:index:Image");
        assert.equal(image.inputs.push, true);
        assert.deepEqual(image.inputs.tags, [
            "registry.gitlab.com/acme/gitlab-docker-delivery:0123456789abcdef0123456789abcdef01234567",
            "registry.gitlab.com/acme/gitlab-docker-delivery:staging-0123456789abcdef0123456789abcdef01234567",
        ]);
        assert.equal(image.inputs.target, "runtime");
        assert.deepEqual(image.inputs.platforms, ["linux/amd64"]);
        assert.equal(image.inputs.buildArgs.GIT_COMMIT, "0123456789abcdef0123456789abcdef01234567");
        assert.ok(image.inputs.buildArgs.APP_VERSION);
        // No registry cache ever; a cache folder only when the deploy job sets BUILD_CACHE_DIR (unset here).
        assert.deepEqual([image.inputs.cacheFrom ?? [], image.inputs.cacheTo ?? []], [[], []]);
        // The provider's own builder unless a Pulumi job names its rootless BuildKit service in BUILDX_BUILDER (unset here).
        assert.equal(image.inputs.builder, undefined);
        assert.ok(!Object.keys(image.inputs.buildArgs).some((k) => /CA|SECRET|PASSWORD|TOKEN/.test(k)));
        assert.ok(image.secretInputs.includes("registries"), "registry password travels as a secret");
    });

    it("runs the host with IMDSv2, an encrypted gp3 root volume and SSH only from chosen sources", () => {
        const instance = only(captured, "aws:ec2/instance:Instance");
        assert.equal(instance.inputs.metadataOptions.httpTokens, "required");
        assert.equal(instance.inputs.rootBlockDevice.encrypted, true);
        assert.equal(instance.inputs.rootBlockDevice.volumeType, "gp3");
        assert.equal(instance.protect, false);
        const sg = only(captured, "aws:ec2/securityGroup:SecurityGroup");
        const ssh = sg.inputs.ingress.filter((rule: any) => rule.fromPort <= 22 && rule.toPort >= 22);
        assert.equal(ssh.length, 2);
        for (const rule of ssh) {
            for (const cidr of [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])]) assert.ok(!cidr.endsWith("/0"), `SSH open to ${cidr}`);
        }
        assert.deepEqual(ssh[0].cidrBlocks, ["203.0.113.4/32"]);
        assert.deepEqual(ssh[1].securityGroups, ["sg-0runner0000000000"]);
        for (const rule of sg.inputs.ingress) {
            if ((rule.cidrBlocks ?? []).includes("0.0.0.0/0")) assert.ok([80, 443].includes(rule.fromPort), `port ${rule.fromPort} open to the world`);
        }
    });

    it("looks up Canonical's Ubuntu LTS AMI and puts no secret in user data", () => {
        const ami = captured.recorder.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi");
        assert.ok(ami);
        assert.deepEqual(ami.inputs.owners, ["099720109477"]);
        assert.match(JSON.stringify(ami.inputs.filters), /ubuntu-noble-24\.04-amd64-server/);
        const instance = only(captured, "aws:ec2/instance:Instance");
        assert.match(instance.inputs.userData, /docker-compose-v2/);
        for (const fake of Object.values(FAKE_SECRETS)) assert.ok(!instance.inputs.userData.includes(fake.slice(0, 20)));
    });

    it("deploys the built digest via deploy.sh, keyed on the digest and the bundle", () => {
        const deploy = captured.recorder.find("command:remote:Command", "staging-deploy");
        assert.match(deploy.inputs.create, new RegExp(`deploy --image registry\\.gitlab\\.com/acme/gitlab-docker-delivery@sha256:${"ab".repeat(32)} --env staging`));
        assert.match(deploy.inputs.create, /REGISTRY_CREDENTIALS_FILE=\/home\/ubuntu\/gitlab-docker-delivery\/registry\.env /, "deploy.sh reads the credentials file as data, never sourced");
        assert.match(deploy.inputs.create, new RegExp(`: revision bundle=[0-9a-f]{16} host=staging-instance-id-\\d+ image=sha256:(ab){32} settings=[0-9a-f]{16};`));
        assert.match(deploy.inputs.delete, /deploy\.sh down --env staging/);
        assert.doesNotMatch(deploy.inputs.delete, /--volumes/);
        assert.ok(deploy.secretInputs.includes("connection"), "the SSH key in the connection is secret");
        for (const name of ["staging-env", "staging-registry-credentials"]) {
            const write = captured.recorder.find("command:remote:Command", name);
            assert.equal(write.inputs.logging, "none", `${name} logs nothing`);
            assert.ok(write.secretInputs.includes("stdin"), `${name} content is secret`);
            assert.match(write.inputs.create, /umask 077/);
        }
        const credentials = captured.recorder.find("command:remote:Command", "staging-registry-credentials");
        assert.match(credentials.inputs.stdin, /^REGISTRY_USER=gitlab\+deploy-token-1$/m, "hosts pull with the read-only deploy token");
        const copy = only(captured, "command:remote:CopyToRemote");
        assert.match(copy.inputs.remotePath, /^\/home\/ubuntu\/gitlab-docker-delivery\/bundles\/[0-9a-f]{16}$/);
    });

    it("tags every AWS resource through the provider's default tags and explicitly", () => {
        const provider = only(captured, "pulumi:providers:aws");
        // Provider inputs reach the engine JSON-encoded.
        const defaultTags = provider.inputs.defaultTags;
        const tags = (typeof defaultTags === "string" ? JSON.parse(defaultTags) : defaultTags).tags;
        assert.deepEqual(tags, { Project: "gitlab-docker-delivery", Stack: "staging", ManagedBy: "pulumi" });
        for (const r of custom(captured).filter((x) => x.type.startsWith("aws:") && !x.type.includes("Attachment"))) {
            assert.equal(r.inputs.tags?.Project, "gitlab-docker-delivery", `${r.type} ${r.name}`);
            assert.equal(r.inputs.tags?.Stack, "staging");
        }
    });

    it("exports URL, host address and image digest; no secret in plain outputs or inputs", async () => {
        const { values, secret } = await resolveOutputs(captured);
        assert.equal(values.url, "http://203.0.113.10");
        assert.equal(values.hostAddress, "203.0.113.10");
        assert.equal(values.imageRef, `registry.gitlab.com/acme/gitlab-docker-delivery@sha256:${"ab".repeat(32)}`);
        assert.equal(values.imageTag, "registry.gitlab.com/acme/gitlab-docker-delivery:0123456789abcdef0123456789abcdef01234567");
        assertNoSecretInPlainOutputs(values, secret);
        assertSecretsOnlyInSecretInputs(captured);
    });
});

describe("program: prod stack", () => {
    let captured: CapturedStack;
    before(async () => {
        captured = await captureStack("prod");
    });

    it("owns the project-level GitLab resources, with production requiring at least one approval", () => {
        assert.equal(captured.error, undefined);
        assert.deepEqual(captured.asyncErrors.map(String), []);
        for (const type of PROJECT_LEVEL_GITLAB) assert.ok(ofType(captured, type).length >= 1, `prod creates ${type}`);
        const protections = ofType(captured, "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment");
        const production = protections.find((p) => p.inputs.environment === "production");
        assert.ok(production);
        assert.ok(production.inputs.approvalRules.every((r: any) => r.requiredApprovals >= 1) && production.inputs.approvalRules.length >= 1);
        const variables = ofType(captured, "gitlab:index/projectVariable:ProjectVariable").filter((v) => v.inputs.key === "POSTGRES_PASSWORD");
        assert.equal(variables.length, 1);
        assert.equal(variables[0].inputs.masked, true);
        assert.equal(variables[0].inputs.protected, true);
    });

    it("registers exactly the expected resources of its own (promotion, host with data volume, providers, staging reference)", () => {
        const mine = custom(captured)
            .filter((r) => !/^(gitlab-|runner-|production-vars-|ci-roles-|release-tags-)/.test(r.name))
            .map((r) => r.name)
            .sort();
        assert.deepEqual(mine, [
            "app-image-registry", "app-image-tag", "aws", "gitlab",
            "production-api-write-token",
            // Backups, on by default in production (components/program/backup.ts).
            "production-backup-bucket", "production-backup-cipher-pass", "production-backup-encryption", "production-backup-host-backup",
            "production-backup-host-profile", "production-backup-host-role", "production-backup-lifecycle", "production-backup-ownership",
            "production-backup-public-access", "production-backup-tls-only", "production-backup-versioning",
            "production-bundle", "production-data", "production-data-attachment", "production-db-app-password",
            "production-deploy", "production-env", "production-folder", "production-init", "production-instance", "production-ip", "production-key",
            "production-mount-data", "production-pgbackrest-conf", "production-ready", "production-registry-credentials", "production-sg", "production-ssh-key",
            "production-timer", "staging",
        ]);
        assert.deepEqual(captured.resources.filter((r) => !r.custom).map((r) => r.type).sort(), [
            "cicd:backup:BackupBucket", "cicd:backup:BackupConfigFile", "cicd:backup:BackupHostAccess", "cicd:backup:BackupSchedule",
            "cicd:ci:OidcRoles", "cicd:gitlab:EnvironmentVariables", "cicd:gitlab:Project", "cicd:gitlab:ReleaseTags", "cicd:host:ComposeDeployment", "cicd:host:Ec2Host", "cicd:image:PromotedImage", "cicd:runner:Runner", "cicd:runner:Runner",
        ]);
    });

    it("registers the runners and lets only the deploy runner and the configured CIDRs reach SSH on the host", () => {
        for (const runner of ofType(captured, "gitlab:index/userRunner:UserRunner")) assert.equal(runner.inputs.locked, true);
        const hostSg = captured.recorder.find("aws:ec2/securityGroup:SecurityGroup", "production-sg");
        const ssh = hostSg.inputs.ingress.filter((rule: any) => rule.fromPort <= 22 && rule.toPort >= 22);
        assert.deepEqual(ssh[0].cidrBlocks, ["203.0.113.4/32"]);
        assert.match(ssh[1].securityGroups[0], /^runner-deploy-sg-id-\d+$/, "SSH from the deploy runner's security group");
        for (const sg of ofType(captured, "aws:ec2/securityGroup:SecurityGroup")) {
            for (const rule of sg.inputs.ingress ?? []) {
                if (rule.fromPort <= 22 && rule.toPort >= 22) {
                    assert.ok(![...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])].some((c: string) => c.endsWith("/0")), `${sg.name} opens SSH to the world`);
                }
            }
        }
    });

    it("does not rebuild: it verifies staging's digest in the registry and tags it for production", () => {
        assert.equal(ofType(captured, "docker-build:index:Image").length, 0);
        const lookup = captured.recorder.calls.find((c) => c.token === "docker:index/getRegistryImage:getRegistryImage");
        assert.ok(lookup);
        assert.equal(lookup.inputs.name, "registry.gitlab.com/acme/gitlab-docker-delivery:0123456789abcdef0123456789abcdef01234567");
        const index = only(captured, "docker-build:index:Index");
        assert.equal(index.inputs.tag, "registry.gitlab.com/acme/gitlab-docker-delivery:production-0123456789abcdef0123456789abcdef01234567");
        assert.deepEqual(index.inputs.sources, [`registry.gitlab.com/acme/gitlab-docker-delivery@${STAGING_DIGEST}`]);
        const deploy = captured.recorder.find("command:remote:Command", "production-deploy");
        assert.match(deploy.inputs.create, new RegExp(`--image registry\\.gitlab\\.com/acme/gitlab-docker-delivery@${STAGING_DIGEST} --env production`));
        assert.equal(deploy.inputs.delete, undefined, "destroying the deploy command leaves production running");
    });

    it("requires IMDSv2 and encrypted root volumes on every instance (host and runner)", () => {
        const instances = ofType(captured, "aws:ec2/instance:Instance");
        assert.deepEqual(instances.map((i) => i.name).sort(), ["production-instance", "runner-deploy-host", "runner-mr-host"]);
        for (const instance of instances) {
            assert.equal(instance.inputs.metadataOptions.httpTokens, "required", instance.name);
            assert.equal(instance.inputs.rootBlockDevice.encrypted, true, instance.name);
        }
    });

    it("protects production data: the host and its encrypted database volume", () => {
        const instance = captured.recorder.find("aws:ec2/instance:Instance", "production-instance");
        assert.equal(instance.protect, true);
        assert.equal(instance.inputs.metadataOptions.httpTokens, "required");
        assert.equal(instance.inputs.rootBlockDevice.encrypted, true);
        const volume = only(captured, "aws:ebs/volume:Volume");
        assert.equal(volume.protect, true);
        assert.equal(volume.inputs.encrypted, true);
        assert.equal(volume.inputs.type, "gp3");
        const attachment = only(captured, "aws:ec2/volumeAttachment:VolumeAttachment");
        assert.equal(attachment.inputs.stopInstanceBeforeDetaching, true);
        const mount = captured.recorder.find("command:remote:Command", "production-mount-data");
        assert.match(mount.inputs.create, /blkid "\$device" >\/dev\/null \|\| sudo mkfs\.ext4/, "formats only a blank volume");
    });

    it("can turn data protection off only on purpose", async () => {
        const unprotected = await captureStack("prod", { config: { protectData: "false" } });
        assert.equal(unprotected.recorder.find("aws:ec2/instance:Instance", "production-instance").protect, false);
        assert.equal(only(unprotected, "aws:ebs/volume:Volume").protect, false);
    });

    it("keeps secrets secret in outputs and inputs", async () => {
        const { values, secret } = await resolveOutputs(captured);
        assert.ok(secret.has("deployTokenPassword"));
        assert.equal(values.imageRef, `registry.gitlab.com/acme/gitlab-docker-delivery@${STAGING_DIGEST}`);
        assert.equal(values.imageDigest, STAGING_DIGEST);
        assert.equal(values.url, "http://203.0.113.10");
        assertNoSecretInPlainOutputs(values, secret);
        assertSecretsOnlyInSecretInputs(captured);
    });

    it("bootstraps before any image exists: GitLab resources only, no host, a clear message", async () => {
        const bootstrap = await captureStack("prod", { config: { bootstrap: "true" } });
        assert.equal(bootstrap.error, undefined);
        assert.ok(ofType(bootstrap, "gitlab:index/project:Project").length === 1);
        const hostResources = bootstrap.resources.filter((r) => r.name.startsWith("production-") && !r.name.startsWith("production-vars"));
        assert.deepEqual(hostResources.map((r) => r.name), [], "no production host before an image exists");
        assert.equal(bootstrap.resources.filter((r) => r.type.startsWith("command:") || r.type.startsWith("docker")).length, 0);
        assert.equal(ofType(bootstrap, "gitlab:index/userRunner:UserRunner").length, 2, "the runners are project-level: they come up in bootstrap");
        assert.equal(ofType(bootstrap, "pulumi:pulumi:StackReference").length, 0, "no reference to a staging stack that may not exist yet");
        const { values } = await resolveOutputs(bootstrap);
        assert.match(String(values.hosts), /skipped: bootstrap/);
    });

    it("deploys an explicit imageRef without reading the staging stack", async () => {
        const pinned = `registry.gitlab.com/acme/gitlab-docker-delivery@${STAGING_DIGEST}`;
        const explicit = await captureStack("prod", { config: { imageRef: pinned } });
        assert.equal(ofType(explicit, "pulumi:pulumi:StackReference").length, 0);
        const lookup = explicit.recorder.calls.find((c) => c.token === "docker:index/getRegistryImage:getRegistryImage");
        // The Docker provider splits a lookup name at its first ":" after the host (see tests/program/first-up.test.ts, item 6).
        assert.equal(lookup?.inputs.name, `registry.gitlab.com/acme/gitlab-docker-delivery:${STAGING_DIGEST}`);
    });

    it("refuses to deploy when the registry holds a different digest than staging built", async () => {
        const moved = await captureStack("prod", { registryDigest: `sha256:${"ee".repeat(32)}` });
        const digest = pulumi.output(moved.outputs!.imageDigest);
        const error = await new Promise<Error | undefined>((resolve) => {
            (digest as unknown as { promise(): Promise<unknown> }).promise().then(() => resolve(undefined), resolve);
        });
        assert.match(String(error?.message), /production deploys only the exact image staging built/);
        assert.equal(ofType(moved, "command:remote:Command").filter((r) => r.name === "production-deploy").length, 0, "no deploy registered");
    });
});

describe("program: bad config", () => {
    for (const [stack, config, expected] of [
        ["staging", { sshIngressCidrs: JSON.stringify(["0.0.0.0/0"]) }, /would open SSH to the whole internet/],
        ["prod", { instanceType: "t2.nano" }, /is not allowed in production/],
        ["prod", { imageRef: "registry.gitlab.com/acme/gitlab-docker-delivery:latest" }, /imageRef .*latest/],
        ["local", { httpPort: "eighty" }, /httpPort must be a whole number/],
        ["staging", { environment: "qa" }, /environment "qa" is unknown/],
        ["local", { gitlabProjectName: "my-sandbox" }, /gitlabProjectName is only used when gitlabToken is set/],
        ["local", { gitlabToken: FAKE_SECRETS.gitlabToken, gitlabProjectName: "my sandbox.git" }, /gitlabProjectName "my sandbox\.git" is not a GitLab project path/],
    ] as const) {
        // Titles are printed: a (fake) token in the config shows as [secret], as a real one would have to.
        it(`${stack}: ${JSON.stringify(config, (k, v) => (k === "gitlabToken" ? "[secret]" : v))} fails with one clear error and creates nothing`, async () => {
            const result = await captureStack(stack, { config });
            assert.ok(result.error, "expected an error");
            assert.match(result.error.message, /^Invalid configuration for stack/);
            assert.match(result.error.message, expected);
            assert.equal(result.resources.length, 0, `created: ${result.resources.map((r) => r.name).join(", ")}`);
        });
    }
});

describe("program: index.ts", () => {
    it("exports the program's outputs as stack outputs (loaded fresh under mocks)", async () => {
        const recorder = await installMocks({ stack: "local", organization: "acme" });
        const { config, secretKeys } = pulumiConfig(STACK_CONFIG.local);
        pulumi.runtime.setAllConfig(config, secretKeys);
        const entry = require.resolve("../../index");
        delete require.cache[entry];
        // A fresh evaluation of index.ts needs require: a cached ES import would not run the program again.
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const exported = require(entry) as Record<string, unknown>;
        await recorder.settle();
        assert.deepEqual(Object.keys(exported).sort(), ["apiWriteToken", "composeProject", "envFile", "environment", "imageId", "imageRef", "tls", "url"]);
        assert.equal(exported.environment, "local");
        assert.equal(recorder.findAll("command:local:Command").length, 6);
    });
});
