// Arguments of the Runner component and their checks, kept apart so that runner.ts is only the resources.

import * as pulumi from "@pulumi/pulumi";
import { isInstanceType, isWorldCidr, parseCidr } from "../checks";

/** The `gitlab-runner` release installed unless `docker.runnerVersion` says otherwise; moved on purpose, never to "latest". */
export const DEFAULT_RUNNER_VERSION = "19.4.0";

/** Tags the runner picks jobs by; `.gitlab-ci.yml`'s `default: tags:` names the first. */
export const DEFAULT_RUNNER_TAGS: readonly string[] = ["cicd-docker"];

/** Tags of the deploy runner (protected refs only, not privileged): the jobs that assume deploy roles name it. */
export const DEPLOY_RUNNER_TAGS: readonly string[] = ["cicd-deploy"];

/**
 * The one security option the deploy runner gives its jobs' service containers (never the job containers), so that
 * the rootless BuildKit service can build the image without privileged mode. Measured (tests/image/rootless-builder):
 * under Docker's default seccomp profile rootlesskit cannot create its user namespace ("fork/exec /proc/self/exe:
 * operation not permitted") and buildkitd never starts; with the profile lifted it builds and pushes, with Docker's
 * default capabilities and nothing else. No AppArmor option: measured on a host without AppArmor, as Amazon Linux
 * 2023 (the runner's AMI) is; an AppArmor host would also need apparmor=unconfined. Unlike privileged mode, the
 * container keeps Docker's capability set, device list and masked /proc and /sys paths.
 */
export const ROOTLESS_BUILDKIT_SERVICE_SECURITY_OPT: readonly string[] = ["seccomp=unconfined"];

/** Security options a runner may give service containers: seccomp/AppArmor profiles and no-new-privileges, nothing that widens devices or /proc. */
const SERVICE_SECURITY_OPT = /^(?:(?:seccomp|apparmor)=[A-Za-z0-9_./-]+|no-new-privileges(?:=true)?)$/;

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
        /**
         * AMI of the host. Unset: the newest Amazon Linux 2023 when the host is created, then kept (a newer AL2023
         * release never replaces a runner mid-job). Set it, or change it, to move the host to that AMI on purpose.
         */
        readonly amiId?: string;
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
        /**
         * `--security-opt` values for the jobs' service containers only (`services_security_opt`; default none), e.g.
         * {@link ROOTLESS_BUILDKIT_SERVICE_SECURITY_OPT} for an unprivileged runner whose jobs build images.
         */
        readonly servicesSecurityOpt?: readonly string[];
        /** Jobs at the same time (default 2). */
        readonly concurrent?: number;
        /** Keep job containers away from the instance metadata service (default true). */
        readonly blockInstanceMetadata?: boolean;
        /** Version of `gitlab-runner` installed from GitLab's release downloads (default {@link DEFAULT_RUNNER_VERSION}). */
        readonly runnerVersion?: string;
    };
    /** SSM Parameter Store. */
    readonly ssm?: {
        /** Path prefix of the token parameter (default `/cicd/<name>`). */
        readonly parameterPrefix?: string;
    };
}

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
    if (i.amiId !== undefined && !/^ami-[0-9a-f]{8,17}$/.test(i.amiId)) problems.push(`[instance.amiId] "${i.amiId}" is not an AMI id (ami-...)`);
    if (i.instanceType !== undefined && !isInstanceType(i.instanceType)) {
        problems.push(`[instance.instanceType] "${i.instanceType}" is not an EC2 instance type (e.g. t3.small)`);
    }
    const size = i.rootVolumeSizeGb;
    if (size !== undefined && (!Number.isInteger(size) || size < 8 || size > 16384)) {
        problems.push(`[instance.rootVolumeSizeGb] must be an integer from 8 to 16384 (got ${size})`);
    }
    (i.sshIngressCidrs ?? []).forEach((cidr, n) => {
        if (parseCidr(cidr) === undefined) {
            problems.push(`[instance.sshIngressCidrs[${n}]] "${cidr}" is not a CIDR block (e.g. 203.0.113.4/32)`);
        } else if (isWorldCidr(cidr)) {
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
    (d.servicesSecurityOpt ?? []).forEach((opt, n) => {
        if (!SERVICE_SECURITY_OPT.test(opt)) {
            problems.push(`[docker.servicesSecurityOpt[${n}]] "${opt}" is not allowed; allowed: seccomp=<profile>, apparmor=<profile>, no-new-privileges ` +
                "(anything wider, such as systempaths=unconfined, is privileged mode in parts: set docker.privileged on purpose instead)");
        }
    });
    if (d.runnerVersion !== undefined && !/^\d+\.\d+\.\d+$/.test(d.runnerVersion)) {
        problems.push(`[docker.runnerVersion] "${d.runnerVersion}" must be a version like 17.11.0`);
    }
    const prefix = args.ssm?.parameterPrefix;
    if (prefix !== undefined && !/^(\/[A-Za-z0-9_.-]+)+$/.test(prefix)) {
        problems.push(`[ssm.parameterPrefix] "${prefix}" must be a path like /cicd/runner (letters, digits, _ . -)`);
    }
    return problems;
}

/** The project id GitLab's API takes; it arrives as an output (`Project.projectId`), so it is checked once known. */
export function numericProjectId(name: string, id: string | number): number {
    const numeric = Number(id);
    if (!Number.isInteger(numeric) || numeric <= 0) {
        throw new Error(`cicd:runner:Runner "${name}" [gitlab.projectId] must be a numeric project id (got "${id}")`);
    }
    return numeric;
}

