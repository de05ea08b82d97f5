import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { remote, types } from "@pulumi/command";
import { defaultConnectVia, isWorldCidr, parseCidr } from "../checks";
import { DEFAULT_HTTP_PORT, webUrl } from "./webPorts";
import { authorizedKeysCommand, keyMaterial, publicKeyOfPrivateKey } from "./authorizedKeys";
import { EC2_USER, cloudInit, interfaceAddresses, mountDataVolumeCommand, privateDialProblem, waitReadyCommand } from "./ec2Scripts";

/** Canonical's AWS account: the only publisher of official Ubuntu AMIs. */
export const CANONICAL_OWNER_ID = "099720109477";

export interface Ec2HostArgs {
    readonly environment: "staging" | "production";
    /** The machine. */
    readonly host: {
        readonly instanceType: string;
        /** Root volume size in GiB (gp3, encrypted); defaults to 20. */
        readonly rootVolumeSizeGb?: number;
        /** Subnet; the default VPC's subnet in `availabilityZone` when absent. */
        readonly subnetId?: string;
        /** Where the host and its data volume live when no subnet is given (a subnet fixes its own zone). */
        readonly availabilityZone?: string;
        /** `arm64` for Graviton types; defaults to `amd64`. */
        readonly architecture?: "amd64" | "arm64";
        readonly tags?: Readonly<Record<string, string>>;
    };
    /** Who may reach port 22. Never the world: 0.0.0.0/0 and ::/0 are refused. */
    readonly ssh: {
        /** Installed on the host by a command, so a new key never replaces the machine. */
        readonly publicKey: string;
        /** Secret. */
        readonly privateKey: pulumi.Input<string>;
        readonly ingressCidrs?: readonly string[];
        /** e.g. the runner's security group. */
        readonly ingressSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
        /** Dial the Elastic IP (`public`) or the private IP from inside the VPC (`private`); defaults to `defaultConnectVia(ingressCidrs)`. */
        readonly connectVia?: "public" | "private";
    };
    /** The HTTP port opened: the one the deployment's nginx listens on (with TLS: the ACME challenge and the redirect). Defaults to 80. */
    readonly httpPort?: number;
    /** Opened only when set: the deployment serves HTTPS there (TLS on). */
    readonly httpsPort?: number;
    /** Production: the database lives on its own EBS volume that outlives the host. */
    readonly dataVolume?: { readonly sizeGb: number };
    /** `protect: true` on the instance and the data volume. */
    readonly protect?: boolean;
    /**
     * An instance profile (e.g. BackupHostAccess's): its role's credentials reach the containers through the metadata
     * service, so the hop limit becomes 2 (a container's request crosses the Docker bridge: one hop more). Without
     * one it stays 1: no container on the host reaches the metadata service at all.
     */
    readonly instanceProfileName?: pulumi.Input<string>;
    /** This machine's IP addresses (for the private-address check); defaults to its network interfaces. */
    readonly localAddresses?: () => readonly string[];
}

/** Throws one error naming every CIDR that is malformed or opens SSH to the world. Pure. */
export function validateSshIngress(cidrs: readonly string[]): void {
    const problems = cidrs.flatMap((cidr, i) => {
        if (parseCidr(cidr) === undefined) return [`[ssh.ingressCidrs[${i}]] "${cidr}" is not a CIDR block`];
        if (isWorldCidr(cidr)) return [`[ssh.ingressCidrs[${i}]] "${cidr}" would open SSH to the whole internet; allow specific ranges or the runner's security group`];
        return [];
    });
    if (problems.length > 0) throw new Error(problems.join("; "));
}

/** Every plain-argument check, before anything registers; returns {} for the super call. */
export function checkEc2HostArgs(args: Ec2HostArgs): Record<string, never> {
    validateSshIngress(args.ssh.ingressCidrs ?? []);
    if (keyMaterial(args.ssh.publicKey) === undefined) throw new Error(`[ssh.publicKey] "${args.ssh.publicKey}" is not an OpenSSH public key line (ssh-ed25519 AAAA... comment)`);
    if (args.dataVolume !== undefined && (!Number.isInteger(args.dataVolume.sizeGb) || args.dataVolume.sizeGb < 1)) {
        throw new Error(`[dataVolume.sizeGb] must be a whole number of GiB, at least 1 (got ${args.dataVolume.sizeGb})`);
    }
    if (args.dataVolume !== undefined && args.host.subnetId === undefined && args.host.availabilityZone === undefined) {
        throw new Error("[host.availabilityZone] is required with a data volume and no subnet: the volume's zone must not depend on the instance");
    }
    return {};
}

/**
 * An EC2 machine ready for a Compose deployment: Ubuntu LTS (looked up once: an AMI move is explicit),
 * Elastic IP, the web port and SSH from chosen sources only, IMDSv2, encrypted gp3, Docker from cloud-init,
 * and in production a data volume in a fixed zone that outlives the instance.
 */
export class Ec2Host extends pulumi.ComponentResource {
    readonly instanceId: pulumi.Output<string>;
    readonly publicIp: pulumi.Output<string>;
    readonly privateIp: pulumi.Output<string>;
    readonly url: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly dataVolumeId?: pulumi.Output<string>;
    /** How the deploy commands reach the machine. */
    readonly connection: types.input.remote.ConnectionArgs;
    readonly user = EC2_USER;
    /** What a deployment waits for: cloud-init done, the key installed, the data volume mounted. */
    readonly ready: pulumi.Resource[];

    constructor(name: string, args: Ec2HostArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked inside the super call so that bad arguments register nothing, not even the component.
        super("cicd:host:Ec2Host", name, checkEc2HostArgs(args), opts);

        const ingressCidrs = args.ssh.ingressCidrs ?? [];
        const architecture = args.host.architecture ?? "amd64";
        const httpPort = args.httpPort ?? DEFAULT_HTTP_PORT;
        const protect = args.protect ?? false;
        const tags = { ...(args.host.tags ?? {}), Name: name, Environment: args.environment };

        const ami = aws.ec2.getAmiOutput(
            {
                mostRecent: true,
                owners: [CANONICAL_OWNER_ID],
                filters: [
                    { name: "name", values: [`ubuntu/images/hvm-ssd-gp3/ubuntu-noble-24.04-${architecture}-server-*`] },
                    { name: "virtualization-type", values: ["hvm"] },
                ],
            },
            { parent: this },
        );
        const subnet = args.host.subnetId ? aws.ec2.getSubnetOutput({ id: args.host.subnetId }, { parent: this }) : undefined;
        const vpc = subnet ? aws.ec2.getVpcOutput({ id: subnet.vpcId }, { parent: this }) : aws.ec2.getVpcOutput({ default: true }, { parent: this });
        // From config (or the configured subnet), known at preview: never from the instance, whose replacement
        // would otherwise plan a replacement of the data volume.
        const zone = subnet ? subnet.availabilityZone : pulumi.output(args.host.availabilityZone ?? "");

        const ingress: aws.types.input.ec2.SecurityGroupIngress[] = [
            { description: "HTTP", protocol: "tcp", fromPort: httpPort, toPort: httpPort, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
        ];
        if (args.httpsPort !== undefined) {
            ingress.push({ description: "HTTPS", protocol: "tcp", fromPort: args.httpsPort, toPort: args.httpsPort, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] });
        }
        const v4 = ingressCidrs.filter((c) => parseCidr(c)?.version === 4);
        const v6 = ingressCidrs.filter((c) => parseCidr(c)?.version === 6);
        if (v4.length + v6.length > 0) {
            ingress.push({ description: "SSH from operators", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: v4, ipv6CidrBlocks: v6 });
        }
        if (args.ssh.ingressSecurityGroupIds !== undefined) {
            ingress.push({ description: "SSH from the runner", protocol: "tcp", fromPort: 22, toPort: 22, securityGroups: args.ssh.ingressSecurityGroupIds });
        }
        const securityGroup = new aws.ec2.SecurityGroup(
            `${name}-sg`,
            {
                description: `${args.environment} Compose host: web open, SSH restricted`,
                vpcId: vpc.id,
                ingress,
                egress: [{ description: "Image pulls and updates", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
                tags,
            },
            { parent: this },
        );

        // The key pair only seeds a new machine's first login; a rotated key is installed by `authorize` below.
        const keyPair = new aws.ec2.KeyPair(`${name}-key`, { publicKey: args.ssh.publicKey, tags }, { parent: this });

        const instance = new aws.ec2.Instance(
            `${name}-instance`,
            {
                ami: ami.id,
                instanceType: args.host.instanceType,
                subnetId: args.host.subnetId,
                availabilityZone: args.host.subnetId ? undefined : args.host.availabilityZone,
                vpcSecurityGroupIds: [securityGroup.id],
                keyName: keyPair.keyName,
                userData: cloudInit(),
                iamInstanceProfile: args.instanceProfileName,
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: args.instanceProfileName === undefined ? 1 : 2 },
                rootBlockDevice: { volumeType: "gp3", volumeSize: args.host.rootVolumeSizeGb ?? 20, encrypted: true, deleteOnTermination: true, tags },
                tags,
            },
            // A newer AMI or a rotated key must not replace a running host on an unrelated `up`.
            { parent: this, protect, ignoreChanges: ["ami", "keyName"] },
        );

        const eip = new aws.ec2.Eip(`${name}-ip`, { domain: "vpc", instance: instance.id, tags }, { parent: this });

        const localAddresses = args.localAddresses ?? interfaceAddresses;
        const dialled =
            (args.ssh.connectVia ?? defaultConnectVia(args.ssh.ingressCidrs ?? [])) === "public"
                ? eip.publicIp
                : pulumi.all([instance.privateIp, vpc.cidrBlock]).apply(([ip, cidr]) => {
                      const problem = privateDialProblem(name, ip, cidr, localAddresses());
                      if (problem) throw new Error(problem);
                      return ip;
                  });
        this.connection = {
            host: dialled,
            user: EC2_USER,
            privateKey: args.ssh.privateKey,
            // A new instance takes a minute or two to answer SSH; keep dialing instead of failing.
            dialErrorLimit: 60,
            perDialTimeout: 10,
        };
        const connection = this.connection;

        const ready = new remote.Command(`${name}-ready`, { connection, create: waitReadyCommand(), triggers: [instance.id] }, { parent: this, dependsOn: [eip] });
        // Ours are marked with the project and stack; during a rotation the key this command dials with stays
        // until sshPrivateKey is the new key too, so no command of the same `up` is locked out.
        const owner = `${pulumi.getProject()}:${pulumi.getStack()}`;
        const dialling = pulumi.unsecret(pulumi.output(args.ssh.privateKey).apply(publicKeyOfPrivateKey));
        const authorize = new remote.Command(
            `${name}-ssh-key`,
            { connection, create: dialling.apply((key) => authorizedKeysCommand({ install: args.ssh.publicKey, dialling: key, owner })), triggers: [instance.id] },
            { parent: this, dependsOn: [ready] },
        );
        this.ready = [ready, authorize];

        if (args.dataVolume) {
            const volume = new aws.ebs.Volume(
                `${name}-data`,
                { availabilityZone: zone, size: args.dataVolume.sizeGb, type: "gp3", encrypted: true, tags: { ...tags, Name: `${name}-data`, Purpose: "database" } },
                { parent: this, protect },
            );
            // A new instance gets the volume only after the old one let it go (a volume attaches to one instance).
            const attachment = new aws.ec2.VolumeAttachment(
                `${name}-data-attachment`,
                { deviceName: "/dev/sdf", volumeId: volume.id, instanceId: instance.id, stopInstanceBeforeDetaching: true },
                { parent: this, deleteBeforeReplace: true },
            );
            const mount = new remote.Command(
                `${name}-mount-data`,
                { connection, create: volume.id.apply(mountDataVolumeCommand), triggers: [instance.id, volume.id] },
                { parent: this, dependsOn: [ready, attachment] },
            );
            this.ready.push(mount);
            this.dataVolumeId = volume.id;
        }

        this.instanceId = instance.id;
        this.publicIp = eip.publicIp;
        this.privateIp = instance.privateIp;
        this.securityGroupId = securityGroup.id;
        this.url = eip.publicIp.apply((ip) => webUrl(ip, httpPort));
        this.registerOutputs({
            instanceId: this.instanceId,
            publicIp: this.publicIp,
            url: this.url,
            securityGroupId: this.securityGroupId,
            dataVolumeId: this.dataVolumeId,
        });
    }
}
