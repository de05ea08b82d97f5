// The typed configuration that validation returns: one shape per environment, sharing the common parts.
import type { DeliveryConfig } from "./delivery";
import type { Platform } from "./keys";
import type { TlsConfig } from "./tls";
import type { BackupConfig } from "./backup";

/** Base images handed to the Dockerfile (build args) and to Compose (image variables). */
export interface BaseImages {
    /** Node + npm, for the deps/build stages (`BUILD_IMAGE`). */
    readonly build?: string;
    /** Node only, for the runtime stage (`RUNTIME_IMAGE`). */
    readonly runtime?: string;
    /** PostgreSQL (`POSTGRES_IMAGE`). */
    readonly postgres?: string;
    /** nginx (`NGINX_IMAGE`). */
    readonly nginx?: string;
    /** The ACME client with TLS on, certbot (`ACME_IMAGE`). */
    readonly acme?: string;
}

export interface ValidateOptions {
    /** Keys that were stored with `--secret` (without the project prefix). */
    readonly secretKeys?: ReadonlySet<string>;
    /** Used to check `buildCaFile`; injected so that validation stays pure. */
    readonly fileExists?: (path: string) => boolean;
    /** Values the CI job provides when config leaves them unset (`CI_COMMIT_SHA`, `CI_REGISTRY_USER`, ...). */
    readonly env?: Readonly<Record<string, string | undefined>>;
    /** Default for `appVersion` (app/package.json). */
    readonly defaultAppVersion?: string;
    /** Default for `stateDir` of the local stack. */
    readonly defaultStateDir?: string;
    /** Pulumi organization, for the default stack references. */
    readonly organization?: string;
}

export interface CommonConfig {
    readonly stack: string;
    readonly appVersion: string;
    /** Full or short git sha the image is built from; empty on the local stack when unknown. */
    readonly gitCommit: string;
    readonly baseImages: BaseImages;
    /** CA bundle passed to the build as a BuildKit secret (`id=ca`); never a layer or build arg. */
    readonly buildCaFile?: string;
}

export interface LocalConfig extends CommonConfig {
    readonly environment: "local";
    /** A personal sandbox GitLab project; only when `gitlabToken` is set on the stack. */
    readonly gitlab?: SandboxGitLabConfig;
    readonly httpPort: number;
    /** HTTPS on 127.0.0.1 with a certificate from a CA made on this machine; undefined: HTTP only. */
    readonly httpsPort?: number;
    /** Compose project name, so two local stacks (a test's and yours) never share containers. */
    readonly composeProject: string;
    readonly stateDir: string;
    /** Optional fixed database password (plain here, wrapped as a secret by the loader). */
    readonly dbPassword?: string;
    /** pgBackRest to a local repository (components/config/backup.ts). */
    readonly backup: BackupConfig;
}

/** A machine you already have, reached over SSH (the `hosts` host source). */
export interface SshHostConfig {
    readonly address: string;
    readonly port: number;
    readonly user: string;
    /** The host's public key (`ssh-ed25519 AAAA...`), from its known_hosts line: the deploy verifies it. */
    readonly hostKey: string;
}

export interface HostConfig {
    /** Set: deploy to these machines over SSH and provision none (the EC2 keys below are not used). */
    readonly hosts?: readonly SshHostConfig[];
    readonly instanceType: string;
    readonly rootVolumeSizeGb: number;
    readonly sshIngressCidrs: readonly string[];
    readonly sshPublicKey: string;
    readonly sshPrivateKey: string;
    /** Address the deploy commands dial: the Elastic IP, or the private IP from inside the VPC (runner). */
    readonly sshConnectVia: "public" | "private";
    readonly subnetId?: string;
}

export interface GitLabConfig {
    readonly baseUrl: string;
    readonly token: string;
}

/** The local stack's optional sandbox project: the provider settings plus where the project goes. */
export interface SandboxGitLabConfig extends GitLabConfig {
    /** Display name; its GitLab path is the same name. */
    readonly projectName: string;
    /** Group to create it in; the token owner's personal namespace when unset. */
    readonly namespaceId?: number;
}

export interface RemoteCommon extends CommonConfig {
    readonly host: HostConfig;
    readonly gitlab: GitLabConfig;
    /** Registry repository without tag, e.g. registry.gitlab.com/acme/gitlab-docker-delivery. */
    readonly imageRepository: string;
    readonly platforms: readonly Platform[];
    readonly registryUsername: string;
    readonly registryPassword: string;
    /** HTTPS with an ACME certificate (components/config/tls.ts); undefined: plain HTTP. */
    readonly tls?: TlsConfig;
    /** pgBackRest to the stack's bucket (components/config/backup.ts). */
    readonly backup: BackupConfig;
}

export interface StagingConfig extends RemoteCommon {
    readonly environment: "staging";
    /** Set whenever staging provisions its EC2 host; unset with `hosts`, where staging creates nothing on AWS. */
    readonly awsRegion?: string;
    /** Stack that owns the project-level GitLab resources (read through a StackReference). */
    readonly projectStack: string;
}

export interface ProductionConfig extends RemoteCommon {
    readonly environment: "production";
    /** Always set: the runners and the CI roles live on AWS, also when `hosts` replaces the EC2 host. */
    readonly awsRegion: string;
    /** GitLab tier, approvals, CI roles, runner AMI (components/config/delivery.ts). */
    readonly delivery: DeliveryConfig;
    readonly dataVolumeSizeGb: number;
    /** `protect: true` on the instance and the database volume. Turning it off is deliberate. */
    readonly protectData: boolean;
    /** Explicit digest to deploy; otherwise the staging stack's `imageRef`. */
    readonly imageRef?: string;
    readonly stagingStack: string;
    /** First `up` before any image exists: GitLab resources only, no hosts. */
    readonly bootstrap: boolean;
    readonly gitlabNamespaceId?: number;
    readonly productionApprovals: number;
    readonly runnerInstanceType: string;
}

export type ProgramConfig = LocalConfig | StagingConfig | ProductionConfig;
