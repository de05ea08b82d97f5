import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { RegistryImage, imageTags } from "../../../components/image";
import { installMocks, valueOf } from "../../support/mocks";

describe("image: RegistryImage", () => {
    const caFile = path.join(os.tmpdir(), `registry-image-test-ca-${process.pid}.pem`);
    before(() => fs.writeFileSync(caFile, "-----BEGIN CERTIFICATE-----\nFAKECAFORTEST\n-----END CERTIFICATE-----\n"));
    after(() => fs.rmSync(caFile, { force: true }));

    it("tags with the git sha and the stack", () => {
        assert.deepEqual(imageTags("r.example/a/b", "staging", "abc1234"), ["r.example/a/b:abc1234", "r.example/a/b:staging-abc1234"]);
    });

    it("pushes with registry cache, platforms and version build args; the CA is a secret, never a build arg", async () => {
        const recorder = await installMocks({ stack: "staging" });
        const image = new RegistryImage("img", {
            contextDir: "/repo/app",
            repository: "registry.gitlab.com/acme/app",
            gitCommit: "abc1234",
            stack: "staging",
            appVersion: "1.2.3",
            platforms: ["linux/arm64"],
            baseImages: { runtime: "mirror/node:22" },
            caFile,
            registry: { address: "registry.gitlab.com", username: "bot", password: pulumi.secret("FAKEPUSHTOKEN") },
        });
        await recorder.settle();
        const build = recorder.find("docker-build:index:Image", "img-build");
        assert.equal(build.inputs.push, true);
        assert.equal(build.inputs.buildOnPreview, true);
        assert.equal(build.inputs.dockerfile.location, "/repo/app/Dockerfile");
        assert.deepEqual(build.inputs.platforms, ["linux/arm64"]);
        assert.deepEqual(build.inputs.buildArgs, { APP_VERSION: "1.2.3", GIT_COMMIT: "abc1234", RUNTIME_IMAGE: "mirror/node:22" });
        assert.deepEqual([build.inputs.cacheFrom ?? [], build.inputs.cacheTo ?? []], [[], []], "no cache unless a cache folder is given");
        assert.equal(build.inputs.builder, undefined, "the provider's own builder unless one is named");
        assert.ok(build.secretInputs.includes("secrets"), "CA travels as a secret");
        assert.match(build.inputs.secrets.ca, /FAKECAFORTEST/);
        assert.doesNotMatch(JSON.stringify(build.plainInputs), /FAKECAFORTEST|FAKEPUSHTOKEN/);
        assert.equal(await valueOf(image.ref), `registry.gitlab.com/acme/app@sha256:${"ab".repeat(32)}`);
        assert.equal(image.shaTag, "registry.gitlab.com/acme/app:abc1234");
    });

    it("builds the runtime stage for linux/amd64 by default, pushes both tags, and keeps them when deleted", async () => {
        const recorder = await installMocks({ stack: "staging" });
        new RegistryImage("img", {
            contextDir: "/repo/app", repository: "registry.gitlab.com/acme/app", gitCommit: "abc1234", stack: "staging",
            appVersion: "1.2.3", baseImages: { build: "mirror/node:22-build" },
            registry: { address: "registry.gitlab.com", username: "bot", password: pulumi.secret("FAKEPUSHTOKEN") },
        });
        await recorder.settle();
        const build = recorder.find("docker-build:index:Image", "img-build");
        assert.equal(build.inputs.target, "runtime");
        assert.deepEqual(build.inputs.platforms, ["linux/amd64"]);
        assert.deepEqual(build.inputs.context, { location: "/repo/app" });
        assert.deepEqual(build.inputs.tags, ["registry.gitlab.com/acme/app:abc1234", "registry.gitlab.com/acme/app:staging-abc1234"]);
        assert.deepEqual(build.inputs.buildArgs, { APP_VERSION: "1.2.3", GIT_COMMIT: "abc1234", BUILD_IMAGE: "mirror/node:22-build" });
        assert.deepEqual(build.inputs.registries, [{ address: "registry.gitlab.com", username: "bot", password: "FAKEPUSHTOKEN" }]);
        assert.ok(build.secretInputs.includes("registries"));
        assert.equal(build.retainOnDelete, true, "neither a destroy of staging nor a rebuild deletes a digest production runs");
        assert.equal(recorder.parentOf(build), recorder.find("cicd:image:RegistryImage", "img"));
    });

    it("builds the stage and Dockerfile it is given", async () => {
        const recorder = await installMocks({ stack: "staging" });
        new RegistryImage("img", {
            contextDir: "/repo/app", dockerfile: "/repo/app/Dockerfile.ci", target: "test", repository: "registry.gitlab.com/acme/app",
            gitCommit: "abc1234", stack: "staging", appVersion: "1.2.3",
            registry: { address: "registry.gitlab.com", username: "bot", password: pulumi.secret("FAKEPUSHTOKEN") },
        });
        await recorder.settle();
        const build = recorder.find("docker-build:index:Image", "img-build");
        assert.equal(build.inputs.target, "test");
        assert.equal(build.inputs.dockerfile.location, "/repo/app/Dockerfile.ci");
    });

    describe("build cache (issue 18): only the deploy jobs' protected folder, written only outside previews", () => {
        const build = async (preview: boolean) => {
            const recorder = await installMocks({ stack: "staging", preview });
            new RegistryImage("img", {
                contextDir: "/repo/app", repository: "registry.gitlab.com/acme/app", gitCommit: "abc1234", stack: "staging",
                appVersion: "1.2.3", cacheDir: "/builds/acme/app/.buildkit-cache",
                registry: { address: "registry.gitlab.com", username: "bot", password: pulumi.secret("FAKEPUSHTOKEN") },
            });
            await recorder.settle();
            return recorder.find("docker-build:index:Image", "img-build").inputs;
        };
        it("a deploy imports and exports the local cache folder, and no registry cache", async () => {
            const inputs = await build(false);
            assert.deepEqual(inputs.cacheFrom, [{ local: { src: "/builds/acme/app/.buildkit-cache" } }]);
            assert.deepEqual(inputs.cacheTo, [{ local: { dest: "/builds/acme/app/.buildkit-cache", mode: "max" } }]);
            assert.doesNotMatch(JSON.stringify([inputs.cacheFrom, inputs.cacheTo]), /registry/);
        });
        it("a preview exports no cache", async () => {
            const inputs = await build(true);
            assert.deepEqual(inputs.cacheTo ?? [], []);
            assert.deepEqual(inputs.cacheFrom, [{ local: { src: "/builds/acme/app/.buildkit-cache" } }]);
        });
    });

    describe("builder (issue 18): the deploy jobs build on their rootless BuildKit service", () => {
        const args = { contextDir: "/repo/app", repository: "registry.gitlab.com/acme/app", gitCommit: "abc1234", stack: "staging", appVersion: "1.2.3" };
        const registry = { address: "registry.gitlab.com", username: "bot", password: pulumi.secret("FAKEPUSHTOKEN") };
        it("builds with the named buildx builder", async () => {
            const recorder = await installMocks({ stack: "staging" });
            new RegistryImage("img", { ...args, registry, builder: "cicd-rootless" });
            await recorder.settle();
            assert.deepEqual(recorder.find("docker-build:index:Image", "img-build").inputs.builder, { name: "cicd-rootless" });
        });
        it("refuses a name buildx would refuse, with one message, and registers nothing", async () => {
            const recorder = await installMocks({ stack: "staging" });
            assert.throws(() => new RegistryImage("bad", { ...args, registry, builder: "tcp://buildkitd:1234" }),
                /cicd:image:RegistryImage "bad" \[builder\] "tcp:\/\/buildkitd:1234" is not a buildx builder name/);
            await recorder.settle();
            assert.deepEqual(recorder.resources.filter((r) => r.name.startsWith("bad")), []);
        });
    });
});
