import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { BaseImages, HostConfig, SshHostConfig, isArmInstanceType } from "../config";
import { ComposeDeployment, DEFAULT_HTTP_PORT, DeploymentHost, Ec2Host, webUrl } from "../host";

// Where a remote stack's app runs: an EC2 host it provisions (Ec2Host), or machines the user already has
// (`hosts`); either way ComposeDeployment ships and rolls out the stack over SSH.

/** What the deployment puts on every host. */
export interface DeploySettings {
    readonly imageRef: pulumi.Input<string>;
    readonly imageDigest: pulumi.Input<string>;
    readonly bundleDir: string;
    readonly env: pulumi.Input<Record<string, string>>;
    readonly registry: { readonly address: pulumi.Input<string>; readonly username: pulumi.Input<string>; readonly password: pulumi.Input<string> };
    readonly readyTimeoutSeconds?: number;
}

/** Where the app ended up. */
export interface HostOutputs {
    readonly url: pulumi.Output<string>;
    readonly hostAddress: pulumi.Output<string | string[]>;
    readonly dataVolumeId?: pulumi.Output<string>;
    readonly rollbackCommands: pulumi.Output<Record<string, string>>;
}

/** The secrets of a remote environment's env file. */
export interface RemoteSecrets {
    readonly postgresPassword: string;
    readonly appDbPassword: string;
    readonly apiWriteToken: string;
}

/** The env file of a remote environment (ComposeDeployment adds the port): the same on every host source. */
export function remoteEnv(secrets: RemoteSecrets, baseImages: BaseImages): Record<string, string> {
    const env: Record<string, string> = {
        POSTGRES_PASSWORD: secrets.postgresPassword,
        POSTGRES_APP_PASSWORD: secrets.appDbPassword,
        API_WRITE_TOKEN: secrets.apiWriteToken,
        POSTGRES_USER: "app",
        POSTGRES_DB: "app",
    };
    if (baseImages.postgres) env.POSTGRES_IMAGE = baseImages.postgres;
    if (baseImages.nginx) env.NGINX_IMAGE = baseImages.nginx;
    return env;
}

/** The one owner of the web port of remote stacks: the firewall rule, nginx's port and the URL all read it. */
export const REMOTE_HTTP_PORT = DEFAULT_HTTP_PORT;

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
        httpPort: REMOTE_HTTP_PORT,
        // The user's machines outlive the stack: `destroy` stops the app there (the database volume is kept).
        stopOnDelete: true,
    });
    const urls = hosts.map((host) => webUrl(host.address, REMOTE_HTTP_PORT));
    return {
        url: pulumi.all([deployment.deployedImage]).apply(() => urls[0]),
        hostAddress: pulumi.output(hosts.map((host) => host.address)),
        rollbackCommands: deployment.rollbackCommands,
    };
}

export interface Ec2Settings {
    readonly awsRegion: string;
    readonly tags: Record<string, string>;
    readonly awsProvider: aws.Provider;
    readonly ingressSecurityGroupIds: pulumi.Input<pulumi.Input<string>[]>;
    readonly dataVolumeSizeGb?: number;
    readonly protect?: boolean;
}

/** The EC2 source: one Ec2Host, then the deployment onto it. */
export function deployToEc2(environment: "staging" | "production", host: HostConfig, ec2: Ec2Settings, deploy: DeploySettings): HostOutputs {
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
            dataVolume: ec2.dataVolumeSizeGb === undefined ? undefined : { sizeGb: ec2.dataVolumeSizeGb },
            protect: ec2.protect,
        },
        { providers: { aws: ec2.awsProvider } },
    );
    const deployment = new ComposeDeployment(environment, {
        environment,
        hosts: [{ name: environment, label: `${environment} host`, user: machine.user, connection: machine.connection, machineId: machine.instanceId, dependsOn: machine.ready }],
        ...deploy,
        httpPort: REMOTE_HTTP_PORT,
    });
    return {
        url: pulumi.all([machine.url, deployment.deployedImage]).apply(([url]) => url),
        hostAddress: machine.publicIp,
        dataVolumeId: machine.dataVolumeId,
        rollbackCommands: deployment.rollbackCommands,
    };
}
