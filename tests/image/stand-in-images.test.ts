// The offline stand-in base images (scripts/stand-in-images.sh) keep the parts of the official images'
// contracts that our Dockerfile and Compose files rely on. Compose and deploy tests build on these facts.
import assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APP_DIR, DockerCleanup, STAND_IN_SCRIPT, StandInImages, TEST_LABEL, docker, ensureStandInImages, requireDocker, run, uniqueName } from "../support/docker";

describe("stand-in base images (real Docker engine)", function () {
    this.timeout(60_000);
    const cleanup = new DockerCleanup();
    let images: StandInImages;

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        images = await ensureStandInImages();
    });
    after(async function () {
        this.timeout(120_000);
        await cleanup.run();
    });

    describe("scripts/stand-in-images.sh", () => {
        it("prints the four image variables with --print-env, and each names an existing image", async () => {
            const { stdout } = await run("bash", [STAND_IN_SCRIPT, "--print-env"]);
            const keys = stdout.trim().split("\n").map((line) => line.split("=")[0]);
            assert.deepStrictEqual(keys, ["BUILD_IMAGE", "RUNTIME_IMAGE", "POSTGRES_IMAGE", "NGINX_IMAGE"]);
            for (const ref of Object.values(images)) await docker(["image", "inspect", ref]);
        });

        it("rejects an unknown argument with the usage line and one ERROR, building nothing", async () => {
            const before = (await docker(["images", "--quiet", "--no-trunc", "cicd-standin/*"])).stdout;
            const result = await run("bash", [STAND_IN_SCRIPT, "--rebuild", "redis"], { allowFailure: true });
            assert.notStrictEqual(result.code, 0);
            assert.match(result.stderr, /^Usage: .*stand-in-images\.sh/m);
            assert.match(result.stderr, /^ERROR: unknown argument 'redis' \(allowed: .*node-build node-runtime postgres nginx\)$/m);
            assert.strictEqual(result.stdout, "");
            assert.strictEqual((await docker(["images", "--quiet", "--no-trunc", "cicd-standin/*"])).stdout, before);
        });

        it("node-runtime has node but no npm or npx; node-build has both", async () => {
            const probe = "for t in node npm npx; do if command -v $t >/dev/null; then echo $t; fi; done";
            assert.strictEqual((await docker(["run", "--rm", images.RUNTIME_IMAGE, "sh", "-c", probe])).stdout, "node\n");
            assert.strictEqual((await docker(["run", "--rm", images.BUILD_IMAGE, "sh", "-c", probe])).stdout, "node\nnpm\nnpx\n");
        });

        it("both node images run the Node.js major of the Dockerfile's official bases and say so in NODE_VERSION", async () => {
            const dockerfile = fs.readFileSync(path.join(APP_DIR, "Dockerfile"), "utf8");
            const officialMajors = [...dockerfile.matchAll(/^ARG (?:BUILD|RUNTIME)_IMAGE=node:(\d+)\./gm)].map((match) => match[1]);
            assert.deepStrictEqual(officialMajors.length, 2, "app/Dockerfile has no node:<major>.x defaults for BUILD_IMAGE and RUNTIME_IMAGE");
            assert.strictEqual(officialMajors[0], officialMajors[1]);
            for (const image of [images.BUILD_IMAGE, images.RUNTIME_IMAGE]) {
                const version = (await docker(["run", "--rm", image, "node", "-p", "process.versions.node"])).stdout.trim();
                assert.strictEqual(version.split(".")[0], officialMajors[0], `${image} runs Node.js ${version}`);
                const env = (await docker(["image", "inspect", "--format", "{{range .Config.Env}}{{println .}}{{end}}", image])).stdout;
                assert.match(env, new RegExp(`^NODE_VERSION=${version.replace(/\./g, "\\.")}$`, "m"), `${image}: ENV NODE_VERSION`);
            }
            // npm runs on that node in the build image (npm ci happens there).
            const npmNode = (await docker(["run", "--rm", images.BUILD_IMAGE, "npm", "version", "--json"])).stdout;
            assert.strictEqual((JSON.parse(npmNode) as { node: string }).node.split(".")[0], officialMajors[0]);
        });
    });

    describe("postgres stand-in", () => {
        let db: string;
        let volume: string;
        const env = ["--env", "POSTGRES_USER=notes_owner", "--env", "POSTGRES_PASSWORD=standin-test-pw", "--env", "POSTGRES_DB=notes_db"];

        async function psql(sql: string, password = "standin-test-pw") {
            // Over TCP, so password authentication is what is tested (the socket trusts local users).
            return docker(["exec", "--env", `PGPASSWORD=${password}`, db, "psql", "-h", "127.0.0.1", "-U", "notes_owner", "-d", "notes_db", "-tAc", sql], { allowFailure: true });
        }

        before(async function () {
            this.timeout(120_000);
            volume = cleanup.volume(uniqueName("pgdata"));
            db = cleanup.container(uniqueName("standin-pg"));
            await docker(["run", "--detach", "--name", db, "--label", `${TEST_LABEL}=1`, "--volume", `${volume}:/var/lib/postgresql/data`, ...env, images.POSTGRES_IMAGE]);
            await waitUntil(async () => (await docker(["exec", db, "pg_isready", "-U", "notes_owner", "-d", "notes_db"], { allowFailure: true })).code === 0, db);
        });

        it("initialises PGDATA with POSTGRES_USER, POSTGRES_PASSWORD and POSTGRES_DB and accepts that login on 5432", async () => {
            const result = await psql("select current_user || ' ' || current_database() || ' ' || current_setting('port')");
            assert.strictEqual(result.stdout.trim(), "notes_owner notes_db 5432", result.stderr);
        });

        it("refuses a wrong password over TCP", async () => {
            const result = await psql("select 1", "not-the-password");
            assert.notStrictEqual(result.code, 0);
            assert.match(result.stderr, /password authentication failed/);
        });

        it("runs the server as PID 1 under the postgres user, not root", async () => {
            const uid = (await docker(["exec", db, "id", "-u", "postgres"])).stdout.trim();
            const status = (await docker(["exec", db, "cat", "/proc/1/status"])).stdout;
            assert.match(status, /^Name:\s+postgres$/m);
            assert.match(status, new RegExp(`^Uid:\\s+${uid}\\s`, "m"));
            assert.notStrictEqual(uid, "0");
        });

        it("keeps its data in the volume across a restart without initialising again", async () => {
            assert.strictEqual((await psql("create table kept (id int); insert into kept values (42)")).code, 0);
            await docker(["restart", "--time", "10", db]);
            await waitUntil(async () => (await docker(["exec", db, "pg_isready", "-U", "notes_owner"], { allowFailure: true })).code === 0, db);
            assert.strictEqual((await psql("select id from kept")).stdout.trim(), "42");
            const logs = await docker(["logs", db]);
            assert.strictEqual((logs.stdout + logs.stderr).match(/initialising a new cluster/g)?.length, 1);
        });

        it("refuses to initialise without POSTGRES_PASSWORD, with one clear message", async () => {
            const name = cleanup.container(uniqueName("standin-pg-nopw"));
            const result = await docker(["run", "--name", name, "--label", `${TEST_LABEL}=1`, images.POSTGRES_IMAGE], { allowFailure: true, timeoutMs: 60_000 });
            assert.notStrictEqual(result.code, 0);
            assert.match(result.stderr, /^ERROR: the database is uninitialised and POSTGRES_PASSWORD is not set/m);
        });
    });

    describe("nginx stand-in", () => {
        let proxy: string;
        let configDir: string;

        before(async function () {
            this.timeout(60_000);
            configDir = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-standin-nginx-"));
            fs.mkdirSync(path.join(configDir, "templates"));
            fs.writeFileSync(path.join(configDir, "site.conf"), 'server { listen 8080; location / { return 200 "conf.d site\\n"; } }\n');
            fs.writeFileSync(
                path.join(configDir, "templates", "greeting.conf.template"),
                'server { listen 8081; location / { return 200 "${GREETING} from $host\\n"; } }\n',
            );
            proxy = cleanup.container(uniqueName("standin-nginx"));
            await docker([
                "run", "--detach", "--name", proxy, "--label", `${TEST_LABEL}=1`, "--env", "GREETING=hello",
                "--volume", `${path.join(configDir, "site.conf")}:/etc/nginx/conf.d/site.conf:ro`,
                "--volume", `${path.join(configDir, "templates")}:/etc/nginx/templates:ro`,
                images.NGINX_IMAGE,
            ]);
            await waitUntil(async () => (await docker(["exec", proxy, "curl", "-fsS", "http://127.0.0.1:8080/"], { allowFailure: true })).code === 0, proxy);
        });
        after(() => fs.rmSync(configDir, { recursive: true, force: true }));

        it("serves a server block mounted into /etc/nginx/conf.d", async () => {
            assert.strictEqual((await docker(["exec", proxy, "curl", "-fsS", "http://127.0.0.1:8080/"])).stdout, "conf.d site\n");
        });

        it("renders /etc/nginx/templates with set environment variables and leaves nginx's own $variables alone", async () => {
            assert.strictEqual((await docker(["exec", proxy, "curl", "-fsS", "http://127.0.0.1:8081/"])).stdout, "hello from 127.0.0.1\n");
        });

        it("writes its access log to the container's stdout", async () => {
            await docker(["exec", proxy, "wget", "-qO-", "http://127.0.0.1:8080/logged-path"]);
            const logs = await docker(["logs", proxy]);
            assert.match(logs.stdout, /"GET \/logged-path HTTP\/1\.1" 200/);
        });

        it("runs nginx in the foreground as PID 1", async () => {
            const cmdline = (await docker(["exec", proxy, "cat", "/proc/1/cmdline"])).stdout.split("\0").filter(Boolean);
            assert.deepStrictEqual(cmdline, ["nginx: master process nginx -g daemon off;"]);
        });
    });
});

async function waitUntil(ready: () => Promise<boolean>, container: string, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
        if (await ready()) return;
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const logs = await docker(["logs", "--tail", "20", container], { allowFailure: true });
    throw new Error(`${container} was not ready within ${timeoutMs} ms:\n${logs.stdout}${logs.stderr}`);
}
