import * as gitlab from "@cicd/pulumi-gitlab";
import * as pulumi from "@pulumi/pulumi";
import { rejectProblems } from "../checks";

/**
 * Tags production deploys from. GitLab's `sub` claim says only `ref_type` and `ref`, so a protected tag pattern is
 * the one identity an AWS role can tell apart from every job on the default branch.
 */
export const DEFAULT_RELEASE_TAG_PATTERN = "v*";

/**
 * Why `pattern` cannot be the release tag pattern, or undefined. The same text is a GitLab protected-tag wildcard and
 * the ref of an IAM `StringLike` subject, so it is kept to what both read alike: `*` is the only wildcard (IAM's `?`
 * would be a literal to GitLab), and it must start with a literal, so that not every tag deploys production.
 */
export function releaseTagPatternProblem(pattern: string): string | undefined {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+/*-]{0,99}$/.test(pattern)) {
        return `"${pattern}" is not a release tag pattern: it must start with a letter or digit, use only letters, digits, ` +
            `. _ + - / and the wildcard *, and be at most 100 characters (e.g. ${DEFAULT_RELEASE_TAG_PATTERN}); a bare * would let any tag deploy production`;
    }
    return undefined;
}

export interface ReleaseTagsArgs {
    /** Project id or `group/project` path. */
    readonly project: pulumi.Input<string>;
    /** Protected tag wildcard (default `v*`); the production role's trust names the same pattern. */
    readonly pattern?: string;
}

/**
 * Protects the release tags: only maintainers may create a tag matching `pattern`, and so start the pipeline whose
 * `deploy_production` the production role admits. GitLab marks such a pipeline protected, so it receives protected
 * variables and runs on the deploy runner (`ref_protected`).
 */
export class ReleaseTags extends pulumi.ComponentResource {
    public readonly pattern: string;

    constructor(name: string, args: ReleaseTagsArgs, opts?: pulumi.ComponentResourceOptions) {
        const pattern = args.pattern ?? DEFAULT_RELEASE_TAG_PATTERN;
        const problem = releaseTagPatternProblem(pattern);
        super("cicd:gitlab:ReleaseTags", name, rejectProblems(`cicd:gitlab:ReleaseTags "${name}"`, problem ? [`[pattern] ${problem}`] : []), opts);
        new gitlab.TagProtection(`${name}-protection`, { project: args.project, tag: pattern, createAccessLevel: "maintainer" }, { parent: this });
        this.pattern = pattern;
        this.registerOutputs({ pattern });
    }
}
