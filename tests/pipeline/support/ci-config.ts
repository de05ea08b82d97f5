// Loads .gitlab-ci.yml the way GitLab reads it for the parts our tests need: `extends`
// (deep merge of hashes, later wins, arrays replaced), `default:` keywords, and `rules:if`
// expressions evaluated against the variables of a given pipeline.
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

// ---- rules:if ------------------------------------------------------------

export type Variables = Readonly<Record<string, string | undefined>>;

type Token = { kind: "var" | "str" | "op" | "paren" | "null"; text: string };

function tokenize(expression: string): Token[] {
    const tokens: Token[] = [];
    const pattern = /\s*(?:(\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|(==|!=|&&|\|\|)|([()])|(null)\b)/y;
    let index = 0;
    while (index < expression.length) {
        if (/^\s*$/.test(expression.slice(index))) {
            break;
        }
        pattern.lastIndex = index;
        const match = pattern.exec(expression);
        if (!match) {
            throw new Error(`cannot read rules:if expression at ${JSON.stringify(expression.slice(index))}`);
        }
        index = pattern.lastIndex;
        if (match[1]) tokens.push({ kind: "var", text: match[1].replace(/[${}]/g, "") });
        else if (match[2] !== undefined) tokens.push({ kind: "str", text: match[2] });
        else if (match[3] !== undefined) tokens.push({ kind: "str", text: match[3] });
        else if (match[4]) tokens.push({ kind: "op", text: match[4] });
        else if (match[5]) tokens.push({ kind: "paren", text: match[5] });
        else tokens.push({ kind: "null", text: "null" });
    }
    return tokens;
}

/** Evaluates the subset of GitLab's `rules:if` syntax this project uses: ==, !=, &&, ||, (), presence. */
export function evaluateIf(expression: string, variables: Variables): boolean {
    const tokens = tokenize(expression);
    let position = 0;
    const peek = () => tokens[position];
    const next = () => tokens[position++];

    const operand = (): string | null => {
        const token = next();
        if (token === undefined) throw new Error(`expression ends early: ${expression}`);
        if (token.kind === "var") return variables[token.text] ?? null;
        if (token.kind === "str") return token.text;
        if (token.kind === "null") return null;
        throw new Error(`unexpected ${token.text} in ${expression}`);
    };
    const comparison = (): boolean => {
        if (peek()?.kind === "paren" && peek()?.text === "(") {
            next();
            const value = disjunction();
            if (next()?.text !== ")") throw new Error(`missing ) in ${expression}`);
            return value;
        }
        const left = operand();
        const op = peek();
        if (op?.kind === "op" && (op.text === "==" || op.text === "!=")) {
            next();
            const right = operand();
            return op.text === "==" ? left === right : left !== right;
        }
        return left !== null && left !== ""; // bare $VAR: defined and not empty
    };
    const conjunction = (): boolean => {
        let value = comparison();
        while (peek()?.text === "&&") {
            next();
            const right = comparison();
            value = value && right;
        }
        return value;
    };
    const disjunction = (): boolean => {
        let value = conjunction();
        while (peek()?.text === "||") {
            next();
            const right = conjunction();
            value = value || right;
        }
        return value;
    };
    const result = disjunction();
    if (position !== tokens.length) {
        throw new Error(`unexpected trailing ${tokens[position].text} in ${expression}`);
    }
    return result;
}

export interface RuleOutcome {
    readonly runs: boolean;
    readonly when: string;
    readonly allowFailure?: boolean;
}

/** The first matching rule decides; no match means the job is not in the pipeline. */
export function applyRules(rules: Json | undefined, variables: Variables): RuleOutcome {
    if (!Array.isArray(rules)) {
        throw new Error("expected a rules: list");
    }
    for (const rule of rules) {
        if (!isHash(rule)) continue;
        if (rule.if !== undefined && !evaluateIf(String(rule.if), variables)) continue;
        const when = typeof rule.when === "string" ? rule.when : "on_success";
        return {
            runs: when !== "never",
            when,
            allowFailure: typeof rule.allow_failure === "boolean" ? rule.allow_failure : undefined,
        };
    }
    return { runs: false, when: "never" };
}

/** Jobs in the pipeline GitLab would create for these variables (empty when `workflow` creates none). */
export function pipelineJobs(doc: Hash, variables: Variables): Record<string, RuleOutcome> {
    const workflow = isHash(doc.workflow) ? doc.workflow : {};
    if (!applyRules(workflow.rules, variables).runs) {
        return {};
    }
    const result: Record<string, RuleOutcome> = {};
    for (const [name, job] of Object.entries(resolvedJobs(doc))) {
        const outcome = applyRules(job.rules, variables);
        if (outcome.runs) {
            result[name] = outcome;
        }
    }
    return result;
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
