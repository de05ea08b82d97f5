// npm run bench:tls
//
// What TLS costs at the edge, measured on one stack in one run: deploy.sh with TLS on (compose.tls.yaml) and a
// certificate from Pebble, then nginx's own /nginx-health (no app, no database: the TLS cost undiluted) over plain
// HTTP on port 8080 and over TLS on 8443 of the same nginx, alternately, with keep-alive connections and with a new
// connection (a full handshake, no resumption) per request. Goal: keep-alive TLS throughput >= 0.8 of plain.
// Needs Docker and Pebble (bash scripts/pebble-build.sh).
import * as http from "http";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DockerCleanup, STAND_IN_SCRIPT, docker, requireDocker, run, uniqueName } from "../../tests/support/docker";
import { domainAgent, requirePebble, startPebble, writePebbleTrust } from "../../tests/support/pebble";
import { StackProject, request, versionImage } from "../../tests/deploy/stack";

const DOMAIN = "bench.tls.test";
const SECONDS = Number(process.env.BENCH_TLS_SECONDS ?? 8);
const CONNECTIONS = 4;

interface Figures {
    readonly requests: number;
    readonly failed: number;
    readonly perSecond: number;
    readonly p50: number;
    readonly p99: number;
}

function percentile(sorted: readonly number[], p: number): number {
    return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/** CONNECTIONS workers sending GET `url` back to back for SECONDS; `agent` false: a new connection per request. */
async function measure(url: string, agent: http.Agent | false, newAgent?: () => http.Agent): Promise<Figures> {
    const latencies: number[] = [];
    let failed = 0;
    const started = Date.now();
    const worker = async () => {
        while (Date.now() - started < SECONDS * 1000) {
            const t0 = process.hrtime.bigint();
            try {
                // A fresh agent per request: a new TCP connection and, over TLS, a full handshake (no session reuse).
                const answer = await request(url, "GET", undefined, agent === false ? newAgent?.() : agent);
                if (answer.status !== 200) failed++;
                else latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
            } catch {
                failed++;
            }
        }
    };
    await Promise.all(Array.from({ length: CONNECTIONS }, worker));
    const elapsed = (Date.now() - started) / 1000;
    latencies.sort((a, b) => a - b);
    return { requests: latencies.length, failed, perSecond: latencies.length / elapsed, p50: percentile(latencies, 50), p99: percentile(latencies, 99) };
}

async function publishedPort(project: StackProject, containerPort: string): Promise<number> {
    return Number((await docker(["port", await project.container("proxy"), containerPort])).stdout.split("\n")[0].trim().split(":").pop());
}

async function main(): Promise<void> {
    await requireDocker();
    requirePebble();
    await run("bash", [STAND_IN_SCRIPT, "acme"], { timeoutMs: 15 * 60_000 });
    const cleanup = new DockerCleanup();
    const project = await StackProject.create("bench-tls", "staging");
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "bench-tls-"));
    try {
        const image = await versionImage("bench-tls", cleanup);
        fs.appendFileSync(project.envFile, [
            "ACME_IMAGE=cicd-standin/acme:trixie", "HTTPS_PORT=0", `TLS_DOMAINS=${DOMAIN}`, "ACME_EMAIL=ops@tls.test",
            "ACME_DIRECTORY_URL=https://pebble:14000/dir", `ACME_TRUST_DIR=${writePebbleTrust(path.join(work, "trust"))}`,
            "ACME_CHECK_SECONDS=3600", "ACME_RETRY_SECONDS=2", "TLS_RELOAD_CHECK_SECONDS=1", "",
        ].join("\n"));
        const deployed = await project.deploy(["deploy", "--image", image], { DEPLOY_TLS_WAIT: "0" });
        if (deployed.code !== 0) throw new Error(`deploy.sh failed:\n${deployed.stdout}${deployed.stderr}`);
        const proxy = await project.container("proxy");
        const proxyIp = (await docker(["inspect", "-f", `{{(index .NetworkSettings.Networks "${project.name}_edge").IPAddress}}`, proxy])).stdout.trim();
        const pebble = await startPebble({ name: uniqueName("bench-pebble"), network: `${project.name}_edge`, hosts: { [DOMAIN]: proxyIp }, validitySeconds: 86_400, cleanup, workDir: work });
        const acme = await project.container("acme");
        for (let i = 0; !(await docker(["exec", acme, "cat", "/tls/status"])).stdout.startsWith("ok"); i++) {
            if (i > 120) throw new Error("no certificate from Pebble within 60 s");
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
        await new Promise((resolve) => setTimeout(resolve, 2500)); // nginx's reload onto the issued certificate
        const root = await pebble.issuingRoot();
        const plainUrl = `http://127.0.0.1:${await publishedPort(project, "8080/tcp")}/nginx-health`;
        const tlsUrl = `https://${DOMAIN}:${await publishedPort(project, "8443/tcp")}/nginx-health`;

        const plainKeepAlive = await measure(plainUrl, new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS }));
        const tlsKeepAlive = await measure(tlsUrl, domainAgent(root, CONNECTIONS));
        const plainNew = await measure(plainUrl, false, () => new http.Agent({ keepAlive: false }));
        const tlsNew = await measure(tlsUrl, false, () => domainAgent(root, 1, false));

        const ratio = (tls: number, plain: number) => (tls / plain).toFixed(2);
        const ms = (value: number) => value.toFixed(2);
        const rows: string[][] = [
            ["keep-alive: requests/s", plainKeepAlive.perSecond.toFixed(0), tlsKeepAlive.perSecond.toFixed(0), ratio(tlsKeepAlive.perSecond, plainKeepAlive.perSecond)],
            ["keep-alive: latency p50 (ms)", ms(plainKeepAlive.p50), ms(tlsKeepAlive.p50), ratio(tlsKeepAlive.p50, plainKeepAlive.p50)],
            ["keep-alive: latency p99 (ms)", ms(plainKeepAlive.p99), ms(tlsKeepAlive.p99), ratio(tlsKeepAlive.p99, plainKeepAlive.p99)],
            ["new connection per request: connections (handshakes)/s", plainNew.perSecond.toFixed(0), tlsNew.perSecond.toFixed(0), ratio(tlsNew.perSecond, plainNew.perSecond)],
            ["new connection per request: latency p50 (ms)", ms(plainNew.p50), ms(tlsNew.p50), ratio(tlsNew.p50, plainNew.p50)],
            ["failed requests", String(plainKeepAlive.failed + plainNew.failed), String(tlsKeepAlive.failed + tlsNew.failed), ""],
        ];
        const keepAliveRatio = tlsKeepAlive.perSecond / plainKeepAlive.perSecond;
        console.log(`\nbench:tls: GET /nginx-health on one nginx, ${CONNECTIONS} connections, ${SECONDS} s per cell; ${os.cpus().length} cores; ${new Date().toISOString()}`);
        console.log("| measure | plain HTTP | TLS | TLS / plain |");
        console.log("|---|---|---|---|");
        for (const row of rows) console.log(`| ${row.join(" | ")} |`);
        console.log(`\ngoal: keep-alive TLS throughput >= 0.80 of plain: ${keepAliveRatio.toFixed(2)} (${keepAliveRatio >= 0.8 ? "met" : "NOT met"})`);
    } finally {
        await cleanup.run().catch((error) => console.error(String(error)));
        await project.teardown();
        fs.rmSync(work, { recursive: true, force: true });
    }
}

main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
});
