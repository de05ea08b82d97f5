import { strict as assert } from "node:assert";
import * as path from "path";
import { runPack } from "./harness";
import { PROJECT, runStack } from "./capture";

describe("whole-program evaluation (negative control)", () => {
    it("catches every guardrail a deliberately unsafe program breaks", async () => {
        const run = await runStack({
            stack: "prod",
            config: { [`${PROJECT}:gitlabToken`]: "glpat-FAKEfakeFAKEfake0000" },
            secretKeys: [`${PROJECT}:gitlabToken`],
            program: path.join(__dirname, "fixtures", "unsafe-program.ts"),
        });
        const failed = new Set<string>();
        for (const resource of run.resources) for (const v of await runPack(resource)) failed.add(v.policy);
        assert.deepEqual([...failed].sort(), [
            "allowed-instance-types",
            "ebs-encrypted",
            "ec2-imdsv2-required",
            "gitlab-secret-variables-masked-protected",
            "immutable-image-references",
            "no-secret-literals",
            "no-world-ingress-except-web",
            "production-data-protected",
            "production-environment-approvals",
            "required-tags",
        ]);
    });
});
