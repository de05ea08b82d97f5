// The runner component under mocks: a hardened EC2 host whose token only travels through SSM.
/* eslint-disable @typescript-eslint/no-require-imports -- modules load after the mocks are installed */
import * as assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { singleQuoted } from "../../../components/host/commands";
import { installMocks, MockRecorder, RecordedResource, valueOf } from "../../support/mocks";

const T = {
    runner: "gitlab:index/userRunner:UserRunner",
    parameter: "aws:ssm/parameter:Parameter",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    attachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    profile: "aws:iam/instanceProfile:InstanceProfile",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    instance: "aws:ec2/instance:Instance",
};

const FAKE_TOKEN = "glrt-t1_FakeRunnerTokenForTests0001";
const SSM_KEY = "arn:aws:kms:eu-central-1:123456789012:key/11111111-2222-3333-4444-555555555555";

function recorderOptions() {
    return {
        stack: "prod",
        state: {
            [T.runner]: { token: FAKE_TOKEN },
            [T.parameter]: (inputs: Record<string, unknown>) => ({ arn: `arn:aws:ssm:eu-central-1:123456789012:parameter${String(inputs.name)}` }),
            [T.role]: (_: Record<string, unknown>, name: string) => ({ name: `${name}-7f3a`, arn: `arn:aws:iam::123456789012:role/${name}` }),
            [T.profile]: (_: Record<string, unknown>, name: string) => ({ name: `${name}-9c1b` }),
        },
        calls: { "aws:kms/getAlias:getAlias": { targetKeyArn: SSM_KEY, arn: "arn:aws:kms:eu-central-1:123456789012:alias/aws/ssm" } },
    };
}

describe("cicd:runner:Runner with defaults", () => {
    let mocks: MockRecorder;
    let runnerModule: typeof import("../../../components/runner");
    let runner: import("../../../components/runner").Runner;

    before(async () => {
        mocks = await installMocks(recorderOptions());
        runnerModule = require("../../../components/runner") as typeof import("../../../components/runner");
        runner = new runnerModule.Runner("ci", { gitlab: { projectId: "4242" } });
        await mocks.settle();
    });

    const only = (type: string): RecordedResource => {
        const all = mocks.findAll(type);
        assert.equal(all.length, 1, `expected one ${type}, got ${all.map((r) => r.name).join(", ") || "none"}`);
        return all[0];
    };

    it("registers a locked project runner that runs only tagged jobs", () => {
        const r = only(T.runner).inputs;
        assert.equal(r.runnerType, "project_type");
        assert.equal(r.projectId, 4242);
        assert.equal(r.locked, true);
        assert.equal(r.untagged, false);
        assert.deepEqual(r.tagLists, ["cicd-docker"]);
        assert.equal(r.accessLevel, "not_protected");
        assert.deepEqual(runner.tags, ["cicd-docker"]);
    });

    it("pins gitlab plugin 10.1.1 on the runner and keeps its token a secret output", () => {
        const r = only(T.runner);
        assert.equal(r.version, "10.1.1");
        assert.ok(r.additionalSecretOutputs.includes("token"));
    });

    it("stores the token only in an SSM SecureString, sent as a secret", () => {
        const parameter = only(T.parameter);
        assert.equal(parameter.inputs.type, "SecureString");
        assert.equal(parameter.inputs.name, "/cicd/ci/runner-token");
        assert.equal(parameter.inputs.value, FAKE_TOKEN);
        assert.ok(parameter.secretInputs.includes("value"));
    });

    it("must never put the runner token in user data; the host reads it from SSM at boot", () => {
        const userData: string = only(T.instance).inputs.userData;
        assert.ok(!userData.includes(FAKE_TOKEN), "user data contains the runner token");
        assert.ok(!userData.includes("glrt-"), "user data contains a runner token prefix");
        assert.match(userData, /aws ssm get-parameter --region "\$TOKEN_REGION" --name "\$TOKEN_PARAMETER_ARN" --with-decryption/);
        assert.match(userData, /TOKEN_PARAMETER_ARN='arn:aws:ssm:eu-central-1:123456789012:parameter\/cicd\/ci\/runner-token'/);
        assert.match(userData, /CI_SERVER_TOKEN="\$token" gitlab-runner register/);
        assert.doesNotMatch(userData, /--token/, "the token must not be on a command line");
        for (const resource of mocks.resources.filter((r) => r.type !== T.parameter)) {
            assert.ok(!JSON.stringify(resource.inputs).includes(FAKE_TOKEN), `${resource.type} ${resource.name} carries the token`);
        }
    });

    it("lets the instance role read only that parameter, and decrypt only through SSM with its key", () => {
        const policy = JSON.parse(only(T.rolePolicy).inputs.policy);
        assert.deepEqual(policy.Statement.map((s: { Action: string[]; Resource: string }) => [s.Action, s.Resource]), [
            [["ssm:GetParameter"], "arn:aws:ssm:eu-central-1:123456789012:parameter/cicd/ci/runner-token"],
            [["kms:Decrypt"], SSM_KEY],
        ]);
        assert.deepEqual(policy.Statement[1].Condition, { StringEquals: { "kms:ViaService": "ssm.eu-central-1.amazonaws.com" } });
        const trust = JSON.parse(only(T.role).inputs.assumeRolePolicy);
        assert.deepEqual(trust.Statement[0].Principal, { Service: "ec2.amazonaws.com" });
        assert.equal(mocks.findAll(T.attachment).length, 0, "no managed policy unless asked for");
        assert.ok(only(T.instance).dependencies.some((urn) => urn.endsWith(`$${T.rolePolicy}::ci-read-token`)), "the host must boot after its policy exists");
    });

    it("requires IMDSv2 with a hop limit of 2", () => {
        const metadata = only(T.instance).inputs.metadataOptions;
        assert.equal(metadata.httpTokens, "required");
        assert.equal(metadata.httpPutResponseHopLimit, 2);
        assert.equal(metadata.httpEndpoint, "enabled");
    });

    it("encrypts the gp3 root volume", () => {
        const root = only(T.instance).inputs.rootBlockDevice;
        assert.equal(root.encrypted, true);
        assert.equal(root.volumeType, "gp3");
        assert.equal(root.volumeSize, 30);
    });

    it("must not accept any inbound traffic by default, SSH included; egress only", () => {
        const sg = only(T.securityGroup).inputs;
        assert.deepEqual(sg.ingress ?? [], []);
        assert.equal(sg.egress.length, 1);
        assert.equal(sg.egress[0].protocol, "-1");
    });

    it("looks up the Amazon Linux 2023 AMI instead of hard-coding one", () => {
        const lookups = mocks.calls.filter((c) => c.token === "aws:ec2/getAmi:getAmi");
        assert.equal(lookups.length, 1);
        assert.deepEqual(lookups[0].inputs.owners, ["amazon"]);
        assert.deepEqual(lookups[0].inputs.filters.find((f: { name: string }) => f.name === "name").values, ["al2023-ami-2023.*-x86_64"]);
        assert.equal(only(T.instance).inputs.ami, "ami-0123456789abcdef0");
    });

    it("runs the Docker executor, privileged for Docker-in-Docker, with job containers kept off the metadata service", () => {
        const userData: string = only(T.instance).inputs.userData;
        assert.match(userData, /--executor docker/);
        assert.match(userData, /readonly PRIVILEGED='true'/);
        assert.doesNotMatch(userData, /--docker-(services-)?security-opt/, "no security options unless asked");
        assert.match(userData, /iptables -I DOCKER-USER -d 169\.254\.169\.254\/32 -j REJECT/);
        assert.equal(only(T.instance).inputs.userDataReplaceOnChange, true);
    });

    it("tags every taggable AWS resource and parents every child to the component", () => {
        for (const type of [T.parameter, T.role, T.profile, T.securityGroup, T.instance]) {
            assert.equal(only(type).inputs.tags.ManagedBy, "pulumi", type);
        }
        const component = only("cicd:runner:Runner");
        for (const r of mocks.resources.filter((r) => r.custom)) assert.equal(mocks.parentOf(r), component, `${r.type} ${r.name}`);
    });

    it("exports the security group and the parameter name, never the token", async () => {
        assert.ok((await valueOf(runner.securityGroupId)).length > 0);
        assert.equal(await valueOf(runner.tokenParameterName), "/cicd/ci/runner-token");
        assert.ok(!Object.keys(runner).some((k) => /token$/i.test(k) && k !== "tokenParameterName"));
    });
    it("defaults to gitlab.com, a one-hour job limit, t3.small and alpine jobs, with AWS resources tagged and named", async () => {
        const userData: string = only(T.instance).inputs.userData;
        assert.match(userData, /readonly GITLAB_URL='https:\/\/gitlab\.com'\n/);
        assert.match(userData, /readonly DEFAULT_IMAGE='alpine:3\.20'\n/);
        assert.match(userData, /readonly BLOCK_INSTANCE_METADATA='true'\n/);
        assert.match(userData, /readonly RUNNER_NAME='ci'\n/);
        assert.equal(only(T.runner).inputs.maximumTimeout, 3600);
        assert.equal(only(T.runner).inputs.description, "ci");
        const instance = only(T.instance).inputs;
        assert.equal(instance.instanceType, "t3.small");
        assert.deepEqual(instance.tags, { ManagedBy: "pulumi", Component: "gitlab-runner", Name: "ci-runner" });
        assert.deepEqual(instance.volumeTags, instance.tags);
        assert.deepEqual(only(T.securityGroup).inputs.tags, instance.tags);
        assert.deepEqual(instance.vpcSecurityGroupIds, [await valueOf(runner.securityGroupId)]);
        assert.equal(instance.rootBlockDevice.deleteOnTermination, true);
        assert.equal(mocks.calls.filter((c) => c.token === "aws:ec2/getSubnet:getSubnet").length, 0, "no subnet, no subnet lookup");
        assert.equal(only(T.securityGroup).inputs.vpcId, undefined, "the default VPC's group");
    });

    it("gives the role exactly the EC2 trust and the two token statements, and reads the key of aws/ssm", () => {
        assert.deepEqual(JSON.parse(only(T.role).inputs.assumeRolePolicy), {
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
        });
        assert.deepEqual(JSON.parse(only(T.rolePolicy).inputs.policy), {
            Version: "2012-10-17",
            Statement: [
                { Sid: "ReadRunnerToken", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: "arn:aws:ssm:eu-central-1:123456789012:parameter/cicd/ci/runner-token" },
                {
                    Sid: "DecryptRunnerToken", Effect: "Allow", Action: ["kms:Decrypt"], Resource: SSM_KEY,
                    Condition: { StringEquals: { "kms:ViaService": "ssm.eu-central-1.amazonaws.com" } },
                },
            ],
        });
        assert.deepEqual(mocks.calls.filter((c) => c.token === "aws:kms/getAlias:getAlias").map((c) => c.inputs.name), ["alias/aws/ssm"]);
        assert.match(only(T.parameter).inputs.description, /\bci\b/);
        assert.match(only(T.role).inputs.description, /\bci\b/);
    });

    it("looks up the newest AL2023 HVM/EBS image, and keeps the host when a newer one appears", () => {
        const lookup = mocks.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi")!;
        assert.equal(lookup.inputs.mostRecent, true);
        assert.deepEqual(lookup.inputs.filters, [
            { name: "name", values: ["al2023-ami-2023.*-x86_64"] },
            { name: "architecture", values: ["x86_64"] },
            { name: "virtualization-type", values: ["hvm"] },
            { name: "root-device-type", values: ["ebs"] },
        ]);
        assert.deepEqual(only(T.instance).ignoreChanges, ["ami"]);
    });

    it("lets everything out and nothing in: egress to any address, v4 and v6, and a description without SSH", () => {
        const sg = only(T.securityGroup).inputs;
        assert.deepEqual(sg.egress.map((e: Record<string, unknown>) => [e.protocol, e.fromPort, e.toPort, e.cidrBlocks, e.ipv6CidrBlocks]), [["-1", 0, 0, ["0.0.0.0/0"], ["::/0"]]]);
        assert.ok(sg.egress[0].description.length > 0);
        assert.match(sg.description, /\bci\b/);
        assert.doesNotMatch(sg.description, /SSH/);
    });
});

describe("cicd:runner:Runner with options", () => {
    let mocks: MockRecorder;
    let runnerModule: typeof import("../../../components/runner");

    before(async () => {
        mocks = await installMocks(recorderOptions());
        runnerModule = require("../../../components/runner") as typeof import("../../../components/runner");
        new runnerModule.Runner("arm", {
            gitlab: { projectId: 7, tags: ["cicd-docker", "arm"], accessLevel: "ref_protected" },
            instance: {
                instanceType: "t4g.medium",
                subnetId: "subnet-0abc",
                sshIngressCidrs: ["203.0.113.4/32", "2001:db8::/64"],
                sessionManager: true,
                kmsKeyArn: "arn:aws:kms:eu-central-1:123456789012:key/cmk",
                tags: { Project: "gitlab-docker-delivery", Stack: "prod" },
            },
            docker: { privileged: false, concurrent: 4, servicesSecurityOpt: ["seccomp=unconfined"] },
        });
        await mocks.settle();
    });

    it("opens SSH only to the listed ranges", () => {
        const sg = mocks.find(T.securityGroup, "arm-sg").inputs;
        assert.match(sg.description, /SSH/);
        assert.ok(sg.ingress[0].description.length > 0);
        assert.equal(sg.ingress.length, 1);
        assert.deepEqual([sg.ingress[0].fromPort, sg.ingress[0].toPort, sg.ingress[0].protocol], [22, 22, "tcp"]);
        assert.deepEqual(sg.ingress[0].cidrBlocks, ["203.0.113.4/32"]);
        assert.deepEqual(sg.ingress[0].ipv6CidrBlocks, ["2001:db8::/64"]);
    });

    it("puts the security group in the subnet's VPC", () => {
        assert.equal(mocks.find(T.securityGroup, "arm-sg").inputs.vpcId, "vpc-0123456789abcdef0");
        assert.equal(mocks.find(T.instance, "arm-host").inputs.subnetId, "subnet-0abc");
        assert.deepEqual(mocks.calls.filter((c) => c.token === "aws:ec2/getSubnet:getSubnet").map((c) => c.inputs.id), ["subnet-0abc"]);
    });

    it("picks an arm64 AMI for a Graviton type, and uses the customer key for the token and the volume", () => {
        const lookup = mocks.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi")!;
        assert.deepEqual(lookup.inputs.filters.find((f: { name: string }) => f.name === "architecture").values, ["arm64"]);
        assert.equal(mocks.find(T.parameter, "arm-token").inputs.keyId, "arn:aws:kms:eu-central-1:123456789012:key/cmk");
        assert.equal(mocks.find(T.instance, "arm-host").inputs.rootBlockDevice.kmsKeyId, "arn:aws:kms:eu-central-1:123456789012:key/cmk");
        assert.equal(mocks.calls.filter((c) => c.token === "aws:kms/getAlias:getAlias").length, 0);
        const policy = JSON.parse(mocks.find(T.rolePolicy, "arm-read-token").inputs.policy);
        assert.equal(policy.Statement[1].Resource, "arn:aws:kms:eu-central-1:123456789012:key/cmk");
    });

    it("attaches Session Manager only when asked, and applies runner and Docker options", () => {
        assert.equal(mocks.find(T.attachment, "arm-session-manager").inputs.policyArn, "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore");
        assert.equal(mocks.parentOf(mocks.find(T.attachment, "arm-session-manager")), mocks.find("cicd:runner:Runner", "arm"));
        const r = mocks.find(T.runner, "arm-runner").inputs;
        assert.deepEqual(r.tagLists, ["cicd-docker", "arm"]);
        assert.equal(r.accessLevel, "ref_protected");
        const userData: string = mocks.find(T.instance, "arm-host").inputs.userData;
        assert.match(userData, /readonly PRIVILEGED='false'/);
        assert.match(userData, /readonly CONCURRENT='4'/);
        assert.equal(mocks.find(T.instance, "arm-host").inputs.tags.Stack, "prod");
    });

    it("gives the security options to service containers only, never to job containers", () => {
        const userData: string = mocks.find(T.instance, "arm-host").inputs.userData;
        const register = /gitlab-runner register --non-interactive \\\n([\s\S]*?)\n}/.exec(userData)?.[1] ?? "";
        assert.deepEqual(register.match(/--docker-[a-z-]*security-opt \S+/g), ["--docker-services-security-opt 'seccomp=unconfined'"]);
        assert.match(register, /--docker-privileged="\$PRIVILEGED"/);
    });
});

describe("cicd:runner:Runner with a pinned AMI and its own instance", () => {
    let mocks: MockRecorder;

    before(async () => {
        mocks = await installMocks(recorderOptions());
        const runnerModule = require("../../../components/runner") as typeof import("../../../components/runner");
        new runnerModule.Runner("pinned", {
            gitlab: { projectId: 9, url: "https://gitlab.example.com/", maximumTimeoutSeconds: 7200, description: "pinned runner" },
            instance: { amiId: "ami-0fedcba9876543210", vpcId: "vpc-0given" },
            docker: { defaultImage: "docker:27", blockInstanceMetadata: false },
        });
        await mocks.settle();
    });

    it("boots the given AMI without a lookup, and replaces the host when it changes", () => {
        const instance = mocks.find(T.instance, "pinned-host");
        assert.equal(instance.inputs.ami, "ami-0fedcba9876543210");
        assert.deepEqual(instance.ignoreChanges, []);
        assert.equal(mocks.calls.filter((c) => c.token === "aws:ec2/getAmi:getAmi").length, 0);
        assert.equal(mocks.find(T.securityGroup, "pinned-sg").inputs.vpcId, "vpc-0given");
    });

    it("applies the URL without its trailing slash, the job limit, the description and the Docker options", () => {
        const runner = mocks.find(T.runner, "pinned-runner").inputs;
        assert.equal(runner.maximumTimeout, 7200);
        assert.equal(runner.description, "pinned runner");
        const userData: string = mocks.find(T.instance, "pinned-host").inputs.userData;
        assert.match(userData, /readonly GITLAB_URL='https:\/\/gitlab\.example\.com'\n/);
        assert.match(userData, /readonly RUNNER_NAME='pinned runner'\n/);
        assert.match(userData, /readonly DEFAULT_IMAGE='docker:27'\n/);
        assert.match(userData, /readonly BLOCK_INSTANCE_METADATA='false'\n/);
    });
});

describe("cicd:runner:Runner given an AWS provider", () => {
    it("looks up the SSM key, the subnet and the AMI through the provider given to the component", async () => {
        const mocks = await installMocks(recorderOptions());
        const aws = require("@pulumi/aws") as typeof import("@pulumi/aws");
        const runnerModule = require("../../../components/runner") as typeof import("../../../components/runner");
        const provider = new aws.Provider("eu", { region: "eu-central-1" });
        new runnerModule.Runner("elsewhere", { gitlab: { projectId: 3 }, instance: { subnetId: "subnet-0abc" } }, { providers: { aws: provider } });
        await mocks.settle();
        const lookups = mocks.calls.filter((c) => ["aws:kms/getAlias:getAlias", "aws:ec2/getSubnet:getSubnet", "aws:ec2/getAmi:getAmi"].includes(c.token));
        assert.deepEqual(lookups.map((c) => c.token).sort(), ["aws:ec2/getAmi:getAmi", "aws:ec2/getSubnet:getSubnet", "aws:kms/getAlias:getAlias"]);
        for (const call of lookups) assert.match(call.provider ?? "", /pulumi:providers:aws::eu::/, call.token);
    });
});

describe("cicd:runner:Runner with bad arguments", () => {
    let mocks: MockRecorder;
    let runnerModule: typeof import("../../../components/runner");

    before(async () => {
        mocks = await installMocks(recorderOptions());
        runnerModule = require("../../../components/runner") as typeof import("../../../components/runner");
    });

    it("refuses SSH from the whole internet, naming the key, and registers nothing", async () => {
        assert.throws(
            () => new runnerModule.Runner("open", { gitlab: { projectId: 1 }, instance: { sshIngressCidrs: ["0.0.0.0/0", "::/0"] } }),
            (err: Error) => {
                assert.match(err.message, /\[instance\.sshIngressCidrs\[0\]\] "0\.0\.0\.0\/0" would open SSH to the whole internet/);
                assert.match(err.message, /\[instance\.sshIngressCidrs\[1\]\] "::\/0" would open SSH to the whole internet/);
                return true;
            },
        );
        await mocks.settle();
        assert.deepEqual(mocks.resources.filter((r) => r.name.startsWith("open")), []);
    });

    it("refuses service security options wider than a seccomp/AppArmor profile, and registers nothing", async () => {
        for (const opt of ["systempaths=unconfined", "label=disable", "seccomp=unconfined --privileged", "apparmor=unconfined'$(id)'"]) {
            assert.throws(
                () => new runnerModule.Runner("wide", { gitlab: { projectId: 1 }, docker: { privileged: false, servicesSecurityOpt: [opt] } }),
                (err: Error) => err.message.includes(`[docker.servicesSecurityOpt[0]] "${opt}" is not allowed`),
                opt,
            );
        }
        await mocks.settle();
        assert.deepEqual(mocks.resources.filter((r) => r.name.startsWith("wide")), []);
    });

    it("reports every bad key at once", () => {
        assert.throws(
            () => new runnerModule.Runner("bad", {
                gitlab: { projectId: 1, url: "http://gitlab.example.com", tags: [], accessLevel: "everyone" as "ref_protected", maximumTimeoutSeconds: 60 },
                instance: { instanceType: "huge", rootVolumeSizeGb: 2, sshIngressCidrs: ["10.0.0.300/8"] },
                docker: { concurrent: 0, runnerVersion: "latest", servicesSecurityOpt: ["systempaths=unconfined"] },
                ssm: { parameterPrefix: "no-slash" },
            }),
            (err: Error) => {
                assert.ok(err.message.startsWith('cicd:runner:Runner "bad": '), err.message);
                for (const key of ["gitlab.url", "gitlab.tags", "gitlab.accessLevel", "gitlab.maximumTimeoutSeconds", "instance.instanceType", "instance.rootVolumeSizeGb", "instance.sshIngressCidrs[0]", "docker.concurrent", "docker.runnerVersion", "docker.servicesSecurityOpt[0]", "ssm.parameterPrefix"]) {
                    assert.ok(err.message.includes(`[${key}]`), `message should name ${key}: ${err.message}`);
                }
                return true;
            },
        );
    });
});

describe("runner boot script (components/runner/userData.ts)", () => {
    let userData: typeof import("../../../components/runner/userData");
    before(() => {
        userData = require("../../../components/runner/userData") as typeof import("../../../components/runner/userData");
    });

    const script = () => userData.runnerUserData({
        gitlabUrl: "https://gitlab.example.com",
        tokenParameterArn: "arn:aws:ssm:us-east-2:123456789012:parameter/cicd/ci/runner-token",
        runnerName: "it's a runner",
        defaultImage: "alpine:3.20",
        privileged: true,
        concurrent: 2,
        runnerVersion: "17.11.0",
        blockInstanceMetadata: true,
    });

    it("is valid bash with strict mode", () => {
        const text = script();
        assert.match(text, /^#!\/bin\/bash\n/);
        assert.match(text, /\nset -euo pipefail\n/);
        execFileSync("bash", ["-n"], { input: text });
    });

    it("quotes values for the shell and takes the region from the parameter ARN", () => {
        const text = script();
        assert.match(text, /readonly RUNNER_NAME='it'"'"'s a runner'/);
        assert.match(text, /readonly TOKEN_REGION='us-east-2'/);
        assert.equal(execFileSync("bash", ["-c", `echo ${singleQuoted("a'b $HOME")}`]).toString(), "a'b $HOME\n");
    });

    it("refuses a token parameter ARN without a region, and a version that is not exactly x.y.z", () => {
        const options = {
            gitlabUrl: "https://gitlab.com", tokenParameterArn: "arn:aws:ssm:eu-west-1:1:parameter/x", runnerName: "r",
            defaultImage: "alpine:3.20", privileged: false, concurrent: 1, runnerVersion: "19.4.0", blockInstanceMetadata: true,
        };
        assert.throws(() => userData.runnerUserData({ ...options, tokenParameterArn: "arn:aws:ssm::1:parameter/x" }), /\[tokenParameterArn\] "arn:aws:ssm::1:parameter\/x"/);
        assert.throws(() => userData.arnRegion("parameter/x"), /\[tokenParameterArn\] "parameter\/x"/);
        for (const bad of ["v19.4.0", "19.4.0-rc1", "19.4"]) assert.throws(() => userData.runnerUserData({ ...options, runnerVersion: bad }), new RegExp(`\\[runnerVersion\\] "${bad}"`));
        assert.match(userData.runnerUserData({ ...options, runnerVersion: "19.4.10" }), /readonly RUNNER_VERSION='19\.4\.10'/);
    });

    it("gives each service security option its own flag, and none when there are none", () => {
        const base = {
            gitlabUrl: "https://gitlab.com", tokenParameterArn: "arn:aws:ssm:eu-west-1:1:parameter/x", runnerName: "r",
            defaultImage: "alpine:3.20", privileged: false, concurrent: 1, runnerVersion: "19.4.0", blockInstanceMetadata: true,
        };
        const register = (text: string) => /gitlab-runner register --non-interactive \\\n([\s\S]*?)\n}/.exec(text)?.[1] ?? "";
        assert.doesNotMatch(register(userData.runnerUserData(base)), /security-opt/);
        const text = userData.runnerUserData({ ...base, servicesSecurityOpt: ["seccomp=unconfined", "no-new-privileges"] });
        assert.deepEqual(register(text).split("\n").filter((l) => l.includes("security-opt")), [
            "    --docker-services-security-opt 'seccomp=unconfined' \\",
            "    --docker-services-security-opt 'no-new-privileges' \\",
        ]);
        execFileSync("bash", ["-n"], { input: text });
    });

    it("leaves the metadata service reachable for jobs only when told to", () => {
        const text = userData.runnerUserData({
            gitlabUrl: "https://gitlab.com", tokenParameterArn: "arn:aws:ssm:eu-west-1:1:parameter/x", runnerName: "r",
            defaultImage: "alpine:3.20", privileged: false, concurrent: 1, runnerVersion: "19.4.0", blockInstanceMetadata: false,
        });
        assert.match(text, /readonly BLOCK_INSTANCE_METADATA='false'/);
        assert.match(text, /\[ "\$BLOCK_INSTANCE_METADATA" = "true" \] \|\| return 0/);
    });
});
