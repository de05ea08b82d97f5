import { strict as assert } from "node:assert";
import * as rules from "../../policy/rules";
import { PolicyResource, SECRET_SIG, SIG_KEY, UNKNOWN_SENTINELS, UNKNOWN_VALUE } from "../../policy/rules";
import { policies } from "../../policy/policies";
import { runPolicy, urn } from "./harness";
import { AWS, GITLAB } from "./sdkTypes";
import { ISSUER, aud, statement, trustRole } from "./trustRoles";
import { resource, verdict } from "./verdict";

const SHA = "3f1e2d4c5b6a79880f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a6978";

describe("policy pack", () => {
    it("declares the mandatory and advisory policies of issue 7", () => {
        const levels = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
        assert.deepEqual(levels, {
            "no-world-ingress-except-web": "mandatory",
            "ec2-imdsv2-required": "mandatory",
            "ebs-encrypted": "mandatory",
            "gitlab-secret-variables-masked-protected": "mandatory",
            "no-secret-literals": "mandatory",
            "production-environment-approvals": "mandatory",
            "immutable-image-references": "mandatory",
            "production-data-protected": "mandatory",
            "oidc-role-exact-subjects": "mandatory",
            "release-tags-protected": "mandatory",
            "deploy-runner-protected-unprivileged": "mandatory",
            "merge-request-runner-untrusted": "mandatory",
            "backup-bucket-hardened": "mandatory",
            "allowed-instance-types": "advisory",
            "required-tags": "advisory",
        });
    });
});

describe("no-world-ingress-except-web", () => {
    const policy = "no-world-ingress-except-web";
    const check = rules.checkWorldIngress;
    const sg = (ingress: unknown[]) => resource(AWS.securityGroup, { ingress });

    it("must not open SSH to the Internet on an inline security group rule", async () => {
        await verdict(policy, check, sg([{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }]), /SSH \(port 22\)/);
    });
    it("allows 80 and 443 from the world and SSH from a named CIDR", async () => {
        await verdict(policy, check, sg([
            { protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
            { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
            { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["203.0.113.7/32"] },
        ]));
    });
    it("must not open a port range that spans more than the web ports", async () => {
        await verdict(policy, check, sg([{ protocol: "tcp", fromPort: 80, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }]), /ports 80-443/);
    });
    it("must not open all protocols to ::/0 through a SecurityGroupRule", async () => {
        await verdict(policy, check, resource(AWS.securityGroupRule,
            { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, ipv6CidrBlocks: ["::/0"], securityGroupId: "sg-1" }), /all protocols.*SSH/);
    });
    it("ignores egress SecurityGroupRules", async () => {
        await verdict(policy, check, resource(AWS.securityGroupRule,
            { type: "egress", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], securityGroupId: "sg-1" }));
    });
    it("must not open 8080 to ::/0 through a vpc SecurityGroupIngressRule", async () => {
        await verdict(policy, check, resource(AWS.securityGroupIngressRule,
            { ipProtocol: "tcp", fromPort: 8080, toPort: 8080, cidrIpv6: "::/0", securityGroupId: "sg-1" }), /tcp port 8080 to ::\/0/);
    });
    it("allows 443 from 0.0.0.0/0 through a vpc SecurityGroupIngressRule, and SSH from the runner's group", async () => {
        await verdict(policy, check, resource(AWS.securityGroupIngressRule,
            { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0", securityGroupId: "sg-1" }));
        await verdict(policy, check, resource(AWS.securityGroupIngressRule,
            { ipProtocol: "tcp", fromPort: 22, toPort: 22, referencedSecurityGroupId: "sg-runner", securityGroupId: "sg-1" }));
    });
    // Issue 18: these got through when only a /0 counted as the world and prefix lists were not read.
    it("counts any prefix shorter than /8 as the world: 0.0.0.0/1 plus 128.0.0.0/1 on port 22", async () => {
        await verdict(policy, check, sg([{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/1", "128.0.0.0/1"] }]),
            /0\.0\.0\.0\/1, 128\.0\.0\.0\/1: SSH \(port 22\)/);
        await verdict(policy, check, resource(AWS.securityGroupIngressRule,
            { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "10.0.0.0/7", securityGroupId: "sg-1" }), /SSH/);
        await verdict(policy, check, resource(AWS.securityGroupIngressRule,
            { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv6: "2000::/3", securityGroupId: "sg-1" }), /SSH/);
        assert.equal(rules.isWorldCidr("10.0.0.0/8"), false, "a /8 is a network someone owns");
        assert.equal(rules.isWorldCidr("0.0.0.0/7"), true);
    });
    it("must not open every port to a managed prefix list, in any of the three rule shapes", async () => {
        await verdict(policy, check, sg([{ protocol: "-1", fromPort: 0, toPort: 0, prefixListIds: ["pl-0123456789abcdef0"] }]),
            /all protocols and ports to prefix list pl-0123456789abcdef0/);
        await verdict(policy, check, resource(AWS.securityGroupRule,
            { type: "ingress", protocol: "tcp", fromPort: 0, toPort: 65535, prefixListIds: ["pl-1"], securityGroupId: "sg-1" }), /prefix list pl-1/);
        await verdict(policy, check, resource(AWS.securityGroupIngressRule,
            { ipProtocol: "-1", prefixListId: "pl-2", securityGroupId: "sg-1" }), /prefix list pl-2/);
    });
    it("allows a prefix list on named ports", async () => {
        await verdict(policy, check, sg([{ protocol: "tcp", fromPort: 443, toPort: 443, prefixListIds: ["pl-1"] }]));
    });
    it("must not open SSH to the world through a vpc rule with all protocols", async () => {
        await verdict(policy, check, resource(AWS.securityGroupIngressRule,
            { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0", securityGroupId: "sg-1" }), /SSH/);
    });
});

describe("ec2-imdsv2-required", () => {
    const policy = "ec2-imdsv2-required";
    it("must require IMDSv2 tokens on an instance", async () => {
        await verdict(policy, rules.checkImdsV2, resource(AWS.instance, { metadataOptions: { httpTokens: "optional" } }), /"optional".*IMDSv2/);
        await verdict(policy, rules.checkImdsV2, resource(AWS.instance, { instanceType: "t3.small" }), /"unset"/);
    });
    it("accepts httpTokens = required on instances and launch templates", async () => {
        await verdict(policy, rules.checkImdsV2, resource(AWS.instance, { metadataOptions: { httpTokens: "required", httpPutResponseHopLimit: 2 } }));
        await verdict(policy, rules.checkImdsV2, resource(AWS.launchTemplate, { metadataOptions: { httpTokens: "required" } }));
    });
});

describe("ebs-encrypted", () => {
    const policy = "ebs-encrypted";
    it("must encrypt an instance's root block device", async () => {
        await verdict(policy, rules.checkEbsEncryption, resource(AWS.instance, {}), /rootBlockDevice.encrypted/);
        await verdict(policy, rules.checkEbsEncryption, resource(AWS.instance, { rootBlockDevice: { encrypted: false } }), /rootBlockDevice/);
    });
    it("must encrypt extra block devices and EBS volumes", async () => {
        await verdict(policy, rules.checkEbsEncryption, resource(AWS.instance,
            { rootBlockDevice: { encrypted: true }, ebsBlockDevices: [{ deviceName: "/dev/sdf" }] }), /ebsBlockDevices\[0\]/);
        await verdict(policy, rules.checkEbsEncryption, resource(AWS.volume, { size: 20, type: "gp3" }), /EBS volume/);
    });
    it("accepts encrypted root devices and volumes", async () => {
        await verdict(policy, rules.checkEbsEncryption, resource(AWS.instance, { rootBlockDevice: { encrypted: true, volumeType: "gp3" } }));
        await verdict(policy, rules.checkEbsEncryption, resource(AWS.volume, { encrypted: true, type: "gp3" }));
    });
});

describe("gitlab-secret-variables-masked-protected", () => {
    const policy = "gitlab-secret-variables-masked-protected";
    const variable = (props: Record<string, unknown>, extra: Partial<PolicyResource> = {}) =>
        resource(GITLAB.projectVariable, { project: "42", ...props }, extra);

    it("must mask and protect a variable whose key names a credential", async () => {
        await verdict(policy, rules.checkSecretVariables, variable({ key: "DB_PASSWORD", value: "x", masked: false, protected: true }), /masked: true/);
        await verdict(policy, rules.checkSecretVariables, variable({ key: "DEPLOY_TOKEN", value: "x", masked: true }), /protected: true/);
    });
    it("must mask and protect a variable whose value looks like a token, whatever its key", async () => {
        await verdict(policy, rules.checkSecretVariables, variable({ key: "REGISTRY_LOGIN", value: "glpat-aaaaBBBBccccDDDDeeee" }), /looks like a credential/);
    });
    it("must mask and protect a variable declared secret through additionalSecretOutputs", async () => {
        await verdict(policy, rules.checkSecretVariables,
            variable({ key: "SSH_CONFIG", value: "x" }, { options: { additionalSecretOutputs: ["value"] } }), /additionalSecretOutputs/);
    });
    it("must mask and protect a variable whose key names a credential anywhere, such as DB_CREDS (issue 18)", async () => {
        await verdict(policy, rules.checkSecretVariables, variable({ key: "DB_CREDS", value: "app:hunter2" }), /"DB_CREDS".*masked: true and protected: true/);
        await verdict(policy, rules.checkSecretVariables, variable({ key: "REGISTRY_AUTH_JSON", value: "x", masked: true }), /protected: true/);
        await verdict(policy, rules.checkSecretVariables, variable({ key: "SENTRY_DSN", value: "x" }), /names a credential/);
        await verdict(policy, rules.checkSecretVariables, variable({ key: "AWS_DEPLOY_ROLE_ARN", value: "arn:aws:iam::123456789012:role/deploy" }));
    });
    it("accepts masked and protected secrets, and plain settings left unmasked", async () => {
        await verdict(policy, rules.checkSecretVariables, variable({ key: "DB_PASSWORD", value: "x", masked: true, protected: true }));
        await verdict(policy, rules.checkSecretVariables, variable({ key: "SSH_PRIVATE_KEY", value: "x", hidden: true, protected: true, variableType: "file" }));
        await verdict(policy, rules.checkSecretVariables, variable({ key: "LOG_LEVEL", value: "info", masked: false, protected: false }));
    });
    it("under mocks also treats a pulumi.secret() value as secret (the pack cannot see secretness)", () => {
        const wrapped = variable({ key: "APP_SETTING", value: { [SIG_KEY]: SECRET_SIG, value: "opaque" } });
        assert.match(rules.checkSecretVariables(wrapped).join(), /Pulumi secret/);
    });
});

describe("no-secret-literals", () => {
    const policy = "no-secret-literals";
    const check = rules.checkNoSecretLiterals;
    const command = (props: Record<string, unknown>, extra: Partial<PolicyResource> = {}) => resource("command:remote:Command", props, extra);

    it("must not carry a GitLab token, an AWS key or a private key in plain inputs", async () => {
        await verdict(policy, check, command({ create: "gitlab-runner register --token glrt-abcdefghijklmnopqrstu" }), /create holds .*GitLab token/);
        await verdict(policy, check, resource(AWS.instance, { userData: "#!/bin/sh\necho '-----BEGIN OPENSSH PRIVATE KEY-----' > /root/k" }), /userData .*private key/);
        await verdict(policy, check, resource(AWS.instance, { tags: { Owner: "AKIAABCDEFGHIJKLMNOP" } }), /tags.Owner .*AWS access key/);
    });
    it("must not carry password=... or a password in a URL", async () => {
        await verdict(policy, check, command({ create: "echo POSTGRES_PASSWORD=hunter2hunter2 >> .env" }), /credential assignment/);
        await verdict(policy, check, command({ create: "psql postgres://app:s3cr3tpw@db:5432/app" }), /password in URL/);
    });
    it("must not carry a literal under a secret-looking key", async () => {
        await verdict(policy, check, command({ create: "deploy", environment: { REGISTRY_PASSWORD: "not-a-reference" } }), /environment.REGISTRY_PASSWORD is a literal/);
    });
    it("judges key names by their last word: a path to a secret or a key id is not a secret", async () => {
        await verdict(policy, check, command({ create: "deploy", environment: { POSTGRES_PASSWORD_FILE: "/run/secrets/db", AWS_ACCESS_KEY_ID_NAME: "ci" } }));
        await verdict(policy, check, command({ create: "deploy", environment: { gitlabToken: "plain-text-value" } }), /environment.gitlabToken is a literal/);
    });
    it("accepts references to secrets instead of the secrets", async () => {
        await verdict(policy, check, command({
            create: "echo \"$REGISTRY_PASSWORD\" | docker login --password-stdin -u \"$REGISTRY_USER\" registry && DATABASE_URL=postgres://app:${POSTGRES_PASSWORD}@db/app deploy",
            environment: { REGISTRY_PASSWORD: "$CI_REGISTRY_PASSWORD" },
        }));
        await verdict(policy, check, resource("aws:iam/rolePolicy:RolePolicy",
            { policy: JSON.stringify({ Statement: [{ Action: ["ssm:GetParameter", "secretsmanager:GetSecretValue"], Effect: "Allow" }] }) }));
    });
    it("accepts credentials in inputs the provider keeps secret", async () => {
        await verdict(policy, check, resource("pulumi:providers:gitlab", { token: "glpat-aaaaBBBBccccDDDDeeee" }));
        await verdict(policy, check, command({ create: "true", connection: { host: "h", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nx" } }));
        await verdict(policy, check, resource("aws:ssm/parameter:Parameter", { type: "SecureString", value: "glrt-abcdefghijklmnopqrstu" }));
        await verdict(policy, check, resource(GITLAB.projectVariable, { key: "RUNNER", value: "glrt-abcdefghijklmnopqrstu" },
            { options: { additionalSecretOutputs: ["value"] } }));
    });
    it("must not pass a credential to an image build as a build arg (build secrets are the place)", async () => {
        await verdict(policy, check, resource("docker-build:index:Image", { buildArgs: { NPM_TOKEN: "npm_FAKEfakeFAKEfake" } }), /buildArgs.NPM_TOKEN is a literal/);
        await verdict(policy, check, resource("docker-build:index:Image", { buildArgs: { APP_VERSION: "1.2.3" }, secrets: { npmrc: "//registry/:_authToken=npm_FAKE" } }));
    });
    it("flags a token in a CI variable that is not declared secret", async () => {
        await verdict(policy, check, resource(GITLAB.projectVariable, { key: "RUNNER", value: "glrt-abcdefghijklmnopqrstu" }), /value holds .*GitLab token/);
    });
    it("tolerates values unknown during preview", async () => {
        await verdict(policy, check, command({ create: `echo password=${UNKNOWN_VALUE}` }));
    });
});

describe("production-environment-approvals", () => {
    const policy = "production-environment-approvals";

    it("#12 item 3, on every tier (the guard GitLab Free has): a variable scoped to production must be protected", async () => {
        const variable = (props: Record<string, unknown>) => resource("gitlab:index/projectVariable:ProjectVariable", { key: "AWS_DEPLOY_ROLE_ARN", value: "arn:aws:iam::123456789012:role/x", ...props });
        await verdict(policy, rules.checkProductionApprovals, variable({ environmentScope: "production", protected: false }), /"AWS_DEPLOY_ROLE_ARN" is scoped to "production" but not protected/);
        await verdict(policy, rules.checkProductionApprovals, variable({ environmentScope: "production", protected: true }));
        await verdict(policy, rules.checkProductionApprovals, variable({ environmentScope: "staging", protected: false }));
        await verdict(policy, rules.checkProductionApprovals, variable({ environmentScope: "*", protected: false }));
    });
    const env = (props: Record<string, unknown>) => resource(GITLAB.projectProtectedEnvironment, { project: "42", ...props });

    it("must require at least one approval on production", async () => {
        await verdict(policy, rules.checkProductionApprovals, env({ environment: "production", deployAccessLevelsAttributes: [{ accessLevel: "maintainer" }] }), /requires 0 approval/);
        await verdict(policy, rules.checkProductionApprovals, env({ environment: "production", approvalRules: [{ accessLevel: "maintainer", requiredApprovals: 0 }] }), /at least 1/);
    });
    it("accepts production with an approval rule, and staging without one", async () => {
        await verdict(policy, rules.checkProductionApprovals, env({ environment: "production", approvalRules: [{ accessLevel: "maintainer", requiredApprovals: 1 }] }));
        await verdict(policy, rules.checkProductionApprovals, env({ environment: "staging", deployAccessLevelsAttributes: [{ accessLevel: "developer" }] }));
    });
    it("takes a higher minimum from policy config", async () => {
        const subject = env({ environment: "production", approvalRules: [{ accessLevel: "maintainer", requiredApprovals: 1 }] });
        assert.match((await runPolicy(policy, subject, { minimumApprovals: 2 })).join(), /at least 2/);
    });
});

describe("immutable-image-references", () => {
    const policy = "immutable-image-references";
    const deploy = (image: string) => resource("command:remote:Command", { create: `./deploy.sh deploy --image ${image} --env staging` });

    it("must not deploy latest, an untagged reference or a moving tag", async () => {
        await verdict(policy, rules.checkImmutableImages, deploy("registry.example.com/g/app:latest"), /"latest" moves/);
        await verdict(policy, rules.checkImmutableImages, deploy("registry.example.com:5000/g/app"), /neither a tag nor a digest/);
        await verdict(policy, rules.checkImmutableImages, deploy("registry.example.com/g/app:staging"), /tag "staging" is not a commit sha/);
        await verdict(policy, rules.checkImmutableImages, resource("command:local:Command",
            { create: "./deploy.sh deploy --env local", environment: { APP_IMAGE: "app:latest" } }), /environment.APP_IMAGE/);
    });
    it("accepts digests and commit-sha tags", async () => {
        await verdict(policy, rules.checkImmutableImages, deploy(`registry.example.com/g/app@sha256:${SHA}`));
        await verdict(policy, rules.checkImmutableImages, deploy(`registry.example.com/g/app:3f1e2d4@sha256:${SHA}`));
        await verdict(policy, rules.checkImmutableImages, deploy("registry.example.com:5000/g/app:3f1e2d4c"));
        await verdict(policy, rules.checkImmutableImages, deploy(`'registry.example.com/g/app@sha256:${SHA}'`));
    });
    it("waits for the digest that preview does not know yet", async () => {
        await verdict(policy, rules.checkImmutableImages, deploy(UNKNOWN_VALUE));
    });
    it("judges references by their shape", () => {
        assert.equal(rules.mutableImageReason(`app@sha256:${SHA}`), undefined);
        assert.equal(rules.mutableImageReason("app:sha-0123abc"), undefined);
        assert.match(rules.mutableImageReason("app@sha256:short") ?? "", /not a sha256 digest/);
        assert.match(rules.mutableImageReason("localhost:5000/app") ?? "", /neither a tag nor a digest/);
    });
});

describe("production-data-protected", () => {
    const policy = "production-data-protected";
    const check = (r: PolicyResource) => rules.checkProductionProtection(r);
    const volume = (stack: string, protect: boolean) =>
        resource(AWS.volume, { encrypted: true }, { urn: urn(stack, AWS.volume, "db", ["cicd:host:ComposeHost"]), options: { protect } });

    it("must protect the production database volume", async () => {
        await verdict(policy, check, volume("prod", false), /data volume .*protect: true/);
    });
    it("must protect the production Compose host", async () => {
        await verdict(policy, check, resource(AWS.instance, {}, { urn: urn("prod", AWS.instance, "web", ["cicd:host:ComposeHost"]) }), /the host/);
        // The real engine parents top-level components to the stack resource.
        await verdict(policy, check, resource(AWS.instance, {}, { urn: urn("prod", AWS.instance, "web", ["pulumi:pulumi:Stack", "cicd:host:ComposeHost"]) }), /the host/);
    });
    it("judges the configured environment, not the stack name: an unprotected volume tagged production (issue 18)", async () => {
        const tagged = (stack: string, environment: string, protect: boolean, provider = false) => resource(AWS.volume,
            provider ? { encrypted: true } : { encrypted: true, tags: { Environment: environment, Purpose: "database" } },
            {
                urn: urn(stack, AWS.volume, "db", ["cicd:host:ComposeHost"]),
                options: { protect },
                provider: provider ? { type: "pulumi:providers:aws", props: { defaultTags: { tags: { Environment: environment } } } } : undefined,
            });
        await verdict(policy, check, tagged("acme-live", "production", false), /environment "production".*protect: true/);
        await verdict(policy, check, tagged("acme-live", "production", false, true), /environment "production"/);
        await verdict(policy, check, resource(AWS.instance, { tags: { Environment: "production" } },
            { urn: urn("eu-1", AWS.instance, "web", ["cicd:host:ComposeHost"]) }), /the host in environment "production"/);
        await verdict(policy, check, tagged("acme-live", "production", true));
        await verdict(policy, check, tagged("acme-test", "staging", false));
    });
    it("accepts protected production data and unprotected staging data", async () => {
        await verdict(policy, check, volume("prod", true));
        await verdict(policy, check, volume("staging", false));
        await verdict(policy, check, resource(AWS.instance, {}, { urn: urn("prod", AWS.instance, "runner", ["cicd:runner:Runner"]) }));
    });
});

describe("allowed-instance-types (advisory)", () => {
    const policy = "allowed-instance-types";
    const check = (r: PolicyResource) => rules.checkInstanceType(r);
    const instance = (stack: string, instanceType: string) =>
        resource(AWS.instance, { instanceType }, { urn: urn(stack, AWS.instance, "web") });

    it("warns about an instance type not allowed in prod", async () => {
        await verdict(policy, check, instance("prod", "x2iedn.32xlarge"), /"x2iedn.32xlarge" is not allowed in stack "prod"/);
        await verdict(policy, check, instance("prod", "t3.micro"), /not allowed/);
    });
    it("accepts allowed types, and follows policy config", async () => {
        await verdict(policy, check, instance("prod", "t3.medium"));
        await verdict(policy, check, instance("staging", "t3.micro"));
        assert.match((await runPolicy(policy, instance("staging", "t3.micro"), { allowedInstanceTypes: { staging: ["t4g.nano"] } })).join(), /allowed: t4g.nano/);
    });
    it("judges runner hosts against the runner list, in any stack", async () => {
        const runner = (instanceType: string) =>
            resource(AWS.instance, { instanceType }, { urn: urn("prod", AWS.instance, "runner-host", ["cicd:runner:Runner"]) });
        await verdict(policy, check, runner("t3.small"));
        await verdict(policy, check, runner("p5.48xlarge"), /"p5.48xlarge" is not allowed for a runner host/);
    });
});

describe("required-tags (advisory)", () => {
    const policy = "required-tags";
    const check = (r: PolicyResource) => rules.checkRequiredTags(r);
    const tags = { Project: "gitlab-docker-delivery", Stack: "staging", ManagedBy: "pulumi" };

    it("warns about a taggable AWS resource without the tags", async () => {
        await verdict(policy, check, resource(AWS.instance, {}), /Project, Stack, ManagedBy/);
        await verdict(policy, check, resource(AWS.volume, { tags: { Project: "p" } }), /Stack, ManagedBy/);
    });
    it("accepts own tags, provider default tags (object or JSON config) and untaggable types", async () => {
        await verdict(policy, check, resource(AWS.volume, { tags }));
        await verdict(policy, check, resource(AWS.instance, {}, { provider: { type: "pulumi:providers:aws", props: { defaultTags: { tags } } } }));
        await verdict(policy, check, resource(AWS.instance, { tags: { Role: "web" } },
            { provider: { type: "pulumi:providers:aws", props: { defaultTags: JSON.stringify({ tags }) } } }));
        await verdict(policy, check, resource("aws:ec2/eipAssociation:EipAssociation", { instanceId: "i-1" }));
        await verdict(policy, check, resource("command:remote:Command", { create: "true" }));
    });
});

describe("values unknown during preview", () => {
    const [unknownBoolean, unknownNumber, unknownString, unknownArray, , , unknownObject] = UNKNOWN_SENTINELS;

    it("are left for `up` to judge instead of failing or skipping the whole resource", async () => {
        const previewed: PolicyResource[] = [
            resource(AWS.securityGroup, { ingress: [{ protocol: unknownString, fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }], tags: unknownObject }),
            resource(AWS.securityGroupIngressRule, { ipProtocol: "tcp", fromPort: unknownNumber, toPort: unknownNumber, cidrIpv4: "0.0.0.0/0", tags: unknownObject }),
            resource(AWS.instance, { metadataOptions: unknownObject, rootBlockDevice: { encrypted: unknownBoolean }, ebsBlockDevices: [unknownObject], tags: unknownObject },
                { urn: urn("prod", AWS.instance, "web") }),
            resource(AWS.volume, { encrypted: unknownBoolean, tags: unknownObject }),
            resource(GITLAB.projectVariable, { key: "DB_PASSWORD", value: unknownString, masked: unknownBoolean, protected: unknownBoolean }),
            resource(GITLAB.projectProtectedEnvironment, { environment: "production", approvalRules: unknownArray }),
            resource("command:remote:Command", { create: unknownString, environment: { APP_IMAGE: unknownString } }),
        ];
        for (const subject of previewed) {
            for (const policy of policies) {
                const violations = await runPolicy(policy.name, subject);
                assert.deepEqual(violations, [], `${policy.name} on ${subject.type}`);
            }
        }
    });

    it("do not hide a known violation in the same resource", async () => {
        const subject = resource(AWS.instance, { ami: unknownString, metadataOptions: { httpTokens: "optional" }, userData: "AKIAABCDEFGHIJKLMNOP" });
        assert.equal((await runPolicy("ec2-imdsv2-required", subject)).length, 1);
        assert.equal((await runPolicy("no-secret-literals", subject)).length, 1);
    });
});

describe("oidc-role-exact-subjects (issue 18)", () => {
    const policy = "oidc-role-exact-subjects";
    const check = (r: PolicyResource) => rules.checkOidcTrust(r);
    const role = (condition: Record<string, unknown>, tags: Record<string, string> = {}, asObject = false) => trustRole([statement(condition)], tags, asObject);

    it("must not trust ref:* (any branch, so any merge request) on a deploy role", async () => {
        await verdict(policy, check, role({ StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: "project_path:group/app:ref_type:branch:ref:*" } }),
            /"project_path:group\/app:ref_type:branch:ref:\*" \(any branch/);
    });
    it("must not trust any other wildcard subject, nor leave sub or aud unchecked", async () => {
        await verdict(policy, check, role({ StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: ["project_path:group/*:ref_type:branch:ref:main"] } }),
            /subject pattern "project_path:group\/\*/);
        await verdict(policy, check, role({ StringEquals: aud }), /does not check the token's sub claim/);
        await verdict(policy, check, role({ StringEquals: aud, StringNotEquals: { [`${ISSUER}:sub`]: "project_path:evil/x:ref_type:branch:ref:main" } }),
            /does not check the token's sub claim/);
        await verdict(policy, check, role({ StringEquals: { [`${ISSUER}:sub`]: "project_path:group/app:ref_type:branch:ref:main" } }), /aud claim/);
    });
    it("accepts exact subjects (string or object policy), services' roles, and an open ref on a preview role", async () => {
        const exact = { StringEquals: { ...aud, [`${ISSUER}:sub`]: "project_path:group/app:ref_type:branch:ref:main" } };
        await verdict(policy, check, role(exact));
        await verdict(policy, check, role(exact, {}, true));
        await verdict(policy, check, resource(AWS.iamRole, { assumeRolePolicy: JSON.stringify({
            Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        }) }));
        const openRef = { StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: "project_path:group/app:ref_type:branch:ref:*" } };
        await verdict(policy, check, role(openRef, { Purpose: "preview" }));
        await verdict(policy, check, role({ StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: "project_path:*:ref_type:branch:ref:*" } }, { Purpose: "preview" }),
            /must name the project exactly/);
    });
    it("waits for a trust policy not known during preview", async () => {
        await verdict(policy, check, resource(AWS.iamRole, { assumeRolePolicy: UNKNOWN_VALUE }));
    });
    it("must not let the production role trust a branch, not even the protected default branch", async () => {
        const main = { StringEquals: { ...aud, [`${ISSUER}:sub`]: "project_path:group/app:ref_type:branch:ref:main" } };
        await verdict(policy, check, role(main, { Purpose: "production" }),
            /production role be assumed by "project_path:group\/app:ref_type:branch:ref:main", which is not a release tag/);
        const mixed = { StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: ["project_path:group/app:ref_type:tag:ref:v*", "project_path:group/app:ref_type:branch:ref:main"] } };
        await verdict(policy, check, role(mixed, { Purpose: "production" }), /ref_type:branch:ref:main", which is not a release tag/);
    });
    it("must not trust every tag (ref:*) or a tag pattern that starts with a wildcard", async () => {
        await verdict(policy, check, role({ StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: "project_path:group/app:ref_type:tag:ref:*" } }, { Purpose: "production" }),
            /"project_path:group\/app:ref_type:tag:ref:\*" \(any tag/);
        await verdict(policy, check, role({ StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: "project_path:group/app:ref_type:tag:ref:*-release" } }, { Purpose: "staging" }),
            /subject pattern "project_path:group\/app:ref_type:tag:ref:\*-release"/);
    });
    it("accepts a production role trusting release tags, and a staging role trusting main and the release tags", async () => {
        const tags = { StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: ["project_path:group/app:ref_type:tag:ref:v*"] } };
        await verdict(policy, check, role(tags, { Purpose: "production" }));
        const staging = { StringEquals: aud, StringLike: { [`${ISSUER}:sub`]: ["project_path:group/app:ref_type:branch:ref:main", "project_path:group/app:ref_type:tag:ref:v*"] } };
        await verdict(policy, check, role(staging, { Purpose: "staging" }));
    });
});

describe("deploy-runner-protected-unprivileged (issue 18)", () => {
    const policy = "deploy-runner-protected-unprivileged";
    const check = (r: PolicyResource) => rules.checkDeployRunner(r);
    const runner = (props: Record<string, unknown>) => resource(GITLAB.userRunner,
        { runnerType: "project_type", projectId: 42, locked: true, untagged: false, ...props });
    const host = (name: string, privileged: boolean, flags = "") => resource(AWS.instance, {
        instanceType: "t3.small",
        userData: `#!/bin/bash\nreadonly PRIVILEGED='${privileged}'\ngitlab-runner register --docker-privileged="$PRIVILEGED" ${flags}\n`,
        tags: { Name: `${name}-runner` },
    }, { name: `${name}-host`, urn: urn("prod", AWS.instance, `${name}-host`, ["cicd:runner:Runner"]) });

    it("must run protected refs only on the deploy runner", async () => {
        await verdict(policy, check, runner({ tagLists: ["cicd-deploy"], accessLevel: "not_protected" }), /accessLevel "not_protected".*"ref_protected"/);
        await verdict(policy, check, runner({ tagLists: ["cicd-docker"], description: "deploy runner" }), /accessLevel "unset"/);
    });
    it("must not run privileged job containers on the deploy runner's host", async () => {
        await verdict(policy, check, host("deploy", true), /runs privileged job containers/);
    });
    it("must not give the deploy runner's containers any part of privileged mode", async () => {
        await verdict(policy, check, host("deploy", false, "--docker-services-privileged=true"), /gives its containers privileged service containers/);
        await verdict(policy, check, host("deploy", false, "--docker-cap-add SYS_ADMIN"), /added capabilities/);
        await verdict(policy, check, host("deploy", false, "--docker-devices /dev/fuse"), /host devices/);
        await verdict(policy, check, host("deploy", false, "--docker-services-security-opt 'systempaths=unconfined'"), /unmasked \/proc and \/sys/);
        await verdict(policy, check, host("deploy", false, "--docker-security-opt 'seccomp=unconfined'"), /security options on job containers/);
    });
    it("accepts the seccomp option the rootless BuildKit service needs, on service containers only", async () => {
        await verdict(policy, check, host("deploy", false, "--docker-services-security-opt 'seccomp=unconfined'"));
    });
    it("accepts a protected deploy runner, an unprivileged deploy host, and a privileged merge-request runner", async () => {
        await verdict(policy, check, runner({ tagLists: ["cicd-deploy"], accessLevel: "ref_protected" }));
        await verdict(policy, check, runner({ tagLists: ["cicd-mr"], accessLevel: "not_protected" }));
        await verdict(policy, check, host("deploy", false));
        await verdict(policy, check, host("merge-requests", true));
    });
});
