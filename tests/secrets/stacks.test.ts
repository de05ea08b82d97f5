import { strict as assert } from "node:assert";
import * as path from "path";
import { PROJECT, StackRun, resolveOutput, runStack } from "../policy/capture";
import { FAKE_SECRETS, LOCAL_GITLAB_CONFIG, STACKS, runProjectStack, secretNeedles } from "../policy/stacks";
import { StackName } from "../program/stacks";
import { captureConsole, leakingOutputs, occurrences } from "./hygiene";

// Known fake secrets go into each stack's config (and into what the mocked providers generate); then
// every resource input, the user data, the stack outputs and the console are searched for them.

const needles = secretNeedles();

/** The secrets each stack is given or generates, which must reach its resources (wrapped) at least once. */
const EXPECTED_SECRETS: Readonly<Record<StackName, ReadonlyArray<keyof typeof FAKE_SECRETS>>> = {
    local: ["dbPassword"],
    staging: ["gitlabToken", "registryPassword", "sshPrivateKey", "generatedPassword", "deployTokenPassword"],
    prod: ["gitlabToken", "registryPassword", "sshPrivateKey", "generatedPassword", "deployTokenPassword", "runnerToken"],
};

/** The variants checked: each stack, and the local stack with its optional sandbox GitLab project. */
const VARIANTS: ReadonlyArray<{ label: string; stack: StackName; extra: Readonly<Record<string, string>>; expected: ReadonlyArray<keyof typeof FAKE_SECRETS> }> = [
    ...STACKS.map((stack) => ({ label: stack, stack, extra: {}, expected: EXPECTED_SECRETS[stack] })),
    { label: "local with a GitLab token", stack: "local", extra: LOCAL_GITLAB_CONFIG, expected: ["dbPassword", "gitlabToken"] },
];

const COMMAND_TYPES = ["command:local:Command", "command:remote:Command"];

describe("secret hygiene of every stack", () => {
    for (const { label, stack, extra, expected } of VARIANTS) {
        describe(label, () => {
            let run: StackRun;
            let consoleText = "";
            before(async () => {
                const captured = await captureConsole(() => runProjectStack(stack, false, extra));
                run = captured.result;
                consoleText = captured.text;
            });

            it("hands every injected secret to its resources only inside secret values", () => {
                const plain: string[] = [];
                const wrapped = new Set<string>();
                for (const resource of run.resources) {
                    for (const o of occurrences(resource.props, needles)) {
                        if (o.wrapped) wrapped.add(o.secret);
                        else plain.push(`${resource.type} ${resource.name}: ${o.path} holds ${o.secret} in plain text`);
                    }
                }
                assert.deepEqual(plain, []);
                // Positive control: the search does see the secrets, where they are supposed to be.
                for (const name of expected) assert.ok(wrapped.has(name), `${name} never reached a resource of ${label}`);
            });

            it("never puts a secret into instance user data, not even a wrapped one", () => {
                for (const resource of run.resources.filter((r) => r.type === "aws:ec2/instance:Instance")) {
                    const userData = { userData: resource.props.userData, userDataBase64: resource.props.userDataBase64 };
                    assert.deepEqual(occurrences(userData, needles), [], `${resource.name}'s user data holds a secret`);
                }
            });

            it("marks every stack output that carries a secret as secret", async () => {
                assert.deepEqual(await leakingOutputs(run.exports, needles), []);
            });

            it("runs commands that receive secrets without logging and with secret stdout/stderr", () => {
                const receiving = run.resources.filter((r) =>
                    COMMAND_TYPES.includes(r.type) &&
                    occurrences({ stdin: r.props.stdin, create: r.props.create, update: r.props.update, environment: r.props.environment }, needles).length > 0);
                for (const command of receiving) {
                    assert.equal(command.props.logging, "none", `${command.name} receives a secret but logs its output`);
                    for (const output of ["stdout", "stderr"]) {
                        assert.ok(command.options?.additionalSecretOutputs?.includes(output), `${command.name} must keep ${output} secret`);
                    }
                }
            });

            it("prints no secret to the console while the program runs", () => {
                assert.deepEqual(occurrences(consoleText, needles), []);
            });

            it("keeps every secret wrapped during preview too", async () => {
                const previewed = await runProjectStack(stack, true, extra);
                const plain = previewed.resources.flatMap((resource) =>
                    occurrences(resource.props, needles).filter((o) => !o.wrapped).map((o) => `${resource.type} ${resource.name}: ${o.path} holds ${o.secret}`));
                assert.deepEqual(plain, []);
                assert.ok(previewed.resources.length > 0, "preview registered nothing");
            });
        });
    }

    it("prod exports the deploy token only as a secret output (the search sees secret outputs)", async () => {
        const run = await runProjectStack("prod");
        assert.ok("deployTokenPassword" in run.exports, "prod no longer exports deployTokenPassword; update this control");
        const token = await resolveOutput(run.exports.deployTokenPassword);
        assert.equal(token.secret, true);
        assert.equal(occurrences(token.value, needles).length > 0, true);
    });
});

describe("secret hygiene checks (negative control)", () => {
    it("flag a secret in a plain input and an unsecret stack output", async () => {
        const token = "glpat-FAKEgitlabTOKEN0123456789";
        const run = await runStack({
            stack: "prod",
            config: { [`${PROJECT}:gitlabToken`]: token },
            secretKeys: [`${PROJECT}:gitlabToken`],
            program: path.join(__dirname, "..", "policy", "fixtures", "unsafe-program.ts"),
        });
        const search = [{ name: "gitlabToken", needle: token }];
        assert.deepEqual(await leakingOutputs(run.exports, search), ["leakedToken exposes gitlabToken without being secret"]);
        assert.deepEqual(occurrences({ tags: { Owner: token } }, search), [{ path: "tags.Owner", secret: "gitlabToken", wrapped: false }]);
    });
});
