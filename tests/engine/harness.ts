import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";

// Helpers for the real-engine test: where the engine is, a throwaway copy of the repository, Docker
// queries by Compose project, and a bounded HTTP load loop on 127.0.0.1.

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const DOCKER = "/usr/bin/docker";

export interface Engine {
    /** The pulumi executable. */
    readonly pulumi: string;
    /** Folder to prepend to PATH (holds pulumi and its language host). */
    readonly binDir: string;
    /** Our command provider binary, when the engine was built by .ci/engine/build.sh. */
    readonly commandPlugin?: string;
    /** The engine cache of .ci/engine/build.sh (CICD_ENGINE_CACHE), whether or not the engine came from it. */
    readonly cacheRoot: string;
}

/** Where .ci/engine/build.sh keeps its binaries, Go caches and private Pulumi home. */
export function engineCacheRoot(): string {
    return process.env.CICD_ENGINE_CACHE ?? path.join(os.homedir(), ".cache", "cicd-engine");
}

function onPath(name: string): string | undefined {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        if (!dir) continue;
        const candidate = path.join(dir, name);
        try {
            fs.accessSync(candidate, fs.constants.X_OK);
            return candidate;
        } catch {
            // keep looking
        }
    }
    return undefined;
}

/** The engine built by .ci/engine/build.sh (cache bin dir) or any pulumi on PATH; undefined when neither exists. */
export function findEngine(): Engine | undefined {
    const cacheRoot = engineCacheRoot();
    const cached = path.join(cacheRoot, "bin", "pulumi");
    const plugin = path.join(cacheRoot, "plugins", "pulumi-resource-command");
    const commandPlugin = fs.existsSync(plugin) ? plugin : undefined;
    if (fs.existsSync(cached)) {
        // Our engine keeps to its own Pulumi home even where a test passes no env of its own (the Automation
        // API's PulumiCommand.get runs `pulumi version` in this process's environment, and the CLI logs there).
        process.env.PULUMI_HOME = path.join(cacheRoot, "pulumi-home");
        return { pulumi: cached, binDir: path.dirname(cached), commandPlugin, cacheRoot };
    }
    const found = onPath("pulumi");
    if (found) return { pulumi: found, binDir: path.dirname(found), commandPlugin, cacheRoot };
    return undefined;
}

/** PATH without the folders that hold a `pulumi`, so that a script run under it takes its no-CLI path. */
export function pathWithoutPulumi(): string {
    return (process.env.PATH ?? "")
        .split(path.delimiter)
        .filter((dir) => dir && !fs.existsSync(path.join(dir, "pulumi")))
        .join(path.delimiter);
}

export function run(command: string, args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {}): string {
    const result = spawnSync(command, args, { ...options, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    if (result.status !== 0) {
        throw new Error(`${command} ${args.join(" ")} exited ${result.status}: ${result.stderr || result.stdout}`);
    }
    return result.stdout;
}

/**
 * Copies the repository's files (tracked, plus untracked ones that are not ignored) into `dest` and links the
 * root node_modules, so that `up` builds and runs from the copy and the working tree stays untouched.
 */
export function copyRepository(dest: string): void {
    const listed = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
        cwd: REPO_ROOT,
        encoding: "utf8",
        maxBuffer: 64 * 1024 * 1024,
    });
    for (const relative of listed.split("\0")) {
        // node_modules is linked below; a symlinked one is not matched by the `node_modules/` ignore rule.
        if (!relative || relative.split("/").includes("node_modules")) continue;
        const source = path.join(REPO_ROOT, relative);
        let stat: fs.Stats;
        try {
            stat = fs.lstatSync(source);
        } catch {
            continue; // deleted in the working tree
        }
        if (!stat.isFile() && !stat.isSymbolicLink()) continue;
        const target = path.join(dest, relative);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.cpSync(source, target, { verbatimSymlinks: true });
    }
    fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(dest, "node_modules"));
}

/** KEY=value lines printed by scripts/stand-in-images.sh --print-env (it builds only what is missing). */
export function standInImages(): Record<string, string> {
    const out = run("bash", [path.join(REPO_ROOT, "scripts", "stand-in-images.sh"), "--print-env"]);
    const images: Record<string, string> = {};
    for (const line of out.split("\n")) {
        const match = /^([A-Z_]+)=(.+)$/.exec(line.trim());
        if (match) images[match[1]] = match[2];
    }
    return images;
}

export async function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address() as net.AddressInfo;
            server.close(() => resolve(address.port));
        });
    });
}

export type ComposeObject = "container" | "network" | "volume";

/** Names of the containers, networks or volumes that Compose labelled with `project`. */
export function composeObjects(kind: ComposeObject, project: string): string[] {
    const filter = `label=com.docker.compose.project=${project}`;
    const args =
        kind === "container"
            ? ["ps", "-a", "--filter", filter, "--format", "{{.Names}}"]
            : [kind, "ls", "--filter", filter, "--format", "{{.Name}}"];
    return run(DOCKER, args).split("\n").filter(Boolean);
}

/** Images that the running containers of one Compose service were created from. */
export function serviceImages(project: string, service: string): string[] {
    return run(DOCKER, [
        "ps",
        "--filter",
        `label=com.docker.compose.project=${project}`,
        "--filter",
        `label=com.docker.compose.service=${service}`,
        "--format",
        "{{.Image}}",
    ])
        .split("\n")
        .filter(Boolean);
}

/** Removes whatever the stack left behind, for the after hook of a failed run. */
export function removeComposeProject(project: string): void {
    for (const container of composeObjects("container", project)) spawnSync(DOCKER, ["rm", "-f", container]);
    for (const network of composeObjects("network", project)) spawnSync(DOCKER, ["network", "rm", network]);
    for (const volume of composeObjects("volume", project)) spawnSync(DOCKER, ["volume", "rm", "-f", volume]);
}

export interface HttpAnswer {
    readonly status: number;
    readonly body: string;
}

export function httpGet(url: string, timeoutMs = 5000): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        const request = http.get(url, { agent: false, timeout: timeoutMs }, (response) => {
            let body = "";
            response.setEncoding("utf8");
            response.on("data", (chunk: string) => (body += chunk));
            response.on("end", () => resolve({ status: response.statusCode ?? 0, body }));
            response.on("error", reject);
        });
        request.on("timeout", () => request.destroy(new Error(`timed out after ${timeoutMs} ms`)));
        request.on("error", reject);
    });
}

export interface LoadReport {
    sent: number;
    failed: number;
    /** The first few failures, for the assertion message. */
    readonly failures: string[];
    /** How many successful answers each `version` of GET / gave. */
    readonly versions: Record<string, number>;
}

/**
 * Sends GET requests to `url` one after another until `stop()` is called, at most `maxRequests` and `maxMs`
 * long. A request fails on a network error or a status other than 200.
 */
export function startLoad(url: string, maxRequests = 20000, maxMs = 10 * 60 * 1000): { stop: () => Promise<LoadReport> } {
    const report: LoadReport = { sent: 0, failed: 0, failures: [], versions: {} };
    let stopped = false;
    const deadline = Date.now() + maxMs;
    const loop = (async () => {
        while (!stopped && report.sent < maxRequests && Date.now() < deadline) {
            report.sent += 1;
            try {
                const answer = await httpGet(url);
                if (answer.status !== 200) throw new Error(`status ${answer.status}: ${answer.body.slice(0, 200)}`);
                const version = String((JSON.parse(answer.body) as { version?: unknown }).version);
                report.versions[version] = (report.versions[version] ?? 0) + 1;
            } catch (error) {
                report.failed += 1;
                if (report.failures.length < 5) report.failures.push((error as Error).message);
            }
            await new Promise((resolve) => setTimeout(resolve, 20));
        }
    })();
    return {
        stop: async () => {
            stopped = true;
            await loop;
            return report;
        },
    };
}
