import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../engine/harness";

// Which Go .ci/engine/build.sh compiles with: one already here, else the module proxy's golang.org/toolchain
// (fetch_toolchain is replaced by a recorder here: no test downloads it), and a GO that is not good enough refused.

const BUILD_SCRIPT = path.join(REPO_ROOT, ".ci", "engine", "build.sh");

describe(".ci/engine/build.sh: finding Go", () => {
    let scratch = "";
    beforeEach(() => {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-engine-go-"));
    });
    afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

    let calls = 0;
    /** find_go with a cache of its own per call (a fetched toolchain would answer the next call). */
    function findGo(env: Record<string, string>): { status: number | null; stdout: string; stderr: string } {
        calls += 1;
        const program = [
            `source ${JSON.stringify(BUILD_SCRIPT)}`,
            // A fetch that only says it ran and leaves a Go that reports the required version.
            'fetch_toolchain() { echo FETCHED; local go; go="$(toolchain_go)"; mkdir -p "$(dirname "$go")";',
            '  printf "#!/bin/sh\\necho go%s\\n" "$(required_go_version)" >"$go"; chmod +x "$go"; }',
            'find_go; echo "go_cmd=$go_cmd"',
        ].join("\n");
        const result = spawnSync("bash", ["-c", program], {
            encoding: "utf8",
            env: { PATH: "/usr/bin:/bin", HOME: scratch, CICD_ENGINE_CACHE: path.join(scratch, `cache${calls}`), ...env },
        });
        return { status: result.status, stdout: result.stdout, stderr: result.stderr };
    }

    it("fetches the toolchain into the engine cache only when no Go here is recent enough", () => {
        const none = findGo({ SYSTEM_GO: path.join(scratch, "no-go") });
        assert.equal(none.status, 0, none.stderr);
        assert.match(none.stdout, /^FETCHED$/m);
        assert.match(none.stdout, new RegExp(`^go_cmd=${path.join(scratch, "cache1", "go", "golang.org", "toolchain@v0.0.1-go").replace(/[.]/g, "\\.")}[0-9.]+\\.linux-\\w+/bin/go$`, "m"));

        const old = path.join(scratch, "old-go");
        fs.writeFileSync(old, "#!/bin/sh\necho go1.19.8\n", { mode: 0o755 });
        const tooOld = findGo({ SYSTEM_GO: old });
        assert.match(tooOld.stdout, /^FETCHED$/m, "an older Go was taken");

        const recent = path.join(scratch, "recent-go");
        fs.writeFileSync(recent, "#!/bin/sh\necho go9.99.0\n", { mode: 0o755 });
        const here = findGo({ SYSTEM_GO: recent });
        assert.equal(here.status, 0, here.stderr);
        assert.doesNotMatch(here.stdout, /FETCHED/);
        assert.match(here.stdout, new RegExp(`^go_cmd=${recent.replace(/[.]/g, "\\.")}$`, "m"));
    });

    it("refuses a GO that is not recent enough with one message, fetching nothing", () => {
        const old = path.join(scratch, "old-go");
        fs.writeFileSync(old, "#!/bin/sh\necho go1.19.8\n", { mode: 0o755 });
        const result = findGo({ GO: old, SYSTEM_GO: path.join(scratch, "no-go") });
        assert.equal(result.status, 1);
        assert.match(result.stderr, new RegExp(`^ERROR: engine: GO=${old.replace(/[.]/g, "\\.")} is not Go [0-9.]+ or newer`, "m"));
        assert.doesNotMatch(result.stdout, /FETCHED/);
        assert.ok(!fs.existsSync(path.join(scratch, `cache${calls}`, "go")), "a toolchain was fetched although GO was set");
    });
});
