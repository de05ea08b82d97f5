import * as pulumi from "@pulumi/pulumi";
import { remote, types } from "@pulumi/command";
import { DeployTarget, shellQuote } from "../host/commands";
import { backupInitCommand, backupUnits, installScheduleCommand, removeScheduleCommand, writeReadableFileCommand } from "./hostFiles";

export interface BackupConfigFileArgs {
    readonly connection: types.input.remote.ConnectionArgs;
    /** Where pgbackrest.conf goes (backupConfigDir + /pgbackrest.conf). */
    readonly path: string;
    /** Its text (pgbackrestConf); holds no secret. */
    readonly content: pulumi.Input<string>;
    /** A new machine gets the file again. */
    readonly machineId?: pulumi.Input<string>;
    /** What must be done on the machine first (cloud-init, the mounted data volume). */
    readonly dependsOn?: pulumi.Resource[];
}

/**
 * pgbackrest.conf on a host, before the first deploy starts the db container: Docker would otherwise create the
 * bind-mounted folder itself, empty and owned by root, and every archive attempt would fail until the next deploy.
 */
export class BackupConfigFile extends pulumi.ComponentResource {
    readonly written: remote.Command;

    constructor(name: string, args: BackupConfigFileArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cicd:backup:BackupConfigFile", name, {}, opts);
        const write = writeReadableFileCommand(args.path);
        this.written = new remote.Command(
            `${name}-pgbackrest-conf`,
            // The content is in stdin, not the command line; a changed one is an update writing it again.
            { connection: args.connection, create: write, update: write, stdin: args.content, triggers: args.machineId === undefined ? undefined : [args.machineId] },
            { parent: this, dependsOn: args.dependsOn },
        );
        this.registerOutputs({});
    }
}

export interface BackupScheduleArgs {
    readonly connection: types.input.remote.ConnectionArgs;
    /** The deployment on the host (ComposeDeployment's target of this host). */
    readonly target: DeployTarget & { readonly stateDir: string };
    /** The SSH user, who runs the scheduled backup (it is in the docker group). */
    readonly user: string;
    /** The image the deployment rolled out: init runs after each rollout (it is safe to repeat). */
    readonly deployedImage: pulumi.Input<string>;
}

/**
 * Backups switched on for a deployed host: `backup.sh init` once the stack runs (the db recreated with the backup
 * settings if needed, the stanza created, archiving checked), then a systemd timer for the daily backup. systemd
 * because every host we provision runs it (Ubuntu LTS): Persistent= catches up on a run missed while the host was
 * off, the journal keeps every run's output and exit status, and `systemctl list-timers` shows the last and next run.
 */
export class BackupSchedule extends pulumi.ComponentResource {
    constructor(name: string, args: BackupScheduleArgs, opts?: pulumi.ComponentResourceOptions) {
        const units = backupUnits(args.target, args.user);
        super("cicd:backup:BackupSchedule", name, {}, opts);
        const init = pulumi.output(args.deployedImage).apply((image) => `: after the rollout of ${shellQuote(image)}; ${backupInitCommand(args.target)}`);
        const initialized = new remote.Command(`${name}-init`, { connection: args.connection, create: init, update: init }, { parent: this });
        const install = installScheduleCommand(args.target.environment, units);
        new remote.Command(
            `${name}-timer`,
            { connection: args.connection, create: install, update: install, delete: removeScheduleCommand(args.target.environment) },
            { parent: this, dependsOn: [initialized] },
        );
        this.registerOutputs({});
    }
}
