// Loads .gitlab-ci.yml the way GitLab reads it for the parts our structure tests need: `extends`
// (deep merge of hashes, later wins, arrays replaced) and `default:` keywords. Which jobs a pipeline
// runs is the interpreter's to say (support/interpreter.ts), not this file's.
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..", "..");
export const CI_FILE = path.join(REPO_ROOT, ".gitlab-ci.yml");

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type Hash = { [key: string]: Json };

const GLOBAL_KEYWORDS = new Set(["workflow", "stages", "variables", "default", "include", "image", "services",
    "cache", "before_script", "after_script"]);
// Keywords that `default:` supplies to jobs that do not set them.
const DEFAULT_KEYWORDS = ["after_script", "artifacts", "before_script", "cache", "hooks", "id_tokens", "image",
    "interruptible", "retry", "services", "tags", "timeout"];

export function isHash(value: unknown): value is Hash {
    return value !== null && typeof value === "object" && !Array.isArray(value);
}

export function readCiFile(file = CI_FILE): Hash {
    const doc: unknown = parse(fs.readFileSync(file, "utf8"), { merge: true });
    if (!isHash(doc)) {
        throw new Error(`${file} is not a YAML mapping`);
    }
    return doc;
}

function deepMerge(base: Hash, override: Hash): Hash {
    const result: Hash = { ...base };
    for (const [key, value] of Object.entries(override)) {
        const current = result[key];
        result[key] = isHash(current) && isHash(value) ? deepMerge(current, value) : value;
    }
    return result;
}

function resolveExtends(doc: Hash, name: string, trail: string[] = []): Hash {
    if (trail.includes(name)) {
        throw new Error(`extends loop: ${[...trail, name].join(" -> ")}`);
    }
    const job = doc[name];
    if (!isHash(job)) {
        throw new Error(`extends names ${name}, which is not a job or template in the file`);
    }
    const parents = job.extends === undefined ? [] : Array.isArray(job.extends) ? job.extends : [job.extends];
    let merged: Hash = {};
    for (const parent of parents) {
        merged = deepMerge(merged, resolveExtends(doc, String(parent), [...trail, name]));
    }
    const own = { ...job };
    delete own.extends;
    return deepMerge(merged, own);
}

/** Job names: top-level keys that are not global keywords and not hidden templates (`.name`). */
export function jobNames(doc: Hash): string[] {
    return Object.keys(doc).filter((key) => !GLOBAL_KEYWORDS.has(key) && !key.startsWith("."));
}

/** Every job with `extends` resolved and `default:` applied. */
export function resolvedJobs(doc: Hash): Record<string, Hash> {
    const defaults = isHash(doc.default) ? doc.default : {};
    const jobs: Record<string, Hash> = {};
    for (const name of jobNames(doc)) {
        const job = resolveExtends(doc, name);
        for (const keyword of DEFAULT_KEYWORDS) {
            if (job[keyword] === undefined && defaults[keyword] !== undefined) {
                job[keyword] = defaults[keyword];
            }
        }
        jobs[name] = job;
    }
    return jobs;
}

export function neededJobs(job: Hash): { job: string; artifacts?: boolean; optional?: boolean }[] {
    const needs = Array.isArray(job.needs) ? job.needs : [];
    return needs.map((need) => isHash(need)
        ? { job: String(need.job), artifacts: need.artifacts as boolean | undefined, optional: need.optional as boolean | undefined }
        : { job: String(need) });
}

/** Every script line of a job: before_script, script, after_script. */
export function scriptLines(job: Hash): string[] {
    const lines: string[] = [];
    for (const key of ["before_script", "script", "after_script"]) {
        const value = job[key];
        const list = Array.isArray(value) ? value : value === undefined ? [] : [value];
        lines.push(...list.map(String));
    }
    return lines;
}
