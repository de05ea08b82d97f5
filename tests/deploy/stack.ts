// Helpers shared by the Compose and deploy suites and by `npm run bench:deploy`: one app image built per process,
// cheap "version" images on top of it, a Compose project per test with an env file of its own, a load client.
import * as crypto from "crypto";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { DOCKER_BIN, DockerCleanup, REPO_ROOT, RunOptions, RunResult, buildAppImage, docker, ensureStandInImages, run, uniqueName } from "../support/docker";

export const DEPLOY_DIR = path.join(REPO_ROOT, "app", "deploy");
export const DEPLOY_SCRIPT = path.join(DEPLOY_DIR, "deploy.sh");
/**
 * The Compose the suites drive: Debian's docker-compose 1.29 by default (the only one on these machines).
 * STACK_TEST_COMPOSE="docker compose", or the path of a v2 binary, selects Compose v2. deploy.sh derives the pids
 * override v2 needs; the compose suite, which starts the bundle by hand, fails there today (docs/deploy.md, "Compose v2").
 */
export const COMPOSE_COMMAND: readonly string[] = (process.env.STACK_TEST_COMPOSE ?? "docker-compose").trim().split(/\s+/);
/** The same command as one string, the form deploy.sh takes in DEPLOY_COMPOSE. */
export const COMPOSE_BIN = COMPOSE_COMMAND.join(" ");

/** Runs the selected Compose with `args`. */
export function composeCommand(args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return run(COMPOSE_COMMAND[0], [...COMPOSE_COMMAND.slice(1), ...args], options);
}
/** The write token every test stack of this process gets (API_WRITE_TOKEN); `request` sends it with writes. */
export const STACK_WRITE_TOKEN = crypto.randomBytes(24).toString("hex");
const WRITE_METHODS = ["POST", "PUT", "PATCH", "DELETE"];

/** The app image every suite of this process shares; version images are thin layers over it. */
/** Tagged per checkout: two worktrees on one engine must never run each other's app code under a shared tag. */
const BASE_APP_TAG = `cicd-test-stack/app:base-${crypto.createHash("sha256").update(REPO_ROOT).digest("hex").slice(0, 8)}`;

let baseImage: Promise<string> | undefined;

/** Builds the app image once per process (BuildKit's cache makes later runs quick) and returns its tag. */
export function sharedAppImage(): Promise<string> {
    baseImage ??= buildAppImage({ tag: BASE_APP_TAG, buildArgs: { APP_VERSION: "base" } }).then((built) => built.tag);
    baseImage.catch(() => (baseImage = undefined));
    return baseImage;
}

/** A new tag of the shared app image that reports `version` on GET / (ENV APP_VERSION): a "release" in seconds. */
export async function versionImage(version: string, cleanup: DockerCleanup): Promise<string> {
    const base = await sharedAppImage();
    const tag = cleanup.image(`cicd-test-stack/app:${crypto.randomBytes(4).toString("hex")}-${version}`);
    await docker(["build", "--quiet", "--label", "cicd.test=1", "--tag", tag, "-"], {
        input: `FROM ${base}\nENV APP_VERSION=${version}\n`,
        env: { DOCKER_BUILDKIT: "1" },
    });
    return tag;
}

/**
 * One Compose project of the bundle in app/deploy: its own name, env file (stand-in base images, a random database
 * password, a random loopback port) and deploy state folder, and a teardown that leaves nothing behind.
 */
export class StackProject {
    readonly name: string;
    readonly workDir: string;
    readonly envFile: string;
    readonly stateDir: string;
    readonly env: "local" | "staging" | "production";

    private constructor(name: string, workDir: string, env: "local" | "staging" | "production") {
        this.name = name;
        this.workDir = workDir;
        this.env = env;
        this.envFile = path.join(workDir, "stack.env");
        this.stateDir = path.join(workDir, "state");
    }

    static async create(prefix: string, env: "local" | "staging" | "production" = "local"): Promise<StackProject> {
        const images = await ensureStandInImages();
        const project = new StackProject(uniqueName(prefix), fs.mkdtempSync(path.join(os.tmpdir(), `${prefix}-`)), env);
        const lines = [
            `POSTGRES_PASSWORD=${crypto.randomBytes(12).toString("hex")}`,
            `POSTGRES_APP_PASSWORD=${crypto.randomBytes(12).toString("hex")}`,
            `API_WRITE_TOKEN=${STACK_WRITE_TOKEN}`,
            "POSTGRES_USER=notes",
            "POSTGRES_DB=notes",
            `POSTGRES_IMAGE=${images.POSTGRES_IMAGE}`,
            `NGINX_IMAGE=${images.NGINX_IMAGE}`,
            "HTTP_BIND=127.0.0.1",
            // 0: Docker picks a free port; tests read it back with `docker port`, so parallel runs never collide.
            "HTTP_PORT=0",
        ];
        fs.writeFileSync(project.envFile, `${lines.join("\n")}\n`, { mode: 0o600 });
        return project;
    }

    /** `docker-compose` on the bundle with this project's name and env file. */
    compose(args: readonly string[], appImage: string, options: { allowFailure?: boolean } = {}): Promise<RunResult> {
        return composeCommand(
            ["--project-name", this.name, "--env-file", this.envFile, "-f", path.join(DEPLOY_DIR, "compose.yaml"),
                "-f", path.join(DEPLOY_DIR, `compose.${this.env}.yaml`), ...args],
            { env: { APP_IMAGE: appImage }, cwd: DEPLOY_DIR, timeoutMs: 5 * 60_000, allowFailure: options.allowFailure },
        );
    }

    /** Runs deploy.sh against this project; never rejects, so tests can assert on failures. */
    deploy(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<RunResult> {
        return run(DEPLOY_SCRIPT, [...args, "--env", this.env, "--env-file", this.envFile, "--project", this.name], {
            env: { DEPLOY_STATE_DIR: this.stateDir, DEPLOY_DOCKER: DOCKER_BIN, DEPLOY_COMPOSE: COMPOSE_BIN, ...env },
            allowFailure: true,
            timeoutMs: 5 * 60_000,
        });
    }

    /** IDs of this project's containers for one service (all states). */
    async containers(service?: string): Promise<string[]> {
        const filters = ["--filter", `label=com.docker.compose.project=${this.name}`];
        if (service) filters.push("--filter", `label=com.docker.compose.service=${service}`);
        const result = await docker(["ps", "-a", "--no-trunc", "-q", ...filters]);
        return result.stdout.split("\n").map((line) => line.trim()).filter(Boolean).sort();
    }

    async container(service: string): Promise<string> {
        const ids = await this.containers(service);
        if (ids.length !== 1) throw new Error(`expected one ${service} container in ${this.name}, found ${ids.length}`);
        return ids[0];
    }

    /** http://127.0.0.1:PORT of the proxy, as Docker published it. */
    async proxyUrl(): Promise<string> {
        const proxy = await this.container("proxy");
        const result = await docker(["port", proxy, "8080/tcp"]);
        const binding = result.stdout.split("\n").map((line) => line.trim()).find((line) => line.startsWith("127.0.0.1:"));
        if (!binding) throw new Error(`proxy of ${this.name} is not published on 127.0.0.1 (docker port: ${result.stdout.trim()})`);
        return `http://${binding}`;
    }

    /** Networks and volumes of this project still on the engine (what teardown must remove). */
    async leftovers(): Promise<string[]> {
        const label = `label=com.docker.compose.project=${this.name}`;
        const containers = await this.containers();
        const networks = (await docker(["network", "ls", "-q", "--filter", label])).stdout.split("\n").filter(Boolean);
        const volumes = (await docker(["volume", "ls", "-q", "--filter", label])).stdout.split("\n").filter(Boolean);
        return [...containers.map((id) => `container ${id}`), ...networks.map((id) => `network ${id}`), ...volumes.map((id) => `volume ${id}`)];
    }

    /** Removes every container, network and volume of the project, and its work folder; safe to call twice. */
    async teardown(): Promise<void> {
        await this.compose(["down", "--volumes", "--remove-orphans", "--timeout", "5"], "none:none", { allowFailure: true });
        // Containers deploy.sh created beside Compose's own carry the same labels; sweep whatever is left.
        const cleanup = new DockerCleanup();
        for (const id of await this.containers()) cleanup.container(id);
        const label = `label=com.docker.compose.project=${this.name}`;
        for (const id of (await docker(["network", "ls", "-q", "--filter", label])).stdout.split("\n").filter(Boolean)) cleanup.network(id);
        for (const id of (await docker(["volume", "ls", "-q", "--filter", label])).stdout.split("\n").filter(Boolean)) cleanup.volume(id);
        await cleanup.run();
        fs.rmSync(this.workDir, { recursive: true, force: true });
    }
}

/** Polls until every container of the project's services is healthy, or fails with their states. */
export async function waitForStackHealthy(project: StackProject, services: readonly string[], timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let states: string[] = [];
    for (let pause = 500; ; pause = Math.min(pause * 2, 3000)) {
        states = [];
        let allHealthy = true;
        for (const service of services) {
            const ids = await project.containers(service);
            if (ids.length === 0) allHealthy = false;
            for (const id of ids) {
                const state = (await docker(["inspect", "--format", "{{.State.Status}}/{{if .State.Health}}{{.State.Health.Status}}{{end}}", id])).stdout.trim();
                states.push(`${service}:${state}`);
                if (state !== "running/healthy") allHealthy = false;
            }
        }
        if (allHealthy) return;
        if (Date.now() > deadline) throw new Error(`stack ${project.name} not healthy within ${timeoutMs} ms: ${states.join(", ")}`);
        await new Promise((resolve) => setTimeout(resolve, pause));
    }
}

export interface HttpAnswer {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
    /** The bytes as received (still compressed if the server compressed them). */
    readonly raw: Buffer;
    json<T = unknown>(): T;
}

/**
 * One HTTP request (on a fresh connection unless an agent is given); the body is returned as received. Writes carry
 * the stacks' bearer token unless `extraHeaders` sets `authorization` itself ("" sends none).
 */
export function request(
    url: string,
    method = "GET",
    body?: unknown,
    agent?: http.Agent,
    extraHeaders: Readonly<Record<string, string>> = {},
): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        const payload = body === undefined ? undefined : JSON.stringify(body);
        // https:// URLs (the TLS suite) go through https with the caller's agent (its CA and name resolution).
        const req = (url.startsWith("https:") ? https : http).request(
            url,
            {
                method,
                agent: agent ?? false,
                timeout: 15_000,
                headers: {
                    ...(WRITE_METHODS.includes(method) && !("authorization" in extraHeaders) ? { authorization: `Bearer ${STACK_WRITE_TOKEN}` } : {}),
                    ...withoutEmpty(extraHeaders),
                    ...(payload === undefined ? {} : { "content-type": "application/json", "content-length": Buffer.byteLength(payload) }),
                },
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (chunk: Buffer) => chunks.push(chunk));
                res.on("end", () => {
                    const raw = Buffer.concat(chunks);
                    const text = raw.toString("utf8");
                    resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, raw, json: <T>() => JSON.parse(text) as T });
                });
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`${method} ${url} timed out after 15 s`)));
        // Whether the request went out on a kept-alive connection: the load loop's retry rule needs to know.
        req.on("error", (error: Error & { reusedSocket?: boolean }) => reject(Object.assign(error, { reusedSocket: req.reusedSocket })));
        req.end(payload);
    });
}

/** The headers minus those set to "" (how a caller asks for a header not to be sent at all). */
function withoutEmpty(headers: Readonly<Record<string, string>>): Record<string, string> {
    const kept = Object.entries(headers).filter(([, value]) => value !== "");
    return Object.fromEntries(kept);
}

export interface LoadReport {
    readonly sent: number;
    readonly failed: number;
    /** The first few failures, to say what went wrong. */
    readonly failures: string[];
    /** Answers to GET / per reported version. */
    readonly versions: Record<string, number>;
    readonly durationMs: number;
    /** GETs sent again after the server closed the idle kept-alive connection they went out on (see LoadOptions). */
    readonly retried: number;
}

export interface LoadOptions {
    /** Concurrent keep-alive connections. */
    readonly connections?: number;
    /** Hard ceilings: the loop stops at whichever comes first, or at stop(). */
    readonly maxRequests?: number;
    readonly maxDurationMs?: number;
    /** Pause per connection between requests, so the load leaves CPU for the deploy on a shared 2-core box. */
    readonly pauseMs?: number;
    /** The keep-alive agent to send through (an https.Agent for https:// URLs); one of `connections` sockets by default. */
    readonly agent?: http.Agent;
    /**
     * Send a GET once more, on a new connection, when the server closed the kept-alive connection it went out on before
     * answering (a reset on a reused socket): what browsers, curl and Node's docs do, as RFC 9112 9.3.1 allows for
     * idempotent requests. An nginx reload closes its idle connections this way. POSTs are never sent again, and a
     * second failure counts.
     */
    readonly retryGetOnReusedConnection?: boolean;
    /** Every fifth request a POST (default); false: reads only. */
    readonly writes?: boolean;
}

/**
 * A bounded load loop against the proxy on 127.0.0.1: GET / (which names the version that answered) and,
 * every fifth request, POST /api/notes (a write nginx must never retry, so it shows a dropped request). Any status other than 200/201, or a network error, is a failure.
 */
export function startLoad(baseUrl: string, options: LoadOptions = {}): { stop(): Promise<LoadReport> } {
    const connections = options.connections ?? 4;
    const maxRequests = options.maxRequests ?? 20_000;
    const maxDurationMs = options.maxDurationMs ?? 180_000;
    const pauseMs = options.pauseMs ?? 10;
    const agent = options.agent ?? new http.Agent({ keepAlive: true, maxSockets: connections });
    const started = Date.now();
    const versions: Record<string, number> = {};
    const failures: string[] = [];
    let sent = 0;
    let failed = 0;
    let retried = 0;
    let stopping = false;
    const closedWhileIdle = (error: unknown) => (error as { reusedSocket?: boolean }).reusedSocket === true && /ECONNRESET|socket hang up/.test(String((error as Error).message));
    // The resend goes out on a new connection, as curl's does: the pool's other idle connections may be closing too.
    const freshConnection = () => new (agent.constructor as typeof http.Agent)({ ...(agent as http.Agent & { options: http.AgentOptions }).options, keepAlive: false });
    const get = (url: string) =>
        request(url, "GET", undefined, agent).catch((error: unknown) => {
            if (!options.retryGetOnReusedConnection || !closedWhileIdle(error)) throw error;
            retried++;
            return request(url, "GET", undefined, freshConnection());
        });

    const worker = async (index: number): Promise<void> => {
        for (let n = 0; !stopping && sent < maxRequests && Date.now() - started < maxDurationMs; n++) {
            sent++;
            const write = (options.writes ?? true) && n % 5 === 4;
            try {
                const answer = write
                    ? await request(`${baseUrl}/api/notes`, "POST", { title: `load ${index}-${n}`, body: "written during a deploy" }, agent)
                    : await get(`${baseUrl}/`);
                if (answer.status !== (write ? 201 : 200)) {
                    failed++;
                    if (failures.length < 10) failures.push(`${write ? "POST /api/notes" : "GET /"}: ${answer.status} ${answer.body.slice(0, 200)}`);
                } else if (!write) {
                    const version = answer.json<{ version?: string }>().version ?? "none";
                    versions[version] = (versions[version] ?? 0) + 1;
                }
            } catch (error) {
                failed++;
                if (failures.length < 10) failures.push(`${write ? "POST" : "GET"}: ${(error as Error).message}`);
            }
            if (pauseMs > 0) await new Promise((resolve) => setTimeout(resolve, pauseMs));
        }
    };
    const workers = Array.from({ length: connections }, (_, index) => worker(index));
    return {
        async stop() {
            stopping = true;
            await Promise.all(workers);
            agent.destroy();
            return { sent, failed, failures, versions, durationMs: Date.now() - started, retried };
        },
    };
}

/** Version reported by GET / through the proxy. */
export async function liveVersion(baseUrl: string): Promise<string> {
    const answer = await request(`${baseUrl}/`);
    if (answer.status !== 200) throw new Error(`GET / answered ${answer.status}: ${answer.body}`);
    return answer.json<{ version: string }>().version;
}
