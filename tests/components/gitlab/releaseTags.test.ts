// The release-tag protection under mocks: the pattern it protects and the patterns it refuses (issue 20).
/* eslint-disable @typescript-eslint/no-require-imports -- modules load after the mocks are installed */
import * as assert from "node:assert/strict";
import { installMocks, MockRecorder } from "../../support/mocks";

const TAG_PROTECTION = "gitlab:index/tagProtection:TagProtection";

describe("cicd:gitlab:ReleaseTags", () => {
    let mocks: MockRecorder;
    let gitlab: typeof import("../../../components/gitlab/releaseTags");

    before(async () => {
        mocks = await installMocks({ stack: "prod" });
        gitlab = require("../../../components/gitlab/releaseTags") as typeof import("../../../components/gitlab/releaseTags");
    });

    it("protects v* by default, creatable by maintainers only, as a child of the component", async () => {
        const tags = new gitlab.ReleaseTags("default-tags", { project: "7" });
        await mocks.settle();
        const protection = mocks.find(TAG_PROTECTION, "default-tags-protection");
        assert.deepEqual(protection.inputs, { project: "7", tag: "v*", createAccessLevel: "maintainer" });
        assert.equal(tags.pattern, "v*");
        assert.ok(protection.parent?.endsWith("cicd:gitlab:ReleaseTags::default-tags"), protection.parent);
    });

    it("protects the pattern it is given", async () => {
        new gitlab.ReleaseTags("given-tags", { project: "7", pattern: "release/2*" });
        await mocks.settle();
        assert.equal(mocks.find(TAG_PROTECTION, "given-tags-protection").inputs.tag, "release/2*");
    });

    it("refuses a pattern that would let any tag deploy, naming the key, and registers nothing", () => {
        const before = mocks.resources.length;
        assert.throws(() => new gitlab.ReleaseTags("bad-tags", { project: "7", pattern: "*" }), {
            message: `cicd:gitlab:ReleaseTags "bad-tags": [pattern] "*" is not a release tag pattern: it must start with a letter or digit, ` +
                "use only letters, digits, . _ + - / and the wildcard *, and be at most 100 characters (e.g. v*); a bare * would let any tag deploy production",
        });
        assert.equal(mocks.resources.length, before);
    });

    it("takes patterns of 1 to 100 characters that start with a letter or digit", () => {
        for (const pattern of ["v", "v*", "1.x", "release/v*", `v${"1".repeat(99)}`]) {
            assert.equal(gitlab.releaseTagPatternProblem(pattern), undefined, pattern);
        }
        for (const pattern of ["*", "", "-v*", "v?", "v 1", `v${"1".repeat(100)}`]) {
            assert.match(gitlab.releaseTagPatternProblem(pattern) ?? "", /is not a release tag pattern/, pattern);
        }
    });
});
