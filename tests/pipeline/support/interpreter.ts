// Runs .gitlab-ci.yml through gitlab-ci-local (a GitLab CI interpreter) in a throwaway git repository
// shaped like the GitLab project: origin's default branch `main`, the checked-out branch of the pipeline.
// gitlab-ci-local needs Node 22 or newer and rsync; both are located here, and their absence is an error
// that names the fix, never a skipped test.
import { spawnSync, SpawnSyncReturns } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse, stringify } from "yaml";
import { Hash, isHash, REPO_ROOT } from "./ci-config";

const INTERPRETER = path.join(REPO_ROOT, "node_modules", "gitlab-ci-local", "dist", "index.js");
const MIN_NODE_MAJOR = 22;
export const PROJECT_REMOTE = "git@gitlab.example.com:group/app.git";
export const DEFAULT_BRANCH = "main";

function nodeMajor(node: string): number | undefined {
    const result = spawnSync(node, ["-p", "process.versions.node"], { encoding: "utf8" });
    return result.status === 0 ? Number(result.stdout.trim().split(".")[0]) : undefined;
}

let cachedNode: string | undefined;

/**
 * A Node binary new enough for gitlab-ci-local: INTERPRETER_NODE, then the running Node, then `node` on PATH,
 * then the `node@24` npm package through npx (which the platform's Node 24 step makes unnecessary).
 */
export function interpreterNode(): string {
    if (cachedNode) return cachedNode;
    const candidates: string[] = [];
    if (process.env.INTERPRETER_NODE) candidates.push(process.env.INTERPRETER_NODE);
    candidates.push(process.execPath, "node");
    for (const candidate of candidates) {
        if ((nodeMajor(candidate) ?? 0) >= MIN_NODE_MAJOR) return (cachedNode = candidate);
    }
    const npx = spawnSync("npx", ["--yes", "node@24", "-p", "process.execPath"], { encoding: "utf8", timeout: 300_000 });
    const fromNpx = npx.status === 0 ? npx.stdout.trim().split("\n").pop() ?? "" : "";
    if (fromNpx && (nodeMajor(fromNpx) ?? 0) >= MIN_NODE_MAJOR) return (cachedNode = fromNpx);
    throw new Error(`gitlab-ci-local needs Node ${MIN_NODE_MAJOR} or newer, and none was found (tried ${candidates.join(", ")} `
        + `and \`npx --yes node@24\`: ${(npx.stderr || npx.error?.message || "").trim().slice(0, 300)}). `
        + "Run the tests on Node 24, or set INTERPRETER_NODE to a Node 22+ binary.");
}

function requireRsync(): void {
    if (spawnSync("rsync", ["--version"], { encoding: "utf8" }).status !== 0) {
        throw new Error("gitlab-ci-local needs rsync to run jobs, and it is not installed (apt-get install rsync)");
    }
}

/** What GitLab sets for one kind of pipeline. `branch` is checked out; `unset` are predefined variables GitLab leaves out. */
export interface PipelineKind {
    readonly label: string;
    readonly branch: string;
    readonly variables: Readonly<Record<string, string>>;
    readonly unset?: readonly string[];
}

const MR_BRANCH = "feature/login";

export const PIPELINES = {
    mergeRequest: {
        label: "merge request", branch: MR_BRANCH, unset: ["CI_COMMIT_BRANCH"],
        variables: {
            CI_PIPELINE_SOURCE: "merge_request_event", CI_MERGE_REQUEST_IID: "7", CI_COMMIT_REF_PROTECTED: "false",
            CI_MERGE_REQUEST_SOURCE_BRANCH_NAME: MR_BRANCH, CI_MERGE_REQUEST_TARGET_BRANCH_NAME: DEFAULT_BRANCH,
            CI_MERGE_REQUEST_EVENT_TYPE: "detached",
        },
    },
    defaultBranchPush: {
        label: "push to the default branch", branch: DEFAULT_BRANCH,
        variables: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_REF_PROTECTED: "true" },
    },
    featureBranchPush: {
        label: "push to a feature branch without a merge request", branch: MR_BRANCH,
        variables: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_REF_PROTECTED: "false" },
    },
    tag: {
        label: "protected release tag", branch: DEFAULT_BRANCH, unset: ["CI_COMMIT_BRANCH"],
        variables: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_TAG: "v1.4.0", CI_COMMIT_REF_NAME: "v1.4.0", CI_COMMIT_REF_PROTECTED: "true" },
    },
    unprotectedTag: {
        label: "unprotected tag", branch: DEFAULT_BRANCH, unset: ["CI_COMMIT_BRANCH"],
        variables: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_TAG: "try-1", CI_COMMIT_REF_NAME: "try-1", CI_COMMIT_REF_PROTECTED: "false" },
    },
    schedule: {
        label: "schedule on the default branch", branch: DEFAULT_BRANCH,
        variables: { CI_PIPELINE_SOURCE: "schedule", CI_COMMIT_REF_PROTECTED: "true" },
    },
    // Sources beyond the five, for the defects they had.
    web: {
        label: "web run on the default branch", branch: DEFAULT_BRANCH,
        variables: { CI_PIPELINE_SOURCE: "web", CI_COMMIT_REF_PROTECTED: "true" },
    },
    api: {
        label: "API run on the default branch", branch: DEFAULT_BRANCH,
        variables: { CI_PIPELINE_SOURCE: "api", CI_COMMIT_REF_PROTECTED: "true" },
    },
    defaultBranchPushWithOpenMr: {
        label: "push to the default branch while a merge request from it is open", branch: DEFAULT_BRANCH,
        variables: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_REF_PROTECTED: "true", CI_OPEN_MERGE_REQUESTS: "group/app!9" },
    },
    featureBranchPushWithOpenMr: {
        label: "push to a feature branch with an open merge request", branch: MR_BRANCH,
        variables: { CI_PIPELINE_SOURCE: "push", CI_COMMIT_REF_PROTECTED: "false", CI_OPEN_MERGE_REQUESTS: "group/app!7" },
    },
} satisfies Record<string, PipelineKind>;

/** A throwaway git repository holding `files` (path -> content), committed, on the pipeline's branch. */
export class ProjectCopy {
    readonly dir: string;

    constructor(files: Readonly<Record<string, string>>, branch = DEFAULT_BRANCH) {
        this.dir = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-gcl-"));
        for (const [file, content] of Object.entries(files)) {
            fs.mkdirSync(path.dirname(path.join(this.dir, file)), { recursive: true });
            fs.writeFileSync(path.join(this.dir, file), content, { mode: file.endsWith(".sh") ? 0o755 : 0o644 });
        }
        const git = (...args: string[]) => {
            const result = spawnSync("git", args, { cwd: this.dir, encoding: "utf8" });
            if (result.status !== 0) throw new Error(`git ${args.join(" ")} failed: ${result.stderr}`);
        };
        git("init", "--quiet", "--initial-branch", DEFAULT_BRANCH);
        git("add", "--all");
        git("-c", "user.name=ci", "-c", "user.email=ci@example.com", "commit", "--quiet", "--message", "pipeline under test");
        git("remote", "add", "origin", PROJECT_REMOTE);
        git("update-ref", `refs/remotes/origin/${DEFAULT_BRANCH}`, "HEAD");
        git("symbolic-ref", "refs/remotes/origin/HEAD", `refs/remotes/origin/${DEFAULT_BRANCH}`);
        if (branch !== DEFAULT_BRANCH) git("checkout", "--quiet", "-b", branch);
    }

    checkout(branch: string): void {
        const exists = spawnSync("git", ["rev-parse", "--verify", "--quiet", branch], { cwd: this.dir }).status === 0;
        const result = spawnSync("git", exists ? ["checkout", "--quiet", branch] : ["checkout", "--quiet", "-b", branch], { cwd: this.dir, encoding: "utf8" });
        if (result.status !== 0) throw new Error(`git checkout ${branch} failed: ${result.stderr}`);
    }

    remove(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}

export interface InterpreterRun {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** gitlab-ci-local with the pipeline's variables, in `copy`. */
export function gitlabCiLocal(copy: ProjectCopy, pipeline: PipelineKind, args: readonly string[],
    options: { env?: NodeJS.ProcessEnv; timeoutMs?: number; extraVariables?: Readonly<Record<string, string>> } = {}): InterpreterRun {
    copy.checkout(pipeline.branch);
    const variables = { ...pipeline.variables, ...options.extraVariables };
    const cli = [INTERPRETER, ...args, "--no-color", "--json-schema-validation=false",
        "--home", path.join(copy.dir, ".gcl-home"),
        "--ignore-predefined-vars", [...Object.keys(variables), ...(pipeline.unset ?? [])].join(","),
        ...Object.entries(variables).flatMap(([name, value]) => ["--variable", `${name}=${value}`]),
        ...(pipeline.unset ?? []).flatMap((name) => ["--unset-variable", name])];
    // gitlab-ci-local reads GCL_* variables as options; one running these tests inside its own job sets some.
    const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith("GCL_")));
    const result: SpawnSyncReturns<string> = spawnSync(interpreterNode(), cli, {
        cwd: copy.dir, encoding: "utf8", env: { ...inherited, ...options.env }, timeout: options.timeoutMs ?? 120_000,
        maxBuffer: 64 * 1024 * 1024,
    });
    if (result.error) throw result.error;
    return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** One job as the interpreter lists it for a pipeline. */
export interface ListedJob {
    readonly name: string;
    readonly stage: string;
    readonly when: string;
    readonly allowFailure: boolean;
    /** undefined: the job follows stage order; [] starts at once. */
    readonly needs?: readonly string[];
}

function jsonAfterLogLines(stdout: string): unknown {
    const start = stdout.search(/^\[/m);
    if (start < 0) throw new Error(`gitlab-ci-local printed no job list:\n${stdout.slice(0, 2000)}`);
    return JSON.parse(stdout.slice(start));
}

/** Every job of the file with the interpreter's verdict for this pipeline (`when: never` = not in it). */
export function listJobs(copy: ProjectCopy, pipeline: PipelineKind): ListedJob[] {
    const run = gitlabCiLocal(copy, pipeline, ["--list-json"]);
    if (run.status !== 0) throw new Error(`gitlab-ci-local --list-json failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    const listed = jsonAfterLogLines(run.stdout) as { name: string; stage: string; when: string; allow_failure: unknown; needs?: unknown[] }[];
    return listed.map((job) => ({
        name: job.name, stage: job.stage, when: job.when, allowFailure: job.allow_failure === true,
        needs: job.needs === undefined || job.needs === null ? undefined
            : job.needs.map((need) => (isHash(need) ? String(need.job) : String(need))).sort(),
    }));
}

/** The jobs that run in this pipeline, by name. */
export function runningJobs(copy: ProjectCopy, pipeline: PipelineKind): Record<string, ListedJob> {
    return Object.fromEntries(listJobs(copy, pipeline).filter((job) => job.when !== "never").map((job) => [job.name, job]));
}

/** The file as the interpreter reads it: includes, `extends`, `default:` and `!reference` expanded. */
export function expandedConfig(copy: ProjectCopy): Hash {
    const run = gitlabCiLocal(copy, PIPELINES.defaultBranchPush, ["--preview"]);
    if (run.status !== 0) throw new Error(`gitlab-ci-local --preview failed (${run.status}):\n${run.stdout}\n${run.stderr}`);
    const start = run.stdout.search(/^---$/m);
    const doc: unknown = parse(run.stdout.slice(Math.max(start, 0)));
    if (!isHash(doc)) throw new Error("gitlab-ci-local --preview printed no YAML mapping");
    return doc;
}

/**
 * Whether `workflow:rules` creates this pipeline. gitlab-ci-local itself does not drop pipelines through
 * workflow:rules, so a copy of the file whose only job carries those rules asks the interpreter's own rule
 * evaluator: the probe is listed with a `when` other than `never` exactly when the workflow matches.
 */
export function workflowCreatesPipeline(ciText: string, pipeline: PipelineKind): boolean {
    const doc = parse(ciText) as Hash;
    const workflow = isHash(doc.workflow) ? doc.workflow : {};
    if (!Array.isArray(workflow.rules)) throw new Error("the file has no workflow:rules");
    const probe = new ProjectCopy({ ".gitlab-ci.yml": JSON.stringify({ workflow_probe: { script: ["true"], rules: workflow.rules } }) });
    try {
        const job = listJobs(probe, pipeline).find((j) => j.name === "workflow_probe");
        if (!job) throw new Error("the interpreter did not list the workflow probe");
        return job.when !== "never";
    } finally {
        probe.remove();
    }
}

/** Runs jobs with the shell executor (`--force-shell-executor`); rsync is required from here on. */
export function runJobs(copy: ProjectCopy, pipeline: PipelineKind, jobs: readonly string[], options: {
    env?: NodeJS.ProcessEnv; extraVariables?: Readonly<Record<string, string>>; needs?: boolean; timeoutMs?: number;
} = {}): InterpreterRun {
    requireRsync();
    const args = [...jobs, "--force-shell-executor", "--shell-isolation", ...(options.needs ? ["--needs"] : [])];
    return gitlabCiLocal(copy, pipeline, args, options);
}

/**
 * The file as GitLab's shell executor would run it: without `services:` (a shell runner has none). Jobs
 * that need the Docker-in-Docker service to build are not run this way; the deploy jobs' scripts only
 * call the CLIs the tests put on PATH.
 */
export function withoutServices(ciText: string): string {
    const doc = parse(ciText, { merge: true }) as Hash;
    for (const value of Object.values(doc)) {
        if (isHash(value)) delete value.services;
    }
    return stringify(doc);
}
