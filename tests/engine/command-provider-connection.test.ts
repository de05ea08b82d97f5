import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { Stack } from "@pulumi/pulumi/automation";
import { SimHost, SimLab } from "../support/simHosts";
import { ContractStack, createContractStack } from "./contractStack";
import { Engine, findEngine } from "./harness";

// The `connection` of the command provider's remote resources, as the engine drives them against simulated hosts:
// host keys, dial retries (`dialErrorLimit`), the per-attempt timeout (`perDialTimeout`), a password (by the
// `password` and the `keyboard-interactive` methods), the defaults `user` root and `port` 22, an encrypted key, an
// SSH agent, a bastion (`proxy`). Semantics read from pulumi/pulumi-command's provider/pkg/provider/remote/connection.go
// (1.x): each attempt is golang.org/x/crypto/ssh's Dial with ClientConfig.Timeout = perDialTimeout seconds (default
// 15, 0 = none), which bounds the TCP connect only; attempts are retried until more than dialErrorLimit failed
// (default 10, -1 = no limit), with the SDK's retry.Until delays (100 ms, growing 1.5x, at most 5 s); a password is
// offered as `password` and answers every `keyboard-interactive` question. The Node.js SDK fills the defaults in
// before sending (connectionArgsProvideDefaults), so the provider's own defaults are checked with a raw
// `command:remote:Command` resource that sends none.

const MINUTE = 60 * 1000;
const engine = findEngine();
/** A port nothing listens on; the firewall of one simulated host drops the SYNs sent to it. */
const BLACKHOLE_PORT = 2200;
/** Dials the flaky forwarder hangs up before it lets one through: more than the default limit allows (10 + 1). */
const REFUSED_DIALS = 12;
/** Password logins are allowed on the first host for these two accounts only (an sshd drop-in of this test). */
const KEYBOARD_INTERACTIVE_USER = "contract-kbd";

// One resource per case, chosen by the `case` config value; each case is one `up`.
const PROGRAM = `
const pulumi = require("@pulumi/pulumi");
const { remote } = require("@pulumi/command");
const config = new pulumi.Config();
const target = { host: "127.0.0.1", port: config.requireNumber("port"), user: "deploy", hostKey: config.require("hostKey") };
const connection = { ...target, privateKey: config.requireSecret("privateKey") };
const append = (text) => \`echo "\${text}" >> ~/connection.log\`;
// Who logged in, and on which server port (SSH_CONNECTION is "client-ip client-port server-ip server-port").
const whoAndPort = (text) => \`echo "\${text}: $(id -un) port $(echo $SSH_CONNECTION | cut -d' ' -f4)" >> ~/connection.log\`;
const byPassword = { host: config.require("hostIp"), hostKey: config.require("hostKey"), password: config.requireSecret("password") };
// No SDK in between: the provider gets only what is written here, and must fill in the defaults itself.
const raw = (name, connection, create) =>
    new pulumi.CustomResource("command:remote:Command", name, { connection: pulumi.secret(connection), create, stdout: undefined, stderr: undefined }, { version: "1.2.1" });
const cases = {
    none: () => undefined,
    wrongHostKey: () => ({ connection: { ...connection, hostKey: config.require("otherHostKey"), dialErrorLimit: 1 }, create: append("never") }),
    deadPort: () => ({ connection: { ...connection, port: config.requireNumber("localPort"), dialErrorLimit: 2 }, create: "true" }),
    silentServer: () => ({ connection: { ...connection, port: config.requireNumber("localPort"), dialErrorLimit: 0, perDialTimeout: 1 }, create: "true" }),
    droppedSyn: () => ({ connection: { ...connection, host: config.require("blackholeHost"), port: ${BLACKHOLE_PORT}, dialErrorLimit: 1, perDialTimeout: 2 }, create: "true" }),
    encryptedKey: () => ({ connection: { ...target, privateKey: config.requireSecret("encryptedKey"), privateKeyPassword: config.requireSecret("keyPassword") }, create: append("encrypted key") }),
    agent: () => ({ connection: { ...target, agentSocketPath: config.require("agentSocket") }, create: append("agent") }),
    passwordDefaults: () => ({ connection: byPassword, create: whoAndPort("password") }),
    wrongPassword: () => ({ connection: { ...byPassword, password: "not-the-password", dialErrorLimit: 0 }, create: append("never") }),
    keyboardInteractive: () => ({ connection: { ...byPassword, user: "${KEYBOARD_INTERACTIVE_USER}" }, create: whoAndPort("keyboard-interactive") }),
    rawDefaults: () => raw("rawDefaults", byPassword, whoAndPort("raw")),
    rawDefaultLimit: () => raw("rawDefaultLimit", { ...connection, port: config.requireNumber("flakyPort") }, append("never")),
    unlimitedDials: () => ({ connection: { ...connection, port: config.requireNumber("flakyPort"), dialErrorLimit: -1 }, create: "echo connected > ~/unlimited-dials.log" }),
    bastion: () => ({
        // The target is reachable only from the bastion's network: through the first host, by its name there.
        connection: { host: config.require("bastionTarget"), user: "deploy", privateKey: config.requireSecret("privateKey"), hostKey: config.require("otherHostKey"), proxy: connection },
        create: append("via bastion"),
    }),
};
const chosen = config.require("case");
const args = cases[chosen]();
if (args && !(args instanceof pulumi.CustomResource)) new remote.Command(chosen, args);
`;

if (!engine && process.env.CI === "true") {
    describe("the remote connection under the real engine", () => {
        it("needs the engine: .ci/run builds it with .ci/engine/build.sh", () => {
            assert.fail("no pulumi binary on PATH or in the engine cache: .ci/engine/build.sh did not run or failed");
        });
    });
} else if (engine) {
    describeWithEngine(engine);
}

/**
 * A TCP server on 127.0.0.1 that counts connections and speaks no SSH: it closes each one at once, or holds it
 * silently for `holdMs()` and then closes it, noting whether the client left first.
 */
function silentServer(holdMs: () => number): { server: net.Server; connections: { clientLeftFirst: boolean }[] } {
    const connections: { clientLeftFirst: boolean }[] = [];
    const server = net.createServer((socket) => {
        const record = { clientLeftFirst: false };
        connections.push(record);
        socket.on("error", () => undefined);
        if (holdMs() === 0) {
            socket.destroy();
            return;
        }
        const timer = setTimeout(() => socket.destroy(), holdMs());
        socket.on("end", () => {
            record.clientLeftFirst = true;
            clearTimeout(timer);
            socket.destroy();
        });
    });
    return { server, connections };
}

/**
 * A TCP server on 127.0.0.1 that hangs up the first `refuse` connections (a host whose sshd is not up yet) and
 * forwards every later one to `targetPort`, counting them all.
 */
function flakyForwarder(refuse: number, targetPort: number): { server: net.Server; dials: () => number; reset: () => void } {
    let dials = 0;
    const server = net.createServer((socket) => {
        dials += 1;
        socket.on("error", () => undefined);
        if (dials <= refuse) {
            socket.destroy();
            return;
        }
        const upstream = net.connect(targetPort, "127.0.0.1");
        upstream.on("error", () => socket.destroy());
        socket.pipe(upstream).pipe(socket);
    });
    return { server, dials: () => dials, reset: () => (dials = 0) };
}

/**
 * Lets `root` (by `password`) and a new account (by `keyboard-interactive` only) log in with a password on this
 * host, by a drop-in that matches those two users: the image's default (keys only, no root) stays as it is for
 * every other login, and for every other host. sshd reads its configuration when it starts, so it is restarted
 * (SIGHUP makes it re-execute itself) and the test waits for it to answer again.
 */
async function allowPasswordLogins(host: SimHost, password: string): Promise<void> {
    await host.exec(["useradd", "--create-home", "--shell", "/bin/bash", KEYBOARD_INTERACTIVE_USER]);
    await host.exec(["chpasswd"], { input: `root:${password}\n${KEYBOARD_INTERACTIVE_USER}:${password}\n` });
    const dropIn = [
        "# connection contract test only: password logins for two accounts",
        "Match User root",
        "    PermitRootLogin yes",
        "    PasswordAuthentication yes",
        `Match User ${KEYBOARD_INTERACTIVE_USER}`,
        "    KbdInteractiveAuthentication yes",
        "",
    ].join("\n");
    await host.exec(["sh", "-c", "cat > /etc/ssh/sshd_config.d/90-connection-contract.conf && sshd -t"], { input: dropIn });
    await host.exec(["sh", "-c", "kill -HUP \"$(cat /run/sshd.pid)\""]);
    for (let attempt = 0; ; attempt++) {
        if ((await host.ssh("true", { allowFailure: true })).code === 0) return;
        if (attempt >= 50) throw new Error(`sshd on ${host.name} did not answer again after its restart`);
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
}

function describeWithEngine(found: Engine): void {
    describe("the remote connection under the real engine (simulated hosts over SSH)", function () {
        this.timeout(5 * MINUTE);
        let lab: SimLab;
        let host: SimHost;
        let other: SimHost;
        let contract: ContractStack;
        let stack: Stack;
        let local: ReturnType<typeof silentServer>;
        let flaky: ReturnType<typeof flakyForwarder>;
        let holdMs = 0;
        let agentPid = 0;

        const onHost = async (command: string): Promise<string> => (await host.ssh(command)).stdout;
        const upWith = async (name: string): Promise<{ error?: string; stdout: string }> => {
            await stack.setConfig("connection-contract:case", { value: name });
            try {
                const result = await stack.up({ color: "never" });
                return { stdout: result.stdout };
            } catch (error) {
                return { error: (error as Error).message, stdout: "" };
            } finally {
                // The next case's `up` deletes this one's resource (no `delete` command: nothing runs on a host).
                await stack.setConfig("connection-contract:case", { value: "none" });
            }
        };
        const failingUp = async (name: string): Promise<string> => {
            const { error } = await upWith(name);
            assert.ok(error !== undefined, `up with ${name} succeeded`);
            return error;
        };

        before(async function () {
            this.timeout(20 * MINUTE);
            lab = await SimLab.create({ prefix: "provider-connection" });
            [host, other] = await lab.startHosts(2);
            local = silentServer(() => holdMs);
            await new Promise<void>((resolve) => local.server.listen(0, "127.0.0.1", resolve));
            flaky = flakyForwarder(REFUSED_DIALS, host.sshPort);
            await new Promise<void>((resolve) => flaky.server.listen(0, "127.0.0.1", resolve));
            const password = crypto.randomBytes(18).toString("base64url");
            await allowPasswordLogins(host, password);
            contract = await createContractStack(found, "connection-contract", PROGRAM);
            stack = contract.stack;

            // The lab's key, encrypted with a passphrase (ssh-keygen -p rewrites the copy in place).
            const encrypted = path.join(contract.scratch, "encrypted_key");
            fs.copyFileSync(lab.key.privateKeyFile, encrypted);
            fs.chmodSync(encrypted, 0o600);
            const keyPassword = "connection-contract-passphrase";
            const rewrite = spawnSync("ssh-keygen", ["-q", "-p", "-N", keyPassword, "-P", "", "-f", encrypted], { encoding: "utf8" });
            assert.equal(rewrite.status, 0, `ssh-keygen -p: ${rewrite.stderr}`);
            // An agent of this test only, holding the lab's key.
            const agentSocket = path.join(contract.scratch, "agent.sock");
            const agent = spawnSync("ssh-agent", ["-a", agentSocket, "-s"], { encoding: "utf8" });
            agentPid = Number(/SSH_AGENT_PID=(\d+)/.exec(agent.stdout)?.[1] ?? 0);
            assert.ok(agentPid > 0, `ssh-agent did not start: ${agent.stderr}`);
            const added = spawnSync("ssh-add", [lab.key.privateKeyFile], { env: { ...process.env, SSH_AUTH_SOCK: agentSocket }, encoding: "utf8" });
            assert.equal(added.status, 0, `ssh-add: ${added.stderr}`);

            await other.exec(["iptables", "-I", "INPUT", "-p", "tcp", "--dport", String(BLACKHOLE_PORT), "--syn", "-j", "DROP"]);
            await stack.setAllConfig({
                "connection-contract:case": { value: "none" },
                "connection-contract:port": { value: String(host.sshPort) },
                "connection-contract:hostKey": { value: host.hostKey },
                "connection-contract:otherHostKey": { value: other.hostKey },
                "connection-contract:privateKey": { value: lab.key.privateKey, secret: true },
                "connection-contract:encryptedKey": { value: fs.readFileSync(encrypted, "utf8"), secret: true },
                "connection-contract:keyPassword": { value: keyPassword, secret: true },
                "connection-contract:agentSocket": { value: agentSocket },
                "connection-contract:localPort": { value: String((local.server.address() as net.AddressInfo).port) },
                "connection-contract:blackholeHost": { value: other.ip },
                "connection-contract:bastionTarget": { value: other.address },
                "connection-contract:hostIp": { value: host.ip },
                "connection-contract:password": { value: password, secret: true },
                "connection-contract:flakyPort": { value: String((flaky.server.address() as net.AddressInfo).port) },
            });
        });

        after(async function () {
            this.timeout(5 * MINUTE);
            try {
                if (contract) await contract.dispose();
            } finally {
                if (agentPid > 0) process.kill(agentPid);
                local?.server.close();
                flaky?.server.close();
                if (lab) await lab.cleanup();
            }
        });

        it("a host key other than the server's is refused, and nothing runs", async () => {
            assert.match(await failingUp("wrongHostKey"), /host key mismatch/);
            assert.equal(await onHost("cat ~/connection.log 2>/dev/null || true"), "");
        });

        it("dialErrorLimit: N failed dials are retried, the next one fails the command and says so", async () => {
            holdMs = 0;
            local.connections.length = 0;
            const message = await failingUp("deadPort");
            assert.equal(local.connections.length, 3);
            assert.match(message, /after 2 failed attempts/);
        });

        it("perDialTimeout bounds each TCP connect: dropped SYNs fail each attempt with a timeout, dialErrorLimit + 1 attempts", async () => {
            await other.exec(["iptables", "-Z", "INPUT"]);
            const message = await failingUp("droppedSyn");
            assert.match(message, new RegExp(`after 1 failed attempts: dial tcp ${other.ip.replace(/\./g, "\\.")}:${BLACKHOLE_PORT}: i/o timeout`));
            // Linux resends an unanswered SYN after 1 s, then 3 s, 7 s...: 2 s per attempt send 2 SYNs each (the
            // default 15 s would send 4 each; no limit, 7 each until the kernel gives up after about 2 minutes).
            const rules = (await other.exec(["iptables", "-nvxL", "INPUT"])).stdout;
            const dropped = Number(new RegExp(`^\\s*(\\d+)\\s+\\d+\\s+DROP.*dpt:${BLACKHOLE_PORT}`, "m").exec(rules)?.[1]);
            assert.ok(dropped >= 2 && dropped <= 5, `expected 2 attempts of about 2 s (4 SYNs), the firewall dropped ${dropped}:\n${rules}`);
        });

        it("perDialTimeout does not bound the SSH handshake: a server that accepts and stays silent holds the dial until it closes", async () => {
            holdMs = 4000;
            local.connections.length = 0;
            const message = await failingUp("silentServer");
            assert.match(message, /after 0 failed attempts: ssh: handshake failed: EOF/);
            assert.equal(local.connections.length, 1, "dialErrorLimit 0 dials once");
            assert.equal(local.connections[0].clientLeftFirst, false, "the provider gave up before the server closed: perDialTimeout cut the handshake");
        });

        it("privateKeyPassword decrypts an encrypted privateKey; agentSocketPath signs with an SSH agent's key", async () => {
            assert.equal((await upWith("encryptedKey")).error, undefined);
            assert.equal((await upWith("agent")).error, undefined);
            assert.equal(await onHost("cat ~/connection.log"), "encrypted key\nagent\n");
        });

        it("`proxy` reaches a host through a bastion, verifying both host keys", async () => {
            assert.equal((await upWith("bastion")).error, undefined);
            assert.equal((await other.ssh("cat ~/connection.log")).stdout, "via bastion\n");
        });

        it("password: with no key, the password logs in; user and port default to root and 22", async () => {
            // The first host's address on the lab network: only its sshd's own port 22 answers there.
            assert.equal((await upWith("passwordDefaults")).error, undefined);
            assert.equal((await host.exec(["cat", "/root/connection.log"])).stdout, "password: root port 22\n");
        });

        it("a wrong password is refused, and nothing runs", async () => {
            assert.match(await failingUp("wrongPassword"), /after 0 failed attempts: ssh: handshake failed: ssh: unable to authenticate/);
            assert.equal((await host.exec(["cat", "/root/connection.log"])).stdout, "password: root port 22\n");
        });

        it("password answers keyboard-interactive questions where sshd allows only that method", async () => {
            assert.equal((await upWith("keyboardInteractive")).error, undefined);
            const log = await host.exec(["cat", `/home/${KEYBOARD_INTERACTIVE_USER}/connection.log`]);
            assert.equal(log.stdout, `keyboard-interactive: ${KEYBOARD_INTERACTIVE_USER} port 22\n`);
        });

        it("the provider itself defaults user to root and port to 22 (a resource sent without the SDK's defaults)", async () => {
            assert.equal((await upWith("rawDefaults")).error, undefined);
            assert.equal((await host.exec(["cat", "/root/connection.log"])).stdout, "password: root port 22\nraw: root port 22\n");
        });

        it("dialErrorLimit defaults to 10 in the provider itself: 11 dials, then the command fails", async () => {
            flaky.reset();
            const message = await failingUp("rawDefaultLimit");
            assert.match(message, /after 10 failed attempts/);
            assert.equal(flaky.dials(), 11);
        });

        it("dialErrorLimit -1 keeps dialling past the default limit until the host answers, then runs the command", async () => {
            // The forwarder refuses 12 dials (the default allows 11) and lets the 13th through: bounded, about 21 s of
            // back-off (100 ms growing 1.5x, at most 5 s between dials).
            flaky.reset();
            assert.equal((await upWith("unlimitedDials")).error, undefined);
            assert.equal(flaky.dials(), REFUSED_DIALS + 1);
            assert.equal((await host.ssh("cat ~/unlimited-dials.log")).stdout, "connected\n");
        });
    });
}
