import { strict as assert } from "node:assert";
import * as fs from "fs";
import * as path from "path";
import { REPO_ROOT } from "../policy/capture";
import { stackFileProblems } from "./hygiene";

// Stack files are committed: a secret in one is a secret in git history. Secret keys may only hold
// `secure:` ciphertext (what `pulumi config set --secret` writes).

// Pulumi.yaml too: project-level config defaults are committed the same way.
const stackFiles = fs.readdirSync(REPO_ROOT).filter((file) => /^Pulumi\.([^.]+\.)?ya?ml$/.test(file)).sort();

describe("committed stack files hold no plaintext secret", () => {
    it("the project file and the local, staging and prod stack files exist", () => {
        assert.deepEqual(["Pulumi.yaml", "Pulumi.local.yaml", "Pulumi.prod.yaml", "Pulumi.staging.yaml"].filter((f) => !stackFiles.includes(f)), []);
    });

    for (const file of stackFiles) {
        it(`${file}: secret keys are secure: values, no secret-looking literal`, () => {
            assert.deepEqual(stackFileProblems(fs.readFileSync(path.join(REPO_ROOT, file), "utf8")), []);
        });
    }

    it("the check refuses a plaintext token and a private key, and accepts secure: values", () => {
        const bad = [
            "config:",
            "  gitlab-docker-delivery:gitlabToken: glpat-FAKEgitlabTOKEN0123456789",
            "  gitlab-docker-delivery:notes: |",
            "    -----BEGIN OPENSSH PRIVATE KEY-----",
        ].join("\n");
        const problems = stackFileProblems(bad);
        assert.equal(problems.length, 4, problems.join("\n"));
        assert.match(problems[0], /gitlabToken is a secret and must be set with `pulumi config set --secret`/);
        assert.deepEqual(stackFileProblems("config:\n  gitlab-docker-delivery:gitlabToken:\n    secure: v1:AAAA:BBBB\n"), []);
    });
});
