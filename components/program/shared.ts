// Wiring more than one stack shares: where the app's sources are, the GitLab and AWS providers, the secrets of an
// environment's env file, and the one deployment of the app onto a remote stack's hosts.
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import * as aws from "@pulumi/aws";
import * as gitlab from "@cicd/pulumi-gitlab";
import * as random from "@pulumi/random";
import { GitLabConfig, PULUMI_PROJECT, ProductionConfig, StagingConfig } from "../config";
import { DeploySettings, Ec2Settings, HostOutputs, deployToEc2, deployToHosts, remoteEnv } from "./hosts";

/** Stack outputs: plain values or Outputs (secrets stay secret Outputs). */
export type ProgramOutputs = Record<string, pulumi.Input<unknown>>;

export const appDir = (repoRoot: string) => path.join(repoRoot, "app");
export const bundleDir = (repoRoot: string) => path.join(repoRoot, "app", "deploy");

/** The GitLab provider every stack that talks to GitLab uses: explicit, with the stack's token kept secret. */
export function gitlabProvider(settings: GitLabConfig): gitlab.Provider {
    return new gitlab.Provider("gitlab", { baseUrl: settings.baseUrl, token: pulumi.secret(settings.token) });
}

/**
 * The AWS provider of a stack that creates AWS resources, with the tags every one of them carries. Only then: a
 * staging stack with `hosts` registers none, so it needs no AWS account, region or credentials.
 */
export function createAwsProvider(stack: string, region: string) {
    const tags = { Project: PULUMI_PROJECT, Stack: stack, ManagedBy: "pulumi" };
    return { tags, awsProvider: new aws.Provider("aws", { region: region as aws.Region, defaultTags: { tags } }) };
}

/** `https://gitlab.example.com/api/v4` → `https://gitlab.example.com` (what the runner registers against). */
export function gitlabWebUrl(apiUrl: string): string {
    return apiUrl.replace(/\/api\/v4\/?$/, "").replace(/\/$/, "");
}

export function registryHost(repository: string): string {
    return repository.split("/")[0];
}

/** A random secret of this environment, kept only encrypted in the state (48 letters and digits). */
function environmentSecret(environment: string, purpose: string): pulumi.Output<string> {
    return pulumi.secret(new random.RandomPassword(`${environment}-${purpose}`, { length: 48, special: false }).result);
}

function hostEnv(postgresPassword: pulumi.Output<string>, config: StagingConfig | ProductionConfig): pulumi.Output<Record<string, string>> {
    // The app's own database role and the bearer token writes need: one of each per environment.
    const appDbPassword = environmentSecret(config.environment, "db-app-password");
    const writeToken = environmentSecret(config.environment, "api-write-token");
    return pulumi.secret(
        pulumi
            .all([postgresPassword, appDbPassword, writeToken])
            .apply(([password, appPassword, token]) => remoteEnv({ postgresPassword: password, appDbPassword: appPassword, apiWriteToken: token }, config.baseImages)),
    );
}

/** What a remote stack deploys, and with which credentials its hosts pull it. */
export interface RemoteApp {
    readonly image: { readonly ref: pulumi.Input<string>; readonly digest: pulumi.Input<string> };
    /** The database superuser's password, kept in the environment's CI variables. */
    readonly postgresPassword: pulumi.Output<string>;
    /** The project's deploy token: read-only registry access for the hosts. */
    readonly pullCredentials: { readonly username: pulumi.Input<string>; readonly password: pulumi.Input<string> };
}

/** A remote stack's deployment: the stack outputs staging and prod both have, and the data volume (EC2 only). */
export interface RemoteAppOutputs {
    /** Where the app runs, what it runs, and the write token of its API (a secret output for its operators). */
    readonly outputs: Pick<HostOutputs, "url" | "tls" | "backup" | "hostAddress" | "rollbackCommands"> & {
        readonly imageRef: pulumi.Input<string>;
        readonly imageDigest: pulumi.Input<string>;
        readonly apiWriteToken: pulumi.Output<string>;
    };
    readonly dataVolumeId?: pulumi.Output<string>;
}

/**
 * The app of a remote stack onto its hosts: the `hosts` it lists, or the EC2 host it provisions (`ec2` is called
 * only then). Staging and prod deploy the same way; they differ only in the image and where the credentials live.
 */
export function deployRemoteApp(config: StagingConfig | ProductionConfig, repoRoot: string, app: RemoteApp, ec2: () => Ec2Settings): RemoteAppOutputs {
    const env = hostEnv(app.postgresPassword, config);
    const deploy: DeploySettings = {
        imageRef: app.image.ref,
        imageDigest: app.image.digest,
        bundleDir: bundleDir(repoRoot),
        env,
        tls: config.tls,
        registry: { address: registryHost(config.imageRepository), ...app.pullCredentials },
    };
    const hosts = config.host.hosts;
    const host = hosts !== undefined
        ? deployToHosts(config.environment, hosts, pulumi.secret(config.host.sshPrivateKey), deploy)
        : deployToEc2(config.environment, config.host, { ...ec2(), backup: config.backup }, deploy);
    return {
        outputs: {
            url: host.url,
            tls: host.tls,
            backup: host.backup,
            hostAddress: host.hostAddress,
            rollbackCommands: host.rollbackCommands,
            imageRef: app.image.ref,
            imageDigest: app.image.digest,
            apiWriteToken: pulumi.secret(env.apply((values) => values.API_WRITE_TOKEN)),
        },
        dataVolumeId: host.dataVolumeId,
    };
}
