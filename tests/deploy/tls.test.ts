import { strict as assert } from "assert";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import * as tls from "tls";
import { DockerCleanup, docker, requireDocker, run, uniqueName, STAND_IN_SCRIPT } from "../support/docker";
import { Pebble, domainAgent, requirePebble, startPebble, writePebbleTrust } from "../support/pebble";
import { RunResult } from "../support/docker";
import { StackProject, request, startLoad, versionImage } from "./stack";

// HTTPS of the deployed stack (issue 16), for real: deploy.sh with TLS_DOMAINS set runs compose.tls.yaml (nginx on
// 443, the acme service with certbot), and Pebble, Let's Encrypt's test CA, in -strict mode, validates HTTP-01
// through the stack's own nginx. The name resolves to nginx only through hosts entries (Pebble's container) and the
// clients' own lookup (127.0.0.1): never a public resolver. Certificates live 60 s, so renewal happens in the test.
// acme.sh and serve-tls.sh run under busybox, as in the Alpine-based official images: the stand-ins' busybox variants
// (scripts/stand-in-images.sh acme-busybox nginx-busybox) make busybox's ash /bin/sh and `sh`, and give PATH only its
// applets and the programs those images have beside it (certbot, python3; nginx, envsubst).

const DOMAIN = "app.tls.test";
const VALIDITY_SECONDS = 60;

interface Served {
    readonly serial: string;
    readonly issuer: string;
    readonly subject: string;
    readonly validTo: Date;
}

/** The certificate nginx presents for DOMAIN on 127.0.0.1:port (not verified: the test looks at it). */
function servedCertificate(port: number): Promise<Served> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, servername: DOMAIN, rejectUnauthorized: false }, () => {
            const cert = socket.getPeerCertificate();
            socket.end();
            resolve({ serial: cert.serialNumber.toLowerCase().replace(/^0+/, ""), issuer: String(cert.issuer.CN), subject: String(cert.subject.CN), validTo: new Date(cert.valid_to) });
        });
        socket.on("error", reject);
    });
}

interface BusyboxStandIns {
    readonly acme: string;
    readonly nginx: string;
}

async function busyboxStandIns(): Promise<BusyboxStandIns> {
    const printed = (await run("bash", [STAND_IN_SCRIPT, "--print-env", "acme-busybox", "nginx-busybox"], { timeoutMs: 15 * 60_000 })).stdout;
    const tag = (key: string) => {
        const value = new RegExp(`^${key}=(.+)$`, "m").exec(printed)?.[1];
        if (!value) throw new Error(`${STAND_IN_SCRIPT} --print-env acme-busybox nginx-busybox printed no ${key}:\n${printed}`);
        return value;
    };
    return { acme: tag("ACME_BUSYBOX_IMAGE"), nginx: tag("NGINX_BUSYBOX_IMAGE") };
}

/** The project's env file with the busybox stand-ins for nginx and the acme service, and `extra` lines. */
function useBusyboxStandIns(project: StackProject, images: BusyboxStandIns, extra: readonly string[]): void {
    const kept = fs.readFileSync(project.envFile, "utf8").split("\n").filter((line) => line && !line.startsWith("NGINX_IMAGE="));
    fs.writeFileSync(project.envFile, [...kept, `NGINX_IMAGE=${images.nginx}`, `ACME_IMAGE=${images.acme}`, ...extra, ""].join("\n"));
}

/** Which program runs each process of `container` started as `commandLine` (e.g. "sh /etc/acme/acme.sh"). */
async function programsRunning(container: string, commandLine: string): Promise<string[]> {
    const script = 'for d in /proc/[0-9]*; do [ "$(tr "\\0" " " <"$d/cmdline")" = "$1 " ] && readlink "$d/exe"; done; true';
    return (await docker(["exec", container, "sh", "-c", script, "sh", commandLine])).stdout.split("\n").filter(Boolean);
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await probe().catch(() => undefined);
        if (value !== undefined) return value;
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

function sClient(port: number, version: string): Promise<RunResult> {
    // SECLEVEL=0 lets this client offer TLS 1.0/1.1 at all; whether they are spoken is then the server's answer.
    return run("openssl", ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", DOMAIN, `-${version}`, "-cipher", "DEFAULT:@SECLEVEL=0"], { allowFailure: true, timeoutMs: 20_000 });
}

describe("deploy: HTTPS with certificates from an ACME CA (Pebble), through the stack's nginx", function () {
    this.timeout(6 * 60_000);
    const cleanup = new DockerCleanup();
    const outputs: string[] = [];
    let project: StackProject;
    let pebble: Pebble;
    let image: string;
    let root = "";
    let httpsPort = 0;
    let httpPort = 0;

    const deploy = async (env: NodeJS.ProcessEnv = {}) => {
        const result = await project.deploy(["deploy", "--image", image], env);
        outputs.push(result.stdout, result.stderr);
        assert.equal(result.code, 0, `deploy failed:\n${result.stdout}\n${result.stderr}`);
        return `${result.stdout}\n${result.stderr}`;
    };
    const status = async () => (await docker(["exec", await project.container("acme"), "cat", "/tls/status"])).stdout.trim();
    const containerLogs = async (service: string) => {
        const result = await docker(["logs", await project.container(service)]);
        return result.stdout + result.stderr;
    };
    const publishedPort = async (containerPort: string) =>
        Number((await docker(["port", await project.container("proxy"), containerPort])).stdout.split("\n")[0].trim().split(":").pop());

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        requirePebble();
        const standIns = await busyboxStandIns();
        image = await versionImage("tls-v1", cleanup);
        project = await StackProject.create("tls", "staging");
        const trust = writePebbleTrust(path.join(project.workDir, "acme-trust"));
        useBusyboxStandIns(
            project,
            standIns,
            [
                "HTTPS_PORT=0",
                `TLS_DOMAINS=${DOMAIN}`,
                "ACME_EMAIL=ops@tls.test",
                "ACME_DIRECTORY_URL=https://pebble:14000/dir",
                `ACME_TRUST_DIR=${trust}`,
                "ACME_CHECK_SECONDS=2",
                "ACME_RETRY_SECONDS=3",
                "TLS_RELOAD_CHECK_SECONDS=1",
            ],
        );
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await cleanup.run();
        await project?.teardown();
    });

    it("starts nginx on a self-signed placeholder while the CA is unreachable, and the deploy output says so", async () => {
        const output = await deploy({ DEPLOY_TLS_WAIT: "5" });
        assert.match(output, /WARNING: tls: failed at \S+ \(no certificate issued yet\): .*pebble.*; still serving the self-signed placeholder; next attempt in 3s/);
        httpsPort = await publishedPort("8443/tcp");
        httpPort = await publishedPort("8080/tcp");
        const served = await servedCertificate(httpsPort);
        assert.equal(served.subject, `placeholder ${DOMAIN}`);
        assert.match(await containerLogs("acme"), /acme: failed at .*no certificate issued yet/);
    });

    it("runs acme.sh and serve-tls.sh under busybox's sh, with only busybox applets and the images' own programs in PATH", async () => {
        for (const [service, commandLine] of [["acme", "sh /etc/acme/acme.sh"], ["proxy", "sh /etc/nginx/app/serve-tls.sh"]]) {
            const container = await project.container(service);
            const programs = await programsRunning(container, commandLine);
            assert.ok(programs.length > 0, `no process runs ${commandLine} in ${service}`);
            for (const program of programs) assert.equal(program, "/usr/bin/busybox", `${service}: ${commandLine} runs on ${program}`);
            const env: string[] = JSON.parse((await docker(["inspect", "-f", "{{json .Config.Env}}", container])).stdout);
            assert.ok(env.includes("PATH=/opt/busybox/bin:/opt/image-programs/bin"), `${service}: ${env.join(" ")}`);
        }
    });

    it("hardens the acme service like the rest: no capability, read-only root, no new privileges, a process limit", async () => {
        for (const [service, added] of [["acme", []], ["proxy", ["CHOWN", "SETGID", "SETUID"]]] as const) {
            const host = JSON.parse((await docker(["inspect", "-f", "{{json .HostConfig}}", await project.container(service)])).stdout);
            assert.deepEqual(host.CapDrop, ["ALL"], `${service} drops every capability`);
            assert.deepEqual([...(host.CapAdd ?? [])].map((c: string) => c.replace(/^CAP_/, "")).sort(), added, `${service} adds back only these`);
            assert.ok((host.SecurityOpt ?? []).includes("no-new-privileges:true"), `${service}: no-new-privileges`);
            assert.equal(host.ReadonlyRootfs, true, `${service}: read-only root filesystem`);
            assert.ok(Number(host.PidsLimit) > 0, `${service}: pids_limit`);
        }
        // The served key nginx reads is mounted read-only there: only the acme service writes it.
        const write = await docker(["exec", await project.container("proxy"), "sh", "-c", "touch /etc/nginx/tls/probe"], { allowFailure: true });
        assert.notEqual(write.code, 0, "nginx can write the certificate volume");
    });

    it("obtains the certificate over HTTP-01 through nginx (Pebble -strict) and serves it on 443", async () => {
        const proxyIp = (await docker(["inspect", "-f", `{{(index .NetworkSettings.Networks "${project.name}_edge").IPAddress}}`, await project.container("proxy")])).stdout.trim();
        pebble = await startPebble({ name: uniqueName("tls-pebble"), network: `${project.name}_edge`, hosts: { [DOMAIN]: proxyIp }, validitySeconds: VALIDITY_SECONDS, cleanup, workDir: project.workDir });
        const line = await until("the first certificate", 90_000, async () => ((await status()).startsWith("ok") ? status() : undefined));
        assert.match(line, new RegExp(`^ok since \\S+: certificate [0-9a-f]+ for ${DOMAIN.replace(/\./g, "\\.")}, valid until \\S+ from https://pebble:14000/dir$`));
        root = await pebble.issuingRoot();
        const served = await until("nginx to reload onto the issued certificate", 10_000, async () => {
            const cert = await servedCertificate(httpsPort);
            return cert.subject.startsWith("placeholder") ? undefined : cert;
        });
        assert.match(served.issuer, /Pebble/);
        const answer = await request(`https://${DOMAIN}:${httpsPort}/`, "GET", undefined, domainAgent(root, 1));
        assert.equal(answer.status, 200);
        assert.match(await pebble.logs(), new RegExp(`Attempting to validate w/ HTTP: http://${DOMAIN.replace(/\./g, "\\.")}:8080/\\.well-known/acme-challenge/`));
        const challenge = (await containerLogs("proxy")).split("\n").find((l) => l.includes('"uri":"/.well-known/acme-challenge/') && l.includes('"status":200'));
        assert.ok(challenge, "nginx answered Pebble's challenge request with 200");
    });

    it("speaks TLS 1.2 and 1.3 only, with forward-secret AEAD suites, sends HSTS, and redirects HTTP except the challenge", async () => {
        for (const old of ["tls1", "tls1_1"]) {
            const result = await sClient(httpsPort, old);
            assert.match(result.stdout + result.stderr, /alert protocol version/, `${old} must be refused`);
            assert.match(result.stdout, /Cipher is \(NONE\)/);
        }
        const v12 = await sClient(httpsPort, "tls1_2");
        assert.match(v12.stdout, /Protocol\s*: TLSv1\.2/);
        assert.match(v12.stdout, /Cipher is ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)/);
        assert.match((await sClient(httpsPort, "tls1_3")).stdout, /New, TLSv1\.3, Cipher is TLS_/);

        const rootFile = path.join(project.workDir, "pebble-root.pem");
        fs.writeFileSync(rootFile, root);
        const headers = await run("curl", ["-sS", "-D", "-", "-o", "/dev/null", "--cacert", rootFile, "--resolve", `${DOMAIN}:${httpsPort}:127.0.0.1`, `https://${DOMAIN}:${httpsPort}/`]);
        assert.match(headers.stdout, /^strict-transport-security: max-age=63072000\r?$/im);

        const plain = (pathAndQuery: string, method = "GET") =>
            run("curl", ["-sS", "-o", "/dev/null", "-X", method, "-w", "%{http_code} %{redirect_url}", "--resolve", `${DOMAIN}:${httpPort}:127.0.0.1`, `http://${DOMAIN}:${httpPort}${pathAndQuery}`]);
        assert.equal((await plain("/api/notes?page=2")).stdout, `308 https://${DOMAIN}/api/notes?page=2`);
        assert.equal((await plain("/api/notes", "POST")).stdout, `308 https://${DOMAIN}/api/notes`);
        assert.equal((await plain("/.well-known/acme-challenge/no-such-token")).stdout, "404 ");
        assert.equal((await plain("/nginx-health")).stdout, "200 ");
    });

    it("renews the short-lived certificate before it expires while a load loop runs: 0 failed requests", async () => {
        const before = await servedCertificate(httpsPort);
        const load = startLoad(`https://${DOMAIN}:${httpsPort}`, { agent: domainAgent(root), connections: 4, pauseMs: 20, maxDurationMs: 150_000, retryGetOnReusedConnection: true, writes: false });
        let renewed: Served;
        try {
            renewed = await until("a renewed certificate", 120_000, async () => {
                const cert = await servedCertificate(httpsPort);
                return cert.serial !== before.serial ? cert : undefined;
            });
            await new Promise((resolve) => setTimeout(resolve, 3000));
        } finally {
            const report = await load.stop();
            console.log(`      load: ${report.sent} requests in ${report.durationMs} ms, ${report.failed} failed, ${report.retried} GET(s) sent again after nginx closed an idle kept-alive connection`);
            assert.equal(report.failed, 0, `failed requests: ${report.failures.join("; ")}`);
            assert.ok(report.sent > 100, `only ${report.sent} requests sent`);
        }
        assert.ok(before.validTo.getTime() - Date.now() > -1000, "renewed before the old certificate expired");
        assert.ok(renewed!.validTo > before.validTo);
        assert.match(await containerLogs("acme"), /less than a third of its lifetime is left/);
        assert.match(await containerLogs("proxy"), /serve-tls: certificate changed; nginx reloaded/);
    });

    it("a redeploy keeps the acme service and its certificate, and ends with the certificate's status", async () => {
        const acme = await project.container("acme");
        assert.match(await deploy(), /--> tls: ok since \S+: certificate [0-9a-f]+ for app\.tls\.test, valid until/);
        assert.equal(await project.container("acme"), acme, "the acme container was left as it was");
    });

    it("a failed renewal leaves the previous certificate serving, and shows in the logs and the deploy output", async () => {
        await docker(["stop", "--time", "1", pebble.container]);
        const line = await until("a failed renewal", 90_000, async () => ((await status()).startsWith("failed") ? status() : undefined));
        const served = await servedCertificate(httpsPort);
        assert.match(line, new RegExp(`^failed at \\S+ \\(less than a third of its lifetime is left\\): .*; still serving certificate ${served.serial} for ${DOMAIN.replace(/\./g, "\\.")}, valid until`));
        assert.ok(served.validTo.getTime() > Date.now(), "the previous certificate is still valid and serving");
        assert.equal((await request(`https://${DOMAIN}:${httpsPort}/`, "GET", undefined, domainAgent(root, 1))).status, 200);
        assert.match(await containerLogs("acme"), /acme: failed at .*still serving certificate/);
        assert.match(await deploy(), /WARNING: tls: failed at .*still serving certificate/);
    });

    it("`down` (volumes kept) and a new deploy serve the certificate from the volume: no placeholder, no first issuance", async () => {
        const down = await project.deploy(["down"]);
        outputs.push(down.stdout, down.stderr);
        assert.equal(down.code, 0, down.stderr);
        await deploy({ DEPLOY_TLS_WAIT: "0" });
        httpsPort = await publishedPort("8443/tcp");
        const served = await servedCertificate(httpsPort);
        assert.match(served.issuer, /Pebble/, "the certificate from the volume serves at once");
        assert.doesNotMatch(await containerLogs("acme"), /placeholder|no certificate issued yet/);
    });

    it("keeps key material out of every log, the deploy output and the state folder; the served key is 0600", async () => {
        const acme = await project.container("acme");
        const key = (await docker(["exec", acme, "cat", "/tls/privkey.pem"])).stdout;
        const keyLines = key.split("\n").filter((l) => l && !l.startsWith("-----"));
        assert.ok(keyLines.length > 0, "read the served key");
        const modes = (await docker(["exec", acme, "sh", "-c", "stat -c '%a %n' /tls/privkey.pem /etc/letsencrypt/archive/site/privkey*.pem"])).stdout.trim().split("\n");
        for (const mode of modes) assert.match(mode, /^600 /);
        const haystacks: Record<string, string> = { "deploy output": outputs.join("\n"), "pebble log": await pebble.logs() };
        for (const service of ["acme", "proxy", "app", "db"]) haystacks[`${service} log`] = await containerLogs(service).catch(() => "");
        const walk = (dir: string): string[] => fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)]));
        for (const file of walk(project.stateDir)) haystacks[file] = fs.readFileSync(file, "utf8");
        for (const [where, text] of Object.entries(haystacks)) {
            assert.ok(!/PRIVATE KEY/.test(text), `${where} holds a private key`);
            for (const line of keyLines) assert.ok(!text.includes(line), `${where} holds a line of the served key`);
        }
    });
});

describe("deploy: HTTPS with a CA made on the host (TLS_ISSUER=local-ca, the local stack's mode)", function () {
    this.timeout(6 * 60_000);
    const cleanup = new DockerCleanup();
    let project: StackProject;
    let image: string;
    let httpsPort = 0;

    const freePort = () =>
        new Promise<number>((resolve, reject) => {
            const server = net.createServer().listen(0, "127.0.0.1", () => {
                const port = (server.address() as net.AddressInfo).port;
                server.close(() => resolve(port));
            });
            server.on("error", reject);
        });

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        const standIns = await busyboxStandIns();
        image = await versionImage("tls-local", cleanup);
        project = await StackProject.create("tls-local", "local");
        httpsPort = await freePort();
        useBusyboxStandIns(project, standIns, [`HTTPS_PORT=${httpsPort}`, "TLS_DOMAINS=localhost", "TLS_ISSUER=local-ca"]);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await cleanup.run();
        await project?.teardown();
    });

    it("serves a certificate for localhost and 127.0.0.1 signed by the host's own CA, and redirects HTTP to the HTTPS port", async () => {
        const result = await project.deploy(["deploy", "--image", image]);
        assert.equal(result.code, 0, `${result.stdout}\n${result.stderr}`);
        assert.match(result.stdout, /--> tls: ok since \S+: certificate [0-9a-f]+ for localhost, valid until \S+ from the local CA \(trust \/tls\/ca\.pem\)/);
        const acme = await project.container("acme");
        const caFile = path.join(project.workDir, "local-ca.pem");
        fs.writeFileSync(caFile, (await docker(["exec", acme, "cat", "/tls/ca.pem"])).stdout);
        for (const host of ["localhost", "127.0.0.1"]) {
            const answer = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert", caFile, `https://${host}:${httpsPort}/`]);
            assert.equal(answer.stdout, "200", `https://${host}:${httpsPort}/ verified against the local CA`);
        }
        const httpPort = Number((await docker(["port", await project.container("proxy"), "8080/tcp"])).stdout.split("\n")[0].trim().split(":").pop());
        const redirect = await run("curl", ["-sS", "-o", "/dev/null", "-w", "%{http_code} %{redirect_url}", `http://localhost:${httpPort}/api/notes`]);
        assert.equal(redirect.stdout, `308 https://localhost:${httpsPort}/api/notes`);
        const served = (await docker(["exec", acme, "ls", "/tls"])).stdout.split("\n");
        assert.ok(!served.some((name) => /\.key$/.test(name)), `the CA's key stays out of the volume nginx reads: ${served.join(" ")}`);
        const files = (await docker(["exec", acme, "stat", "-c", "%a %n", "/etc/letsencrypt/local-ca/ca.key", "/tls/privkey.pem"])).stdout;
        assert.match(files, /^600 \/etc\/letsencrypt\/local-ca\/ca\.key$/m);
        assert.match(files, /^600 \/tls\/privkey\.pem$/m);
    });

    it("a redeploy keeps the CA and the certificate", async () => {
        const before = await servedCertificate(httpsPort);
        const other = await versionImage("tls-local-2", cleanup);
        const result = await project.deploy(["deploy", "--image", other]);
        assert.equal(result.code, 0, result.stderr);
        assert.equal((await servedCertificate(httpsPort)).serial, before.serial);
    });
});
