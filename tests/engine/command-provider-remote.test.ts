import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { SimHost, SimLab } from "../support/simHosts";
import { ContractStack, createContractStack } from "./contractStack";
import { Engine, findEngine, run } from "./harness";

// The command provider's remote resources as the engine drives them against a simulated host over real SSH:
// command:remote:Command (create/update/delete, triggers, stdin, logging, secrets) and command:remote:CopyToRemote
// (the official destination table); the connection's own fields are pinned in command-provider-connection.test.ts. Where our stand-in provider is used (see
// docs/engine.md) this pins it to command 1.2.1's behaviour, read from the official source.

const MINUTE = 60 * 1000;
const engine = findEngine();
const HOME = "/home/deploy";

// A plain JavaScript program. Each command appends a line to ~/commands.log on the host, so the test sees what
// ran there and in which order. Resources that must fail are added by config flags, one at a time.
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { remote } = require("@pulumi/command");
const config = new pulumi.Config();
const connection = {
    host: "127.0.0.1",
    port: config.requireNumber("port"),
    user: "deploy",
    privateKey: config.requireSecret("privateKey"),
    hostKey: config.require("hostKey"),
};
const append = (text) => \`echo "\${text}" >> ~/commands.log\`;

const updated = new remote.Command("updated", {
    connection,
    create: append("create " + config.require("greeting")) + "; echo first-output",
    update: append("update " + config.require("greeting") + " after $PULUMI_COMMAND_STDOUT") + "; echo second-output",
    delete: append("delete after $PULUMI_COMMAND_STDOUT"),
});
const createOnly = new remote.Command("create-only", {
    connection,
    create: append("create-only " + config.require("greeting")),
});
const replaced = new remote.Command("replaced", {
    connection,
    create: append("create replaced " + config.require("trigger")),
    delete: append("delete replaced"),
    triggers: [config.require("trigger")],
});
const fromStdin = new remote.Command("from-stdin", {
    connection,
    create: "tr a-z A-Z",
    stdin: config.requireSecret("token"),
});
const tag = config.require("logTag");
new remote.Command("logged", {
    connection,
    create: \`echo out-\${tag}; echo err-\${tag} >&2\`,
    logging: config.require("logging"),
});

const bundle = config.require("bundleDir");
const copies = {
    dirToNew: [new pulumi.asset.FileArchive(bundle), "${HOME}/new-target"],
    dirToExisting: [new pulumi.asset.FileArchive(bundle), "${HOME}/existing"],
    dirSlashToExisting: [new pulumi.asset.FileArchive(bundle + "/"), "${HOME}/flat"],
    fileToExisting: [new pulumi.asset.FileAsset(config.require("singleFile")), "${HOME}/existing"],
    fileToNewInNewParents: [new pulumi.asset.FileAsset(config.require("singleFile")), "${HOME}/deep/er/renamed.txt"],
    fileOverFile: [new pulumi.asset.FileAsset(config.require("singleFile")), "${HOME}/plain-file"],
    text: [new pulumi.asset.StringAsset(config.require("text")), "${HOME}/text.txt"],
};
for (const [name, [source, remotePath]] of Object.entries(copies)) {
    new remote.CopyToRemote(name, { connection, source, remotePath });
}

const failing = config.get("failing");
if (failing === "dirOntoFile") {
    new remote.CopyToRemote("dir-onto-file", { connection, source: new pulumi.asset.FileArchive(bundle), remotePath: "${HOME}/other-file" });
}
if (failing === "textOntoDir") {
    new remote.CopyToRemote("text-onto-dir", { connection, source: new pulumi.asset.StringAsset("x"), remotePath: "${HOME}/existing" });
}
if (failing === "assetArchive") {
    new remote.CopyToRemote("asset-archive", { connection, remotePath: "${HOME}/nowhere",
        source: new pulumi.asset.AssetArchive({ "a.txt": new pulumi.asset.StringAsset("a") }) });
}
if (failing === "refusedEnvironment") {
    new remote.Command("refused-environment", { connection, create: "true", environment: { NOT_ACCEPTED: "x" } });
}
module.exports = { updatedStdout: updated.stdout, shout: fromStdin.stdout, replacedId: replaced.id, createOnlyStdout: createOnly.stdout };
`;

if (!engine && process.env.CI === "true") {
    describe("the remote command provider under the real engine", () => {
        it("needs the engine: .ci/run builds it with .ci/engine/build.sh", () => {
            assert.fail("no pulumi binary on PATH or in the engine cache: .ci/engine/build.sh did not run or failed");
        });
    });
} else if (engine) {
    describeWithEngine(engine);
}
// Without an engine outside CI, local-stack.test.ts prints the one "engine not available" line for all files.

function describeWithEngine(found: Engine): void {
    describe("the remote command provider under the real engine (simulated host over SSH)", function () {
        this.timeout(5 * MINUTE);

        let contract: ContractStack;
        let lab: SimLab;
        let host: SimHost;
        let stack: Stack;
        const token = "quiet-remote-token";

        const onHost = async (command: string): Promise<string> => (await host.ssh(command)).stdout;
        const logLines = async (): Promise<string[]> =>
            (await onHost("cat ~/commands.log 2>/dev/null || true")).split("\n").map((line) => line.trim()).filter(Boolean);
        const clearLog = (): Promise<string> => onHost("rm -f ~/commands.log");
        const up = async (): Promise<{ result: Awaited<ReturnType<Stack["up"]>>; diagnostics: string[] }> => {
            const diagnostics: string[] = [];
            const onEvent = (event: EngineEvent) => {
                // Debug events echo whole resource states (the SDK's RPC traces); what a user sees is info and up.
                if (event.diagnosticEvent && String(event.diagnosticEvent.severity) !== "debug") diagnostics.push(event.diagnosticEvent.message);
            };
            const result = await stack.up({ color: "never", onEvent });
            return { result, diagnostics };
        };
        const failingUp = async (flag: string): Promise<string> => {
            await stack.setConfig("remote-contract:failing", { value: flag });
            try {
                await stack.up({ color: "never" });
            } catch (error) {
                return (error as Error).message;
            } finally {
                await stack.setConfig("remote-contract:failing", { value: "none" });
            }
            assert.fail(`up with ${flag} succeeded`);
        };

        before(async function () {
            this.timeout(20 * MINUTE);
            lab = await SimLab.create({ prefix: "provider-contract" });
            [host] = await lab.startHosts(1);
            await onHost(`mkdir -p ${HOME}/existing ${HOME}/flat ${HOME}/other-file-dir && echo old > ${HOME}/plain-file && echo file > ${HOME}/other-file`);
            contract = await createContractStack(found, "remote-contract", PROGRAM);
            stack = contract.stack;
            const { scratch } = contract;
            const bundleDir = path.join(scratch, "bundle");
            fs.mkdirSync(path.join(bundleDir, "sub"), { recursive: true });
            fs.writeFileSync(path.join(bundleDir, "a.txt"), "alpha\n");
            fs.writeFileSync(path.join(bundleDir, "sub", "b.txt"), "beta\n");
            fs.writeFileSync(path.join(scratch, "single.txt"), "single v1\n", { mode: 0o600 });
            await stack.setAllConfig({
                "remote-contract:port": { value: String(host.sshPort) },
                "remote-contract:privateKey": { value: host.privateKey, secret: true },
                "remote-contract:hostKey": { value: host.hostKey },
                "remote-contract:greeting": { value: "hello" },
                "remote-contract:trigger": { value: "one" },
                "remote-contract:token": { value: token, secret: true },
                "remote-contract:logTag": { value: "first" },
                "remote-contract:logging": { value: "stdoutAndStderr" },
                "remote-contract:bundleDir": { value: bundleDir },
                "remote-contract:singleFile": { value: path.join(scratch, "single.txt") },
                "remote-contract:text": { value: "text v1" },
                "remote-contract:failing": { value: "none" },
            });
        });

        after(async function () {
            this.timeout(5 * MINUTE);
            try {
                if (contract) await contract.dispose();
            } finally {
                if (lab) await lab.cleanup();
            }
        });

        it("runs nothing on the host during preview", async () => {
            const preview = await stack.preview({ color: "never" });
            assert.equal(preview.changeSummary.create, 13);
            assert.deepEqual(await logLines(), []);
            assert.equal(await onHost(`test -e ${HOME}/new-target && echo exists || echo absent`), "absent\n");
        });

        it("create runs each `create` once over SSH, verifying the host key, with trimmed output; logs stdout and stderr by default", async () => {
            const { result, diagnostics } = await up();
            assert.deepEqual((await logLines()).sort(), ["create hello", "create replaced one", "create-only hello"]);
            assert.equal(result.outputs.updatedStdout.value, "first-output");
            assert.ok(diagnostics.some((line) => line.includes("out-first")), `stdout not logged: ${diagnostics.join(" | ")}`);
            assert.ok(diagnostics.some((line) => line.includes("err-first")), `stderr not logged: ${diagnostics.join(" | ")}`);
        });

        it("`stdin` reaches the command; a secret stdin makes stdout secret, the secret connection alone does not", async () => {
            const outputs = await stack.outputs();
            assert.equal(outputs.shout.value, token.toUpperCase());
            assert.equal(outputs.shout.secret, true);
            assert.equal(outputs.updatedStdout.secret, false);
            const stored = run(found.pulumi, ["stack", "export", "--stack", "contract"], { cwd: contract.programDir, env: { ...process.env, ...contract.envVars } });
            const keyBody = host.privateKey.split("\n")[1];
            for (const secret of [token, token.toUpperCase(), keyBody]) {
                assert.ok(!stored.includes(secret), `the stored state holds ${secret.slice(0, 12)}... in plain text`);
            }
        });

        it("copies a directory into a remotePath that does not exist as remotePath/<dirname>/", async () => {
            assert.equal(await onHost(`cat ${HOME}/new-target/bundle/a.txt ${HOME}/new-target/bundle/sub/b.txt`), "alpha\nbeta\n");
            assert.equal(await onHost(`ls -A ${HOME}/new-target`), "bundle\n");
        });

        it("copies a directory into an existing directory as <dir>/<dirname>/, and a trailing slash copies its entries", async () => {
            assert.equal(await onHost(`cat ${HOME}/existing/bundle/a.txt`), "alpha\n");
            assert.equal(await onHost(`ls -A ${HOME}/flat | sort`), "a.txt\nsub\n");
            assert.equal(await onHost(`cat ${HOME}/flat/sub/b.txt`), "beta\n");
        });

        it("copies a file into an existing directory under its name, onto a new path (making parents) or over a file; text assets too; a copy gets the server's default mode", async () => {
            assert.equal(await onHost(`cat ${HOME}/existing/single.txt`), "single v1\n");
            assert.equal(await onHost(`cat ${HOME}/deep/er/renamed.txt`), "single v1\n");
            assert.equal(await onHost(`cat ${HOME}/plain-file`), "single v1\n");
            assert.equal(await onHost(`cat ${HOME}/text.txt`), "text v1");
            // The local file is 0600; the copy gets the server's default mode (readable by others): a secret file
            // needs its own chmod on the host.
            const modes = (await onHost(`stat -c %a ${HOME}/deep/er/renamed.txt ${HOME}/text.txt`)).trim().split("\n");
            assert.equal(modes.length, 2);
            for (const mode of modes) assert.match(mode, /^6[46]4$/);
        });

        it("refuses a directory onto an existing file, text onto a directory, and an archive that is not a path", async () => {
            assert.match(await failingUp("dirOntoFile"), /remote path .*other-file\/bundle|other-file/);
            assert.match(await failingUp("textOntoDir"), /is a directory; when using a text asset, remotePath must be a file path/);
            assert.match(await failingUp("assetArchive"), /archive must be a path to a file or directory/);
            assert.equal(await onHost(`cat ${HOME}/other-file`), "file\n");
        });

        it("an input change is an update: it runs `update` (or `create` when `update` is unset); a server without AcceptEnv only warns about the previous output", async () => {
            await clearLog();
            await stack.setConfig("remote-contract:greeting", { value: "bonjour" });
            const { result, diagnostics } = await up();
            assert.deepEqual(result.summary.resourceChanges, { same: 11, update: 2 });
            assert.deepEqual((await logLines()).sort(), ["create-only bonjour", "update bonjour after"]);
            assert.equal(result.outputs.updatedStdout.value, "second-output");
            assert.ok(diagnostics.some((line) => line.includes("Unable to set 'PULUMI_COMMAND_STDOUT'")), diagnostics.join(" | "));
        });

        it("the previous output reaches `update` as PULUMI_COMMAND_STDOUT where sshd accepts it; `environment` it refuses fails with a hint", async () => {
            await host.exec(["sh", "-c", "echo 'AcceptEnv PULUMI_COMMAND_*' > /etc/ssh/sshd_config.d/20-accept.conf && kill -HUP $(cat /run/sshd.pid)"]);
            // sshd re-executes itself on SIGHUP: give it a moment, then wait until it answers again (bounded).
            await new Promise((resolve) => setTimeout(resolve, 500));
            for (let attempt = 0; attempt < 40 && (await host.ssh("true", { allowFailure: true })).code !== 0; attempt++) {
                await new Promise((resolve) => setTimeout(resolve, 250));
            }
            await clearLog();
            await stack.setConfig("remote-contract:greeting", { value: "hola" });
            await up();
            assert.deepEqual((await logLines()).sort(), ["create-only hola", "update hola after second-output"]);
            assert.match(await failingUp("refusedEnvironment"), /could not set environment variable "NOT_ACCEPTED".*AcceptEnv/s);
        });

        it("`logging` chooses which stream reaches the engine log: stderr only, then none", async () => {
            await stack.setAllConfig({ "remote-contract:logTag": { value: "second" }, "remote-contract:logging": { value: "stderr" } });
            const second = await up();
            const leaked = second.diagnostics.filter((line) => line.includes("out-second"));
            assert.deepEqual(leaked, [], "stdout logged with logging: stderr");
            assert.ok(second.diagnostics.some((line) => line.includes("err-second")), "stderr not logged with logging: stderr");
            await stack.setAllConfig({ "remote-contract:logTag": { value: "third" }, "remote-contract:logging": { value: "none" } });
            const third = await up();
            assert.ok(!third.diagnostics.some((line) => /out-third|err-third/.test(line)), "output logged with logging: none");
        });

        it("a trigger change replaces: the new create runs first, then the old delete", async () => {
            await clearLog();
            const before = (await stack.outputs()).replacedId.value;
            await stack.setConfig("remote-contract:trigger", { value: "two" });
            const { result } = await up();
            assert.equal(result.summary.resourceChanges?.replace, 1);
            assert.deepEqual(await logLines(), ["create replaced two", "delete replaced"]);
            assert.notEqual(result.outputs.replacedId.value, before);
        });

        it("a copy runs again only when its source changed; an unchanged up changes nothing", async () => {
            fs.writeFileSync(path.join(contract.scratch, "single.txt"), "single v2\n");
            const { result } = await up();
            assert.equal(result.summary.resourceChanges?.update, 3);
            assert.equal(await onHost(`cat ${HOME}/deep/er/renamed.txt`), "single v2\n");
            await onHost(`echo tampered > ${HOME}/text.txt`);
            const again = await up();
            assert.deepEqual(again.result.summary.resourceChanges, { same: 13 });
            assert.equal(await onHost(`cat ${HOME}/text.txt`), "tampered\n", "an unchanged copy ran again");
        });

        it("destroy runs every delete with the last output; copies stay on the host", async () => {
            await clearLog();
            const result = await stack.destroy({ color: "never" });
            assert.equal(result.summary.result, "succeeded");
            assert.deepEqual((await logLines()).sort(), ["delete after second-output", "delete replaced"]);
            assert.equal(await onHost(`cat ${HOME}/new-target/bundle/a.txt`), "alpha\n");
        });
    });
}
