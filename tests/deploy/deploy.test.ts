// deploy.sh on the real engine: one host's life, in order. v1 goes up; v2 replaces it under load with no failed
// request; a v3 that never gets ready is turned away while v2 keeps serving; rollback returns to v1; the notes of
// the start are all there; a second deploy waits for the lock; bad input changes nothing.
import assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawn } from "child_process";
import { DOCKER_BIN, DockerCleanup, docker, requireDocker } from "../support/docker";
import { COMPOSE_BIN, DEPLOY_SCRIPT, StackProject, liveVersion, request, startLoad, versionImage } from "./stack";

const NEVER_READY_SERVER =
    'require("http").createServer((req, res) => { res.setHeader("content-type", "application/json");' +
    ' res.statusCode = req.url === "/ready" ? 503 : 200; res.end(JSON.stringify({ version: "v4" })); }).listen(3000)';

interface Note {
    id: number;
    title: string;
}

/** deploy.sh started in the background, with each output line stamped with the time it arrived. */
function spawnDeploy(project: StackProject, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    const lines: { at: number; text: string }[] = [];
    const child = spawn(DEPLOY_SCRIPT, [...args, "--env", project.env, "--env-file", project.envFile, "--project", project.name], {
        env: { ...process.env, DEPLOY_STATE_DIR: project.stateDir, DEPLOY_DOCKER: DOCKER_BIN, DEPLOY_COMPOSE: COMPOSE_BIN, ...env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    const collect = (chunk: Buffer) => {
        for (const text of chunk.toString("utf8").split("\n")) if (text.trim()) lines.push({ at: Date.now(), text });
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const exited = new Promise<{ code: number; at: number }>((resolve) => child.on("close", (code) => resolve({ code: code ?? -1, at: Date.now() })));
    return { child, lines, exited };
}

async function appContainers(project: StackProject): Promise<{ id: string; image: string; running: boolean }[]> {
    const ids = await project.containers("app");
    const result = [];
    for (const id of ids) {
        const [image, running] = (await docker(["inspect", "--format", "{{.Config.Image}} {{.State.Running}}", id])).stdout.trim().split(" ");
        result.push({ id, image, running: running === "true" });
    }
    return result;
}

async function stackSnapshot(project: StackProject): Promise<string> {
    const ids = await project.containers();
    const states = [];
    for (const id of ids) states.push((await docker(["inspect", "--format", "{{.Id}} {{.Config.Image}} {{.State.StartedAt}}", id])).stdout.trim());
    const releases = path.join(project.stateDir, "releases");
    return `${states.join("\n")}\n${fs.existsSync(releases) ? fs.readFileSync(releases, "utf8") : "no releases"}`;
}

describe(`deploy.sh on a host (real Docker engine, ${COMPOSE_BIN})`, function () {
    this.timeout(240_000);
    const cleanup = new DockerCleanup();
    let project: StackProject;
    let v1: string;
    let v2: string;
    let v3: string;
    let notReady: string;
    let baseUrl: string;
    const notesAtStart: Note[] = [];

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        v1 = await versionImage("v1", cleanup);
        v2 = await versionImage("v2", cleanup);
        v3 = await versionImage("v3", cleanup);
        // Healthy (GET /health 200) and happy to serve GET / as "v4", but GET /ready is always 503.
        notReady = cleanup.image(`${v3}-never-ready`);
        await docker(["build", "--quiet", "--label", "cicd.test=1", "--tag", notReady, "-"], {
            input: `FROM ${v3}\nCMD ["node", "-e", ${JSON.stringify(NEVER_READY_SERVER)}]\n`,
            env: { DOCKER_BUILDKIT: "1" },
        });
        project = await StackProject.create("deploy");
    });
    after(async function () {
        this.timeout(180_000);
        if (project) await project.teardown();
        await cleanup.run();
    });

    it("first deploy brings up db, proxy and v1, and records the release", async function () {
        const result = await project.deploy(["deploy", "--image", v1]);
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        for (const step of ["acquire_lock", "ensure_infrastructure", "boot_new", "wait_ready", "switch_traffic", "record_release"]) {
            assert.match(result.stdout, new RegExp(`--> ${step}:`), `progress line for ${step}`);
        }
        baseUrl = await project.proxyUrl();
        assert.strictEqual(await liveVersion(baseUrl), "v1");
        for (const title of ["first", "second", "third"]) {
            const created = await request(`${baseUrl}/api/notes`, "POST", { title, body: `written on v1: ${title}` });
            assert.strictEqual(created.status, 201, created.body);
            notesAtStart.push(created.json<Note>());
        }
        assert.match(fs.readFileSync(path.join(project.stateDir, "releases"), "utf8"), new RegExp(`${v1}\n$`));
    });

    it("re-deploying the live version is a no-op and says so", async function () {
        const before = await stackSnapshot(project);
        const result = await project.deploy(["deploy", "--image", v1]);
        assert.strictEqual(result.code, 0, result.stderr);
        assert.match(result.stdout, /already live on all 1 replica\(s\); nothing to do/);
        assert.strictEqual(await stackSnapshot(project), before, "no container and no release record changed");
    });

    it("rolls the same image out again, gated, when the replica count changes", async function () {
        const result = await project.deploy(["deploy", "--image", v1], { APP_REPLICAS: "2" });
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, /boot_new: started 2 replica\(s\) of \S+ in slot \w+ beside 1 running/);
        assert.match(result.stdout, /--> wait_ready:/);
        const apps = await appContainers(project);
        assert.deepStrictEqual(apps.map((app) => [app.image, app.running]), [[v1, true], [v1, true]]);
        assert.strictEqual(await liveVersion(baseUrl), "v1");
    });

    it("deploys v2 under load with zero failed requests; only v1 or v2 answer; v2 is live at the end", async function () {
        const load = startLoad(baseUrl, { connections: 4, maxRequests: 20_000, maxDurationMs: 120_000 });
        const result = await project.deploy(["deploy", "--image", v2]);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const report = await load.stop();
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
        assert.ok(report.sent >= 100, `the load loop ran throughout (sent ${report.sent})`);
        assert.deepStrictEqual(Object.keys(report.versions).sort(), ["v1", "v2"], `versions seen: ${JSON.stringify(report.versions)}`);
        assert.strictEqual(await liveVersion(baseUrl), "v2");
        const apps = await appContainers(project);
        assert.deepStrictEqual(apps.map((app) => [app.image, app.running]), [[v2, true]], "the v1 replica is gone");
    });

    it("turns away a v3 that never gets ready: non-zero exit naming image and check, v2 serving, no v3 left", async function () {
        const load = startLoad(baseUrl, { connections: 4, maxRequests: 20_000, maxDurationMs: 120_000 });
        // Same image, wrong database for this deploy only: v3 cannot pass GET /ready.
        const result = await project.deploy(["deploy", "--image", v3], { POSTGRES_DB: "no_such_database", DEPLOY_READY_TIMEOUT: "40" });
        const report = await load.stop();
        assert.notStrictEqual(result.code, 0, "the deploy must fail");
        const errorLines = result.stderr.split("\n").filter((line) => line.startsWith("ERROR:"));
        assert.strictEqual(errorLines.length, 1, result.stderr);
        assert.ok(errorLines[0].includes(v3), `the error names the image: ${errorLines[0]}`);
        assert.match(errorLines[0], /health gate failed.*(ready|crashed|exited)/);
        assert.match(result.stderr, /no_such_database/, "the failing container's logs are shown");
        assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
        assert.deepStrictEqual(Object.keys(report.versions), ["v2"], "v3 never answered a request");
        assert.strictEqual(await liveVersion(baseUrl), "v2");
        const apps = await appContainers(project);
        assert.deepStrictEqual(apps.map((app) => app.image), [v2], "no v3 container is left");
        assert.ok(!fs.existsSync(path.join(project.stateDir, "deploy.lock")), "the lock is released");
        assert.doesNotMatch(fs.readFileSync(path.join(project.stateDir, "releases"), "utf8"), new RegExp(v3), "a failed deploy is not recorded");
    });

    it("never routes to a replica that answers but is not ready: the gate times out and removes it", async function () {
        const load = startLoad(baseUrl, { connections: 4, maxRequests: 20_000, maxDurationMs: 120_000 });
        const result = await project.deploy(["deploy", "--image", notReady], { DEPLOY_READY_TIMEOUT: "8" });
        const report = await load.stop();
        assert.strictEqual(result.code, 1, result.stdout + result.stderr);
        const errorLines = result.stderr.split("\n").filter((line) => line.startsWith("ERROR:"));
        assert.strictEqual(errorLines.length, 1, result.stderr);
        assert.ok(errorLines[0].includes(notReady), errorLines[0]);
        assert.match(errorLines[0], /GET \/ready on \S+ answered 503 instead of 200 within 8s/);
        assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
        assert.deepStrictEqual(Object.keys(report.versions), ["v2"], `the unready replica answered GET / yet got no traffic: ${JSON.stringify(report.versions)}`);
        assert.deepStrictEqual((await appContainers(project)).map((app) => app.image), [v2]);
    });

    it("cleans up when interrupted during the health gate: new containers removed, lock released, v2 serving", async function () {
        const before = (await appContainers(project)).map((app) => app.id);
        const interrupted = spawnDeploy(project, ["deploy", "--image", notReady], { DEPLOY_READY_TIMEOUT: "120" });
        const deadline = Date.now() + 60_000;
        while (!interrupted.lines.some((line) => /boot_new:/.test(line.text)) && Date.now() < deadline) {
            await new Promise((resolve) => setTimeout(resolve, 200));
        }
        assert.ok(interrupted.lines.some((line) => /boot_new:/.test(line.text)), "the deploy reached the gate");
        interrupted.child.kill("SIGTERM");
        const exit = await interrupted.exited;
        assert.notStrictEqual(exit.code, 0);
        assert.deepStrictEqual((await appContainers(project)).map((app) => app.id), before, "only the serving replicas are left");
        assert.ok(!fs.existsSync(path.join(project.stateDir, "deploy.lock")), "the lock is released");
        assert.strictEqual(await liveVersion(baseUrl), "v2");
    });

    it("rolls back to the previous release (v1) through the same gate, under load", async function () {
        const load = startLoad(baseUrl, { connections: 4, maxRequests: 20_000, maxDurationMs: 120_000 });
        const result = await project.deploy(["rollback"]);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const report = await load.stop();
        assert.strictEqual(result.code, 0, result.stdout + result.stderr);
        assert.match(result.stdout, new RegExp(`rollback: ${v1.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} to local`));
        assert.match(result.stdout, /--> wait_ready:/, "rollback passes the health gate");
        assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
        assert.strictEqual(await liveVersion(baseUrl), "v1");
        const releases = fs.readFileSync(path.join(project.stateDir, "releases"), "utf8").trim().split("\n").map((line) => line.split(" ")[1]);
        // v1 (first deploy), v1 again (2 replicas), v2, then the rollback to v1; failed deploys are not recorded.
        assert.deepStrictEqual(releases, [v1, v1, v2, v1]);
    });

    it("still has every note written at the start", async function () {
        for (const note of notesAtStart) {
            const read = await request(`${baseUrl}/api/notes/${note.id}`);
            assert.strictEqual(read.status, 200, `note ${note.id}: ${read.body}`);
            assert.strictEqual(read.json<Note>().title, note.title);
        }
    });

    it("never interleaves two deploys: a second one waits for the lock, a third gives up with a clear error", async function () {
        const first = spawnDeploy(project, ["deploy", "--image", v2]);
        const lockDir = path.join(project.stateDir, "deploy.lock");
        const deadline = Date.now() + 30_000;
        while (!fs.existsSync(path.join(lockDir, "details")) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
        assert.ok(fs.existsSync(lockDir), "the first deploy holds the lock");

        const second = spawnDeploy(project, ["deploy", "--image", v2]);
        const third = await project.deploy(["deploy", "--image", v1], { DEPLOY_LOCK_TIMEOUT: "1" });
        const [firstExit, secondExit] = await Promise.all([first.exited, second.exited]);

        assert.strictEqual(firstExit.code, 0, first.lines.map((line) => line.text).join("\n"));
        assert.strictEqual(third.code, 1);
        assert.match(third.stderr, /^ERROR: another deploy holds the lock .*action=deploy image=\S+-v2/m);
        assert.strictEqual(secondExit.code, 0, second.lines.map((line) => line.text).join("\n"));
        assert.ok(second.lines.some((line) => /waiting for another deploy/.test(line.text)), "the second deploy says it waits");
        const acquired = second.lines.find((line) => /acquire_lock: holding/.test(line.text));
        assert.ok(acquired, "the second deploy got the lock eventually");
        const firstDone = first.lines.find((line) => /deploy: done/.test(line.text));
        assert.ok(firstDone && acquired.at >= firstDone.at, "the second deploy took the lock only after the first had finished");
        assert.ok(second.lines.some((line) => /already live/.test(line.text)), "after waiting, it found v2 live and did nothing");
        assert.strictEqual(await liveVersion(baseUrl), "v2");
    });

    it("two phases: prepare gates v3 beside v2 without traffic; switch makes it live under load; an unswitched candidate is cleared", async function () {
        const load = startLoad(baseUrl, { connections: 4, maxRequests: 40_000, maxDurationMs: 180_000 });
        const prepared = await project.deploy(["prepare", "--image", v3]);
        assert.strictEqual(prepared.code, 0, prepared.stdout + prepared.stderr);
        assert.match(prepared.stdout, /--> prepare: done, 1 replica\(s\) of \S+ ready in slot \w+; traffic still goes to \w+ until switch/);
        assert.strictEqual(await liveVersion(baseUrl), "v2", "prepare does not switch");
        assert.deepStrictEqual((await appContainers(project)).map((app) => app.image).sort(), [v2, v3].sort(), "the candidate runs beside the live replica");

        const switched = await project.deploy(["switch", "--image", v3]);
        assert.strictEqual(switched.code, 0, switched.stdout + switched.stderr);
        assert.strictEqual(await liveVersion(baseUrl), "v3");
        assert.deepStrictEqual((await appContainers(project)).map((app) => app.image), [v3], "the old replica is gone");

        // A host whose switch never came (another host failed its gate): the next prepare clears the candidate.
        const candidate = await project.deploy(["prepare", "--image", v2]);
        assert.strictEqual(candidate.code, 0, candidate.stdout + candidate.stderr);
        const cleared = await project.deploy(["prepare", "--image", v3]);
        assert.strictEqual(cleared.code, 0, cleared.stdout + cleared.stderr);
        assert.match(cleared.stdout, /clear_leftovers: removed 1 app container/);
        assert.match(cleared.stdout, /already live .* nothing to prepare/);
        const stale = await project.deploy(["switch", "--image", v2]);
        assert.strictEqual(stale.code, 1);
        assert.match(stale.stderr, /^ERROR: step switch: nothing prepared for \S+-v2/m);
        assert.strictEqual(await liveVersion(baseUrl), "v3");

        const back = await project.deploy(["deploy", "--image", v2]);
        assert.strictEqual(back.code, 0, back.stdout + back.stderr);
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const report = await load.stop();
        assert.strictEqual(report.failed, 0, `failed requests: ${report.failures.join(" | ")}`);
        assert.deepStrictEqual(Object.keys(report.versions).sort(), ["v2", "v3"]);
    });

    describe("bad input: one clear message, nothing touched", function () {
        const cases: { name: string; args: (images: { v1: string }) => string[]; env?: NodeJS.ProcessEnv; message: RegExp }[] = [
            { name: "no image", args: () => ["deploy"], message: /--image is required/ },
            { name: "an image without tag or digest", args: () => ["deploy", "--image", "registry.example.com/notes"], message: /has no tag or digest/ },
            { name: "the moving tag latest", args: () => ["deploy", "--image", "notes:latest"], message: /uses the tag 'latest'/ },
            { name: "a malformed digest", args: () => ["deploy", "--image", "notes@sha256:1234"], message: /malformed digest/ },
            { name: "an unknown environment", args: ({ v1 }) => ["deploy", "--image", v1, "--env", "qa"], message: /unknown environment 'qa' \(allowed: local staging production\)/ },
            { name: "a missing env file", args: ({ v1 }) => ["deploy", "--image", v1, "--env-file", "/nonexistent/stack.env"], message: /env file '\/nonexistent\/stack.env' is not a readable file/ },
            { name: "an env file that is a directory", args: ({ v1 }) => ["deploy", "--image", v1, "--env-file", "/tmp"], message: /env file '\/tmp' is not a readable file/ },
            { name: "half the registry credentials", args: ({ v1 }) => ["deploy", "--image", v1], env: { REGISTRY_USER: "deployer" }, message: /set both REGISTRY_USER and REGISTRY_PASSWORD/ },
        ];
        for (const testCase of cases) {
            it(`rejects ${testCase.name}`, async function () {
                const before = await stackSnapshot(project);
                // Later flags win in deploy.sh, so a case's --env or --env-file overrides the project's.
                const args = testCase.args({ v1 });
                const result = await runDeployRaw(project, args, testCase.env);
                assert.strictEqual(result.code, 1);
                const errorLines = result.stderr.split("\n").filter((line) => line.startsWith("ERROR:"));
                assert.strictEqual(errorLines.length, 1, result.stderr);
                assert.match(errorLines[0], testCase.message);
                assert.strictEqual(result.stdout, "", "nothing was started");
                assert.strictEqual(await stackSnapshot(project), before, "no container or record changed");
                assert.ok(!fs.existsSync(path.join(project.stateDir, "deploy.lock")), "no lock left behind");
            });
        }
    });

    // Last, after the bad-input cases, which need a running stack to prove they touched nothing.
    describe("status and teardown", function () {
        it("reports the live image and the releases with status, then `down --volumes` leaves nothing", async function () {
            const status = await project.deploy(["status"]);
            assert.strictEqual(status.code, 0, status.stderr);
            assert.match(status.stdout, new RegExp(`live image: ${v2.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
            assert.match(status.stdout, /releases \(newest last/);

            const down = await project.deploy(["down", "--volumes"]);
            assert.strictEqual(down.code, 0, down.stdout + down.stderr);
            assert.deepStrictEqual(await project.leftovers(), []);
        });
    });
});

/** deploy.sh with the project's defaults first, so a case's own --env/--env-file (given later) wins. */
function runDeployRaw(project: StackProject, args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    const [action, ...rest] = args;
    return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(DEPLOY_SCRIPT, [action, "--env", project.env, "--env-file", project.envFile, "--project", project.name, ...rest], {
            env: { ...process.env, DEPLOY_STATE_DIR: project.stateDir, DEPLOY_DOCKER: DOCKER_BIN, DEPLOY_COMPOSE: COMPOSE_BIN, ...env },
        });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
}
