import { strict as assert } from "node:assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Engine, REPO_ROOT, copyRepository, findEngine, run } from "../engine/harness";

// `pulumi preview --policy-pack policy` for real, with the engine .ci/engine/build.sh builds: the pack starts
// through the language host, judges what the engine sends, and a mandatory violation fails the preview.
// A throwaway program of command resources only (the one provider the built engine has), and the project's
// own local stack, in a copy of the repository.

const MINUTE = 60 * 1000;
const engine = findEngine();
const DIGEST = `sha256:${"ab".repeat(32)}`;

function probeProgram(image: string): string {
    return [
        'const { local } = require("@pulumi/command");',
        'new local.Command("deploy", {',
        `    create: "bash deploy.sh deploy --image ${image} --env staging",`,
        "});",
        "",
    ].join("\n");
}

if (engine) {
    describeWithEngine(engine);
} else {
    // Like the engine suite: without a built engine this registers no test instead of passing without one.
    describe("policy pack under the real engine: not available, run .ci/engine/build.sh", () => {
        console.log("policy pack under the real engine: no pulumi binary (run .ci/engine/build.sh)");
    });
}

function describeWithEngine(found: Engine): void {
    describe("pulumi preview --policy-pack policy (real engine)", function () {
        this.timeout(10 * MINUTE);
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-policy-preview-"));
        const probeDir = path.join(scratch, "probe");
        const repoCopy = path.join(scratch, "repo");
        const env: NodeJS.ProcessEnv = {
            ...process.env,
            PULUMI_HOME: path.join(scratch, "pulumi-home"),
            PULUMI_BACKEND_URL: `file://${path.join(scratch, "backend")}`,
            PULUMI_CONFIG_PASSPHRASE: "policy-preview-test",
            PULUMI_SKIP_UPDATE_CHECK: "true",
            PATH: `${found.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
        };

        const preview = (cwd: string, stack: string) =>
            spawnSync(found.pulumi, ["preview", "--stack", stack, "--policy-pack", path.join(REPO_ROOT, "policy"), "--non-interactive", "--color", "never"], {
                cwd, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024,
            });

        before(() => {
            fs.mkdirSync(path.join(scratch, "backend"));
            if (found.commandPlugin) {
                env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
                run(found.pulumi, ["plugin", "install", "resource", "command", "1.2.1", "--file", found.commandPlugin], { env });
            }
            fs.mkdirSync(probeDir);
            fs.writeFileSync(path.join(probeDir, "Pulumi.yaml"), "name: guardrails-probe\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n");
            fs.writeFileSync(path.join(probeDir, "package.json"), JSON.stringify({ name: "guardrails-probe", main: "index.js" }));
            fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(probeDir, "node_modules"));
            run(found.pulumi, ["stack", "init", "probe", "--non-interactive"], { cwd: probeDir, env });
        });

        after(() => fs.rmSync(scratch, { recursive: true, force: true }));

        it("fails the preview on a mandatory violation and names the policy", () => {
            fs.writeFileSync(path.join(probeDir, "index.js"), probeProgram("registry.example.com/app:latest"));
            const result = preview(probeDir, "probe");
            const output = result.stdout + result.stderr;
            assert.notEqual(result.status, 0, output);
            assert.match(output, /mandatory/);
            assert.match(output, /immutable-image-references/);
            assert.match(output, /"latest" moves with every push/);
        });

        it("passes the same program once the image is pinned by digest", () => {
            fs.writeFileSync(path.join(probeDir, "index.js"), probeProgram(`registry.example.com/app@${DIGEST}`));
            const result = preview(probeDir, "probe");
            const output = result.stdout + result.stderr;
            assert.equal(result.status, 0, output);
            assert.match(output, /gitlab-docker-delivery-guardrails/);
            assert.doesNotMatch(output, /mandatory|advisory/);
        });

        it("passes the project's own local stack", () => {
            copyRepository(repoCopy);
            // A salt from someone's own passphrase may sit in the working tree's stack file; this copy uses its own.
            const stackFile = path.join(repoCopy, "Pulumi.local.yaml");
            fs.writeFileSync(stackFile, fs.readFileSync(stackFile, "utf8").replace(/^encryptionsalt:.*\n?/m, ""));
            run(found.pulumi, ["stack", "init", "local", "--non-interactive"], { cwd: repoCopy, env });
            const result = preview(repoCopy, "local");
            const output = result.stdout + result.stderr;
            assert.equal(result.status, 0, output);
            assert.match(output, /gitlab-docker-delivery-guardrails/);
            assert.match(output, /command:local:Command/);
        });
    });
}
