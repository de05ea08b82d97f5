// Shared helpers for tests that use the real Docker engine (image, compose, deploy, engine suites).
//
//   before(async function () { this.timeout(15 * 60_000); await requireDocker(); images = await ensureStandInImages(); });
//   const cleanup = new DockerCleanup(); after(() => cleanup.run());
//   await buildAppImage({ tag: uniqueName("notes"), cleanup });
//
// Everything goes through Debian's /usr/bin/docker (BuildKit built in); /usr/local/bin/docker has no buildx.
import { spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

export const DOCKER_BIN = "/usr/bin/docker";
export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const APP_DIR = path.join(REPO_ROOT, "app");
export const STAND_IN_SCRIPT = path.join(REPO_ROOT, "scripts", "stand-in-images.sh");
/** The machine's CA bundle; outbound TLS here is re-signed by a local CA, so npm inside a build needs it. */
export const HOST_CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
/** Label put on everything the tests create, so leftovers of a killed run can be found: `docker ps -af label=cicd.test`. */
export const TEST_LABEL = "cicd.test";

export interface RunOptions {
    /** Written to the command's stdin. */
    readonly input?: string | Buffer;
    /** Extra environment variables (merged over process.env). */
    readonly env?: NodeJS.ProcessEnv;
    readonly cwd?: string;
    /** Kill the command after this long (default 10 minutes). */
    readonly timeoutMs?: number;
    /** Resolve with the non-zero exit code instead of rejecting. */
    readonly allowFailure?: boolean;
}

export interface RunResult {
    readonly stdout: string;
    readonly stderr: string;
    readonly code: number;
}

/**
 * Set by `npm run test:unit`, the suites the pipeline's `test` job runs in a container with no Docker engine: a suite
 * there that reaches for Docker fails at once, on every machine, saying so, instead of passing wherever Docker runs
 * and failing only in the pipeline.
 */
export const WITHOUT_DOCKER_ENV = "CICD_TESTS_WITHOUT_DOCKER";

function refuseDockerInUnitSuites(command: string): void {
    if (process.env[WITHOUT_DOCKER_ENV] === "1" && (command === DOCKER_BIN || command === "docker")) {
        throw new Error(
            `this test runs Docker, but it is in \`npm run test:unit\` (${WITHOUT_DOCKER_ENV}=1), which the pipeline's test job runs without ` +
                "Docker: move it to a suite outside test:unit's glob in package.json (tests/deploy, tests/compose, tests/engine)",
        );
    }
}

/** Runs a program; rejects with the command line, exit code and the end of its output when it fails. */
export function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    try {
        refuseDockerInUnitSuites(command);
    } catch (error) {
        return Promise.reject(error);
    }
    const timeoutMs = options.timeoutMs ?? 10 * 60_000;
    return new Promise((resolve, reject) => {
        const child = spawn(command, [...args], {
            cwd: options.cwd,
            env: { ...process.env, ...options.env },
            stdio: ["pipe", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        let timedOut = false;
        const timer = setTimeout(() => {
            timedOut = true;
            child.kill("SIGKILL");
        }, timeoutMs);
        child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
        child.on("error", (error) => {
            clearTimeout(timer);
            reject(new Error(`could not start ${command}: ${error.message}`));
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            const result = { stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8"), code: code ?? -1 };
            if (timedOut) {
                reject(new Error(`${describe(command, args)} was killed after ${timeoutMs} ms\n${tail(result.stderr || result.stdout)}`));
            } else if (result.code !== 0 && !options.allowFailure) {
                reject(new Error(`${describe(command, args)} exited ${result.code}\n${tail(result.stderr || result.stdout)}`));
            } else {
                resolve(result);
            }
        });
        // A program that exits before reading its input closes the pipe: that is its answer, not our failure.
        child.stdin.on("error", (error: NodeJS.ErrnoException) => {
            if (error.code !== "EPIPE") reject(error);
        });
        child.stdin.end(options.input ?? "");
    });
}

/** `docker ARGS` through Debian's client; see {@link run} for the options and the error message. */
export function docker(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run(DOCKER_BIN, args, options);
}

/** Fails (never skips) with a message that says how to start the engine when it cannot be reached. */
export async function requireDocker(): Promise<void> {
    refuseDockerInUnitSuites(DOCKER_BIN);
    if (!fs.existsSync(DOCKER_BIN)) {
        throw new Error(`${DOCKER_BIN} is missing: install Debian's client with "apt-get install -y docker.io" (these tests need a real engine)`);
    }
    const result = await docker(["info", "--format", "{{.ServerVersion}}"], { allowFailure: true, timeoutMs: 30_000 });
    if (result.code !== 0) {
        throw new Error(
            `the Docker engine is unreachable (${DOCKER_BIN} info exited ${result.code}: ${result.stderr.trim()}). ` +
                `Start it with: dockerd >/var/log/dockerd.log 2>&1 & then wait for /var/run/docker.sock`,
        );
    }
}

export interface StandInImages {
    readonly BUILD_IMAGE: string;
    readonly RUNTIME_IMAGE: string;
    readonly POSTGRES_IMAGE: string;
    readonly NGINX_IMAGE: string;
}

let standIns: Promise<StandInImages> | undefined;

/**
 * Builds whichever offline stand-in base images are missing (scripts/stand-in-images.sh; minutes the first
 * time on a machine, instant after) and returns their tags. Give the calling hook a timeout of 15 minutes.
 */
export function ensureStandInImages(): Promise<StandInImages> {
    standIns ??= (async () => {
        const result = await run("bash", [STAND_IN_SCRIPT, "--print-env"], { timeoutMs: 20 * 60_000 });
        const values = new Map<string, string>();
        for (const line of result.stdout.split("\n")) {
            const match = /^([A-Z_]+)=(.+)$/.exec(line.trim());
            if (match) values.set(match[1], match[2]);
        }
        const read = (key: keyof StandInImages): string => {
            const value = values.get(key);
            if (!value) throw new Error(`${STAND_IN_SCRIPT} --print-env did not print ${key}=...; it printed:\n${result.stdout}`);
            return value;
        };
        return { BUILD_IMAGE: read("BUILD_IMAGE"), RUNTIME_IMAGE: read("RUNTIME_IMAGE"), POSTGRES_IMAGE: read("POSTGRES_IMAGE"), NGINX_IMAGE: read("NGINX_IMAGE") };
    })();
    standIns.catch(() => (standIns = undefined));
    return standIns;
}

export interface BuildAppImageOptions {
    /** Tag for the result, e.g. `uniqueName("notes")`. */
    readonly tag: string;
    /** Dockerfile stage to stop at (default: the last one, `runtime`). */
    readonly target?: string;
    /** Extra build args; BUILD_IMAGE and RUNTIME_IMAGE default to the stand-ins. */
    readonly buildArgs?: Readonly<Record<string, string>>;
    /** Dockerfile path, relative to the context (default `Dockerfile`). */
    readonly dockerfile?: string;
    /** Build context (default the repository's app/). */
    readonly context?: string;
    /** Build without the layer cache. */
    readonly noCache?: boolean;
    /** When given, the image is removed by this registry's run(). */
    readonly cleanup?: DockerCleanup;
}

export interface BuiltImage {
    readonly tag: string;
    /** `sha256:...` image id. */
    readonly id: string;
    /** BuildKit's `--progress=plain` output: which steps ran and which were CACHED. */
    readonly log: string;
    readonly durationMs: number;
}

/**
 * Builds the app image with BuildKit. The host CA bundle goes in as the `ca` build secret when present
 * (the Dockerfile's npm steps use it only if it exists), never as a build arg or a layer.
 */
export async function buildAppImage(options: BuildAppImageOptions): Promise<BuiltImage> {
    const images = await ensureStandInImages();
    const buildArgs = { BUILD_IMAGE: images.BUILD_IMAGE, RUNTIME_IMAGE: images.RUNTIME_IMAGE, ...options.buildArgs };
    const context = options.context ?? APP_DIR;
    const args = ["build", "--progress=plain", "--tag", options.tag, "--label", `${TEST_LABEL}=1`];
    if (options.dockerfile) args.push("--file", path.resolve(context, options.dockerfile));
    if (options.target) args.push("--target", options.target);
    if (options.noCache) args.push("--no-cache");
    if (fs.existsSync(HOST_CA_BUNDLE)) args.push("--secret", `id=ca,src=${HOST_CA_BUNDLE}`);
    for (const [key, value] of Object.entries(buildArgs)) args.push("--build-arg", `${key}=${value}`);
    args.push(context);
    options.cleanup?.image(options.tag);
    const started = Date.now();
    // BuildKit writes its progress to stderr.
    const result = await docker(args, { env: { DOCKER_BUILDKIT: "1" }, timeoutMs: 15 * 60_000 });
    const durationMs = Date.now() - started;
    const id = (await docker(["image", "inspect", "--format", "{{.Id}}", options.tag])).stdout.trim();
    return { tag: options.tag, id, log: result.stderr + result.stdout, durationMs };
}

/** A name no other test run on this machine uses: `cicd-test-<prefix>-<random>` (valid as tag, container, network, volume). */
export function uniqueName(prefix: string): string {
    return `cicd-test-${prefix}-${crypto.randomBytes(4).toString("hex")}`;
}

/**
 * Polls a container's HEALTHCHECK status until it is `healthy`; rejects early if it becomes `unhealthy` or the
 * container exits, with its last health output and logs in the message.
 */
export async function waitForHealthy(container: string, timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const state = JSON.parse((await docker(["inspect", "--format", "{{json .State}}", container])).stdout) as {
            Status: string;
            Health?: { Status: string; Log?: { Output: string }[] };
        };
        const health = state.Health?.Status;
        if (health === "healthy") return;
        if (!state.Health) throw new Error(`container ${container} has no HEALTHCHECK`);
        if (health === "unhealthy" || state.Status === "exited" || Date.now() > deadline) {
            const probe = state.Health.Log?.at(-1)?.Output.trim() ?? "";
            const logs = await docker(["logs", "--tail", "20", container], { allowFailure: true });
            throw new Error(
                `container ${container} is ${state.Status}/${health ?? "no health"} (wanted healthy within ${timeoutMs} ms); ` +
                    `last probe: ${probe}\nlogs:\n${logs.stdout}${logs.stderr}`,
            );
        }
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
}

/**
 * Streams the image's whole filesystem (`docker create` + `docker export`), every layer (`docker save`, which
 * also catches a file added in one layer and deleted in a later one) and its config and history, and
 * returns which of `needles` occur anywhere in them.
 */
export async function findStringsInImage(image: string, needles: readonly string[]): Promise<string[]> {
    const found = new Set<string>();
    const container = (await docker(["create", "--label", `${TEST_LABEL}=1`, image])).stdout.trim();
    try {
        for (const needle of await scanStream(["export", container], needles)) found.add(needle);
    } finally {
        await docker(["rm", "-f", container], { allowFailure: true });
    }
    for (const needle of await scanStream(["save", image], needles)) found.add(needle);
    const metadata = (await docker(["inspect", image])).stdout + (await docker(["history", "--no-trunc", image])).stdout;
    for (const needle of needles) if (metadata.includes(needle)) found.add(needle);
    return [...found];
}

/** Searches a docker command's stdout chunk by chunk (images are too big to hold whole in memory). */
function scanStream(args: readonly string[], needles: readonly string[]): Promise<string[]> {
    const patterns = needles.map((needle) => Buffer.from(needle, "utf8"));
    const overlap = Math.max(0, ...patterns.map((p) => p.length)) - 1;
    return new Promise((resolve, reject) => {
        const found = new Set<string>();
        let carry = Buffer.alloc(0);
        let stderr = "";
        const child = spawn(DOCKER_BIN, [...args], { stdio: ["ignore", "pipe", "pipe"] });
        child.stdout.on("data", (chunk: Buffer) => {
            const window = Buffer.concat([carry, chunk]);
            patterns.forEach((pattern, index) => {
                if (window.includes(pattern)) found.add(needles[index]);
            });
            carry = overlap > 0 ? window.subarray(Math.max(0, window.length - overlap)) : Buffer.alloc(0);
        });
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("error", reject);
        child.on("close", (code) =>
            code === 0 ? resolve([...found]) : reject(new Error(`${describe(DOCKER_BIN, args)} exited ${code}\n${tail(stderr)}`)),
        );
    });
}

/**
 * Remembers what a suite created and removes it in dependency order (containers, networks, volumes,
 * images). Register right after creating (or before, with a name you chose); run() in an `after` hook.
 */
export class DockerCleanup {
    private readonly containers = new Set<string>();
    private readonly networks = new Set<string>();
    private readonly volumes = new Set<string>();
    private readonly images = new Set<string>();

    container(nameOrId: string): string {
        this.containers.add(nameOrId);
        return nameOrId;
    }
    network(name: string): string {
        this.networks.add(name);
        return name;
    }
    volume(name: string): string {
        this.volumes.add(name);
        return name;
    }
    image(ref: string): string {
        this.images.add(ref);
        return ref;
    }

    /** Removes everything registered; objects already gone are fine; other failures are reported together. */
    async run(): Promise<void> {
        const failures: string[] = [];
        const remove = async (kind: string, set: Set<string>, args: (name: string) => string[]) => {
            for (const name of set) {
                // Generous: on a loaded 2-core machine dockerd took over a minute to remove a PostgreSQL container.
                const result = await docker(args(name), { allowFailure: true, timeoutMs: 5 * 60_000 });
                if (result.code !== 0 && !/no such|not found/i.test(result.stderr)) failures.push(`${kind} ${name}: ${result.stderr.trim()}`);
            }
            set.clear();
        };
        await remove("container", this.containers, (name) => ["rm", "--force", "--volumes", name]);
        await remove("network", this.networks, (name) => ["network", "rm", name]);
        await remove("volume", this.volumes, (name) => ["volume", "rm", "--force", name]);
        await remove("image", this.images, (name) => ["image", "rm", "--force", name]);
        if (failures.length > 0) throw new Error(`docker cleanup left objects behind:\n${failures.join("\n")}`);
    }
}

function describe(command: string, args: readonly string[]): string {
    return [command, ...args].map((part) => (/[\s"']/.test(part) ? JSON.stringify(part) : part)).join(" ");
}

function tail(text: string, lines = 30): string {
    return text.trimEnd().split("\n").slice(-lines).join("\n");
}
