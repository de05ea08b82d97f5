import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { BackupConfig, BaseImages, HostConfig, SshHostConfig, TlsConfig, isArmInstanceType } from "../config";
import { BackupConfigFile, BackupSchedule, backupConfigDir } from "../backup";
import { ComposeDeployment, ComposeDeploymentArgs, DEFAULT_HTTP_PORT, DEFAULT_HTTPS_PORT, DeploymentHost, DnsRecords, Ec2Host, StackSecrets, hostHome, httpsUrl, stackEnv, webUrl } from "../host";
import { backupSummary, stackBackup } from "./backup";

// Where a remote stack's app runs: an EC2 host it provisions (Ec2Host), or machines the user already has
// (`hosts`); either way ComposeDeployment ships and rolls out the stack over SSH.

/** What the deployment puts on every host: ComposeDeployment's own arguments, with the stack's TLS settings. */
export type DeploySettings = Pick<ComposeDeploymentArgs, "imageRef" | "imageDigest" | "bundleDir" | "env" | "registry" | "readyTimeoutSeconds"> & {
    /** HTTPS with an ACME certificate; undefined: plain HTTP. */
    readonly tls?: TlsConfig;
};

/** Where the app ended up. */
export interface HostOutputs {
    readonly url: pulumi.Output<string>;
    readonly hostAddress: pulumi.Output<string | string[]>;
    readonly dataVolumeId?: pulumi.Output<string>;
    readonly rollbackCommands: pulumi.Output<Record<string, string>>;
    /** What the stack serves, in a sentence: HTTPS for which names, or plain HTTP and how to change that. */
    readonly tls: string;
    /** Where the database is backed up and how to restore, or why it is not, in a sentence. */
    readonly backup: pulumi.Output<string>;
}

/** The secrets of a remote environment's env file. */
export type RemoteSecrets = StackSecrets;

/** The env file of a remote environment (ComposeDeployment adds the web settings): the same on every host source. */
export const remoteEnv: (secrets: RemoteSecrets, baseImages: BaseImages) => Record<string, string> = stackEnv;

/** The one owner of the web ports of remote stacks: the firewall rules, nginx's ports and the URL all read them. */
export const REMOTE_HTTP_PORT = DEFAULT_HTTP_PORT;
/** Served (and opened) only with TLS on: nothing listens there otherwise. */
export const REMOTE_HTTPS_PORT = DEFAULT_HTTPS_PORT;

/** The web ports and TLS site of a deployment; the HTTPS port only when TLS is on. */
function webSettings(tls: TlsConfig | undefined): { httpPort: number; httpsPort?: number; tls?: TlsConfig } {
    return tls === undefined ? { httpPort: REMOTE_HTTP_PORT } : { httpPort: REMOTE_HTTP_PORT, httpsPort: REMOTE_HTTPS_PORT, tls };
}

/** The stack's URL: the domain over HTTPS with TLS, else the host's address over HTTP. */
function siteUrl(address: string, tls: TlsConfig | undefined): string {
    return tls === undefined ? webUrl(address, REMOTE_HTTP_PORT) : httpsUrl(tls.domains[0], REMOTE_HTTPS_PORT);
}

/** The `tls` output. */
export function tlsSummary(tls: TlsConfig | undefined): string {
    if (tls === undefined) {
        return `off: no domain is set, so the hosts serve plain HTTP on port ${REMOTE_HTTP_PORT} and port ${REMOTE_HTTPS_PORT} stays closed; set domain and acmeEmail for HTTPS`;
    }
    return `on: HTTPS on port ${REMOTE_HTTPS_PORT} for ${tls.domains.join(", ")} with a certificate from ${tls.directoryUrl} (HTTP-01); port ${REMOTE_HTTP_PORT} answers the ACME challenge and redirects`;
}

/** Resource-name part of a host: stable while its address and port are. */
function hostResourceName(host: SshHostConfig): string {
    return `${host.address}-${host.port}`.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** The `hosts` source: no machine is provisioned; each listed host is dialled with its host key verified. */
export function deployToHosts(environment: "staging" | "production", hosts: readonly SshHostConfig[], privateKey: pulumi.Input<string>, deploy: DeploySettings): HostOutputs {
    const targets: DeploymentHost[] = hosts.map((host) => ({
        name: hostResourceName(host),
        label: `${host.user}@${host.address}:${host.port}`,
        user: host.user,
        // Existing machines answer at once: a few retries, not the minutes a booting instance needs.
        connection: { host: host.address, port: host.port, user: host.user, privateKey, hostKey: host.hostKey, dialErrorLimit: 5, perDialTimeout: 10 },
    }));
    const deployment = new ComposeDeployment(environment, {
        environment,
        hosts: targets,
        ...deploy,
        ...webSettings(deploy.tls),
        // The user's machines outlive the stack: `destroy` stops the app there (the database volume is kept).
        stopOnDelete: true,
    });
    const url = siteUrl(hosts[0].address, deploy.tls);
    return {
        url: deployment.deployedImage.apply(() => url),
        hostAddress: pulumi.output(hosts.map((host) => host.address)),
        rollbackCommands: deployment.rollbackCommands,
        tls: tlsSummary(deploy.tls),
        backup: backupSummary(environment, undefined, true),
    };
}

export interface Ec2Settings {
    readonly awsRegion: string;
    readonly tags: Record<string, string>;
    readonly awsProvider: aws.Provider;
    readonly ingressSecurityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly dataVolumeSizeGb?: number;
    readonly protect?: boolean;
    /** pgBackRest to a bucket of the stack, through the host's instance role (components/program/backup.ts). */
    readonly backup?: BackupConfig;
}

/** The EC2 source: one Ec2Host, then the deployment onto it. */
export function deployToEc2(environment: "staging" | "production", host: HostConfig, ec2: Ec2Settings, deploy: DeploySettings): HostOutputs {
    const providers = { providers: { aws: ec2.awsProvider } };
    const backup = ec2.backup?.enabled ? stackBackup(environment, ec2.backup, ec2.awsRegion, ec2.tags, deploy.bundleDir, providers) : undefined;
    const machine = new Ec2Host(
        environment,
        {
            environment,
            host: {
                instanceType: host.instanceType,
                rootVolumeSizeGb: host.rootVolumeSizeGb,
                subnetId: host.subnetId,
                // Pinned so that a replaced host lands where its data volume is.
                availabilityZone: `${ec2.awsRegion}a`,
                architecture: isArmInstanceType(host.instanceType) ? "arm64" : "amd64",
                tags: ec2.tags,
            },
            ssh: {
                publicKey: host.sshPublicKey,
                privateKey: pulumi.secret(host.sshPrivateKey),
                ingressCidrs: host.sshIngressCidrs,
                ingressSecurityGroupIds: ec2.ingressSecurityGroupIds,
                connectVia: host.sshConnectVia,
            },
            httpPort: REMOTE_HTTP_PORT,
            httpsPort: webSettings(deploy.tls).httpsPort,
            dataVolume: ec2.dataVolumeSizeGb === undefined ? undefined : { sizeGb: ec2.dataVolumeSizeGb },
            protect: ec2.protect,
            instanceProfileName: backup?.instanceProfileName,
        },
        providers,
    );
    const home = hostHome(machine.user);
    // Before the first deploy starts the db container, which mounts its folder.
    const backupConfig = backup
        ? new BackupConfigFile(environment, { connection: machine.connection, path: `${backupConfigDir(home)}/pgbackrest.conf`, content: backup.conf, machineId: machine.instanceId, dependsOn: machine.ready })
        : undefined;
    // HTTP-01 reaches the host by name: the records exist before the deployment asks for a certificate.
    const dns = deploy.tls?.hostedZoneId === undefined
        ? undefined
        : new DnsRecords(environment, { zoneId: deploy.tls.hostedZoneId, names: deploy.tls.domains, address: machine.publicIp }, { providers: { aws: ec2.awsProvider } });
    const deployment = new ComposeDeployment(environment, {
        environment,
        hosts: [{
            name: environment, label: `${environment} host`, user: machine.user, connection: machine.connection, machineId: machine.instanceId,
            dependsOn: [...machine.ready, ...(dns ? [dns] : []), ...(backupConfig ? [backupConfig.written] : [])],
        }],
        ...deploy,
        env: backup ? backup.withBackupEnv(deploy.env, home) : deploy.env,
        ...webSettings(deploy.tls),
    });
    if (backup) {
        new BackupSchedule(environment, { connection: machine.connection, target: deployment.targets[environment], user: machine.user, deployedImage: deployment.deployedImage });
    }
    return {
        url: pulumi.all([machine.publicIp, deployment.deployedImage]).apply(([ip]) => siteUrl(ip, deploy.tls)),
        hostAddress: machine.publicIp,
        dataVolumeId: machine.dataVolumeId,
        rollbackCommands: deployment.rollbackCommands,
        tls: tlsSummary(deploy.tls),
        backup: backupSummary(environment, backup && { bucketName: backup.bucketName, prefix: backup.prefix, retentionDays: ec2.backup!.retentionDays }, false),
    };
}
