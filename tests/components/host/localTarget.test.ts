import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { GENERATE_PASSWORD_COMMAND, LocalTarget } from "../../../components/host";
import { installMocks, valueOf } from "../../support/mocks";

const BUNDLE = path.resolve(__dirname, "../../../app/deploy");

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
});
