import { strict as assert } from "assert";
import { StagingConfig, validateConfig } from "../../../components/config";
import { configProblems, hostsSource, RawOverrides, SECRET_KEYS, validateStack } from "../../program/configHarness";
import { STACK_CONFIG } from "../../program/stacks";

// The staging stack's own keys (components/config/staging.ts): the AWS region when it provisions its EC2 host, and
// the stack that owns the project-level GitLab resources. The remote keys it shares with prod: config-*.test.ts.

const stagingOf = (overrides: RawOverrides = {}) => validateStack("staging", overrides) as StagingConfig;

describe("config: the staging stack", () => {
    it("is the staging environment, in the configured region, reading the project from the prod stack of its organization", () => {
        const staging = stagingOf();
        assert.equal(staging.environment, "staging");
        assert.equal(staging.awsRegion, "eu-central-1");
        assert.equal(staging.projectStack, "acme/gitlab-docker-delivery/prod");
        assert.equal(stagingOf({ projectStack: "other-org/gitlab-docker-delivery/production" }).projectStack, "other-org/gitlab-docker-delivery/production");
    });

    it("takes the region from AWS_REGION when config has none", () => {
        const raw: Record<string, string> = { ...STACK_CONFIG.staging };
        delete raw["aws:region"];
        const staging = validateConfig("staging", raw, { secretKeys: SECRET_KEYS, env: { AWS_REGION: "us-west-2" }, organization: "acme" }) as StagingConfig;
        assert.equal(staging.awsRegion, "us-west-2");
    });

    it("needs a region for its EC2 host, saying what it is for; with hosts it keeps none", () => {
        const problems = configProblems(() => validateStack("staging", { "aws:region": undefined }));
        assert.equal(problems.length, 1, problems.join("\n"));
        assert.match(problems[0], /^aws:region is required: the AWS region of the hosts/);
        assert.equal(stagingOf(hostsSource()).awsRegion, undefined);
    });
});
