// The prod stack's release tag pattern: which protected tags deploy production (issue 18). The rule a pattern must
// meet belongs to the component that protects the tags; this file only reads the key.
import type { Reader } from "./reader";
import { DEFAULT_RELEASE_TAG_PATTERN, releaseTagPatternProblem } from "../gitlab/releaseTags";

export const RELEASE_TAG_PATTERN_KEY = "releaseTagPattern";

/** `releaseTagPattern`, default `v*`; a bad pattern is one problem in the stack's one configuration error. */
export function readReleaseTagPattern(r: Reader): string {
    const pattern = r.string(RELEASE_TAG_PATTERN_KEY) ?? DEFAULT_RELEASE_TAG_PATTERN;
    const problem = releaseTagPatternProblem(pattern);
    if (problem) r.problem(RELEASE_TAG_PATTERN_KEY, problem);
    return pattern;
}
