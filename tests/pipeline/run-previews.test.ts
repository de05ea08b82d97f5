import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "./support/ci-config";

const SCRIPT = path.join(REPO_ROOT, "scripts", "mr-note", "run-previews.sh");
const FIXTURES = path.join(__dirname, "fixtures", "preview");

// A stand-in `pulumi` on PATH that answers from recorded output: the script under test is the real one.
// staging passes; prod fails its --diff preview on a mandatory policy (exit 255) and its --json preview.
const FAKE_PULUMI = `#!/usr/bin/env bash
printf '%s\\n' "$*" >> "$FAKE_PULUMI_LOG"
stack=""; prev=""
for arg in "$@"; do [ "$prev" = "--stack" ] && stack="$arg"; prev="$arg"; done
case "$*" in
  *--json*)
    if [ "$stack" = prod ]; then cat "$FIXTURES/failure.json"; echo "error: preview failed" >&2; exit 255; fi
    cat "$FIXTURES/update.json" ;;
  *--diff*)
    if [ "$stack" = prod ]; then cat "$FIXTURES/failure.diff.txt"; exit 255; fi
    echo "Previewing update (staging):"; echo "Resources: 2 to update, 4 unchanged" ;;
  *) echo "unexpected: $*" >&2; exit 3 ;;
esac
`;

describe("pipeline: run-previews.sh records each stack's preview", function () {
    this.timeout(20_000); // runs bash and a stand-in CLI
    let work: string;
    let log: string;

    beforeEach(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "run-previews-"));
        fs.mkdirSync(path.join(work, "bin"));
        fs.mkdirSync(path.join(work, "policy"));
        fs.writeFileSync(path.join(work, "bin", "pulumi"), FAKE_PULUMI, { mode: 0o755 });
        log = path.join(work, "pulumi.log");
    });
    afterEach(() => fs.rmSync(work, { recursive: true, force: true }));

    const runScript = (...args: string[]) => spawnSync("bash", [SCRIPT, ...args], {
        cwd: work,
        encoding: "utf8",
        env: { ...process.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}`, FAKE_PULUMI_LOG: log, FIXTURES },
    });

    it("writes STACK.json, STACK.exit and STACK.diff.txt per stack, keeps going after a failure, and exits 0", () => {
        const result = runScript("--out", ".preview", "staging", "prod");
        assert.strictEqual(result.status, 0, result.stderr);
        const out = path.join(work, ".preview");
        assert.strictEqual(fs.readFileSync(path.join(out, "staging.exit"), "utf8"), "0\n");
        assert.strictEqual(fs.readFileSync(path.join(out, "prod.exit"), "utf8"), "255\n");
        assert.deepStrictEqual(JSON.parse(fs.readFileSync(path.join(out, "staging.json"), "utf8")),
            JSON.parse(fs.readFileSync(path.join(FIXTURES, "update.json"), "utf8")));
        assert.match(fs.readFileSync(path.join(out, "prod.diff.txt"), "utf8"), /\[mandatory\]  no-ssh-from-world/);
        // stderr stays out of the JSON document the note reads.
        assert.doesNotMatch(fs.readFileSync(path.join(out, "prod.json"), "utf8"), /error: preview failed/);
        assert.match(result.stdout, /preview of prod FAILED \(exit 255\)/);
    });

    it("runs the diff preview with the policy pack and the JSON preview, per stack", () => {
        runScript("--out", ".preview", "staging");
        assert.deepStrictEqual(fs.readFileSync(log, "utf8").trim().split("\n"), [
            "preview --stack staging --diff --policy-pack policy --color never --non-interactive",
            "preview --stack staging --json --non-interactive",
        ]);
    });

    it("rejects bad usage with one ERROR line, exit 2, and runs nothing", () => {
        for (const args of [["staging"], ["--out", ".preview"], ["--out", ".preview", "--policy-pack", "nope", "staging"],
            ["--out", ".preview", "bad stack"]]) {
            const result = runScript(...args);
            assert.strictEqual(result.status, 2, `${args.join(" ")}: ${result.stderr}`);
            assert.match(result.stderr, /^ERROR: .+\nusage: run-previews\.sh/);
        }
        assert.ok(!fs.existsSync(log), "pulumi must not run on bad usage");
        assert.ok(!fs.existsSync(path.join(work, ".preview")));
    });
});
