import * as fs from "fs";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { BackupConfig } from "../config";
import { BACKUP_CALENDAR, BUNDLE_PGBACKREST_CONF, BackupBucket, BackupHostAccess, backupConfigDir, backupDbImage, pgbackrestConf } from "../backup";

// Backups of a remote stack that provisions its EC2 host (docs/backups.md): the bucket, the host's instance role
// and profile, the repository key, and what the host's env file and pgbackrest.conf say. hosts.ts puts them on the host.

/** The host's folder in the bucket: one host per remote stack, named by its environment. */
export function hostBackupPrefix(environment: string): string {
    return `hosts/${environment}`;
}

export interface StackBackup {
    readonly bucketName: pulumi.Output<string>;
    readonly instanceProfileName: pulumi.Output<string>;
    readonly prefix: string;
    /** The env file with the backup settings and the repository key added (secret). */
    withBackupEnv(env: pulumi.Input<Record<string, string>>, deployHome: string): pulumi.Output<Record<string, string>>;
    /** pgbackrest.conf of the host. */
    readonly conf: pulumi.Output<string>;
}

/**
 * The bucket, the host's access and the repository key of a remote stack. The key is a random secret made once and
 * kept only encrypted in the state; it reaches the host in the env file (0600, written from stdin), never in a
 * command line, user data or output.
 */
export function stackBackup(
    environment: "staging" | "production",
    config: BackupConfig,
    region: string,
    tags: Record<string, string>,
    bundleDir: string,
    opts: pulumi.ComponentResourceOptions,
): StackBackup {
    const prefix = hostBackupPrefix(environment);
    const bucket = new BackupBucket(`${environment}-backup`, { retentionDays: config.retentionDays, tags }, opts);
    const access = new BackupHostAccess(`${environment}-backup-host`, { bucketName: bucket.bucketName, bucketArn: bucket.bucketArn, prefix, tags }, opts);
    const bundleConf = fs.readFileSync(path.join(bundleDir, BUNDLE_PGBACKREST_CONF), "utf8");
    const cipherPass = pulumi.secret(new random.RandomPassword(`${environment}-backup-cipher-pass`, { length: 64, special: false }).result);
    return {
        bucketName: bucket.bucketName,
        instanceProfileName: access.instanceProfileName,
        prefix,
        conf: bucket.bucketName.apply((name) => pgbackrestConf({ bucket: name, region, prefix, retentionDays: config.retentionDays }, bundleConf)),
        withBackupEnv: (env, deployHome) =>
            pulumi.secret(
                pulumi.all([env, cipherPass]).apply(([values, pass]): Record<string, string> => ({
                    ...values,
                    BACKUP_ENABLED: "true",
                    BACKUP_CIPHER_PASS: pass,
                    BACKUP_CONFIG_DIR: backupConfigDir(deployHome),
                    BACKUP_DB_IMAGE: backupDbImage(values.POSTGRES_IMAGE),
                })),
            ),
    };
}

/** The `backup` output: where backups go and how to restore, or why there are none. */
export function backupSummary(environment: string, backup: { bucketName: pulumi.Output<string>; prefix: string; retentionDays: number } | undefined, hostsSource: boolean): pulumi.Output<string> {
    if (backup === undefined) {
        return pulumi.output(
            hostsSource
                ? "off: hosts is set, and backups need the EC2 host's instance role (no static keys); back those machines up by your own means"
                : "off: backupEnabled is false; the database is not backed up (docs/backups.md)",
        );
    }
    return backup.bucketName.apply(
        (bucket) =>
            `on: pgBackRest to s3://${bucket}/${backup.prefix}, WAL archived continuously, a backup daily at ${BACKUP_CALENDAR} (full on Sundays), kept ${backup.retentionDays} days; ` +
            `restore on the host with backup.sh restore --env ${environment} --latest (docs/backups.md)`,
    );
}
