import { strict as assert } from "assert";
import { LocalImage, localBuildCommand, localImageKey } from "../../../components/image";
import { installMocks, valueOf } from "../../support/mocks";

describe("image: LocalImage", () => {
    it("builds with values in the environment and the CA as a BuildKit secret only", () => {
        const { command, environment } = localBuildCommand({
            docker: "/usr/bin/docker",
            tag: "repo/app:src-abc",
            dockerfile: "/repo/app/Dockerfile",
            contextDir: "/repo/app",
            target: "runtime",
            buildArgs: { RUNTIME_IMAGE: "r:1", BUILD_IMAGE: "b:1" },
            caFile: "/etc/ssl/certs/ca-certificates.crt",
        });
        assert.equal(command, 'set -eu; "$DOCKER" build --quiet --target "$BUILD_TARGET" --tag "$IMAGE_TAG" --file "$DOCKERFILE" --build-arg BUILD_IMAGE --build-arg RUNTIME_IMAGE --secret id=ca,src="$BUILD_CA_FILE" "$BUILD_CONTEXT"');
        assert.equal(environment.DOCKER_BUILDKIT, "1");
        assert.equal(environment.BUILD_CA_FILE, "/etc/ssl/certs/ca-certificates.crt");
        assert.equal(environment.RUNTIME_IMAGE, "r:1");
    });

    it("gives a different image key to different build args or stage, in any order", () => {
        const base = localImageKey("a".repeat(64), "runtime", { A: "1", B: "2" });
        assert.equal(localImageKey("a".repeat(64), "runtime", { B: "2", A: "1" }), base);
        assert.notEqual(localImageKey("a".repeat(64), "runtime", { A: "1", B: "3" }), base);
        assert.notEqual(localImageKey("a".repeat(64), "build", { A: "1", B: "2" }), base);
        assert.notEqual(localImageKey("b".repeat(64), "runtime", { A: "1", B: "2" }), base);
    });

    it("tags by content hash, drops empty build args, and exports the id the build printed", async () => {
        const recorder = await installMocks({
            stack: "local",
            state: { "command:local:Command": { stdout: "sha256:1111111111111111111111111111111111111111111111111111111111111111\n" } },
        });
        const image = new LocalImage("img", {
            contextDir: "/nonexistent",
            repository: "example/app",
            contextHash: "f".repeat(64),
            buildArgs: { BUILD_IMAGE: "b:1", RUNTIME_IMAGE: undefined, GIT_COMMIT: "" },
        });
        await recorder.settle();
        const build = recorder.find("command:local:Command", "img-build");
        assert.equal(recorder.parentOf(build)?.type, "cicd:image:LocalImage");
        const key = localImageKey("f".repeat(64), "runtime", { BUILD_IMAGE: "b:1" }).slice(0, 16);
        assert.equal(build.inputs.environment.IMAGE_TAG, `example/app:src-${key}`);
        assert.deepEqual(build.inputs.triggers, ["f".repeat(64), "runtime", '{"BUILD_IMAGE":"b:1"}', ""]);
        assert.doesNotMatch(build.inputs.create, /RUNTIME_IMAGE|GIT_COMMIT/);
        assert.equal(await valueOf(image.ref), `example/app:src-${key}`);
        assert.equal(await valueOf(image.imageId), `sha256:${"1".repeat(64)}`);
    });
});
