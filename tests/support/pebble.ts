// Pebble, Let's Encrypt's ACME test server (built by scripts/pebble-build.sh), run as a container beside a stack:
//
//   writePebbleTrust(dir)   -> ACME_TRUST_DIR: the ACME client trusts Pebble's own HTTPS listener
//   const pebble = await startPebble({ name, network: `${project}_edge`, hosts: { "app.tls.test": proxyIp }, validitySeconds: 60, cleanup });
//   ACME_DIRECTORY_URL = pebble.directoryUrl; clients trust await pebble.issuingRoot()
//
// Pebble validates HTTP-01 by dialling each name on port 8080 (the stack's nginx listens there inside its network),
// or on `httpPort`; names resolve through the container's hosts entries, never through a public resolver.
// With `listenerByAddress`, the ACME client reaches Pebble by its IP address (for clients that cannot resolve the
// name `pebble`, such as containers of a simulated host's own engine): Pebble then serves a certificate made for
// that address by a CA made for this run, and `listenerRoot` is what the client must trust.
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { DockerCleanup, REPO_ROOT, docker } from "./docker";

export const PEBBLE_VERSION = "v2.10.3";
export const PEBBLE_SCRIPT = path.join(REPO_ROOT, "scripts", "pebble-build.sh");
const PEBBLE_DIR = path.join(process.env.CICD_CACHE ?? path.join(os.homedir(), ".cache"), "cicd-pebble", PEBBLE_VERSION);
/** The image Pebble's static binary runs in: any local one with a libc-free userland will do. */
export const PEBBLE_RUNNER_IMAGE = "cicd-standin/acme:trixie";

/** Fails (never skips) with the script to run when Pebble is not built. */
export function requirePebble(): { binary: string; certs: string } {
    const binary = path.join(PEBBLE_DIR, "pebble");
    const certs = path.join(PEBBLE_DIR, "certs");
    if (!fs.existsSync(binary) || !fs.existsSync(path.join(certs, "pebble.minica.pem"))) {
        throw new Error(`Pebble ${PEBBLE_VERSION} is not built in ${PEBBLE_DIR}: run \`bash scripts/pebble-build.sh\` (.ci/run does)`);
    }
    return { binary, certs };
}

/** Puts the root of Pebble's own HTTPS listener into `folder` (an ACME_TRUST_DIR) and returns the folder. */
export function writePebbleTrust(folder: string): string {
    const { certs } = requirePebble();
    fs.mkdirSync(folder, { recursive: true });
    fs.copyFileSync(path.join(certs, "pebble.minica.pem"), path.join(folder, "pebble.minica.pem"));
    return folder;
}

/**
 * HTTPS that trusts only `ca` and resolves every name to 127.0.0.1 itself, like a hosts entry: for a stack's nginx
 * published there under a test name. Keep-alive with `sockets` connections, or a new connection per request.
 */
export function domainAgent(ca: string, sockets = 4, keepAlive = true): https.Agent {
    type Lookup = (hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => void;
    const lookup: Lookup = (_hostname, options, callback) =>
        options.all ? callback(null, [{ address: "127.0.0.1", family: 4 }]) : callback(null, "127.0.0.1", 4);
    return new https.Agent({ keepAlive, maxSockets: sockets, ca, lookup: lookup as never });
}

export interface PebbleOptions {
    /** Container name (unique per test run). */
    readonly name: string;
    /** Docker network to join, where the stack's nginx and ACME client are. */
    readonly network: string;
    /** Hosts entries: name -> address of the stack's nginx on `network`. */
    readonly hosts: Readonly<Record<string, string>>;
    /** Lifetime of the certificates Pebble issues (its default profile). */
    readonly validitySeconds: number;
    readonly cleanup: DockerCleanup;
    /** A folder of the caller's (removed with it) for Pebble's config file. */
    readonly workDir: string;
    /** The port Pebble dials for HTTP-01 (default 8080, where the stack's nginx listens inside its network). */
    readonly httpPort?: number;
    /** Serve the ACME API at `https://<Pebble's IP on network>:14000/dir` with a certificate for that address. */
    readonly listenerByAddress?: boolean;
}

export interface Pebble {
    readonly container: string;
    /** What the ACME client is pointed at, inside `network`. */
    readonly directoryUrl: string;
    /** The root the ACME client trusts for Pebble's own HTTPS listener (PEM). */
    readonly listenerRoot: string;
    /** The root that signs the certificates Pebble issues (new on every start of Pebble). */
    issuingRoot(): Promise<string>;
    /** Pebble's log (every validation it attempted). */
    logs(): Promise<string>;
}

export async function startPebble(options: PebbleOptions): Promise<Pebble> {
    const { binary, certs } = requirePebble();
    const work = fs.mkdtempSync(path.join(options.workDir, "pebble-"));
    const listener = path.join(work, "listener");
    fs.mkdirSync(listener);
    const listenerFiles = options.listenerByAddress ? "/pebble/listener" : "/pebble/certs";
    const config = {
        pebble: {
            listenAddress: "0.0.0.0:14000",
            managementListenAddress: "0.0.0.0:15000",
            certificate: `${listenerFiles}/cert.pem`,
            privateKey: `${listenerFiles}/key.pem`,
            httpPort: options.httpPort ?? 8080,
            tlsPort: 5001,
            ocspResponderURL: "",
            externalAccountBindingRequired: false,
            domainBlocklist: [],
            retryAfter: { authz: 1, order: 1 },
            keyAlgorithm: "ecdsa",
            profiles: { default: { description: "short-lived, for the renewal tests", validityPeriod: options.validitySeconds } },
        },
    };
    fs.writeFileSync(path.join(work, "config.json"), JSON.stringify(config));
    const hostArgs = Object.entries(options.hosts).flatMap(([name, address]) => ["--add-host", `${name}:${address}`]);
    const pebbleArgs = ["-config", "/pebble/config.json", "-strict"];
    // The address is known once the container runs: Pebble starts when its listener certificate is there.
    const start = options.listenerByAddress
        ? ["--entrypoint", "sh", PEBBLE_RUNNER_IMAGE, "-c", 'while [ ! -e /pebble/listener/ready ]; do sleep 0.1; done; exec /pebble/pebble "$@"', "pebble", ...pebbleArgs]
        : ["--entrypoint", "/pebble/pebble", PEBBLE_RUNNER_IMAGE, ...pebbleArgs];
    options.cleanup.container(options.name);
    await docker([
        "run", "--detach", "--name", options.name, "--label", "cicd.test=1",
        "--network", options.network, "--network-alias", "pebble", ...hostArgs,
        // No artificial validation delay; no nonce rejections (certbot retries them, but they only slow the tests).
        "--env", "PEBBLE_VA_NOSLEEP=1", "--env", "PEBBLE_WFE_NONCEREJECT=0",
        "--volume", `${binary}:/pebble/pebble:ro`, "--volume", `${certs}:/pebble/certs:ro`, "--volume", `${work}/config.json:/pebble/config.json:ro`,
        "--volume", `${listener}:/pebble/listener:ro`,
        "--publish", "127.0.0.1::15000", "--cap-drop", "ALL", "--read-only",
        ...start,
    ]);
    let directoryUrl = "https://pebble:14000/dir";
    let listenerRoot = fs.readFileSync(path.join(certs, "pebble.minica.pem"), "utf8");
    if (options.listenerByAddress) {
        const ip = (await docker(["inspect", "-f", `{{(index .NetworkSettings.Networks "${options.network}").IPAddress}}`, options.name])).stdout.trim();
        listenerRoot = makeListenerCertificate(listener, ip);
        directoryUrl = `https://${ip}:14000/dir`;
    }
    const management = async (): Promise<string> => {
        const port = (await docker(["port", options.name, "15000/tcp"])).stdout.split("\n")[0].trim().split(":").pop();
        return `https://127.0.0.1:${port}`;
    };
    return {
        container: options.name,
        directoryUrl,
        listenerRoot,
        async issuingRoot() {
            const base = await management();
            for (let attempt = 0; ; attempt++) {
                try {
                    return await fetchText(`${base}/roots/0`, listenerRoot);
                } catch (error) {
                    if (attempt >= 20) throw error;
                    await new Promise((resolve) => setTimeout(resolve, 250));
                }
            }
        },
        async logs() {
            const result = await docker(["logs", options.name]);
            return result.stdout + result.stderr;
        },
    };
}

/**
 * A CA for this run and a certificate for `ip` (and `pebble`, and localhost for the management port published
 * here) signed by it, written into `folder` as
 * cert.pem and key.pem, then `ready`. Returns the CA's certificate. Strict verifiers (Python 3.13's) want the
 * key usages and key identifiers, so both carry them.
 */
function makeListenerCertificate(folder: string, ip: string): string {
    const openssl = (...args: string[]) => execFileSync("openssl", args, { cwd: folder, stdio: ["ignore", "ignore", "pipe"] });
    const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-noenc"];
    fs.writeFileSync(
        path.join(folder, "leaf.ext"),
        `basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\nsubjectAltName=IP:${ip},DNS:pebble,DNS:localhost,IP:127.0.0.1\n`,
    );
    openssl("req", "-x509", ...ec, "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Pebble listener test CA", "-addext", "keyUsage=critical,keyCertSign,cRLSign");
    openssl("req", ...ec, "-keyout", "key.pem", "-out", "leaf.csr", "-subj", "/CN=pebble");
    openssl("x509", "-req", "-in", "leaf.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "cert.pem", "-days", "2", "-extfile", "leaf.ext");
    fs.rmSync(path.join(folder, "ca.key"));
    fs.writeFileSync(path.join(folder, "ready"), "");
    return fs.readFileSync(path.join(folder, "ca.pem"), "utf8");
}

function fetchText(url: string, ca: string): Promise<string> {
    return new Promise((resolve, reject) => {
        https
            .get(url, { ca, servername: "localhost", timeout: 5000 }, (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => (res.statusCode === 200 ? resolve(Buffer.concat(chunks).toString("utf8")) : reject(new Error(`GET ${url}: ${res.statusCode}`))));
            })
            .on("error", reject);
    });
}
