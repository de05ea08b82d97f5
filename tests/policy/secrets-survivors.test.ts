import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import * as rules from "../../policy/rules";
import { PolicyResource, SECRET_SIG, SIG_KEY } from "../../policy/rules";
import { AWS } from "./sdkTypes";
import { resource, verdict } from "./verdict";

// no-secret-literals (issue 20): where the rule looks for a credential and what it takes for a reference to one.
// rules.test.ts holds the main cases. Fixtures on the providers' tokens.

const POLICY = "no-secret-literals";
const check = rules.checkNoSecretLiterals;
const COMMAND = "command:remote:Command";
const command = (props: Record<string, unknown>, extra: Partial<PolicyResource> = {}) => resource(COMMAND, { create: "deploy", ...props }, extra);

describe("no-secret-literals: references and literals (issue 20)", () => {
    it("takes a value for a reference only when it starts as one", async () => {
        await verdict(POLICY, check, command({ environment: { DB_PASSWORD: "hunter2$x" } }), /environment\.DB_PASSWORD is a literal value/);
        await verdict(POLICY, check, command({ environment: { DB_PASSWORD: "{{ db_password }}", API_TOKEN: "%TOKEN%", SSH_KEY: "<paste here>" } }));
    });
    it("lets values shorter than four characters pass as placeholders, and judges four", async () => {
        await verdict(POLICY, check, command({ environment: { API_TOKEN: "abc" } }));
        await verdict(POLICY, check, command({ environment: { API_TOKEN: "abcd" } }), /environment\.API_TOKEN is a literal value/);
    });
    it("names every kind of credential one value holds", async () => {
        await verdict(POLICY, check, command({ create: "login glpat-abcdefghijklmnopqrstu AKIAABCDEFGHIJKLMNOP" }), /^create holds what looks like a GitLab token and a AWS access key id;/);
    });
    it("names the list item that holds a credential", async () => {
        await verdict(POLICY, check, resource(AWS.instance, { userData: "#!/bin/sh", securityGroups: ["sg-1", "AKIAABCDEFGHIJKLMNOP"] }), /^securityGroups\[1\] holds what looks like a AWS access key id/);
    });
    it("looks into an object under a secret-looking key instead of judging the object", async () => {
        await verdict(POLICY, check, command({ environment: { token: { fromEnv: "$CI_JOB_TOKEN" } } }));
        await verdict(POLICY, check, command({ environment: { token: { value: "glrt-abcdefghijklmnopqrstu" } } }), /^environment\.token\.value holds what looks like a GitLab token/);
    });
    it("reads a flag named like a credential as a flag, not a credential", async () => {
        await verdict(POLICY, check, resource(AWS.cognitoUserPoolClient, { name: "app", userPoolId: "eu-west-1_abc", generateSecret: true }));
    });
    it("reads inputs that are null, unset, numbers or booleans as holding nothing", async () => {
        await verdict(POLICY, check, command({ environment: { LOG_LEVEL: null, DEBUG: undefined, RETRIES: 3, VERBOSE: true }, triggers: [null, 1] }));
    });
    it("under mocks, leaves a pulumi.secret() value alone wherever it sits (the engine encrypts it)", () => {
        const secret = { [SIG_KEY]: SECRET_SIG, value: "glrt-abcdefghijklmnopqrstu" };
        assert.deepEqual(check(command({ environment: { RUNNER: secret }, stdin: secret })), []);
    });
});

describe("no-secret-literals: the GitLab provider's own secret inputs", () => {
    it("lets every input the GitLab provider v10 schema keeps secret carry a credential (tests/fixtures: the provider's facts)", async () => {
        const facts = JSON.parse(fs.readFileSync(path.resolve(__dirname, "../fixtures/gitlab-provider-v10-facts.json"), "utf8")) as {
            resources: Record<string, { secretInputs: string[] }>;
        };
        const schemaSecret = Object.entries(facts.resources).filter(([, resource]) => resource.secretInputs.length > 0);
        assert.ok(schemaSecret.length > 0);
        for (const [token, { secretInputs }] of schemaSecret) {
            assert.deepEqual([...(rules.SCHEMA_SECRET_INPUTS[token] ?? [])].sort(), [...secretInputs].sort(), token);
            for (const input of secretInputs) await verdict(POLICY, check, resource(token, { [input]: "glpat-abcdefghijklmnopqrst" }));
        }
    });
});
