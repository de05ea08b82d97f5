import { strict as assert } from "assert";
import { ProductionConfig, validateConfig } from "../../../components/config";
import { configProblems, onlyConfigProblem, RawOverrides, SECRET_KEYS, validateStack } from "../../program/configHarness";
import { STACK_CONFIG } from "../../program/stacks";

// The prod stack's own keys (components/config/production.ts): data volume, the image it promotes, bootstrap,
// approvals, the runners' instance type and the staging stack it reads. The delivery keys: delivery.test.ts.

const REPO = "registry.gitlab.com/acme/gitlab-docker-delivery";
const DIGEST = `sha256:${"ab".repeat(32)}`;

const prodOf = (overrides: RawOverrides = {}) => validateStack("prod", overrides) as ProductionConfig;

const onlyProblem = (overrides: RawOverrides) => onlyConfigProblem(() => validateStack("prod", overrides));

describe("config: the prod stack", () => {
    it("defaults: a protected 20 GB data volume, the staging stack's image, no bootstrap, one approval, t3.small runners", () => {
        const prod = prodOf();
        assert.equal(prod.environment, "production");
        assert.equal(prod.awsRegion, "eu-central-1");
        assert.equal(prod.dataVolumeSizeGb, 20);
        assert.equal(prod.protectData, true);
        assert.equal(prod.imageRef, undefined);
        assert.equal(prod.stagingStack, "acme/gitlab-docker-delivery/staging");
        assert.equal(prod.bootstrap, false);
        assert.equal(prod.gitlabNamespaceId, 1234);
        assert.equal(prod.productionApprovals, 1);
        assert.equal(prod.runnerInstanceType, "t3.small");
        assert.equal(prod.delivery.gitlabTier, "premium");
    });

    it("takes each key as given", () => {
        const prod = prodOf({
            dataVolumeSizeGb: "100",
            protectData: "false",
            bootstrap: "true",
            stagingStack: "acme/gitlab-docker-delivery/stage2",
            productionApprovals: "2",
            productionApproverCount: "3",
            runnerInstanceType: "m7g.large",
            imageRef: `${REPO}@${DIGEST}`,
        });
        assert.deepEqual(
            [prod.dataVolumeSizeGb, prod.protectData, prod.bootstrap, prod.stagingStack, prod.productionApprovals, prod.runnerInstanceType, prod.imageRef],
            [100, false, true, "acme/gitlab-docker-delivery/stage2", 2, "m7g.large", `${REPO}@${DIGEST}`],
        );
        assert.equal(prodOf({ dataVolumeSizeGb: "1" }).dataVolumeSizeGb, 1);
        assert.equal(prodOf({ dataVolumeSizeGb: "16384" }).dataVolumeSizeGb, 16384);
        assert.equal(prodOf({ productionApprovals: "10", productionApproverCount: "11" }).productionApprovals, 10);
    });

    it("takes the region from AWS_REGION when config has none", () => {
        const raw: Record<string, string> = { ...STACK_CONFIG.prod };
        delete raw["aws:region"];
        const prod = validateConfig("prod", raw, { secretKeys: SECRET_KEYS, env: { AWS_REGION: "us-east-2" }, organization: "acme" }) as ProductionConfig;
        assert.equal(prod.awsRegion, "us-east-2");
    });

    it("needs a region for its EC2 host, saying what it is for", () => {
        const problems = configProblems(() => validateStack("prod", { "aws:region": undefined }));
        assert.deepEqual(problems.map((p) => p.split(" (")[0]), ["aws:region is required: the AWS region of the hosts"]);
    });

    it("refuses values out of range, each naming its key and value", () => {
        for (const [key, value, range] of [
            ["dataVolumeSizeGb", "0", "1 to 16384"],
            ["dataVolumeSizeGb", "16385", "1 to 16384"],
            ["productionApprovals", "0", "1 to 10"],
            ["productionApprovals", "11", "1 to 10"],
        ]) {
            assert.ok(onlyProblem({ [key]: value }).startsWith(`gitlab-docker-delivery:${key} must be a whole number from ${range} (got "${value}")`), `${key}=${value}`);
        }
        for (const key of ["protectData", "bootstrap"]) assert.match(onlyProblem({ [key]: "yes" }), new RegExp(`^gitlab-docker-delivery:${key} must be true or false`));
    });

    it("refuses a runner instance type EC2 does not have, naming it", () => {
        assert.ok(onlyProblem({ runnerInstanceType: "huge" }).startsWith('gitlab-docker-delivery:runnerInstanceType "huge" is not an EC2 instance type'));
    });

    it("takes an imageRef of imageRepository pinned by digest, with or without its tag", () => {
        assert.equal(prodOf({ imageRef: `${REPO}:v1.2.3@${DIGEST}` }).imageRef, `${REPO}:v1.2.3@${DIGEST}`);
    });

    it("refuses an imageRef without a digest, naming it, and one of another repository, naming the repository", () => {
        assert.ok(onlyProblem({ imageRef: `${REPO}:v1` }).startsWith(`gitlab-docker-delivery:imageRef "${REPO}:v1" `));
        for (const ref of [`${REPO}-fork@${DIGEST}`, `registry.gitlab.com/acme/other@${DIGEST}`, `${REPO}/sub:v1@${DIGEST}`]) {
            assert.equal(onlyProblem({ imageRef: ref }), `gitlab-docker-delivery:imageRef must be an image of imageRepository ${REPO}`, ref);
        }
    });
});
