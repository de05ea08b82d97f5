import * as gitlab from "@cicd/pulumi-gitlab";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { runnerUserData } from "./userData";

/** Tags the runner picks jobs by; `.gitlab-ci.yml`'s `default: tags:` names the first. */
export const DEFAULT_RUNNER_TAGS: readonly string[] = ["cicd-docker"];

/** Arguments of {@link Runner}, one group per concern. */
export interface RunnerArgs {
    /** The runner as GitLab sees it. */
    readonly gitlab: {
        /** Numeric id of the project the runner serves (`Project.projectId`). */
        readonly projectId: pulumi.Input<string | number>;
        /** GitLab URL the runner polls (default `https://gitlab.com`). */
        readonly url?: string;
        /** Job tags it runs (default `["cicd-docker"]`); untagged jobs are never picked up. */
        readonly tags?: readonly string[];
        /** `not_protected` (default: merge-request pipelines need it too) or `ref_protected` (protected refs only). */
        readonly accessLevel?: "not_protected" | "ref_protected";
        /** Longest job in seconds (default 3600). */
        readonly maximumTimeoutSeconds?: number;
        /** Description shown in GitLab (default: the component name). */
        readonly description?: string;
    };
    /** The EC2 host. */
    readonly instance?: {
        /** Instance type (default `t3.small`); Graviton types (`t4g`, `m7g`, ...) get an arm64 AMI. */
        readonly instanceType?: string;
        /** Subnet (default: the default VPC's default subnet). It needs outbound internet to reach GitLab. */
        readonly subnetId?: pulumi.Input<string>;
        /** VPC of the security group (default: the subnet's VPC, or the default VPC without a subnet). */
        readonly vpcId?: pulumi.Input<string>;
        /** Root volume size in GiB (default 30, at least 8): images and the build cache live there. */
        readonly rootVolumeSizeGb?: number;
        /** CIDRs allowed to SSH in (default none: the host takes no inbound traffic at all). Never 0.0.0.0/0 or ::/0. */
        readonly sshIngressCidrs?: readonly string[];
        /** EC2 key pair for SSH (default none). */
        readonly keyName?: pulumi.Input<string>;
        /** Attach AmazonSSMManagedInstanceCore so operators can open a Session Manager shell (default false). */
        readonly sessionManager?: boolean;
        /** Customer-managed KMS key ARN for the token parameter and the root volume (default: AWS-managed keys). */
        readonly kmsKeyArn?: pulumi.Input<string>;
        /** Tags added to every AWS resource of the component. */
        readonly tags?: Record<string, string>;
    };
    /** The Docker executor. */
    readonly docker?: {
        /** Image of jobs that name none (default `alpine:3.20`). */
        readonly defaultImage?: string;
        /** Privileged job containers (default true: the pipeline's Docker-in-Docker jobs need it). */
        readonly privileged?: boolean;
        /** Jobs at the same time (default 2). */
        readonly concurrent?: number;
        /** Keep job containers away from the instance metadata service (default true). */
        readonly blockInstanceMetadata?: boolean;
        /** Pin of the `gitlab-runner` package (default: the repository's latest). */
        readonly runnerVersion?: string;
    };
    /** SSM Parameter Store. */
    readonly ssm?: {
        /** Path prefix of the token parameter (default `/cicd/<name>`). */
        readonly parameterPrefix?: string;
    };
}

/** Whether an instance type is a Graviton (arm64) type: the family ends in `g` plus optional letters (t4g, c7gn, m8gd). */
export function isGravitonInstanceType(instanceType: string): boolean {
    return /^[a-z]+\d+g[a-z]*\./.test(instanceType);
}

const CIDR_V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const CIDR_V6 = /^[0-9a-fA-F:]+\/(\d{1,3})$/;

/** Checks the plain arguments; returns every problem, each naming its key and what is allowed. */
export function runnerArgsProblems(args: RunnerArgs): string[] {
    const problems: string[] = [];
    const g = args.gitlab;
    if (g === undefined || g.projectId === undefined) problems.push("[gitlab.projectId] is required: the numeric id of the project the runner serves");
    if (g?.url !== undefined && !/^https:\/\/[^\s/]+\/?$/.test(g.url)) problems.push(`[gitlab.url] "${g.url}" must be an https URL of the GitLab instance, e.g. https://gitlab.com`);
    if (g?.tags !== undefined) {
        if (g.tags.length === 0) problems.push("[gitlab.tags] must name at least one tag: the runner never runs untagged jobs");
        g.tags.forEach((tag, i) => {
            if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(tag)) problems.push(`[gitlab.tags[${i}]] "${tag}" may contain only letters, digits, _ . -`);
        });
    }
    if (g?.accessLevel !== undefined && !["not_protected", "ref_protected"].includes(g.accessLevel)) {
        problems.push(`[gitlab.accessLevel] "${g.accessLevel}" is not allowed; allowed: not_protected, ref_protected`);
    }
    const timeout = g?.maximumTimeoutSeconds;
    if (timeout !== undefined && (!Number.isInteger(timeout) || timeout < 600)) {
        problems.push(`[gitlab.maximumTimeoutSeconds] must be an integer of at least 600 (GitLab's minimum; got ${timeout})`);
    }
    const i = args.instance ?? {};
    if (i.instanceType !== undefined && !/^[a-z][a-z0-9-]*\.[a-z0-9]+$/.test(i.instanceType)) {
        problems.push(`[instance.instanceType] "${i.instanceType}" is not an EC2 instance type (e.g. t3.small)`);
    }
    const size = i.rootVolumeSizeGb;
    if (size !== undefined && (!Number.isInteger(size) || size < 8 || size > 16384)) {
        problems.push(`[instance.rootVolumeSizeGb] must be an integer from 8 to 16384 (got ${size})`);
    }
    (i.sshIngressCidrs ?? []).forEach((cidr, n) => {
        const v4 = CIDR_V4.exec(cidr);
        const v6 = CIDR_V6.exec(cidr);
        const valid = v4 ? v4.slice(1, 5).every((o) => Number(o) <= 255) && Number(v4[5]) <= 32 : v6 ? Number(v6[1]) <= 128 : false;
        if (!valid) {
            problems.push(`[instance.sshIngressCidrs[${n}]] "${cidr}" is not a CIDR block (e.g. 203.0.113.4/32)`);
        } else if (/\/0$/.test(cidr)) {
            problems.push(`[instance.sshIngressCidrs[${n}]] "${cidr}" would open SSH to the whole internet; list your own ranges or leave it empty`);
        }
    });
    const d = args.docker ?? {};
    if (d.concurrent !== undefined && (!Number.isInteger(d.concurrent) || d.concurrent < 1 || d.concurrent > 32)) {
        problems.push(`[docker.concurrent] must be an integer from 1 to 32 (got ${d.concurrent})`);
    }
    if (d.defaultImage !== undefined && !/^[a-z0-9][a-z0-9._\/:@-]*$/.test(d.defaultImage)) {
        problems.push(`[docker.defaultImage] "${d.defaultImage}" is not an image reference`);
    }
    if (d.runnerVersion !== undefined && !/^\d+\.\d+\.\d+$/.test(d.runnerVersion)) {
        problems.push(`[docker.runnerVersion] "${d.runnerVersion}" must be a version like 17.11.0`);
    }
    const prefix = args.ssm?.parameterPrefix;
    if (prefix !== undefined && !/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) {
        problems.push(`[ssm.parameterPrefix] "${prefix}" must be a path like /cicd/runner (letters, digits, _ . -)`);
    }
    return problems;
}

function rejectRunnerProblems(name: string, problems: readonly string[]): Record<string, never> {
    if (problems.length > 0) {
        throw new Error(`cicd:runner:Runner "${name}": ${problems.join("; ")}`);
    }
    return {};
}

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
        super("cicd:runner:Runner", name, rejectRunnerProblems(name, runnerArgsProblems(args)), opts);

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
        const concurrent = args.docker?.concurrent ?? 2;
        const blockInstanceMetadata = args.docker?.blockInstanceMetadata ?? true;
        const runnerVersion = args.docker?.runnerVersion ?? "";
        const parameterPrefix = args.ssm?.parameterPrefix ?? `/cicd/${name}`;
        const tags = { ManagedBy: "pulumi", Component: "gitlab-runner", ...args.instance?.tags };
        const architecture = isGravitonInstanceType(instanceType) ? "arm64" : "x86_64";

        // The runner in GitLab: tags, locking and protection live here, server-side, not in the host's config.
        const runner = new gitlab.UserRunner(`${name}-runner`, {
            runnerType: "project_type",
            projectId: pulumi.output(args.gitlab.projectId).apply((id) => {
                const numeric = Number(id);
                if (!Number.isInteger(numeric) || numeric <= 0) {
                    throw new Error(`cicd:runner:Runner "${name}" [gitlab.projectId] must be a numeric project id (got "${id}")`);
                }
                return numeric;
            }),
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

        const ami = aws.ec2.getAmiOutput({
            mostRecent: true,
            owners: ["amazon"],
            filters: [
                { name: "name", values: [`al2023-ami-2023.*-${architecture}`] },
                { name: "architecture", values: [architecture] },
                { name: "virtualization-type", values: ["hvm"] },
                { name: "root-device-type", values: ["ebs"] },
            ],
        }, { parent: this });

        const userData = tokenParameter.arn.apply((tokenParameterArn) => runnerUserData({
            gitlabUrl,
            tokenParameterArn,
            runnerName: description,
            defaultImage,
            privileged,
            concurrent,
            runnerVersion,
            blockInstanceMetadata,
        }));

        const instance = new aws.ec2.Instance(`${name}-host`, {
            ami: ami.id,
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
        }, { parent: this, dependsOn });

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
