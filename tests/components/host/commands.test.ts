import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { deployCommand, downCommand, renderEnvFile, rolloutCommand, secretFilesInBundle, settingsFingerprint, shellQuote, writePrivateFileCommand } from "../../../components/host";

describe("host: command builders", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "host-commands-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it("quotes for sh so that odd paths stay one argument", () => {
        const odd = "/tmp/a dir/it's";
        const echoed = execFileSync("sh", ["-c", `printf '%s' ${shellQuote(odd)}`]).toString();
        assert.equal(echoed, odd);
        assert.equal(shellQuote("registry.example/app@sha256:abc"), "registry.example/app@sha256:abc");
    });

    it("calls deploy.sh with the documented CLI and hands it the credentials file to read as data (never sourced)", () => {
        const target = { bundleDir: "/b", environment: "staging" as const, envFile: "/s/staging.env", composeProject: "p", credentialsFile: "/s/registry.env", stateDir: "/s/state" };
        assert.equal(
            deployCommand(target, "r/app@sha256:1"),
            "set -eu; REGISTRY_CREDENTIALS_FILE=/s/registry.env DEPLOY_STATE_DIR=/s/state bash /b/deploy.sh deploy --image r/app@sha256:1 --env staging --dir /b --env-file /s/staging.env --project p",
        );
        assert.match(downCommand(target, true), /deploy\.sh down --volumes --env staging/);
        assert.match(deployCommand(target, "r/app@sha256:1", { image: "sha256:1", bundle: "abc" }), /^set -eu; : revision bundle=abc image=sha256:1; REGISTRY_CREDENTIALS_FILE=/);
        assert.throws(() => deployCommand(target, "r", { image: "$(rm -rf /)" }), /must be a plain token/);
        assert.doesNotMatch(downCommand({ ...target, credentialsFile: undefined }, false), /--volumes|registry\.env/);
    });

    it("recreates db and proxy (down without --volumes) only when the recorded settings changed", () => {
        const bundle = path.join(dir, "bundle");
        fs.mkdirSync(bundle);
        // A stand-in deploy.sh that records how it was called.
        fs.writeFileSync(path.join(bundle, "deploy.sh"), `echo "$1 $*" >> ${shellQuote(path.join(dir, "calls"))}\n`);
        const target = { bundleDir: bundle, environment: "local" as const, envFile: "/e", composeProject: "p", stateDir: path.join(dir, "state") };
        const calls = () => fs.readFileSync(path.join(dir, "calls"), "utf8").trim().split("\n").map((l) => l.split(" ")[0]);
        const one = settingsFingerprint({ HTTP_PORT: "8080", POSTGRES_PASSWORD: "a" });
        assert.equal(settingsFingerprint({ HTTP_PORT: "8080", POSTGRES_PASSWORD: "b" }), one, "the password is not part of the fingerprint");
        const two = settingsFingerprint({ HTTP_PORT: "9090" });
        execFileSync("sh", ["-c", rolloutCommand(target, "img:1", one)]);
        assert.deepEqual(calls(), ["deploy"], "first rollout: nothing to recreate");
        execFileSync("sh", ["-c", rolloutCommand(target, "img:2", one)]);
        assert.deepEqual(calls(), ["deploy", "deploy"], "same settings: just the rollout");
        execFileSync("sh", ["-c", rolloutCommand(target, "img:2", two)]);
        assert.deepEqual(calls(), ["deploy", "deploy", "down", "deploy"], "new settings: down (volumes kept), then the rollout");
        assert.doesNotMatch(fs.readFileSync(path.join(dir, "calls"), "utf8"), /--volumes/);
        assert.equal(fs.readFileSync(path.join(dir, "state", "settings"), "utf8"), two);
    });

    it("writes a private file 0600 from stdin, replacing an existing one atomically", () => {
        const file = path.join(dir, "nested", "app.env");
        execFileSync("sh", ["-c", writePrivateFileCommand(file)], { input: "POSTGRES_PASSWORD=one\n" });
        assert.equal(fs.readFileSync(file, "utf8"), "POSTGRES_PASSWORD=one\n");
        assert.equal(fs.statSync(file).mode & 0o777, 0o600);
        assert.equal(fs.statSync(path.dirname(file)).mode & 0o077, 0, "the folder is private too");
        execFileSync("sh", ["-c", writePrivateFileCommand(file)], { input: "POSTGRES_PASSWORD=two\n" });
        assert.equal(fs.readFileSync(file, "utf8"), "POSTGRES_PASSWORD=two\n");
        assert.equal(fs.existsSync(`${file}.tmp`), false);
    });

    it("renders env files Compose reads literally and refuses values it would misread", () => {
        assert.equal(renderEnvFile({ B: "2", A: "x=y", C: undefined }), "A=x=y\nB=2\n");
        assert.throws(() => renderEnvFile({ A: "two\nlines" }), /value of A must be a single line/);
        assert.throws(() => renderEnvFile({ lower: "x" }), /UPPER_SNAKE_CASE/);
        assert.throws(() => renderEnvFile({ A: '"quoted"' }), /quotes/);
    });

    it("finds secret files a developer left in the bundle", () => {
        fs.writeFileSync(path.join(dir, "compose.yaml"), "");
        fs.writeFileSync(path.join(dir, ".env.example"), "");
        assert.deepEqual(secretFilesInBundle(dir), []);
        fs.writeFileSync(path.join(dir, ".env"), "POSTGRES_PASSWORD=x");
        fs.mkdirSync(path.join(dir, "keys"));
        fs.writeFileSync(path.join(dir, "keys", "id_ed25519"), "k");
        assert.deepEqual(secretFilesInBundle(dir).sort(), [".env", "keys/id_ed25519"]);
    });

    it("the committed bundle holds no secret files", () => {
        assert.deepEqual(secretFilesInBundle(path.resolve(__dirname, "../../../app/deploy")), []);
    });
});
