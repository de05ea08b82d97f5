// Issue 15: one owner for the CIDR rules. Config validation, the Runner's argument checks, the EC2 host and the
// policy pack all judge the same table the same way.
import { strict as assert } from "assert";
import { isWorldCidr, parseCidr } from "../../../components/checks";
import { ConfigError } from "../../../components/config";
import { validateSshIngress } from "../../../components/host/ec2Host";
import { runnerArgsProblems } from "../../../components/runner/args";
import * as policyNetwork from "../../../policy/rules/network";
import { validateStack } from "../../program/configHarness";

/** [cidr, well formed, reaches the whole internet] */
const TABLE: readonly [string, boolean, boolean][] = [
    ["203.0.113.4/32", true, false],
    ["10.0.0.0/8", true, false],
    ["2001:db8::/64", true, false],
    ["0.0.0.0/0", true, true],
    ["::/0", true, true],
    ["0.0.0.0/1", true, true],
    ["128.0.0.0/1", true, true],
    ["2000::/3", true, true],
    ["10.0.0.0/7", true, true],
    ["300.1.1.1/8", false, false],
    ["10.0.0.0/33", false, false],
    ["10.0.0.0", false, false],
    ["abcd/64", false, false],
    ["1::2::3/64", false, false],
];

function stagingCidrProblems(cidr: string): string {
    try {
        validateStack("staging", { sshIngressCidrs: JSON.stringify([cidr]) });
    } catch (err) {
        assert.ok(err instanceof ConfigError, `expected ConfigError, got ${err}`);
        return err.problems.join("\n");
    }
    return "";
}

function ec2HostProblems(cidr: string): string {
    try {
        validateSshIngress([cidr]);
    } catch (err) {
        return String(err);
    }
    return "";
}

const runnerProblems = (cidr: string) => runnerArgsProblems({ gitlab: { projectId: 1 }, instance: { sshIngressCidrs: [cidr] } }).join("\n");

describe("checks: CIDR rules, one owner (issue 15)", () => {
    it("the policy pack uses the very same world check as the components", () => {
        assert.equal(policyNetwork.isWorldCidr, isWorldCidr);
    });
    it("parses and judges every row of the table", () => {
        for (const [cidr, wellFormed, world] of TABLE) {
            assert.equal(parseCidr(cidr) !== undefined, wellFormed, `${cidr} well formed`);
            if (wellFormed) assert.equal(isWorldCidr(cidr), world, `${cidr} world`);
        }
    });
    it("config, Runner arguments and the EC2 host refuse the same CIDRs for the same reason", () => {
        for (const [cidr, wellFormed, world] of TABLE) {
            for (const [who, problems] of [["config", stagingCidrProblems(cidr)], ["runner", runnerProblems(cidr)], ["ec2Host", ec2HostProblems(cidr)]]) {
                if (!wellFormed) assert.match(problems, /is not a CIDR block/, `${who}: ${cidr}`);
                else if (world) assert.match(problems, /would open SSH to the whole internet/, `${who}: ${cidr}`);
                else assert.doesNotMatch(problems, /CIDR block|whole internet/, `${who}: ${cidr}`);
            }
        }
    });
});
