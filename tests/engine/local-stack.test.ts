import { strict as assert } from "assert";
import * as fs from "fs";
import * as http from "http";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { parse as parseYaml, stringify as stringifyYaml } from "yaml";
import {
    DOCKER,
    Engine,
    composeObjects,
    copyRepository,
    findEngine,
    freePort,
    httpGet,
    removeComposeProject,
    run,
    serviceImages,
    standInImages,
    startLoad,
} from "./harness";

// The real Pulumi engine against the `local` stack: up, idempotent preview/up, a source change rolled out
// under load, destroy. It drives a throwaway copy of the repository with a file:// backend in a temp folder.

const PROJECT = "gitlab-docker-delivery";
// Our own Compose project, so a developer's running local stack is never touched.
const COMPOSE_PROJECT = `${PROJECT}-engine-test-${process.pid}`;
// The local image repository is shared with a developer's stack (tags are content hashes).
const IMAGE_REPOSITORY = `${PROJECT}-local/app`;
const PASSPHRASE = "engine-test-passphrase-not-a-secret-elsewhere";
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const MINUTE = 60 * 1000;

const engine = findEngine();

if (!engine && process.env.CI === "true") {
    describe("the real Pulumi engine on the local stack", () => {
        it("needs the engine: .ci/run builds it with .ci/engine/build.sh", () => {
            assert.fail("no pulumi binary on PATH or in the engine cache: .ci/engine/build.sh did not run or failed");
        });
    });
} else if (!engine) {
    // Outside CI the suite needs a built engine; it registers no test rather than passing without one.
    describe("engine not available: run .ci/engine/build.sh", () => {
        console.log("engine not available: run .ci/engine/build.sh");
    });
} else {
    describeWithEngine(engine);
}

function describeWithEngine(found: Engine): void {
    describe("the real Pulumi engine on the local stack", function () {
        this.timeout(25 * MINUTE);

        // Made in `before`, so that loading this file (e.g. for a filtered run) leaves nothing behind.
        let scratch = "";
        let workDir = "";
        let stateDir = "";
        let backend = "";
        let stack: Stack;
        let httpPort = 0;
        let url = "";
        let firstImageRef = "";
        let firstImageId = "";
        let destroyed = false;
        let secondImageRef = "";
        // What `npm run local:status|logs|rollback` (scripts/local-stack.sh) needs to find this stack.
        let scriptEnv: NodeJS.ProcessEnv = {};

        // Image tags are content hashes shared with a developer's own local stack: remove only the ones we made.
        const tagsBefore = new Set<string>();

        before(async function () {
            this.timeout(20 * MINUTE);
            scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-engine-test-"));
            workDir = path.join(scratch, "repo");
            stateDir = path.join(scratch, "stack-state");
            backend = path.join(scratch, "backend");
            for (const tag of appImageTags()) tagsBefore.add(tag);
            fs.mkdirSync(workDir);
            copyRepository(workDir);
            assert.ok(fs.existsSync(path.join(workDir, "Pulumi.yaml")), "Pulumi.yaml is missing: the program has not landed");
            dropSecretsOfAnotherPassphrase(path.join(workDir, "Pulumi.local.yaml"));

            const pulumiHome = path.join(scratch, "pulumi-home");
            fs.mkdirSync(backend);
            const envVars: Record<string, string> = {
                PULUMI_HOME: pulumiHome,
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PATH: `${found.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
            };
            if (found.commandPlugin) {
                // Our command provider stands in for the official one; nothing can be downloaded here.
                envVars.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
                run(found.pulumi, ["plugin", "install", "resource", "command", "1.2.1", "--file", found.commandPlugin], {
                    env: { ...process.env, ...envVars },
                });
            }

            scriptEnv = { ...process.env, ...envVars };
            const pulumiCommand = await PulumiCommand.get({ root: path.dirname(found.binDir) });
            stack = await LocalWorkspace.createOrSelectStack(
                { stackName: "local", workDir },
                { envVars, pulumiCommand, pulumiHome },
            );

            const images = standInImages();
            httpPort = await freePort();
            url = `http://127.0.0.1:${httpPort}`;
            const config: Record<string, { value: string; secret?: boolean }> = {
                [`${PROJECT}:httpPort`]: { value: String(httpPort) },
                [`${PROJECT}:stateDir`]: { value: stateDir },
                [`${PROJECT}:composeProject`]: { value: COMPOSE_PROJECT },
                [`${PROJECT}:appVersion`]: { value: "1.0.0-engine" },
                [`${PROJECT}:baseImages.build`]: { value: required(images, "BUILD_IMAGE") },
                [`${PROJECT}:baseImages.runtime`]: { value: required(images, "RUNTIME_IMAGE") },
                [`${PROJECT}:baseImages.postgres`]: { value: required(images, "POSTGRES_IMAGE") },
                [`${PROJECT}:baseImages.nginx`]: { value: required(images, "NGINX_IMAGE") },
            };
            if (fs.existsSync(CA_BUNDLE)) config[`${PROJECT}:buildCaFile`] = { value: CA_BUNDLE };
            await stack.setAllConfig(config, true);
        });

        after(async function () {
            this.timeout(10 * MINUTE);
            try {
                if (stack && !destroyed) await stack.destroy({ color: "never" });
            } catch (error) {
                console.log(`cleanup: pulumi destroy failed, removing the Compose project by hand: ${(error as Error).message}`);
            }
            removeComposeProject(COMPOSE_PROJECT);
            for (const tag of appImageTags()) {
                if (tagsBefore.has(tag)) continue;
                try {
                    run(DOCKER, ["image", "rm", tag]);
                } catch (error) {
                    console.log(`cleanup: could not remove image ${tag}: ${(error as Error).message}`);
                }
            }
            if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
        });

        /** scripts/local-stack.sh of the copy, as `npm run local:<action>` runs it; its output, stderr after stdout. */
        function localStackScript(action: string): string {
            return run("bash", [path.join(workDir, "scripts", "local-stack.sh"), action], { cwd: workDir, env: scriptEnv });
        }

        it("`up` builds the image, runs the Compose stack and serves the app through nginx on 127.0.0.1", async () => {
            const result = await stack.up({ color: "never" });
            assert.equal(result.summary.result, "succeeded", result.stderr);

            const outputs = result.outputs;
            assert.equal(outputs.environment?.value, "local");
            assert.equal(outputs.url?.value, url);
            assert.equal(outputs.composeProject?.value, COMPOSE_PROJECT);
            firstImageRef = String(outputs.imageRef?.value);
            firstImageId = String(outputs.imageId?.value);
            assert.match(firstImageRef, /^gitlab-docker-delivery-local\/app:src-[0-9a-f]{16}$/);
            assert.match(firstImageId, /^sha256:[0-9a-f]{64}$/);
            assert.equal(run(DOCKER, ["image", "inspect", "--format", "{{.Id}}", firstImageRef]).trim(), firstImageId);

            assert.deepEqual(serviceImages(COMPOSE_PROJECT, "app").filter((image) => image !== firstImageRef), []);
            assert.ok(serviceImages(COMPOSE_PROJECT, "app").length >= 1, "no app container is running");
            const root = await httpGet(`${url}/`);
            assert.equal(root.status, 200, root.body);
            assert.equal((JSON.parse(root.body) as { version?: string }).version, "1.0.0-engine");
            const ready = await httpGet(`${url}/ready`);
            assert.equal(ready.status, 200, ready.body);
        });

        it("keeps secrets secret: the generated database password is stored only encrypted", async () => {
            const envFile = fs.readFileSync(path.join(stateDir, "local.env"), "utf8");
            const password = /^POSTGRES_PASSWORD=(.+)$/m.exec(envFile)?.[1];
            assert.ok(password && password.length >= 16, "the env file holds no generated POSTGRES_PASSWORD");
            assert.equal(fs.statSync(path.join(stateDir, "local.env")).mode & 0o777, 0o600);

            // What the backend keeps on disk: ciphertext only.
            const stored = fs.readFileSync(path.join(backend, ".pulumi", "stacks", PROJECT, "local.json"), "utf8");
            assert.ok(!stored.includes(password), "the database password is in the stored state in plain text");
            assert.ok(stored.includes('"ciphertext"'), "the stored state holds no encrypted value at all");

            // The Automation API exports with --show-secrets: there the password may appear only inside values the
            // engine marks secret, and it must appear in at least one (it is tracked, not merely absent).
            const placement = secretPlacement(await stack.exportStack(), password);
            assert.deepEqual(placement.plain, [], "the password appears in values not marked secret");
            assert.ok(placement.secret > 0, "the password is not tracked as a secret value anywhere in the state");

            const outputs = await stack.outputs();
            assert.ok(!JSON.stringify(outputs).includes(password), "a stack output reveals the database password");
        });

        it("a second `preview` and `up` change nothing", async () => {
            const preview = await stack.preview({ color: "never" });
            const changed = Object.entries(preview.changeSummary).filter(([op, count]) => op !== "same" && count > 0);
            assert.deepEqual(changed, [], `preview plans changes: ${preview.stdout}`);

            const result = await stack.up({ color: "never" });
            assert.equal(result.summary.result, "succeeded", result.stderr);
            const changes = Object.entries(result.summary.resourceChanges ?? {}).filter(([op, count]) => op !== "same" && count > 0);
            assert.deepEqual(changes, [], `the second up changed resources: ${result.stdout}`);
            assert.equal(result.outputs.imageId?.value, firstImageId, "the image was rebuilt without a change");
        });

        it("a source change rolls out a new image through the deploy program with zero failed requests", async () => {
            const source = path.join(workDir, "app", "src");
            const entry = fs.readdirSync(source).find((name) => name.endsWith(".ts"));
            assert.ok(entry, "app/src holds no TypeScript source to change");
            fs.appendFileSync(path.join(source, entry), "\n// engine test: a source-only change\n");
            await stack.setConfig(`${PROJECT}:appVersion`, { value: "2.0.0-engine" });

            const load = startLoad(`${url}/`);
            const outcome = await stack.up({ color: "never" }).then(
                (value) => ({ value, error: undefined }),
                (error: Error) => ({ value: undefined, error }),
            );
            // Keep measuring briefly after the rollout: the old replicas stop at its end.
            await new Promise((resolve) => setTimeout(resolve, 2000));
            const report = await load.stop();
            console.log(`      rollout under load: ${report.sent} requests, ${report.failed} failed, answers by version ${JSON.stringify(report.versions)}`);
            if (outcome.error) throw outcome.error;
            const result = outcome.value!;
            assert.equal(result.summary.result, "succeeded", result.stderr);

            const newRef = String(result.outputs.imageRef?.value);
            secondImageRef = newRef;
            assert.notEqual(newRef, firstImageRef, "the changed source did not produce a new image tag");
            assert.deepEqual(serviceImages(COMPOSE_PROJECT, "app").filter((image) => image !== newRef), [],
                "an app container of the old image is still running");
            assert.ok(report.sent >= 20, `the load loop sent only ${report.sent} requests`);
            assert.equal(report.failed, 0, `failed requests during the rollout: ${report.failures.join("; ")}`);
            assert.deepEqual(Object.keys(report.versions).filter((v) => v !== "1.0.0-engine" && v !== "2.0.0-engine"), []);
            const root = await httpGet(`${url}/`);
            assert.equal((JSON.parse(root.body) as { version?: string }).version, "2.0.0-engine");
        });

        it("`local:status` shows the live release, the earlier one, each container's health and the URL", () => {
            const status = localStackScript("status");
            assert.match(status, new RegExp(`^live image: ${escape(secondImageRef)}$`, "m"), status);
            const releases = status.slice(status.indexOf("releases (newest last"));
            assert.match(releases, new RegExp(`^ {2}\\S+Z ${escape(firstImageRef)}\\n {2}\\S+Z ${escape(secondImageRef)}$`, "m"), status);
            for (const service of ["app", "db", "proxy"]) {
                assert.match(status, new RegExp(`^${escape(COMPOSE_PROJECT)}[-_]${service}\\S*\\s.*\\(healthy\\)`, "m"), `no healthy ${service} container in:\n${status}`);
            }
            assert.match(status, new RegExp(`^url: ${escape(url)}$`, "m"));
        });

        it("`local:logs` prints every container's log lines, each under its name", () => {
            const logs = localStackScript("logs");
            for (const service of ["app", "db", "proxy"]) {
                assert.match(logs, new RegExp(`^${escape(COMPOSE_PROJECT)}[-_]${service}\\S* \\| `, "m"), `no ${service} log line in:\n${logs.slice(0, 2000)}`);
            }
        });

        it("`local:rollback` goes back to the previous release through the deploy program's gate", async () => {
            localStackScript("rollback");
            assert.deepEqual(serviceImages(COMPOSE_PROJECT, "app").filter((image) => image !== firstImageRef), [],
                "an app container of the rolled-back image is still running");
            const root = await httpGet(`${url}/`);
            assert.equal((JSON.parse(root.body) as { version?: string }).version, "1.0.0-engine");
        });

        it("`httpsPort` turns HTTPS on: a certificate from the CA made on this machine (caFile), HTTP redirects; a second `up` changes nothing", async () => {
            const acmeImage = /^ACME_IMAGE=(.+)$/m.exec(run("bash", [path.join(workDir, "scripts", "stand-in-images.sh"), "--print-env", "acme"]))?.[1];
            assert.ok(acmeImage, "stand-in-images.sh printed no ACME_IMAGE");
            const httpsPort = await freePort();
            await stack.setAllConfig({ [`${PROJECT}:httpsPort`]: { value: String(httpsPort) }, [`${PROJECT}:baseImages.acme`]: { value: acmeImage } }, true);
            const result = await stack.up({ color: "never" });
            assert.equal(result.summary.result, "succeeded", result.stderr);
            assert.match(String(result.outputs.tls?.value), new RegExp(`^on: HTTPS on https://localhost:${httpsPort} `));
            const caFile = String(result.outputs.caFile?.value);
            assert.ok(fs.existsSync(caFile), `the caFile output ${caFile} names no file`);

            // Verified against the exported CA only, for the name the certificate is for.
            const status = await new Promise<number>((resolve, reject) => {
                https
                    .get(`https://localhost:${httpsPort}/`, { ca: fs.readFileSync(caFile), agent: false, timeout: 10_000 }, (res) => {
                        res.resume();
                        resolve(res.statusCode ?? 0);
                    })
                    .on("error", reject);
            });
            assert.equal(status, 200);
            const redirect = await new Promise<{ status: number; location?: string }>((resolve, reject) => {
                http.get({ host: "127.0.0.1", port: httpPort, path: "/api/notes", headers: { host: `localhost:${httpPort}` }, agent: false }, (res) => {
                    res.resume();
                    resolve({ status: res.statusCode ?? 0, location: res.headers.location });
                }).on("error", reject);
            });
            assert.deepEqual(redirect, { status: 308, location: `https://localhost:${httpsPort}/api/notes` });

            const again = await stack.up({ color: "never" });
            const changes = Object.entries(again.summary.resourceChanges ?? {}).filter(([op, count]) => op !== "same" && count > 0);
            assert.deepEqual(changes, [], `the second up with httpsPort changed resources: ${again.stdout}`);
        });

        it("`destroy` leaves no container, network or volume of the stack, and an empty state", async () => {
            const result = await stack.destroy({ color: "never" });
            destroyed = true;
            assert.equal(result.summary.result, "succeeded", result.stderr);
            for (const kind of ["container", "network", "volume"] as const) {
                assert.deepEqual(composeObjects(kind, COMPOSE_PROJECT), [], `${kind}s of ${COMPOSE_PROJECT} remain`);
            }
            const state = await stack.exportStack();
            const resources = (state.deployment as { resources?: unknown[] }).resources ?? [];
            assert.deepEqual(resources, []);
            assert.ok(!fs.existsSync(path.join(stateDir, "local.env")), "the env file with the stack's secrets remains");
        });
    });
}

// How the state format marks a secret value: {"4dabf18193072939515e22adb298388d": SECRET_SIGNATURE, ciphertext|plaintext}.
const SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

/** Where `needle` occurs in a deployment: paths of values not marked secret, and a count of secret ones. */
function secretPlacement(deployment: unknown, needle: string): { plain: string[]; secret: number } {
    const result = { plain: [] as string[], secret: 0 };
    const walk = (value: unknown, where: string, insideSecret: boolean): void => {
        if (typeof value === "string") {
            if (value.includes(needle)) {
                if (insideSecret) result.secret += 1;
                else result.plain.push(where);
            }
        } else if (Array.isArray(value)) {
            value.forEach((item, index) => walk(item, `${where}[${index}]`, insideSecret));
        } else if (value && typeof value === "object") {
            const record = value as Record<string, unknown>;
            const secret = insideSecret || record[SIGNATURE_KEY] === SECRET_SIGNATURE;
            for (const [key, item] of Object.entries(record)) walk(item, `${where}.${key}`, secret);
        }
    };
    walk(deployment, "$", false);
    return result;
}

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

function appImageTags(): string[] {
    return run(DOCKER, ["images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_REPOSITORY]).split("\n").filter(Boolean);
}

function required(values: Record<string, string>, key: string): string {
    const value = values[key];
    if (!value) throw new Error(`scripts/stand-in-images.sh --print-env printed no ${key}`);
    return value;
}

/**
 * The committed stack file may carry an encryption salt and secure values made with another passphrase; the
 * test's stack gets its own, so those are left out of the copy (the program generates what it needs).
 */
function dropSecretsOfAnotherPassphrase(stackFile: string): void {
    if (!fs.existsSync(stackFile)) return;
    const document = (parseYaml(fs.readFileSync(stackFile, "utf8")) ?? {}) as { encryptionsalt?: string; config?: Record<string, unknown> };
    delete document.encryptionsalt;
    for (const [key, value] of Object.entries(document.config ?? {})) {
        if (value && typeof value === "object" && "secure" in value) delete document.config![key];
    }
    fs.writeFileSync(stackFile, stringifyYaml(document));
}
