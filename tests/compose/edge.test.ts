// The stack's trust boundaries (issue 18) and nginx's answers at the edge (issue 19), on the real engine with the
// offline stand-in images: hardened containers, writes behind the bearer token, the per-client rate limit, one
// trusted proxy hop, the app's least-privilege database role, and nginx's own errors in the API's JSON shape.
import assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { REPO_ROOT, docker, requireDocker } from "../support/docker";
import { HttpAnswer, StackProject, request, sharedAppImage, startLoad, waitForStackHealthy } from "../deploy/stack";

interface ErrorBody {
    error: string;
    message: string;
}

/** The API's error shape: exactly {error, message}, both strings, served as JSON. */
function assertJsonError(answer: HttpAnswer, status: number, reason: string): ErrorBody {
    assert.strictEqual(answer.status, status, answer.body);
    assert.match(String(answer.headers["content-type"]), /^application\/json/, `content-type of the ${status}`);
    const body = answer.json<ErrorBody>();
    assert.deepStrictEqual(Object.keys(body).sort(), ["error", "message"], answer.body);
    assert.strictEqual(body.error, reason);
    assert.ok(body.message.length > 0);
    return body;
}

/** Container ids of one service, and `docker inspect` of the first. */
async function inspect(project: StackProject, service: string): Promise<{ id: string; info: Record<string, any> }> {
    const id = await project.container(service);
    const info = JSON.parse((await docker(["inspect", id])).stdout)[0] as Record<string, any>;
    return { id, info };
}

describe("the stack's edge and trust boundaries (real Docker engine)", function () {
    this.timeout(180_000);
    let project: StackProject;
    let image: string;
    let baseUrl: string;
    let routeDir: string;

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        image = await sharedAppImage();
        project = await StackProject.create("edge");
        // A route folder of this test's own, so it can switch maintenance on. Under the repository's ignored .e2e/:
        // the CI e2e job runs this on a daemon that sees the repository at the same path, but not this /tmp.
        fs.mkdirSync(path.join(REPO_ROOT, ".e2e"), { recursive: true });
        routeDir = fs.mkdtempSync(path.join(REPO_ROOT, ".e2e", "route-"));
        fs.chmodSync(routeDir, 0o755);
        fs.appendFileSync(project.envFile, `APP_ROUTE_DIR=${routeDir}\n`);
        await project.compose(["up", "-d"], image);
        await waitForStackHealthy(project, ["db", "app", "proxy"]);
        baseUrl = await project.proxyUrl();
    });
    after(async function () {
        this.timeout(120_000);
        if (project) await project.teardown();
        if (routeDir) fs.rmSync(routeDir, { recursive: true, force: true });
    });

    it("runs every container without capabilities it does not need, read-only, without new privileges, with a process limit", async function () {
        const expected: Record<string, string[]> = { db: ["CHOWN", "FOWNER", "SETGID", "SETUID"], app: [], proxy: ["CHOWN", "SETGID", "SETUID"] };
        for (const [service, added] of Object.entries(expected)) {
            const { info } = await inspect(project, service);
            const host = info.HostConfig as Record<string, any>;
            assert.deepStrictEqual(host.CapDrop, ["ALL"], `${service} drops every capability`);
            assert.deepStrictEqual([...(host.CapAdd ?? [])].map((c: string) => c.replace(/^CAP_/, "")).sort(), added, `${service} adds back only these`);
            assert.ok((host.SecurityOpt ?? []).includes("no-new-privileges:true"), `${service}: no-new-privileges`);
            assert.strictEqual(host.ReadonlyRootfs, true, `${service}: read-only root filesystem`);
            assert.ok(Number(host.PidsLimit) > 0, `${service}: pids_limit`);
        }
        // Observable, not just configured: the app cannot write outside /tmp.
        const { id } = await inspect(project, "app");
        const probe = await docker(["exec", id, "node", "-e",
            "const fs=require('fs');try{fs.writeFileSync('/app-write-probe','x');console.log('wrote')}catch(e){console.log(e.code)}" +
            ";fs.writeFileSync('/tmp/probe','x');console.log('tmp ok')"]);
        assert.deepStrictEqual(probe.stdout.trim().split("\n"), ["EROFS", "tmp ok"]);
    });

    it("answers a write without the token with 401 in the API's shape, through nginx, and changes nothing", async function () {
        const before = await request(`${baseUrl}/api/notes`);
        for (const [method, url] of [["POST", "/api/notes"], ["DELETE", "/api/notes/1"], ["PUT", "/api/notes/1"]]) {
            const refused = await request(`${baseUrl}${url}`, method, method === "DELETE" ? undefined : { title: "x", body: "" }, undefined, { authorization: "" });
            assertJsonError(refused, 401, "Unauthorized");
            const wrong = await request(`${baseUrl}${url}`, method, method === "DELETE" ? undefined : { title: "x", body: "" }, undefined,
                { authorization: "Bearer not-the-token-000000000000" });
            assertJsonError(wrong, 401, "Unauthorized");
        }
        assert.strictEqual((await request(`${baseUrl}/api/notes`)).body, before.body, "a refused write changed the notes");
        const created = await request(`${baseUrl}/api/notes`, "POST", { title: "with the token" });
        assert.strictEqual(created.status, 201, created.body);
        assert.strictEqual((await request(`${baseUrl}/api/notes`, "GET", undefined, undefined, { authorization: "" })).status, 200, "reads stay open");
    });

    it("sees the client nginx saw, not the X-Forwarded-For: 6.6.6.6 the client wrote (one trusted hop)", async function () {
        const marker = `xff-${Date.now()}`;
        const answer = await request(`${baseUrl}/?probe=${marker}`, "GET", undefined, undefined, { "x-forwarded-for": "6.6.6.6" });
        assert.strictEqual(answer.status, 200);
        const requestId = String(answer.headers["x-request-id"]);
        const proxyLogs = await docker(["logs", await project.container("proxy")]);
        const edge = (proxyLogs.stdout + proxyLogs.stderr).split("\n").find((line) => line.includes(marker));
        assert.ok(edge, "nginx logged the request");
        const realClient = (JSON.parse(edge) as { remote_addr: string }).remote_addr;
        assert.notStrictEqual(realClient, "6.6.6.6");

        const appLogs = await docker(["logs", await project.container("app")]);
        const seen = appLogs.stdout.split("\n").filter(Boolean)
            .map((line) => JSON.parse(line) as { reqId?: string; msg?: string; req?: { remoteAddress?: string } })
            .find((entry) => entry.reqId === requestId && entry.msg === "incoming request");
        assert.ok(seen?.req, `the app logged request ${requestId}`);
        assert.strictEqual(seen.req.remoteAddress, realClient, "the app logs the address nginx saw");
    });

    it("connects as a least-privilege role that owns its tables: no superuser, no COPY ... TO PROGRAM", async function () {
        const { id: app } = await inspect(project, "app");
        const env = Object.fromEntries(((await inspect(project, "app")).info.Config.Env as string[]).map((kv) => [kv.split("=")[0], kv.slice(kv.indexOf("=") + 1)]));
        assert.strictEqual(env.PGUSER, "notes_app");
        assert.ok(app);
        const db = await project.container("db");
        const psql = (sql: string) => docker(["exec", "--env", `PGPASSWORD=${env.PGPASSWORD}`, db, "psql", "-h", "127.0.0.1", "-U", env.PGUSER, "-d", env.PGDATABASE,
            "-v", "ON_ERROR_STOP=1", "-At", "-c", sql], { allowFailure: true });
        const who = await psql("SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user");
        assert.strictEqual(who.stdout.trim(), "f|f|f", who.stderr);
        const owner = await psql("SELECT tableowner FROM pg_tables WHERE tablename IN ('notes', 'schema_migrations') ORDER BY tablename");
        assert.deepStrictEqual(owner.stdout.trim().split("\n"), ["notes_app", "notes_app"], "the migrations ran as the app role");
        const copy = await psql("COPY (SELECT 1) TO PROGRAM 'id'");
        assert.notStrictEqual(copy.code, 0, "COPY ... TO PROGRAM must be refused");
        assert.match(copy.stderr, /permission denied|must be superuser|pg_execute_server_program/);
        const superuser = await psql("CREATE ROLE intruder SUPERUSER");
        assert.notStrictEqual(superuser.code, 0);
    });

    it("never limits a normal load loop: 4 keep-alive connections for 8 s, 0 failed", async function () {
        const load = startLoad(baseUrl, { connections: 4, maxRequests: 20_000, maxDurationMs: 8_000 });
        await new Promise((resolve) => setTimeout(resolve, 8_000));
        const report = await load.stop();
        console.log(`      load loop: ${report.sent} requests in ${report.durationMs} ms (${Math.round(report.sent / (report.durationMs / 1000))}/s), ${report.failed} failed`);
        assert.strictEqual(report.failed, 0, report.failures.join("\n"));
        assert.ok(report.sent >= 100, `the loop ran (sent ${report.sent})`);
    });

    it("answers 429 in the API's shape past the per-client limit, and lets the client in again a moment later", async function () {
        // Writes as fast as 64 connections go, until nginx limits them (past 200 writes/s plus a burst of 100),
        // at most 4000 or 30 s: a slow machine takes longer to get past the rate, never gets a different answer.
        const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
        const statuses: Record<number, number> = {};
        let limited: HttpAnswer | undefined;
        const deadline = Date.now() + 30_000;
        try {
            let next = 0;
            await Promise.all(Array.from({ length: 64 }, async () => {
                while (next < 4000 && Date.now() < deadline && (statuses[429] ?? 0) < 50) {
                    next++;
                    const answer = await request(`${baseUrl}/api/notes`, "POST", { title: "flood" }, agent, { authorization: "" });
                    statuses[answer.status] = (statuses[answer.status] ?? 0) + 1;
                    if (answer.status === 429) limited ??= answer;
                }
            }));
        } finally {
            agent.destroy();
        }
        assert.deepStrictEqual(Object.keys(statuses).sort(), ["401", "429"], JSON.stringify(statuses));
        assert.ok(limited);
        assertJsonError(limited, 429, "Too Many Requests");
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const after = await request(`${baseUrl}/api/notes`, "POST", { title: "after the flood" });
        assert.strictEqual(after.status, 201, after.body);
    });

    it("answers 413 in the API's shape for a body over nginx's limit, before it reaches the app", async function () {
        const huge = await request(`${baseUrl}/api/notes`, "POST", { title: "big", body: "x".repeat(2 * 1024 * 1024) });
        const body = assertJsonError(huge, 413, "Payload Too Large");
        assert.match(body.message, /1 MiB/);
    });

    it("answers 503 in the API's shape in maintenance, while nginx's own health check stays up", async function () {
        fs.writeFileSync(path.join(routeDir, "maintenance"), "");
        try {
            assertJsonError(await request(`${baseUrl}/api/notes`), 503, "Service Unavailable");
            assert.strictEqual((await request(`${baseUrl}/nginx-health`)).status, 200);
        } finally {
            fs.rmSync(path.join(routeDir, "maintenance"));
        }
        assert.strictEqual((await request(`${baseUrl}/`)).status, 200);
    });

    it("answers 404 for the private metrics path in the API's shape", async function () {
        assertJsonError(await request(`${baseUrl}/metrics`), 404, "Not Found");
    });

    it("answers 504 in the API's shape when the app does not answer in time (paused)", async function () {
        this.timeout(120_000);
        const app = await project.container("app");
        await docker(["pause", app]);
        try {
            // proxy_read_timeout is 30 s: the connect succeeds (the kernel accepts), the answer never comes.
            assertJsonError(await requestWithin(`${baseUrl}/`, 60_000), 504, "Gateway Timeout");
        } finally {
            await docker(["unpause", app]);
        }
        await waitForStackHealthy(project, ["app"]);
    });

    it("answers 502 in the API's shape when no app replica is there", async function () {
        await project.compose(["stop", "app"], image);
        try {
            assertJsonError(await request(`${baseUrl}/`), 502, "Bad Gateway");
        } finally {
            await project.compose(["start", "app"], image);
        }
        await waitForStackHealthy(project, ["app"]);
        assert.strictEqual((await request(`${baseUrl}/`)).status, 200);
    });
});

/** GET with a longer client timeout than `request`'s 15 s (the 504 takes nginx's 30 s read timeout). */
function requestWithin(url: string, timeoutMs: number): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
        const req = http.get(url, { agent: false, timeout: timeoutMs }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (chunk: Buffer) => chunks.push(chunk));
            res.on("end", () => {
                const raw = Buffer.concat(chunks);
                const text = raw.toString("utf8");
                resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, raw, json: <T>() => JSON.parse(text) as T });
            });
        });
        req.on("timeout", () => req.destroy(new Error(`GET ${url} timed out after ${timeoutMs} ms`)));
        req.on("error", reject);
    });
}
