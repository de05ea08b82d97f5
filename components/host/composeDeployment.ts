import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { remote, types } from "@pulumi/command";
import { hashDirectory } from "../image/context";
import { DeployTarget, downCommand, hostComposeProject, hostHome, renderEnvFile, rolloutCommand, secretFilesInBundle, settingsFingerprint, switchCommand, writePrivateFileCommand } from "./commands";
import { DEFAULT_HTTP_PORT, TlsSite, WEB_ENV_KEYS, webEnv, webPortProblems } from "./webPorts";

/** One machine to deploy to over SSH. */
export interface DeploymentHost {
    /** Names this host's resources; unique within the deployment (letters, digits, `-`). */
    readonly name: string;
    /** Names the host in ERROR lines, e.g. `deploy@192.0.2.10:22`. */
    readonly label: string;
    /** The SSH user; its home holds the deploy folder (see `hostHome`). */
    readonly user: string;
    readonly connection: types.input.remote.ConnectionArgs;
    /** Identity of the machine (an instance id): a new machine gets the bundle and the secret files again. */
    readonly machineId?: pulumi.Input<string>;
    /** What must be done on the machine before anything is copied (cloud-init, a mounted data volume). */
    readonly dependsOn?: pulumi.Resource[];
}

export interface ComposeDeploymentArgs {
    readonly environment: "staging" | "production";
    /** One host deploys in one step; several deploy in two phases (every host gated, then every host switched). */
    readonly hosts: readonly DeploymentHost[];
    /** `<repository>@sha256:...`. */
    readonly imageRef: pulumi.Input<string>;
    readonly imageDigest: pulumi.Input<string>;
    /** The Compose bundle folder (app/deploy). */
    readonly bundleDir: string;
    /** Env file values (secret: contains POSTGRES_PASSWORD). The web settings (WEB_ENV_KEYS) come from the ports and `tls`. */
    readonly env: pulumi.Input<Record<string, string>>;
    /** Pull credentials for the hosts (a read_registry deploy token). */
    readonly registry: { readonly address: pulumi.Input<string>; readonly username: pulumi.Input<string>; readonly password: pulumi.Input<string> };
    /** The one owner of the web port: nginx publishes it; the host's firewall and URL derive from the same value. */
    readonly httpPort?: number;
    /** HTTPS: nginx serves `httpsPort` (default 443) with an ACME certificate for these names, and HTTP only redirects. */
    readonly tls?: TlsSite;
    /** Only with `tls`. */
    readonly httpsPort?: number;
    /** Seconds the new replicas have to answer /ready (deploy.sh's DEPLOY_READY_TIMEOUT); defaults to 120. */
    readonly readyTimeoutSeconds?: number;
    /** `deploy.sh down` (volumes kept) when the deployment is deleted; defaults to true for staging only. */
    readonly stopOnDelete?: boolean;
}

/** Every plain-argument check, before anything registers; returns {} for the super call. */
export function checkComposeDeploymentArgs(args: ComposeDeploymentArgs): Record<string, never> {
    const problems: string[] = [];
    if (args.hosts.length === 0) problems.push("[hosts] lists no host to deploy to");
    const names = args.hosts.map((h) => h.name);
    names.forEach((name, i) => {
        if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) problems.push(`[hosts[${i}].name] "${name}" must be lowercase letters, digits and "-"`);
        if (names.indexOf(name) !== i) problems.push(`[hosts[${i}].name] "${name}" is used twice`);
    });
    problems.push(...webPortProblems(args.httpPort ?? DEFAULT_HTTP_PORT, args.httpsPort, args.tls));
    const timeout = args.readyTimeoutSeconds ?? 120;
    if (!Number.isInteger(timeout) || timeout < 1) problems.push(`[readyTimeoutSeconds] must be a whole number of seconds (got ${timeout})`);
    const leaked = secretFilesInBundle(args.bundleDir);
    if (leaked.length > 0) problems.push(`[bundleDir] contains secret files (${leaked.join(", ")}); the bundle is shipped to hosts as is`);
    if (problems.length > 0) throw new Error(problems.join("; "));
    return {};
}

/**
 * Where `CopyToRemote` puts a local directory: the official command provider copies it INTO `remotePath`
 * (`remotePath/<dirname>/...`), also when `remotePath` does not exist yet (measured with 1.2.1 over real SSH).
 */
export function copiedDirectoryPath(remotePath: string, localDir: string): string {
    return `${remotePath.replace(/\/+$/, "")}/${path.basename(path.resolve(localDir))}`;
}

/** The env file values with the web settings owned here: one set in `env` would be a second owner. */
function envWithWeb(env: Record<string, string>, web: Record<string, string>): Record<string, string> {
    for (const owned of WEB_ENV_KEYS) {
        if (owned in env) throw new Error(`[env.${owned}] is set by ComposeDeployment from httpPort, httpsPort and tls; remove it from env`);
    }
    return { ...env, ...web };
}

/**
 * Deploys the app's Compose stack to hosts over SSH: the bundle, a 0600 env file and a 0600 registry
 * credentials file per host, then the gated rollout of `imageRef`. With several hosts, every host first
 * starts and gates the new version (`deploy.sh prepare`, in parallel); only when all passed does each host
 * switch (`deploy.sh switch`). One host failing its gate leaves every host on the old version.
 */
export class ComposeDeployment extends pulumi.ComponentResource {
    /** The image the hosts run, once the rollout succeeded. */
    readonly deployedImage: pulumi.Output<string>;
    /** Per host (by label): how to roll back by hand there. */
    readonly rollbackCommands: pulumi.Output<Record<string, string>>;
    /** Per host (by name): where its bundle, env file, project and state are, for commands run beside deploy.sh. */
    readonly targets: Readonly<Record<string, DeployTarget & { readonly stateDir: string }>>;

    constructor(name: string, args: ComposeDeploymentArgs, opts?: pulumi.ComponentResourceOptions) {
        super("cicd:host:ComposeDeployment", name, checkComposeDeploymentArgs(args), opts);

        const httpPort = args.httpPort ?? DEFAULT_HTTP_PORT;
        const stopOnDelete = args.stopOnDelete ?? args.environment === "staging";
        const bundleHash = hashDirectory(args.bundleDir);
        const web = webEnv(httpPort, args.tls, args.httpsPort);
        const env = pulumi.output(args.env).apply((values) => envWithWeb(values, web));
        const envContent = pulumi.secret(env.apply((values) => renderEnvFile(values)));
        const credentials = pulumi.secret(
            pulumi
                .all([args.registry.address, args.registry.username, args.registry.password])
                .apply(([address, username, password]) => renderEnvFile({ REGISTRY: address, REGISTRY_USER: username, REGISTRY_PASSWORD: password })),
        );
        // Only the non-secret settings are fingerprinted; unsecret is safe because the password is left out.
        const settings = pulumi.unsecret(env.apply((values) => settingsFingerprint(values)));
        const twoPhase = args.hosts.length > 1;
        const rollouts: remote.Command[] = [];
        const switches: { host: DeploymentHost; target: DeployTarget; prefix: string; revision: pulumi.Output<Record<string, string>> }[] = [];
        const rollbackCommands: Record<string, string> = {};
        const targets: Record<string, DeployTarget & { readonly stateDir: string }> = {};

        for (const host of args.hosts) {
            const prefix = twoPhase ? `${name}-${host.name}` : name;
            const home = hostHome(host.user);
            const connection = host.connection;
            const replaceOn = host.machineId === undefined ? undefined : [host.machineId];
            const folder = new remote.Command(
                `${prefix}-folder`,
                { connection, create: `set -eu; mkdir -p ${home}/bundles ${home}/state`, triggers: replaceOn },
                { parent: this, dependsOn: host.dependsOn },
            );
            // CopyToRemote fails when remotePath's parent is missing, and lands the folder one level down.
            const bundlePath = `${home}/bundles/${bundleHash.slice(0, 16)}`;
            const bundle = new remote.CopyToRemote(
                `${prefix}-bundle`,
                { connection, source: new pulumi.asset.FileArchive(args.bundleDir), remotePath: bundlePath, triggers: [bundleHash, ...(replaceOn ?? [])] },
                { parent: this, dependsOn: [folder] },
            );
            const envFile = `${home}/${args.environment}.env`;
            const writeEnv = new remote.Command(
                `${prefix}-env`,
                { connection, create: writePrivateFileCommand(envFile), stdin: envContent, logging: "none", triggers: replaceOn },
                { parent: this, dependsOn: [folder], additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
            );
            const credentialsFile = `${home}/registry.env`;
            const writeCredentials = new remote.Command(
                `${prefix}-registry-credentials`,
                { connection, create: writePrivateFileCommand(credentialsFile), stdin: credentials, logging: "none", triggers: replaceOn },
                { parent: this, dependsOn: [folder], additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
            );

            const stateDir = `${home}/state`;
            const target: DeployTarget & { stateDir: string } = {
                bundleDir: copiedDirectoryPath(bundlePath, args.bundleDir),
                environment: args.environment,
                envFile,
                composeProject: hostComposeProject(args.environment),
                credentialsFile,
                stateDir,
                hostLabel: twoPhase ? host.label : undefined,
            };
            rollbackCommands[host.label] = `bash ${target.bundleDir}/deploy.sh rollback --env ${args.environment}`;
            targets[host.name] = target;
            // A new digest, bundle or host changes the command text: an in-place update running the same gated
            // rollout (a changed trigger would replace the command and run the old one's `down`).
            const revision = pulumi
                .all([args.imageDigest, pulumi.output(host.machineId ?? host.label)])
                .apply(([digest, machine]): Record<string, string> => ({ image: digest, bundle: bundleHash.slice(0, 16), host: machine }));
            const timeout = args.readyTimeoutSeconds === undefined ? "" : `export DEPLOY_READY_TIMEOUT=${args.readyTimeoutSeconds}; `;
            const rollout = pulumi
                .all([args.imageRef, settings, revision])
                .apply(([ref, fp, rev]) => rolloutCommand(target, ref, fp, rev, twoPhase ? "prepare" : "deploy").replace(/^set -eu; /, `set -eu; ${timeout}`));
            const dependsOn = [...(host.dependsOn ?? []), bundle, writeEnv, writeCredentials];
            const down = stopOnDelete ? downCommand(target, false) : undefined;
            rollouts.push(
                new remote.Command(
                    `${prefix}-${twoPhase ? "prepare" : "deploy"}`,
                    { connection, create: rollout, update: rollout, delete: twoPhase ? undefined : down },
                    // Only a changed connection replaces the command; its `down` must then run before the new deploy, not after.
                    { parent: this, dependsOn, deleteBeforeReplace: true },
                ),
            );
            switches.push({ host, target, prefix, revision });
        }

        const finals: remote.Command[] = twoPhase
            ? switches.map(({ host, target, prefix, revision }) => {
                  const command = pulumi.all([args.imageRef, revision]).apply(([ref, rev]) => switchCommand(target, ref, rev));
                  return new remote.Command(
                      `${prefix}-switch`,
                      {
                          connection: host.connection,
                          create: command,
                          update: command,
                          delete: stopOnDelete ? downCommand(target, false) : undefined,
                      },
                      // Every host's gate first: one failed prepare stops every switch.
                      { parent: this, dependsOn: rollouts, deleteBeforeReplace: true },
                  );
              })
            : rollouts;

        // From the commands' ids, not their stdout, which the provider marks secret (the connection holds the key).
        this.deployedImage = pulumi.all([...finals.map((c) => c.id), pulumi.output(args.imageRef)]).apply((values) => String(values[values.length - 1]));
        this.rollbackCommands = pulumi.output(rollbackCommands);
        this.targets = targets;
        this.registerOutputs({ deployedImage: this.deployedImage, rollbackCommands: this.rollbackCommands });
    }
}
