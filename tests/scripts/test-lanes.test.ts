import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

// scripts/test.sh: `npm test`'s root suites in two lanes. Run here with a fake `npx` that plays mocha, so what is
// checked is the lanes' wiring: every suite in exactly one lane, both lanes run to the end, a failure names its lane.

const REPO_ROOT = path.resolve(__dirname, "..", "..");
const SCRIPT = path.join(REPO_ROOT, "scripts", "test.sh");

function runLanes(failingLane: string | undefined) {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-test-lanes-"));
    try {
        // The fake prints its suites glob and fails when the glob is the failing lane's.
        fs.writeFileSync(path.join(bin, "npx"), [
            "#!/bin/sh",
            'glob="$3"',
            'echo "mocha ran $glob"',
            `case "$glob" in ${failingLane === "engine" ? "tests/engine/*" : failingLane === "other" ? "tests/!*" : "never"}) exit 3 ;; esac`,
            "",
        ].join("\n"), { mode: 0o755 });
        return spawnSync("bash", [SCRIPT], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    } finally {
        fs.rmSync(bin, { recursive: true, force: true });
    }
}

describe("scripts/test.sh (two lanes)", () => {
    it("runs the engine suites and all the others, each line marked with its lane", () => {
        const result = runLanes(undefined);
        assert.equal(result.status, 0, result.stderr);
        const lines = result.stdout.split("\n").filter(Boolean).sort();
        assert.deepEqual(lines, ["[engine] mocha ran tests/engine/**/*.test.ts", "[other] mocha ran tests/!(engine)/**/*.test.ts"]);
    });

    it("waits for both lanes and fails naming the lane whose tests failed", () => {
        for (const lane of ["engine", "other"]) {
            const result = runLanes(lane);
            assert.equal(result.status, 1, `${lane}: ${result.stderr}`);
            assert.match(result.stderr, new RegExp(`^ERROR: tests failed in lane\\(s\\): ${lane} `, "m"));
            assert.equal(result.stdout.split("\n").filter(Boolean).length, 2, "both lanes ran to the end");
        }
    });

    it("the two lanes' globs together hold every root test file once", () => {
        const listed = (glob: string) => spawnSync("npx", ["mocha", "--dry-run", "--reporter", "json", glob], { cwd: REPO_ROOT, encoding: "utf8" });
        const files = (glob: string) => new Set<string>((JSON.parse(listed(glob).stdout) as { passes: Array<{ file: string }> }).passes.map((test) => test.file));
        const engine = files("tests/engine/**/*.test.ts");
        const other = files("tests/!(engine)/**/*.test.ts");
        const all = files("tests/**/*.test.ts");
        assert.ok(engine.size > 0 && other.size > 0);
        assert.deepEqual([...engine].filter((file) => other.has(file)), []);
        assert.deepEqual(new Set([...engine, ...other]), all);
    });
});
