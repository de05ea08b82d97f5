import { strict as assert } from "assert";
import { spawn, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../engine/harness";

// scripts/lib/progress.sh: the progress lines of the long builds (the engine's go build, the stand-in images),
// driven with a fake slow step and a short interval, so the test takes a second and asserts no real build's time.

const LIBRARY = path.join(REPO_ROOT, "scripts", "lib", "progress.sh");

const shellQuote = (text: string) => `'${text.replace(/'/g, "'\\''")}'`;

interface Line {
    readonly atMs: number;
    readonly text: string;
}

/** Runs `progress_run STEP KIND COMMAND` with the given interval; returns its stderr lines with arrival times. */
function runStep(interval: string, kind: string, command: string): Promise<{ status: number | null; lines: Line[]; startedMs: number }> {
    return new Promise((resolve, reject) => {
        const startedMs = Date.now();
        const child = spawn("bash", ["-c", `source ${JSON.stringify(LIBRARY)}; progress_run "fake step" ${kind} bash -c ${shellQuote(command)}`], {
            env: { ...process.env, PROGRESS_INTERVAL: interval, TMPDIR: scratch },
        });
        const lines: Line[] = [];
        let pending = "";
        child.stderr.on("data", (chunk: Buffer) => {
            pending += chunk.toString("utf8");
            const parts = pending.split("\n");
            pending = parts.pop() ?? "";
            for (const text of parts) lines.push({ atMs: Date.now() - startedMs, text });
        });
        child.on("error", reject);
        child.on("close", (status) => resolve({ status, lines, startedMs }));
    });
}

let scratch = "";

describe("scripts/lib/progress.sh", function () {
    this.timeout(30_000);
    // The step logs land here (a failed step's log is kept for the user to read).
    beforeEach(() => {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-progress-"));
    });
    afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

    it("counts the modules a cold go build downloads before it compiles anything", async () => {
        const downloads = 'for m in a b c d e f; do echo "go: downloading example.com/$m v1.0.0"; sleep 0.1; done; sleep 0.4';
        const { status, lines } = await runStep("0.3", "go-packages", downloads);
        assert.equal(status, 0);
        const texts = lines.map((line) => line.text);
        assert.ok(texts.some((text) => /^==> fake step: \d+s elapsed, \d modules downloaded, latest example\.com\/[a-f] v1\.0\.0$/.test(text)), texts.join("\n"));
    });

    it("prints the step, its elapsed time and the latest Go package at least once per interval while the step runs", async () => {
        // A fake `go build -v`: a package name every 0.1 s for 2 s.
        const fakeBuild = 'for i in $(seq 1 20); do echo "example.com/module/pkg$i"; sleep 0.1; done';
        const { status, lines } = await runStep("0.3", "go-packages", fakeBuild);
        assert.equal(status, 0, lines.map((line) => line.text).join("\n"));
        const progress = lines.filter((line) => line.text.startsWith("==> fake step: ") && line.text.includes(" elapsed, "));
        assert.ok(progress.length >= 4, `expected a progress line every 0.3 s over 2 s, got:\n${lines.map((l) => l.text).join("\n")}`);
        // No gap longer than the interval plus scheduling slack, from the start to the last line.
        const times = [0, ...progress.map((line) => line.atMs)];
        for (let i = 1; i < times.length; i++) {
            assert.ok(times[i] - times[i - 1] <= 300 + 400, `a ${times[i] - times[i - 1]} ms gap between progress lines: ${JSON.stringify(progress)}`);
        }
        for (const line of progress) {
            assert.match(line.text, /^==> fake step: \d+s elapsed, \d+ packages compiled, latest example\.com\/module\/pkg\d+$/);
        }
        const counts = progress.map((line) => Number(/ (\d+) packages compiled/.exec(line.text)?.[1]));
        assert.ok(counts[counts.length - 1] > counts[0], `the package count never grew: ${counts.join(", ")}`);
        assert.match(lines[lines.length - 1].text, /^==> fake step: done in \d+s$/);
    });

    it("names the latest output line for other steps, and stays silent for a step shorter than the interval", async () => {
        const slow = await runStep("0.2", "last-line", 'echo "Retrieving base-files"; sleep 0.7; echo "Unpacking libc6"; sleep 0.7');
        assert.equal(slow.status, 0);
        const texts = slow.lines.map((line) => line.text);
        assert.ok(texts.some((text) => /^==> fake step: \d+s elapsed, Retrieving base-files$/.test(text)), texts.join("\n"));
        assert.ok(texts.some((text) => /^==> fake step: \d+s elapsed, Unpacking libc6$/.test(text)), texts.join("\n"));

        const quick = await runStep("5", "last-line", "echo hello");
        assert.deepEqual(quick.lines.map((line) => line.text.replace(/\d+s$/, "Ns")), ["==> fake step: done in Ns"]);
    });

    it("passes the step's exit status on and shows its last lines when it fails", async () => {
        const { status, lines } = await runStep("5", "last-line", 'echo "E: Unable to locate package nonesuch"; exit 7');
        assert.equal(status, 7);
        const text = lines.map((line) => line.text).join("\n");
        assert.match(text, /^==> fake step: failed after \d+s \(exit 7\); its last lines \(all of them in \S+\):$/m);
        assert.match(text, /^ {4}E: Unable to locate package nonesuch$/m);
    });

    it("refuses an interval that is not a number of seconds, running nothing", () => {
        const result = spawnSync("bash", ["-c", `source ${JSON.stringify(LIBRARY)}; progress_run step last-line touch /dev/null/never`], {
            encoding: "utf8",
            env: { ...process.env, PROGRESS_INTERVAL: "10s", TMPDIR: scratch },
        });
        assert.equal(result.status, 2);
        assert.equal(result.stderr.trim(), "ERROR: PROGRESS_INTERVAL must be a number of seconds (got 10s)");
    });

    it("the engine build and the stand-in images run their long steps through it", () => {
        const engine = spawnSync("grep", ["-c", "progress_run .* go-packages .* build -v", path.join(REPO_ROOT, ".ci", "engine", "build.sh")], { encoding: "utf8" });
        assert.equal(engine.stdout.trim(), "1", "go_build in .ci/engine/build.sh does not run `go build -v` through progress_run");
        const images = spawnSync("grep", ["-c", "progress_run ", path.join(REPO_ROOT, "scripts", "stand-in-images.sh")], { encoding: "utf8" });
        assert.ok(Number(images.stdout.trim()) >= 4, "debootstrap, apt-get update/install and docker import in stand-in-images.sh are not all run through progress_run");
    });
});
