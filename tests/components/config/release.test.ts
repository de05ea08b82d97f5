import { strict as assert } from "assert";
import { ProductionConfig } from "../../../components/config";
import { onlyConfigProblem, RawOverrides, validateStack } from "../../program/configHarness";

// The prod stack's releaseTagPattern key (components/config/release.ts). Which patterns are release tag patterns is
// the ReleaseTags component's rule (tests/components/gitlab/releaseTags.test.ts); what the program protects and what
// the production role trusts is tests/program/first-up.test.ts.

const patternOf = (overrides: RawOverrides = {}) => (validateStack("prod", overrides) as ProductionConfig).delivery.releaseTagPattern;

describe("config: releaseTagPattern", () => {
    it("is v* when unset, and the pattern given otherwise", () => {
        assert.equal(patternOf(), "v*");
        assert.equal(patternOf({ releaseTagPattern: "release-*" }), "release-*");
        assert.equal(patternOf({ releaseTagPattern: "  v2.*  " }), "v2.*");
    });

    it("refuses a release tag pattern that any tag would match, or that IAM and GitLab would read differently, with one message", () => {
        for (const pattern of ["*", "*-release", "v?", "v 1", "v1:*"]) {
            const problem = onlyConfigProblem(() => validateStack("prod", { releaseTagPattern: pattern }));
            assert.ok(problem.startsWith(`gitlab-docker-delivery:releaseTagPattern "${pattern}" is not a release tag pattern`), problem);
            assert.match(problem, /it must start with a letter or digit, use only letters, digits, \. _ \+ - \/ and the wildcard \*/);
        }
    });
});
