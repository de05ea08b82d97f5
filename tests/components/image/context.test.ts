import { strict as assert } from "assert";
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
