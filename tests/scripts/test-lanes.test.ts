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
        // The fake prints the arguments mocha got and fails for the failing lane, told apart by its first suite.
        fs.writeFileSync(path.join(bin, "npx"), [
            "#!/bin/sh",
            'shift 2',
            'echo "mocha ran $*"',
            `case "$1" in ${failingLane === "engine" ? "tests/engine/*" : failingLane === "other" ? "'tests/**/*.test.ts'" : "never"}) exit 3 ;; esac`,
            "",
        ].join("\n"), { mode: 0o755 });
        return spawnSync("bash", [SCRIPT], { encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    } finally {
        fs.rmSync(bin, { recursive: true, force: true });
    }
}

/** Each lane's mocha arguments, as the script itself lists them. */
function laneArgs(): Record<string, string[]> {
    const listed = spawnSync("bash", [SCRIPT, "--list"], { encoding: "utf8" });
    assert.equal(listed.status, 0, listed.stderr);
    return Object.fromEntries(listed.stdout.trim().split("\n").map((line) => {
        const [lane, args] = line.split(": ");
        return [lane, args.split(" ")];
    }));
}

describe("scripts/test.sh (two lanes)", () => {
    it("runs the engine suites and all the others, each line marked with its lane", () => {
        const result = runLanes(undefined);
        assert.equal(result.status, 0, result.stderr);
        const lanes = laneArgs();
        const ran = result.stdout.split("\n").filter((line) => line.includes("mocha ran")).sort();
        assert.deepEqual(ran, [`[engine] mocha ran ${lanes.engine.join(" ")}`, `[other] mocha ran ${lanes.other.join(" ")}`]);
        assert.match(result.stdout, /^\[engine\] lane finished in \d+ s$/m);
        assert.match(result.stdout, /^\[other\] lane finished in \d+ s$/m);
    });

    it("waits for both lanes and fails naming the lane whose tests failed", () => {
        for (const lane of ["engine", "other"]) {
            const result = runLanes(lane);
            assert.equal(result.status, 1, `${lane}: ${result.stderr}`);
            assert.match(result.stderr, new RegExp(`^ERROR: tests failed in lane\\(s\\): ${lane} `, "m"));
            assert.equal(result.stdout.split("\n").filter((line) => line.includes("lane finished")).length, 2, "both lanes ran to the end");
        }
    });

    it("the two lanes together hold every root test file once, the backup drill in the engine lane", function () {
        // Each dry run loads its lane's test files.
        this.timeout(180_000);
        const listed = (args: string[]) => spawnSync("npx", ["mocha", "--dry-run", "--reporter", "json", ...args], { cwd: REPO_ROOT, encoding: "utf8" });
        const files = (args: string[]) => new Set<string>((JSON.parse(listed(args).stdout) as { passes: Array<{ file: string }> }).passes.map((test) => path.relative(REPO_ROOT, test.file)));
        const lanes = laneArgs();
        const engine = files(lanes.engine);
        const other = files(lanes.other);
        const all = new Set(fs.readdirSync(path.join(REPO_ROOT, "tests"), { recursive: true, encoding: "utf8" })
            .filter((file) => file.endsWith(".test.ts"))
            .map((file) => path.join("tests", file)));
        assert.ok(engine.has(path.join("tests", "deploy", "backup-drill.test.ts")));
        assert.ok(engine.size > 0 && other.size > 0);
        assert.deepEqual([...engine].filter((file) => other.has(file)), []);
        assert.deepEqual(new Set([...engine, ...other]), all);
    });
});
