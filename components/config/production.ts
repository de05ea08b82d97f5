// The prod stack: the remote keys plus the data volume, the image it promotes, bootstrap, the GitLab project's
// namespace and approvals, the delivery settings (delivery.ts) and the runners' instance type.
import { isInstanceType } from "../checks";
import { validateDelivery } from "./delivery";
import type { RawConfig, Reader } from "./reader";
import { EC2_HOST_REGION, PROD_HOSTS_REGION, stackPath, validateAwsRegion, validateRemote } from "./remote";
import { imageRefProblem, validateGitlabNamespaceId } from "./shared";
import type { ProductionConfig, ValidateOptions } from "./types";

export function validateProduction(stack: string, raw: RawConfig, r: Reader, opts: ValidateOptions): ProductionConfig {
    const remote = validateRemote("production", stack, r, opts);
    const awsRegion = validateAwsRegion(r, raw, opts.env ?? {}, remote.host.hosts === undefined ? EC2_HOST_REGION : PROD_HOSTS_REGION);
    const imageRef = r.string("imageRef");
    if (imageRef !== undefined) {
        const problem = imageRefProblem(imageRef, true);
        if (problem) r.problem("imageRef", `"${imageRef}" ${problem}`);
        else if (!imageRef.startsWith(`${remote.imageRepository}@`) && !imageRef.startsWith(`${remote.imageRepository}:`)) {
            r.problem("imageRef", `must be an image of imageRepository ${remote.imageRepository}`);
        }
    }
    const gitlabNamespaceId = validateGitlabNamespaceId(r);
    const productionApprovals = r.integer("productionApprovals", 1, 1, 10);
    const delivery = validateDelivery(r, productionApprovals, r.string("productionApprovals") !== undefined, gitlabNamespaceId);
    const runnerInstanceType = r.string("runnerInstanceType") ?? "t3.small";
    if (!isInstanceType(runnerInstanceType)) r.problem("runnerInstanceType", `"${runnerInstanceType}" is not an EC2 instance type`);
    return {
        ...remote,
        environment: "production",
        awsRegion,
        dataVolumeSizeGb: r.integer("dataVolumeSizeGb", 20, 1, 16384),
        protectData: r.boolean("protectData", true),
        imageRef,
        stagingStack: r.string("stagingStack") ?? stackPath(opts, "staging"),
        bootstrap: r.boolean("bootstrap", false),
        gitlabNamespaceId,
        productionApprovals,
        runnerInstanceType,
        delivery,
    };
}
