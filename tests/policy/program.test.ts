import { strict as assert } from "node:assert";
import { captureStack, pulumiConfig, STACK_CONFIG } from "../program/stacks";
import { StackResource, UNKNOWN_VALUE } from "../../policy/rules";
import { toStackResources } from "./capture";
import { runPack, runStackPack } from "./harness";
import { AWS } from "./sdkTypes";
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

    for (const stack of STACKS) {
        for (const preview of [false, true]) {
            it(`${stack}${preview ? " (preview)" : ""}: the stack as a whole passes every stack policy`, async () => {
                const run = await runProjectStack(stack, preview);
                const violations = (await runStackPack(toStackResources(run))).map((v) => `${v.level} ${v.policy}: ${v.message}`);
                assert.deepEqual(violations, []);
            });
        }
    }
});

describe("merge-request-runner-untrusted on the prod program (issue 18)", () => {
    const hostGroup = (stack: StackResource[]) => stack.find((r) => r.type === AWS.securityGroup && r.urn?.includes("cicd:host:Ec2Host$"));
    const mrGroup = (stack: StackResource[]) => stack.find((r) => r.type === AWS.securityGroup && r.name === "runner-mr-sg");

    /** The prod stack with its host's SSH rule pointed at the merge-request runner's group instead of the deploy runner's. */
    function trustingMergeRequests(stack: StackResource[], idsKnown: boolean): StackResource[] {
        const host = hostGroup(stack)!;
        const mr = mrGroup(stack)!;
        return stack.map((r) => {
            const props = idsKnown ? r.props : { ...r.props, id: UNKNOWN_VALUE };
            if (r !== host) return { ...r, props };
            const ingress = idsKnown
                ? (r.props.ingress as Array<Record<string, unknown>>).map((rule) => rule.securityGroups ? { ...rule, securityGroups: [mr.props.id] } : rule)
                : UNKNOWN_VALUE;
            return { ...r, props: { ...props, ingress }, propertyDependencies: { ...r.propertyDependencies, ingress: [mr.urn!] } };
        });
    }

    it("prod registers a merge-request runner, and its host trusts the deploy runner's group only", async () => {
        const stack = toStackResources(await runProjectStack("prod"));
        const host = hostGroup(stack);
        const mr = mrGroup(stack);
        assert.ok(host && mr, "prod registers the production host's and the merge-request runner's security groups");
        const deploy = stack.find((r) => r.type === AWS.securityGroup && r.name === "runner-deploy-sg")!;
        const sources = (host.props.ingress as Array<Record<string, unknown>>).flatMap((rule) => (rule.securityGroups as string[] | undefined) ?? []);
        assert.deepEqual(sources, [deploy.props.id]);
        assert.deepEqual(host.propertyDependencies?.ingress, [deploy.urn]);
    });

    for (const idsKnown of [true, false]) {
        it(`stops prod if its host admitted SSH from the merge-request runner's group (${idsKnown ? "up" : "preview: ids unknown"})`, async () => {
            const stack = trustingMergeRequests(toStackResources(await runProjectStack("prod", !idsKnown)), idsKnown);
            const violations = await runStackPack(stack);
            assert.equal(violations.length, 1, JSON.stringify(violations));
            assert.equal(violations[0].policy, "merge-request-runner-untrusted");
            assert.equal(violations[0].level, "mandatory");
            assert.match(violations[0].message, /"production-sg": .* of the merge-request runner "runner-mr"/);
        });
    }
});

describe("backup-bucket-hardened on the prod stack (issue 17)", () => {
    for (const preview of [false, true]) {
        it(`judges prod's own backup bucket and stops it without its versioning${preview ? " (preview: ids unknown)" : ""}`, async () => {
            const stack = toStackResources(await runProjectStack("prod", preview));
            assert.ok(stack.some((r) => r.type === AWS.s3Bucket && r.urn?.includes("cicd:backup:BackupBucket$")), "prod registers its backup bucket");
            assert.deepEqual(await runStackPack(stack), [], "the bucket as the program registers it passes");
            const violations = await runStackPack(stack.filter((r) => r.type !== AWS.s3BucketVersioning));
            assert.deepEqual(violations.map((v) => [v.policy, v.level]), [["backup-bucket-hardened", "mandatory"]]);
            assert.match(violations[0].message, /backup bucket aws:s3\/bucket:Bucket "production-backup-bucket": versioning is not enabled/);
        });
    }
});
