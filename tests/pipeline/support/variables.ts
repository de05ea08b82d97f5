// Which variables .gitlab-ci.yml reads that neither GitLab nor the file itself defines.
import { Hash, isHash, resolvedJobs, scriptLines } from "./ci-config";

/** GitLab sets these itself: https://docs.gitlab.com/ci/variables/predefined_variables/ */
export function isPredefined(name: string): boolean {
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

/** Variables a job gets from the dotenv report of a job it needs (`echo "NAME=..." >> deploy.env`, `> scan.env`). */
function dotenvExports(job: Hash): Set<string> {
    const names = new Set<string>();
    for (const line of scriptLines(job)) {
        const m = /echo\s+"([A-Za-z_][A-Za-z0-9_]*)=.*"\s*>>?\s*[\w.-]+\.env\b/.exec(line);
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
