import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { local } from "@pulumi/command";
import { hashDirectory } from "../image/context";
import { DeployTarget, downCommand, hostComposeProject, removeFileCommand, rolloutCommand, settingsFingerprint, shellQuote, renderEnvFile, secretFilesInBundle, writePrivateFileCommand } from "./commands";
import { StackSecrets, stackEnv } from "./envFile";
import { backupDbImage, backupInitCommand } from "../backup/hostFiles";

export interface LocalTargetArgs {
    /** The Compose bundle (app/deploy), used in place. */
    readonly bundleDir: string;
    /** Folder for this stack's env file (created 0700 by umask). */
    readonly stateDir: string;
    /** Image to run (an immutable tag or digest reference) and its id, which triggers redeploys. */
    readonly image: { readonly ref: pulumi.Input<string>; readonly id: pulumi.Input<string> };
    /** Port nginx publishes on 127.0.0.1; defaults to 8080. With `httpsPort` it only redirects. */
    readonly httpPort?: number;
    /** HTTPS on 127.0.0.1 for localhost, with a certificate from a CA the stack makes on this machine. */
    readonly httpsPort?: number;
    /** Compose project name; defaults to the one deploy.sh assumes for local (`gitlab-docker-delivery-local`). */
    readonly composeProject?: string;
    /** Database password (secret); generated once and kept in state when absent. */
    readonly dbPassword?: pulumi.Input<string>;
    /** Base images for the db and proxy services (POSTGRES_IMAGE, NGINX_IMAGE). */
    readonly composeImages?: { readonly postgres?: string; readonly nginx?: string; readonly acme?: string };
    /** `pulumi destroy` also removes the database volume; defaults to true (local data is disposable). */
    readonly removeVolumesOnDelete?: boolean;
    /**
     * pgBackRest to the bundle's local repository (postgres/backup/pgbackrest.conf, an encrypted `backup-repo` volume):
     * archiving from the deploy on, the stanza made by `backup.sh init`; backups are taken by hand (docs/backups.md).
     */
    readonly backup?: boolean;
}

/** Prints 48 random hex characters (POSIX tools only; no `openssl` needed). */
export const GENERATE_PASSWORD_COMMAND = "head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \\n'";

/** Stand-ins for the fingerprint, which reads only the non-secret settings. */
const NO_SECRETS: StackSecrets = { postgresPassword: "", appDbPassword: "", apiWriteToken: "" };

/** The local env file's values: the stack's (shared with the remote stacks) plus loopback web settings and the local CA. */
function envValues(secrets: StackSecrets, httpPort: number, images: LocalTargetArgs["composeImages"], httpsPort?: number): Record<string, string> {
    const tls: Record<string, string> = httpsPort === undefined ? {} : { HTTPS_PORT: String(httpsPort), TLS_DOMAINS: "localhost", TLS_ISSUER: "local-ca" };
    // The ACME image only runs with TLS (it is the local CA), so without TLS it stays out of the file.
    const stackImages = { postgres: images?.postgres, nginx: images?.nginx, acme: httpsPort === undefined ? undefined : images?.acme };
    return { ...stackEnv(secrets, stackImages), ...tls, HTTP_BIND: "127.0.0.1", HTTP_PORT: String(httpPort) };
}

/** Refuses a bundle that holds secret files; returns {} so it can run before the component registers. */
function checkBundle(bundleDir: string): Record<string, never> {
    const leaked = secretFilesInBundle(bundleDir);
    if (leaked.length > 0) {
        throw new Error(`[bundleDir] ${bundleDir} contains secret files (${leaked.join(", ")}); move them out: the bundle is shipped to hosts as is`);
    }
    return {};
}

/**
 * The Compose stack on this machine's Docker engine, driven by the same deploy program the hosts
 * run, through `local.Command` only (the local stack needs no provider but `command`).
 */
export class LocalTarget extends pulumi.ComponentResource {
    readonly url: pulumi.Output<string>;
    readonly envFile: string;
    readonly composeProject: string;
    /** The image the deploy command rolled out. */
    readonly deployedImage: pulumi.Output<string>;
    /** The bearer token writes to the API need (secret). */
    readonly apiWriteToken: pulumi.Output<string>;
    /** With `httpsPort`: the local CA's certificate, to trust (`curl --cacert`). */
    readonly caFile?: pulumi.Output<string>;

    constructor(name: string, args: LocalTargetArgs, opts?: pulumi.ComponentResourceOptions) {
        // Checked inside the super call so that a bad bundle registers nothing, not even the component.
        super("cicd:host:LocalTarget", name, checkBundle(path.resolve(args.bundleDir)), opts);

        const httpPort = args.httpPort ?? 8080;
        const composeProject = args.composeProject ?? hostComposeProject("local");
        const removeVolumesOnDelete = args.removeVolumesOnDelete ?? true;
        const bundleDir = path.resolve(args.bundleDir);
        const stateDir = path.resolve(args.stateDir);

        const bundleHash = hashDirectory(bundleDir);
        this.composeProject = composeProject;
        this.envFile = path.join(stateDir, "local.env");

        // The password is made once (create runs only on creation) and then lives only in the state,
        // encrypted: stdout is a secret output and logging is off, so it never reaches the console.
        const dbPassword: pulumi.Output<string> =
            args.dbPassword !== undefined
                ? pulumi.secret(args.dbPassword)
                : pulumi.secret(
                      new local.Command(
                          `${name}-db-password`,
                          {
                              create: GENERATE_PASSWORD_COMMAND,
                              logging: "none",
                          },
                          { parent: this, additionalSecretOutputs: ["stdout", "stderr"] },
                      ).stdout,
                  );

        // Made like the superuser's password: once, kept only encrypted in the state.
        const generated = (suffix: string) => pulumi.secret(
            new local.Command(`${name}-${suffix}`, { create: GENERATE_PASSWORD_COMMAND, logging: "none" },
                { parent: this, additionalSecretOutputs: ["stdout", "stderr"] }).stdout,
        );
        const appDbPassword = generated("db-app-password");
        this.apiWriteToken = generated("api-write-token");
        // The repository key: made once, kept only encrypted in the state, in the 0600 env file on this machine.
        const backupEnv = args.backup
            ? generated("backup-cipher-pass").apply((pass): Record<string, string> => ({ BACKUP_ENABLED: "true", BACKUP_CIPHER_PASS: pass, BACKUP_DB_IMAGE: backupDbImage(args.composeImages?.postgres) }))
            : pulumi.output({} as Record<string, string>);
        const envContent = pulumi.secret(
            pulumi.all([dbPassword, appDbPassword, this.apiWriteToken, backupEnv]).apply(([password, appPassword, token, backup]) =>
                renderEnvFile({ ...envValues({ postgresPassword: password, appDbPassword: appPassword, apiWriteToken: token }, httpPort, args.composeImages, args.httpsPort), ...backup })),
        );

        const envFile = new local.Command(
            `${name}-env`,
            {
                create: writePrivateFileCommand(this.envFile),
                // Also drops deploy.sh's lock and release history: after a destroy nothing of the stack is left.
                delete: `${removeFileCommand(this.envFile)}; rm -rf ${shellQuote(path.join(stateDir, "deploy"))}`,
                stdin: envContent,
                logging: "none",
            },
            { parent: this, additionalSecretOutputs: ["stdin", "stdout", "stderr"] },
        );

        const deployState = { bundleDir, environment: "local" as const, envFile: this.envFile, composeProject, stateDir: path.join(stateDir, "deploy") };
        const target: DeployTarget = deployState;
        // A new image or bundle changes the command text: an in-place update running the same gated
        // rollout. (Triggers would replace the resource and run `down --volumes` first.)
        const settings = settingsFingerprint(envValues(NO_SECRETS, httpPort, args.composeImages, args.httpsPort));
        const rollout = pulumi
            .all([args.image.ref, args.image.id])
            .apply(([ref, id]) => rolloutCommand(deployState, ref, settings, { image: id, bundle: bundleHash.slice(0, 16) }));
        const deploy = new local.Command(
            `${name}-deploy`,
            {
                create: rollout,
                update: rollout,
                delete: downCommand(target, removeVolumesOnDelete),
            },
            { parent: this, dependsOn: [envFile], deleteBeforeReplace: true },
        );

        if (args.backup) {
            // Once the stack runs: the stanza in the local repository, and a check that archiving works. Later deploys
            // keep the backup settings themselves (BACKUP_ENABLED=true in the env file).
            new local.Command(`${name}-backup-init`, { create: backupInitCommand(deployState) }, { parent: this, dependsOn: [deploy] });
        }

        // Keyed on the deploy's id, not its stdout: a command with any secret input gets its stdout marked
        // secret by the provider, and a URL derived from it would show as [secret].
        this.deployedImage = pulumi.all([deploy.id, args.image.ref]).apply(([, ref]) => ref);
        this.url = deploy.id.apply(() => (args.httpsPort === undefined ? `http://127.0.0.1:${httpPort}` : `https://localhost:${args.httpsPort}`));
        if (args.httpsPort !== undefined) {
            // The CA's certificate (never its key) where browsers and curl can be told to trust it.
            const caFile = path.join(stateDir, "local-ca.pem");
            const acme = `$(docker ps -q --filter label=com.docker.compose.project=${shellQuote(composeProject)} --filter label=com.docker.compose.service=acme | head -n 1)`;
            const exportCa = new local.Command(
                `${name}-ca`,
                { create: `set -eu; docker exec "${acme}" cat /tls/ca.pem > ${shellQuote(caFile)}`, triggers: [deploy.id], delete: removeFileCommand(caFile) },
                { parent: this, dependsOn: [deploy] },
            );
            this.caFile = exportCa.id.apply(() => caFile);
        }
        this.registerOutputs({ url: this.url, caFile: this.caFile, deployedImage: this.deployedImage, envFile: this.envFile, apiWriteToken: this.apiWriteToken });
    }
}
