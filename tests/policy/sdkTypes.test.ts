import { strict as assert } from "node:assert";
import * as fs from "node:fs";
import * as path from "node:path";
import { AWS, AWS_CLASSES, DOCKER_BUILD, GITLAB } from "./sdkTypes";

describe("policy fixtures' type tokens (issue 20)", () => {
    it("are the tokens @pulumi/aws registers its resource classes under", () => {
        for (const [name, [module, className]] of Object.entries(AWS_CLASSES)) {
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const exported = require(`@pulumi/aws/${module}`) as Record<string, { __pulumiType?: string }>;
            assert.equal(exported[className]?.__pulumiType, AWS[name as keyof typeof AWS], name);
        }
    });
    it("are the tokens @pulumi/docker-build registers its resource classes under", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const exported = require("@pulumi/docker-build") as Record<string, { __pulumiType?: string }>;
        assert.equal(exported.Index?.__pulumiType, DOCKER_BUILD.index);
    });
    it("are resource tokens of the official GitLab provider v10", () => {
        const facts = fs.readFileSync(path.resolve(__dirname, "../fixtures/gitlab-provider-v10-facts.json"), "utf8");
        for (const token of Object.values(GITLAB)) assert.ok(facts.includes(JSON.stringify(token)), token);
    });
});
