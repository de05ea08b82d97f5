import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { PromotedImage, assertSameDigest, parseImageRef, registryLookupName } from "../../../components/image";
import { installMocks, valueOf } from "../../support/mocks";

const DIGEST = `sha256:${"cd".repeat(32)}`;

describe("image: PromotedImage", () => {
    it("splits references with registry ports, tags and digests", () => {
        assert.deepEqual(parseImageRef(`localhost:5000/a/b:v1@${DIGEST}`), { repository: "localhost:5000/a/b", tag: "v1", digest: DIGEST });
        assert.deepEqual(parseImageRef("localhost:5000/a/b"), { repository: "localhost:5000/a/b", tag: undefined, digest: undefined });
        assert.deepEqual(parseImageRef(`app@${DIGEST}`), { repository: "app", tag: undefined, digest: DIGEST });
        assert.deepEqual(parseImageRef("app:1.0"), { repository: "app", tag: "1.0", digest: undefined });
    });

    it("looks a tagged reference up by its tag, a digest-only one as repo:sha256:<hex>, the provider's own split", () => {
        assert.equal(registryLookupName(`r.example:5000/acme/app:abc1234@${DIGEST}`), "r.example:5000/acme/app:abc1234");
        assert.equal(registryLookupName(`r.example:5000/acme/app@${DIGEST}`), `r.example:5000/acme/app:${DIGEST}`);
        assert.equal(registryLookupName("r.example:5000/acme/app"), "r.example:5000/acme/app");
    });

    it("refuses a registry digest other than the one staging built, or a ref without digest", () => {
        assert.equal(assertSameDigest(`r/a@${DIGEST}`, DIGEST, "r/a:abc"), DIGEST);
        assert.throws(() => assertSameDigest(`r/a@${DIGEST}`, `sha256:${"00".repeat(32)}`, "r/a:abc"), /the registry says r\/a:abc is sha256:0000.*production deploys only the exact image staging built/);
        assert.throws(() => assertSameDigest(`r/a@${DIGEST}`, "", "r/a:abc"), /is missing/);
        assert.throws(() => assertSameDigest("r/a:abc", DIGEST, "r/a:abc"), /not pinned by digest/);
    });

    it("looks the image up with its own registry credentials, then tags the verified digest without building", async () => {
        const recorder = await installMocks({
            stack: "prod",
            calls: { "docker:index/getRegistryImage:getRegistryImage": (inputs) => ({ name: inputs.name, sha256Digest: DIGEST }) },
        });
        const image = new PromotedImage("img", {
            sourceRef: `registry.gitlab.com/acme/app@${DIGEST}`,
            lookupRef: "registry.gitlab.com/acme/app:abc1234",
            repository: "registry.gitlab.com/acme/app",
            tag: "production-abc1234",
            registry: { address: "registry.gitlab.com", username: "bot", password: pulumi.secret("FAKEPUSHTOKEN") },
        });
        await recorder.settle();
        const provider = recorder.find("pulumi:providers:docker", "img-registry");
        assert.ok(provider.secretInputs.includes("registryAuth"));
        assert.equal(JSON.parse(provider.inputs.registryAuth)[0].address, "registry.gitlab.com");
        const lookup = recorder.calls.find((c) => c.token.includes("getRegistryImage"));
        assert.equal(lookup?.inputs.name, "registry.gitlab.com/acme/app:abc1234");
        assert.match(lookup?.provider ?? "", /\$pulumi:providers:docker::img-registry::/, `the lookup goes through the component's registry credentials: ${lookup?.provider}`);
        const component = recorder.find("cicd:image:PromotedImage", "img");
        const index = recorder.find("docker-build:index:Index", "img-tag");
        for (const child of [provider, index]) assert.equal(recorder.parentOf(child), component, child.name);
        assert.equal(index.retainOnDelete, true, "a promotion or destroy never deletes a manifest production may run");
        assert.deepEqual(index.inputs.registry, { address: "registry.gitlab.com", username: "bot", password: "FAKEPUSHTOKEN" });
        assert.ok(index.secretInputs.includes("registry"));
        assert.deepEqual(index.inputs.sources, [`registry.gitlab.com/acme/app@${DIGEST}`]);
        assert.equal(index.inputs.tag, "registry.gitlab.com/acme/app:production-abc1234");
        assert.equal(index.inputs.push, true);
        assert.equal(recorder.findAll("docker-build:index:Image").length, 0);
        assert.equal(await valueOf(image.ref), `registry.gitlab.com/acme/app@${DIGEST}`);
    });
});
