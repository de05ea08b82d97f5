// Issue 20: host command-builder behaviour no other test pinned.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { deployCommand, hostHome, renderEnvFile, rolloutCommand, secretFilesInBundle, settingsFingerprint } from "../../../components/host";

describe("host: secret files in the bundle, wherever they sit (issue 20)", () => {
    let dir: string;
    beforeEach(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "host-bundle-"))));
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const write = (relative: string) => {
        fs.mkdirSync(path.dirname(path.join(dir, relative)), { recursive: true });
        fs.writeFileSync(path.join(dir, relative), "x");
    };

    it("finds private keys and env files at the bundle's root, not only in a subdirectory", () => {
        for (const name of ["id_rsa", "id_ecdsa", "id_ed25519", "server.pem", "tls.key", ".env", ".env.local"]) write(name);
        assert.deepEqual(secretFilesInBundle(dir).sort(), [".env", ".env.local", "id_ecdsa", "id_ed25519", "id_rsa", "server.pem", "tls.key"]);
    });
    it("finds private keys and env files in nested directories", () => {
        for (const name of ["deploy/id_rsa", "nginx/certs/site.key", "config/.env", "config/.env.production"]) write(name);
        assert.deepEqual(secretFilesInBundle(dir).sort(), ["config/.env", "config/.env.production", "deploy/id_rsa", "nginx/certs/site.key"]);
    });
    it("leaves public keys, examples and look-alike names alone", () => {
        for (const name of ["id_rsa.pub", "my_id_rsa", "keys/id_rsa_backup.txt", ".env.example", "app.env.md", "keyring.txt", "pem.txt", "docs/api.keys.md", "docs/certs.pem.md"]) write(name);
        assert.deepEqual(secretFilesInBundle(dir), []);
    });
});

describe("host: what reaches the shell and Compose's env file (issue 20)", () => {
    const target = { bundleDir: "/srv/app/bundle", environment: "staging" as const, envFile: "/srv/app/.env", composeProject: "app", stateDir: "/srv/app/state" };

    it("takes only a lower-case hex settings fingerprint, which it places in the command unquoted", () => {
        assert.match(rolloutCommand(target, "img:1", "0123456789abcdef"), /printf '%s' 0123456789abcdef > /);
        for (const settings of ["", "abc; touch /tmp/pwned", "$(id)", "ABCDEF", "abc def", "abc\n"]) {
            assert.throws(() => rolloutCommand(target, "img:1", settings), /settings fingerprint must be hex/, JSON.stringify(settings));
        }
    });

    it("refuses a value Compose would cut at \" #\" (space or tab before #), and keeps a # inside a word", () => {
        assert.throws(() => renderEnvFile({ A: "secret #tail" }), /must not .* contain " #"/);
        assert.throws(() => renderEnvFile({ A: "secret\t#tail" }), /must not .* contain " #"/);
        assert.equal(renderEnvFile({ A: "pa#ss", B: "#first" }), "A=pa#ss\nB=#first\n");
    });

    it("refuses a value that starts or ends with either kind of quote", () => {
        for (const value of ["'single", "single'", '"double', 'double"']) {
            assert.throws(() => renderEnvFile({ A: value }), /must not start or end with quotes/, value);
        }
        assert.equal(renderEnvFile({ A: "it's fine" }), "A=it's fine\n");
    });
});

describe("host: deploy folder, host label and TLS settings (issue 20)", () => {
    it("puts the deploy folder in the SSH user's home, root's included, and refuses a user name that is not plain", () => {
        assert.equal(hostHome("root"), "/root/gitlab-docker-delivery");
        assert.equal(hostHome("deploy"), "/home/deploy/gitlab-docker-delivery");
        assert.throws(() => hostHome("de ploy"), { message: 'SSH user "de ploy" must be a plain Unix user name' });
    });
    it("names the host in deploy.sh's messages when given a label", () => {
        const target = { bundleDir: "/b", environment: "production" as const, envFile: "/b/.env", composeProject: "p", hostLabel: "web-1" };
        assert.match(deployCommand(target, "img:1"), /^set -eu; DEPLOY_HOST=web-1 bash \/b\/deploy\.sh deploy /);
    });
    it("changes the settings fingerprint with each TLS value, once TLS is set", () => {
        const base = { HTTP_PORT: "80" };
        assert.notEqual(settingsFingerprint({ ...base, TLS_DOMAINS: "a.example.com" }), settingsFingerprint({ ...base, TLS_DOMAINS: "b.example.com" }));
        assert.notEqual(settingsFingerprint({ ...base, ACME_EMAIL: "a@example.com" }), settingsFingerprint(base));
    });
});
