import { strict as assert } from "assert";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { ComposeDeployment, ComposeDeploymentArgs, DeploymentHost, webUrl } from "../../../components/host";
import { MockRecorder, installMocks, valueOf } from "../../support/mocks";

const BUNDLE = path.resolve(__dirname, "../../../app/deploy");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nFAKEHOSTKEYBODY\n-----END OPENSSH PRIVATE KEY-----\n";
const DIGEST = `sha256:${"cd".repeat(32)}`;

function sshHost(address: string, port: number): DeploymentHost {
    return {
        name: `${address.replace(/\./g, "-")}-${port}`,
        label: `deploy@${address}:${port}`,
        user: "deploy",
        connection: { host: address, port, user: "deploy", privateKey: pulumi.secret(KEY), hostKey: "ssh-ed25519 AAAAHOSTKEY" },
    };
}

function args(overrides: Partial<ComposeDeploymentArgs> = {}): ComposeDeploymentArgs {
    return {
        environment: "staging",
        hosts: [sshHost("192.0.2.10", 22), sshHost("192.0.2.11", 2222)],
        imageRef: `r.example/app@${DIGEST}`,
        imageDigest: DIGEST,
        bundleDir: BUNDLE,
        env: pulumi.secret({ POSTGRES_PASSWORD: "FAKEPGPASSWORD1234" }),
        registry: { address: "r.example", username: "deploy", password: pulumi.secret("FAKEPULLTOKEN") },
        ...overrides,
    };
}

async function build(a: ComposeDeploymentArgs): Promise<{ recorder: MockRecorder; deployment: ComposeDeployment }> {
    const recorder = await installMocks({ stack: "test" });
    const deployment = new ComposeDeployment("app", a);
    await recorder.settle();
    return { recorder, deployment };
}

describe("host: ComposeDeployment", () => {
    it("several hosts: every host prepares (gate) in parallel, and each switches only after every prepare", async () => {
        const { recorder } = await build(args());
        const prepares = ["app-192-0-2-10-22-prepare", "app-192-0-2-11-2222-prepare"].map((name) => recorder.find("command:remote:Command", name));
        for (const prepare of prepares) {
            assert.match(prepare.inputs.create, new RegExp(`deploy\\.sh prepare --image r\\.example/app@${DIGEST} --env staging`));
            assert.equal(prepare.inputs.update, prepare.inputs.create);
            assert.ok(!prepare.dependencies.some((d) => d.endsWith("-prepare")), "prepares do not wait for each other");
        }
        for (const name of ["app-192-0-2-10-22-switch", "app-192-0-2-11-2222-switch"]) {
            const swap = recorder.find("command:remote:Command", name);
            assert.match(swap.inputs.create, new RegExp(`deploy\\.sh switch --image r\\.example/app@${DIGEST} --env staging`));
            for (const prepare of prepares) assert.ok(swap.dependencies.some((d) => d.endsWith(`::${prepare.name}`)), `${name} waits for ${prepare.name}`);
            assert.match(swap.inputs.delete, /deploy\.sh down --env staging/, "destroy stops the stack (volumes kept)");
            assert.doesNotMatch(swap.inputs.delete, /--volumes/);
        }
        assert.equal(recorder.findAll("command:remote:Command").filter((c) => /-deploy$/.test(c.name)).length, 0, "no single-phase deploy with several hosts");
    });

    it("names the host in every ERROR line and verifies each host's key", async () => {
        const { recorder } = await build(args());
        const prepare = recorder.find("command:remote:Command", "app-192-0-2-11-2222-prepare");
        assert.match(prepare.inputs.create, /DEPLOY_HOST=deploy@192\.0\.2\.11:2222 bash /);
        assert.equal(prepare.inputs.connection.hostKey, "ssh-ed25519 AAAAHOSTKEY");
        assert.equal(prepare.inputs.connection.port, 2222);
    });

    it("owns the HTTP port: the env file gets HTTP_PORT from httpPort, and a second owner in env is refused", async () => {
        const { recorder } = await build(args({ httpPort: 8081, hosts: [sshHost("192.0.2.10", 22)] }));
        const env = recorder.find("command:remote:Command", "app-env");
        assert.match(env.inputs.stdin, /^HTTP_PORT=8081$/m);
        assert.match(env.inputs.stdin, /^HTTP_BIND=0\.0\.0\.0$/m);
        assert.equal(webUrl("192.0.2.10", 8081), "http://192.0.2.10:8081");
        assert.equal(webUrl("192.0.2.10", 80), "http://192.0.2.10");
        assert.throws(() => new ComposeDeployment("bad", args({ httpPort: 0 })), /\[httpPort\] must be a port number/);
    });

    it("owns the HTTPS settings too: with tls the env file names the port, the names and the ACME account; without tls no HTTPS port", async () => {
        const tls = { domains: ["app.example.com"], email: "ops@example.com", directoryUrl: "https://acme.example.com/dir" };
        const { recorder } = await build(args({ tls, httpsPort: 8443, hosts: [sshHost("192.0.2.10", 22)] }));
        const env = recorder.find("command:remote:Command", "app-env");
        assert.match(env.inputs.stdin, /^HTTPS_PORT=8443$/m);
        assert.match(env.inputs.stdin, /^TLS_DOMAINS=app\.example\.com$/m);
        assert.match(env.inputs.stdin, /^ACME_DIRECTORY_URL=https:\/\/acme\.example\.com\/dir$/m);
        assert.throws(() => new ComposeDeployment("bad", args({ httpsPort: 443 })), /\[httpsPort\] is set without tls: nothing would listen there/);
        assert.throws(() => new ComposeDeployment("bad", args({ tls, httpsPort: 80, httpPort: 80 })), /\[httpsPort\] is the same port as httpPort/);
    });

    it("writes the secrets 0600 from stdin with logging off, never in a command line or in plain inputs", async () => {
        const { recorder } = await build(args());
        for (const name of ["app-192-0-2-10-22-env", "app-192-0-2-10-22-registry-credentials"]) {
            const write = recorder.find("command:remote:Command", name);
            assert.equal(write.inputs.logging, "none");
            assert.match(write.inputs.create, /umask 077; .* chmod 600 /);
            assert.ok(write.additionalSecretOutputs.includes("stdin"));
        }
        for (const r of recorder.resources) {
            const plain = JSON.stringify(r.plainInputs);
            for (const secret of ["FAKEHOSTKEYBODY", "FAKEPGPASSWORD1234", "FAKEPULLTOKEN"]) assert.ok(!plain.includes(secret), `${r.name} leaks ${secret}`);
            for (const field of ["create", "update", "delete"]) {
                for (const secret of ["FAKEPGPASSWORD1234", "FAKEPULLTOKEN"]) assert.ok(!String(r.inputs[field] ?? "").includes(secret), `${r.name}.${field} carries ${secret}`);
            }
        }
    });

    it("#13 deploy.sh defaults: the rollback command it exposes needs no option the program passed", async () => {
        const { recorder, deployment } = await build(args({ hosts: [sshHost("192.0.2.10", 22)] }));
        const deploy = recorder.find("command:remote:Command", "app-deploy");
        const copy = recorder.find("command:remote:CopyToRemote", "app-bundle");
        assert.equal(copy.inputs.remotePath.startsWith("/home/deploy/gitlab-docker-delivery/bundles/"), true);
        // What the program passes is what deploy.sh assumes ($HOME/gitlab-docker-delivery, project gitlab-docker-delivery-<env>).
        assert.match(deploy.inputs.create, / DEPLOY_STATE_DIR=\/home\/deploy\/gitlab-docker-delivery\/state bash /);
        assert.match(deploy.inputs.create, / --env-file \/home\/deploy\/gitlab-docker-delivery\/staging\.env --project gitlab-docker-delivery-staging/);
        const rollback = await valueOf(deployment.rollbackCommands);
        assert.deepEqual(rollback, { "deploy@192.0.2.10:22": `bash ${copy.inputs.remotePath}/deploy/deploy.sh rollback --env staging` });
    });

    it("refuses no hosts, duplicate names and secret files in the bundle, and registers nothing", async () => {
        const recorder = await installMocks({ stack: "test" });
        assert.throws(() => new ComposeDeployment("none", args({ hosts: [] })), /\[hosts\] lists no host/);
        assert.throws(() => new ComposeDeployment("twice", args({ hosts: [sshHost("192.0.2.10", 22), sshHost("192.0.2.10", 22)] })), /is used twice/);
        await recorder.settle();
        assert.equal(recorder.resources.length, 0);
    });
});
