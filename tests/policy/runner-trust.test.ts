import * as rules from "../../policy/rules";
import { StackResource, UNKNOWN_VALUE } from "../../policy/rules";
import { runStackPolicy, urn } from "./harness";
import { AWS, GITLAB } from "./sdkTypes";
import { assertSameVerdict } from "./verdict";

// merge-request-runner-untrusted (issue 18, "Merge-request jobs run on another runner that no host trusts"):
// fixtures shaped like the stack components/runner and components/host register, with the providers' type tokens.

const POLICY = "merge-request-runner-untrusted";
const RUNNER = "cicd:runner:Runner";
const HOST = "cicd:host:Ec2Host";

function child(component: string, componentName: string, type: string, name: string, props: Record<string, unknown>,
    propertyDependencies: Record<string, string[]> = {}): StackResource {
    return {
        type, name, props, propertyDependencies,
        urn: urn("prod", type, name, [component]),
        options: { parent: urn("prod", component, componentName) },
    };
}

const groupUrn = (component: string, name: string) => urn("prod", AWS.securityGroup, name, [component]);

/** A runner as components/runner registers it: the GitLab runner, its security group, its host wearing that group. */
function runner(name: string, accessLevel: string | undefined, groupId: string, address: string): StackResource[] {
    const sg = child(RUNNER, name, AWS.securityGroup, `${name}-sg`, { id: groupId, ingress: [], tags: { Name: `${name}-runner` } });
    return [
        child(RUNNER, name, GITLAB.userRunner, `${name}-runner`, { runnerType: "project_type", ...(accessLevel ? { accessLevel } : {}) }),
        sg,
        child(RUNNER, name, AWS.instance, `${name}-host`, { id: `i-${name}`, vpcSecurityGroupIds: [groupId], privateIp: address },
            { vpcSecurityGroupIds: [sg.urn!] }),
    ];
}

/** A neutral name on purpose: the rule knows the merge-request runner by what it accepts, not by what it is called. */
const MR = runner("builds", "not_protected", "sg-0b0b0b0b0b", "10.0.5.20");
const DEPLOY = runner("runner-deploy", "ref_protected", "sg-0d0d0d0d0d", "10.0.5.30");
const MR_SG = groupUrn(RUNNER, "builds-sg");
const DEPLOY_SG = groupUrn(RUNNER, "runner-deploy-sg");

/** The production host's group; `ingress` and its dependencies as given. */
function hostGroup(ingress: unknown, ingressFrom: string[]): StackResource {
    return child(HOST, "production", AWS.securityGroup, "production-sg", {
        id: "sg-0f0f0f0f0f",
        ingress,
    }, { ingress: ingressFrom });
}

const webIngress = { protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] };
const sshFrom = (groupId: string) => ({ protocol: "tcp", fromPort: 22, toPort: 22, securityGroups: [groupId] });

/** Asserts the pure rule and the pack's own validateStack agree, and that a violation matches `expected`. */
async function verdict(stack: StackResource[], expected?: RegExp): Promise<void> {
    assertSameVerdict(rules.checkMergeRequestRunnerUntrusted(stack), await runStackPolicy(POLICY, stack), expected);
}

describe("merge-request-runner-untrusted (issue 18)", () => {
    it("must not let a host's group admit SSH from the merge-request runner's group", async () => {
        await verdict([...MR, ...DEPLOY, hostGroup([webIngress, sshFrom("sg-0b0b0b0b0b")], [MR_SG])],
            /"production-sg": ingress\[1\] admits its security group sg-0b0b0b0b0b of the merge-request runner "builds"/);
    });
    it("must not admit it on any port, through a SecurityGroupRule or a vpc SecurityGroupIngressRule", async () => {
        const host = hostGroup([webIngress], []);
        await verdict([...MR, host, child(HOST, "production", AWS.securityGroupRule, "all-from-builds", {
            type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, securityGroupId: "sg-0f0f0f0f0f", sourceSecurityGroupId: "sg-0b0b0b0b0b",
        })], /SecurityGroupRule "all-from-builds": rule admits its security group sg-0b0b0b0b0b/);
        await verdict([...MR, host, child(HOST, "production", AWS.securityGroupIngressRule, "postgres-from-builds", {
            ipProtocol: "tcp", fromPort: 5432, toPort: 5432, securityGroupId: "sg-0f0f0f0f0f", referencedSecurityGroupId: "sg-0b0b0b0b0b",
        })], /SecurityGroupIngressRule "postgres-from-builds": rule admits its security group sg-0b0b0b0b0b/);
    });
    it("must not admit the merge-request runner's host by its address", async () => {
        await verdict([...MR, hostGroup([{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["10.0.5.20/32"] }], [])],
            /admits its address 10\.0\.5\.20\/32 of the merge-request runner "builds"/);
    });
    it("during preview, with every id unknown, judges where the ingress comes from", async () => {
        const unknownIds = (stack: StackResource[]) => stack.map((r) => ({ ...r, props: { ...r.props, id: UNKNOWN_VALUE, vpcSecurityGroupIds: UNKNOWN_VALUE } }));
        await verdict([...unknownIds(MR), ...unknownIds(DEPLOY), hostGroup(UNKNOWN_VALUE, [MR_SG])],
            /"production-sg": ingress takes its source from the runner's host or security group of the merge-request runner "builds"/);
        await verdict([...unknownIds(MR), child(HOST, "production", AWS.securityGroupRule, "ssh-from-builds", {
            type: "ingress", protocol: "tcp", fromPort: 22, toPort: 22, securityGroupId: UNKNOWN_VALUE, sourceSecurityGroupId: UNKNOWN_VALUE,
        }, { securityGroupId: [groupUrn(HOST, "production-sg")], sourceSecurityGroupId: [MR_SG] })], /"ssh-from-builds": rule takes its source/);
    });
    it("counts a runner without accessLevel as taking merge requests (GitLab's default is not_protected)", async () => {
        const unset = runner("builds", undefined, "sg-0b0b0b0b0b", "10.0.5.20");
        await verdict([...unset, hostGroup([sshFrom("sg-0b0b0b0b0b")], [MR_SG])], /merge-request runner "builds"/);
    });
    it("accepts a host that admits only the deploy runner, known or still unknown, and the runner's group admitting itself", async () => {
        await verdict([...MR, ...DEPLOY, hostGroup([webIngress, sshFrom("sg-0d0d0d0d0d")], [DEPLOY_SG])]);
        await verdict([...MR, ...DEPLOY, hostGroup(UNKNOWN_VALUE, [DEPLOY_SG])]);
        await verdict([...MR, child(RUNNER, "builds", AWS.securityGroupRule, "builds-self", {
            type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, securityGroupId: "sg-0b0b0b0b0b", sourceSecurityGroupId: "sg-0b0b0b0b0b",
        })]);
    });
});
