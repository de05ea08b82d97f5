import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { DOCKER_BIN, REPO_ROOT, WITHOUT_DOCKER_ENV, docker, requireDocker, run } from "./docker";

// The guard of the unit suites (tests/support/docker.ts): under `npm run test:unit`, which the pipeline's test job runs
// with no Docker engine, a test that reaches for Docker fails at once on any machine, naming the cause.

describe("tests/support/docker: the unit suites never reach Docker", () => {
    let saved: string | undefined;
    beforeEach(() => {
        saved = process.env[WITHOUT_DOCKER_ENV];
        process.env[WITHOUT_DOCKER_ENV] = "1";
    });
    afterEach(() => {
        if (saved === undefined) delete process.env[WITHOUT_DOCKER_ENV];
        else process.env[WITHOUT_DOCKER_ENV] = saved;
    });

    it("refuses Docker, by its path or by name, before anything starts", async () => {
        for (const attempt of [() => docker(["version"]), () => run(DOCKER_BIN, ["info"]), () => run("docker", ["ps"]), () => requireDocker()]) {
            await assert.rejects(attempt(), /this test runs Docker, but it is in `npm run test:unit` \(CICD_TESTS_WITHOUT_DOCKER=1\).*move it to a suite outside test:unit's glob/);
        }
    });

    it("still runs every other program", async () => {
        assert.equal((await run("sh", ["-c", "echo ran"])).stdout, "ran\n");
    });

    it("is on for `npm run test:unit`, the pipeline's test job", () => {
        const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
        assert.match(scripts["test:unit"], new RegExp(`^${WITHOUT_DOCKER_ENV}=1 mocha `));
    });
});
