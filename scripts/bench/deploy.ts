// npm run bench:deploy [-- --env local|staging|production]   (default production: 2 replicas)
//
// Measures deploy.sh on this machine's engine: first deploy, v1 -> v2 under load (the image is already local, so
// no pull is timed), and rollback under load; counts requests sent and failed through nginx on 127.0.0.1.
import * as os from "os";
import { execFileSync } from "child_process";
import { DOCKER_BIN, DockerCleanup, requireDocker } from "../../tests/support/docker";
import { COMPOSE_BIN, LoadReport, StackProject, liveVersion, startLoad, versionImage } from "../../tests/deploy/stack";

type Env = "local" | "staging" | "production";

function parseEnv(argv: readonly string[]): Env {
    const index = argv.indexOf("--env");
    const value = index >= 0 ? argv[index + 1] : "production";
    if (value !== "local" && value !== "staging" && value !== "production") {
        throw new Error(`--env must be local, staging or production (got "${value}")`);
    }
    return value;
}

async function timedDeploy(project: StackProject, args: string[], baseUrl?: string): Promise<{ seconds: number; load?: LoadReport }> {
    const load = baseUrl ? startLoad(baseUrl, { connections: 4, maxRequests: 50_000, maxDurationMs: 180_000 }) : undefined;
    const started = process.hrtime.bigint();
    const result = await project.deploy(args);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    // Keep the load going briefly past the end: failures right after the old replicas stop count too.
    if (load) await new Promise((resolve) => setTimeout(resolve, 1500));
    const report = await load?.stop();
    if (result.code !== 0) throw new Error(`deploy.sh ${args.join(" ")} failed:\n${result.stdout}${result.stderr}`);
    return { seconds, load: report };
}

function version(command: string, args: string[]): string {
    try {
        return execFileSync(command, args, { encoding: "utf8" }).trim().split("\n")[0];
    } catch {
        return "unavailable";
    }
}

async function main(): Promise<void> {
    const env = parseEnv(process.argv.slice(2));
    await requireDocker();
    const cleanup = new DockerCleanup();
    const project = await StackProject.create("bench", env);
    try {
        const v1 = await versionImage("v1", cleanup);
        const v2 = await versionImage("v2", cleanup);

        const first = await timedDeploy(project, ["deploy", "--image", v1]);
        const baseUrl = await project.proxyUrl();
        if ((await liveVersion(baseUrl)) !== "v1") throw new Error("v1 is not live after the first deploy");

        const upgrade = await timedDeploy(project, ["deploy", "--image", v2], baseUrl);
        if ((await liveVersion(baseUrl)) !== "v2") throw new Error("v2 is not live after the deploy");

        const rollback = await timedDeploy(project, ["rollback"], baseUrl);
        if ((await liveVersion(baseUrl)) !== "v1") throw new Error("v1 is not live after the rollback");

        const rows: [string, string][] = [
            ["environment (app replicas)", `${env} (${env === "production" ? 2 : 1})`],
            ["first deploy (db + proxy + v1)", `${first.seconds.toFixed(1)} s`],
            ["deploy v1 -> v2 (image local, no pull)", `${upgrade.seconds.toFixed(1)} s`],
            ["  requests sent / failed", `${upgrade.load?.sent} / ${upgrade.load?.failed}`],
            ["  answers by version", JSON.stringify(upgrade.load?.versions)],
            ["rollback v2 -> v1", `${rollback.seconds.toFixed(1)} s`],
            ["  requests sent / failed", `${rollback.load?.sent} / ${rollback.load?.failed}`],
            ["  answers by version", JSON.stringify(rollback.load?.versions)],
            ["machine", `${os.cpus().length} CPU(s) ${os.cpus()[0]?.model ?? ""}, ${Math.round(os.totalmem() / 2 ** 30)} GiB`],
            ["engine / compose", `${version(DOCKER_BIN, ["version", "--format", "{{.Server.Version}}"])} / ${version(COMPOSE_BIN, ["version", "--short"])}`],
        ];
        const width = Math.max(...rows.map(([key]) => key.length));
        console.log(`\ndeploy.sh benchmark (load: 4 keep-alive connections to nginx on 127.0.0.1, GET / and POST /api/notes)\n`);
        for (const [key, value] of rows) console.log(`${key.padEnd(width)}  ${value}`);
        const failed = (upgrade.load?.failed ?? 0) + (rollback.load?.failed ?? 0);
        if (failed > 0) {
            console.log(`\nfailures: ${[...(upgrade.load?.failures ?? []), ...(rollback.load?.failures ?? [])].join(" | ")}`);
            process.exitCode = 1;
        }
    } finally {
        await project.teardown();
        await cleanup.run();
    }
}

main().catch((error: unknown) => {
    console.error(`ERROR: ${(error as Error).message}`);
    process.exit(1);
});
