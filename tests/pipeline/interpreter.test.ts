// .gitlab-ci.yml read and run by a GitLab CI interpreter (gitlab-ci-local): which jobs each kind of
// pipeline really gets, and the deploy chain run with the shell executor against stand-in CLIs.
import * as assert from "assert";
import { spawnSync } from "child_process";
import { ESLint } from "eslint";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { Hash, isHash, REPO_ROOT } from "./support/ci-config";
import {
    expandedConfig, gitlabCiLocal, ListedJob, PipelineKind, PIPELINES, ProjectCopy, runJobs, runningJobs, withoutServices,
    workflowCreatesPipeline,
} from "./support/interpreter";

const CI_TEXT = fs.readFileSync(path.join(REPO_ROOT, ".gitlab-ci.yml"), "utf8");
const STAND_INS = path.join(__dirname, "fixtures", "stand-ins");

type Expected = Record<string, { when: string; allowFailure: boolean; needs?: string[] }>;
const starts = (when = "on_success", allowFailure = false) => ({ when, allowFailure, needs: [] as string[] });

/** The decided matrix: per pipeline, whether the workflow creates it and each job's when / allow_failure / needs. */
const MATRIX: { pipeline: PipelineKind; created: boolean; jobs: Expected }[] = [
    {
        pipeline: PIPELINES.mergeRequest, created: true,
        jobs: { test: starts(), e2e: starts(), preview: starts("manual", true) },
    },
    {
        pipeline: PIPELINES.defaultBranchPush, created: true,
        jobs: {
            test: starts(), e2e: starts(), preview: starts(),
            deploy_staging: { when: "on_success", allowFailure: false, needs: ["e2e", "test"] },
            stop_staging: starts("manual", true),
            image_scan: { when: "on_success", allowFailure: false, needs: ["deploy_staging"] },
        },
    },
    { pipeline: PIPELINES.featureBranchPush, created: false, jobs: {} },
    {
        // Production deploys only here: its AWS role trusts the release tags and no branch (issue 18).
        pipeline: PIPELINES.tag, created: true,
        jobs: {
            test: starts(), e2e: starts(), preview: starts(),
            deploy_staging: { when: "on_success", allowFailure: false, needs: ["e2e", "test"] },
            stop_staging: starts("manual", true),
            image_scan: { when: "on_success", allowFailure: false, needs: ["deploy_staging"] },
            deploy_production: { when: "manual", allowFailure: false, needs: ["deploy_staging", "image_scan"] },
        },
    },
    { pipeline: PIPELINES.unprotectedTag, created: false, jobs: {} },
    { pipeline: PIPELINES.schedule, created: true, jobs: { test: starts(), e2e: starts() } },
];

function summary(jobs: Record<string, ListedJob>): Expected {
    return Object.fromEntries(Object.values(jobs).map((job) => [job.name,
        { when: job.when, allowFailure: job.allowFailure, ...(job.needs ? { needs: [...job.needs] } : {}) }]));
}

describe("pipeline: run by a GitLab CI interpreter (gitlab-ci-local)", function () {
    this.timeout(300_000); // one interpreter process per pipeline; slow on a busy machine
    let copy: ProjectCopy;
    before(() => {
        copy = new ProjectCopy({ ".gitlab-ci.yml": CI_TEXT });
    });
    after(() => copy?.remove());

    describe("each kind of pipeline: which jobs run, their when and their needs", () => {
        for (const { pipeline, created, jobs } of MATRIX) {
            it(`${pipeline.label}: ${created ? Object.keys(jobs).join(", ") : "no pipeline"}`, () => {
                assert.strictEqual(workflowCreatesPipeline(CI_TEXT, pipeline), created, "workflow:rules");
                // Even where workflow:rules create no pipeline, no job's own rules may let it run.
                assert.deepStrictEqual(summary(runningJobs(copy, pipeline)), jobs);
            });
        }
    });

    describe("needs: every job a running job needs runs in the same pipeline", () => {
        for (const { pipeline } of MATRIX.filter((row) => row.created)) {
            it(pipeline.label, () => {
                const run = gitlabCiLocal(copy, pipeline, ["--validate-dependency-chain"]);
                assert.strictEqual(run.status, 0, run.stdout + run.stderr);
                assert.match(run.stdout, /All job dependencies are valid/);
            });
        }
        it("the check fails on a copy where the merge-request preview needs deploy_staging", () => {
            const broken = new ProjectCopy({ ".gitlab-ci.yml": CI_TEXT.replace(/^(preview:\n(?:.*\n)*?) {2}needs: \[\]$/m, "$1  needs: [deploy_staging]") });
            try {
                assert.notStrictEqual(fs.readFileSync(path.join(broken.dir, ".gitlab-ci.yml"), "utf8"), CI_TEXT);
                assert.notStrictEqual(gitlabCiLocal(broken, PIPELINES.mergeRequest, ["--validate-dependency-chain"]).status, 0);
            } finally {
                broken.remove();
            }
        });
    });

    describe("workflow:rules, evaluated by the interpreter (the probe can fail)", () => {
        it("reports a pipeline the rules drop as dropped: a copy whose workflow creates nothing for pushes", () => {
            const dropsPushes = CI_TEXT.replace(/^workflow:\n {2}[\s\S]*?\n {2}rules:\n/m,
                "workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE == \"push\"\n      when: never\n");
            assert.notStrictEqual(dropsPushes, CI_TEXT);
            assert.strictEqual(workflowCreatesPipeline(dropsPushes, PIPELINES.defaultBranchPush), false);
            assert.strictEqual(workflowCreatesPipeline(dropsPushes, PIPELINES.mergeRequest), true);
        });
        it("creates no second, branch pipeline for a feature branch whose merge request is open", () => {
            assert.strictEqual(workflowCreatesPipeline(CI_TEXT, PIPELINES.featureBranchPushWithOpenMr), false);
        });
    });

    describe("defects of the old file, each fixed", () => {
        it("2: schedules, web and API runs on the default branch test, and deploy nothing", () => {
            for (const pipeline of [PIPELINES.schedule, PIPELINES.web, PIPELINES.api]) {
                assert.strictEqual(workflowCreatesPipeline(CI_TEXT, pipeline), true, pipeline.label);
                const jobs = Object.keys(runningJobs(copy, pipeline)).sort();
                assert.deepStrictEqual(jobs, ["e2e", "test"], pipeline.label);
            }
        });

        it("3: an open merge request from the default branch does not suppress the default branch's pipeline", () => {
            assert.strictEqual(workflowCreatesPipeline(CI_TEXT, PIPELINES.defaultBranchPushWithOpenMr), true);
            const jobs = runningJobs(copy, PIPELINES.defaultBranchPushWithOpenMr);
            assert.ok(jobs.deploy_staging && jobs.image_scan, Object.keys(jobs).join(", "));
        });

        it("4: every lockfile a job installs from keys a cache of that job, and that cache holds the npm cache used", () => {
            const config = expandedConfig(copy);
            const checked: string[] = [];
            for (const [name, job] of Object.entries(config)) {
                if (!isHash(job) || name.startsWith(".") || !Array.isArray(job.script)) continue;
                const lines = ["before_script", "script"].flatMap((key) => (Array.isArray(job[key]) ? job[key] as string[] : []));
                const caches = (Array.isArray(job.cache) ? job.cache : isHash(job.cache) ? [job.cache] : []).filter(isHash);
                for (const line of lines) {
                    const install = /\bnpm (?:--prefix (\S+) )?ci\b(.*)$/.exec(line);
                    if (!install) continue;
                    const dir = install[1] ?? ".";
                    const cacheDir = /--cache "?\$CI_PROJECT_DIR\/([^"\s]+)"?/.exec(install[2])?.[1] ?? ".npm";
                    const lockfile = path.posix.join(dir, "package-lock.json");
                    const covering = caches.find((cache) => isHash(cache.key) && Array.isArray(cache.key.files)
                        && (cache.key.files as string[]).includes(lockfile));
                    assert.ok(covering, `${name}: ${lockfile} (installed by \`${line}\`) keys none of its caches`);
                    assert.ok((covering.paths as string[]).some((p) => p.replace(/\/$/, "") === cacheDir),
                        `${name}: the cache keyed on ${lockfile} does not hold ${cacheDir}/, where \`${line}\` caches`);
                    checked.push(`${name}:${lockfile}`);
                }
            }
            assert.ok(checked.includes("deploy_production:policy/package-lock.json"), checked.join(", "));
        });

        it("5: Trivy's findings are published as a container_scanning report, and the HIGH/CRITICAL gate stays", () => {
            const scan = expandedConfig(copy).image_scan as Hash;
            const artifacts = scan.artifacts as Hash;
            const report = (artifacts.reports as Hash).container_scanning;
            assert.strictEqual(typeof report, "string", "image_scan has no container_scanning report");
            const script = (scan.script as string[]).join("\n");
            assert.match(script, new RegExp(`trivy convert --format template --template "@/contrib/gitlab\\.tpl" --output ${String(report).replace(/\./g, "\\.")} trivy-report\\.json`));
            assert.match(script, /trivy image --exit-code 1 --severity HIGH,CRITICAL --ignore-unfixed "\$STAGING_IMAGE"/);
            assert.strictEqual(artifacts.when, "always", "the report is kept when the gate fails");
        });

        it("6: staging has no auto_stop_in: no timer destroys the stack production reads", () => {
            const environment = (expandedConfig(copy).deploy_staging as Hash).environment as Hash;
            assert.strictEqual(environment.auto_stop_in, undefined);
            assert.strictEqual(environment.on_stop, "stop_staging", "a person can still stop it");
        });
    });

    describe("1: production deploys the digest its own pipeline deployed to staging and scanned", () => {
        const DIGEST_A = `sha256:${"a".repeat(64)}`;
        const DIGEST_B = `sha256:${"b".repeat(64)}`;
        const CREDENTIALS = {
            PULUMI_BACKEND_URL: "file:///state", PULUMI_CONFIG_PASSPHRASE: "stand-in-passphrase",
            AWS_DEPLOY_ROLE_ARN: "arn:aws:iam::111122223333:role/deploy",
        };
        const shellFile = withoutServices(CI_TEXT);
        let state: string;
        let pipelineA: ProjectCopy;
        let pipelineB: ProjectCopy;
        const BUILDER_SCRIPT = "scripts/buildkit/remote-builder.sh";
        const env = (digest?: string) => ({
            PATH: `${STAND_INS}:${process.env.PATH}`, STANDIN_STATE: state, DOCKER_CONFIG: path.join(state, "docker"),
            ...(digest ? { NEXT_STAGING_DIGEST: digest } : {}),
        });
        const calls = () => fs.readFileSync(path.join(state, "calls.log"), "utf8").split("\n");

        beforeEach(() => {
            state = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-stand-ins-"));
            // deploy_staging registers the rootless BuildKit service as its builder with this script, run for real.
            const files = { ".gitlab-ci.yml": shellFile, [BUILDER_SCRIPT]: fs.readFileSync(path.join(REPO_ROOT, BUILDER_SCRIPT), "utf8") };
            pipelineA = new ProjectCopy(files);
            pipelineB = new ProjectCopy(files);
        });
        afterEach(() => {
            pipelineA?.remove();
            pipelineB?.remove();
            fs.rmSync(state, { recursive: true, force: true });
        });

        it("release A waits for approval while a push B redeploys staging: clicking A ships A's digest, not B's", () => {
            const release = PIPELINES.tag;
            const a = runJobs(pipelineA, release, ["deploy_staging", "image_scan"], { env: env(DIGEST_A), extraVariables: CREDENTIALS });
            assert.strictEqual(a.status, 0, a.stdout + a.stderr);
            const b = runJobs(pipelineB, PIPELINES.defaultBranchPush, ["deploy_staging"], { env: env(DIGEST_B), extraVariables: CREDENTIALS });
            assert.strictEqual(b.status, 0, b.stdout + b.stderr);
            assert.match(fs.readFileSync(path.join(state, "staging.image"), "utf8"), /sha256:b{64}/, "B now runs on staging");
            const builder = JSON.parse(fs.readFileSync(path.join(state, "docker", "buildx", "instances", "cicd-rootless"), "utf8"));
            assert.deepStrictEqual([builder.Driver, builder.Nodes[0].Endpoint], ["remote", "tcp://buildkitd:1234"], "deploy_staging registered its builder");

            const production = runJobs(pipelineA, release, ["deploy_production"], { env: env(), extraVariables: CREDENTIALS });
            assert.strictEqual(production.status, 0, production.stdout + production.stderr);
            assert.strictEqual(fs.readFileSync(path.join(state, "prod.image"), "utf8").trim(),
                `registry.example.com/group/app@${DIGEST_A}`, "production got another pipeline's image");
        });

        it("refuses, before any pulumi call, when the pipeline's scan did not pass the digest staging got", () => {
            const production = runJobs(pipelineA, PIPELINES.tag, ["deploy_production"], {
                env: env(), extraVariables: { ...CREDENTIALS, STAGING_IMAGE: `registry.example.com/group/app@${DIGEST_A}` },
            });
            assert.notStrictEqual(production.status, 0, "deploy_production ran without a scan of its image");
            assert.match(production.stdout + production.stderr, /refusing to deploy production: image_scan of this pipeline passed/);
            assert.ok(!calls().some((line) => line.startsWith("pulumi up")), calls().join("\n"));
        });

        it("refuses when staging exported no digest", () => {
            const production = runJobs(pipelineA, PIPELINES.tag, ["deploy_production"], {
                env: env(), extraVariables: { ...CREDENTIALS, STAGING_IMAGE: "registry.example.com/group/app:latest", SCANNED_IMAGE: "registry.example.com/group/app:latest" },
            });
            assert.notStrictEqual(production.status, 0);
            assert.match(production.stdout + production.stderr, /refusing to deploy production: deploy_staging of this pipeline exported no image digest/);
        });
    });

    describe("deploy jobs: no install script runs once the OIDC token is on disk", () => {
        it("every npm install after the token is written has --ignore-scripts", () => {
            const config = expandedConfig(copy);
            const checked: string[] = [];
            for (const [name, job] of Object.entries(config)) {
                if (!isHash(job) || !isHash(job.id_tokens)) continue;
                const lines = ["before_script", "script"].flatMap((key) => (Array.isArray(job[key]) ? job[key] as string[] : []));
                const written = lines.findIndex((line) => line.includes("$AWS_WEB_IDENTITY_TOKEN_FILE") && line.includes(">"));
                assert.ok(written >= 0, `${name} has an ID token but never writes it`);
                for (const line of lines.slice(written)) {
                    if (/\bnpm (?:--prefix \S+ )?(?:ci|install|i)\b/.test(line)) {
                        assert.match(line, /--ignore-scripts\b/, `${name}: ${line}`);
                        checked.push(name);
                    }
                }
            }
            assert.ok(checked.includes("deploy_production") && checked.includes("preview"), checked.join(", "));
        });
    });

    describe("build cache (issue 18): only the release build has one, in a cache merge requests cannot write", () => {
        it("deploy_staging alone gets BUILD_CACHE_DIR, inside a cache of its own; no cache is shared with unprotected refs", () => {
            const config = expandedConfig(copy);
            const withCacheDir: string[] = [];
            for (const [name, job] of Object.entries(config)) {
                if (!isHash(job) || name.startsWith(".")) continue;
                const caches = (Array.isArray(job.cache) ? job.cache : isHash(job.cache) ? [job.cache] : []).filter(isHash);
                assert.ok(caches.every((cache) => cache.unprotect !== true), `${name} shares a cache with unprotected refs`);
                const variables = isHash(job.variables) ? job.variables : {};
                if (variables.BUILD_CACHE_DIR === undefined) continue;
                withCacheDir.push(name);
                assert.strictEqual(variables.BUILD_CACHE_DIR, "$CI_PROJECT_DIR/.buildkit-cache");
                assert.ok(caches.some((cache) => (cache.paths as string[]).includes(".buildkit-cache/")), `${name}: the folder is in no cache`);
            }
            assert.deepStrictEqual(withCacheDir, ["deploy_staging"]);
            assert.strictEqual(isHash((config.variables as Hash)) && (config.variables as Hash).BUILD_CACHE_DIR, undefined);
        });
    });

    describe("the interpreter's state folder", () => {
        it("is neither linted nor committed", async () => {
            const eslint = new ESLint({ cwd: REPO_ROOT });
            assert.strictEqual(await eslint.isPathIgnored(path.join(REPO_ROOT, ".gitlab-ci-local", "builds", "x.ts")), true);
            // In a scratch repository with the project's .gitignore: a CI job's checkout may have no .git.
            const scratch = new ProjectCopy({ ".gitignore": fs.readFileSync(path.join(REPO_ROOT, ".gitignore"), "utf8") });
            try {
                const ignored = spawnSync("git", ["check-ignore", "--quiet", ".gitlab-ci-local/state.yml"], { cwd: scratch.dir });
                assert.strictEqual(ignored.status, 0, "git does not ignore .gitlab-ci-local/");
            } finally {
                scratch.remove();
            }
        });
    });
});
