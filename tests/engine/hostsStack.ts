import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack, UpResult } from "@pulumi/pulumi/automation";
import { DockerCleanup } from "../support/docker";
import { SimHost, SimLab } from "../support/simHosts";
import { sharedAppImage, versionImage } from "../deploy/stack";
import { Engine, REPO_ROOT, run, standInImages } from "./harness";

// A stack whose `hosts` are simulated hosts (tests/support/simHosts.ts), driven through the real engine with the
// Automation API: file backend and PULUMI_HOME in a temp folder, the image in the lab's authenticated registry.
// The program is components/program/hosts.ts's `deployToHosts`, the same call staging and prod make for `hosts`;
// the rest of those stacks (GitLab, docker-build, AWS) has no provider binary here (docs/engine.md).
// Shared by tests/engine/hosts-stack.test.ts and `npm run bench:hosts`.

export const ENVIRONMENT = "staging";
export const COMPOSE_PROJECT = `gitlab-docker-delivery-${ENVIRONMENT}`;
const PASSPHRASE = "hosts-engine-test-passphrase-not-a-secret-elsewhere";

function program(): string {
    const hostsModule = JSON.stringify(path.join(REPO_ROOT, "components", "program", "hosts"));
    const configModule = JSON.stringify(path.join(REPO_ROOT, "components", "config"));
    const bundleDir = JSON.stringify(path.join(REPO_ROOT, "app", "deploy"));
    return `import * as pulumi from "@pulumi/pulumi";
import { deployToHosts, remoteEnv } from ${hostsModule};
import { sshHostsFromConfig } from ${configModule};

const config = new pulumi.Config();
const imageRef = config.require("imageRef");
// TLS as the stacks' config gives it (components/config/tls.ts); the trust folder is how a private ACME CA's
// root reaches the ACME client (docs/tls.md), here Pebble's.
const domain = config.get("domain");
const tls = domain === undefined ? undefined : { domains: [domain], email: config.require("acmeEmail"), directoryUrl: config.require("acmeDirectoryUrl") };
const acmeTrustDir = config.get("acmeTrustDir");
const deployed = deployToHosts("${ENVIRONMENT}", sshHostsFromConfig(pulumi.getStack(), config.require("hosts")), config.requireSecret("sshPrivateKey"), {
    imageRef,
    imageDigest: imageRef.split("@")[1],
    bundleDir: ${bundleDir},
    env: pulumi
        .all([config.requireSecret("dbPassword"), config.requireSecret("appDbPassword"), config.requireSecret("apiWriteToken")])
        .apply(([postgresPassword, appDbPassword, apiWriteToken]) => ({
            ...remoteEnv({ postgresPassword, appDbPassword, apiWriteToken }, { postgres: config.require("postgresImage"), nginx: config.require("nginxImage"), acme: config.get("acmeImage") }),
            ...(acmeTrustDir === undefined ? {} : { ACME_TRUST_DIR: acmeTrustDir }),
        })),
    registry: { address: config.require("registryAddress"), username: config.require("registryUsername"), password: config.requireSecret("registryPassword") },
    readyTimeoutSeconds: config.getNumber("readyTimeoutSeconds"),
    tls,
});
export const url = deployed.url;
export const tlsStatus = deployed.tls;
export const hostAddress = deployed.hostAddress;
export const rollbackCommands = deployed.rollbackCommands;
`;
}

export interface HostsStackImages {
    readonly v1: string;
    readonly v2: string;
    /** A third release, for the rollout that one host's gate refuses. */
    readonly v3: string;
}

export class HostsStack {
    /** The values that must never appear in plain text anywhere. */
    readonly secrets: { readonly dbPassword: string; readonly appDbPassword: string; readonly apiWriteToken: string; readonly registryPassword: string; readonly privateKeyBody: string };
    readonly logs: string[] = [];

    private constructor(
        readonly lab: SimLab,
        readonly stack: Stack,
        readonly scratch: string,
        readonly backend: string,
        readonly images: HostsStackImages,
        private readonly cleanup: DockerCleanup,
        generated: { dbPassword: string; appDbPassword: string; apiWriteToken: string },
    ) {
        this.secrets = {
            ...generated,
            registryPassword: lab.registry!.password,
            privateKeyBody: lab.key.privateKey.split("\n")[1],
        };
    }

    get hosts(): SimHost[] {
        return this.lab.hosts;
    }

    /** A lab with `hostCount` hosts and a registry holding v1, v2, v3, postgres and nginx. */
    static async create(engine: Engine, options: { hostCount: number; prefix: string }): Promise<HostsStack> {
        const cleanup = new DockerCleanup();
        const lab = await SimLab.create({ prefix: options.prefix });
        try {
            const registry = await lab.startRegistry();
            // 443 too: the TLS tests reach each host's HTTPS port from here.
            await lab.startHosts(options.hostCount, { extraPorts: [443] });
            await sharedAppImage();
            const v1Local = await versionImage("v1", cleanup);
            const v2Local = await versionImage("v2", cleanup);
            const v3Local = await versionImage("v3", cleanup);
            const standIns = standInImages();
            const images = { v1: await lab.pushImage(v1Local, "app"), v2: await lab.pushImage(v2Local, "app"), v3: await lab.pushImage(v3Local, "app") };
            const postgresImage = await lab.pushImage(standIns.POSTGRES_IMAGE, "postgres");
            const nginxImage = await lab.pushImage(standIns.NGINX_IMAGE, "nginx");

            const scratch = fs.mkdtempSync(path.join(os.tmpdir(), `${options.prefix}-engine-`));
            const programDir = path.join(scratch, "program");
            const backend = path.join(scratch, "backend");
            const pulumiHome = path.join(scratch, "pulumi-home");
            fs.mkdirSync(programDir);
            fs.mkdirSync(backend);
            fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), "name: hosts-engine-test\nruntime:\n  name: nodejs\n  options:\n    typescript: true\n");
            fs.writeFileSync(path.join(programDir, "index.ts"), program());
            fs.copyFileSync(path.join(REPO_ROOT, "tsconfig.json"), path.join(programDir, "tsconfig.json"));
            fs.writeFileSync(path.join(programDir, "package.json"), JSON.stringify({ name: "hosts-engine-test", main: "index.ts" }));
            fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(programDir, "node_modules"));

            const envVars: Record<string, string> = {
                PULUMI_HOME: pulumiHome,
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PATH: `${engine.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
            };
            if (engine.commandPlugin) {
                envVars.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
                run(engine.pulumi, ["plugin", "install", "resource", "command", "1.2.1", "--file", engine.commandPlugin], { env: { ...process.env, ...envVars } });
            }
            const pulumiCommand = await PulumiCommand.get({ root: path.dirname(engine.binDir) });
            const stack = await LocalWorkspace.createOrSelectStack({ stackName: ENVIRONMENT, workDir: programDir }, { envVars, pulumiCommand, pulumiHome });
            const generated = {
                dbPassword: crypto.randomBytes(18).toString("hex"),
                appDbPassword: crypto.randomBytes(18).toString("hex"),
                apiWriteToken: crypto.randomBytes(24).toString("hex"),
            };
            const hosts = lab.hosts.map((host) => ({ address: "127.0.0.1", port: host.sshPort, user: host.user, knownHost: host.knownHostsLine }));
            await stack.setAllConfig({
                hosts: { value: JSON.stringify(hosts) },
                imageRef: { value: images.v1 },
                postgresImage: { value: postgresImage },
                nginxImage: { value: nginxImage },
                registryAddress: { value: registry.address },
                registryUsername: { value: registry.username },
                registryPassword: { value: registry.password, secret: true },
                sshPrivateKey: { value: lab.key.privateKey, secret: true },
                dbPassword: { value: generated.dbPassword, secret: true },
                appDbPassword: { value: generated.appDbPassword, secret: true },
                apiWriteToken: { value: generated.apiWriteToken, secret: true },
            });
            return new HostsStack(lab, stack, scratch, backend, images, cleanup, generated);
        } catch (error) {
            await lab.cleanup();
            await cleanup.run();
            throw error;
        }
    }

    async setImage(ref: string, readyTimeoutSeconds?: number): Promise<void> {
        await this.stack.setConfig("imageRef", { value: ref });
        if (readyTimeoutSeconds === undefined) await this.stack.removeConfig("readyTimeoutSeconds").catch(() => undefined);
        else await this.stack.setConfig("readyTimeoutSeconds", { value: String(readyTimeoutSeconds) });
    }

    /** `up`, keeping what it printed for the secret checks. */
    async up(): Promise<UpResult> {
        const output: string[] = [];
        try {
            const result = await this.stack.up({ color: "never", onOutput: (text) => output.push(text) });
            return result;
        } finally {
            this.logs.push(output.join(""));
        }
    }

    /** What `url` means for host `i` from this machine: its published HTTP port. */
    url(i: number): string {
        return `http://127.0.0.1:${this.hosts[i].httpPort}`;
    }

    /** Names of the containers of the stack's Compose project on host `i`. */
    async containers(i: number): Promise<string[]> {
        const out = await this.hosts[i].exec(["docker", "ps", "-a", "--filter", `label=com.docker.compose.project=${COMPOSE_PROJECT}`, "--format", "{{.Names}}"]);
        return out.stdout.split("\n").filter(Boolean);
    }

    /** Images (as deployed: `repo@sha256:...`) of the running app containers on host `i`. */
    async appImages(i: number): Promise<string[]> {
        const script = `docker ps -q --filter label=com.docker.compose.project=${COMPOSE_PROJECT} --filter label=com.docker.compose.service=app | xargs -r docker inspect -f '{{.Config.Image}}'`;
        const out = await this.hosts[i].exec(["sh", "-c", script]);
        return out.stdout.split("\n").filter(Boolean);
    }

    /** The status line of the stack's ACME client on host `i` (/tls/status), or why there is none. */
    async acmeStatus(i: number): Promise<string> {
        const script = `acme=$(docker ps -q --filter label=com.docker.compose.project=${COMPOSE_PROJECT} --filter label=com.docker.compose.service=acme) && docker exec "$acme" cat /tls/status`;
        const out = await this.hosts[i].exec(["sh", "-c", script], { allowFailure: true });
        return out.code === 0 ? out.stdout.trim() : `no acme status: ${out.stderr.trim()}`;
    }

    /**
     * Host `i`'s database stops (or resumes) accepting new connections to the app's database, as during
     * maintenance there: sessions already open keep working, so the live replicas go on serving, while a new
     * replica cannot reach the database at start and never gets ready.
     */
    async databaseAcceptsConnections(i: number, accept: boolean): Promise<void> {
        const script =
            `db=$(docker ps -q --filter label=com.docker.compose.project=${COMPOSE_PROJECT} --filter label=com.docker.compose.service=db) && ` +
            `docker exec "$db" psql -v ON_ERROR_STOP=1 --quiet --username app --dbname postgres --command "ALTER DATABASE app WITH ALLOW_CONNECTIONS ${accept}"`;
        await this.hosts[i].exec(["sh", "-c", script]);
    }

    async dispose(): Promise<void> {
        try {
            await this.stack.destroy({ color: "never" }).catch(() => undefined);
        } finally {
            await this.lab.cleanup();
            await this.cleanup.run();
            fs.rmSync(this.scratch, { recursive: true, force: true });
        }
    }
}
