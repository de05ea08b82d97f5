// Issue "Before the first real `pulumi up`": one describe per item this file covers, each test failing on the code
// before the fix. Everything runs the whole program of a stack under mocks (tests/program/stacks.ts).
import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError, FREE_TIER_LOSSES, validateConfig } from "../../components/config";
import { trustAllows } from "../../components/ci";
import { CapturedStack, ORGANIZATION, STACK_CONFIG, STACK_OUTPUTS, STAGING_DIGEST, captureStack } from "./stacks";
import { RecordedResource } from "../support/mocks";
import { runPack } from "../policy/harness";
import { toPolicyResources } from "../policy/stacks";
import { pulumiConfig } from "./stacks";

const REPO = "registry.gitlab.com/acme/gitlab-docker-delivery";
const ROLE = "aws:iam/role:Role";
const VARIABLE = "gitlab:index/projectVariable:ProjectVariable";

const ofType = (captured: CapturedStack, type: string): RecordedResource[] => captured.resources.filter((r) => r.type === type);

/** The rejection of an output (or undefined when it resolves). */
function rejection(value: unknown): Promise<Error | undefined> {
    const output = pulumi.output(value) as unknown as { promise(): Promise<unknown> };
    return output.promise().then(() => undefined, (err: Error) => err);
}

async function resolved(value: unknown): Promise<unknown> {
    return (pulumi.output(value) as unknown as { promise(): Promise<unknown> }).promise();
}

function problems(stack: string, overrides: Record<string, string | undefined>): string[] {
    const raw: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...STACK_CONFIG[stack as "prod"], ...overrides })) if (v !== undefined) raw[k] = v;
    try {
        validateConfig(stack, raw, { secretKeys: new Set(["sshPrivateKey", "gitlabToken", "registryPassword"]), env: {}, organization: ORGANIZATION });
    } catch (err) {
        if (err instanceof ConfigError) return [...err.problems];
        throw err;
    }
    return [];
}

describe("#12 item 2: CI AWS roles, provisioned by prod (and #18: a role per environment)", () => {
    let prod: CapturedStack;
    before(async () => {
        prod = await captureStack("prod");
    });

    it("creates the IAM OIDC provider of the GitLab instance, its audience what the jobs request", () => {
        const providers = ofType(prod, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
        assert.equal(providers.length, 1);
        assert.equal(providers[0].inputs.url, "https://gitlab.com");
        assert.deepEqual(providers[0].inputs.clientIdLists, ["https://gitlab.com"]);
    });

    it("creates three roles: production trusts only the release tags, staging main and the release tags, preview merge-request branches", () => {
        const roles = new Map(ofType(prod, ROLE).filter((r) => r.name.startsWith("ci-roles-")).map((r) => [r.name, JSON.parse(r.inputs.assumeRolePolicy)]));
        assert.deepEqual([...roles.keys()].sort(), ["ci-roles-preview", "ci-roles-production", "ci-roles-staging"]);
        const project = "project_path:acme/gitlab-docker-delivery";
        const token = (sub: string) => ({ aud: "https://gitlab.com", sub });
        const main = token(`${project}:ref_type:branch:ref:main`);
        const release = token(`${project}:ref_type:tag:ref:v1.4.0`);
        const branch = token(`${project}:ref_type:branch:ref:feature/x`);
        const otherProject = token("project_path:mallory/gitlab-docker-delivery:ref_type:branch:ref:main");
        const otherProjectRelease = token("project_path:mallory/gitlab-docker-delivery:ref_type:tag:ref:v1.4.0");
        const otherTag = token(`${project}:ref_type:tag:ref:main`);
        const admitted: Record<string, object[]> = { "ci-roles-staging": [main, release], "ci-roles-production": [release] };
        for (const [deploy, tokens] of Object.entries(admitted)) {
            const policy = roles.get(deploy)!;
            for (const ok of tokens) assert.equal(trustAllows(policy, "https://gitlab.com", ok as typeof main), true, `${deploy} trusts ${(ok as typeof main).sub}`);
            for (const refused of [branch, otherProject, otherProjectRelease, otherTag, { ...release, aud: "sts.amazonaws.com" }]) {
                assert.equal(trustAllows(policy, "https://gitlab.com", refused), false, `${deploy} refuses ${refused.sub} (${refused.aud})`);
            }
            assert.doesNotMatch(JSON.stringify(policy), /ref:\*/, "no wildcard ref on a deploy role");
        }
        assert.equal(trustAllows(roles.get("ci-roles-production")!, "https://gitlab.com", main), false, "a job on main got production's role");
        const preview = roles.get("ci-roles-preview")!;
        assert.equal(trustAllows(preview, "https://gitlab.com", branch), true);
        assert.equal(trustAllows(preview, "https://gitlab.com", otherProject), false);
    });

    it("protects the release tags (default v*) for maintainers only, and the production role trusts that same pattern", async () => {
        const protections = ofType(prod, "gitlab:index/tagProtection:TagProtection");
        assert.deepEqual(protections.map((p) => [p.inputs.tag, p.inputs.createAccessLevel]), [["v*", "maintainer"]]);
        const custom = await captureStack("prod", { config: { releaseTagPattern: "release/2*" } });
        assert.equal(custom.error, undefined);
        assert.deepEqual(ofType(custom, "gitlab:index/tagProtection:TagProtection").map((p) => p.inputs.tag), ["release/2*"]);
        const trust = JSON.parse(custom.recorder.find(ROLE, "ci-roles-production").inputs.assumeRolePolicy);
        assert.deepEqual(trust.Statement[0].Condition.StringLike["gitlab.com:sub"], ["project_path:acme/gitlab-docker-delivery:ref_type:tag:ref:release/2*"]);
    });

    it("protects the release tags with your own roles too (their trust is yours to keep on tags)", async () => {
        const byo = await captureStack("prod", { config: {
            awsPreviewRoleArn: "arn:aws:iam::123456789012:role/own-preview",
            awsStagingRoleArn: "arn:aws:iam::123456789012:role/own-staging",
            awsProductionRoleArn: "arn:aws:iam::123456789012:role/own-production",
        } });
        assert.deepEqual(ofType(byo, "gitlab:index/tagProtection:TagProtection").map((p) => p.inputs.tag), ["v*"]);
    });

    it("keeps the preview role read-only and away from parameters and secrets; staging's role has no IAM and cannot touch another stack's hosts", () => {
        const attachments = ofType(prod, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").filter((a) => a.name.startsWith("ci-roles-"));
        const policiesOf = (kind: string) => attachments.filter((a) => a.name.startsWith(`ci-roles-${kind}-`)).map((a) => a.inputs.policyArn).sort();
        assert.deepEqual(policiesOf("preview"), ["arn:aws:iam::aws:policy/ReadOnlyAccess"]);
        assert.deepEqual(policiesOf("staging"), ["arn:aws:iam::aws:policy/PowerUserAccess"]);
        assert.deepEqual(policiesOf("production"), ["arn:aws:iam::aws:policy/IAMFullAccess", "arn:aws:iam::aws:policy/PowerUserAccess"]);
        const inline = new Map(ofType(prod, "aws:iam/rolePolicy:RolePolicy").map((p) => [p.name, JSON.parse(p.inputs.policy)]));
        const deny = inline.get("ci-roles-preview-no-data")!.Statement[0];
        assert.equal(deny.Effect, "Deny");
        for (const action of ["ssm:GetParameter*", "secretsmanager:GetSecretValue", "dynamodb:Scan", "ec2:GetConsoleOutput"]) assert.ok(deny.Action.includes(action), action);
        const boundary = inline.get("ci-roles-staging-boundary")!.Statement[0];
        assert.equal(boundary.Effect, "Deny");
        assert.ok(boundary.Action.includes("ec2:TerminateInstances") && boundary.Action.includes("ec2:DetachVolume"));
        assert.deepEqual(boundary.Condition.StringNotEquals, { "aws:ResourceTag/Stack": "staging" });
    });

    it("hands the ARNs to the project: each deploy role protected and scoped to its environment, the preview role unprotected", () => {
        const variables = ofType(prod, VARIABLE).filter((v) => /^AWS_(DEPLOY|PREVIEW)_ROLE_ARN$/.test(v.inputs.key));
        // Mocked ARNs end in the role's resource name.
        const row = (v: RecordedResource) => `${v.inputs.key} ${v.inputs.environmentScope} protected=${v.inputs.protected} ${String(v.inputs.value).split(":").pop()}`;
        assert.deepEqual(variables.map(row).sort(), [
            "AWS_DEPLOY_ROLE_ARN production protected=true ci-roles-production",
            "AWS_DEPLOY_ROLE_ARN staging protected=true ci-roles-staging",
            "AWS_PREVIEW_ROLE_ARN * protected=false ci-roles-preview",
        ]);
        assert.equal(new Set(variables.map((v) => v.inputs.value)).size, 3, "three different roles");
    });

    it("takes your own roles instead: no IAM resource created, your ARNs in the variables", async () => {
        const own = {
            awsPreviewRoleArn: "arn:aws:iam::123456789012:role/own-preview",
            awsStagingRoleArn: "arn:aws:iam::123456789012:role/own-staging",
            awsProductionRoleArn: "arn:aws:iam::123456789012:role/own-production",
        };
        const byo = await captureStack("prod", { config: own });
        assert.equal(byo.error, undefined);
        assert.equal(byo.resources.filter((r) => r.name.startsWith("ci-roles")).length, 0);
        assert.equal(ofType(byo, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").length, 0);
        const values = ofType(byo, VARIABLE).filter((v) => /ROLE_ARN$/.test(v.inputs.key)).map((v) => `${v.inputs.environmentScope}=${v.inputs.value}`).sort();
        assert.deepEqual(values, ["*=" + own.awsPreviewRoleArn, "production=" + own.awsProductionRoleArn, "staging=" + own.awsStagingRoleArn]);
    });

    it("refuses part of a set of own roles, and an existing OIDC provider is reused instead of created", async () => {
        const text = problems("prod", { awsStagingRoleArn: "arn:aws:iam::123456789012:role/own-staging" }).join("\n");
        assert.match(text, /awsPreviewRoleArn is required when any of awsPreviewRoleArn, awsStagingRoleArn, awsProductionRoleArn is set: bring all three roles, or none/);
        const reuse = await captureStack("prod", { config: { awsOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/gitlab.com" } });
        assert.equal(ofType(reuse, "aws:iam/openIdConnectProvider:OpenIdConnectProvider").length, 0);
        const trust = JSON.parse(reuse.recorder.find(ROLE, "ci-roles-production").inputs.assumeRolePolicy);
        assert.equal(trust.Statement[0].Principal.Federated, "arn:aws:iam::123456789012:oidc-provider/gitlab.com");
    });
});

describe("#12 item 3: gitlabTier", () => {
    it("is required on prod, and a paid tier needs a group namespace", () => {
        assert.match(problems("prod", { gitlabTier: undefined }).join("\n"), /gitlabTier is required: the GitLab tier of the project's namespace, one of free, premium, ultimate/);
        assert.match(problems("prod", { gitlabTier: "gold" }).join("\n"), /gitlabTier "gold" is not a GitLab tier; allowed: free, premium, ultimate/);
        assert.match(problems("prod", { gitlabNamespaceId: undefined }).join("\n"), /gitlabNamespaceId is required when gitlabTier is premium: a personal namespace has no paid tier/);
        assert.deepEqual(problems("prod", { gitlabTier: "ultimate" }), []);
    });

    it("on free: no protected environments, no approval settings, a warning naming what is lost", async () => {
        const free = await captureStack("prod", { config: { gitlabTier: "free", gitlabNamespaceId: undefined, productionApprovals: undefined } });
        assert.equal(free.error, undefined);
        assert.equal(ofType(free, "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment").length, 0);
        assert.equal(ofType(free, "gitlab:index/project:Project")[0].inputs.allowPipelineTriggerApproveDeployment, undefined);
        assert.equal(ofType(free, "gitlab:index/projectEnvironment:ProjectEnvironment").length, 2, "the environments themselves exist on Free");
        const protectedBranch = ofType(free, "gitlab:index/branchProtection:BranchProtection")[0].inputs;
        assert.equal(protectedBranch.branch, "main");
        assert.equal(protectedBranch.allowForcePush, false);
        for (const variable of ofType(free, VARIABLE).filter((v) => v.inputs.key === "AWS_DEPLOY_ROLE_ARN")) assert.equal(variable.inputs.protected, true);
        assert.equal(free.outputs!.gitlabTierWarning, FREE_TIER_LOSSES);
        assert.match(FREE_TIER_LOSSES, /no protected environments and no deployment approvals/);
        assert.equal((await captureStack("prod")).outputs!.gitlabTierWarning, undefined, "no warning on a paid tier");
    });

    it("the policy pack's approval rule fits the tier: free and premium prod stacks both pass every policy", async () => {
        for (const tier of [{ gitlabTier: "free", gitlabNamespaceId: undefined, productionApprovals: undefined }, {}]) {
            const captured = await captureStack("prod", { config: tier });
            const resources = toPolicyResources("prod", captured.resources, pulumiConfig({ ...STACK_CONFIG.prod, ...tier }).config);
            const violations: string[] = [];
            for (const resource of resources) {
                for (const v of await runPack(resource)) if (v.level === "mandatory") violations.push(`${v.policy}: ${resource.type} ${resource.name}: ${v.message}`);
            }
            assert.deepEqual(violations, [], JSON.stringify(tier));
        }
    });

    it("refuses approval settings on free, where GitLab has none", () => {
        const text = problems("prod", { gitlabTier: "free", gitlabNamespaceId: undefined, productionApprovals: "2" }).join("\n");
        assert.match(text, /productionApprovals has no effect when gitlabTier is free/);
    });
});

describe("#12 item 4: prod with bootstrap: true does not need gitCommit", () => {
    it("validates and runs without gitCommit or CI_COMMIT_SHA", async () => {
        assert.deepEqual(problems("prod", { bootstrap: "true", gitCommit: undefined }), []);
        const bootstrap = await captureStack("prod", { config: { bootstrap: "true", gitCommit: undefined } });
        assert.equal(bootstrap.error, undefined);
    });
    // The documented sequences, key for key: tests/program/documented-config.test.ts.
});

describe("#12 item 5: imageRepository must be the project's own registry", () => {
    it("prod refuses a repository that is not its project's, before anything is tagged", async () => {
        const wrong = await captureStack("prod", { config: { imageRepository: "registry.gitlab.com/other/app" } });
        const error = await rejection(wrong.outputs!.registryRepository);
        assert.match(String(error?.message), /imageRepository is registry\.gitlab\.com\/other\/app, but the project's registry is registry\.gitlab\.com\/acme\/gitlab-docker-delivery/);
        assert.equal(await resolved((await captureStack("prod")).outputs!.registryRepository), REPO);
    });

    it("staging refuses a repository that is not prod's project registry, so nothing is pushed where hosts cannot pull", async () => {
        const outputs = { ...STACK_OUTPUTS, [`${ORGANIZATION}/gitlab-docker-delivery/prod`]: { ...STACK_OUTPUTS[`${ORGANIZATION}/gitlab-docker-delivery/prod`], registryRepository: "registry.gitlab.com/acme/renamed" } };
        const staging = await captureStack("staging", { stackOutputs: outputs });
        assert.ok(staging.asyncErrors.some((e) => /imageRepository is registry\.gitlab\.com\/acme\/gitlab-docker-delivery, but the project's registry is registry\.gitlab\.com\/acme\/renamed/.test(e.message)),
            staging.asyncErrors.map(String).join("\n") || "no error");
        assert.equal(ofType(staging, "docker-build:index:Image").length, 0, "no image registered with a wrong repository");
    });
});

/** The Docker provider's split of a registry lookup name (kreuzwerker/terraform-provider-docker, parseImageOptions). */
function providerSplit(name: string): { registry: string; repository: string; reference: string } {
    const firstSlash = name.indexOf("/");
    const registry = (name.split("/").length - 1 > 1 || (firstSlash !== -1 && (/[.:]/.test(name.slice(0, firstSlash)) || name.slice(0, firstSlash) === "localhost"))) ? name.slice(0, firstSlash) : "";
    const rest = name.slice(registry.length);
    const colon = rest.indexOf(":");
    const repository = colon === -1 ? name : name.slice(0, registry.length + colon);
    const reference = colon === -1 ? "latest" : name.slice(registry.length + colon + 1);
    return { registry, repository: repository.replace(`${registry}/`, ""), reference };
}

describe("#12 item 6: the imageRef override works with getRegistryImage", () => {
    const lookupOf = (captured: CapturedStack) => captured.recorder.calls.find((c) => c.token === "docker:index/getRegistryImage:getRegistryImage")?.inputs.name as string;

    it("a digest-only imageRef is looked up as repository + digest reference, as the provider splits it", async () => {
        const pinned = await captureStack("prod", { config: { imageRef: `${REPO}@${STAGING_DIGEST}` } });
        assert.deepEqual(providerSplit(lookupOf(pinned)), { registry: "registry.gitlab.com", repository: "acme/gitlab-docker-delivery", reference: STAGING_DIGEST });
        assert.equal(await resolved(pinned.outputs!.imageRef), `${REPO}@${STAGING_DIGEST}`);
    });

    it("a tagged imageRef is looked up by its tag, and the digest must match", async () => {
        const tagged = await captureStack("prod", { config: { imageRef: `${REPO}:0123456789ab@${STAGING_DIGEST}` } });
        assert.deepEqual(providerSplit(lookupOf(tagged)), { registry: "registry.gitlab.com", repository: "acme/gitlab-docker-delivery", reference: "0123456789ab" });
        const moved = await captureStack("prod", { config: { imageRef: `${REPO}:0123456789ab@${STAGING_DIGEST}` }, registryDigest: `sha256:${"ee".repeat(32)}` });
        assert.match(String((await rejection(moved.outputs!.imageDigest))?.message), /production deploys only the exact image staging built/);
    });
});

describe("#12 item 7: the runner hosts keep their AMI until moved on purpose", () => {
    it("ignores AMI changes of the looked-up AMI, and an explicit runnerAmiId replaces it deliberately", async () => {
        const prod = await captureStack("prod");
        for (const host of ofType(prod, "aws:ec2/instance:Instance").filter((i) => i.name.startsWith("runner-"))) {
            assert.deepEqual(host.ignoreChanges, ["ami"], host.name);
        }
        const moved = await captureStack("prod", { config: { runnerAmiId: "ami-0123456789abcdef0" } });
        for (const host of ofType(moved, "aws:ec2/instance:Instance").filter((i) => i.name.startsWith("runner-"))) {
            assert.equal(host.inputs.ami, "ami-0123456789abcdef0");
            assert.deepEqual(host.ignoreChanges, [], `${host.name}: an explicit AMI is applied`);
        }
        assert.match(problems("prod", { runnerAmiId: "latest" }).join("\n"), /runnerAmiId "latest" is not an AMI id/);
    });
});

describe("#12 item 8: no destroy or replacement deletes an image production may run", () => {
    it("staging's build and prod's promotion tag are retained on delete (docker-build would delete their manifests)", async () => {
        const staging = await captureStack("staging");
        const prod = await captureStack("prod");
        const image = ofType(staging, "docker-build:index:Image");
        const index = ofType(prod, "docker-build:index:Index");
        assert.equal(image.length, 1);
        assert.equal(index.length, 1);
        assert.equal(image[0].retainOnDelete, true);
        assert.equal(index[0].retainOnDelete, true);
    });
});

describe("#12 item 9: prod's read of a staging stack that is gone", () => {
    it("fails with one message that says staging is gone and what to do", async () => {
        const outputs = { ...STACK_OUTPUTS, [`${ORGANIZATION}/gitlab-docker-delivery/staging`]: {} };
        const prod = await captureStack("prod", { stackOutputs: outputs });
        assert.equal(prod.error, undefined);
        const error = await rejection(prod.outputs!.imageRef);
        assert.match(String(error?.message), /the staging stack acme\/gitlab-docker-delivery\/staging has no output "imageRef": staging is destroyed or was never deployed/);
        assert.match(String(error?.message), /deploy staging again .* or set imageRef on prod/);
        assert.equal(ofType(prod, "command:remote:Command").filter((c) => c.name === "production-deploy").length, 0, "nothing deployed");
    });
});

describe("#12 item 10: production approvals cannot deadlock", () => {
    it("allowPipelineTriggerApproveDeployment is false unless chosen, and reaches the project", async () => {
        const prod = await captureStack("prod");
        assert.equal(ofType(prod, "gitlab:index/project:Project")[0].inputs.allowPipelineTriggerApproveDeployment, false);
        const chosen = await captureStack("prod", { config: { allowPipelineTriggerApproveDeployment: "true" } });
        assert.equal(ofType(chosen, "gitlab:index/project:Project")[0].inputs.allowPipelineTriggerApproveDeployment, true);
    });

    it("refuses more approvals than eligible approvers: the triggering maintainer does not count unless allowed", () => {
        const single = problems("prod", { productionApproverCount: "1" }).join("\n");
        assert.match(single, /productionApprovals is 1, but only 0 of the 1 approver\(s\) can approve a deployment someone else triggered/);
        assert.match(single, /or set allowPipelineTriggerApproveDeployment true/);
        assert.deepEqual(problems("prod", { productionApproverCount: "1", allowPipelineTriggerApproveDeployment: "true" }), []);
        assert.deepEqual(problems("prod", { productionApproverCount: "2" }), []);
        assert.match(problems("prod", { productionApproverCount: "3", productionApprovals: "3" }).join("\n"), /productionApprovals is 3, but only 2 of the 3/);
    });
});

describe("#18 Two runners: deploy jobs on a protected-refs runner that alone reaches the hosts", () => {
    it("the deploy runner takes only protected refs, is not privileged and has its own security group", async () => {
        const prod = await captureStack("prod");
        const runners = new Map(ofType(prod, "gitlab:index/userRunner:UserRunner").map((r) => [r.name, r.inputs]));
        assert.equal(runners.get("runner-deploy-runner")!.accessLevel, "ref_protected");
        assert.deepEqual(runners.get("runner-deploy-runner")!.tagLists, ["cicd-deploy"]);
        assert.equal(runners.get("runner-mr-runner")!.accessLevel, "not_protected");
        assert.deepEqual(runners.get("runner-mr-runner")!.tagLists, ["cicd-docker"]);
        const userData = (name: string) => prod.recorder.find("aws:ec2/instance:Instance", name).inputs.userData as string;
        assert.match(userData("runner-deploy-host"), /readonly PRIVILEGED='false'/);
        assert.match(userData("runner-mr-host"), /readonly PRIVILEGED='true'/);
        // The rootless BuildKit service's one proven need, for service containers only (tests/image/rootless-builder.test.ts).
        const securityOpts = (name: string) => userData(name).match(/--docker-[a-z-]*security-opt \S+/g) ?? [];
        assert.deepEqual(securityOpts("runner-deploy-host"), ["--docker-services-security-opt 'seccomp=unconfined'"]);
        assert.deepEqual(securityOpts("runner-mr-host"), []);
        const groups = ofType(prod, "aws:ec2/securityGroup:SecurityGroup").map((g) => g.name);
        assert.ok(groups.includes("runner-deploy-sg") && groups.includes("runner-mr-sg"));
    });

    it("the production host accepts SSH only from the deploy runner's group (and the listed CIDRs), never the merge-request runner's", async () => {
        const prod = await captureStack("prod");
        const ssh = prod.recorder.find("aws:ec2/securityGroup:SecurityGroup", "production-sg").inputs.ingress.filter((rule: any) => rule.fromPort <= 22 && rule.toPort >= 22);
        const groups = ssh.flatMap((rule: any) => rule.securityGroups ?? []);
        assert.equal(groups.length, 1);
        assert.match(groups[0], /^runner-deploy-sg-id-/);
        assert.equal(await resolved(prod.outputs!.runnerSecurityGroupId), groups[0], "staging's host reads the same group from prod's output");
    });
});
