import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { LocalWorkspace, PulumiCommand, Stack } from "@pulumi/pulumi/automation";
import { Engine, REPO_ROOT, findEngine, run } from "./harness";

// The command provider's lifecycle as the engine drives it: what runs on preview, create, update, replace and
// delete, and what stays secret. The local stack relies on exactly this; where our stand-in provider is used
// (see docs/engine.md) this pins it to the official provider's documented contract.

const MINUTE = 60 * 1000;
const engine = findEngine();

// A plain JavaScript program: each command appends one line to a log file, so the test sees what ran and in
// which order.
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { local } = require("@pulumi/command");
const config = new pulumi.Config();
const log = config.require("log");
const append = (text) => \`echo "\${text}" >> "\${log}"\`;

const updated = new local.Command("updated", {
    create: append("create $GREETING") + "; echo first-output",
    update: append("update $GREETING after $PULUMI_COMMAND_STDOUT") + "; echo second-output",
    delete: append("delete after $PULUMI_COMMAND_STDOUT"),
    environment: { GREETING: config.require("greeting") },
});
const replaced = new local.Command("replaced", {
    create: append("create replaced " + config.require("trigger")),
    delete: append("delete replaced"),
    triggers: [config.require("trigger")],
});
const secret = new local.Command("secret", {
    create: pulumi.interpolate\`echo \${config.requireSecret("token")} | tr a-z A-Z\`,
});
if (config.getBoolean("fail")) {
    new local.Command("failing", { create: "echo about to fail >&2; exit 3" });
}
module.exports = { updatedStdout: updated.stdout, shout: secret.stdout, replacedId: replaced.id };
`;

if (!engine && process.env.CI === "true") {
    describe("the command provider under the real engine", () => {
        it("needs the engine: .ci/run builds it with .ci/engine/build.sh", () => {
            assert.fail("no pulumi binary on PATH or in the engine cache: .ci/engine/build.sh did not run or failed");
        });
    });
} else if (engine) {
    describeWithEngine(engine);
}
// Without an engine outside CI, local-stack.test.ts prints the one "engine not available" line for both files.

function describeWithEngine(found: Engine): void {
    describe("the command provider under the real engine", function () {
        this.timeout(5 * MINUTE);

        // Made in `before`, so that loading this file (e.g. for a filtered run) leaves nothing behind.
        let scratch = "";
        let programDir = "";
        let log = "";
        let stack: Stack;

        const logLines = (): string[] => (fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : []);
        const clearLog = (): void => fs.rmSync(log, { force: true });

        before(async function () {
            scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-command-test-"));
            programDir = path.join(scratch, "program");
            log = path.join(scratch, "commands.log");
            fs.mkdirSync(programDir);
            fs.writeFileSync(path.join(programDir, "Pulumi.yaml"), "name: command-contract\nruntime:\n  name: nodejs\n  options:\n    typescript: false\n");
            fs.writeFileSync(path.join(programDir, "package.json"), JSON.stringify({ name: "command-contract", main: "index.js" }));
            fs.writeFileSync(path.join(programDir, "index.js"), PROGRAM);
            fs.symlinkSync(path.join(REPO_ROOT, "node_modules"), path.join(programDir, "node_modules"));

            const pulumiHome = path.join(scratch, "pulumi-home");
            const backend = path.join(scratch, "backend");
            fs.mkdirSync(backend);
            const envVars: Record<string, string> = {
                PULUMI_HOME: pulumiHome,
                PULUMI_BACKEND_URL: `file://${backend}`,
                PULUMI_CONFIG_PASSPHRASE: "command-contract-test",
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PATH: `${found.binDir}${path.delimiter}${process.env.PATH ?? ""}`,
            };
            if (found.commandPlugin) {
                envVars.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
                run(found.pulumi, ["plugin", "install", "resource", "command", "1.2.1", "--file", found.commandPlugin], {
                    env: { ...process.env, ...envVars },
                });
            }
            const pulumiCommand = await PulumiCommand.get({ root: path.dirname(found.binDir) });
            stack = await LocalWorkspace.createOrSelectStack({ stackName: "contract", workDir: programDir }, { envVars, pulumiCommand, pulumiHome });
            await stack.setAllConfig({
                "command-contract:log": { value: log },
                "command-contract:greeting": { value: "hello" },
                "command-contract:trigger": { value: "one" },
                "command-contract:token": { value: "quiet-token", secret: true },
            });
        });

        after(async function () {
            try {
                if (stack) await stack.destroy({ color: "never" });
            } finally {
                if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
            }
        });

        it("runs nothing during preview", async () => {
            const preview = await stack.preview({ color: "never" });
            assert.equal(preview.changeSummary.create, 4);
            assert.deepEqual(logLines(), []);
        });

        it("runs each create once on the first up, with the given environment, trimming the output's last newline", async () => {
            const result = await stack.up({ color: "never" });
            assert.deepEqual(logLines().sort(), ["create hello", "create replaced one"]);
            assert.equal(result.outputs.updatedStdout.value, "first-output");
        });

        it("keeps a command's output secret when one of its inputs is secret", async () => {
            const outputs = await stack.outputs();
            assert.equal(outputs.shout.secret, true);
            assert.equal(outputs.shout.value, "QUIET-TOKEN");
            const revealed = JSON.stringify(await stack.exportStack());
            assert.ok(revealed.includes("QUIET-TOKEN"), "the export (made with --show-secrets) should hold the value");
            const stored = run(found.pulumi, ["stack", "export", "--stack", "contract"], {
                cwd: programDir,
                env: { ...process.env, ...stackEnv(stack) },
            });
            assert.ok(!stored.includes("QUIET-TOKEN") && !stored.includes("quiet-token"), "a secret is stored in plain text");
        });

        it("an input change is an update: it runs `update` with the previous output, and nothing else", async () => {
            clearLog();
            await stack.setConfig("command-contract:greeting", { value: "bonjour" });
            const result = await stack.up({ color: "never" });
            assert.deepEqual(result.summary.resourceChanges, { same: 3, update: 1 });
            assert.deepEqual(logLines(), ["update bonjour after first-output"]);
            assert.equal(result.outputs.updatedStdout.value, "second-output");
        });

        it("a trigger change replaces: the new create runs first, then the old delete", async () => {
            clearLog();
            const before = (await stack.outputs()).replacedId.value;
            await stack.setConfig("command-contract:trigger", { value: "two" });
            const result = await stack.up({ color: "never" });
            assert.equal(result.summary.resourceChanges?.replace, 1);
            assert.deepEqual(logLines(), ["create replaced two", "delete replaced"]);
            assert.notEqual(result.outputs.replacedId.value, before);
        });

        it("a failing command fails the update with its exit status and output", async () => {
            await stack.setConfig("command-contract:fail", { value: "true" });
            await assert.rejects(stack.up({ color: "never" }), (error: Error) => {
                assert.match(error.message, /exit status 3/);
                assert.match(error.message, /about to fail/);
                return true;
            });
            await stack.setConfig("command-contract:fail", { value: "false" });
        });

        it("destroy runs every delete, with the last output in PULUMI_COMMAND_STDOUT", async () => {
            clearLog();
            const result = await stack.destroy({ color: "never" });
            assert.equal(result.summary.result, "succeeded");
            assert.deepEqual(logLines().sort(), ["delete after second-output", "delete replaced"]);
        });
    });
}

function stackEnv(stack: Stack): Record<string, string> {
    return (stack.workspace as LocalWorkspace).envVars;
}
