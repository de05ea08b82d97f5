// Issue 15: one owner for the instance-type rules (shape and arm64).
import { strict as assert } from "assert";
import { isArmInstanceType, isInstanceType } from "../../../components/checks";
import { runnerArgsProblems } from "../../../components/runner/args";

describe("checks: instance types, one owner (issue 15)", () => {
    it("tells Graviton (arm64) families from x86 ones", () => {
        for (const t of ["t4g.small", "m7g.large", "c7gn.xlarge", "m6gd.large", "im4gn.large", "g5g.xlarge"]) assert.equal(isArmInstanceType(t), true, t);
        for (const t of ["t3.small", "m6i.large", "g4dn.xlarge", "m5dn.large", "g4ad.xlarge"]) assert.equal(isArmInstanceType(t), false, t);
    });
    it("accepts the shape family.size and nothing else, in config and in the Runner's arguments alike", () => {
        for (const t of ["t3.small", "c7gn.xlarge", "u-6tb1.metal"]) {
            assert.equal(isInstanceType(t), true, t);
            assert.deepEqual(runnerArgsProblems({ gitlab: { projectId: 1 }, instance: { instanceType: t } }), [], t);
        }
        for (const t of ["T3.small", "t3", "t3.", ".small", "t3.small ", "t3 small"]) {
            assert.equal(isInstanceType(t), false, t);
            assert.match(runnerArgsProblems({ gitlab: { projectId: 1 }, instance: { instanceType: t } }).join(), /is not an EC2 instance type/, t);
        }
    });
});
