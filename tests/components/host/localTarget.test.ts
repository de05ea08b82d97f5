import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GENERATE_PASSWORD_COMMAND, LocalTarget, LocalTargetArgs } from "../../../components/host";
import { backupDbImage } from "../../../components/backup/hostFiles";
import { installMocks, valueOf } from "../../support/mocks";

const BUNDLE = path.resolve(__dirname, "../../../app/deploy");
const GENERATED = "a".repeat(48);

/** A LocalTarget under mocks whose generated secrets are GENERATED; `args` over a minimal valid set. */
async function build(args: Partial<LocalTargetArgs> = {}) {
    const recorder = await installMocks({ stack: "local", state: { "command:local:Command": (inputs) => ({ stdout: inputs.create?.includes("urandom") ? GENERATED : "" }) } });
    const target = new LocalTarget("here", { bundleDir: BUNDLE, stateDir: "/tmp/state", image: { ref: "example/app:src-1234", id: "sha256:1" }, ...args });
    await recorder.settle();
    const command = (suffix: string) => recorder.find("command:local:Command", `here-${suffix}`);
    const names = () => recorder.findAll("command:local:Command").map((c) => c.name).sort();
    return { recorder, target, command, names };
}

describe("host: LocalTarget", () => {
    it("generates a 48-hex-character password with POSIX tools, different each time", () => {
        const one = execFileSync("sh", ["-c", GENERATE_PASSWORD_COMMAND]).toString();
        const two = execFileSync("sh", ["-c", GENERATE_PASSWORD_COMMAND]).toString();
        assert.match(one, /^[0-9a-f]{48}$/);
        assert.notEqual(one, two);
    });

    it("with httpsPort: HTTPS for localhost from a CA made on this machine, its certificate exported next to the env file", async () => {
        const recorder = await installMocks({ stack: "local", state: { "command:local:Command": (inputs) => ({ stdout: inputs.create?.includes("urandom") ? "a".repeat(48) : "" }) } });
        const target = new LocalTarget("here", {
            bundleDir: BUNDLE,
            stateDir: "/tmp/state",
            image: { ref: "example/app:src-1234", id: "sha256:1" },
            httpPort: 18080,
            httpsPort: 18443,
            composeImages: { acme: "cicd-standin/acme:trixie" },
        });
        await recorder.settle();
        const env = recorder.find("command:local:Command", "here-env");
        for (const line of ["HTTP_PORT=18080", "HTTPS_PORT=18443", "TLS_DOMAINS=localhost", "TLS_ISSUER=local-ca", "ACME_IMAGE=cicd-standin/acme:trixie"]) {
            assert.match(env.inputs.stdin, new RegExp(`^${line}$`, "m"));
        }
        assert.doesNotMatch(env.inputs.stdin, /ACME_DIRECTORY_URL|ACME_EMAIL/, "no ACME CA is asked");
        const ca = recorder.find("command:local:Command", "here-ca");
        assert.match(ca.inputs.create, /docker exec .*com\.docker\.compose\.service=acme.* cat \/tls\/ca\.pem > '?\/tmp\/state\/local-ca\.pem'?$/);
        assert.ok(ca.dependencies.some((d) => d.endsWith("here-deploy")), "after the deploy");
        assert.equal(await valueOf(target.url), "https://localhost:18443");
        assert.equal(await valueOf(target.caFile!), "/tmp/state/local-ca.pem");
    });

    it("runs the same deploy program locally, on 127.0.0.1, with a secret env file and a disposable volume", async () => {
        const recorder = await installMocks({ stack: "local", state: { "command:local:Command": (inputs) => ({ stdout: inputs.create?.includes("urandom") ? "a".repeat(48) : "" }) } });
        const target = new LocalTarget("here", {
            bundleDir: BUNDLE,
            stateDir: "/tmp/state dir",
            image: { ref: "example/app:src-1234", id: "sha256:1" },
            httpPort: 18080,
            composeImages: { nginx: "cicd-standin/nginx:trixie" },
        });
        await recorder.settle();
        const password = recorder.find("command:local:Command", "here-db-password");
        assert.deepEqual(password.additionalSecretOutputs.slice().sort(), ["stderr", "stdout"]);
        const env = recorder.find("command:local:Command", "here-env");
        assert.equal(env.inputs.logging, "none");
        assert.ok(env.secretInputs.includes("stdin"));
        assert.match(env.inputs.stdin, new RegExp(`^POSTGRES_PASSWORD=${"a".repeat(48)}$`, "m"));
        // Issue 18: the app's own database role and the API write token, generated the same way, never in plain text.
        assert.match(env.inputs.stdin, new RegExp(`^POSTGRES_APP_PASSWORD=${"a".repeat(48)}$`, "m"));
        assert.match(env.inputs.stdin, new RegExp(`^API_WRITE_TOKEN=${"a".repeat(48)}$`, "m"));
        for (const secret of ["here-db-app-password", "here-api-write-token"]) {
            assert.deepEqual(recorder.find("command:local:Command", secret).additionalSecretOutputs.slice().sort(), ["stderr", "stdout"]);
        }
        assert.match(env.inputs.stdin, /^HTTP_BIND=127\.0\.0\.1$/m);
        assert.match(env.inputs.stdin, /^HTTP_PORT=18080$/m);
        assert.match(env.inputs.stdin, /^NGINX_IMAGE=cicd-standin\/nginx:trixie$/m);
        assert.doesNotMatch(env.inputs.stdin, /POSTGRES_IMAGE/);
        assert.match(env.inputs.delete, /rm -f '\/tmp\/state dir\/local\.env'; rm -rf '\/tmp\/state dir\/deploy'/);
        const deploy = recorder.find("command:local:Command", "here-deploy");
        assert.match(deploy.inputs.create, /deploy\.sh deploy --image example\/app:src-1234 --env local .*--env-file '\/tmp\/state dir\/local\.env' --project gitlab-docker-delivery-local; /);
        assert.match(deploy.inputs.create, /printf '%s' [0-9a-f]{16} > '\/tmp\/state dir\/deploy\/settings'$/, "records the settings it rolled out");
        assert.match(deploy.inputs.delete, /down --volumes/);
        assert.match(deploy.inputs.create, /DEPLOY_STATE_DIR='\/tmp\/state dir\/deploy' bash /, "lock and releases live in the state folder, not in the repository");
        assert.equal(deploy.inputs.update, deploy.inputs.create, "a new image is an in-place update, never a replace whose delete would run `down` after the deploy");
        assert.equal(deploy.deleteBeforeReplace, true);
        assert.ok(deploy.dependencies.some((d) => d.endsWith("here-env")));
        assert.equal(deploy.inputs.triggers, undefined, "no triggers: with command 1.2 a changed trigger replaces, and the replacement would run `down --volumes`");
        assert.match(deploy.inputs.create, /^set -eu; : revision bundle=[0-9a-f]{16} image=sha256:1 settings=[0-9a-f]{16}; /);
        assert.equal(await valueOf(target.url), "http://127.0.0.1:18080");
        assert.doesNotMatch(JSON.stringify(deploy.plainInputs), /a{48}/, "the password is not in the deploy command");
    });

    it("refuses a bundle that contains an env file, before registering anything", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
        try {
            fs.writeFileSync(path.join(dir, ".env"), "POSTGRES_PASSWORD=x");
            const recorder = await installMocks({ stack: "local" });
            assert.throws(
                () => new LocalTarget("here", { bundleDir: dir, stateDir: dir, image: { ref: "a:b", id: "c" }, dbPassword: pulumi.secret("x".repeat(20)) }),
                /contains secret files \(\.env\)/,
            );
            await recorder.settle();
            assert.equal(recorder.resources.length, 0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("defaults: port 8080 on 127.0.0.1, the project deploy.sh assumes for local, and a destroy that drops the database volume", async () => {
        const { target, command } = await build();
        const env = command("env");
        assert.match(env.inputs.stdin, /^HTTP_PORT=8080$/m);
        assert.match(env.inputs.stdin, /^HTTP_BIND=127\.0\.0\.1$/m);
        assert.equal(await valueOf(target.url), "http://127.0.0.1:8080");
        assert.equal(target.composeProject, "gitlab-docker-delivery-local");
        assert.match(command("deploy").inputs.create, / --project gitlab-docker-delivery-local; /);
        assert.match(command("deploy").inputs.delete, /\bdown\b.*--volumes/);
        assert.equal(target.envFile, "/tmp/state/local.env");
        assert.equal(target.caFile, undefined, "no CA without httpsPort");
        assert.equal(await valueOf(target.deployedImage), "example/app:src-1234");
    });

    it("takes a project name of its own and keeps the database volume on destroy when asked", async () => {
        const { target, command } = await build({ composeProject: "mine", removeVolumesOnDelete: false });
        assert.equal(target.composeProject, "mine");
        const deploy = command("deploy");
        assert.match(deploy.inputs.create, / --project mine; /);
        assert.match(deploy.inputs.delete, /\bdown\b.* --project mine$/);
        assert.doesNotMatch(deploy.inputs.delete, /--volumes/);
    });

    it("uses a given database password (kept secret) and generates none for it", async () => {
        const { command, names } = await build({ dbPassword: pulumi.secret("given-password-123") });
        assert.ok(!names().includes("here-db-password"), names().join(", "));
        const env = command("env");
        assert.match(env.inputs.stdin, /^POSTGRES_PASSWORD=given-password-123$/m);
        assert.doesNotMatch(JSON.stringify(env.plainInputs), /given-password-123/, "not in plain text");
        assert.deepEqual(env.additionalSecretOutputs.slice().sort(), ["stderr", "stdin", "stdout"]);
    });

    it("generates every secret once, with logging off and its output secret", async () => {
        const { command, names } = await build();
        assert.deepEqual(names(), ["here-api-write-token", "here-db-app-password", "here-db-password", "here-deploy", "here-env"], "no backup, no CA: nothing else");
        for (const secret of ["db-password", "db-app-password", "api-write-token"]) {
            const generate = command(secret);
            assert.equal(generate.inputs.create, GENERATE_PASSWORD_COMMAND);
            assert.equal(generate.inputs.logging, "none", secret);
            assert.equal(generate.inputs.update, undefined, "made on creation only");
        }
    });

    it("pins the base images it is given; the ACME image only with HTTPS (it is the local CA)", async () => {
        const images = { postgres: "cicd-standin/postgres:trixie", nginx: "cicd-standin/nginx:trixie", acme: "cicd-standin/acme:trixie" };
        const plain = (await build({ composeImages: images })).command("env").inputs.stdin;
        assert.match(plain, /^POSTGRES_IMAGE=cicd-standin\/postgres:trixie$/m);
        assert.match(plain, /^NGINX_IMAGE=cicd-standin\/nginx:trixie$/m);
        assert.doesNotMatch(plain, /ACME_IMAGE|HTTPS_PORT|TLS_/);
    });

    it("redeploys (a new deploy command) when a setting, the image or the bundle changes, never for a secret", async () => {
        const deployCommand = async (args: Partial<LocalTargetArgs>) => (await build(args)).command("deploy").inputs.create as string;
        const base = await deployCommand({});
        assert.equal(await deployCommand({ dbPassword: "another-password-1" }), base, "the generated and given passwords are not settings");
        const settings = (command: string) => command.match(/ settings=([0-9a-f]{16});/)?.[1];
        assert.ok(settings(base));
        assert.notEqual(settings(await deployCommand({ httpPort: 18081 })), settings(base), "the port");
        assert.notEqual(settings(await deployCommand({ composeImages: { postgres: "cicd-standin/postgres:trixie" } })), settings(base), "the database image");
        assert.notEqual(settings(await deployCommand({ httpsPort: 18443 })), settings(base), "HTTPS");
        assert.equal(settings(await deployCommand({ composeImages: { acme: "cicd-standin/acme:trixie" } })), settings(base), "the ACME image without HTTPS runs nothing");
        assert.notEqual(await deployCommand({ image: { ref: "example/app:src-1234", id: "sha256:2" } }), base, "the image id");
    });

    it("backup: a repository key generated like the passwords, the backup settings in the env file, and the stanza made after the deploy", async () => {
        const { command, names } = await build({ backup: true, composeImages: { postgres: "cicd-standin/postgres:trixie" } });
        assert.ok(names().includes("here-backup-cipher-pass"));
        assert.equal(command("backup-cipher-pass").inputs.logging, "none");
        assert.deepEqual(command("backup-cipher-pass").additionalSecretOutputs.slice().sort(), ["stderr", "stdout"]);
        const env = command("env").inputs.stdin;
        assert.match(env, /^BACKUP_ENABLED=true$/m);
        assert.match(env, new RegExp(`^BACKUP_CIPHER_PASS=${GENERATED}$`, "m"));
        assert.match(env, new RegExp(`^BACKUP_DB_IMAGE=${backupDbImage("cicd-standin/postgres:trixie")}$`, "m"));
        const init = command("backup-init");
        assert.match(init.inputs.create, /^set -eu; DEPLOY_STATE_DIR='?\/tmp\/state\/deploy'? bash .*\/backup\.sh'? init /);
        assert.ok(init.dependencies.some((d) => d.endsWith("here-deploy")), "after the deploy");

        const without = await build();
        assert.doesNotMatch(without.command("env").inputs.stdin, /BACKUP_/);
        assert.ok(!without.names().some((name) => name.startsWith("here-backup")));
    });

    it("with httpsPort: the exported CA certificate is re-read after each deploy and removed on destroy", async () => {
        const { command } = await build({ httpsPort: 18443, composeProject: "mine" });
        const ca = command("ca");
        assert.match(ca.inputs.create, /--filter label=com\.docker\.compose\.project=mine /);
        assert.equal(ca.inputs.delete, "rm -f /tmp/state/local-ca.pem");
        assert.equal(ca.inputs.triggers.length, 1);
        assert.match(command("env").inputs.stdin, /^HTTP_PORT=8080$/m, "HTTP stays on, to redirect");
    });

    it("parents every command it makes, with backup and HTTPS too, to the component", async () => {
        const { recorder, names } = await build({ backup: true, httpsPort: 18443 });
        assert.ok(names().includes("here-backup-init") && names().includes("here-ca"));
        const component = recorder.find("cicd:host:LocalTarget", "here");
        for (const command of recorder.findAll("command:local:Command")) assert.equal(recorder.parentOf(command), component, command.name);
    });

    it("names the bundle and every secret file it holds when it refuses it", async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "bundle-"));
        try {
            fs.writeFileSync(path.join(dir, ".env"), "POSTGRES_PASSWORD=x");
            fs.writeFileSync(path.join(dir, "tls.key"), "x");
            await installMocks({ stack: "local" });
            assert.throws(
                () => new LocalTarget("here", { bundleDir: dir, stateDir: dir, image: { ref: "a:b", id: "c" } }),
                (error: Error) => error.message.startsWith("[bundleDir] ") && error.message.includes(dir) && error.message.includes(".env") && error.message.includes("tls.key"),
            );
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });
});
