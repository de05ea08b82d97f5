import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

// Content hashing of a Docker build context, honouring its .dockerignore, so that an unchanged
// source tree yields the same tag and an unchanged `pulumi up` rebuilds nothing.

interface IgnoreRule {
    readonly pattern: RegExp;
    readonly exclude: boolean;
    /** The pattern's leading part without wildcards, e.g. `src` for `src/**`. */
    readonly literalPrefix: string;
}

/** Turns one .dockerignore line into an anchored regex over slash-separated relative paths. */
export function dockerignoreRule(line: string): IgnoreRule | undefined {
    let text = line.trim();
    if (text === "" || text.startsWith("#")) return undefined;
    const exclude = !text.startsWith("!");
    if (!exclude) text = text.slice(1).trim();
    text = path.posix.normalize(text.replace(/^\/+/, "")).replace(/\/+$/, "");
    if (text === "." || text === "") return undefined;
    let source = "";
    for (let i = 0; i < text.length; i++) {
        const c = text[i];
        if (c === "*" && text[i + 1] === "*") {
            // `**/` matches zero or more directories; a trailing `**` matches everything below.
            if (text[i + 2] === "/") {
                source += "(?:.*/)?";
                i += 2;
            } else {
                source += ".*";
                i += 1;
            }
        } else if (c === "*") {
            source += "[^/]*";
        } else if (c === "?") {
            source += "[^/]";
        } else {
            source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
        }
    }
    // A rule that matches a directory also matches everything inside it.
    const wildcard = text.search(/[*?[]/);
    const literalPrefix = wildcard === -1 ? text : text.slice(0, wildcard);
    return { pattern: new RegExp(`^${source}(?:/.*)?$`), exclude, literalPrefix };
}

/** Parses .dockerignore text into rules; the last matching rule decides. */
export function parseDockerignore(text: string): IgnoreRule[] {
    return text.split(/\r?\n/).map(dockerignoreRule).filter((r): r is IgnoreRule => r !== undefined);
}

export function isIgnored(relativePath: string, rules: readonly IgnoreRule[]): boolean {
    let ignored = false;
    for (const rule of rules) {
        if (rule.pattern.test(relativePath)) ignored = rule.exclude;
    }
    return ignored;
}

/** Without a .dockerignore we still skip what never belongs in an image context. */
const FALLBACK_IGNORE = "node_modules\n.git\ndist\n";

/** Files of the build context (relative, sorted) after .dockerignore. */
export function contextFiles(contextDir: string): string[] {
    const ignorePath = path.join(contextDir, ".dockerignore");
    const rules = parseDockerignore(fs.existsSync(ignorePath) ? fs.readFileSync(ignorePath, "utf8") : FALLBACK_IGNORE);
    const reincludes = rules.filter((r) => !r.exclude);
    // An excluded directory can be skipped whole unless a `!` rule could bring back something inside it: one whose
    // literal start lies inside the directory, or is the start of its path (an empty start included).
    const canPrune = (dir: string) =>
        reincludes.every((r) => !r.literalPrefix.startsWith(`${dir}/`) && !dir.startsWith(r.literalPrefix));
    const files: string[] = [];
    const walk = (relativeDir: string) => {
        for (const entry of fs.readdirSync(path.join(contextDir, relativeDir), { withFileTypes: true })) {
            const relative = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
            if (entry.isDirectory()) {
                if (isIgnored(relative, rules) && canPrune(relative)) continue;
                walk(relative);
            } else if ((entry.isFile() || entry.isSymbolicLink()) && !isIgnored(relative, rules)) {
                files.push(relative);
            }
        }
    };
    walk("");
    return files.sort();
}

/**
 * One file's record in a hash: its name and its length before its bytes, so that no two different sets of files
 * give the same stream (with a mere separator, a file whose content holds that separator could spell two files).
 */
function addFileRecord(hash: crypto.Hash, name: string, content: Buffer): void {
    hash.update(`${name}\0${content.length}\0`);
    hash.update(content);
}

/**
 * sha256 over the context's file names and contents plus the Dockerfile (which .dockerignore may
 * exclude but still shapes the image). Returns hex.
 */
export function hashBuildContext(contextDir: string, dockerfile = path.join(contextDir, "Dockerfile")): string {
    const hash = crypto.createHash("sha256");
    for (const file of contextFiles(contextDir)) addFileRecord(hash, file, fs.readFileSync(path.join(contextDir, file)));
    // An empty name, which no context file has.
    if (fs.existsSync(dockerfile)) addFileRecord(hash, "", fs.readFileSync(dockerfile));
    return hash.digest("hex");
}

/** Runtime folders a bundle may hold on a developer machine (deploy.sh's default state); never part of its identity. */
const RUNTIME_DIRS = new Set([".state"]);

/** sha256 of every file under a directory (the Compose bundle), for triggers. */
export function hashDirectory(dir: string): string {
    const hash = crypto.createHash("sha256");
    const walk = (relativeDir: string) => {
        const entries = fs.readdirSync(path.join(dir, relativeDir), { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
        for (const entry of entries) {
            const relative = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
            if (entry.isDirectory()) {
                if (!(relativeDir === "" && RUNTIME_DIRS.has(entry.name))) walk(relative);
            } else if (entry.isFile()) {
                addFileRecord(hash, relative, fs.readFileSync(path.join(dir, relative)));
            }
        }
    };
    walk("");
    return hash.digest("hex");
}
