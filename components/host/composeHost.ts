import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import { remote, types } from "@pulumi/command";
import { isWorldCidr, parseCidr } from "../config/validate";
import { hashDirectory } from "../image/context";
import { DeployTarget, downCommand, renderEnvFile, rolloutCommand, settingsFingerprint, secretFilesInBundle, writePrivateFileCommand } from "./commands";

/** Canonical's AWS account: the only publisher of official Ubuntu AMIs. */
export const CANONICAL_OWNER_ID = "099720109477";
const REMOTE_HOME = "/home/ubuntu/gitlab-docker-delivery";

export interface ComposeHostArgs {
    readonly environment: "staging" | "production";
    /** The machine. */
    readonly host: {
        readonly instanceType: string;
        /** Root volume size in GiB (gp3, encrypted); defaults to 20. */
        readonly rootVolumeSizeGb?: number;
        /** Subnet; the default VPC's subnet in `availabilityZone` when absent. */
        readonly subnetId?: string;
        /** Pins the AZ so a replaced host can re-attach the data volume (used when no subnet is given). */
        readonly availabilityZone?: string;
        /** `arm64` for Graviton types; defaults to `amd64`. */
        readonly architecture?: "amd64" | "arm64";
        readonly tags?: Readonly<Record<string, string>>;
    };
    /** Who may reach port 22. Never the world: 0.0.0.0/0 and ::/0 are refused. */
    readonly ssh: {
        readonly publicKey: string;
        /** Secret. */
        readonly privateKey: pulumi.Input<string>;
        readonly ingressCidrs?: readonly string[];
        /** e.g. the runner's security group. */
        readonly ingressSecurityGroupIds?: pulumi.Input<pulumi.Input<string>[]>;
        /** Dial the Elastic IP (`public`) or the private IP from inside the VPC (`private`); defaults to public. */
        readonly connectVia?: "public" | "private";
    };
    /** Production: the database lives on its own EBS volume that outlives the host. */
    readonly dataVolume?: { readonly sizeGb: number };
    /** `protect: true` on the instance and the data volume. */
    readonly protect?: boolean;
    /** What runs on the host. */
    readonly deploy: {
        /** `<repository>@sha256:...`. */
        readonly imageRef: pulumi.Input<string>;
        readonly imageDigest: pulumi.Input<string>;
        /** The Compose bundle folder (app/deploy). */
        readonly bundleDir: string;
        /** Env file values (secret: contains POSTGRES_PASSWORD). */
        readonly env: pulumi.Input<Record<string, string>>;
        /** Pull credentials for the host (a read_registry deploy token). */
        readonly registry: { readonly address: pulumi.Input<string>; readonly username: pulumi.Input<string>; readonly password: pulumi.Input<string> };
    };
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
export function checkComposeHostArgs(args: ComposeHostArgs): Record<string, never> {
    validateSshIngress(args.ssh.ingressCidrs ?? []);
    const leaked = secretFilesInBundle(args.deploy.bundleDir);
    if (leaked.length > 0) throw new Error(`[deploy.bundleDir] contains secret files (${leaked.join(", ")}); the bundle is shipped to hosts as is`);
    if (args.dataVolume !== undefined && (!Number.isInteger(args.dataVolume.sizeGb) || args.dataVolume.sizeGb < 1)) {
        throw new Error(`[dataVolume.sizeGb] must be a whole number of GiB, at least 1 (got ${args.dataVolume.sizeGb})`);
    }
    return {};
}

/**
 * Where `CopyToRemote` puts a local directory: the official command provider copies it INTO `remotePath`
 * (`remotePath/<dirname>/...`), also when `remotePath` does not exist yet (measured with 1.2.1 over real SSH).
 */
export function copiedDirectoryPath(remotePath: string, localDir: string): string {
    return `${remotePath.replace(/\/+$/, "")}/${path.basename(path.resolve(localDir))}`;
}

/** cloud-init for Ubuntu LTS: Docker Engine and the Compose v2 plugin from Ubuntu's archive. No secrets. */
export function cloudInit(): string {
    return [
        "#cloud-config",
        "package_update: true",
        "packages:",
        "  - docker.io",
        "  - docker-compose-v2",
        "runcmd:",
        "  - systemctl enable --now docker",
        "  - usermod -aG docker ubuntu",
        "",
    ].join("\n");
}

/** Waits for cloud-init (exit 2 = finished with recoverable warnings) and checks Docker + Compose. */
export function waitReadyCommand(): string {
    return [
        "set -eu",
        "status=0; cloud-init status --wait >/dev/null || status=$?",
        'if [ "$status" -ne 0 ] && [ "$status" -ne 2 ]; then echo "ERROR: cloud-init failed with status $status" >&2; exit 1; fi',
        // sudo: this SSH session began before cloud-init added ubuntu to the docker group; later sessions have it.
        "sudo docker version --format 'docker {{.Server.Version}}' && sudo docker compose version",
        `mkdir -p ${REMOTE_HOME}/bundles`,
    ].join("\n");
}

/**
 * Formats the data volume only when it holds no filesystem, then mounts it where Docker keeps named
 * volumes, so the database volume lives on it and survives a host replacement.
 */
export function mountDataVolumeCommand(volumeId: string): string {
    const serial = volumeId.replace("-", "");
    return [
        "set -eu",
        `device=/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${serial}`,
        'for i in $(seq 1 60); do [ -e "$device" ] && break; [ -e /dev/xvdf ] && device=/dev/xvdf && break; sleep 2; done',
        '[ -e "$device" ] || { echo "ERROR: data volume ' + volumeId + ' is not attached" >&2; exit 1; }',
        'if mountpoint -q /var/lib/docker/volumes; then echo "data volume already mounted"; exit 0; fi',
        'sudo blkid "$device" >/dev/null || sudo mkfs.ext4 -q -L dockerdata "$device"',
        "sudo systemctl stop docker.socket docker",
        "sudo mkdir -p /var/lib/docker/volumes",
        `grep -q 'LABEL=dockerdata' /etc/fstab || echo 'LABEL=dockerdata /var/lib/docker/volumes ext4 defaults,nofail 0 2' | sudo tee -a /etc/fstab >/dev/null`,
        "sudo mount /var/lib/docker/volumes",
        "sudo systemctl start docker",
        'echo "data volume mounted on /var/lib/docker/volumes"',
    ].join("\n");
}

/**
 * An EC2 host running the app's Compose stack: Ubuntu LTS (looked up), Elastic IP, 80/443 open,
 * SSH only from chosen sources, IMDSv2, encrypted gp3, Docker from cloud-init; then the bundle,
 * a 0600 env file and the deploy program, re-run when the image digest or the bundle changes.
 */
export class ComposeHost extends pulumi.ComponentResource {
    readonly instanceId: pulumi.Output<string>;
    readonly publicIp: pulumi.Output<string>;
    readonly privateIp: pulumi.Output<string>;
    readonly url: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly dataVolumeId?: pulumi.Output<string>;
    readonly deployedImage: pulumi.Output<string>;

    constructor(name: string, args: ComposeHostArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked inside the super call so that bad arguments register nothing, not even the component.
        super("cicd:host:ComposeHost", name, checkComposeHostArgs(args), opts);

        const ingressCidrs = args.ssh.ingressCidrs ?? [];

        const architecture = args.host.architecture ?? "amd64";
        const rootVolumeSizeGb = args.host.rootVolumeSizeGb ?? 20;
        const connectVia = args.ssh.connectVia ?? "public";
        const protect = args.protect ?? false;
        const tags = { ...(args.host.tags ?? {}), Name: name, Environment: args.environment };
        const bundleHash = hashDirectory(args.deploy.bundleDir);
        const project = `gitlab-docker-delivery-${args.environment}`;

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
        const vpcId = args.host.subnetId
            ? aws.ec2.getSubnetOutput({ id: args.host.subnetId }, { parent: this }).vpcId
            : aws.ec2.getVpcOutput({ default: true }, { parent: this }).id;

        const ingress: aws.types.input.ec2.SecurityGroupIngress[] = [
            { description: "HTTP", protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
            { description: "HTTPS", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] },
        ];
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
                vpcId,
                ingress,
                egress: [{ description: "Image pulls and updates", protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }],
                tags,
            },
            { parent: this },
        );

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
                metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", httpPutResponseHopLimit: 1 },
                rootBlockDevice: { volumeType: "gp3", volumeSize: rootVolumeSizeGb, encrypted: true, deleteOnTermination: true, tags },
                tags,
            },
            // A newer AMI must not replace a running host on an unrelated `up`.
            { parent: this, protect, ignoreChanges: ["ami"] },
        );

        const eip = new aws.ec2.Eip(`${name}-ip`, { domain: "vpc", instance: instance.id, tags }, { parent: this });

        const connection: types.input.remote.ConnectionArgs = {
            host: connectVia === "public" ? eip.publicIp : instance.privateIp,
            user: "ubuntu",
            privateKey: args.ssh.privateKey,
            // A new instance takes a minute or two to answer SSH; keep dialing instead of failing.
            dialErrorLimit: 60,
            perDialTimeout: 10,
        };

        const ready = new remote.Command(
            `${name}-ready`,
            { connection, create: waitReadyCommand(), triggers: [instance.id] },
            { parent: this, dependsOn: [eip] },
        );

        const beforeDeploy: pulumi.Resource[] = [ready];
        if (args.dataVolume) {
            const volume = new aws.ebs.Volume(
                `${name}-data`,
                {
                    availabilityZone: instance.availabilityZone,
                    size: args.dataVolume.sizeGb,
                    type: "gp3",
                    encrypted: true,
                    tags: { ...tags, Name: `${name}-data`, Purpose: "database" },
                },
                { parent: this, protect },
            );
            const attachment = new aws.ec2.VolumeAttachment(
                `${name}-data-attachment`,
                { deviceName: "/dev/sdf", volumeId: volume.id, instanceId: instance.id, stopInstanceBeforeDetaching: true },
                { parent: this },
            );
            const mount = new remote.Command(
                `${name}-mount-data`,
                { connection, create: volume.id.apply(mountDataVolumeCommand), triggers: [instance.id, volume.id] },
                { parent: this, dependsOn: [ready, attachment] },
            );
            beforeDeploy.push(mount);
            this.dataVolumeId = volume.id;
        }

        const bundlePath = `${REMOTE_HOME}/bundles/${bundleHash.slice(0, 16)}`;
        const bundleDir = copiedDirectoryPath(bundlePath, args.deploy.bundleDir);
        const bundle = new remote.CopyToRemote(
            `${name}-bundle`,
            { connection, source: new pulumi.asset.FileArchive(args.deploy.bundleDir), remotePath: bundlePath, triggers: [bundleHash, instance.id] },
            { parent: this, dependsOn: [ready] },
        );

        const envFile = `${REMOTE_HOME}/${args.environment}.env`;
        const envContent = pulumi.secret(pulumi.output(args.deploy.env).apply((env) => renderEnvFile(env)));
        const writeEnv = new remote.Command(
            `${name}-env`,
            { connection, create: writePrivateFileCommand(envFile), stdin: envContent, logging: "none", triggers: [instance.id] },
            { parent: this, dependsOn: [ready], additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
        );

        const credentialsFile = `${REMOTE_HOME}/registry.env`;
        const credentials = pulumi.secret(
            pulumi
                .all([args.deploy.registry.address, args.deploy.registry.username, args.deploy.registry.password])
                .apply(([address, username, password]) => renderEnvFile({ REGISTRY: address, REGISTRY_USER: username, REGISTRY_PASSWORD: password })),
        );
        const writeCredentials = new remote.Command(
            `${name}-registry-credentials`,
            { connection, create: writePrivateFileCommand(credentialsFile), stdin: credentials, logging: "none", triggers: [instance.id] },
            { parent: this, dependsOn: [ready], additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
        );

        const target: DeployTarget = { bundleDir, environment: args.environment, envFile, project, credentialsFile, stateDir: `${REMOTE_HOME}/state` };
        // A new digest, bundle or host changes the command text: an in-place update running the same
        // gated rollout (a changed trigger would replace the command and run the old one's `down`).
        // Only the non-secret settings are fingerprinted; unsecret is safe because the password is left out.
        const settings = pulumi.unsecret(pulumi.output(args.deploy.env).apply((env) => settingsFingerprint(env)));
        const stateDir = `${REMOTE_HOME}/state`;
        const rollout = pulumi
            .all([args.deploy.imageRef, args.deploy.imageDigest, instance.id, settings])
            .apply(([ref, digest, instanceId, fp]) =>
                rolloutCommand({ ...target, stateDir }, ref, fp, { image: digest, bundle: bundleHash.slice(0, 16), host: instanceId }),
            );
        const deploy = new remote.Command(
            `${name}-deploy`,
            {
                connection,
                create: rollout,
                update: rollout,
                // Staging stops its stack with the host; production keeps everything (and is protected).
                delete: args.environment === "staging" ? downCommand(target, false) : undefined,
            },
            // Only a changed connection replaces the command; its `down` must then run before the new deploy, not after.
            { parent: this, dependsOn: [...beforeDeploy, bundle, writeEnv, writeCredentials], deleteBeforeReplace: true },
        );

        this.instanceId = instance.id;
        this.publicIp = eip.publicIp;
        this.privateIp = instance.privateIp;
        this.securityGroupId = securityGroup.id;
        this.url = pulumi.interpolate`http://${eip.publicIp}`;
        // From the deploy's id, not its stdout, which the provider marks secret (its connection holds the key).
        this.deployedImage = pulumi.all([deploy.id, args.deploy.imageRef]).apply(([, ref]) => ref);
        this.registerOutputs({
            instanceId: this.instanceId,
            publicIp: this.publicIp,
            url: this.url,
            securityGroupId: this.securityGroupId,
            dataVolumeId: this.dataVolumeId,
            deployedImage: this.deployedImage,
        });
    }
}
