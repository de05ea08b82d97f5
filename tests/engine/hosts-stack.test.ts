import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import * as tls from "tls";
import { DockerCleanup, STAND_IN_SCRIPT, run, uniqueName } from "../support/docker";
import { Pebble, domainAgent, requirePebble, startPebble } from "../support/pebble";
import { request } from "../deploy/stack";
import { Engine, LoadReport, findEngine, startLoad } from "./harness";
import { COMPOSE_PROJECT, ENVIRONMENT, HostsStack } from "./hostsStack";

// The `hosts` host source through the real engine (issue "The host path for real", the engine test): two
// simulated hosts (sshd + dockerd + Compose v2), the image in an authenticated registry, the command provider's
// remote resources dialling them over SSH with their host keys verified.

const MINUTE = 60 * 1000;
const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";
const HOME = "/home/deploy/gitlab-docker-delivery";
/** Reaches the simulated host only through Pebble's hosts entry and the test clients' own lookup. */
const DOMAIN = "app.hosts-tls.test";

interface Served {
    readonly issuer: string;
    /** subjectAltName, e.g. `DNS:app.hosts-tls.test` (Pebble's certificates have no subject CN). */
    readonly names: string;
    readonly serial: string;
}

/** The certificate served for DOMAIN on 127.0.0.1:port (looked at, not verified). */
function servedCertificate(port: number): Promise<Served> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: "127.0.0.1", port, servername: DOMAIN, rejectUnauthorized: false }, () => {
            const cert = socket.getPeerCertificate();
            socket.end();
            resolve({ issuer: String(cert.issuer.CN), names: String(cert.subjectaltname), serial: cert.serialNumber });
        });
        socket.on("error", reject);
    });
}

/** The served certificate once it is one Pebble issued; nginx looks for a new one every 30 s (serve-tls.sh). */
async function pebbleCertificate(port: number, timeoutMs = 45_000): Promise<Served> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const served = await servedCertificate(port);
        if (/Pebble/.test(served.issuer) || Date.now() > deadline) return served;
        await new Promise((resolve) => setTimeout(resolve, 1000));
    }
}

/** `up`'s changes other than "same". */
function changesOf(summary: { resourceChanges?: Record<string, number> }): [string, number][] {
    return Object.entries(summary.resourceChanges ?? {}).filter(([op, count]) => op !== "same" && count > 0);
}

const engine = findEngine();
if (!engine && process.env.CI === "true") {
    describe("the hosts source through the real engine", () => {
        it("needs the engine: .ci/run builds it with .ci/engine/build.sh", () => {
            assert.fail("no pulumi binary on PATH or in the engine cache: .ci/engine/build.sh did not run or failed");
        });
    });
} else if (engine) {
    describeWithEngine(engine);
}
// Without an engine outside CI, local-stack.test.ts prints the one "engine not available" line for the folder.

/** Where `needle` appears in the exported deployment: inside values marked secret, or in plain text. */
function placement(deployment: unknown, needle: string): string[] {
    const plain: string[] = [];
    const walk = (value: unknown, where: string, insideSecret: boolean): void => {
        if (typeof value === "string") {
            if (value.includes(needle) && !insideSecret) plain.push(where);
        } else if (Array.isArray(value)) {
            value.forEach((item, index) => walk(item, `${where}[${index}]`, insideSecret));
        } else if (value && typeof value === "object") {
            const record = value as Record<string, unknown>;
            const secret = insideSecret || record[SIGNATURE_KEY] === SECRET_SIGNATURE;
            for (const [key, item] of Object.entries(record)) walk(item, `${where}.${key}`, secret);
        }
    };
    walk(deployment, "$", false);
    return plain;
}

function describeWithEngine(found: Engine): void {
    describe("the hosts source through the real engine (two simulated hosts)", function () {
        this.timeout(25 * MINUTE);
        let subject: HostsStack;

        before(async function () {
            this.timeout(25 * MINUTE);
            subject = await HostsStack.create(found, { hostCount: 2, prefix: "hosts-engine" });
        });
        after(async function () {
            this.timeout(10 * MINUTE);
            if (subject) await subject.dispose();
        });

        const versionOf = async (i: number): Promise<string> => {
            const answer = await fetch(`${subject.url(i)}/`);
            assert.equal(answer.status, 200, `host ${i + 1} answers ${answer.status}`);
            return String(((await answer.json()) as { version?: unknown }).version);
        };

        it("`up`: both hosts serve the app through their nginx; env and credentials files are 0600", async () => {
            const result = await subject.up();
            assert.equal(result.summary.result, "succeeded");
            for (let i = 0; i < 2; i++) {
                assert.equal(await versionOf(i), "v1");
                const ready = await fetch(`${subject.url(i)}/ready`);
                assert.equal(ready.status, 200);
                const modes = await subject.hosts[i].exec(["stat", "-c", "%a %U %n", `${HOME}/${ENVIRONMENT}.env`, `${HOME}/registry.env`]);
                assert.deepEqual(modes.stdout.trim().split("\n"), [`600 deploy ${HOME}/${ENVIRONMENT}.env`, `600 deploy ${HOME}/registry.env`]);
                assert.deepEqual(await subject.appImages(i), [subject.images.v1]);
            }
        });

        it("keeps every secret out of the commands the provider ran, the exported state and the logs", async () => {
            const deployment = (await subject.stack.exportStack()).deployment as { resources?: { type: string; inputs?: Record<string, unknown> }[] };
            const stored = fs.readFileSync(path.join(subject.backend, ".pulumi", "stacks", "hosts-engine-test", `${ENVIRONMENT}.json`), "utf8");
            for (const [name, secret] of Object.entries(subject.secrets)) {
                assert.deepEqual(placement(deployment, secret), [], `${name} appears in plain text in the exported state`);
                assert.ok(!stored.includes(secret), `${name} is stored in plain text in the backend`);
                for (const log of subject.logs) assert.ok(!log.includes(secret), `${name} appears in the output of up`);
                for (const resource of deployment.resources ?? []) {
                    if (!resource.type.startsWith("command:remote:")) continue;
                    for (const field of ["create", "update", "delete"]) {
                        assert.ok(!JSON.stringify(resource.inputs?.[field] ?? "").includes(secret), `${name} is in the ${field} command of ${resource.type}`);
                    }
                }
            }
        });

        it("`up` again changes nothing", async () => {
            const result = await subject.up();
            assert.deepEqual(changesOf(result.summary), [], `the second up changed resources: ${result.stdout}`);
        });

        it("a new digest rolls out on both hosts with 0 failed requests under load", async () => {
            await subject.setImage(subject.images.v2);
            const loads = [0, 1].map((i) => startLoad(`${subject.url(i)}/`, 20000, 10 * MINUTE));
            const result = await subject.up();
            const reports = await Promise.all(loads.map((load) => load.stop()));
            assert.equal(result.summary.result, "succeeded");
            reports.forEach((report, i) => {
                assert.equal(report.failed, 0, `host ${i + 1}: ${report.failed} of ${report.sent} requests failed: ${report.failures.join("; ")}`);
                assert.ok(report.sent > 10, `host ${i + 1}: the load loop sent only ${report.sent} requests`);
                assert.deepEqual(Object.keys(report.versions).filter((v) => v !== "v1" && v !== "v2"), []);
            });
            for (let i = 0; i < 2; i++) assert.equal(await versionOf(i), "v2");
        });

        it("a release one host's gate refuses: the other host passed its gate but is not switched, both keep serving, up fails with one line naming the host and the check", async () => {
            const [refusing, passing] = [0, 1];
            // The first host's database takes no new connections: v3 cannot start there, so it never gets ready.
            await subject.databaseAcceptsConnections(refusing, false);
            let failure: Error | undefined;
            let reports: LoadReport[];
            try {
                await subject.setImage(subject.images.v3, 20);
                const loads = [0, 1].map((i) => startLoad(`${subject.url(i)}/`, 20000, 10 * MINUTE));
                failure = await subject.up().then(
                    () => undefined,
                    (error: Error) => error,
                );
                reports = await Promise.all(loads.map((load) => load.stop()));
            } finally {
                await subject.databaseAcceptsConnections(refusing, true);
            }
            assert.ok(failure, "up succeeded although one host's gate cannot pass");
            // The engine repeats a failed resource's message (progress, diagnostics, summary): one distinct ERROR line.
            const errors = String(failure.message).split("\n").filter((line) => line.includes("ERROR: on "));
            const gate = [...new Set(errors.map((line) => line.slice(line.indexOf("ERROR: on ")).trim()))];
            assert.equal(gate.length, 1, `not exactly one ERROR line:\n${gate.join("\n")}`);
            assert.match(gate[0], new RegExp(`ERROR: on deploy@127\\.0\\.0\\.1:${subject.hosts[refusing].sshPort}: health gate failed for \\S+: GET /ready on \\S+ answered (nothing|\\d{3}) instead of 200 within 20s`));
            reports.forEach((report, i) => {
                assert.equal(report.failed, 0, `host ${i + 1}: ${report.failures.join("; ")}`);
                assert.deepEqual(Object.keys(report.versions), ["v2"], `host ${i + 1} served something other than v2`);
            });
            // The passing host started v3 and it passed the gate there (prepared), but no switch ran.
            const prepared = await subject.hosts[passing].exec(["cat", `${HOME}/state/prepared`]);
            assert.equal(prepared.stdout.split(" ")[0], subject.images.v3, "the other host did not pass its gate");
            for (let i = 0; i < 2; i++) assert.equal(await versionOf(i), "v2", `host ${i + 1} was switched`);
            assert.deepEqual(await subject.appImages(refusing), [subject.images.v2], "the refusing host kept its candidate");
            assert.deepEqual((await subject.appImages(passing)).sort(), [subject.images.v2, subject.images.v3].sort());
            // Back to the good image: the next prepare removes the unswitched candidate, the stack is consistent again.
            await subject.setImage(subject.images.v2);
            const recovered = await subject.up();
            assert.equal(recovered.summary.result, "succeeded");
            for (let i = 0; i < 2; i++) assert.deepEqual(await subject.appImages(i), [subject.images.v2], `host ${i + 1} after the recovery`);
        });

        it("`deploy.sh rollback`, run by hand over SSH on one host with its defaults, finds the history and rolls back", async () => {
            const outputs = await subject.stack.outputs();
            const commands = outputs.rollbackCommands?.value as Record<string, string>;
            const host = subject.hosts[0];
            const command = commands[`deploy@127.0.0.1:${host.sshPort}`];
            assert.match(command, /^bash \/home\/deploy\/gitlab-docker-delivery\/bundles\/[0-9a-f]{16}\/deploy\/deploy\.sh rollback --env staging$/);
            const rolled = await host.ssh(command);
            assert.match(rolled.stdout, /rollback: done/);
            assert.equal(await versionOf(0), "v1");
            assert.equal(await versionOf(1), "v2", "the other host is untouched");
        });

        it("`destroy` leaves no container of the stack on either host; the database volume is kept", async () => {
            await subject.stack.destroy({ color: "never" });
            for (let i = 0; i < 2; i++) {
                assert.deepEqual(await subject.containers(i), [], `host ${i + 1} still runs containers of ${COMPOSE_PROJECT}`);
                const volumes = await subject.hosts[i].exec(["docker", "volume", "ls", "--filter", `label=com.docker.compose.project=${COMPOSE_PROJECT}`, "--format", "{{.Name}}"]);
                assert.deepEqual(volumes.stdout.split("\n").filter(Boolean), [`${COMPOSE_PROJECT}_db-data`], "the database volume is kept");
            }
        });

        // After `destroy`, the same stack, hosts and registry serve HTTPS (the TLS rollout on Compose v2): a certificate
        // from Pebble (Let's Encrypt's test CA) obtained over HTTP-01 through the stack's own nginx on port 80.
        describe("with a domain: HTTPS with a certificate from an ACME CA (Pebble)", function () {
            const cleanup = new DockerCleanup();
            let pebble: Pebble;
            let issuingRoot = "";
            const host = () => subject.hosts[0];
            const httpsPort = () => host().extraPorts[443];

            before(async function () {
                this.timeout(15 * MINUTE);
                const started = Date.now();
                requirePebble();
                const acmeImage = /^ACME_IMAGE=(.+)$/m.exec((await run("bash", [STAND_IN_SCRIPT, "--print-env", "acme"], { timeoutMs: 15 * MINUTE })).stdout)?.[1];
                assert.ok(acmeImage, "stand-in-images.sh printed no ACME_IMAGE");
                // One host: HTTP-01 proves a name on the one machine it resolves to.
                pebble = await startPebble({
                    name: uniqueName("hosts-tls-pebble"),
                    network: subject.lab.network,
                    hosts: { [DOMAIN]: host().ip },
                    httpPort: 80,
                    validitySeconds: 7 * 24 * 3600,
                    listenerByAddress: true,
                    cleanup,
                    workDir: subject.scratch,
                });
                const trustDir = "/home/deploy/acme-trust";
                await host().exec(["sh", "-c", `mkdir -p ${trustDir} && cat > ${trustDir}/pebble-listener.pem`], { input: pebble.listenerRoot });
                const { address, port, user } = JSON.parse((await subject.stack.getConfig("hosts")).value)[0];
                await subject.stack.setAllConfig({
                    hosts: { value: JSON.stringify([{ address, port, user, knownHost: host().knownHostsLine }]) },
                    domain: { value: DOMAIN },
                    acmeEmail: { value: "ops@hosts-tls.test" },
                    acmeDirectoryUrl: { value: pebble.directoryUrl },
                    acmeImage: { value: await subject.lab.pushImage(acmeImage, "acme") },
                    acmeTrustDir: { value: trustDir },
                });
                // What sharing the lab leaves to pay: the acme image's push, Pebble, the config (for the CI budget).
                console.log(`      TLS setup: ${Math.round((Date.now() - started) / 1000)} s (acme image pushed to the lab registry, Pebble started, config set)`);
            });
            after(async function () {
                this.timeout(5 * MINUTE);
                await cleanup.run();
            });

            it("`up`: the host obtains a certificate from Pebble through its nginx; HTTPS serves it, HTTP redirects", async () => {
                const result = await subject.up();
                assert.equal(result.summary.result, "succeeded");
                const outputs = await subject.stack.outputs();
                assert.equal(outputs.url.value, `https://${DOMAIN}`);
                assert.match(String(outputs.tlsStatus.value), new RegExp(`^on: HTTPS on port 443 for ${DOMAIN.replace(/\./g, "\\.")} with a certificate from https://`));
                assert.match(await pebble.logs(), new RegExp(`Attempting to validate w/ HTTP: http://${DOMAIN.replace(/\./g, "\\.")}:80/\\.well-known/acme-challenge/`));

                const served = await pebbleCertificate(httpsPort());
                assert.match(served.issuer, /Pebble/, `nginx still serves a certificate from ${served.issuer}: ${await subject.acmeStatus(0)}`);
                assert.equal(served.names, `DNS:${DOMAIN}`);
                // The first attempt found nginx serving the webroot: no failed validation before the issuance.
                assert.doesNotMatch(await pebble.logs(), /set INVALID/);
                issuingRoot = await pebble.issuingRoot();
                // Verified against Pebble's issuing root for the name: the chain nginx sends is the one Pebble issued.
                const answer = await request(`https://${DOMAIN}:${httpsPort()}/`, "GET", undefined, domainAgent(issuingRoot, 1));
                assert.equal(answer.status, 200);
                assert.equal(answer.headers["strict-transport-security"], "max-age=63072000");
                const imageRef = (await subject.stack.getConfig("imageRef")).value;
                const deployed = Object.entries(subject.images).find(([, ref]) => ref === imageRef)?.[0];
                assert.equal(JSON.parse(answer.body).version, deployed);

                const plain = await request(`http://127.0.0.1:${host().httpPort}/api/notes?page=2`, "GET", undefined, undefined, { host: DOMAIN });
                assert.equal(plain.status, 308);
                assert.equal(plain.headers.location, `https://${DOMAIN}/api/notes?page=2`);
            });

            it("the private key is 0600 on the host's volume, and no key material is in the exported state or the output of up", async () => {
                const volume = (await host().exec(["docker", "volume", "inspect", "-f", "{{.Mountpoint}}", `${COMPOSE_PROJECT}_tls`])).stdout.trim();
                const mode = await host().exec(["stat", "-c", "%a %U", `${volume}/privkey.pem`]);
                assert.equal(mode.stdout.trim(), "600 root");
                const key = (await host().exec(["cat", `${volume}/privkey.pem`])).stdout;
                const keyLines = key.split("\n").filter((line) => line && !line.startsWith("-----"));
                assert.ok(keyLines.length > 0, "read the served key");
                const haystacks: Record<string, string> = {
                    "the exported state": JSON.stringify(await subject.stack.exportStack()),
                    "the backend's state file": fs.readFileSync(path.join(subject.backend, ".pulumi", "stacks", "hosts-engine-test", `${ENVIRONMENT}.json`), "utf8"),
                    "the output of up": subject.logs.join("\n"),
                };
                for (const [where, text] of Object.entries(haystacks)) {
                    for (const line of keyLines) assert.ok(!text.includes(line), `${where} holds a line of the served key`);
                }
            });

            it("`up` again changes nothing and keeps the certificate", async () => {
                const before = await servedCertificate(httpsPort());
                const result = await subject.up();
                assert.deepEqual(changesOf(result.summary), [], `the second up changed resources: ${result.stdout}`);
                assert.deepEqual(await servedCertificate(httpsPort()), before);
            });
        });
    });
}
