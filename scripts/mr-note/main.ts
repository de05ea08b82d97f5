// Posts the Pulumi preview of every stack to the merge request as one note, updated in place.
// Usage: npx tsx scripts/mr-note/main.ts --dir DIR [--output FILE] [--no-post] STACK...
// DIR holds, per stack, what scripts/mr-note/run-previews.sh recorded:
//   STACK.json (stdout of `pulumi preview --json`), STACK.exit (its exit code),
//   STACK.diff.txt (output of `pulumi preview --diff --policy-pack ...`, optional).
// Exit codes: 0 every preview passed, 1 a preview failed (the note still says why), 2 bad usage.
import * as fs from "fs";
import * as path from "path";
import { gitbeakerNotesApi, MergeRequestNotesApi, upsertPreviewNote } from "./gitlab";
import { StackPreviewInput, summarizeStack } from "./preview";
import { renderNote } from "./render";

const USAGE = "usage: main.ts --dir DIR [--output FILE] [--no-post] STACK...";
const STACK_NAME = /^[A-Za-z0-9._-]+$/;
// Names of CI variables whose values must never appear in the note, even inside an error message.
const SECRET_VARIABLE_NAME = /TOKEN|PASSWORD|PASSPHRASE|SECRET|PRIVATE|CREDENTIAL|_KEY$/i;

export class UsageError extends Error {}

export interface CliOptions {
    readonly dir: string;
    readonly output?: string;
    readonly post: boolean;
    readonly stacks: readonly string[];
}

export function parseArgs(argv: readonly string[]): CliOptions {
    let dir: string | undefined;
    let output: string | undefined;
    let post = true;
    const stacks: string[] = [];
    for (let i = 0; i < argv.length; i++) {
        const arg = argv[i];
        if (arg === "--dir" || arg === "--output") {
            const value = argv[++i];
            if (value === undefined || value.startsWith("--")) {
                throw new UsageError(`${arg} needs a value`);
            }
            if (arg === "--dir") { dir = value; } else { output = value; }
        } else if (arg === "--no-post") {
            post = false;
        } else if (arg.startsWith("--")) {
            throw new UsageError(`unknown option ${arg}`);
        } else if (!STACK_NAME.test(arg)) {
            throw new UsageError(`stack name ${JSON.stringify(arg)} may hold only letters, digits, '.', '_' and '-'`);
        } else {
            stacks.push(arg);
        }
    }
    if (dir === undefined) {
        throw new UsageError("--dir is required");
    }
    if (stacks.length === 0) {
        throw new UsageError("name at least one stack");
    }
    return { dir, output, post, stacks };
}

function readOptional(file: string): string | undefined {
    return fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined;
}

/** Reads what the preview job recorded for one stack. A missing exit code counts as a failure. */
export function readStackInput(dir: string, stack: string): StackPreviewInput {
    const exitText = readOptional(path.join(dir, `${stack}.exit`))?.trim();
    const exitCode = exitText !== undefined && /^\d+$/.test(exitText) ? Number(exitText) : 255;
    return {
        stack,
        exitCode,
        json: readOptional(path.join(dir, `${stack}.json`)) ?? "",
        diffText: readOptional(path.join(dir, `${stack}.diff.txt`)),
    };
}

/** Values of secret-named variables in the environment, so that they can be scrubbed from the note. */
export function secretValuesFromEnv(env: NodeJS.ProcessEnv): string[] {
    return Object.entries(env)
        .filter(([name, value]) => SECRET_VARIABLE_NAME.test(name) && typeof value === "string" && value.length >= 6)
        .map(([, value]) => value as string);
}

function requireEnv(env: NodeJS.ProcessEnv, name: string): string {
    const value = env[name];
    if (value === undefined || value === "") {
        throw new UsageError(`${name} is not set (it is set by GitLab in merge-request pipelines; MR_NOTE_TOKEN by hand, see docs/pipeline.md)`);
    }
    return value;
}

export interface RunResult {
    readonly exitCode: number;
    readonly body: string;
    readonly action?: "created" | "updated";
}

/**
 * The whole run. `notesApi` lets tests pass their own; by default it is built from the CI
 * environment (CI_SERVER_URL, CI_PROJECT_ID, CI_MERGE_REQUEST_IID, MR_NOTE_TOKEN).
 */
export async function run(
    argv: readonly string[],
    env: NodeJS.ProcessEnv,
    log: (line: string) => void = (line) => console.error(line),
    notesApi?: MergeRequestNotesApi,
): Promise<RunResult> {
    const options = parseArgs(argv);
    if (!fs.existsSync(options.dir)) {
        throw new UsageError(`--dir ${options.dir} does not exist: run scripts/mr-note/run-previews.sh first`);
    }
    const api = options.post ? notesApi ?? gitbeakerNotesApi({
        host: requireEnv(env, "CI_SERVER_URL"),
        token: requireEnv(env, "MR_NOTE_TOKEN"),
        projectId: requireEnv(env, "CI_PROJECT_ID"),
        mergeRequestIid: Number(requireEnv(env, "CI_MERGE_REQUEST_IID")),
    }) : undefined;

    const summaries = options.stacks.map((stack) => summarizeStack(readStackInput(options.dir, stack)));
    const body = renderNote(summaries, {
        commit: env.CI_COMMIT_SHORT_SHA,
        jobUrl: env.CI_JOB_URL,
        knownSecrets: secretValuesFromEnv(env),
    });
    if (options.output !== undefined) {
        fs.writeFileSync(options.output, body);
    }

    let action: RunResult["action"];
    if (api !== undefined) {
        const result = await upsertPreviewNote(api, body);
        action = result.action;
        log(`preview note ${result.action} (note ${result.noteId})`);
    } else {
        log("--no-post: note rendered, not posted");
    }

    const failed = summaries.filter((s) => !s.ok);
    for (const stack of failed) {
        log(`ERROR: preview of stack ${stack.stack} failed (exit ${stack.exitCode}); the note and the log above say why`);
    }
    return { exitCode: failed.length > 0 ? 1 : 0, body, action };
}

if (require.main === module) {
    run(process.argv.slice(2), process.env).then(
        (result) => { process.exitCode = result.exitCode; },
        (error: unknown) => {
            if (error instanceof UsageError) {
                console.error(`ERROR: ${error.message}\n${USAGE}`);
                process.exitCode = 2;
            } else {
                console.error(`ERROR: could not post the preview note: ${error instanceof Error ? error.message : String(error)}`);
                process.exitCode = 1;
            }
        },
    );
}
