import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../engine/harness";

// scripts/setup.sh on a machine made of fakes: a PATH holding only basic tools plus fake docker, npm, pulumi, sudo
// and apt-get that record their calls, an injected os-release, and a user who is not root. Nothing is installed
// and no root command runs; what the script decides, announces and calls is what the tests read.

const SCRIPT = path.join(REPO_ROOT, "scripts", "setup.sh");
const BASIC_TOOLS = [
    "bash", "sh", "sed", "awk", "grep", "head", "tail", "tr", "cat", "sort", "dirname", "basename", "mktemp", "seq",
    "sleep", "env", "uname", "find", "xargs", "sha256sum", "cut", "wc", "rm", "mkdir", "chmod", "date", "readlink",
];
const DEBIAN = 'PRETTY_NAME="Debian GNU/Linux 13 (trixie)"\nNAME="Debian GNU/Linux"\nID=debian\n';

interface Machine {
    /** Fake docker: absent, installed but the engine does not answer, or answering (with or without Compose). */
    readonly docker?: "absent" | "stopped" | "running" | "running-without-compose";
    readonly npm?: boolean;
    readonly pulumi?: boolean;
    readonly sudo?: boolean;
    readonly osRelease?: string;
}

interface Run {
    readonly status: number | null;
    readonly stderr: string;
    /** Every call of a fake that changes the machine (sudo, apt-get, systemctl, dockerd), one line each. */
    readonly rootCalls: string[];
}

function writeExecutable(file: string, body: string[]): void {
    fs.writeFileSync(file, ["#!/bin/bash", ...body, ""].join("\n"), { mode: 0o755 });
}

describe("scripts/setup.sh", function () {
    this.timeout(60_000);
    let scratch = "";
    beforeEach(() => {
        scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-setup-"));
    });
    afterEach(() => fs.rmSync(scratch, { recursive: true, force: true }));

    function setup(machine: Machine, args: string[], env: Record<string, string> = {}): Run {
        const bin = path.join(scratch, "bin");
        const calls = path.join(scratch, "root-calls.log");
        // A fresh machine each call: tests that call twice compare two runs, not one run's leftovers.
        fs.rmSync(bin, { recursive: true, force: true });
        fs.rmSync(calls, { force: true });
        fs.mkdirSync(bin, { recursive: true });
        for (const tool of BASIC_TOOLS) {
            const real = spawnSync("bash", ["-c", `command -v ${tool}`], { encoding: "utf8" }).stdout.trim();
            assert.ok(real, `${tool} is not on this machine's PATH`);
            fs.symlinkSync(real, path.join(bin, tool));
        }
        const record = `echo "$(basename "$0") $*" >>${JSON.stringify(calls)}`;
        writeExecutable(path.join(bin, "id"), ['case "$1" in -u) echo 1000 ;; -un) echo newcomer ;; *) echo "uid=1000(newcomer)" ;; esac']);
        writeExecutable(path.join(bin, "apt-get"), [record]);
        writeExecutable(path.join(bin, "systemctl"), [record]);
        if (machine.sudo ?? true) writeExecutable(path.join(bin, "sudo"), [record]);
        if (machine.npm ?? true) writeExecutable(path.join(bin, "npm"), ['[ "$1" = --version ] && echo 10.9.2']);
        if (machine.pulumi ?? true) writeExecutable(path.join(bin, "pulumi"), ['[ "$1" = version ] && echo v3.999.0-user']);
        const docker = machine.docker ?? "running";
        if (docker !== "absent") {
            writeExecutable(path.join(bin, "docker"), [
                `state=${docker}`,
                'case "$1" in',
                '  info) [ "$state" != stopped ] ;;',
                '  compose) [ "$state" = running ] ;;',
                // Every official base is here: a machine that reaches a registry.
                '  image) [ "$2" = inspect ] ;;',
                "  *) exit 1 ;;",
                "esac",
            ]);
        }
        const osRelease = path.join(scratch, "os-release");
        fs.writeFileSync(osRelease, machine.osRelease ?? DEBIAN);
        const result = spawnSync("bash", [SCRIPT, ...args], {
            encoding: "utf8",
            env: {
                HOME: path.join(scratch, "home"),
                PATH: bin,
                SETUP_OS_RELEASE: osRelease,
                CICD_ENGINE_CACHE: path.join(scratch, "engine-cache"),
                SYSTEM_GO: path.join(scratch, "no-go"),
                ...env,
            },
        });
        const rootCalls = fs.existsSync(calls) ? fs.readFileSync(calls, "utf8").split("\n").filter(Boolean) : [];
        return { status: result.status, stderr: result.stderr, rootCalls };
    }

    const announcedPackages = (stderr: string) => /^==> setup: will install with sudo: apt-get install (.+)$/m.exec(stderr)?.[1].split(" ") ?? [];

    it("stops on a system that is not Debian or Ubuntu with one line naming what to install by hand, changing nothing", () => {
        const run = setup({ osRelease: 'PRETTY_NAME="Fedora Linux 41"\nID=fedora\n' }, ["--tests"]);
        assert.equal(run.status, 1);
        const lines = run.stderr.split("\n").filter(Boolean);
        assert.equal(lines.length, 1, run.stderr);
        assert.match(lines[0], /^ERROR: setup: Fedora Linux 41 is not Debian or Ubuntu: install by hand a Docker engine with Compose, Node\.js 24 with npm, Go [0-9.]+\+ \(or a Pulumi CLI on PATH\), PostgreSQL .*rsync, openssh-client, git, check-jsonschema [0-9.]+, then run the README's two lines$/);
        assert.deepEqual(run.rootCalls, []);
    });

    it("takes a Debian derivative (ID_LIKE) and Ubuntu as supported", () => {
        for (const release of ['PRETTY_NAME="Linux Mint 22"\nID=linuxmint\nID_LIKE="ubuntu debian"\n', 'PRETTY_NAME="Ubuntu 24.04 LTS"\nID=ubuntu\nID_LIKE=debian\n']) {
            const run = setup({ osRelease: release }, ["--plan"]);
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stderr, /^==> setup: this machine: (Linux Mint 22|Ubuntu 24\.04 LTS)$/m);
        }
    });

    it("on a bare machine announces every package and build before doing anything, and --plan changes nothing", () => {
        const run = setup({ docker: "absent", npm: false, pulumi: false }, ["--plan"]);
        assert.equal(run.status, 0, run.stderr);
        assert.deepEqual(announcedPackages(run.stderr).sort(), ["curl", "debootstrap", "docker-compose", "docker.io", "npm", "unzip"].sort(), run.stderr);
        assert.match(run.stderr, /^==> setup: will start the Docker engine \(with sudo\)$/m);
        assert.match(run.stderr, /^==> setup: will build: the Pulumi engine from Go modules \(\.ci\/engine\/build\.sh\)$/m);
        assert.match(run.stderr, /^==> setup: will build: stand-in images from Debian packages, as root: node-build node-runtime postgres nginx \(scripts\/stand-in-images\.sh\)$/m);
        assert.deepEqual(run.rootCalls, []);
    });

    it("--tests adds the test tools to the announced list", () => {
        const run = setup({ docker: "absent", npm: false, pulumi: false }, ["--tests", "--plan"], { TEST_DATABASE_URL: "postgres://u:p@db.invalid/x" });
        assert.equal(run.status, 0, run.stderr);
        const packages = announcedPackages(run.stderr);
        for (const tool of ["rsync", "openssh-client", "git", "python3-venv"]) assert.ok(packages.includes(tool), `${tool} not announced: ${run.stderr}`);
        assert.ok(!packages.includes("postgresql"), "PostgreSQL announced although TEST_DATABASE_URL names a database");
        assert.match(run.stderr, /^==> setup: will install check-jsonschema [0-9.]+ from PyPI into \/opt\/check-jsonschema \(with sudo\)$/m);
        assert.match(run.stderr, /stand-in images from Debian packages, as root: node-build node-runtime postgres nginx sim-host registry/);
    });

    it("uses a Docker that is here: installs no engine, and starts it when it does not answer", () => {
        const stopped = setup({ docker: "stopped" }, ["--plan"]);
        assert.equal(stopped.status, 0, stopped.stderr);
        assert.ok(!announcedPackages(stopped.stderr).includes("docker.io"), stopped.stderr);
        assert.match(stopped.stderr, /Docker at \S+\/docker \(the engine does not answer yet\)/);
        assert.match(stopped.stderr, /^==> setup: will start the Docker engine \(with sudo\)$/m);

        const withoutCompose = setup({ docker: "running-without-compose" }, ["--plan"]);
        assert.deepEqual(announcedPackages(withoutCompose.stderr), ["docker-compose"], withoutCompose.stderr);
        assert.doesNotMatch(withoutCompose.stderr, /start the Docker engine/);
    });

    it("on a prepared machine installs, starts and builds nothing, asks for no root, and a second run does the same", () => {
        for (let attempt = 1; attempt <= 2; attempt++) {
            const run = setup({ docker: "running" }, []);
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stderr, /^==> setup: using what is here: Docker at \S+ \(the engine answers\); Compose; npm 10\.9\.2 .*; your pulumi at \S+ \(used as it is: nothing is built\)$/m);
            assert.match(run.stderr, /^==> setup: nothing to install$/m);
            assert.match(run.stderr, /^==> setup: nothing to build$/m);
            assert.match(run.stderr, /^==> setup: ready: npm ci && npm run local:up$/m);
            assert.deepEqual(run.rootCalls, [], `run ${attempt} called root commands`);
        }
    });

    it("installs through sudo exactly what it announced", () => {
        const run = setup({ docker: "running", npm: false }, []);
        assert.deepEqual(announcedPackages(run.stderr), ["npm"], run.stderr);
        assert.deepEqual(run.rootCalls.filter((call) => call.includes(" install ")), [
            "sudo -- env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm",
        ]);
    });

    it("without root and without sudo names the one command to run", () => {
        for (const args of [[], ["--tests"]]) {
            const run = setup({ docker: "running", npm: false, sudo: false }, args);
            assert.equal(run.status, 1);
            const command = `su -c 'bash ${SCRIPT}${args.length ? ` ${args.join(" ")}` : ""}'`;
            const lines = run.stderr.split("\n").filter((line) => line.startsWith("ERROR"));
            assert.deepEqual(lines.length, 1, run.stderr);
            assert.match(lines[0], /^ERROR: setup: root is needed for: .*apt-get update .*\(sudo is not installed\); run this once as root: /);
            assert.ok(lines[0].endsWith(command), `the command to run is not ${command}: ${lines[0]}`);
            assert.deepEqual(run.rootCalls, []);
        }
    });

    it("rejects an unknown argument with the usage line, changing nothing", () => {
        const run = setup({}, ["--yes"]);
        assert.equal(run.status, 1);
        assert.match(run.stderr, /^scripts\/setup\.sh \[--tests\] \[--plan\]$/m);
        assert.match(run.stderr, /^ERROR: setup: unknown argument '--yes' \(allowed: --tests, --plan, --help\)$/m);
        assert.deepEqual(run.rootCalls, []);
    });
});

describe(".ci/run", () => {
    const CI_RUN = path.join(REPO_ROOT, ".ci", "run");

    /** Sources .ci/run (which then runs nothing) from `dir` and runs `commands` in that shell. */
    function sourced(commands: string, runFile = CI_RUN, dir = REPO_ROOT, env: NodeJS.ProcessEnv = process.env) {
        return spawnSync("bash", ["-c", `source ${JSON.stringify(runFile)}; ${commands}`], { encoding: "utf8", cwd: dir, env });
    }

    it("holds the README's two quickstart lines literally, and finds them equal to the README's block", () => {
        const result = sourced("script_quickstart_line 1; script_quickstart_line 2; check_quickstart_matches_readme");
        assert.equal(result.status, 0, result.stderr);
        assert.deepEqual(result.stdout.split("\n").filter(Boolean), [
            "scripts/setup.sh && npm ci && npm run local:up",
            "scripts/setup.sh --tests && npm ci && npm test",
        ]);
        const run = fs.readFileSync(CI_RUN, "utf8");
        assert.ok(run.includes("\n  scripts/setup.sh --tests && npm ci && npm test\n"), "the test command is written out in .ci/run");
        assert.match(run, /check_quickstart_matches_readme\n {2}run_quickstart_line 1\n[^]*\n {2}run_quickstart_line 2\n/);
    });

    it("refuses to run when the README's quickstart differs from the lines it runs", () => {
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-ci-run-"));
        try {
            fs.mkdirSync(path.join(scratch, ".ci"));
            fs.copyFileSync(CI_RUN, path.join(scratch, ".ci", "run"));
            const readme = fs.readFileSync(path.join(REPO_ROOT, "README.md"), "utf8");
            const edited = readme.replace("npm ci && npm test\n", "npm ci && npm run test:fast\n");
            assert.notEqual(edited, readme);
            fs.writeFileSync(path.join(scratch, "README.md"), edited);
            const result = sourced("check_quickstart_matches_readme", path.join(scratch, ".ci", "run"));
            assert.equal(result.status, 1);
            assert.match(result.stderr, /^ERROR: the README's quickstart block must be exactly the two lines \.ci\/run runs:$/m);
            assert.match(result.stderr, /npm run test:fast/);
        } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    });

    it("stops with the line named when a command before the line's last && fails (set -e alone would not)", () => {
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-ci-run-"));
        try {
            const bin = path.join(scratch, "bin");
            fs.mkdirSync(path.join(scratch, "scripts"));
            fs.mkdirSync(bin);
            fs.writeFileSync(path.join(scratch, "scripts", "setup.sh"), "#!/bin/sh\nexit 3\n", { mode: 0o755 });
            fs.writeFileSync(path.join(bin, "npm"), `#!/bin/sh\necho "npm $*" >>${JSON.stringify(path.join(scratch, "npm.log"))}\n`, { mode: 0o755 });
            const env = { ...process.env, PATH: `${bin}:${process.env.PATH}` };
            const result = sourced("run_quickstart_line 2; echo after", CI_RUN, scratch, env);
            assert.equal(result.status, 1);
            assert.match(result.stderr, /^ERROR: README line 2 failed: scripts\/setup\.sh --tests && npm ci && npm test$/m);
            assert.doesNotMatch(result.stdout, /after/);
            assert.equal(fs.existsSync(path.join(scratch, "npm.log")), false, "npm ran after setup.sh failed");
        } finally {
            fs.rmSync(scratch, { recursive: true, force: true });
        }
    });
});

describe("scripts/setup.sh builds", function () {
    this.timeout(30_000);

    /** Sources setup.sh, replaces the three builds by fakes that log start and end, runs run_builds. */
    function runBuilds(failing = ""): { status: number | null; events: string[]; stdout: string; stderr: string } {
        const program = [
            `source ${JSON.stringify(SCRIPT)}`,
            "WITH_TESTS=true",
            "STAND_IN_IMAGES=(sim-host registry)",
            "plan_stand_in_images() { :; }",
            "engine_state() { :; }",
            'fake() { echo "start $1" >>"$EVENTS"; sleep "$2"; echo "end $1" >>"$EVENTS"; [ "$1" != "$FAILING" ]; }',
            "build_engine() { fake engine 0.6; }",
            "provide_test_tools() { fake tools 0.2; }",
            'build_stand_in_images() { echo "images: $*"; fake images 0.4; }',
            "run_builds",
        ].join("\n");
        const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-setup-builds-"));
        const events = path.join(scratch, "events");
        const result = spawnSync("bash", ["-c", program], { encoding: "utf8", env: { ...process.env, EVENTS: events, FAILING: failing } });
        const logged = fs.existsSync(events) ? fs.readFileSync(events, "utf8").split("\n").filter(Boolean) : [];
        fs.rmSync(scratch, { recursive: true, force: true });
        return { status: result.status, events: logged, stdout: result.stdout, stderr: result.stderr };
    }

    it("builds the stand-in images beside the engine, and the test tools after the engine, with every line labelled", () => {
        const { status, events, stdout, stderr } = runBuilds();
        assert.equal(status, 0, stderr);
        const at = (event: string) => events.indexOf(event);
        assert.ok(at("start images") < at("end engine") && at("start engine") < at("end images"), `the images did not build beside the engine: ${events.join(", ")}`);
        assert.ok(at("end engine") < at("start tools"), `the tools started before the engine was built: ${events.join(", ")}`);
        assert.match(stdout, /^\[images\] images: sim-host registry$/m);
    });

    it("names the build that failed", () => {
        const engine = runBuilds("engine");
        assert.equal(engine.status, 1);
        assert.match(engine.stderr, /^ERROR: setup: building the Pulumi engine \(\.ci\/engine\/build\.sh\) failed: see the lines above$/m);
        assert.ok(!engine.events.includes("start tools"), "the tools ran after the engine build failed");
        const images = runBuilds("images");
        assert.match(images.stderr, /^ERROR: setup: building the stand-in images \(scripts\/stand-in-images\.sh\) failed: see the lines above$/m);
    });
});
