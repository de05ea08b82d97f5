// The runtime image of app/Dockerfile, built once from the repository's app/ with the stand-in base images
// and run on the real engine: who it runs as, what it does not contain, its HEALTHCHECK, labels and shutdown.
import assert from "assert";
import {
    BuiltImage,
    DockerCleanup,
    StandInImages,
    TEST_LABEL,
    buildAppImage,
    docker,
    ensureStandInImages,
    requireDocker,
    uniqueName,
    waitForHealthy,
} from "../support/docker";

const APP_UID = "10001";
const BUILD_ARGS = {
    GIT_COMMIT: "0123456789abcdef0123456789abcdef01234567",
    APP_VERSION: "1.4.2-rc.1",
    SOURCE_URL: "https://gitlab.example.com/delivery/gitlab-docker-delivery",
    BUILD_DATE: "2026-01-02T03:04:05Z",
};

describe("app runtime image (real Docker engine)", function () {
    this.timeout(120_000);
    const cleanup = new DockerCleanup();
    let standIns: StandInImages;
    let image: BuiltImage;

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        standIns = await ensureStandInImages();
        image = await buildAppImage({ tag: uniqueName("runtime"), buildArgs: BUILD_ARGS, cleanup });
    });
    after(async function () {
        this.timeout(120_000);
        await cleanup.run();
    });

    async function shell(script: string): Promise<string> {
        const result = await docker(["run", "--rm", "--label", `${TEST_LABEL}=1`, "--entrypoint", "sh", image.tag, "-c", script]);
        return result.stdout;
    }

    it("declares a fixed non-root user and its processes run with that uid and gid", async () => {
        const user = (await docker(["image", "inspect", "--format", "{{.Config.User}}", image.tag])).stdout.trim();
        assert.strictEqual(user, `${APP_UID}:${APP_UID}`);
        const ids = (await docker(["run", "--rm", "--entrypoint", "id", image.tag])).stdout.trim();
        assert.match(ids, new RegExp(`^uid=${APP_UID}\\(app\\) gid=${APP_UID}\\(app\\)`));
    });

    it("contains no package manager (npm, npx, corepack, yarn) and no compiler or build tool", async () => {
        const found = await shell(
            "for tool in npm npx corepack yarn yarnpkg gcc cc c++ g++ make tsc; do " +
                'if command -v "$tool" >/dev/null 2>&1; then echo "$tool at $(command -v "$tool")"; fi; done; ' +
                "for path in /app/node_modules/typescript /app/node_modules/.bin/tsc /app/node_modules/mocha /app/src /usr/share/nodejs/npm /usr/local/lib/node_modules/npm; do " +
                'if [ -e "$path" ]; then echo "$path exists"; fi; done',
        );
        assert.strictEqual(found.trim(), "", `the runtime image still has:\n${found}`);
        // The negative result above must come from a working probe: node itself is found the same way.
        assert.match(await shell("command -v node"), /\/node\n?$/);
    });

    it("ships the compiled app, its migrations and production dependencies only", async () => {
        const listing = await shell("cd /app && ls -1 && ls dist/server.js dist/healthcheck.js && ls migrations | head -1 && ls node_modules/pg/package.json");
        for (const expected of ["dist", "migrations", "node_modules", "package.json", "dist/server.js", "dist/healthcheck.js", "node_modules/pg/package.json"]) {
            assert.ok(listing.split("\n").includes(expected), `expected ${expected} in /app, got:\n${listing}`);
        }
        assert.match(listing, /^001_.*\.sql$/m);
    });

    it("leaves the app's code and dependencies read-only for the app user", async () => {
        const attempts = await shell(
            "for path in /app/dist/server.js /app/node_modules/pg/package.json /app/migrations /app; do " +
                'if touch "$path" 2>/dev/null || touch "$path/probe" 2>/dev/null; then echo "writable: $path"; fi; done; ' +
                'touch /tmp/probe && echo "tmp ok"',
        );
        assert.strictEqual(attempts.trim(), "tmp ok");
    });

    it("carries the OCI labels and app environment from the build args", async () => {
        const config = JSON.parse((await docker(["image", "inspect", "--format", "{{json .Config}}", image.tag])).stdout) as {
            Labels: Record<string, string>;
            Env: string[];
            Cmd: string[];
            Entrypoint: string[] | null;
            Healthcheck?: { Test: string[] };
        };
        assert.strictEqual(config.Labels["org.opencontainers.image.revision"], BUILD_ARGS.GIT_COMMIT);
        assert.strictEqual(config.Labels["org.opencontainers.image.version"], BUILD_ARGS.APP_VERSION);
        assert.strictEqual(config.Labels["org.opencontainers.image.source"], BUILD_ARGS.SOURCE_URL);
        assert.strictEqual(config.Labels["org.opencontainers.image.created"], BUILD_ARGS.BUILD_DATE);
        for (const env of ["NODE_ENV=production", `APP_VERSION=${BUILD_ARGS.APP_VERSION}`, `GIT_COMMIT=${BUILD_ARGS.GIT_COMMIT}`]) {
            assert.ok(config.Env.includes(env), `missing ENV ${env} in ${config.Env.join(" ")}`);
        }
        // Exec form, no shell wrapper: node is PID 1 and gets SIGTERM.
        assert.deepStrictEqual(config.Cmd, ["node", "dist/server.js"]);
        assert.ok(config.Entrypoint === null || config.Entrypoint.length === 0, `no entrypoint wrapper expected, got ${JSON.stringify(config.Entrypoint)}`);
        assert.deepStrictEqual(config.Healthcheck?.Test, ["CMD", "node", "dist/healthcheck.js"]);
    });

    describe("running next to PostgreSQL on a private network", () => {
        let app: string;

        before(async function () {
            this.timeout(180_000);
            const network = cleanup.network(uniqueName("img-net"));
            await docker(["network", "create", "--label", `${TEST_LABEL}=1`, network]);
            const db = cleanup.container(uniqueName("img-db"));
            await docker([
                "run", "--detach", "--name", db, "--label", `${TEST_LABEL}=1`, "--network", network, "--network-alias", "db",
                "--env", "POSTGRES_PASSWORD=image-test-pw", "--env", "POSTGRES_DB=notes", standIns.POSTGRES_IMAGE,
            ]);
            await waitForPostgres(db);
            app = cleanup.container(uniqueName("img-app"));
            // Only the probe interval is shortened; the probe command is the image's own HEALTHCHECK.
            await docker([
                "run", "--detach", "--name", app, "--label", `${TEST_LABEL}=1`, "--network", network,
                "--health-interval", "2s",
                "--env", "DATABASE_URL=postgres://postgres:image-test-pw@db:5432/notes", image.tag,
            ]);
        });

        it("turns healthy through its own node-based HEALTHCHECK", async () => {
            await waitForHealthy(app, 90_000);
        });

        it("runs node as PID 1 under the non-root uid", async () => {
            const status = (await docker(["exec", app, "cat", "/proc/1/status"])).stdout;
            assert.match(status, new RegExp(`^Uid:\\s+${APP_UID}\\s+${APP_UID}\\s`, "m"));
            const cmdline = (await docker(["exec", app, "cat", "/proc/1/cmdline"])).stdout.split("\0").filter(Boolean);
            assert.deepStrictEqual(cmdline, ["node", "dist/server.js"]);
        });

        it("reports the version and commit it was built with on GET /", async () => {
            const script = "fetch('http://127.0.0.1:3000/').then((r) => r.json()).then((body) => process.stdout.write(JSON.stringify(body)))";
            const body = JSON.parse((await docker(["exec", app, "node", "-e", script])).stdout) as Record<string, unknown>;
            assert.strictEqual(body.version, BUILD_ARGS.APP_VERSION);
            assert.strictEqual(body.commit, BUILD_ARGS.GIT_COMMIT);
        });

        it("exits 0 on docker stop: SIGTERM reaches node, which shuts down before the 10 s kill", async () => {
            await docker(["stop", "--time", "10", app], { timeoutMs: 30_000 });
            const state = (await docker(["inspect", "--format", "{{.State.ExitCode}} {{.State.OOMKilled}}", app])).stdout.trim();
            assert.strictEqual(state, "0 false", "exit code 137 would mean node ignored SIGTERM and was killed");
        });
    });
});

async function waitForPostgres(container: string): Promise<void> {
    for (let attempt = 0; attempt < 60; attempt++) {
        const probe = await docker(["exec", container, "pg_isready", "-U", "postgres", "-d", "notes"], { allowFailure: true });
        if (probe.code === 0) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
    const logs = await docker(["logs", "--tail", "20", container], { allowFailure: true });
    throw new Error(`PostgreSQL stand-in ${container} did not accept connections within 60 s:\n${logs.stdout}${logs.stderr}`);
}
