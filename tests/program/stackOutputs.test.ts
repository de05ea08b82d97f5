import { strict as assert } from "assert";
import { PROJECT_STACK_OUTPUTS, STAGING_STACK_OUTPUTS } from "../../components/program/stackOutputs";
import { CaptureOptions, FAKE_SECRETS, ORGANIZATION, STACK_OUTPUTS, StackName, captureStack, resolveOutputs } from "./stacks";

// The cross-stack contract (components/program/stackOutputs.ts): what one stack exports is exactly what the other
// reads. Each reader runs against the other stack's real outputs, cut down to the contract's names, so a name the
// reader needs but the contract lacks (or the exporter drops) fails here.

const P = "gitlab-docker-delivery";
const stackPath = (stack: string) => `${ORGANIZATION}/${P}/${stack}`;

/** What GitLab computes for the deploy token (the mocks echo inputs only). */
const DEPLOY_TOKEN_STATE = { "gitlab:index/projectDeployToken:ProjectDeployToken": { username: "gitlab+deploy-token-7", token: FAKE_SECRETS.deployTokenPassword } };

/** The exporting stack's outputs restricted to `names`, after checking each is a non-empty string. */
async function exported(stack: StackName, names: readonly string[], config?: Record<string, string | undefined>): Promise<Record<string, string>> {
    const { values } = await resolveOutputs(await captureStack(stack, { config, state: DEPLOY_TOKEN_STATE }));
    const contract: Record<string, string> = {};
    for (const name of names) {
        assert.equal(typeof values[name], "string", `${stack} does not export ${name} as a string (got ${JSON.stringify(values[name])})`);
        assert.notEqual(values[name], "", `${stack} exports ${name} empty`);
        contract[name] = values[name] as string;
    }
    return contract;
}

async function assertRunsOn(stack: StackName, referenced: string, outputs: Record<string, string>, options: CaptureOptions = {}): Promise<void> {
    const captured = await captureStack(stack, { ...options, stackOutputs: { ...STACK_OUTPUTS, [stackPath(referenced)]: outputs } });
    assert.equal(captured.error, undefined, captured.error?.message);
    assert.deepEqual(captured.asyncErrors.map(String), []);
    await resolveOutputs(captured);
}

describe("cross-stack outputs: one contract for the exporting stack and its readers", () => {
    it("prod exports every name of the project-stack contract, also with bootstrap (staging's first up)", async () => {
        await exported("prod", PROJECT_STACK_OUTPUTS);
        await exported("prod", PROJECT_STACK_OUTPUTS, { bootstrap: "true" });
    });

    it("staging runs on prod's outputs cut down to the contract", async () => {
        await assertRunsOn("staging", "prod", await exported("prod", PROJECT_STACK_OUTPUTS));
    });

    it("staging exports every name of the staging contract, and prod runs on exactly those", async () => {
        const staging = await exported("staging", STAGING_STACK_OUTPUTS);
        // The registry holds what staging pushed: prod verifies the tag against that digest before promoting it.
        await assertRunsOn("prod", "staging", staging, { registryDigest: staging.imageRef.split("@")[1] });
    });

    it("a reader fails, naming the output, when the exporting stack lacks a required name", async () => {
        const full = await exported("prod", PROJECT_STACK_OUTPUTS);
        const { runnerSecurityGroupId: _dropped, ...withoutRunner } = full;
        const captured = await captureStack("staging", { stackOutputs: { ...STACK_OUTPUTS, [stackPath("prod")]: withoutRunner } });
        const errors = [captured.error, ...captured.asyncErrors].filter((e) => e !== undefined).map(String).join("\n");
        assert.match(errors, /runnerSecurityGroupId/);
    });
});
