// The Compose bundle in app/deploy, run by hand (`docker-compose up`, no deploy.sh) on the real engine with the
// offline stand-in images: health, the notes API through nginx, network isolation, and data that outlives containers.
import assert from "assert";
import * as path from "path";
import * as zlib from "zlib";
import YAML from "yaml";
import { docker, requireDocker } from "../support/docker";
import { COMPOSE_BIN, DEPLOY_DIR, StackProject, composeCommand, request, sharedAppImage, waitForStackHealthy } from "../deploy/stack";

/** The parts of `compose config` output these tests read (v1 and v2 print the same keys, values may differ in form). */
interface ResolvedService {
    deploy?: { replicas?: number | string; resources?: { limits?: { memory?: string | number; cpus?: string | number } } };
    environment?: Record<string, string>;
    logging?: { driver?: string; options?: Record<string, string> };
}

/** "256M" (v1 prints what the file says) or 268435456 (v2 prints bytes) as bytes. */
function bytes(value: string | number | undefined): number {
    if (value === undefined) return 0;
    const match = /^(\d+(?:\.\d+)?)\s*([kmg]?)i?b?$/i.exec(String(value).trim());
    if (!match) throw new Error(`unreadable memory limit ${value}`);
    const unit = { "": 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30 }[match[2].toLowerCase() as "" | "k" | "m" | "g"];
    return Number(match[1]) * unit;
}

interface Note {
    id: number;
    title: string;
    body: string;
}

/** Runs a node one-liner inside `container`'s network namespace (its DNS and routes), from the app image. */
async function fromNetworkOf(container: string, image: string, script: string): Promise<string> {
    const result = await docker(["run", "--rm", "--label", "cicd.test=1", "--network", `container:${container}`, image, "node", "-e", script], {
        timeoutMs: 60_000,
    });
    return result.stdout.trim();
}

const LOOKUP = (host: string) =>
    `require("dns").lookup(${JSON.stringify(host)},(e,a)=>console.log(e?"lookup-failed:"+e.code:"resolved:"+a))`;
const CONNECT = (host: string, port: number) =>
    `const s=require("net").connect({host:${JSON.stringify(host)},port:${port},timeout:3000});` +
    `s.on("connect",()=>{console.log("connected");s.destroy()});s.on("timeout",()=>{console.log("timeout");s.destroy()});` +
    `s.on("error",e=>console.log("error:"+e.code))`;

describe(`Compose stack (real Docker engine, ${COMPOSE_BIN})`, function () {
    this.timeout(180_000);
    let project: StackProject;
    let image: string;
    let baseUrl: string;

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        image = await sharedAppImage();
        project = await StackProject.create("compose");
    });
    after(async function () {
        this.timeout(120_000);
        if (project) await project.teardown();
    });

    it("comes up with app, db and proxy all healthy", async function () {
        await project.compose(["up", "-d"], image);
        await waitForStackHealthy(project, ["db", "app", "proxy"]);
        baseUrl = await project.proxyUrl();
        assert.match(baseUrl, /^http:\/\/127\.0\.0\.1:\d+$/, "the proxy must be published on loopback only");
    });

    it("serves the notes API through nginx on 127.0.0.1, with nginx's headers", async function () {
        const created = await request(`${baseUrl}/api/notes`, "POST", { title: "groceries", body: "milk" });
        assert.strictEqual(created.status, 201, created.body);
        const note = created.json<Note>();
        assert.strictEqual(note.title, "groceries");

        const read = await request(`${baseUrl}/api/notes/${note.id}`);
        assert.strictEqual(read.status, 200);
        assert.deepStrictEqual(read.json<Note>().body, "milk");

        const updated = await request(`${baseUrl}/api/notes/${note.id}`, "PUT", { title: "groceries", body: "oat milk" });
        assert.strictEqual(updated.status, 200, updated.body);
        assert.strictEqual((await request(`${baseUrl}/api/notes/${note.id}`)).json<Note>().body, "oat milk");

        const list = await request(`${baseUrl}/api/notes`);
        assert.strictEqual(list.status, 200);
        assert.match(list.body, /oat milk/);

        assert.strictEqual((await request(`${baseUrl}/api/notes/${note.id}`, "DELETE")).status, 204);
        assert.strictEqual((await request(`${baseUrl}/api/notes/${note.id}`)).status, 404);

        // Answered by nginx, not the app: security headers, no version banner, metrics kept private.
        assert.strictEqual(read.headers["x-content-type-options"], "nosniff");
        assert.strictEqual(read.headers["x-frame-options"], "DENY");
        assert.doesNotMatch(String(read.headers.server), /\d/, "server_tokens off hides the nginx version");
        assert.strictEqual((await request(`${baseUrl}/metrics`)).status, 404);
    });

    it("compresses larger JSON answers for clients that accept gzip", async function () {
        for (let i = 0; i < 5; i++) {
            const created = await request(`${baseUrl}/api/notes`, "POST", { title: `long ${i}`, body: "compressible text ".repeat(40) });
            assert.strictEqual(created.status, 201, created.body);
        }
        const plain = await request(`${baseUrl}/api/notes`);
        assert.ok(plain.body.length > 1024, "the list is over gzip_min_length");
        assert.strictEqual(plain.headers["content-encoding"], undefined);
        const zipped = await request(`${baseUrl}/api/notes`, "GET", undefined, undefined, { "accept-encoding": "gzip" });
        assert.strictEqual(zipped.status, 200);
        assert.strictEqual(zipped.headers["content-encoding"], "gzip");
        assert.ok(zipped.raw.length < plain.raw.length, `gzip made it smaller (${zipped.raw.length} < ${plain.raw.length} bytes)`);
        assert.deepStrictEqual(JSON.parse(zlib.gunzipSync(zipped.raw).toString("utf8")), plain.json());
    });

    it("writes one JSON access-log line per request", async function () {
        const marker = `/api/notes/999999?probe=${Date.now()}`;
        await request(`${baseUrl}${marker}`);
        const logs = await docker(["logs", "--tail", "50", await project.container("proxy")]);
        const line = (logs.stdout + logs.stderr).split("\n").find((entry) => entry.includes(marker.split("?")[1]));
        assert.ok(line, "the request appears in the proxy's log");
        const entry = JSON.parse(line) as { status: number; method: string; upstream_addr: string };
        assert.strictEqual(entry.status, 404);
        assert.strictEqual(entry.method, "GET");
        assert.match(entry.upstream_addr, /:3000$/);
    });

    it("keeps the database out of the proxy's reach (internal network)", async function () {
        const proxy = await project.container("proxy");
        const app = await project.container("app");
        const db = await project.container("db");
        const dbAddress = (await docker(["inspect", "--format", "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}", db])).stdout.trim();
        assert.match(dbAddress, /^\d+\.\d+\.\d+\.\d+$/);

        // The same probes succeed from the app's namespace, so a failure from the proxy's means isolation.
        assert.match(await fromNetworkOf(app, image, LOOKUP("db")), /^resolved:/);
        assert.strictEqual(await fromNetworkOf(app, image, CONNECT(dbAddress, 5432)), "connected");
        assert.strictEqual(await fromNetworkOf(proxy, image, CONNECT("app-blue", 3000)), "connected");

        assert.match(await fromNetworkOf(proxy, image, LOOKUP("db")), /^lookup-failed:/);
        assert.notStrictEqual(await fromNetworkOf(proxy, image, CONNECT(dbAddress, 5432)), "connected");
    });

    it("keeps notes across `down` and `up` (named volume)", async function () {
        const created = await request(`${baseUrl}/api/notes`, "POST", { title: "survivor", body: "kept in db-data" });
        assert.strictEqual(created.status, 201, created.body);
        const id = created.json<Note>().id;
        const dbBefore = await project.container("db");

        await project.compose(["down", "--timeout", "10"], image);
        assert.deepStrictEqual(await project.containers(), [], "down removes every container");
        await project.compose(["up", "-d"], image);
        await waitForStackHealthy(project, ["db", "app", "proxy"]);
        assert.notStrictEqual(await project.container("db"), dbBefore, "the database container is a new one");

        baseUrl = await project.proxyUrl();
        const read = await request(`${baseUrl}/api/notes/${id}`);
        assert.strictEqual(read.status, 200, read.body);
        assert.strictEqual(read.json<Note>().title, "survivor");
    });

    it("brings a killed app container back (restart policy) with the data intact", async function () {
        const app = await project.container("app");
        const pid = (await docker(["inspect", "--format", "{{.State.Pid}}", app])).stdout.trim();
        // `docker kill` counts as a deliberate stop, which restart policies respect; a crash is a SIGKILL from
        // outside. A helper container in the engine's PID namespace sends it, so this works under DinD too.
        await docker(["run", "--rm", "--label", "cicd.test=1", "--pid", "host", "--user", "0", image, "node", "-e", `process.kill(${pid},"SIGKILL")`]);

        const deadline = Date.now() + 60_000;
        let restarts = 0;
        while (Date.now() < deadline && restarts === 0) {
            await new Promise((resolve) => setTimeout(resolve, 500));
            restarts = Number((await docker(["inspect", "--format", "{{.RestartCount}}", app])).stdout.trim());
        }
        assert.ok(restarts >= 1, "Docker restarted the killed container");
        await waitForStackHealthy(project, ["app"]);
        const list = await request(`${baseUrl}/api/notes`);
        assert.strictEqual(list.status, 200, list.body);
        assert.match(list.body, /survivor/);
    });

    it("resolves the production override to 2+ replicas with tighter limits and quieter logs", async function () {
        const resolved = async (env: string) => {
            const files = ["-f", path.join(DEPLOY_DIR, "compose.yaml"), "-f", path.join(DEPLOY_DIR, `compose.${env}.yaml`)];
            const text = (await composeCommand(["--env-file", project.envFile, ...files, "config"], { env: { APP_IMAGE: image } })).stdout;
            return YAML.parse(text) as { services: Record<string, ResolvedService> };
        };
        const production = (await resolved("production")).services;
        const staging = (await resolved("staging")).services;
        assert.ok(Number(production.app.deploy?.replicas) >= 2, "production runs two app replicas or more");
        assert.strictEqual(Number(staging.app.deploy?.replicas ?? 1), 1);
        for (const service of ["app", "db", "proxy"]) {
            const prodMemory = bytes(production[service].deploy?.resources?.limits?.memory);
            assert.ok(prodMemory > 0, `${service} has a memory limit in production`);
            if (service !== "db") assert.ok(prodMemory < bytes(staging[service].deploy?.resources?.limits?.memory), `${service}: tighter in production`);
            assert.strictEqual(production[service].logging?.driver, "json-file");
            assert.ok(production[service].logging?.options?.["max-size"], `${service} logs rotate`);
        }
        assert.ok(Number(production.app.deploy?.resources?.limits?.cpus) < Number(staging.app.deploy?.resources?.limits?.cpus));
        assert.strictEqual(production.app.environment?.LOG_LEVEL, "warn");
        assert.strictEqual(staging.app.environment?.LOG_LEVEL, "debug");
    });
});
