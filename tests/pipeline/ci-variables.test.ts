import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { PROVISIONED_VARIABLE_NAMES } from "../../components/gitlab/variables";
import { Hash, isHash, readCiFile, REPO_ROOT, resolvedJobs, scriptLines } from "./support/ci-config";

const PIPELINE_DOC = path.join(REPO_ROOT, "docs", "pipeline.md");
const NOTE_SCRIPT = path.join(REPO_ROOT, "scripts", "mr-note", "main.ts");

/** GitLab sets these itself: https://docs.gitlab.com/ci/variables/predefined_variables/ */
function isPredefined(name: string): boolean {
    return /^(CI|GITLAB)_/.test(name) || name === "CI" || name === "GITLAB_CI";
}

const REFERENCE = /\$\{?([A-Za-z_][A-Za-z0-9_]*)/g;

function referencesIn(text: string): string[] {
    return [...text.replace(/\$\$/g, "").matchAll(REFERENCE)].map((m) => m[1]);
}

function stringsIn(value: unknown, out: string[] = []): string[] {
    if (typeof value === "string") out.push(value);
    else if (Array.isArray(value)) value.forEach((v) => stringsIn(v, out));
    else if (isHash(value)) Object.values(value).forEach((v) => stringsIn(v, out));
    return out;
}

/** Names a job's scripts assign themselves: `NAME=...`, `export NAME=...`, `for NAME in`, dotenv lines. */
function assignedInScripts(lines: readonly string[]): Set<string> {
    const names = new Set<string>();
    for (const line of lines) {
        for (const m of line.matchAll(/(?:^|[\s;&|(])(?:export\s+|local\s+)?([A-Za-z_][A-Za-z0-9_]*)=/g)) names.add(m[1]);
        for (const m of line.matchAll(/\bfor\s+([A-Za-z_][A-Za-z0-9_]*)\s+in\b/g)) names.add(m[1]);
    }
    return names;
}

/** Variables a job gets from the dotenv report of a job it needs (`echo "NAME=..." >> deploy.env`). */
function dotenvExports(job: Hash): Set<string> {
    const names = new Set<string>();
    for (const line of scriptLines(job)) {
        const m = /echo\s+"([A-Za-z_][A-Za-z0-9_]*)=.*"\s*>>?\s*deploy\.env/.exec(line);
        if (m) names.add(m[1]);
    }
    return names;
}

/** Every variable the pipeline reads that neither GitLab nor the file itself defines, with where it is read. */
export function externalVariables(doc: Hash): Map<string, string[]> {
    const jobs = resolvedJobs(doc);
    const globals = new Set(Object.keys(isHash(doc.variables) ? doc.variables : {}));
    const fromDotenv = new Set<string>();
    Object.values(jobs).forEach((job) => dotenvExports(job).forEach((n) => fromDotenv.add(n)));

    const found = new Map<string, string[]>();
    const note = (name: string, where: string) => found.set(name, [...(found.get(name) ?? []), where]);

    for (const name of referencesIn(stringsIn([doc.workflow, doc.variables]).join("\n"))) {
        if (!isPredefined(name) && !globals.has(name)) note(name, "workflow/variables");
    }
    for (const [jobName, job] of Object.entries(jobs)) {
        const own = new Set([
            ...globals,
            ...Object.keys(isHash(job.variables) ? job.variables : {}),
            ...Object.keys(isHash(job.id_tokens) ? job.id_tokens : {}),
            ...assignedInScripts(scriptLines(job)),
            ...fromDotenv,
        ]);
        for (const name of referencesIn(stringsIn(job).join("\n"))) {
            if (!isPredefined(name) && !own.has(name)) note(name, jobName);
        }
    }
    return found;
}

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
