// The staging stack: the remote keys, the AWS region when it provisions its EC2 host, and the stack that owns the
// project-level GitLab resources.
import type { RawConfig, Reader } from "./reader";
import { EC2_HOST_REGION, stackPath, validateAwsRegion, validateRemote } from "./remote";
import type { StagingConfig, ValidateOptions } from "./types";

export function validateStaging(stack: string, raw: RawConfig, r: Reader, opts: ValidateOptions): StagingConfig {
    const remote = validateRemote("staging", stack, r, opts);
    return {
        ...remote,
        environment: "staging",
        // Staging with `hosts` creates nothing on AWS: aws:region is not read (the committed stack file's is ignored).
        awsRegion: remote.host.hosts === undefined ? validateAwsRegion(r, raw, opts.env ?? {}, EC2_HOST_REGION) : undefined,
        projectStack: r.string("projectStack") ?? stackPath(opts, "prod"),
    };
}
