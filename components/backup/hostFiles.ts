// What a host that backs up gets besides its env file (docs/backups.md), as pure text: pgBackRest's configuration
// for its S3 repository, the systemd units of the scheduled backup, and the shell that installs or runs them.
import * as crypto from "crypto";
import { DeployTarget, bundleTargetArgs, shellQuote } from "../host/commands";

/**
 * The db image with pgBackRest (compose.backup.yaml builds it on the host), tagged by the PostgreSQL image it is built
 * on: a new base image gets a new tag, so Compose builds it again instead of running the old one.
 */
export function backupDbImage(postgresImage: string | undefined): string {
    const base = crypto.createHash("sha256").update(postgresImage ?? "compose.yaml's default").digest("hex").slice(0, 12);
    return `gitlab-docker-delivery/postgres-pgbackrest:${base}`;
}

/** Where pgbackrest.conf lives on the host: its own folder, mounted read-only into the db container. */
export function backupConfigDir(deployHome: string): string {
    return `${deployHome}/backup`;
}

export interface S3RepositorySettings {
    readonly bucket: string;
    readonly region: string;
    /** The host's own folder in the bucket (BackupHostAccess's prefix), without slashes around it. */
    readonly prefix: string;
    /** Days a full backup (and the WAL it needs) is kept once a newer one exists. */
    readonly retentionDays: number;
}

/** The bundle's own pgbackrest.conf (the `local` stack's repository in a volume), relative to the bundle folder. */
export const BUNDLE_PGBACKREST_CONF = "postgres/backup/pgbackrest.conf";

/**
 * pgbackrest.conf of a host's S3 repository: the bundle's own pgbackrest.conf (`bundleConf`, its text) with where the
 * repository is and how long it keeps backups replaced, so every other setting (cipher, compression, logging, locks)
 * has one owner. No key in it: the repository key comes from the env file (0600) through the container's
 * environment, and S3 credentials from the instance role through the metadata service (key-type auto).
 */
export function pgbackrestConf(settings: S3RepositorySettings, bundleConf: string): string {
    const repository: Record<string, string> = {
        "repo1-type": "s3",
        "repo1-s3-bucket": settings.bucket,
        "repo1-s3-endpoint": `s3.${settings.region}.amazonaws.com`,
        "repo1-s3-region": settings.region,
        "repo1-s3-key-type": "auto",
        "repo1-path": `/${settings.prefix}`,
        // Time-based: a full backup older than this goes once a newer one exists, never the last good one.
        "repo1-retention-full-type": "time",
        "repo1-retention-full": String(settings.retentionDays),
    };
    const shared = bundleConf.split("\n").filter((line) => line.trim() !== "" && !line.startsWith("#"));
    const sections = shared.filter((line) => line.startsWith("["));
    if (sections.length !== 1 || sections[0] !== "[global]") {
        throw new Error(`the bundle's ${BUNDLE_PGBACKREST_CONF} must hold one [global] section (found ${sections.join(", ") || "none"})`);
    }
    const kept = shared.filter((line) => !line.startsWith("[") && !(line.split("=")[0] in repository));
    return [
        `# Written by the Pulumi program (components/backup/hostFiles.ts) from the bundle's ${BUNDLE_PGBACKREST_CONF}, with an S3 repository.`,
        "[global]",
        ...Object.entries(repository).map(([key, value]) => `${key}=${value}`),
        ...kept,
        "",
    ].join("\n");
}

/** Writes stdin to `file`, readable by all (the db container's postgres user reads it): for files with no secret. */
export function writeReadableFileCommand(file: string): string {
    const dir = file.replace(/\/[^/]+$/, "");
    const tmp = `${file}.tmp`;
    return `set -eu; mkdir -p ${shellQuote(dir)}; chmod 755 ${shellQuote(dir)}; cat > ${shellQuote(tmp)}; chmod 644 ${shellQuote(tmp)}; mv -f ${shellQuote(tmp)} ${shellQuote(file)}`;
}

/** The deploy target's arguments of backup.sh, as deploy.sh takes them. */
function backupScript(target: DeployTarget & { readonly stateDir: string }, args: readonly string[]): string {
    return [
        `DEPLOY_STATE_DIR=${shellQuote(target.stateDir)}`,
        "bash",
        shellQuote(`${target.bundleDir}/backup.sh`),
        ...args,
        ...bundleTargetArgs(target),
    ].join(" ");
}

/** `backup.sh init`: the backup settings applied to the running db, the stanza created (safe to repeat), a check. */
export function backupInitCommand(target: DeployTarget & { readonly stateDir: string }): string {
    return `set -eu; ${backupScript(target, ["init"])}`;
}

/** Names of the systemd units of one environment's scheduled backup. */
export function backupUnitNames(environment: string): { service: string; timer: string } {
    const base = `gitlab-docker-delivery-backup-${environment}`;
    return { service: `${base}.service`, timer: `${base}.timer` };
}

/** When the scheduled backup runs (UTC): daily, a full one on Sundays and an incremental one on the other days. */
export const BACKUP_CALENDAR = "*-*-* 03:15:00 UTC";

/**
 * The systemd service and timer of the scheduled backup. One timer, one service: the service picks full on Sundays
 * and incremental otherwise, so two backups never start at once (pgBackRest would refuse the second on its lock),
 * not even when Persistent= catches up on a run missed while the host was off.
 */
export function backupUnits(target: DeployTarget & { readonly stateDir: string }, user: string): { service: string; timer: string } {
    if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`backup user "${user}" must be a plain Unix user name`);
    // Inside a single-quoted `bash -c` of a unit file: no quote, space, $ or % (systemd's specifiers) may appear.
    for (const value of [target.bundleDir, target.envFile, target.composeProject, target.stateDir]) {
        if (!/^[A-Za-z0-9_./-]+$/.test(value)) throw new Error(`path "${value}" of the backup unit must be letters, digits and _ . / -`);
    }
    const names = backupUnitNames(target.environment);
    // systemd expands $ and % itself: $$ and %% reach bash as $ and %.
    const run = backupScript(target, ["backup", "--type", '"$$type"']);
    const service = [
        "[Unit]",
        `Description=gitlab-docker-delivery: scheduled pgBackRest backup of the ${target.environment} database`,
        "Wants=docker.service",
        "After=docker.service",
        "",
        "[Service]",
        "Type=oneshot",
        `User=${user}`,
        `ExecStart=/bin/bash -c 'set -eu; type=incr; if [ "$$(date -u +%%u)" = 7 ]; then type=full; fi; ${run}'`,
        "",
    ].join("\n");
    const timer = [
        "[Unit]",
        `Description=gitlab-docker-delivery: daily backup of the ${target.environment} database (full on Sundays)`,
        "",
        "[Timer]",
        `OnCalendar=${BACKUP_CALENDAR}`,
        "RandomizedDelaySec=10min",
        // A run missed while the host was off starts at the next boot.
        "Persistent=true",
        `Unit=${names.service}`,
        "",
        "[Install]",
        "WantedBy=timers.target",
        "",
    ].join("\n");
    return { service, timer };
}

/** Installs the units under /etc/systemd/system and starts the timer; the same text again changes nothing. */
export function installScheduleCommand(environment: string, units: { service: string; timer: string }): string {
    const names = backupUnitNames(environment);
    const write = (name: string, text: string) => {
        if (text.includes("\nUNIT_END\n")) throw new Error("unit text must not contain the here-document's end marker");
        return `sudo tee /etc/systemd/system/${name} >/dev/null <<'UNIT_END'\n${text}UNIT_END\n`;
    };
    return [
        "set -eu\n",
        write(names.service, units.service),
        write(names.timer, units.timer),
        `sudo chmod 644 /etc/systemd/system/${names.service} /etc/systemd/system/${names.timer}\n`,
        "sudo systemctl daemon-reload\n",
        `sudo systemctl enable --now ${names.timer}\n`,
        `systemctl list-timers --no-pager ${names.timer}\n`,
    ].join("");
}

/** Stops the timer and removes both units (the repository and its backups stay). */
export function removeScheduleCommand(environment: string): string {
    const names = backupUnitNames(environment);
    return [
        "set -eu",
        `sudo systemctl disable --now ${names.timer} || true`,
        `sudo rm -f /etc/systemd/system/${names.service} /etc/systemd/system/${names.timer}`,
        "sudo systemctl daemon-reload",
    ].join("; ");
}
