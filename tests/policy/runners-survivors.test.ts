import { strict as assert } from "node:assert";
import * as rules from "../../policy/rules";
import { PolicyResource, StackResource, UNKNOWN_VALUE } from "../../policy/rules";
import { runStackPolicy, urn } from "./harness";
import { AWS, GITLAB } from "./sdkTypes";
import { assertSameVerdict, resource, verdict } from "./verdict";

// deploy-runner-protected-unprivileged and merge-request-runner-untrusted (issue 20): which resources the rules take
// for a deploy runner, a runner host and a merge-request runner's network identity, on the SDK's type tokens.
// rules.test.ts and runner-trust.test.ts hold the main cases.

const DEPLOY_POLICY = "deploy-runner-protected-unprivileged";
const checkDeploy = (r: PolicyResource) => rules.checkDeployRunner(r);
const RUNNER = "cicd:runner:Runner";

function host(name: string, userData: unknown, tags: Record<string, string> | undefined, parents: string[] = [RUNNER]): PolicyResource {
    return resource(AWS.instance, { instanceType: "t3.small", userData, ...(tags ? { tags } : {}) }, { name, urn: urn("prod", AWS.instance, name, parents) });
}
const privileged = "#!/bin/bash\ngitlab-runner register --docker-privileged=true\n";

describe("deploy-runner-protected-unprivileged: what counts as the deploy runner and its host (issue 20)", () => {
    it("knows the deploy runner by its tags or description in any case", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, resource(GITLAB.userRunner, { tagLists: ["CICD-Deploy"], accessLevel: "not_protected" }), /accessLevel "not_protected"/);
    });
    it("judges only GitLab runners by description: a security group describing the deploy runner is not one", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, resource(AWS.securityGroup, { description: "SSH from the deploy runner", ingress: [] }));
    });
    it("knows the deploy host by its name or by any of its tags, and a host without tags by its name", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, host("runner-2-host", privileged, { Name: "runner-2", Role: "deploy" }), /"runner-2-host" runs privileged job containers/);
        await verdict(DEPLOY_POLICY, checkDeploy, host("deploy-host", privileged, undefined), /"deploy-host" runs privileged job containers/);
    });
    it("judges only instances a runner component registers", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, host("deploy-host", privileged, { Name: "deploy" }, []));
        await verdict(DEPLOY_POLICY, checkDeploy, host("deploy-host", privileged, { Name: "deploy" }, ["cicd:host:Ec2Host"]));
    });
    it("waits for user data not known yet, and passes a host without user data", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, host("deploy-host", UNKNOWN_VALUE, { Name: "deploy" }));
        await verdict(DEPLOY_POLICY, checkDeploy, host("deploy-host", undefined, { Name: "deploy" }));
    });
    it("names every part of privileged mode a host gives", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, host("deploy-host", "gitlab-runner register --docker-cap-add NET_ADMIN --docker-devices /dev/kvm", { Name: "deploy" }),
            /gives its containers added capabilities, host devices;/);
    });
});

// merge-request-runner-untrusted: the stack components/runner and components/host register (as runner-trust.test.ts).
const MR_POLICY = "merge-request-runner-untrusted";
const HOST = "cicd:host:Ec2Host";

function child(component: string, componentName: string, type: string, name: string, props: Record<string, unknown>,
    propertyDependencies?: Record<string, string[]>): StackResource {
    return { type, name, props, ...(propertyDependencies ? { propertyDependencies } : {}), urn: urn("prod", type, name, [component]), options: { parent: urn("prod", component, componentName) } };
}
const mrRunner = () => child(RUNNER, "builds", GITLAB.userRunner, "builds-runner", { accessLevel: "not_protected" });
const mrGroup = (props: Record<string, unknown> = {}, name = "builds-sg") => child(RUNNER, "builds", AWS.securityGroup, name, { id: "sg-0b0b0b0b0b", ingress: [], ...props });
const mrHost = (props: Record<string, unknown>, deps?: Record<string, string[]>, name = "builds-host") =>
    child(RUNNER, "builds", AWS.instance, name, { id: `i-${name}`, privateIp: "10.0.5.20", ...props }, deps);
const SHARED_URN = urn("prod", AWS.securityGroup, "runners-shared");
const shared = (id: unknown): StackResource => ({ type: AWS.securityGroup, name: "runners-shared", urn: SHARED_URN, props: { id, ingress: [] } });
const prodGroup = (ingress: unknown, deps?: Record<string, string[]>) => child(HOST, "production", AWS.securityGroup, "production-sg", { id: "sg-0f0f0f0f0f", ingress }, deps);
const sshFrom = (source: Record<string, unknown>) => ({ protocol: "tcp", fromPort: 22, toPort: 22, ...source });

async function stackVerdict(stack: StackResource[], expected?: RegExp): Promise<string[]> {
    const pure = rules.checkMergeRequestRunnerUntrusted(stack);
    assertSameVerdict(pure, await runStackPolicy(MR_POLICY, stack), expected);
    return pure;
}

describe("merge-request-runner-untrusted: a merge-request runner's groups and addresses (issue 20)", () => {
    it("counts every group its host wears, registered anywhere: by id, or while ids are unknown by the host's dependencies", async () => {
        await stackVerdict([mrRunner(), mrGroup(), mrHost({ vpcSecurityGroupIds: ["sg-0b0b0b0b0b", "sg-0e0e0e0e0e"] }), shared("sg-0e0e0e0e0e"),
            prodGroup([sshFrom({ securityGroups: ["sg-0e0e0e0e0e"] })])], /ingress\[0\] admits its security group sg-0e0e0e0e0e of the merge-request runner "builds"/);
        for (const property of ["vpcSecurityGroupIds", "securityGroups"]) {
            await stackVerdict([mrRunner(), mrHost({ id: UNKNOWN_VALUE, [property]: UNKNOWN_VALUE }, { [property]: [SHARED_URN] }), shared(UNKNOWN_VALUE),
                prodGroup(UNKNOWN_VALUE, { ingress: [SHARED_URN] })], /"production-sg": ingress takes its source from the runner's host or security group/);
        }
    });
    it("counts a group its host wears when only one of its hosts wears it", async () => {
        await stackVerdict([mrRunner(), mrHost({ vpcSecurityGroupIds: ["sg-0e0e0e0e0e"] }), mrHost({ vpcSecurityGroupIds: [] }, undefined, "builds-host-2"), shared("sg-0e0e0e0e0e"),
            prodGroup([sshFrom({ securityGroups: ["sg-0e0e0e0e0e"] })])], /admits its security group sg-0e0e0e0e0e/);
    });
    it("counts every group the runner's component registers, worn or not", async () => {
        await stackVerdict([mrRunner(), mrGroup(), mrGroup({ id: "sg-0c0c0c0c0c" }, "builds-cache-sg"), mrHost({ vpcSecurityGroupIds: ["sg-0b0b0b0b0b"] }),
            prodGroup([sshFrom({ securityGroups: ["sg-0c0c0c0c0c"] })])], /admits its security group sg-0c0c0c0c0c/);
    });
    it("while ids are not there at all, still judges by dependencies", async () => {
        const absent = (r: StackResource) => ({ ...r, props: Object.fromEntries(Object.entries(r.props).filter(([key]) => key !== "id")) });
        await stackVerdict([mrRunner(), absent(mrGroup()), absent(mrHost({}, { vpcSecurityGroupIds: [urn("prod", AWS.securityGroup, "builds-sg", [RUNNER])] })),
            absent(prodGroup([sshFrom({ securityGroups: [UNKNOWN_VALUE] })], { ingress: [urn("prod", AWS.securityGroup, "builds-sg", [RUNNER])] }))],
        /"production-sg": ingress takes its source from the runner's host or security group/);
    });
    it("reads resources registered without options or dependencies", async () => {
        const bare = (r: StackResource): StackResource => ({ type: r.type, name: r.name, urn: r.urn, props: r.props });
        await stackVerdict([mrRunner(), mrGroup(), mrHost({ vpcSecurityGroupIds: ["sg-0b0b0b0b0b"] }),
            bare(prodGroup([sshFrom({ securityGroups: ["sg-0b0b0b0b0b"] })]))], /admits its security group sg-0b0b0b0b0b/);
    });
    it("cannot tell a runner's host without its component: a runner registered alone leaves others' ingress alone", async () => {
        const alone: StackResource = { type: GITLAB.userRunner, name: "builds-runner", urn: urn("prod", GITLAB.userRunner, "builds-runner"), props: { accessLevel: "not_protected" } };
        const loneHost: StackResource = { type: AWS.instance, name: "lone", urn: urn("prod", AWS.instance, "lone"), props: { id: "i-lone", privateIp: "10.0.9.9" } };
        await stackVerdict([alone, loneHost, prodGroup([sshFrom({ cidrBlocks: ["10.0.9.9/32"] })])]);
    });
    it("lets the runner's own groups and rules admit the runner, at preview too", async () => {
        await stackVerdict([mrRunner(), mrGroup({ ingress: [sshFrom({ securityGroups: ["sg-0b0b0b0b0b"] })] }), mrHost({ vpcSecurityGroupIds: ["sg-0b0b0b0b0b"] })]);
        const groupUrn = urn("prod", AWS.securityGroup, "builds-sg", [RUNNER]);
        await stackVerdict([mrRunner(), mrGroup({ id: UNKNOWN_VALUE }), mrHost({ id: UNKNOWN_VALUE, vpcSecurityGroupIds: UNKNOWN_VALUE }, { vpcSecurityGroupIds: [groupUrn] }),
            child(HOST, "production", AWS.securityGroupRule, "builds-self", { type: "ingress", protocol: "-1", fromPort: 0, toPort: 0, securityGroupId: UNKNOWN_VALUE, sourceSecurityGroupId: UNKNOWN_VALUE },
                { securityGroupId: [groupUrn], sourceSecurityGroupId: [groupUrn] })]);
    });
    it("names the group and the address one permission admits, once per permission", async () => {
        const groupUrn = urn("prod", AWS.securityGroup, "builds-sg", [RUNNER]);
        const violations = await stackVerdict([mrRunner(), mrGroup(), mrHost({ vpcSecurityGroupIds: ["sg-0b0b0b0b0b"] }),
            prodGroup([sshFrom({ securityGroups: ["sg-0b0b0b0b0b"], cidrBlocks: ["10.0.5.20/32"] })], { ingress: [groupUrn] })],
        /ingress\[0\] admits its security group sg-0b0b0b0b0b and its address 10\.0\.5\.20\/32 of the merge-request runner "builds"/);
        assert.equal(violations.length, 1, violations.join("\n"));
    });
});

describe("deploy-runner-protected-unprivileged: a runner host's boot script however EC2 takes it", () => {
    const base64 = (text: string) => Buffer.from(text, "utf8").toString("base64");
    const fleet = (userData: unknown) => resource(AWS.launchTemplate, { instanceType: "t3.small", userData, tags: { Name: "deploy-fleet" } },
        { name: "deploy-fleet", urn: urn("prod", AWS.launchTemplate, "deploy-fleet", [RUNNER]) });

    it("must not run privileged job containers from a launch template's base64 user data (an autoscaled runner fleet)", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, fleet(base64(privileged)), /^deploy runner host "deploy-fleet" runs privileged job containers/);
        await verdict(DEPLOY_POLICY, checkDeploy, fleet(base64("gitlab-runner register --docker-cap-add NET_ADMIN\n")), /gives its containers added capabilities/);
    });
    it("must not run privileged job containers from an instance's userDataBase64", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, resource(AWS.instance, { instanceType: "t3.small", userDataBase64: base64(privileged) },
            { name: "deploy-host", urn: urn("prod", AWS.instance, "deploy-host", [RUNNER]) }), /"deploy-host" runs privileged job containers/);
    });
    it("accepts an unprivileged fleet, one whose user data is not known yet, and a launch template outside a runner", async () => {
        await verdict(DEPLOY_POLICY, checkDeploy, fleet(base64("gitlab-runner register --docker-privileged=false\n")));
        await verdict(DEPLOY_POLICY, checkDeploy, fleet(UNKNOWN_VALUE));
        await verdict(DEPLOY_POLICY, checkDeploy, resource(AWS.launchTemplate, { userData: base64(privileged), tags: { Name: "deploy" } },
            { name: "deploy-lt", urn: urn("prod", AWS.launchTemplate, "deploy-lt", ["cicd:host:Ec2Host"]) }));
    });
});
