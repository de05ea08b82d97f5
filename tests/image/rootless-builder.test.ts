// Issue 18: the deploy runner is unprivileged, so deploy_staging builds the app image on a rootless BuildKit
// service instead of Docker-in-Docker. This runs that service as the deploy runner runs service containers (not
// privileged, Docker's default capabilities, and exactly the security options components/runner gives service
// containers), and a job container with Docker's defaults that registers it as a buildx `remote` builder with the
// pipeline's own script and builds app/Dockerfile through it, as the docker-build provider does: the CA bundle as
// secret `ca`, the stand-in base images as build args, the release build's local cache exported. The image is
// pushed to an htpasswd registry and its digest pulled back by this machine's engine.
// Differences from the pipeline, both test-only: the registry speaks plain HTTP (buildkitd is told so in a config
// file), and the base images come from that registry because BuildKit cannot see this engine's local images.
import assert from "assert";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { ROOTLESS_BUILDKIT_SERVICE_SECURITY_OPT } from "../../components/runner";
import { HOST_CA_BUNDLE, REPO_ROOT, TEST_LABEL, docker, ensureStandInImages, requireDocker, run } from "../support/docker";
import { SimLab, SimRegistry } from "../support/simHosts";
import { copyAppContext, removeAppContext } from "./app-context";

const IMAGE_SCRIPT = path.join(REPO_ROOT, "scripts", "buildkit", "rootless-image.sh");
const REGISTER_SCRIPT = path.join(REPO_ROOT, "scripts", "buildkit", "remote-builder.sh");
const BUILDKIT_PORT = 1234;
const BUILDER = "cicd-rootless";
const BUILDX = "/usr/libexec/docker/cli-plugins/docker-buildx";

/** The stand-in for moby/buildkit:<version>-rootless; .ci/run builds it (scripts/buildkit/rootless-image.sh). */
async function rootlessImage(): Promise<string> {
    const result = await run("bash", [IMAGE_SCRIPT, "--check", "--print-image"], { allowFailure: true });
    assert.strictEqual(result.code, 0, result.stderr.trim());
    return result.stdout.trim();
}

interface BuildkitService {
    readonly name: string;
}

/** Starts buildkitd as the deploy job's service: the pipeline's command, the runner's options for service containers. */
async function startService(image: string, network: string, name: string, securityOpt: readonly string[], config: string): Promise<BuildkitService> {
    await docker([
        "run", "--detach", "--name", name, "--network", network, "--network-alias", "buildkitd", "--label", `${TEST_LABEL}=1`,
        ...securityOpt.flatMap((opt) => ["--security-opt", opt]),
        "--volume", `${config}:/home/user/.config/buildkit/buildkitd.toml:ro`,
        image, "--oci-worker-no-process-sandbox", "--addr", `tcp://0.0.0.0:${BUILDKIT_PORT}`,
    ]);
    return { name };
}

/** Resolves once buildkitd answers with a worker; rejects with its log if the container stops or time runs out. */
async function waitForWorkers(service: BuildkitService, timeoutMs = 60_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const state = (await docker(["inspect", "--format", "{{.State.Status}}", service.name], { allowFailure: true })).stdout.trim();
        if (state === "running") {
            const workers = await docker(["exec", service.name, "buildctl", "--addr", `tcp://127.0.0.1:${BUILDKIT_PORT}`, "debug", "workers"], { allowFailure: true });
            if (workers.code === 0 && /\n\S/.test(workers.stdout)) return workers.stdout;
        }
        if (state !== "running" || Date.now() > deadline) {
            const logs = await docker(["logs", "--tail", "30", service.name], { allowFailure: true });
            throw new Error(`buildkitd in ${service.name} did not come up (state ${state || "gone"}):\n${logs.stdout}${logs.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
    }
}

/** buildkitd.toml: the test registry speaks plain HTTP (GitLab's registry is HTTPS and needs no such line). */
function writeServiceConfig(dir: string, registry: SimRegistry): string {
    const file = path.join(dir, "buildkitd.toml");
    fs.writeFileSync(file, `[registry."${registry.address}"]\n  http = true\n`, { mode: 0o644 });
    return file;
}

describe("rootless BuildKit under the deploy runner's container options (issue 18)", function () {
    this.timeout(60_000);
    let image: string;
    let lab: SimLab;
    let registry: SimRegistry;
    let config: string;
    const containers: string[] = [];
    const unique = crypto.randomBytes(3).toString("hex");

    before(async function () {
        this.timeout(20 * 60_000);
        await requireDocker();
        image = await rootlessImage();
        await ensureStandInImages();
        lab = await SimLab.create({ prefix: "builder-rootless" });
        registry = await lab.startRegistry();
        config = writeServiceConfig(lab.scratchDir, registry);
    });
    after(async function () {
        this.timeout(120_000);
        for (const name of containers) await docker(["rm", "--force", "--volumes", name], { allowFailure: true });
        await lab?.cleanup();
    });

    it("does not start under Docker's default seccomp profile: the option the runner gives is needed", async () => {
        const name = `builder-bk-default-${unique}`;
        containers.push(name);
        const service = await startService(image, lab.network, name, [], config);
        await assert.rejects(waitForWorkers(service, 20_000), /did not come up/);
    });

    describe("with the deploy runner's options for service containers", () => {
        let service: BuildkitService;
        let context: string | undefined;
        let cacheDir: string;
        let ref: string;
        let buildLog: string;

        before(async function () {
            this.timeout(30 * 60_000);
            service = await startService(image, lab.network, `builder-bk-${unique}`, ROOTLESS_BUILDKIT_SERVICE_SECURITY_OPT, config);
            containers.push(service.name);
            await waitForWorkers(service);
            const [buildBase, runtimeBase] = await Promise.all([
                lab.pushImage("cicd-standin/node-build:trixie", "node-build"),
                lab.pushImage("cicd-standin/node-runtime:trixie", "node-runtime"),
            ]);
            context = copyAppContext("rootless");
            fs.chmodSync(context, 0o755); // read by the job container's user 1000
            cacheDir = fs.mkdtempSync(path.join(lab.scratchDir, "buildkit-cache-"));
            fs.chmodSync(cacheDir, 0o777); // the job container runs as the image's user 1000
            const outDir = fs.mkdtempSync(path.join(lab.scratchDir, "out-"));
            fs.chmodSync(outDir, 0o777);
            const job = `builder-job-${unique}`;
            containers.push(job);
            const auth = Buffer.from(`${registry.username}:${registry.password}`).toString("base64");
            // The job: Docker's defaults (the deploy runner's job containers get no option at all).
            const steps = [
                "set -euo pipefail",
                'mkdir -p "$DOCKER_CONFIG" && (umask 077 && printf \'{"auths":{"%s":{"auth":"%s"}}}\' "$REGISTRY" "$REGISTRY_AUTH" > "$DOCKER_CONFIG/config.json")',
                `bash /scripts/remote-builder.sh ${BUILDER} tcp://buildkitd:${BUILDKIT_PORT}`,
                `${BUILDX} build --builder ${BUILDER} --progress plain --target runtime --platform linux/amd64` +
                    ' --build-arg BUILD_IMAGE="$BUILD_BASE" --build-arg RUNTIME_IMAGE="$RUNTIME_BASE" --build-arg GIT_COMMIT="$GIT_COMMIT"' +
                    " --secret id=ca,src=/ca.crt --cache-to type=local,dest=/cache,mode=max" +
                    ' --tag "$REGISTRY/notes:rootless-$GIT_COMMIT" --push --metadata-file /out/metadata.json /app',
            ].join("\n");
            const result = await docker([
                "run", "--rm", "--name", job, "--network", lab.network, "--label", `${TEST_LABEL}=1`, "--entrypoint", "bash",
                "--env", "DOCKER_CONFIG=/home/user/.docker", "--env", `REGISTRY=${registry.address}`, "--env", "REGISTRY_AUTH",
                "--env", `BUILD_BASE=${buildBase}`, "--env", `RUNTIME_BASE=${runtimeBase}`, "--env", `GIT_COMMIT=rootless${unique}`,
                "--volume", `${context}:/app:ro`, "--volume", `${HOST_CA_BUNDLE}:/ca.crt:ro`, "--volume", `${REGISTER_SCRIPT}:/scripts/remote-builder.sh:ro`,
                "--volume", `${cacheDir}:/cache`, "--volume", `${outDir}:/out`,
                image, "-c", steps,
            ], { env: { REGISTRY_AUTH: auth }, timeoutMs: 25 * 60_000 });
            buildLog = result.stderr + result.stdout;
            const metadata = JSON.parse(fs.readFileSync(path.join(outDir, "metadata.json"), "utf8")) as Record<string, unknown>;
            const digest = String(metadata["containerimage.digest"]);
            assert.match(digest, /^sha256:[0-9a-f]{64}$/, JSON.stringify(metadata));
            ref = `${registry.address}/notes@${digest}`;
        });
        after(() => removeAppContext(context));

        it("runs buildkitd as a non-root user in a container that is not privileged and has no added capability", async () => {
            const host = JSON.parse((await docker(["inspect", "--format", "{{json .HostConfig}}", service.name])).stdout) as Record<string, unknown>;
            assert.strictEqual(host.Privileged, false);
            assert.deepStrictEqual(host.CapAdd ?? [], []);
            assert.deepStrictEqual(host.Devices ?? [], []);
            assert.deepStrictEqual(host.SecurityOpt, [...ROOTLESS_BUILDKIT_SERVICE_SECURITY_OPT]);
            const ids = (await docker(["exec", service.name, "sh", "-c", "for p in /proc/[0-9]*; do awk '/^Uid:/{print $2}' $p/status; done | sort -u"])).stdout.split(/\s+/).filter(Boolean);
            assert.deepStrictEqual(ids, ["1000"], `the service's processes run as uids ${ids.join(", ")}`);
        });

        it("builds through the builder the pipeline's script registers, with the CA as a secret, and exports the release cache", () => {
            assert.match(buildLog, /\[deps \d+\/\d+\] RUN .*--mount=type=secret,id=ca/, buildLog.slice(-3000));
            assert.ok(fs.existsSync(path.join(cacheDir, "index.json")), "the local cache export wrote no index.json");
        });

        it("pushes the image, and the digest pulls back with the commit it was built from", async () => {
            const local = ref.replace(registry.address, registry.localAddress);
            const dockerConfig = fs.mkdtempSync(path.join(lab.scratchDir, "pull-config-"));
            await docker(["--config", dockerConfig, "login", registry.localAddress, "--username", registry.username, "--password-stdin"], { input: registry.password });
            try {
                await docker(["--config", dockerConfig, "pull", local], { timeoutMs: 5 * 60_000 });
                const labels = JSON.parse((await docker(["image", "inspect", "--format", "{{json .Config.Labels}}", local])).stdout) as Record<string, string>;
                assert.strictEqual(labels["org.opencontainers.image.revision"], `rootless${unique}`, JSON.stringify(labels));
                const node = await docker(["run", "--rm", "--entrypoint", "node", local, "-e", "console.log(require('/app/package.json').name)"]);
                assert.ok(node.stdout.trim().length > 0);
            } finally {
                await docker(["rmi", "--force", local], { allowFailure: true });
            }
        });
    });
});
