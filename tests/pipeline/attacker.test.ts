// Issue 18: a developer who can push a branch opens a merge request whose .gitlab-ci.yml tries to read
// production's secrets. The pipeline runs through gitlab-ci-local with the project's variables set up as
// docs/pipeline.md and the components say, per GitLab tier (support/gitlab-secrets.ts says what is modelled).
import * as assert from "assert";
import * as fs from "fs";
import * as path from "path";
import { parse, stringify } from "yaml";
import { Hash, isHash, REPO_ROOT } from "./support/ci-config";
import {
    documentedSettings, PlantedSecret, plantSecrets, provisionedSettings, refusedJobs, Tier, variablesFile,
} from "./support/gitlab-secrets";
import { branchSubject, tagSubject, trustAllows, trustPolicy, TrustSubject } from "../../components/ci/trust";
import { DEFAULT_RELEASE_TAG_PATTERN } from "../../components/gitlab/releaseTags";
import { DEFAULT_BRANCH, PipelineKind, PIPELINES, ProjectCopy, runJobs, withoutServices } from "./support/interpreter";

const CI_TEXT = fs.readFileSync(path.join(REPO_ROOT, ".gitlab-ci.yml"), "utf8");

// Every variable in the job's environment, plain and base64 (masking does not catch base64).
const DUMP = [
    "for name in $(env | cut -d= -f1 | sort -u); do printf 'loot %s=%s b64:%s\\n' \"$name\" \"$(printenv \"$name\")\" \"$(printenv \"$name\" | base64 -w0)\"; done",
];

/** The merge request's version of .gitlab-ci.yml, as an attacker writes it. */
function attackersFile(): { text: string; environments: Record<string, string | undefined> } {
    const doc = parse(withoutServices(CI_TEXT)) as Hash;
    doc.steal = { stage: "test", image: "$NODE_IMAGE", needs: [], script: DUMP };
    // The real preview job, made automatic and rewritten: it keeps its environment and ID token.
    const preview = doc.preview as Hash;
    doc.preview = { ...preview, rules: [{ when: "on_success" }], before_script: [], script: DUMP };
    doc.steal_staging = { stage: "test", image: "$NODE_IMAGE", needs: [], environment: { name: "staging" }, script: DUMP };
    doc.steal_production = { stage: "test", image: "$NODE_IMAGE", needs: [], environment: { name: "production", action: "prepare" }, script: DUMP };
    const environments: Record<string, string | undefined> = {};
    for (const job of ["steal", "preview", "steal_staging", "steal_production"]) {
        const environment = (doc[job] as Hash).environment;
        environments[job] = isHash(environment) ? String(environment.name) : undefined;
    }
    return { text: stringify(doc), environments };
}

/** Guarded values found in the output, plain or base64. */
function leaks(output: string, secrets: readonly PlantedSecret[]): PlantedSecret[] {
    return secrets.filter((s) => s.guarded && (output.includes(s.value) || output.includes(Buffer.from(s.value).toString("base64"))));
}

// The claims the job's ID token carries that IAM can check, as GitLab builds them from the job's ref: `sub` from
// project_path, ref_type and ref (docs: ci_id_token_sub_claim_components), `aud` as `id_tokens` requests it.
const CLAIMS = [
    "ref_type=branch; if [ -n \"${CI_COMMIT_TAG:-}\" ]; then ref_type=tag; fi",
    "printf 'claims %s sub=project_path:%s:ref_type:%s:ref:%s aud=%s role=%s\\n' \"$CI_JOB_NAME\" \"$CI_PROJECT_PATH\" \"$ref_type\" \"$CI_COMMIT_REF_NAME\" \"$CI_SERVER_URL\" \"$AWS_ROLE_ARN\"",
];

/** Each job's printed claims, by job name. */
function claimsOf(output: string): Record<string, { sub: string; aud: string; role: string }> {
    const found: Record<string, { sub: string; aud: string; role: string }> = {};
    for (const match of output.matchAll(/^\S+\s.*?claims (\S+) sub=(\S+) aud=(\S+) role=(\S*)$/gm)) {
        found[match[1]] = { sub: match[2], aud: match[3], role: match[4] };
    }
    return found;
}

interface AttackRun {
    readonly ran: string[];
    readonly refused: string[];
    readonly output: string;
    readonly secrets: PlantedSecret[];
}

function attack(tier: Tier, pipeline: PipelineKind, userMayDeploy: boolean, jobs?: readonly string[]): AttackRun {
    const settings = [...documentedSettings(tier), ...provisionedSettings()];
    const secrets = plantSecrets(settings);
    const { text, environments } = attackersFile();
    const copy = new ProjectCopy({ ".gitlab-ci.yml": text });
    try {
        fs.writeFileSync(path.join(copy.dir, ".gitlab-ci-local-variables.yml"),
            variablesFile(settings, secrets, pipeline.variables.CI_COMMIT_REF_PROTECTED === "true"));
        const candidates = jobs ?? Object.keys(environments);
        const refused = refusedJobs(Object.fromEntries(candidates.map((j) => [j, environments[j]])), tier, userMayDeploy);
        const ran = candidates.filter((job) => !refused.includes(job));
        const run = runJobs(copy, pipeline, ran);
        assert.strictEqual(run.status, 0, run.stdout + run.stderr);
        for (const job of ran) assert.match(run.stdout, new RegExp(`^${job}\\s.*loot PATH=`, "m"), `${job} did not run its dump`);
        return { ran, refused, output: run.stdout + run.stderr, secrets };
    } finally {
        copy.remove();
    }
}

describe("attacker: a merge request's own jobs receive none of production's secrets (issue 18)", function () {
    this.timeout(300_000);

    it("reads the settings it plays from the docs and the components (the model is not empty)", () => {
        for (const tier of ["free", "premium"] as const) {
            const keys = documentedSettings(tier).map((s) => s.key);
            for (const key of ["PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "MR_NOTE_TOKEN"]) assert.ok(keys.includes(key), `${tier}: ${key}`);
        }
        assert.ok(documentedSettings("free").filter((s) => s.key !== "PULUMI_BACKEND_URL").every((s) => s.protected));
        assert.ok(documentedSettings("premium").every((s) => !s.protected && (s.environments ?? []).includes("production")));
    });

    describe("Free: protected variables", () => {
        it("the attacker's jobs, even those claiming environment production or staging, get none", () => {
            const run = attack("free", PIPELINES.mergeRequest, false);
            assert.deepStrictEqual(run.refused, [], "Free has no protected environments: every job runs");
            assert.deepStrictEqual(leaks(run.output, run.secrets).map((s) => `${s.key}@${s.environment}`), []);
        });
        it("control: the same jobs on the protected default branch do receive them (the dump would show a leak)", () => {
            const run = attack("free", PIPELINES.defaultBranchPush, false, ["steal"]);
            const leaked = new Set(leaks(run.output, run.secrets).map((s) => s.key));
            for (const key of ["PULUMI_ACCESS_TOKEN", "PULUMI_CONFIG_PASSPHRASE", "MR_NOTE_TOKEN"]) assert.ok(leaked.has(key), key);
        });
    });

    describe("Premium/Ultimate: variables scoped to protected environments", () => {
        it("the attacker's jobs get none: without an environment nothing is in scope, with one GitLab refuses to start them", () => {
            const run = attack("premium", PIPELINES.mergeRequest, false);
            assert.deepStrictEqual(run.refused.sort(), ["preview", "steal_production", "steal_staging"]);
            assert.deepStrictEqual(leaks(run.output, run.secrets).map((s) => `${s.key}@${s.environment}`), []);
        });
        it("control: a maintainer who starts the MR's preview hands it production's values, and only production's", () => {
            const run = attack("premium", PIPELINES.mergeRequest, true, ["preview"]);
            const leaked = leaks(run.output, run.secrets);
            assert.ok(leaked.some((s) => s.key === "PULUMI_CONFIG_PASSPHRASE" && s.environment === "production"),
                "the interpreter did not apply the production scope");
            assert.deepStrictEqual(leaked.filter((s) => s.environment !== "production").map((s) => `${s.key}@${s.environment}`), []);
        });
    });

    describe("the production preview of a merge request on Free", () => {
        it("is told why there is none and who can see one, and nothing runs", () => {
            const settings = [...documentedSettings("free"), ...provisionedSettings()];
            const copy = new ProjectCopy({ ".gitlab-ci.yml": withoutServices(CI_TEXT) });
            const state = fs.mkdtempSync(path.join(copy.dir, "..", "pipeline-preview-state-"));
            try {
                fs.writeFileSync(path.join(copy.dir, ".gitlab-ci-local-variables.yml"), variablesFile(settings, plantSecrets(settings), false));
                const run = runJobs(copy, PIPELINES.mergeRequest, ["preview"], {
                    env: { PATH: `${path.join(__dirname, "fixtures", "stand-ins")}:${process.env.PATH}`, STANDIN_STATE: state },
                });
                const output = run.stdout + run.stderr;
                // The job fails (shown as a warning: it may fail) at its credentials check.
                assert.match(output, /WARN\s+preview\b/, `the preview job did not fail:\n${output}`);
                assert.match(output, /ERROR: no Pulumi backend/);
                assert.match(output, /No preview of production in this merge request: its pipeline runs code the merge request controls/);
                assert.match(output, /Who can run it: on GitLab Premium\/Ultimate a maintainer .* on Free nobody, here: main's pipeline previews production/s);
                assert.ok(!fs.existsSync(path.join(state, "calls.log")), "a CLI ran");
            } finally {
                copy.remove();
                fs.rmSync(state, { recursive: true, force: true });
            }
        });
    });

    describe("the roles' trust refuses the attacker's OIDC subject (components/ci/trust.ts)", () => {
        const issuerUrl = "https://gitlab.example.com";
        const subject: TrustSubject = {
            providerArn: "arn:aws:iam::111122223333:oidc-provider/gitlab.example.com", issuerUrl, audience: issuerUrl, projectPath: "group/app",
            defaultBranch: DEFAULT_BRANCH, releaseTagPattern: DEFAULT_RELEASE_TAG_PATTERN,
        };
        // GitLab's sub for a job of the merge request's pipeline: its source branch, whatever environment the job claims.
        const attacker = { aud: issuerUrl, sub: branchSubject("group/app", PIPELINES.mergeRequest.branch) };
        it("the pipeline's ID token asks for the audience the roles trust", () => {
            const tokens = (parse(CI_TEXT, { merge: true }) as Hash)[".pulumi"] as Hash;
            assert.deepStrictEqual((tokens.id_tokens as Hash).AWS_ID_TOKEN, { aud: "$CI_SERVER_URL" });
        });
        it("staging and production deploy roles refuse it; staging admits the default branch, production a release tag (controls)", () => {
            for (const kind of ["staging", "production"] as const) {
                assert.strictEqual(trustAllows(trustPolicy(kind, subject), issuerUrl, attacker), false, kind);
            }
            assert.strictEqual(trustAllows(trustPolicy("staging", subject), issuerUrl, { aud: issuerUrl, sub: branchSubject("group/app", DEFAULT_BRANCH) }), true);
            assert.strictEqual(trustAllows(trustPolicy("production", subject), issuerUrl, { aud: issuerUrl, sub: tagSubject("group/app", "v1.4.0") }), true);
        });
        it("only the read-only preview role admits a merge request's branch", () => {
            assert.strictEqual(trustAllows(trustPolicy("preview", subject), issuerUrl, attacker), true);
        });
    });
    describe("merged code on the default branch cannot take production's AWS role (its trust names release tags only)", () => {
        const issuerUrl = "https://gitlab.example.com";
        const PRODUCTION_ROLE = "arn:aws:iam::111122223333:role/ci-production";
        const subject: TrustSubject = {
            providerArn: "arn:aws:iam::111122223333:oidc-provider/gitlab.example.com", issuerUrl, audience: issuerUrl, projectPath: "group/app",
            defaultBranch: DEFAULT_BRANCH, releaseTagPattern: DEFAULT_RELEASE_TAG_PATTERN,
        };
        const production = trustPolicy("production", subject);

        /** The real file, with `jobs` made to print the claims of their ID token and to name production's role. */
        function claimsRun(pipeline: PipelineKind, jobs: readonly string[], addJob: boolean) {
            const doc = parse(withoutServices(CI_TEXT)) as Hash;
            for (const job of jobs.filter((j) => doc[j] !== undefined)) {
                const original = doc[job] as Hash;
                doc[job] = { ...original, needs: [], before_script: [], script: CLAIMS,
                    variables: { ...(isHash(original.variables) ? original.variables : {}), AWS_ROLE_ARN: PRODUCTION_ROLE } };
            }
            // A job merged code adds: no environment, the Pulumi template's ID token, production's role by name.
            if (addJob) doc.use_production_role = { extends: ".pulumi", stage: "test", needs: [], before_script: [], script: CLAIMS, variables: { AWS_ROLE_ARN: PRODUCTION_ROLE } };
            const settings = [...documentedSettings("free"), ...provisionedSettings()];
            const copy = new ProjectCopy({ ".gitlab-ci.yml": stringify(doc) });
            try {
                fs.writeFileSync(path.join(copy.dir, ".gitlab-ci-local-variables.yml"), variablesFile(settings, plantSecrets(settings), true));
                const names = [...jobs, ...(addJob ? ["use_production_role"] : [])];
                const run = runJobs(copy, pipeline, names);
                assert.strictEqual(run.status, 0, run.stdout + run.stderr);
                const claims = claimsOf(run.stdout);
                assert.deepStrictEqual(Object.keys(claims).sort(), [...names].sort(), run.stdout);
                return claims;
            } finally {
                copy.remove();
            }
        }

        it("deploy_staging and an added job on main, both naming production's role: AWS refuses their tokens", () => {
            const claims = claimsRun(PIPELINES.defaultBranchPush, ["deploy_staging"], true);
            for (const [job, token] of Object.entries(claims)) {
                assert.strictEqual(token.role, PRODUCTION_ROLE, `${job} did not ask for production's role`);
                assert.strictEqual(token.sub, branchSubject("group/app", DEFAULT_BRANCH), job);
                assert.strictEqual(trustAllows(production, issuerUrl, token), false, `${job} on main was admitted by the production role`);
                // Control: the token is a valid one of this project, which the staging role does admit.
                assert.strictEqual(trustAllows(trustPolicy("staging", subject), issuerUrl, token), true, job);
            }
        });

        it("a protected release tag's deploy_production presents a token the production role admits", () => {
            const claims = claimsRun(PIPELINES.tag, ["deploy_production"], false);
            const token = claims.deploy_production;
            assert.strictEqual(token.sub, tagSubject("group/app", PIPELINES.tag.variables.CI_COMMIT_TAG));
            assert.strictEqual(trustAllows(production, issuerUrl, token), true);
        });

        it("a release tag's pipeline receives the production values of every protected variable deploy_production needs", () => {
            const run = attack("free", PIPELINES.tag, true, ["steal_production"]);
            const received = new Set(leaks(run.output, run.secrets).map((s) => `${s.key}@${s.environment}`));
            for (const key of ["PULUMI_CONFIG_PASSPHRASE@*", "AWS_DEPLOY_ROLE_ARN@production", "DEPLOY_SSH_KEY@production", "POSTGRES_PASSWORD@production"]) {
                assert.ok(received.has(key), `${key} missing in a protected tag's pipeline: ${[...received].join(", ")}`);
            }
        });
    });
});
