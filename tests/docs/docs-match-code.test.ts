// The README and docs/*.md against the code: every config key their config tables document is a key the program
// reads (in the environment the table is about), every `npm run <script>` is a script of the package it runs in, every verb a script is given is one it takes,
// and every repository path they name exists. Parsed from the documents, so a renamed key, script or file fails
// here instead of misleading a reader.
import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { spawnSync } from "child_process";
import { Environment, KNOWN_KEYS } from "../../components/config";

const ROOT = path.resolve(__dirname, "..", "..");
const DOCS = ["README.md", ...fs.readdirSync(path.join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
const read = (doc: string) => fs.readFileSync(path.join(ROOT, doc), "utf8");

/** What installs, tests and tools make in a checkout: never a path the docs may name. */
const MADE_HERE = new Set([".git", "node_modules", ".gitlab-ci-local", "reports", "coverage", ".stryker-tmp", ".pulumi-local", ".preview", ".e2e"]);

function filesOnDisk(dir: string, prefix = ""): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        if (MADE_HERE.has(entry.name)) return [];
        const relative = `${prefix}${entry.name}`;
        return entry.isDirectory() ? filesOnDisk(path.join(dir, entry.name), `${relative}/`) : [relative];
    });
}

/**
 * The repository's files: the ones git tracks. The pipeline's test job, run through gitlab-ci-local, gets the tracked
 * files without .git; there they are the files on disk, less what installs and tests made.
 */
function repositoryFiles(): string[] {
    const listed = spawnSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" });
    if (listed.status === 0) return listed.stdout.split("\n").filter((f) => f !== "");
    return filesOnDisk(ROOT);
}

const TRACKED = new Set(repositoryFiles());
const TOP_LEVEL = new Set([...TRACKED].map((f) => f.split("/")[0]));
const trackedPath = (p: string) => TRACKED.has(p) || [...TRACKED].some((f) => f.startsWith(`${p.replace(/\/$/, "")}/`));

/** Which environments read the keys of a table under `heading` (the nearest `##` heading above it). */
function environmentsOf(heading: string): readonly Environment[] {
    const h = heading.toLowerCase();
    if (h.includes("every stack")) return ["local", "staging", "production"];
    const named: Environment[] = [];
    if (/\blocal\b/.test(h)) named.push("local");
    if (/\bstaging\b/.test(h)) named.push("staging");
    if (/\bprod(uction)?\b/.test(h)) named.push("production");
    return named.length > 0 ? named : ["local", "staging", "production"];
}

interface DocumentedKey {
    readonly doc: string;
    readonly line: number;
    readonly key: string;
    readonly environments: readonly Environment[];
}

/** The first cell of every row of a table whose header's first column is `key`. */
function documentedKeys(doc: string): DocumentedKey[] {
    const keys: DocumentedKey[] = [];
    let heading = "";
    let inKeyTable = false;
    read(doc).split("\n").forEach((text, i) => {
        if (/^## /.test(text)) heading = text;
        if (!text.startsWith("|")) {
            inKeyTable = false;
            return;
        }
        const first = text.split("|")[1].trim();
        if (first === "key") {
            inKeyTable = true;
            return;
        }
        if (!inKeyTable || /^-+$/.test(first)) return;
        for (const match of first.matchAll(/`([^`]+)`/g)) keys.push({ doc, line: i + 1, key: match[1], environments: environmentsOf(heading) });
    });
    return keys;
}

/** `npm run <script>`, `npm test`, `npm start`, with the package folder the command runs in when it says so. */
function documentedScripts(doc: string): { line: number; script: string; dir?: string }[] {
    const found: { line: number; script: string; dir?: string }[] = [];
    let cdInBlock: string | undefined;
    read(doc).split("\n").forEach((text, i) => {
        if (text.startsWith("```")) cdInBlock = undefined;
        const cd = /(?:^|&&\s*|`)cd ([\w./-]+)/.exec(text);
        if (cd) cdInBlock = cd[1];
        for (const m of text.matchAll(/npm (?:--prefix ([\w./-]+) )?(?:run ([\w:.-]+)|(test|start)\b)/g)) {
            const script = m[2] ?? m[3];
            // `npm run bench:…`: a family named in prose, not a script.
            if (script.endsWith(":")) continue;
            found.push({ line: i + 1, script, dir: m[1] ?? cdInBlock });
        }
    });
    return found;
}

function scriptsOf(dir: string): Record<string, string> | undefined {
    const file = path.join(ROOT, dir, "package.json");
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, "utf8")).scripts ?? {}) : undefined;
}
const PACKAGE_DIRS = [...TRACKED].filter((f) => f.endsWith("package.json") && !f.includes("node_modules")).map((f) => path.dirname(f));

/**
 * Repository paths the document names: backticked words and relative link targets whose first segment is a
 * top-level entry of the repository. Placeholders (`<env>`), globs and `...` stand for many files and are left out.
 */
function documentedPaths(doc: string): { line: number; path: string }[] {
    const found: { line: number; path: string }[] = [];
    read(doc).split("\n").forEach((text, i) => {
        const candidates: string[] = [];
        for (const m of text.matchAll(/`([^`\s]+)`/g)) candidates.push(m[1]);
        for (const m of text.matchAll(/\]\(([^)\s#]+)(#[^)]*)?\)/g)) {
            if (/^[a-z]+:/.test(m[1])) continue;
            candidates.push(path.posix.normalize(path.posix.join(path.posix.dirname(doc), m[1])));
        }
        for (const raw of candidates) {
            const candidate = raw.replace(/^\.\//, "").replace(/:\d+(-\d+)?$/, "").replace(/[.,;:]$/, "");
            if (/[<>*{}$]|\.\.\./.test(candidate) || candidate.startsWith("/") || candidate.includes("=")) continue;
            const first = candidate.split("/")[0];
            if (!TOP_LEVEL.has(first) || (!candidate.includes("/") && !TRACKED.has(candidate))) continue;
            found.push({ line: i + 1, path: candidate });
        }
    });
    return found;
}

/** The code the document shows: inline code spans and the lines of fenced blocks. */
function codeOf(doc: string): { line: number; code: string }[] {
    const found: { line: number; code: string }[] = [];
    let fenced = false;
    read(doc).split("\n").forEach((text, i) => {
        if (text.startsWith("```")) {
            fenced = !fenced;
            return;
        }
        if (fenced) found.push({ line: i + 1, code: text });
        else for (const m of text.matchAll(/`([^`]+)`/g)) found.push({ line: i + 1, code: m[1] });
    });
    return found;
}

/**
 * `<script>.sh <verb>` in the documents' code, for the repository's shell scripts that take a verb or a name
 * first: the word must be one of the script's `case` labels (`deploy)`, `init|backup|...)`).
 */
function documentedVerbs(doc: string): { line: number; script: string; verb: string }[] {
    const found: { line: number; script: string; verb: string }[] = [];
    for (const { line, code } of codeOf(doc)) {
        for (const m of code.matchAll(/(?:^|[\s/])([\w-]+\.sh) ([a-z][a-z-]*)\b/g)) {
            const scripts = [...TRACKED].filter((f) => path.posix.basename(f) === m[1]);
            if (scripts.length !== 1) continue;
            found.push({ line, script: scripts[0], verb: m[2] });
        }
    }
    return found;
}

const caseLabels = (script: string) =>
    new Set([...fs.readFileSync(path.join(ROOT, script), "utf8").matchAll(/^\s*([\w|-]+)\)/gm)].flatMap((m) => m[1].split("|")));

describe("docs versus code: README.md and docs/*.md name only what exists", () => {
    const allKeys = DOCS.flatMap(documentedKeys);

    it("finds what it checks (the parsers still match the documents' shapes)", () => {
        assert.ok(allKeys.length >= 40, `only ${allKeys.length} documented config keys found`);
        assert.ok(DOCS.flatMap(documentedScripts).length >= 20);
        assert.ok(DOCS.flatMap(documentedPaths).length >= 100);
    });

    it("every config key of a config table is read by the environments the table is about", () => {
        const problems = allKeys
            .filter(({ key }) => key !== "aws:region") // the AWS provider's key, not the program's
            .map(({ doc, line, key, environments }) => {
                const base = key.replace(/ \(secret\)$/, "").split(/[.[]/)[0];
                const missing = environments.filter((env) => !KNOWN_KEYS[env].includes(base));
                return missing.length === environments.length ? `${doc}:${line}: ${key} is not a config key of ${environments.join(", ")}` : undefined;
            })
            .filter((p) => p !== undefined);
        assert.deepEqual(problems, []);
    });

    it("every config key the program reads is documented in docs/config.md", () => {
        const documented = new Set(documentedKeys("docs/config.md").map(({ key }) => key.split(/[.[]/)[0]));
        const undocumented = [...new Set(Object.values(KNOWN_KEYS).flat())].filter((key) => !documented.has(key));
        assert.deepEqual(undocumented, []);
    });

    it("every `npm run` script exists in the package it runs in", () => {
        const problems: string[] = [];
        for (const doc of DOCS) {
            for (const { line, script, dir } of documentedScripts(doc)) {
                const dirs = dir !== undefined ? [dir] : PACKAGE_DIRS;
                if (!dirs.some((d) => scriptsOf(d)?.[script] !== undefined)) problems.push(`${doc}:${line}: npm script ${script} is not in ${dirs.map((d) => `${d}/package.json`).join(" or ")}`);
            }
        }
        assert.deepEqual(problems, []);
    });

    it("every verb given to a script of the repository is one the script takes", () => {
        const verbs = DOCS.flatMap((doc) => documentedVerbs(doc).map((v) => ({ doc, ...v })));
        assert.ok(verbs.length >= 20, `only ${verbs.length} script verbs found`);
        const problems = verbs.filter(({ script, verb }) => !caseLabels(script).has(verb)).map(({ doc, line, script, verb }) => `${doc}:${line}: ${script} takes no ${verb}`);
        assert.deepEqual(problems, []);
    });

    it("every repository path named exists", () => {
        const problems = DOCS.flatMap((doc) => documentedPaths(doc).filter((p) => !trackedPath(p.path)).map((p) => `${doc}:${p.line}: ${p.path} does not exist`));
        assert.deepEqual(problems, []);
    });
});
