import { strict as assert } from "node:assert";
import * as rules from "../../policy/rules";
import { resource, verdict } from "./verdict";

// Issue 20: what the image rule's mutation survivors showed no test pinned.

const REMOTE_COMMAND = "command:remote:Command";
const CONTAINER = "docker:index/container:Container";
const DIGEST = `registry.example.com/app@sha256:${"a".repeat(64)}`;

describe("immutable-image-references, edges (issue 20)", () => {
    const policy = "immutable-image-references";
    const check = rules.checkImmutableImages;

    it("judges the update command as well as create, and --image however many blanks follow it", async () => {
        await verdict(policy, check, resource(REMOTE_COMMAND, { create: `deploy --image ${DIGEST}`, update: "deploy --image   app:latest" }),
            /^update deploys image "app:latest": "latest" moves with every push/);
    });
    it("judges a Docker container's image, and the commands of nothing else", async () => {
        await verdict(policy, check, resource(CONTAINER, { image: "nginx" }), /^image deploys image "nginx": it has neither a tag nor a digest/);
        await verdict(policy, check, resource(CONTAINER, { image: DIGEST, create: "deploy --image app:latest" }));
    });
    it("reads a reference with blanks around it as the reference", () => {
        assert.equal(rules.mutableImageReason(` ${DIGEST} `), undefined);
    });
});
