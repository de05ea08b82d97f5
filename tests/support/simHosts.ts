// Simulated deploy hosts and a private image registry on the local Docker engine, for tests of the SSH host path.
//
//   const lab = await SimLab.create({ prefix: "hosts" });          // network + a deploy key made for this run
//   const registry = await lab.startRegistry();                     // htpasswd auth, plain HTTP
//   const hosts = await lab.startHosts(2);                          // sshd + dockerd each; trust the registry
//   const ref = await lab.pushImage("my-local-image:tag", "notes"); // "<registry>/notes@sha256:..."
//   after(() => lab.cleanup());
//
// Hosts run the `sim-host` image and the registry the `registry` image of scripts/stand-in-images.sh (built on
// first use). A host container is "privileged" the way Docker-in-Docker works on these machines (all
// capabilities but SYS_RESOURCE, no seccomp/AppArmor profile, the cgroup hierarchy mounted, a volume at
// /var/lib/docker); `docker run --privileged` itself fails here. What a test reaches is published on 127.0.0.1
// only: each host's sshd and HTTP port, and the registry (for pushing from this machine). The hosts reach the
// registry over their own network by its container name; it serves plain HTTP, so each host's dockerd lists it
// under `insecure-registries`.
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { RunResult, STAND_IN_SCRIPT, TEST_LABEL, docker, requireDocker, run } from "./docker";

/** Label on every container and network a lab creates; its value is the lab's name (find leftovers with it). */
export const SIM_LAB_LABEL = "cicd.simlab";
/** The account on every simulated host that deploys log in as; it is in the `docker` group. */
export const DEPLOY_USER = "deploy";

const REGISTRY_PORT = 5000;

export interface SimImages {
    readonly SIM_HOST_IMAGE: string;
    readonly REGISTRY_IMAGE: string;
}

let simImages: Promise<SimImages> | undefined;

/** Builds the sim-host and registry images if missing (minutes the first time) and returns their tags. */
export function ensureSimImages(): Promise<SimImages> {
    simImages ??= (async () => {
        const result = await run("bash", [STAND_IN_SCRIPT, "--print-env", "sim-host", "registry"], { timeoutMs: 20 * 60_000 });
        const read = (key: keyof SimImages): string => {
            const match = new RegExp(`^${key}=(.+)$`, "m").exec(result.stdout);
            if (!match) throw new Error(`${STAND_IN_SCRIPT} --print-env sim-host registry did not print ${key}=...; it printed:\n${result.stdout}`);
            return match[1].trim();
        };
        return { SIM_HOST_IMAGE: read("SIM_HOST_IMAGE"), REGISTRY_IMAGE: read("REGISTRY_IMAGE") };
    })();
    simImages.catch(() => (simImages = undefined));
    return simImages;
}

export interface DeployKey {
    /** OpenSSH private key (`-----BEGIN OPENSSH PRIVATE KEY-----`), as `ssh -i` and the command provider take it. */
    readonly privateKey: string;
    /** `ssh-ed25519 AAAA... comment`, the authorized_keys line. */
    readonly publicKey: string;
    /** The private key written 0600 into the lab's scratch folder, for `ssh -i`. */
    readonly privateKeyFile: string;
}

export interface SimHost {
    /** Container name, hostname, and the host's DNS name on the lab network. */
    readonly name: string;
    /** Where the other containers on the lab network reach this host (its name resolves there). */
    readonly address: string;
    /** The host's IPv4 address on the lab network. */
    readonly ip: string;
    /** sshd, published on 127.0.0.1. */
    readonly sshPort: number;
    /** The host's `httpPort` (default 80) published on 127.0.0.1. */
    readonly httpPort: number;
    /** Where each of `extraPorts` is published on 127.0.0.1, by the port inside the host. */
    readonly extraPorts: Readonly<Record<number, number>>;
    readonly user: string;
    /** The deploy key of the lab (the same for every host of one lab). */
    readonly privateKey: string;
    /** The host's own ed25519 key, `ssh-ed25519 AAAA...` (what the command provider's `connection.hostKey` takes). */
    readonly hostKey: string;
    /** `[127.0.0.1]:<sshPort> ssh-ed25519 AAAA...`, a known_hosts line for reaching the host from this machine. */
    readonly knownHostsLine: string;
    /** Runs a program in the host as root (`docker exec`), for assertions about the host's state. */
    exec(argv: readonly string[], options?: { input?: string; allowFailure?: boolean }): Promise<RunResult>;
    /**
     * Runs a shell command on the host over real SSH (this machine's `ssh`) as the deploy user, verifying the host
     * key against `knownHostsLine` (or the given one, to check that a wrong key is refused).
     */
    ssh(command: string, options?: { input?: string; allowFailure?: boolean; knownHostsLine?: string }): Promise<RunResult>;
}

export interface SimRegistry {
    readonly name: string;
    /** `host:port` as the simulated hosts reach it (use it in image references they pull). */
    readonly address: string;
    /** `127.0.0.1:<port>` as this machine reaches it (pushing). */
    readonly localAddress: string;
    readonly username: string;
    /** Random per lab; give it to `docker login --password-stdin` and never on a command line. */
    readonly password: string;
}

export interface SimLabOptions {
    /** Prefix of every name the lab creates, e.g. the branch or test name (default `simlab`). */
    readonly prefix?: string;
}

export interface StartHostsOptions {
    /** Port inside each host to publish on 127.0.0.1 for HTTP checks (default 80). */
    readonly httpPort?: number;
    /** A tmpfs at /var/lib/docker instead of a volume: faster, but the images pulled live in memory. */
    readonly tmpfsDocker?: boolean;
    /** More ports inside each host to publish on 127.0.0.1 (e.g. 443 for HTTPS checks). */
    readonly extraPorts?: readonly number[];
}

function dockerCleanupTolerant(args: readonly string[]): Promise<RunResult> {
    return docker(args, { allowFailure: true, timeoutMs: 120_000 });
}

async function publishedPort(container: string, containerPort: number): Promise<number> {
    const out = (await docker(["port", container, `${containerPort}/tcp`])).stdout;
    const match = /^127\.0\.0\.1:(\d+)$/m.exec(out);
    if (!match) throw new Error(`container ${container} publishes ${containerPort}/tcp nowhere on 127.0.0.1: ${out.trim()}`);
    return Number(match[1]);
}

/** Resolves once `port` on 127.0.0.1 greets with an SSH banner; rejects if `container` stops first. */
async function waitForSshBanner(container: string, port: number, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const banner = await new Promise<string>((resolve) => {
            const socket = net.connect({ host: "127.0.0.1", port });
            let data = "";
            const done = (value: string) => {
                socket.destroy();
                resolve(value);
            };
            socket.setTimeout(2000, () => done(data));
            socket.on("data", (chunk) => {
                data += chunk.toString("latin1");
                if (data.includes("\n")) done(data);
            });
            socket.on("error", () => done(""));
            socket.on("close", () => done(data));
        });
        if (banner.startsWith("SSH-2.0-")) return;
        const state = (await docker(["inspect", "--format", "{{.State.Status}}", container], { allowFailure: true })).stdout.trim();
        if (state !== "running" || Date.now() > deadline) {
            const logs = await docker(["logs", "--tail", "40", container], { allowFailure: true });
            throw new Error(`simulated host ${container} did not start sshd (state ${state || "gone"}):\n${logs.stdout}${logs.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}

function sshString(value: Buffer | string): Buffer {
    const body = typeof value === "string" ? Buffer.from(value) : value;
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length);
    return Buffer.concat([length, body]);
}

/**
 * A fresh ed25519 key pair in OpenSSH's own format, made with Node's crypto so that this machine needs no
 * ssh-keygen. The key exists for one lab only and is never written outside its scratch folder.
 */
export function generateDeployKey(comment: string, scratchDir: string): DeployKey {
    const { publicKey, privateKey } = crypto.generateKeyPairSync("ed25519");
    const pub = Buffer.from(publicKey.export({ format: "jwk" }).x as string, "base64url");
    const seed = Buffer.from(privateKey.export({ format: "jwk" }).d as string, "base64url");
    const publicBlob = Buffer.concat([sshString("ssh-ed25519"), sshString(pub)]);
    const check = crypto.randomBytes(4);
    const unpadded = Buffer.concat([check, check, sshString("ssh-ed25519"), sshString(pub), sshString(Buffer.concat([seed, pub])), sshString(comment)]);
    const padding: number[] = [];
    for (let i = 1; (unpadded.length + padding.length) % 8 !== 0; i++) padding.push(i);
    const secret = Buffer.concat([unpadded, Buffer.from(padding)]);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(1);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0"),
        sshString("none"),
        sshString("none"),
        sshString(""),
        count,
        sshString(publicBlob),
        sshString(secret),
    ]);
    const lines = body.toString("base64").match(/.{1,70}/g) ?? [];
    const pem = `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
    const privateKeyFile = path.join(scratchDir, "deploy_key");
    fs.writeFileSync(privateKeyFile, pem, { mode: 0o600 });
    return { privateKey: pem, publicKey: `ssh-ed25519 ${publicBlob.toString("base64")} ${comment}`, privateKeyFile };
}

/** One test run's simulated machines: a network, a deploy key, hosts and at most one registry. */
export class SimLab {
    readonly hosts: SimHost[] = [];
    registry?: SimRegistry;
    private readonly containers: string[] = [];
    private cleaned = false;

    private constructor(
        readonly name: string,
        readonly network: string,
        readonly key: DeployKey,
        readonly scratchDir: string,
        private readonly images: SimImages,
    ) {}

    /** Waits for the Docker engine, builds the images if needed, makes the network and the deploy key. */
    static async create(options: SimLabOptions = {}): Promise<SimLab> {
        await waitForDocker();
        const images = await ensureSimImages();
        const name = `${options.prefix ?? "simlab"}-${crypto.randomBytes(3).toString("hex")}`;
        const scratchDir = fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));
        const key = generateDeployKey(`${DEPLOY_USER}@${name}`, scratchDir);
        await docker(["network", "create", "--label", `${TEST_LABEL}=1`, "--label", `${SIM_LAB_LABEL}=${name}`, name]);
        return new SimLab(name, name, key, scratchDir, images);
    }

    /** Starts the registry (once per lab) with a random password set through stdin; hosts started after trust it. */
    async startRegistry(): Promise<SimRegistry> {
        if (this.registry) return this.registry;
        const name = `${this.name}-registry`;
        this.containers.push(name);
        await docker([
            "run", "--detach", "--name", name, "--hostname", name, "--network", this.network,
            "--label", `${TEST_LABEL}=1`, "--label", `${SIM_LAB_LABEL}=${this.name}`,
            "--publish", `127.0.0.1::${REGISTRY_PORT}`, this.images.REGISTRY_IMAGE,
        ]);
        const username = "ci-deployer";
        const password = crypto.randomBytes(18).toString("base64url");
        await docker(["exec", "--interactive", name, "htpasswd", "-iBc", "/etc/docker/registry/htpasswd", username], { input: `${password}\n` });
        const localAddress = `127.0.0.1:${await publishedPort(name, REGISTRY_PORT)}`;
        await waitForRegistry(name, localAddress);
        this.registry = { name, address: `${name}:${REGISTRY_PORT}`, localAddress, username, password };
        return this.registry;
    }

    /** Starts `count` more hosts in parallel and resolves when each answers SSH with its dockerd up. */
    async startHosts(count: number, options: StartHostsOptions = {}): Promise<SimHost[]> {
        const first = this.hosts.length + 1;
        const started = await Promise.all(Array.from({ length: count }, (_, i) => this.startHost(`${this.name}-host${first + i}`, options)));
        this.hosts.push(...started);
        return started;
    }

    private async startHost(name: string, options: StartHostsOptions): Promise<SimHost> {
        const httpPort = options.httpPort ?? 80;
        this.containers.push(name);
        const storage = options.tmpfsDocker ? ["--tmpfs", "/var/lib/docker:exec"] : ["--volume", "/var/lib/docker"];
        const extraPorts = options.extraPorts ?? [];
        await docker([
            "run", "--detach", "--name", name, "--hostname", name, "--network", this.network,
            "--label", `${TEST_LABEL}=1`, "--label", `${SIM_LAB_LABEL}=${this.name}`,
            // Docker-in-Docker as it works here (see the header comment).
            "--cap-add", "ALL", "--cap-drop", "SYS_RESOURCE",
            "--security-opt", "seccomp=unconfined", "--security-opt", "apparmor=unconfined", "--security-opt", "systempaths=unconfined",
            "--volume", "/sys/fs/cgroup:/sys/fs/cgroup:rw", ...storage,
            "--publish", "127.0.0.1::22", "--publish", `127.0.0.1::${httpPort}`, ...extraPorts.flatMap((port) => ["--publish", `127.0.0.1::${port}`]),
            "--env", `SIM_AUTHORIZED_KEY=${this.key.publicKey}`,
            "--env", `SIM_INSECURE_REGISTRIES=${this.registry?.address ?? ""}`,
            this.images.SIM_HOST_IMAGE,
        ]);
        const sshPort = await publishedPort(name, 22);
        await waitForSshBanner(name, sshPort);
        const hostKey = (await docker(["exec", name, "cat", "/etc/ssh/ssh_host_ed25519_key.pub"])).stdout.trim().split(/\s+/).slice(0, 2).join(" ");
        const ip = (await docker(["inspect", "--format", `{{(index .NetworkSettings.Networks "${this.network}").IPAddress}}`, name])).stdout.trim();
        const knownHostsLine = `[127.0.0.1]:${sshPort} ${hostKey}`;
        const knownHostsFile = path.join(this.scratchDir, `known_hosts-${name}`);
        fs.writeFileSync(knownHostsFile, `${knownHostsLine}\n`);
        const key = this.key;
        return {
            name,
            address: name,
            ip,
            sshPort,
            httpPort: await publishedPort(name, httpPort),
            extraPorts: Object.fromEntries(await Promise.all(extraPorts.map(async (port) => [port, await publishedPort(name, port)]))),
            user: DEPLOY_USER,
            privateKey: key.privateKey,
            hostKey,
            knownHostsLine,
            exec: (argv, execOptions = {}) =>
                docker(["exec", ...(execOptions.input !== undefined ? ["--interactive"] : []), name, ...argv], execOptions),
            ssh: (command, sshOptions = {}) => {
                let knownHosts = knownHostsFile;
                if (sshOptions.knownHostsLine !== undefined) {
                    knownHosts = path.join(this.scratchDir, `known_hosts-${crypto.randomBytes(4).toString("hex")}`);
                    fs.writeFileSync(knownHosts, `${sshOptions.knownHostsLine}\n`);
                }
                return run("ssh", [
                    "-i", key.privateKeyFile, "-p", String(sshPort),
                    "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=yes",
                    "-o", `UserKnownHostsFile=${knownHosts}`, "-o", "ConnectTimeout=10",
                    `${DEPLOY_USER}@127.0.0.1`, command,
                ], { input: sshOptions.input, allowFailure: sshOptions.allowFailure, timeoutMs: 10 * 60_000 });
            },
        };
    }

    /**
     * Pushes a local image to the registry and returns the reference the hosts pull it by: `<address>/<repository>@sha256:...`.
     * The login uses a throwaway client config folder, so no credential is left in this machine's ~/.docker.
     */
    async pushImage(localTag: string, repository = "app"): Promise<string> {
        const registry = this.registry ?? (await this.startRegistry());
        const config = fs.mkdtempSync(path.join(this.scratchDir, "docker-config-"));
        const pushTag = `${registry.localAddress}/${repository}:push-${crypto.randomBytes(4).toString("hex")}`;
        try {
            await docker(["--config", config, "login", registry.localAddress, "--username", registry.username, "--password-stdin"], { input: registry.password });
            await docker(["tag", localTag, pushTag]);
            const pushed = await docker(["--config", config, "push", pushTag], { timeoutMs: 10 * 60_000 });
            const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushed.stdout)?.[1];
            if (!digest) throw new Error(`docker push ${pushTag} printed no digest:\n${pushed.stdout}`);
            return `${registry.address}/${repository}@${digest}`;
        } finally {
            await dockerCleanupTolerant(["rmi", pushTag]);
            fs.rmSync(config, { recursive: true, force: true });
        }
    }

    /** Removes every container (with its volumes), the network and the scratch folder; safe to call twice. */
    async cleanup(): Promise<void> {
        if (this.cleaned) return;
        this.cleaned = true;
        await Promise.all(this.containers.map((name) => dockerCleanupTolerant(["rm", "--force", "--volumes", name])));
        await dockerCleanupTolerant(["network", "rm", this.network]);
        fs.rmSync(this.scratchDir, { recursive: true, force: true });
    }
}

/** Shorthand: a lab with a registry (unless `registry: false`) and `count` hosts that trust it. */
export async function startSimHosts(options: SimLabOptions & StartHostsOptions & { count: number; registry?: boolean }): Promise<SimLab> {
    const lab = await SimLab.create(options);
    try {
        if (options.registry !== false) await lab.startRegistry();
        await lab.startHosts(options.count, options);
        return lab;
    } catch (error) {
        await lab.cleanup();
        throw error;
    }
}

/** The machine's engine may still be starting (a CI run provisions it first): wait up to 2 minutes, then fail. */
async function waitForDocker(timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        try {
            await requireDocker();
            return;
        } catch (error) {
            if (Date.now() > deadline) throw error;
            await new Promise((resolve) => setTimeout(resolve, 2000));
        }
    }
}

/** The registry answers 401 on /v2/ once it has read its htpasswd file and listens. */
async function waitForRegistry(name: string, localAddress: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const status = await new Promise<number>((resolve) => {
            const [host, port] = localAddress.split(":");
            const socket = net.connect({ host, port: Number(port) }, () => socket.end(`GET /v2/ HTTP/1.0\r\nHost: ${localAddress}\r\n\r\n`));
            let data = "";
            socket.setTimeout(2000, () => socket.destroy());
            socket.on("data", (chunk) => (data += chunk.toString("latin1")));
            socket.on("error", () => resolve(0));
            socket.on("close", () => resolve(Number(/^HTTP\/1\.\d (\d{3})/.exec(data)?.[1] ?? 0)));
        });
        if (status === 401) return;
        if (Date.now() > deadline) {
            const logs = await docker(["logs", "--tail", "40", name], { allowFailure: true });
            throw new Error(`registry ${name} did not answer 401 on http://${localAddress}/v2/ (last status ${status}):\n${logs.stdout}${logs.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 250));
    }
}
