import { strict as assert } from "assert";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { contextFiles, hashBuildContext, hashDirectory, isIgnored, parseDockerignore } from "../../../components/image";

function tree(files: Record<string, string>): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "context-test-"));
    for (const [name, content] of Object.entries(files)) {
        fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
        fs.writeFileSync(path.join(dir, name), content);
    }
    return dir;
}

describe("image: build context hashing", () => {
    const dirs: string[] = [];
    const make = (files: Record<string, string>) => {
        const dir = tree(files);
        dirs.push(dir);
        return dir;
    };
    after(() => dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

    it("reads .dockerignore like Docker: allow-lists, `**`, and the last matching rule wins", () => {
        const rules = parseDockerignore("# comment\n*\n!src/\n!package.json\n**/*.test.ts\n**/.env\n");
        assert.equal(isIgnored("src/server.ts", rules), false);
        assert.equal(isIgnored("src/deep/a.ts", rules), false);
        assert.equal(isIgnored("src/deep/a.test.ts", rules), true);
        assert.equal(isIgnored("src/.env", rules), true);
        assert.equal(isIgnored("package.json", rules), false);
        assert.equal(isIgnored("README.md", rules), true);
        assert.equal(isIgnored("node_modules/x/index.js", rules), true);
    });

    it("lists only the files a build would send", () => {
        const dir = make({
            ".dockerignore": "*\n!src/\n!package.json\n**/node_modules\n**/.env\n",
            "package.json": "{}",
            "src/a.ts": "a",
            "src/.env": "SECRET=1",
            "src/node_modules/x.js": "x",
            "node_modules/y/index.js": "y",
            "notes.md": "n",
        });
        assert.deepEqual(contextFiles(dir), ["package.json", "src/a.ts"]);
    });

    it("changes the hash when a sent file or the Dockerfile changes, not when an ignored one does", () => {
        const dir = make({ ".dockerignore": "node_modules\n*.md\n", "Dockerfile": "FROM x\n", "src/a.ts": "a", "README.md": "r" });
        const first = hashBuildContext(dir);
        assert.equal(hashBuildContext(dir), first, "stable for an unchanged tree");
        fs.writeFileSync(path.join(dir, "README.md"), "changed");
        fs.mkdirSync(path.join(dir, "node_modules"));
        fs.writeFileSync(path.join(dir, "node_modules", "z.js"), "z");
        assert.equal(hashBuildContext(dir), first, "ignored files do not count");
        fs.writeFileSync(path.join(dir, "src", "a.ts"), "b");
        const second = hashBuildContext(dir);
        assert.notEqual(second, first);
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM y\n");
        assert.notEqual(hashBuildContext(dir), second);
    });

    it("skips node_modules, .git and dist when there is no .dockerignore", () => {
        const dir = make({ "src/a.ts": "a", "node_modules/m.js": "m", "dist/a.js": "d", ".git/HEAD": "h" });
        assert.deepEqual(contextFiles(dir), ["src/a.ts"]);
    });

    it("reads only rules from .dockerignore: comments, blank lines and lines naming the context root make none", () => {
        assert.deepEqual(parseDockerignore("# comment\n\n   \n#notes.md\n/\n.\n./\n!.\n"), []);
        assert.equal(isIgnored("#notes.md", parseDockerignore("#notes.md\n")), false, "a # line is a comment, not a file name");
    });

    it("trims each rule, drops leading and trailing slashes, and keeps inner ones", () => {
        const rules = parseDockerignore("  *.md  \n/secret.txt\n//build\ndocs/internal/\n!  keep.md\n");
        for (const ignored of ["README.md", "secret.txt", "build/a.js", "docs/internal/x.md", "docs/internal/deep/y"]) {
            assert.equal(isIgnored(ignored, rules), true, ignored);
        }
        for (const sent of ["keep.md", "docs/guide.txt", "docsinternal/x", "src/secret.txt", "build.js", "Secret.txt"]) {
            assert.equal(isIgnored(sent, rules), false, sent);
        }
    });

    it("matches `*` and `?` within one path segment, `**` across segments, and the rest literally", () => {
        const rules = parseDockerignore("src/*.js\nfile?.txt\n**/.env\nlogs/**\na+b(c).log\nbuild**.map\n");
        for (const ignored of ["src/a.js", "src/.js", "file1.txt", ".env", "x/y/.env", "logs/a", "logs/a/b.txt", "a+b(c).log", "build/x/app.js.map"]) {
            assert.equal(isIgnored(ignored, rules), true, ignored);
        }
        for (const sent of ["src/deep/a.js", "srcX.js", "file12.txt", "file.txt", "fil.txt", "file/.txt", "x.env", "logs", "logsX/a", "aab(c).log", "a+bc.log"]) {
            assert.equal(isIgnored(sent, rules), false, sent);
        }
    });

    it("sends what a later `!` rule brings back from inside an excluded directory, whatever its wildcards", () => {
        const cases: [string, Record<string, string>, string[]][] = [
            ["*\n!cache/keep.txt\n", { "cache/keep.txt": "k", "cache/drop.txt": "d", "top.txt": "t" }, ["cache/keep.txt"]],
            ["*\n!k*/x\n", { "kept/x": "x", "kept/y": "y", "other/x": "o" }, ["kept/x"]],
            ["*\n!*/keep.txt\n", { "cache/keep.txt": "k", "cache/drop.txt": "d" }, ["cache/keep.txt"]],
            ["*\n!src\n!cache/keep.txt\n", { "src/a.js": "a", "cache/keep.txt": "k", "cache/drop.txt": "d" }, ["cache/keep.txt", "src/a.js"]],
            ["*\n!docs/a?.md\n", { "docs/ab.md": "a", "docs/abc.md": "b" }, ["docs/ab.md"]],
            ["vendor\n!vendor/lib/\n", { "vendor/lib/m.js": "m", "vendor/other/n.js": "n", "src/a.js": "a" }, [".dockerignore", "src/a.js", "vendor/lib/m.js"]],
        ];
        for (const [ignore, files, sent] of cases) assert.deepEqual(contextFiles(make({ ".dockerignore": ignore, ...files })), sent, ignore);
    });

    it("lists files sorted by path, and sends regular files and symlinks only (never a pipe it would block on)", () => {
        const dir = make({ "d.txt": "d", "d/x": "x", "c.txt": "c", "c/x": "x", "b.txt": "b", "b/x": "x", "a.txt": "a", "a/x": "x" });
        fs.symlinkSync("a.txt", path.join(dir, "link"));
        execFileSync("mkfifo", [path.join(dir, "pipe")]);
        assert.deepEqual(contextFiles(dir), ["a.txt", "a/x", "b.txt", "b/x", "c.txt", "c/x", "d.txt", "d/x", "link"]);
        assert.match(hashBuildContext(dir), /^[0-9a-f]{64}$/);
    });

    // A defect until 2026-12-01: records were only separated by NUL, so a file whose content held "\0b\0..." hashed
    // like two files, and a changed tree could keep its image tag.
    it("hashes file names, contents and where each file ends: different contexts never hash alike", () => {
        const trees: Record<string, string>[] = [
            { "a.txt": "1" }, { "b.txt": "1" }, { a: "bc" }, { ab: "c" },
            { a: "1", b: "2" }, { a: "1\0b\u00002" }, { a: "1", b: "" }, { a: "1b\0" },
        ];
        const contexts = trees.map((files) => hashBuildContext(make(files)));
        const withoutDockerfile = make({ Dockerfile: "FROM x\n" });
        contexts.push(hashBuildContext(withoutDockerfile, path.join(withoutDockerfile, "none")));
        contexts.push(hashBuildContext(make({}), path.join(make({ Dockerfile: "FROM x\n" }), "Dockerfile")));
        assert.equal(new Set(contexts).size, contexts.length, contexts.join("\n"));
        const bundles = trees.map((files) => hashDirectory(make(files)));
        assert.equal(new Set(bundles).size, bundles.length, bundles.join("\n"));
    });

    it("hashes the Dockerfile even when .dockerignore leaves it out, and a context without one", () => {
        const dir = make({ ".dockerignore": "Dockerfile\n", "Dockerfile": "FROM x\n", "src/a.ts": "a" });
        const first = hashBuildContext(dir);
        assert.deepEqual(contextFiles(dir), [".dockerignore", "src/a.ts"]);
        fs.writeFileSync(path.join(dir, "Dockerfile"), "FROM y\n");
        assert.notEqual(hashBuildContext(dir), first);
        const elsewhere = make({ "app.Dockerfile": "FROM z\n" });
        assert.notEqual(hashBuildContext(dir, path.join(elsewhere, "app.Dockerfile")), hashBuildContext(dir));
        fs.rmSync(path.join(dir, "Dockerfile"));
        assert.match(hashBuildContext(dir), /^[0-9a-f]{64}$/);
        assert.notEqual(hashBuildContext(dir), first);
    });

    it("hashes a bundle folder by names and contents", () => {
        const dir = make({ "compose.yaml": "services: {}", "nginx/app.conf": "server {}" });
        const first = hashDirectory(dir);
        fs.mkdirSync(path.join(dir, ".state", "p"), { recursive: true });
        fs.writeFileSync(path.join(dir, ".state", "p", "releases"), "r/app@sha256:1\n");
        assert.equal(hashDirectory(dir), first, "deploy.sh's runtime state is not part of the bundle's identity");
        fs.renameSync(path.join(dir, "nginx", "app.conf"), path.join(dir, "nginx", "other.conf"));
        assert.notEqual(hashDirectory(dir), first);
    });
});
