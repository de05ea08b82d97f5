import * as gitlab from "@cicd/pulumi-gitlab";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { isArmInstanceType, rejectProblems } from "../checks";
import { DEFAULT_RUNNER_TAGS, DEFAULT_RUNNER_VERSION, RunnerArgs, numericProjectId, runnerArgsProblems } from "./args";
import { runnerUserData } from "./userData";

// Re-exported for callers that import it from here (the pipeline tests).
export { DEFAULT_RUNNER_TAGS } from "./args";

/**
 * A project runner (`UserRunner`) and the EC2 host that runs it with the Docker executor. The `glrt-` token goes
 * into an SSM SecureString that only this host's role may read; the host fetches it at boot, so it never appears
 * in user data. IMDSv2 only, encrypted gp3 root volume, and no inbound traffic unless SSH CIDRs are given.
 */
export class Runner extends pulumi.ComponentResource {
    /** Runner id in GitLab. */
    public readonly runnerId: pulumi.Output<string>;
    public readonly instanceId: pulumi.Output<string>;
    public readonly privateIp: pulumi.Output<string>;
    /** Security group of the host; hosts may allow SSH from it (deploy jobs run here). */
    public readonly securityGroupId: pulumi.Output<string>;
    /** Name of the SSM parameter holding the token (the value stays in SSM). */
    public readonly tokenParameterName: pulumi.Output<string>;
    /** Instance role, e.g. to grant the runner more rights on purpose. */
    public readonly roleName: pulumi.Output<string>;
    /** Tags the runner runs jobs for. */
    public readonly tags: readonly string[];

    constructor(name: string, args: RunnerArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated inside the super call, so that bad arguments register nothing, not even the component.
        super("cicd:runner:Runner", name, rejectProblems(`cicd:runner:Runner "${name}"`, runnerArgsProblems(args)), opts);

        const gitlabUrl = (args.gitlab.url ?? "https://gitlab.com").replace(/\/$/, "");
        const runnerTags = [...(args.gitlab.tags ?? DEFAULT_RUNNER_TAGS)];
        const accessLevel = args.gitlab.accessLevel ?? "not_protected";
        const maximumTimeout = args.gitlab.maximumTimeoutSeconds ?? 3600;
        const description = args.gitlab.description ?? name;
        const instanceType = args.instance?.instanceType ?? "t3.small";
        const rootVolumeSizeGb = args.instance?.rootVolumeSizeGb ?? 30;
        const sshIngressCidrs = args.instance?.sshIngressCidrs ?? [];
        const sessionManager = args.instance?.sessionManager ?? false;
        const kmsKeyArn = args.instance?.kmsKeyArn;
        const defaultImage = args.docker?.defaultImage ?? "alpine:3.20";
        const privileged = args.docker?.privileged ?? true;
        const servicesSecurityOpt = [...(args.docker?.servicesSecurityOpt ?? [])];
        const concurrent = args.docker?.concurrent ?? 2;
        const blockInstanceMetadata = args.docker?.blockInstanceMetadata ?? true;
        const runnerVersion = args.docker?.runnerVersion ?? DEFAULT_RUNNER_VERSION;
        const parameterPrefix = args.ssm?.parameterPrefix ?? `/cicd/${name}`;
        const tags = { ManagedBy: "pulumi", Component: "gitlab-runner", ...args.instance?.tags };
        const architecture = isArmInstanceType(instanceType) ? "arm64" : "x86_64";

        // The runner in GitLab: tags, locking and protection live here, server-side, not in the host's config.
        const runner = new gitlab.UserRunner(`${name}-runner`, {
            runnerType: "project_type",
            projectId: pulumi.output(args.gitlab.projectId).apply((id) => numericProjectId(name, id)),
            description,
            tagLists: runnerTags,
            untagged: false,
            locked: true,
            accessLevel,
            maximumTimeout,
        }, { parent: this });

        const tokenParameter = new aws.ssm.Parameter(`${name}-token`, {
            name: `${parameterPrefix}/runner-token`,
            type: aws.ssm.ParameterType.SecureString,
            value: pulumi.secret(runner.token),
            keyId: kmsKeyArn,
            description: `GitLab runner authentication token of ${name}; read by the runner host at boot`,
            tags,
        }, { parent: this });

        const role = new aws.iam.Role(`${name}-role`, {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            description: `Instance role of the GitLab runner host ${name}`,
            tags,
        }, { parent: this });

        // The key SSM encrypts the token with: the caller's, or the account's AWS-managed `aws/ssm` key.
        const tokenKeyArn = kmsKeyArn !== undefined
            ? pulumi.output(kmsKeyArn)
            : aws.kms.getAliasOutput({ name: "alias/aws/ssm" }, { parent: this }).targetKeyArn;

        const readToken = new aws.iam.RolePolicy(`${name}-read-token`, {
            role: role.id,
            policy: pulumi.all([tokenParameter.arn, tokenKeyArn]).apply(([parameterArn, keyArn]) => JSON.stringify({
                Version: "2012-10-17",
                Statement: [
                    { Sid: "ReadRunnerToken", Effect: "Allow", Action: ["ssm:GetParameter"], Resource: parameterArn },
                    {
                        Sid: "DecryptRunnerToken",
                        Effect: "Allow",
                        Action: ["kms:Decrypt"],
                        Resource: keyArn,
                        Condition: { StringEquals: { "kms:ViaService": `ssm.${parameterArn.split(":")[3]}.amazonaws.com` } },
                    },
                ],
            })),
        }, { parent: this });

        const dependsOn: pulumi.Resource[] = [readToken];
        if (sessionManager) {
            dependsOn.push(new aws.iam.RolePolicyAttachment(`${name}-session-manager`, {
                role: role.name,
                policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore",
            }, { parent: this }));
        }

        const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags }, { parent: this });

        // No inbound rule unless SSH CIDRs were given on purpose; egress is open so jobs can reach GitLab and registries.
        const v4 = sshIngressCidrs.filter((c) => !c.includes(":"));
        const v6 = sshIngressCidrs.filter((c) => c.includes(":"));
        // The group must live in the instance's VPC: take the subnet's unless a VPC was named.
        const subnetId = args.instance?.subnetId;
        const vpcId = args.instance?.vpcId ??
            (subnetId === undefined ? undefined : aws.ec2.getSubnetOutput({ id: subnetId }, { parent: this }).vpcId);
        const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
            description: `GitLab runner host ${name}: egress only${sshIngressCidrs.length > 0 ? ", SSH from listed CIDRs" : ""}`,
            vpcId,
            ingress: sshIngressCidrs.length === 0 ? [] : [{
                description: "SSH from operator ranges",
                protocol: "tcp",
                fromPort: 22,
                toPort: 22,
                cidrBlocks: v4,
                ipv6CidrBlocks: v6,
            }],
            egress: [{ description: "All outbound", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
            tags: { ...tags, Name: `${name}-runner` },
        }, { parent: this });

        const ami = args.instance?.amiId ?? aws.ec2.getAmiOutput({
            mostRecent: true,
            owners: ["amazon"],
            filters: [
                { name: "name", values: [`al2023-ami-2023.*-${architecture}`] },
                { name: "architecture", values: [architecture] },
                { name: "virtualization-type", values: ["hvm"] },
                { name: "root-device-type", values: ["ebs"] },
            ],
        }, { parent: this }).id;

        const userData = tokenParameter.arn.apply((tokenParameterArn) => runnerUserData({
            gitlabUrl,
            tokenParameterArn,
            runnerName: description,
            defaultImage,
            privileged,
            servicesSecurityOpt,
            concurrent,
            runnerVersion,
            blockInstanceMetadata,
        }));

        const instance = new aws.ec2.Instance(`${name}-host`, {
            ami,
            instanceType,
            subnetId,
            vpcSecurityGroupIds: [securityGroup.id],
            iamInstanceProfile: profile.name,
            keyName: args.instance?.keyName,
            userData,
            // The boot script runs once; a changed script only takes effect on a new instance.
            userDataReplaceOnChange: true,
            metadataOptions: {
                httpEndpoint: "enabled",
                httpTokens: "required",
                // 2 hops: a containerised client on the host can still reach IMDSv2 (job containers are blocked above).
                httpPutResponseHopLimit: 2,
            },
            rootBlockDevice: {
                volumeType: "gp3",
                volumeSize: rootVolumeSizeGb,
                encrypted: true,
                kmsKeyId: kmsKeyArn,
                deleteOnTermination: true,
            },
            tags: { ...tags, Name: `${name}-runner` },
            volumeTags: { ...tags, Name: `${name}-runner` },
        }, {
            parent: this,
            dependsOn,
            // The looked-up AMI moves with every AL2023 release; the runner would be replaced by the very `pulumi up`
            // running on it. Only an explicit amiId (a deliberate move) replaces it.
            ignoreChanges: args.instance?.amiId === undefined ? ["ami"] : [],
        });

        this.runnerId = runner.id;
        this.instanceId = instance.id;
        this.privateIp = instance.privateIp;
        this.securityGroupId = securityGroup.id;
        this.tokenParameterName = tokenParameter.name;
        this.roleName = role.name;
        this.tags = runnerTags;

        this.registerOutputs({
            runnerId: this.runnerId,
            instanceId: this.instanceId,
            privateIp: this.privateIp,
            securityGroupId: this.securityGroupId,
            tokenParameterName: this.tokenParameterName,
            roleName: this.roleName,
        });
    }
}
