// Issue "Before the first real `pulumi up`", item 13, and issue "Trust boundaries" (supply chain): the runner's boot
// script, run for real in bash with stand-ins for `aws`, `gitlab-runner`, `curl`, `dnf` and `sleep` on PATH.
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RunnerBootOptions, runnerUserData } from "../../../components/runner/userData";

const OPTIONS: RunnerBootOptions = {
    gitlabUrl: "https://gitlab.com",
    tokenParameterArn: "arn:aws:ssm:eu-central-1:123456789012:parameter/cicd/runner/runner-token",
    runnerName: "deploy",
    defaultImage: "alpine:3.20",
    privileged: false,
    concurrent: 2,
    runnerVersion: "19.4.0",
    blockInstanceMetadata: true,
};

/** The script's functions without its final calls, so a test can run one step. */
function functionsOnly(script: string): string {
    const calls = script.lastIndexOf("\n}\n") + 3;
    return script.slice(0, calls);
}

interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
    readonly console: string;
    readonly log: string;
}

/** Runs `steps` after the script's functions, with stand-ins that fail `failures` times before they succeed. */
function run(options: RunnerBootOptions, steps: string, failures: Record<string, number>): Run {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "prod-runner-boot-"));
    try {
        const bin = path.join(dir, "bin");
        fs.mkdirSync(bin);
        const log = path.join(dir, "calls.log");
        for (const tool of ["aws", "gitlab-runner"]) {
            fs.writeFileSync(path.join(bin, tool), `#!/bin/bash
count_file="${dir}/${tool}.count"
n=$(( $(cat "$count_file" 2>/dev/null || echo 0) + 1 )); echo "$n" > "$count_file"
echo "${tool} $* token-in-env=\${CI_SERVER_TOKEN:+yes}" >> "${log}"
[ "$n" -gt ${failures[tool] ?? 0} ] || { echo "${tool}: simulated failure $n" >&2; exit 1; }
[ "${tool}" = aws ] && echo "glrt-t1_FakeBootToken"
exit 0
`, { mode: 0o755 });
        }
        fs.writeFileSync(path.join(bin, "sleep"), `#!/bin/bash\necho "sleep $*" >> "${log}"\n`, { mode: 0o755 });
        const script = functionsOnly(runnerUserData(options)) + "\n" + steps + "\n";
        const consoleFile = path.join(dir, "console");
        const result = spawnSync("bash", ["-c", script], {
            env: { PATH: `${bin}:/usr/bin:/bin`, RUNNER_BOOT_CONSOLE: consoleFile },
            encoding: "utf8",
            timeout: 20000,
        });
        const read = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "");
        return { status: result.status, stdout: result.stdout, stderr: result.stderr, console: read(consoleFile), log: read(log) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

describe("#12 item 13: the runner's boot script retries the token read and the registration", () => {
    // The first two steps of register_runner (the rest edits /etc/gitlab-runner).
    const register = 'read_token_and_register() { local token=""; retry_until_deadline "reading the runner token parameter" read_token; retry_until_deadline "gitlab-runner register" register_once; }; read_token_and_register && echo registered';

    it("survives an IAM propagation delay: retries with growing waits, then registers with the token in the environment", () => {
        const result = run(OPTIONS, register, { aws: 2, "gitlab-runner": 1 });
        assert.equal(result.status, 0, result.stderr);
        assert.match(result.stdout, /reading the runner token parameter failed \(attempt 1\); retrying in 5 s/);
        assert.match(result.stdout, /reading the runner token parameter failed \(attempt 2\); retrying in 10 s/);
        assert.match(result.stdout, /gitlab-runner register failed \(attempt 1\); retrying in 5 s/);
        assert.match(result.stdout, /registered/);
        assert.deepEqual(result.log.split("\n").filter((l) => l.startsWith("sleep")), ["sleep 5", "sleep 10", "sleep 5"]);
        const registrations = result.log.split("\n").filter((l) => l.startsWith("gitlab-runner register"));
        assert.equal(registrations.length, 2);
        for (const line of registrations) {
            assert.match(line, /token-in-env=yes/, "the token travels in CI_SERVER_TOKEN");
            assert.doesNotMatch(line, /glrt-/, "never on the command line");
        }
    });

    it("gives up at the deadline with one clear failure line on the console", () => {
        const result = run({ ...OPTIONS, registerDeadlineSeconds: 0 }, register, { aws: 99 });
        assert.equal(result.status, 1);
        assert.match(result.console, /^ERROR: runner-boot: reading the runner token parameter failed 1 times over 0 s; giving up/m);
        assert.match(result.stderr, /ERROR: runner-boot: reading the runner token parameter failed/);
        assert.doesNotMatch(result.log, /gitlab-runner register/, "no registration without a token");
    });

    it("caps the wait between tries at 60 s", () => {
        const result = run(OPTIONS, register, { aws: 6 });
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(result.log.split("\n").filter((l) => l.startsWith("sleep")), ["sleep 5", "sleep 10", "sleep 20", "sleep 40", "sleep 60", "sleep 60"]);
    });
});

describe("#18 supply chain: the runner installs a pinned gitlab-runner", () => {
    it("downloads the pinned release and checks it against the release's checksums; no repository script piped to a shell", () => {
        const script = runnerUserData(OPTIONS);
        assert.doesNotMatch(script, /\|\s*(sudo\s+)?(ba)?sh\b/, "nothing is piped into a shell");
        assert.doesNotMatch(script, /packages\.gitlab\.com\/install/);
        assert.match(script, /readonly RUNNER_VERSION='19\.4\.0'/);
        assert.match(script, /gitlab-runner-downloads\/v\$RUNNER_VERSION/);
        assert.match(script, /sha256sum --check --strict/);
    });

    it("refuses to build a script that would install whatever is latest", () => {
        assert.throws(() => runnerUserData({ ...OPTIONS, runnerVersion: "" }), /\[runnerVersion\] "" must be a release such as 19\.4\.0/);
        assert.throws(() => runnerUserData({ ...OPTIONS, runnerVersion: "latest" }), /never installs "latest"/);
    });
});
