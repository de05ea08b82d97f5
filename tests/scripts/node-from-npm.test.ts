import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";
import { REPO_ROOT } from "../engine/harness";

// scripts/node-from-npm.sh provides Node.js 24 to the stand-in images, and
// one Node.js major holds everywhere the project names one.

const SCRIPT = path.join(REPO_ROOT, "scripts", "node-from-npm.sh");

function read(relative: string): string {
    return fs.readFileSync(path.join(REPO_ROOT, relative), "utf8");
}

function scriptMajor(name: "NODE_MAJOR" | "NPM_MAJOR"): string {
    const major = new RegExp(`^readonly ${name}=(\\d+)$`, "m").exec(read("scripts/node-from-npm.sh"))?.[1];
    assert.ok(major, `scripts/node-from-npm.sh sets no ${name}`);
    return major;
}

function writeExecutable(file: string, lines: string[]): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, ["#!/bin/sh", ...lines, ""].join("\n"), { mode: 0o755 });
}

describe("scripts/node-from-npm.sh", () => {
    let scratch = "";
    beforeEach(() => {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-node-from-npm-"));
    });
    afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

    // An npm that only records that it ran: no test here reaches the registry.
    function runScript(args: string[]) {
        const fakeBin = path.join(scratch, "fake-bin");
        writeExecutable(path.join(fakeBin, "npm"), [`echo "$@" >>"${path.join(scratch, "npm-calls")}"`, "exit 1"]);
        return spawnSync("bash", [SCRIPT, ...args], {
            encoding: "utf8",
            env: { ...process.env, PATH: `${fakeBin}${path.delimiter}${process.env.PATH ?? ""}` },
        });
    }
    const npmCalls = () => (fs.existsSync(path.join(scratch, "npm-calls")) ? fs.readFileSync(path.join(scratch, "npm-calls"), "utf8") : "");

    for (const [title, args, message] of [
        ["no PREFIX", [], /^ERROR: node: PREFIX is missing$/m],
        ["two PREFIXes", ["/tmp/a", "/tmp/b"], /^ERROR: node: one PREFIX only \(got '\/tmp\/a' and '\/tmp\/b'\)$/m],
        ["an unknown option", ["--global", "/tmp/a"], /^ERROR: node: unknown option '--global' \(allowed: --print-bin, --help\)$/m],
    ] as const) {
        it(`rejects ${title} with the usage line and one ERROR, installing nothing`, () => {
            const result = runScript([...args]);
            assert.notEqual(result.status, 0);
            assert.match(result.stderr, /^Usage: .*node-from-npm\.sh \[--print-bin\] PREFIX$/m);
            assert.match(result.stderr, message);
            assert.equal(result.stderr.match(/ERROR/g)?.length, 1, result.stderr);
            assert.equal(result.stdout, "");
            assert.equal(npmCalls(), "");
        });
    }

    it("leaves a complete PREFIX as it is and prints its bin folder", () => {
        const prefix = path.join(scratch, "node");
        const bin = path.join(prefix, "node_modules", ".bin");
        writeExecutable(path.join(bin, "node"), [`echo v${scriptMajor("NODE_MAJOR")}.99.0`]);
        writeExecutable(path.join(bin, "npm"), [`echo ${scriptMajor("NPM_MAJOR")}.99.0`]);
        const result = runScript(["--print-bin", prefix]);
        assert.equal(result.status, 0, result.stderr);
        assert.equal(result.stdout, `${bin}\n`);
        assert.match(result.stderr, /already in/);
        assert.equal(npmCalls(), "", "npm ran although the folder was complete");
    });

    it("installs into a PREFIX holding another major, and fails with one message when npm fails", () => {
        const prefix = path.join(scratch, "node");
        writeExecutable(path.join(prefix, "node_modules", ".bin", "node"), ["echo v20.19.0"]);
        const result = runScript([prefix]);
        assert.notEqual(result.status, 0);
        assert.match(npmCalls(), new RegExp(`^install --prefix ${prefix.replace(/[.]/g, "\\.")} .*node@${scriptMajor("NODE_MAJOR")} npm@${scriptMajor("NPM_MAJOR")}$`, "m"));
        assert.match(result.stderr, /^ERROR: node: npm install --prefix .* failed \(see above\)$/m);
    });
});

describe("one Node.js major everywhere", () => {
    const major = scriptMajor("NODE_MAJOR");

    it("package.json and app/package.json require it in engines, and @types/node matches it", () => {
        for (const file of ["package.json", "app/package.json"]) {
            const manifest = JSON.parse(read(file)) as { engines?: { node?: string }; devDependencies?: Record<string, string> };
            assert.equal(manifest.engines?.node, `>=${major}`, `${file} engines.node`);
            assert.match(manifest.devDependencies?.["@types/node"] ?? "", new RegExp(`^\\^${major}\\.`), `${file} @types/node`);
        }
    });

    it("the Dockerfile's default bases and the pipeline's Node images are pinned to an exact release of it", () => {
        const exact = new RegExp(`^node:${major}\\.\\d+\\.\\d+-`);
        for (const file of ["app/Dockerfile", "app/Dockerfile.single-stage"]) {
            const defaults = [...read(file).matchAll(/^ARG (?:BUILD|RUNTIME)_IMAGE=(.+)$/gm)].map((match) => match[1]);
            assert.ok(defaults.length > 0, `${file} has no base image ARG`);
            for (const ref of defaults) assert.match(ref, exact, `${file}: ${ref}`);
        }
        const ci = parseYaml(read(".gitlab-ci.yml")) as Record<string, { variables?: Record<string, unknown> } | Record<string, unknown>>;
        const globals = ci.variables as Record<string, string>;
        assert.match(globals.NODE_IMAGE, exact, "NODE_IMAGE");
        assert.match(globals.PULUMI_IMAGE, new RegExp(`^pulumi/pulumi-nodejs-${major}:\\d+\\.\\d+\\.\\d+$`), "PULUMI_IMAGE");
        const e2eImages = Object.values(ci)
            .flatMap((job) => (job && typeof job === "object" && job.variables && typeof job.variables === "object" ? [job.variables as Record<string, unknown>] : []))
            .flatMap((variables) => [variables.BUILD_IMAGE, variables.RUNTIME_IMAGE])
            .filter((ref): ref is string => typeof ref === "string");
        assert.ok(e2eImages.length > 0, "no job sets BUILD_IMAGE/RUNTIME_IMAGE");
        for (const ref of e2eImages) assert.match(ref, exact, `pipeline BUILD_IMAGE/RUNTIME_IMAGE ${ref}`);
    });

    it("npm ci brings it for the npm scripts (the devDependency node), and the README's prerequisites say so", () => {
        const devDependencies = (JSON.parse(read("package.json")) as { devDependencies: Record<string, string> }).devDependencies;
        assert.match(devDependencies.node ?? "", new RegExp(`^\\^${major}\\.\\d+\\.\\d+$`), "package.json devDependencies.node");
        assert.match(read("README.md"), new RegExp(`^\\| npm \\(any version; Node\\.js ${major} comes with \`npm ci\`\\) \\|`, "m"));
    });
});
