import { strict as assert } from "node:assert";
import { captureStack, pulumiConfig, STACK_CONFIG } from "../program/stacks";
import { runPack } from "./harness";
import { STACKS, runProjectStack, toPolicyResources } from "./stacks";

// The project's own programs, run under mocks with the program engineer's capture helper, must pass
// every policy of the pack (mandatory and advisory), as `pulumi preview --policy-pack policy` would judge them.

describe("the project's stacks pass the whole policy pack", () => {
    for (const stack of STACKS) {
        it(`${stack}: every registered resource passes every policy`, async () => {
            const captured = await captureStack(stack);
            assert.equal(captured.error, undefined, `the ${stack} program failed under mocks: ${captured.error?.message}`);
            const { config } = pulumiConfig(STACK_CONFIG[stack]);
            const resources = toPolicyResources(stack, captured.resources, config);
            assert.ok(resources.some((r) => r.type.startsWith("command:")), `${stack} registered no deploy command; the capture is incomplete`);

            const violations: string[] = [];
            for (const resource of resources) {
                for (const v of await runPack(resource)) violations.push(`${v.level} ${v.policy}: ${resource.type} ${resource.name}: ${v.message}`);
            }
            assert.deepEqual(violations, []);
        });
    }

    for (const stack of STACKS) {
        it(`${stack} (preview): every registered resource passes every policy`, async () => {
            const run = await runProjectStack(stack, true);
            assert.ok(run.resources.length > 0, `${stack} registered nothing in preview`);
            const violations: string[] = [];
            for (const resource of run.resources) {
                for (const v of await runPack(resource)) violations.push(`${v.level} ${v.policy}: ${resource.type} ${resource.name}: ${v.message}`);
            }
            assert.deepEqual(violations, []);
        });
    }

    it("prod: the pack sees the guarded resources it is meant to judge", async () => {
        const captured = await captureStack("prod");
        const resources = toPolicyResources("prod", captured.resources, pulumiConfig(STACK_CONFIG.prod).config);
        const types = new Set(resources.map((r) => r.type));
        for (const type of [
            "aws:ec2/securityGroup:SecurityGroup",
            "aws:ec2/instance:Instance",
            "aws:ebs/volume:Volume",
            "gitlab:index/projectVariable:ProjectVariable",
            "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
            "command:remote:Command",
        ]) assert.ok(types.has(type), `prod registers no ${type}`);
        // The production host and its data volume are judged as production data: protect must be on.
        const protectedOnes = resources.filter((r) => r.options?.protect).map((r) => r.type).sort();
        assert.ok(protectedOnes.includes("aws:ebs/volume:Volume") && protectedOnes.includes("aws:ec2/instance:Instance"));
        // Stack derived from the URN, the host recognised by its component in the URN.
        const host = resources.find((r) => r.type === "aws:ec2/instance:Instance" && r.urn?.includes("cicd:host:Ec2Host$"));
        assert.ok(host, "the production instance's URN carries its host component");
    });
});
