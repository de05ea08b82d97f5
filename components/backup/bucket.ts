import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";

/** Days a deleted or replaced backup object stays recoverable when no retention is configured. */
export const DEFAULT_BACKUP_RETENTION_DAYS = 14;

export interface BackupBucketArgs {
    /**
     * Days the bucket keeps what pgBackRest expired (noncurrent versions), 1 to 3650; pgBackRest's own retention
     * (repo1-retention-full-type=time) uses the same number for current backups. Defaults to 14.
     */
    readonly retentionDays?: number;
    readonly tags?: Readonly<Record<string, string>>;
}

/** One message naming what is wrong with the arguments, or undefined. Pure. */
export function backupBucketProblem(args: BackupBucketArgs): string | undefined {
    const days = args.retentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
    if (!Number.isInteger(days) || days < 1 || days > 3650) {
        return `[backup.retentionDays] ${String(args.retentionDays)} is not a whole number of days from 1 to 3650`;
    }
    return undefined;
}

/** Denies every request that does not arrive over TLS, to the bucket and every object in it. */
export function tlsOnlyPolicy(bucketArn: string): string {
    return JSON.stringify({
        Version: "2012-10-17",
        Statement: [{
            Sid: "DenyRequestsWithoutTls",
            Effect: "Deny",
            Principal: "*",
            Action: "s3:*",
            Resource: [bucketArn, `${bucketArn}/*`],
            Condition: { Bool: { "aws:SecureTransport": "false" } },
        }],
    });
}

/**
 * The S3 bucket every host's pgBackRest repository lives in, each under its own prefix (see BackupHostRole):
 * versioned, encrypted by default, never public, reachable only over TLS, and with a lifecycle that makes what
 * pgBackRest expired disappear for good after the retention. Current objects are never expired by the lifecycle:
 * if backups stopped, a time rule would delete the last good backup while nothing replaces it.
 */
export class BackupBucket extends pulumi.ComponentResource {
    readonly bucketName: pulumi.Output<string>;
    readonly bucketArn: pulumi.Output<string>;

    constructor(name: string, args: BackupBucketArgs = {}, opts: pulumi.ComponentResourceOptions = {}) {
        const problem = backupBucketProblem(args);
        if (problem) throw new Error(problem);
        super("cicd:backup:BackupBucket", name, {}, opts);
        const days = args.retentionDays ?? DEFAULT_BACKUP_RETENTION_DAYS;
        const child = { parent: this };
        const tags = { ...args.tags, Purpose: "database-backups" };

        const bucket = new aws.s3.Bucket(`${name}-bucket`, { bucketPrefix: `${name}-`, forceDestroy: false, tags }, { ...child, protect: true });
        // ACLs off: the bucket owner owns every object, and access is decided by policies alone.
        const ownership = new aws.s3.BucketOwnershipControls(`${name}-ownership`, {
            bucket: bucket.id,
            rule: { objectOwnership: "BucketOwnerEnforced" },
        }, child);
        const publicAccess = new aws.s3.BucketPublicAccessBlock(`${name}-public-access`, {
            bucket: bucket.id,
            blockPublicAcls: true,
            blockPublicPolicy: true,
            ignorePublicAcls: true,
            restrictPublicBuckets: true,
        }, child);
        new aws.s3.BucketVersioning(`${name}-versioning`, { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } }, child);
        // pgBackRest encrypts before upload (repo1-cipher-type); SSE-S3 covers anything written by other means.
        new aws.s3.BucketServerSideEncryptionConfiguration(`${name}-encryption`, {
            bucket: bucket.id,
            rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
        }, child);
        new aws.s3.BucketPolicy(`${name}-tls-only`, {
            bucket: bucket.id,
            policy: bucket.arn.apply(tlsOnlyPolicy),
        }, { ...child, dependsOn: [publicAccess, ownership] });
        new aws.s3.BucketLifecycleConfiguration(`${name}-lifecycle`, {
            bucket: bucket.id,
            rules: [{
                id: "expire-what-pgbackrest-expired",
                status: "Enabled",
                filter: {},
                noncurrentVersionExpiration: { noncurrentDays: days },
                expiration: { expiredObjectDeleteMarker: true },
                abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
            }],
        }, child);

        this.bucketName = bucket.id;
        this.bucketArn = bucket.arn;
        this.registerOutputs({ bucketName: this.bucketName, bucketArn: this.bucketArn });
    }
}
