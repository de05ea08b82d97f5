// An S3-compatible server for tests: moto 5.2.5 in server mode on 127.0.0.1 (installed by scripts/moto-server.sh),
// behind an nginx TLS front end, because pgBackRest speaks S3 only over TLS and verifies the certificate.
// moto's own --ssl server (werkzeug) ends TLS connections without close_notify; OpenSSL 3 clients such as
// pgBackRest report that as "unexpected eof while reading" and never complete a request (measured here).
// The front end runs in the host's network namespace and listens only on `listenAddress` (a test network's
// gateway, so containers on that network reach it); moto itself answers only on loopback.
//
//   const s3 = await LoopbackS3.start({ listenAddress: gateway, workDir, cleanup });
//   await s3.createBucket("drill");   // pgBackRest: repo1-s3-endpoint=s3.host, repo1-storage-port=s3.port
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as net from "net";
import * as os from "os";
import * as path from "path";
import { DockerCleanup, TEST_LABEL, docker, ensureStandInImages, run, uniqueName } from "./docker";

const MOTO_VERSION = "5.2.5";
const MOTO_SCRIPT = "scripts/moto-server.sh";

/** Where scripts/moto-server.sh installs moto_server (its one owner of the layout is that script). */
export function motoServerBin(): string {
    const cache = process.env.CICD_CACHE ?? path.join(os.homedir(), ".cache");
    return path.join(cache, "cicd-moto", `venv-${MOTO_VERSION}`, "bin", "moto_server");
}

function freePort(host: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const server = net.createServer();
        server.once("error", reject);
        server.listen(0, host, () => {
            const port = (server.address() as net.AddressInfo).port;
            server.close(() => resolve(port));
        });
    });
}

function motoRequest(port: number, method: string, urlPath: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, method, path: urlPath, timeout: 10_000 }, (res) => {
            res.resume();
            res.on("end", () => resolve(res.statusCode ?? 0));
        });
        req.on("error", reject);
        req.on("timeout", () => req.destroy(new Error(`moto did not answer ${method} ${urlPath} within 10 s`)));
        req.end();
    });
}

export interface LoopbackS3Options {
    /** The address the TLS front end listens on (and the certificate names). */
    readonly listenAddress: string;
    /** A folder of the test's own: the certificate, its key and nginx's config go there. */
    readonly workDir: string;
    /** Removes the front end's container. */
    readonly cleanup: DockerCleanup;
}

export class LoopbackS3 {
    private constructor(
        /** The address and port pgBackRest connects to over TLS. */
        readonly host: string,
        readonly port: number,
        /** The PEM certificate that clients must trust (self-signed, names `host`). */
        readonly caFile: string,
        private readonly motoPort: number,
        private readonly moto: ChildProcess,
        private readonly frontEnd: string,
    ) {}

    static async start(options: LoopbackS3Options): Promise<LoopbackS3> {
        const bin = motoServerBin();
        if (!fs.existsSync(bin)) {
            throw new Error(`moto ${MOTO_VERSION} is not installed at ${bin}: run ${MOTO_SCRIPT} (.ci/run does)`);
        }
        const caFile = path.join(options.workDir, "s3-ca.pem");
        const keyFile = path.join(options.workDir, "s3-key.pem");
        await run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=loopback-s3",
            "-addext", `subjectAltName=IP:${options.listenAddress}`, "-addext", "basicConstraints=critical,CA:TRUE",
            "-keyout", keyFile, "-out", caFile]);
        fs.chmodSync(caFile, 0o644);
        // nginx's master reads the key as root; the file stays private to this machine's root.
        fs.chmodSync(keyFile, 0o600);

        const motoPort = await freePort("127.0.0.1");
        const moto = spawn(bin, ["-H", "127.0.0.1", "-p", String(motoPort)], { stdio: ["ignore", "ignore", "pipe"] });
        let motoErrors = "";
        moto.stderr?.on("data", (chunk: Buffer) => (motoErrors = (motoErrors + chunk.toString()).slice(-2000)));
        await LoopbackS3.waitForMoto(motoPort, () => motoErrors);

        const port = await freePort(options.listenAddress);
        const confFile = path.join(options.workDir, "s3-front.conf");
        fs.writeFileSync(confFile, [
            "server {",
            `  listen ${options.listenAddress}:${port} ssl;`,
            "  ssl_certificate /etc/s3-front/s3-ca.pem;",
            "  ssl_certificate_key /etc/s3-front/s3-key.pem;",
            "  client_max_body_size 0;",
            "  proxy_request_buffering off;",
            "  location / {",
            `    proxy_pass http://127.0.0.1:${motoPort};`,
            "    proxy_http_version 1.1;",
            "    proxy_set_header Host $host;",
            "  }",
            "}",
            "",
        ].join("\n"));
        const images = await ensureStandInImages();
        const frontEnd = options.cleanup.container(uniqueName("backup-s3-front"));
        await docker(["run", "-d", "--name", frontEnd, "--label", `${TEST_LABEL}=1`, "--network", "host",
            "-v", `${caFile}:/etc/s3-front/s3-ca.pem:ro`, "-v", `${keyFile}:/etc/s3-front/s3-key.pem:ro`,
            "-v", `${confFile}:/etc/nginx/conf.d/default.conf:ro`, images.NGINX_IMAGE, "nginx", "-g", "daemon off;"]);
        const s3 = new LoopbackS3(options.listenAddress, port, caFile, motoPort, moto, frontEnd);
        await s3.waitForFrontEnd();
        return s3;
    }

    private static async waitForMoto(port: number, errors: () => string): Promise<void> {
        for (let attempt = 0; attempt < 60; attempt++) {
            if (await motoRequest(port, "GET", "/moto-api/").catch(() => 0)) return;
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
        throw new Error(`moto_server did not answer on 127.0.0.1:${port} within 30 s\n${errors()}`);
    }

    private async waitForFrontEnd(): Promise<void> {
        for (let attempt = 0; attempt < 60; attempt++) {
            const probe = await run("openssl", ["s_client", "-connect", `${this.host}:${this.port}`, "-CAfile", this.caFile, "-verify_return_error"],
                { allowFailure: true, timeoutMs: 10_000 });
            if (probe.code === 0) return;
            await new Promise((resolve) => setTimeout(resolve, 500));
        }
        const logs = await docker(["logs", "--tail", "20", this.frontEnd], { allowFailure: true });
        throw new Error(`the TLS front end did not answer on ${this.host}:${this.port}\n${logs.stderr}`);
    }

    async createBucket(name: string): Promise<void> {
        const status = await motoRequest(this.motoPort, "PUT", `/${name}`);
        if (status !== 200) throw new Error(`moto refused to create bucket ${name}: HTTP ${status}`);
    }

    /** Forgets every bucket and object, as if the bucket had been deleted behind the host's back. */
    async deleteEverything(): Promise<void> {
        const status = await motoRequest(this.motoPort, "POST", "/moto-api/reset");
        if (status !== 200) throw new Error(`moto refused to reset: HTTP ${status}`);
    }

    async stop(): Promise<void> {
        if (this.moto.exitCode === null) {
            const exited = new Promise((resolve) => this.moto.once("exit", resolve));
            this.moto.kill("SIGTERM");
            await exited;
        }
    }
}
