import * as rules from "../../policy/rules";
import { PolicyResource } from "../../policy/rules";
import { urn } from "./harness";
import { AWS } from "./sdkTypes";
import { resource, verdict } from "./verdict";

// Issue 20: fixtures on the SDK's type tokens (sdkTypes.ts), never on the rules' constants.
const SDK_INSTANCE = AWS.instance;
const SDK_LAUNCH_TEMPLATE = AWS.launchTemplate;

describe("ec2-imdsv2-required on launch templates (issue 20)", () => {
    const policy = "ec2-imdsv2-required";
    const check = rules.checkImdsV2;

    it("must require IMDSv2 tokens on a launch template, as on an instance", async () => {
        await verdict(policy, check, resource(SDK_LAUNCH_TEMPLATE, { metadataOptions: { httpTokens: "optional" } }), /"optional".*IMDSv2/);
        await verdict(policy, check, resource(SDK_LAUNCH_TEMPLATE, { imageId: "ami-0123456789abcdef0" }), /"unset".*IMDSv2/);
    });
    it("accepts required tokens on the SDK's instance and launch-template types", async () => {
        await verdict(policy, check, resource(SDK_INSTANCE, { metadataOptions: { httpTokens: "required" } }));
        await verdict(policy, check, resource(SDK_LAUNCH_TEMPLATE, { metadataOptions: { httpTokens: "required" } }));
        await verdict(policy, check, resource(SDK_INSTANCE, { metadataOptions: { httpTokens: "optional" } }), /IMDSv2/);
    });
});

describe("ebs-encrypted on launch templates (issue 20)", () => {
    const policy = "ebs-encrypted";
    const check = rules.checkEbsEncryption;
    const template = (blockDeviceMappings: unknown[]) => resource(SDK_LAUNCH_TEMPLATE, { blockDeviceMappings });

    it("must encrypt every EBS mapping of a launch template, naming the one that is not", async () => {
        await verdict(policy, check, template([{ deviceName: "/dev/xvda", ebs: { volumeSize: 20 } }]), /blockDeviceMappings\[0\]\.ebs\.encrypted must be true/);
        await verdict(policy, check, template([
            { deviceName: "/dev/xvda", ebs: { encrypted: "true", volumeSize: 20 } },
            { deviceName: "/dev/sdf", ebs: { encrypted: false } },
        ]), /^blockDeviceMappings\[1\]\.ebs\.encrypted must be true$/);
    });
    it("accepts encrypted EBS mappings and mappings without EBS (instance store, no device)", async () => {
        await verdict(policy, check, template([
            { deviceName: "/dev/xvda", ebs: { encrypted: true } },
            { deviceName: "/dev/sdb", virtualName: "ephemeral0" },
            { deviceName: "/dev/sdc", noDevice: "" },
        ]));
        await verdict(policy, check, resource(SDK_LAUNCH_TEMPLATE, {}));
    });
});

describe("allowed-instance-types, what counts as a runner and each stack's list (issue 20)", () => {
    const policy = "allowed-instance-types";
    const check = (r: PolicyResource) => rules.checkInstanceType(r);
    const instance = (stack: string, instanceType: string, parents: string[] = []) =>
        resource(SDK_INSTANCE, { instanceType }, { urn: urn(stack, SDK_INSTANCE, "vm", parents) });

    it("judges an app host (a cicd:host component's instance) against its stack's list, not the runner list", async () => {
        // c7i.large and t3.small are runner sizes, not production app sizes.
        await verdict(policy, check, instance("prod", "c7i.large", ["cicd:host:ComposeHost"]), /"c7i.large" is not allowed in stack "prod"/);
        await verdict(policy, check, instance("prod", "t3.small", ["cicd:host:ComposeHost"]), /"t3.small" is not allowed in stack "prod"/);
    });
    it("accepts every runner size the runner list names, in any stack", async () => {
        const runnerSizes = ["t3.small", "t3.medium", "t3.large", "t3a.small", "t3a.medium", "t3a.large",
            "t4g.small", "t4g.medium", "t4g.large", "m7i.large", "m7g.large", "c7i.large", "c7g.large"];
        for (const instanceType of runnerSizes) {
            await verdict(policy, check, instance("prod", instanceType, ["cicd:runner:Runner"]));
            await verdict(policy, check, instance("staging", instanceType, ["cicd:runner:Runner"]));
        }
        await verdict(policy, check, instance("staging", "t3.micro", ["cicd:runner:Runner"]), /"t3.micro" is not allowed for a runner host/);
    });
    it("restricts staging to its own list (and production stacks to theirs)", async () => {
        await verdict(policy, check, instance("staging", "x2iedn.32xlarge"), /"x2iedn.32xlarge" is not allowed in stack "staging"/);
        await verdict(policy, check, instance("staging", "t3.large"), /"t3.large" is not allowed in stack "staging"; allowed: t3.micro, /);
        await verdict(policy, check, instance("production", "t3.micro"), /"t3.micro" is not allowed in stack "production"/);
        await verdict(policy, check, instance("local", "x2iedn.32xlarge"));
    });
    it("restricts launch templates as it does instances", async () => {
        await verdict(policy, check, resource(SDK_LAUNCH_TEMPLATE, { instanceType: "x2iedn.32xlarge" },
            { urn: urn("prod", SDK_LAUNCH_TEMPLATE, "lt") }), /not allowed in stack "prod"/);
    });
});

describe("the EC2 rules' scope and malformed block devices (issue 20)", () => {
    it("ebs-encrypted: a device entry that is not an object is an unencrypted device, and a mapping that is not one holds no EBS", async () => {
        await verdict("ebs-encrypted", rules.checkEbsEncryption,
            resource(SDK_INSTANCE, { rootBlockDevice: { encrypted: true }, ebsBlockDevices: [null, { encrypted: true }] }), /^ebsBlockDevices\[0\]\.encrypted must be true$/);
        await verdict("ebs-encrypted", rules.checkEbsEncryption, resource(SDK_LAUNCH_TEMPLATE, { blockDeviceMappings: [null, "junk"] }));
    });
    it("ebs-encrypted judges volumes, instances and launch templates only: an image recipe's mappings are not its business", async () => {
        await verdict("ebs-encrypted", rules.checkEbsEncryption,
            resource("aws:imagebuilder/imageRecipe:ImageRecipe", { blockDeviceMappings: [{ deviceName: "/dev/xvda", ebs: { encrypted: false } }] }));
    });
    it("allowed-instance-types judges instances and launch templates only: an OpsWorks instance's type is not its business", async () => {
        await verdict("allowed-instance-types", (r) => rules.checkInstanceType(r),
            resource("aws:opsworks/instance:Instance", { instanceType: "x2iedn.32xlarge" }, { urn: urn("prod", "aws:opsworks/instance:Instance", "ops") }));
    });
});

describe("production-data-protected: what counts, and the reason it gives (issue 20)", () => {
    const policy = "production-data-protected";
    const check = (r: PolicyResource) => rules.checkProductionProtection(r);

    it("names the production stack as the reason when no Environment tag says production", async () => {
        await verdict(policy, check, resource(AWS.volume, { encrypted: true }, { urn: urn("prod", AWS.volume, "db", ["cicd:host:Ec2Host"]), options: { protect: false } }),
            /^the data volume in production stack "prod" must be created with the resource option protect: true/);
    });
    it("asks protect of a host's instance and volumes, not of the host's other resources (its security group, say)", async () => {
        await verdict(policy, check, resource(AWS.securityGroup, {}, { urn: urn("prod", AWS.securityGroup, "web-sg", ["cicd:host:Ec2Host"]), options: { protect: false } }));
    });
});
