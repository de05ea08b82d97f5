// Per-environment CI/CD variables under mocks: the secrets a staging or prod stack owns.
/* eslint-disable @typescript-eslint/no-require-imports -- modules load after the mocks are installed */
import * as assert from "node:assert/strict";
import { installMocks, isSecretOutput, MockRecorder, RecordedResource } from "../../support/mocks";

const VARIABLE = "gitlab:index/projectVariable:ProjectVariable";
const PASSWORD = "random:index/randomPassword:RandomPassword";
const FAKE_PASSWORD = "Zq8-Lm2_Tx7.Wp4~Rk9nBv3cHy6d";
const FAKE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ==\nnot a real key body\n-----END OPENSSH PRIVATE KEY-----\n";

describe("cicd:gitlab:EnvironmentVariables", () => {
    let mocks: MockRecorder;
    let components: typeof import("../../../components/gitlab");
    let staging: import("../../../components/gitlab").EnvironmentVariables;

    before(async () => {
        mocks = await installMocks({ stack: "staging", state: { [PASSWORD]: { result: FAKE_PASSWORD } } });
        components = require("../../../components/gitlab") as typeof import("../../../components/gitlab");
        staging = new components.EnvironmentVariables("staging-vars", { project: "1234", environment: "staging", sshPrivateKey: FAKE_KEY });
        await mocks.settle();
    });

    const variable = (key: string): RecordedResource => {
        const found = mocks.findAll(VARIABLE).find((v) => v.inputs.key === key);
        assert.ok(found, `no variable ${key}`);
        return found;
    };

    it("creates only the environment's own variables and password: nothing project-level", () => {
        const types = [...new Set(mocks.resources.map((r) => r.type))].sort();
        assert.deepEqual(types, ["cicd:gitlab:EnvironmentVariables", PASSWORD, VARIABLE].sort());
        assert.deepEqual(staging.keys, ["POSTGRES_PASSWORD", "DEPLOY_SSH_KEY"]);
    });

    it("masks and protects every secret variable, scopes it to its environment, keeps its value secret and never expands it", () => {
        for (const v of mocks.findAll(VARIABLE)) {
            // raw: a `$` in a generated password reaches the job as it is, never read as a variable reference.
            assert.equal(v.inputs.raw, true, v.inputs.key);
            assert.equal(v.inputs.masked, true, v.inputs.key);
            assert.equal(v.inputs.protected, true, v.inputs.key);
            assert.equal(v.inputs.environmentScope, "staging", v.inputs.key);
            assert.ok(v.secretInputs.includes("value"), `${v.inputs.key} value must be sent as a secret`);
            assert.ok(v.additionalSecretOutputs.includes("value"), `${v.inputs.key} value must stay secret in state`);
            assert.equal(v.version, "10.1.1");
        }
    });

    it("provisions the generated PostgreSQL password, and exports it only as a secret", async () => {
        assert.equal(variable("POSTGRES_PASSWORD").inputs.value, FAKE_PASSWORD);
        assert.equal(await isSecretOutput(staging.postgresPassword), true);
        const password = mocks.findAll(PASSWORD)[0].inputs;
        assert.equal(password.length, 32, "the default length");
        assert.equal(password.special, true, "specials from overrideSpecial widen the alphabet");
        assert.equal(password.overrideSpecial, "-_.~");
        // Whatever the generator picks, GitLab must be able to mask it.
        assert.equal(components.maskingProblem(`Aa1${password.overrideSpecial}xyzw`), undefined);
    });

    it("provisions the SSH key as a file-type variable, base64 on one line so that GitLab can mask it", () => {
        const key = variable("DEPLOY_SSH_KEY").inputs;
        assert.equal(key.variableType, "file");
        assert.doesNotMatch(key.value, /BEGIN OPENSSH/);
        assert.equal(Buffer.from(key.value, "base64").toString("utf8"), FAKE_KEY);
        assert.equal(components.maskingProblem(key.value), undefined);
    });

    it("matches the catalogue exactly (the docs and the pipeline test read it)", () => {
        for (const v of mocks.findAll(VARIABLE)) {
            const spec = components.PROVISIONED_VARIABLES.find((s) => s.key === v.inputs.key);
            assert.ok(spec, `${v.inputs.key} is missing from PROVISIONED_VARIABLES`);
            assert.equal(spec.scope, "environment");
            assert.equal(v.inputs.variableType, spec.variableType);
            assert.equal(v.inputs.masked, spec.masked);
            assert.equal(v.inputs.protected, spec.protected);
        }
    });

    it("omits DEPLOY_SSH_KEY when no key is given, and scopes production's own variables", async () => {
        new components.EnvironmentVariables("prod-vars", { project: "1234", environment: "production" });
        await mocks.settle();
        const prod = mocks.findAll(VARIABLE).filter((v) => v.name.startsWith("prod-vars"));
        assert.deepEqual(prod.map((v) => [v.inputs.key, v.inputs.environmentScope]), [["POSTGRES_PASSWORD", "production"]]);
    });

    it("refuses an unknown environment or a short password, naming the key, and registers nothing", async () => {
        assert.throws(
            () => new components.EnvironmentVariables("bad-vars", { project: "1", environment: "prod", postgresPasswordLength: 8 }),
            (err: Error) => {
                assert.match(err.message, /\[environment\] "prod" is not an environment of this project; allowed: staging, production/);
                assert.match(err.message, /\[postgresPasswordLength\] must be an integer from 16 to 128 \(got 8\)/);
                return true;
            },
        );
        await mocks.settle();
        assert.deepEqual(mocks.resources.filter((r) => r.name.startsWith("bad-vars")), []);
    });
});

describe("CI variable catalogue (components/gitlab/variables.ts)", () => {
    let variables: typeof import("../../../components/gitlab/variables");
    before(async () => {
        variables = require("../../../components/gitlab/variables") as typeof import("../../../components/gitlab/variables");
    });

    it("masks and protects every secret", () => {
        for (const spec of variables.PROVISIONED_VARIABLES.filter((s) => s.secret)) {
            assert.equal(spec.masked, true, spec.key);
            assert.equal(spec.protected, true, spec.key);
        }
    });

    it("lists unique names, exported as PROVISIONED_VARIABLE_NAMES", () => {
        assert.equal(new Set(variables.PROVISIONED_VARIABLE_NAMES).size, variables.PROVISIONED_VARIABLES.length);
        assert.deepEqual(variables.PROVISIONED_VARIABLE_NAMES, ["AWS_DEPLOY_ROLE_ARN", "AWS_PREVIEW_ROLE_ARN", "POSTGRES_PASSWORD", "DEPLOY_SSH_KEY"]);
    });

    it("knows which values GitLab can mask", () => {
        assert.equal(variables.maskingProblem("abcdefgh"), undefined);
        assert.match(variables.maskingProblem("short")!, /at least 8/);
        assert.match(variables.maskingProblem("has a space in it")!, /cannot mask/);
        assert.match(variables.maskingProblem("line-one\nline-two")!, /cannot mask/);
    });

    it("accepts PEM and OpenSSH private keys and nothing else, without echoing the value", () => {
        assert.equal(variables.sshPrivateKeyProblem(FAKE_KEY), undefined);
        assert.equal(variables.sshPrivateKeyProblem("-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----"), undefined);
        const problem = variables.sshPrivateKeyProblem("ssh-ed25519 AAAAC3Nza secret-comment");
        assert.match(problem!, /must be a PEM or OpenSSH private key/);
        assert.doesNotMatch(problem!, /secret-comment/);
    });
});

describe("docs/gitlab.md", () => {
    it("documents every variable the components provision, with its scope, masking and protection", () => {
        const fs = require("node:fs") as typeof import("node:fs");
        const path = require("node:path") as typeof import("node:path");
        const { PROVISIONED_VARIABLES } = require("../../../components/gitlab/variables") as typeof import("../../../components/gitlab/variables");
        const doc = fs.readFileSync(path.resolve(__dirname, "../../../docs/gitlab.md"), "utf8");
        for (const spec of PROVISIONED_VARIABLES) {
            const row = doc.split("\n").find((line) => line.startsWith(`| \`${spec.key}\` |`));
            assert.ok(row, `docs/gitlab.md has no table row for ${spec.key}`);
            const cells = row.split("|").map((c) => c.trim());
            assert.equal(cells[2], spec.scope === "project" ? "`*`" : "`staging` / `production`", `${spec.key} scope`);
            assert.equal(cells[3], spec.variableType, `${spec.key} type`);
            assert.equal(cells[4].startsWith(spec.masked ? "yes" : "no"), true, `${spec.key} masked`);
            assert.equal(cells[5].startsWith(spec.protected ? "yes" : "no"), true, `${spec.key} protected`);
        }
    });
});

describe("environmentVariablesArgsProblems: the generated password's length (issue 20)", () => {
    let problems: typeof import("../../../components/gitlab/environmentVariables").environmentVariablesArgsProblems;

    before(async () => {
        await installMocks();
        ({ environmentVariablesArgsProblems: problems } = require("../../../components/gitlab/environmentVariables") as typeof import("../../../components/gitlab/environmentVariables"));
    });

    it("takes a whole number from 16 to 128", () => {
        for (const length of [16, 32, 128]) assert.deepEqual(problems({ project: "1", environment: "staging", postgresPasswordLength: length }), [], String(length));
    });
    it("refuses one below 16, above 128 or with a fraction, saying what it got", () => {
        for (const length of [15, 129, 16.5]) {
            assert.deepEqual(problems({ project: "1", environment: "staging", postgresPasswordLength: length }), [
                `[postgresPasswordLength] must be an integer from 16 to 128 (got ${length})`,
            ], String(length));
        }
    });
});
