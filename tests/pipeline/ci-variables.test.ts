import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROVISIONED_VARIABLE_NAMES } from "../../components/gitlab/variables";
import { readCiFile, REPO_ROOT } from "./support/ci-config";
import { externalVariables, isPredefined } from "./support/variables";

const PIPELINE_DOC = path.join(REPO_ROOT, "docs", "pipeline.md");
const NOTE_SCRIPT = path.join(REPO_ROOT, "scripts", "mr-note", "main.ts");

/** Variables the note script reads from its environment (`env.NAME`, `requireEnv(env, "NAME")`). */
function noteScriptVariables(): string[] {
    const source = fs.readFileSync(NOTE_SCRIPT, "utf8");
    const names = [
        ...[...source.matchAll(/\benv\.([A-Z_][A-Z0-9_]*)/g)].map((m) => m[1]),
        ...[...source.matchAll(/requireEnv\(env,\s*"([A-Z_][A-Z0-9_]*)"\)/g)].map((m) => m[1]),
    ];
    return [...new Set(names)].filter((name) => !isPredefined(name));
}

/** Names in the "Set by hand at bootstrap" table of docs/pipeline.md (first column, in backticks). */
function documentedBootstrapVariables(): string[] {
    const text = fs.readFileSync(PIPELINE_DOC, "utf8");
    const section = /^## Set by hand at bootstrap\s*$([\s\S]*?)(?=^## )/m.exec(text);
    assert.ok(section, "docs/pipeline.md has no '## Set by hand at bootstrap' section");
    return [...section[1].matchAll(/^\|\s*`([A-Za-z_][A-Za-z0-9_]*)`\s*\|/gm)].map((m) => m[1]);
}

describe("pipeline: every variable it reads is provisioned or documented", () => {
    const provisioned = new Set(PROVISIONED_VARIABLE_NAMES);
    let external = new Map<string, string[]>();
    let documented = new Set<string>();
    before(() => {
        external = externalVariables(readCiFile());
        documented = new Set(documentedBootstrapVariables());
    });

    it("finds the variables the pipeline reads (the scan itself works)", () => {
        // Known reads: a backend variable in before_script and the role ARN indirection.
        assert.ok(external.has("PULUMI_ACCESS_TOKEN"), [...external.keys()].join(", "));
        assert.ok(external.has("AWS_DEPLOY_ROLE_ARN"));
        // Defined in the file or by GitLab: not external.
        for (const name of ["DOCKER_HOST", "AWS_ID_TOKEN", "STAGING_URL", "CI_COMMIT_BRANCH", "NODE_IMAGE"]) {
            assert.ok(!external.has(name), `${name} should count as defined`);
        }
    });

    it("flags a variable nobody defines, and not ones the file, a script, a dotenv report or GitLab define", () => {
        const found = externalVariables({
            variables: { IMAGE_TAG: "1.0" },
            build: {
                script: ['OUT="$(date)"', 'echo "$OUT $IMAGE_TAG $CI_COMMIT_SHA ${SURPRISE_TOKEN:-}"', 'echo "URL=x" >> deploy.env'],
                variables: { LOCAL: "$ANOTHER_SURPRISE" },
            },
            later: { script: ["curl $URL"], needs: ["build"] },
        });
        assert.deepStrictEqual([...found.keys()].sort(), ["ANOTHER_SURPRISE", "SURPRISE_TOKEN"]);
        assert.deepStrictEqual(found.get("SURPRISE_TOKEN"), ["build"]);
    });

    it("each variable .gitlab-ci.yml reads is provisioned by the GitLab components or set by hand per docs/pipeline.md", () => {
        const missing = [...external.entries()]
            .filter(([name]) => !provisioned.has(name) && !documented.has(name))
            .map(([name, where]) => `${name} (read in ${[...new Set(where)].join(", ")})`);
        assert.deepStrictEqual(missing, []);
    });

    it("each variable the MR note script reads is provisioned or documented", () => {
        const names = noteScriptVariables();
        assert.ok(names.includes("MR_NOTE_TOKEN"), names.join(", "));
        assert.deepStrictEqual(names.filter((name) => !provisioned.has(name) && !documented.has(name)), []);
    });

    it("documents no bootstrap variable the pipeline does not read (the table stays true)", () => {
        const read = new Set([...external.keys(), ...noteScriptVariables()]);
        assert.deepStrictEqual([...documented].filter((name) => !read.has(name)), []);
    });

    it("documents by hand only what the components do not provision (one source per variable)", () => {
        assert.deepStrictEqual([...documented].filter((name) => provisioned.has(name)), []);
    });
});
