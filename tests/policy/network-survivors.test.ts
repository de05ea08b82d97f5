import { strict as assert } from "node:assert";
import * as rules from "../../policy/rules";
import { UNKNOWN_VALUE } from "../../policy/rules";
import { AWS } from "./sdkTypes";
import { resource, verdict } from "./verdict";

// Issue 20: fixtures on the SDK's type tokens (sdkTypes.ts), never on the rule's constants.
const SDK_SECURITY_GROUP = AWS.securityGroup;
const SDK_SECURITY_GROUP_RULE = AWS.securityGroupRule;
const SDK_SECURITY_GROUP_INGRESS_RULE = AWS.securityGroupIngressRule;

const policy = "no-world-ingress-except-web";
const check = rules.checkWorldIngress;
const sgRule = (props: Record<string, unknown>) => resource(SDK_SECURITY_GROUP_RULE, { type: "ingress", securityGroupId: "sg-1", ...props });
const vpcRule = (props: Record<string, unknown>) => resource(SDK_SECURITY_GROUP_INGRESS_RULE, { securityGroupId: "sg-1", ...props });
const sg = (ingress: unknown[]) => resource(SDK_SECURITY_GROUP, { ingress });

describe("no-world-ingress-except-web, on the SDK's type tokens (issue 20)", () => {

    it("must not open SSH to the world through a standalone ec2 SecurityGroupRule", async () => {
        await verdict(policy, check, sgRule({ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }), /SSH \(port 22\)/);
    });
    it("must not open SSH to the world through a standalone vpc SecurityGroupIngressRule", async () => {
        await verdict(policy, check, vpcRule({ ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" }), /SSH \(port 22\)/);
    });
    it("must not open SSH to the world through an inline SecurityGroup ingress block", async () => {
        await verdict(policy, check, sg([{ protocol: "tcp", fromPort: 22, toPort: 22, ipv6CidrBlocks: ["::/0"] }]), /SSH \(port 22\)/);
    });

    it("lets only TCP reach 80 and 443 from the world: UDP and ICMP there are refused", async () => {
        await verdict(policy, check, sgRule({ protocol: "udp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }), /udp port 443 to 0\.0\.0\.0\/0/);
        await verdict(policy, check, vpcRule({ ipProtocol: "udp", fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" }), /udp port 80/);
        await verdict(policy, check, sg([{ protocol: "icmp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] }]), /icmp port 80/);
        await verdict(policy, check, sg([{ protocol: "17", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }]), /17 port 443/);
    });
    it("reads TCP written as a protocol number or in capitals as TCP", async () => {
        await verdict(policy, check, sgRule({ protocol: "6", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }));
        await verdict(policy, check, vpcRule({ ipProtocol: "TCP", fromPort: 80, toPort: 80, cidrIpv4: "0.0.0.0/0" }));
        await verdict(policy, check, sg([{ protocol: "Tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }]));
    });

    it("names SSH whenever a world-open TCP range covers port 22, edges included", async () => {
        for (const [fromPort, toPort] of [[22, 22], [22, 23], [21, 22], [1, 1024]]) {
            await verdict(policy, check, sgRule({ protocol: "tcp", fromPort, toPort, cidrBlocks: ["0.0.0.0/0"] }), /SSH \(port 22\) must never/);
        }
        await verdict(policy, check, sgRule({ protocol: "6", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }), /SSH \(port 22\) must never/);
        await verdict(policy, check, sgRule({ protocol: "all", cidrBlocks: ["0.0.0.0/0"] }), /all protocols and ports.*SSH \(port 22\) must never/);
    });
    it("does not name SSH for a world-open range next to port 22, nor for UDP on 22", async () => {
        const cases: [string, number, number, RegExp][] = [
            ["tcp", 23, 25, /tcp ports 23-25 to 0\.0\.0\.0\/0; only tcp 80 and 443/],
            ["tcp", 10, 21, /tcp ports 10-21 to 0\.0\.0\.0\/0; only tcp 80 and 443/],
            ["udp", 22, 22, /udp port 22 to 0\.0\.0\.0\/0; only tcp 80 and 443/],
        ];
        for (const [protocol, fromPort, toPort, expected] of cases) {
            const subject = sgRule({ protocol, fromPort, toPort, cidrBlocks: ["0.0.0.0/0"] });
            await verdict(policy, check, subject, expected);
            assert.doesNotMatch(check(subject).join("\n"), /SSH/, `${protocol} ${fromPort}-${toPort} does not reach SSH`);
        }
    });
    it("refuses a world-open TCP range one port wider than 80 or 443", async () => {
        await verdict(policy, check, sgRule({ protocol: "tcp", fromPort: 80, toPort: 81, cidrBlocks: ["0.0.0.0/0"] }), /tcp ports 80-81/);
        await verdict(policy, check, sgRule({ protocol: "tcp", fromPort: 442, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }), /tcp ports 442-443/);
    });
});

describe("no-world-ingress-except-web reading ports, sources and prefix lists (issue 20)", () => {

    it("reads ports given as strings as the numbers they are", async () => {
        await verdict(policy, check, sgRule({ protocol: "tcp", fromPort: "22", toPort: "22", cidrBlocks: ["0.0.0.0/0"] }), /^rule opens tcp port 22 to 0\.0\.0\.0\/0: SSH/);
        await verdict(policy, check, sgRule({ protocol: "tcp", fromPort: "443", toPort: "443", cidrBlocks: ["0.0.0.0/0"] }));
    });
    it("reads a port it cannot read as the widest it could be", async () => {
        await verdict(policy, check, sgRule({ protocol: "tcp", fromPort: "any", toPort: null, cidrBlocks: ["0.0.0.0/0"] }), /^rule opens tcp ports 0-65535 to 0\.0\.0\.0\/0: SSH/);
        await verdict(policy, check, sgRule({ protocol: "tcp", cidrBlocks: ["0.0.0.0/0"] }), /^rule opens tcp ports 0-65535 /);
    });
    it("reads a rule without a protocol as every protocol", async () => {
        await verdict(policy, check, sgRule({ fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }), /^rule opens all protocols and ports to 0\.0\.0\.0\/0: SSH/);
    });
    it("names where the permission is: the inline block by its index, a standalone rule as the rule", async () => {
        const open = { protocol: "tcp", fromPort: 8080, toPort: 8080, cidrBlocks: ["0.0.0.0/0"] };
        await verdict(policy, check, sg([{ protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] }, open]), /^ingress\[1\] opens tcp port 8080 /);
        await verdict(policy, check, vpcRule({ ipProtocol: "tcp", fromPort: 8080, toPort: 8080, cidrIpv4: "0.0.0.0/0" }), /^rule opens tcp port 8080 /);
    });
    it("leaves a rule whose ports are still unknown for the update", async () => {
        await verdict(policy, check, sgRule({ protocol: "tcp", fromPort: UNKNOWN_VALUE, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }));
    });
    it("refuses a prefix list only where it opens every port, of every or of one protocol", async () => {
        const message = /^rule opens tcp ports 0-65535 to prefix list pl-1; a prefix list can hold 0\.0\.0\.0\/0 and changes outside this program/;
        await verdict(policy, check, sgRule({ protocol: "tcp", fromPort: 0, toPort: 65535, prefixListIds: ["pl-1"] }), message);
        await verdict(policy, check, sgRule({ protocol: "-1", prefixListIds: ["pl-1"] }), /^rule opens all protocols and ports to prefix list pl-1/);
        for (const [fromPort, toPort] of [[0, 1024], [1, 65535], [443, 443]]) {
            await verdict(policy, check, sgRule({ protocol: "tcp", fromPort, toPort, prefixListIds: ["pl-1"] }));
        }
    });
    it("opens every port to named CIDRs without complaint, and skips a prefix list still unknown", async () => {
        await verdict(policy, check, sgRule({ protocol: "-1", cidrBlocks: ["10.0.0.0/16"] }));
        await verdict(policy, check, sgRule({ protocol: "-1", prefixListIds: [UNKNOWN_VALUE] }));
    });
});

describe("ingressSources, what the runner rule reads (issue 20)", () => {
    it("names the inputs that carry each resource type's sources", () => {
        assert.deepEqual(rules.ingressSources(resource(SDK_SECURITY_GROUP, { ingress: [{ securityGroups: ["sg-2"], cidrBlocks: ["10.0.0.0/8"] }] })), [
            { where: "ingress[0]", securityGroups: ["sg-2"], cidrs: ["10.0.0.0/8"], sourceProperties: [] },
            { where: "ingress", securityGroups: [], cidrs: [], sourceProperties: ["ingress"] },
        ]);
        assert.deepEqual(rules.ingressSources(resource(SDK_SECURITY_GROUP_RULE, { type: "ingress", securityGroupId: "sg-1", sourceSecurityGroupId: "sg-2" })), [
            { where: "rule", securityGroups: ["sg-2"], cidrs: [], sourceProperties: ["sourceSecurityGroupId", "cidrBlocks", "ipv6CidrBlocks"], targetGroupId: "sg-1" },
        ]);
        assert.deepEqual(rules.ingressSources(resource(SDK_SECURITY_GROUP_INGRESS_RULE, { securityGroupId: "sg-1", cidrIpv4: "10.0.0.0/8" })), [
            { where: "rule", securityGroups: [], cidrs: ["10.0.0.0/8"], sourceProperties: ["referencedSecurityGroupId", "cidrIpv4", "cidrIpv6"], targetGroupId: "sg-1" },
        ]);
    });
    it("has no sources for an egress rule", () => {
        assert.deepEqual(rules.ingressSources(resource(SDK_SECURITY_GROUP_RULE, { type: "egress", securityGroupId: "sg-1", cidrBlocks: ["0.0.0.0/0"] })), []);
    });
});

describe("no-world-ingress-except-web with malformed lists (issue 20)", () => {
    it("reads only the strings of a prefix list or CIDR list: a null or a number there opens nothing", async () => {
        await verdict(policy, check, sgRule({ protocol: "-1", prefixListIds: [null, 42] }));
        await verdict(policy, check, sg([{ protocol: "-1", prefixListIds: [null], cidrBlocks: [0] }]));
        await verdict(policy, check, sgRule({ protocol: "-1", prefixListIds: [null, "pl-2"] }), /^rule opens all protocols and ports to prefix list pl-2;/);
    });
});
