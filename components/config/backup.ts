// Database backups of every stack (docs/backups.md): whether pgBackRest runs, and how long backups are kept. Checked
// in one place; local.ts and remote.ts call it with the Reader, so every problem still lands in the one ConfigError.
import type { Environment } from "./keys";
import type { Reader } from "./reader";

export interface BackupConfig {
    /** pgBackRest archives WAL and takes scheduled backups on every host of the stack. */
    readonly enabled: boolean;
    /** Days backups are kept (pgBackRest's time-based retention, and the bucket's for what it expired). */
    readonly retentionDays: number;
}

/** Production's default: a database nobody backs up is the default we refuse to ship. */
const ENABLED_BY_DEFAULT: Readonly<Record<Environment, boolean>> = { local: false, staging: false, production: true };

export const DEFAULT_RETENTION_DAYS = 14;

/**
 * Reads the backup keys of a stack. `ec2Host` tells whether the stack provisions its EC2 host: the only host with an
 * instance role, which is how a remote host reaches its repository without static keys. With `hosts`, backups are off
 * by default even on production (the `backup` output says so) and turning them on is refused.
 */
export function validateBackup(r: Reader, environment: Environment, ec2Host: boolean): BackupConfig {
    const remoteWithoutRole = environment !== "local" && !ec2Host;
    // Off by default there: only a backupEnabled the user set can turn them on.
    const enabled = r.boolean("backupEnabled", ENABLED_BY_DEFAULT[environment] && !remoteWithoutRole);
    if (enabled && remoteWithoutRole) {
        r.problem("backupEnabled", "needs the EC2 host this stack provisions (its instance role reaches the backup bucket with no static keys), and hosts is set; remove backupEnabled, or back up those machines by your own means");
    }
    const retentionDays = r.integer("backupRetentionDays", DEFAULT_RETENTION_DAYS, 1, 3650);
    if (!enabled && r.string("backupRetentionDays") !== undefined) {
        r.problem("backupRetentionDays", "is only used when backups are on (backupEnabled); set backupEnabled to true, or remove it");
    }
    return { enabled, retentionDays };
}
