import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

export interface BackupHostAccessArgs {
    readonly bucketName: pulumi.Input<string>;
    readonly bucketArn: pulumi.Input<string>;
    /** The host's own folder in the bucket (pgBackRest's repo1-path without the leading slash), e.g. `prod/web`. */
    readonly prefix: string;
    readonly tags?: Readonly<Record<string, string>>;
}

const PREFIX = /^[a-z0-9][a-z0-9-]*(\/[a-z0-9][a-z0-9-]*)*$/;

/** One message naming what is wrong with the prefix, or undefined. Pure. */
export function backupPrefixProblem(prefix: string): string | undefined {
    if (!PREFIX.test(prefix)) {
        return `[backup.prefix] "${prefix}" must be lower-case words of letters, digits and '-', separated by '/', e.g. prod/web`;
    }
    return undefined;
}

/**
 * What the host may do in the bucket: list, read, write and delete under its own prefix, nothing else. pgBackRest
 * needs all four (expire deletes old backups); deleting only hides a version for the retention, the bucket keeps it.
 */
export function hostBackupPolicy(bucketArn: string, prefix: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "ListOwnPrefix",
                Effect: "Allow",
                Action: "s3:ListBucket",
                Resource: bucketArn,
                Condition: { StringLike: { "s3:prefix": [prefix, `${prefix}/*`] } },
            },
            {
                Sid: "ReadWriteOwnPrefix",
                Effect: "Allow",
                Action: ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                Resource: `${bucketArn}/${prefix}/*`,
            },
        ],
    });
}

/**
 * The host's instance role and profile for backups: EC2 alone may assume it, its credentials come from the
 * instance metadata service (pgBackRest: repo1-s3-key-type=auto), and no access key exists anywhere.
 */
export class BackupHostAccess extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;
    readonly instanceProfileName: pulumi.Output<string>;

    constructor(name: string, args: BackupHostAccessArgs, opts: pulumi.ComponentResourceOptions = {}) {
        const problem = backupPrefixProblem(args.prefix);
        if (problem) throw new Error(problem);
        super("cicd:backup:BackupHostAccess", name, {}, opts);
        const child = { parent: this };

        const role = new aws.iam.Role(`${name}-role`, {
            description: `pgBackRest on the host: its own prefix ${args.prefix}/ of the backup bucket, nothing else`,
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags: args.tags ? { ...args.tags } : undefined,
        }, child);
        new aws.iam.RolePolicy(`${name}-backup`, {
            role: role.name,
            policy: pulumi.output(args.bucketArn).apply((arn) => hostBackupPolicy(arn, args.prefix)),
        }, child);
        const profile = new aws.iam.InstanceProfile(`${name}-profile`, { role: role.name, tags: args.tags ? { ...args.tags } : undefined }, child);

        this.roleArn = role.arn;
        this.instanceProfileName = profile.name;
        this.registerOutputs({ roleArn: this.roleArn, instanceProfileName: this.instanceProfileName });
    }
}
