// deploy.sh without a Docker engine: its plan, read from DEPLOY_DRY_RUN=1 output (what a deploy would run, in which
// order, with which flags, for Compose v2 and v1), and its real login path against a recording stand-in docker.
// Secrets must never reach argv or output.
import assert from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { hostComposeProject, hostHome } from "../../components/host";
import { deployCommand } from "../../components/host/commands";
import { run } from "../support/docker";
import { DEPLOY_DIR, DEPLOY_SCRIPT } from "./stack";

const IMAGE = "registry.example.com/delivery/notes@sha256:" + "ab".repeat(32);
const REGISTRY_PASSWORD = "glpat-dry-run-secret-value";

describe("deploy.sh without an engine: dry-run plan, and a recording docker", function () {
    let workDir: string;
    let envFile: string;
    let stateDir: string;
    let fakeBin: string;
    let dockerCalls: string;

    before(function () {
        workDir = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-dry-run-"));
        // A `docker` first on PATH that records any call: a dry run must never run one.
        fakeBin = path.join(workDir, "bin");
        dockerCalls = path.join(workDir, "docker-calls");
        fs.mkdirSync(fakeBin);
        fs.writeFileSync(path.join(fakeBin, "docker"), `#!/bin/sh\necho "$*" >> ${dockerCalls}\nexit 99\n`, { mode: 0o755 });
        envFile = path.join(workDir, "host.env");
        fs.writeFileSync(envFile, "POSTGRES_PASSWORD=dry-run-db-password\n", { mode: 0o600 });
        stateDir = path.join(workDir, "state");
    });
    after(function () {
        fs.rmSync(workDir, { recursive: true, force: true });
    });
    afterEach(function () {
        assert.ok(!fs.existsSync(dockerCalls), `the dry run called docker: ${fs.existsSync(dockerCalls) ? fs.readFileSync(dockerCalls, "utf8") : ""}`);
    });

    function dryRun(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
        return run(DEPLOY_SCRIPT, [...args, "--env-file", envFile], {
            env: {
                DEPLOY_DRY_RUN: "1",
                DEPLOY_STATE_DIR: stateDir,
                DEPLOY_COMPOSE: "docker compose",
                DEPLOY_DOCKER: "docker",
                PATH: `${fakeBin}:${process.env.PATH}`,
                APP_REPLICAS: "",
                ...env,
            },
            allowFailure: true,
            timeoutMs: 30_000,
        });
    }

    /** Command lines (`+ ...`) in order. */
    const commands = (stdout: string) => stdout.split("\n").filter((line) => line.startsWith("+ "));
    const indexOf = (lines: string[], pattern: RegExp) => {
        const index = lines.findIndex((line) => pattern.test(line));
        assert.ok(index >= 0, `expected a command matching ${pattern} in:\n${lines.join("\n")}`);
        return index;
    };

    it("plans a production deploy: lock, login, pull, infrastructure, new replicas beside old, gate, switch, stop old, record", async function () {
        const result = await dryRun(["deploy", "--image", IMAGE, "--env", "production"], {
            REGISTRY: "registry.example.com",
            REGISTRY_USER: "deployer",
            REGISTRY_PASSWORD,
        });
        assert.strictEqual(result.code, 0, result.stderr);
        const lines = commands(result.stdout);
        const compose = `docker compose --project-name gitlab-docker-delivery-production --env-file ${envFile} -f ${DEPLOY_DIR}/compose.yaml -f ${DEPLOY_DIR}/compose.production.yaml`;

        const lock = indexOf(lines, /^\+ mkdir .*\/deploy\.lock$/);
        const login = indexOf(lines, /^\+ docker login --username deployer --password-stdin registry\.example\.com$/);
        const pull = indexOf(lines, new RegExp(`^\\+ docker pull ${IMAGE}$`));
        const variables = `APP_IMAGE=${IMAGE} APP_ROUTE_ALIAS=app-green APP_ROUTE_DIR=${stateDir}/route`;
        const infrastructure = lines.indexOf(`+ env ${variables} ${compose} up -d --no-deps --no-recreate db proxy`);
        const boot = lines.indexOf(`+ env ${variables} ${compose} up -d --no-deps --no-recreate --scale app=2 app`);
        assert.ok(infrastructure >= 0 && boot >= 0, `compose commands as planned:\n${lines.join("\n")}`);
        const probes = lines.map((line, index) => (/^\+ docker exec new-replica-\d node -e .*\/ready/.test(line) ? index : -1)).filter((index) => index >= 0);
        assert.strictEqual(probes.length, 2, "GET /ready is checked on each of the 2 new replicas");
        // Nothing live yet, so blue is the live slot and the new version goes to green; the switch is the marker file.
        const connect = indexOf(lines, new RegExp(`^\\+ touch ${stateDir}/route/green$`));
        const stop = indexOf(lines, /^\+ docker stop --time 15 old-replicas$/);
        const record = indexOf(lines, /^\+ append .* to .*\/releases/);

        assert.ok(lock < login && login < pull && pull < infrastructure && infrastructure < boot, "setup order");
        assert.ok(boot < Math.min(...probes) && Math.max(...probes) < connect, "traffic switches only after every replica is ready");
        assert.ok(connect < stop && stop < record, "old replicas stop only after the switch; the release is recorded last");
    });

    it("never prints the registry password, never recreates or removes the database", async function () {
        const result = await dryRun(["deploy", "--image", IMAGE, "--env", "production"], {
            REGISTRY: "registry.example.com",
            REGISTRY_USER: "deployer",
            REGISTRY_PASSWORD,
        });
        assert.strictEqual(result.code, 0, result.stderr);
        assert.ok(!(result.stdout + result.stderr).includes(REGISTRY_PASSWORD), "password not in the output");
        assert.ok(!(result.stdout + result.stderr).includes("dry-run-db-password"), "database password not in the output");
        for (const line of commands(result.stdout)) {
            assert.doesNotMatch(line, / down\b|--force-recreate|--renew-anon-volumes|volume rm/, line);
            if (/ up /.test(line)) assert.match(line, /--no-recreate/, `every up keeps what runs: ${line}`);
        }
    });

    it("keeps compose.backup.yaml in every Compose call when BACKUP_ENABLED=true, and only then", async function () {
        const on = commands((await dryRun(["deploy", "--image", IMAGE, "--env", "production"], { BACKUP_ENABLED: "true" })).stdout);
        const off = commands((await dryRun(["deploy", "--image", IMAGE, "--env", "production"])).stdout);
        const composeLines = (lines: string[]) => lines.filter((line) => / docker compose /.test(line));
        assert.ok(composeLines(on).length > 0);
        for (const line of composeLines(on)) assert.ok(line.includes(`-f ${DEPLOY_DIR}/compose.backup.yaml`), line);
        for (const line of composeLines(off)) assert.ok(!line.includes("compose.backup.yaml"), line);
    });

    it("refuses a BACKUP_ENABLED that is not true or false with one message, before any command", async function () {
        const result = await dryRun(["deploy", "--image", IMAGE, "--env", "production"], { BACKUP_ENABLED: "yes" });
        assert.notStrictEqual(result.code, 0);
        assert.match(result.stderr, /^ERROR: BACKUP_ENABLED must be true or false \(got 'yes'; see docs\/backups\.md\)$/m);
        assert.deepStrictEqual(commands(result.stdout), []);
    });

    it("uses docker-compose (v1) the same way when that is the Compose available", async function () {
        const result = await dryRun(["deploy", "--image", IMAGE, "--env", "staging"], { DEPLOY_COMPOSE: "docker-compose" });
        assert.strictEqual(result.code, 0, result.stderr);
        const lines = commands(result.stdout);
        indexOf(lines, /^\+ env APP_IMAGE=\S+ APP_ROUTE_ALIAS=app-green APP_ROUTE_DIR=\S+ docker-compose --project-name gitlab-docker-delivery-staging .* -f \S+\/compose\.staging\.yaml up -d --no-deps --no-recreate --scale app=1 app$/);
        assert.ok(!lines.some((line) => /docker login/.test(line)), "no login without credentials");
    });

    it("takes the replica count from APP_REPLICAS and the project name from --project", async function () {
        const result = await dryRun(["deploy", "--image", "notes:0123abc", "--env", "local", "--project", "shop"], { APP_REPLICAS: "3" });
        assert.strictEqual(result.code, 0, result.stderr);
        const lines = commands(result.stdout);
        indexOf(lines, /--project-name shop .* --scale app=3 app$/);
        assert.strictEqual(lines.filter((line) => /^\+ docker exec new-replica-\d node -e .*\/ready/.test(line)).length, 3);
    });

    it("starts the new version in blue when green is live, and switches by removing the marker", async function () {
        fs.mkdirSync(path.join(stateDir, "route"), { recursive: true });
        fs.writeFileSync(path.join(stateDir, "route", "green"), "");
        try {
            const result = await dryRun(["deploy", "--image", IMAGE, "--env", "staging"]);
            assert.strictEqual(result.code, 0, result.stderr);
            const lines = commands(result.stdout);
            const boot = indexOf(lines, /APP_ROUTE_ALIAS=app-blue .* --scale app=1 app$/);
            const switchBack = indexOf(lines, new RegExp(`^\\+ rm -f ${stateDir}/route/green$`));
            assert.ok(boot < switchBack);
            assert.ok(!lines.some((line) => /touch .*green/.test(line)));
        } finally {
            fs.rmSync(path.join(stateDir, "route"), { recursive: true, force: true });
        }
    });

    it("rolls back to the previous recorded release, or says there is none", async function () {
        const none = await dryRun(["rollback", "--env", "staging"]);
        assert.strictEqual(none.code, 1);
        assert.match(none.stderr, /^ERROR: no previous release recorded in .*releases; name one: deploy\.sh rollback REF --env staging$/m);

        fs.mkdirSync(stateDir, { recursive: true });
        fs.writeFileSync(path.join(stateDir, "releases"), "2026-01-01T00:00:00Z notes:aaa111\n2026-01-02T00:00:00Z notes:bbb222\n");
        const back = await dryRun(["rollback", "--env", "staging"]);
        assert.strictEqual(back.code, 0, back.stderr);
        assert.match(back.stdout, /^--> rollback: notes:aaa111 to staging/m);
        indexOf(commands(back.stdout), /APP_IMAGE=notes:aaa111 .* --scale app=1 app$/);

        const named = await dryRun(["rollback", "notes:ccc333", "--env", "staging"]);
        assert.strictEqual(named.code, 0, named.stderr);
        assert.match(named.stdout, /^--> rollback: notes:ccc333 to staging/m);
        fs.rmSync(path.join(stateDir, "releases"));
    });

    it("validates before planning anything, even in a dry run", async function () {
        const cases: [string[], RegExp][] = [
            [["deploy", "--env", "production"], /--image is required/],
            [["deploy", "--image", "notes", "--env", "production"], /no tag or digest/],
            [["deploy", "--image", "notes:latest", "--env", "production"], /tag 'latest'/],
            [["deploy", "--image", IMAGE, "--env", "prod"], /unknown environment 'prod'/],
            [["deploy", "--image", IMAGE], /--env is required/],
            [["ship", "--image", IMAGE], /unknown action 'ship'/],
            [["deploy", "--image", IMAGE, "--env", "production", "--project", "Bad Name"], /project name 'Bad Name' is invalid/],
            [["status", "--image", IMAGE, "--env", "production"], /--image only applies to deploy and rollback/],
            [["deploy", "--image", IMAGE, "--env", "production", "--volumes"], /--volumes only applies to 'down'/],
        ];
        for (const [args, message] of cases) {
            const result = await dryRun(args, { APP_REPLICAS: "" });
            assert.strictEqual(result.code, 1, `${args.join(" ")} must fail`);
            assert.strictEqual(commands(result.stdout).length, 0, `${args.join(" ")} planned nothing`);
            const errors = result.stderr.split("\n").filter((line) => line.startsWith("ERROR:"));
            assert.strictEqual(errors.length, 1, result.stderr);
            assert.match(errors[0], message);
        }
        const badReplicas = await dryRun(["deploy", "--image", IMAGE, "--env", "production"], { APP_REPLICAS: "many" });
        assert.match(badReplicas.stderr, /^ERROR: APP_REPLICAS must be a number from 1 to 99 \(got 'many'\)$/m);
    });

    it("runs its steps from lib/ beside itself (also with --dir), and says which file is missing when lib/ was not shipped", async function () {
        // A bundle elsewhere, given by --dir: the steps still come from the script's own lib/.
        const otherBundle = path.join(workDir, "other-bundle");
        fs.cpSync(DEPLOY_DIR, otherBundle, { recursive: true, filter: (source) => path.relative(DEPLOY_DIR, source).split(path.sep)[0] !== "lib" });
        const planned = await dryRun(["deploy", "--image", IMAGE, "--env", "staging", "--dir", otherBundle]);
        assert.strictEqual(planned.code, 0, planned.stderr);
        assert.match(planned.stdout, new RegExp(`-f ${otherBundle}/compose\\.yaml`));

        const alone = path.join(workDir, "script-alone");
        fs.mkdirSync(alone);
        fs.copyFileSync(DEPLOY_SCRIPT, path.join(alone, "deploy.sh"));
        const result = await run("bash", [path.join(alone, "deploy.sh"), "status", "--env", "staging"], { allowFailure: true, timeoutMs: 30_000 });
        assert.strictEqual(result.code, 1);
        assert.strictEqual(result.stderr, `ERROR: ${alone}/lib/output.sh is missing: deploy.sh needs the lib folder beside it\n`);
    });

    describe("registry login for real, against a recording docker (no engine)", function () {
        it("hands the password to docker login on stdin only, never in argv or output, and stops cleanly when Compose fails", async function () {
            const recordDir = path.join(workDir, "recording");
            fs.mkdirSync(recordDir);
            const fakeDocker = path.join(recordDir, "docker");
            const fakeCompose = path.join(recordDir, "compose");
            // A docker that answers like an engine with nothing running and no image, recording what it is asked.
            fs.writeFileSync(
                fakeDocker,
                [
                    "#!/bin/sh",
                    `echo "$*" >> ${recordDir}/argv`,
                    'case "$1" in',
                    `  login) cat > ${recordDir}/login-stdin ;;`,
                    "  image) exit 1 ;;",
                    "esac",
                    "exit 0",
                    "",
                ].join("\n"),
                { mode: 0o755 },
            );
            fs.writeFileSync(fakeCompose, `#!/bin/sh\necho "$*" >> ${recordDir}/compose-argv\necho "compose stand-in refuses" >&2\nexit 3\n`, { mode: 0o755 });

            const result = await run(DEPLOY_SCRIPT, ["deploy", "--image", IMAGE, "--env", "staging", "--env-file", envFile], {
                env: {
                    DEPLOY_STATE_DIR: stateDir,
                    DEPLOY_DOCKER: fakeDocker,
                    DEPLOY_COMPOSE: fakeCompose,
                    REGISTRY: "registry.example.com",
                    REGISTRY_USER: "deployer",
                    REGISTRY_PASSWORD,
                },
                allowFailure: true,
                timeoutMs: 30_000,
            });
            const argv = fs.readFileSync(path.join(recordDir, "argv"), "utf8");
            assert.strictEqual(fs.readFileSync(path.join(recordDir, "login-stdin"), "utf8"), REGISTRY_PASSWORD);
            assert.match(argv, /^login --username deployer --password-stdin registry\.example\.com$/m);
            assert.match(argv, new RegExp(`^pull ${IMAGE}$`, "m"), "the image is not local, so it is pulled");
            assert.ok(!argv.includes(REGISTRY_PASSWORD), "password not in any docker argv");
            assert.ok(!fs.readFileSync(path.join(recordDir, "compose-argv"), "utf8").includes(REGISTRY_PASSWORD));
            assert.ok(!(result.stdout + result.stderr).includes(REGISTRY_PASSWORD), "password not in the output");

            assert.strictEqual(result.code, 1);
            const errors = result.stderr.split("\n").filter((line) => line.startsWith("ERROR:"));
            assert.deepStrictEqual(errors.length, 1, result.stderr);
            assert.match(errors[0], /^ERROR: step ensure_infrastructure: command failed: /);
            assert.match(result.stderr, /compose stand-in refuses/, "the failing command's output is shown");
            assert.ok(!fs.existsSync(path.join(stateDir, "deploy.lock")), "the lock is released on failure");
            assert.ok(!fs.existsSync(path.join(stateDir, "releases")), "a failed deploy records nothing");
        });

        it("reads the registry credentials file as data: a password like abc$(id) is a password, never run (issue 18)", async function () {
            const recordDir = fs.mkdtempSync(path.join(workDir, "credentials-"));
            const fakeDocker = path.join(recordDir, "docker");
            fs.writeFileSync(fakeDocker, `#!/bin/sh\ncase "$1" in login) cat > ${recordDir}/login-stdin ;; image) exit 1 ;; esac\nexit 0\n`, { mode: 0o755 });
            const fakeCompose = path.join(recordDir, "compose");
            fs.writeFileSync(fakeCompose, "#!/bin/sh\nexit 3\n", { mode: 0o755 });
            const ran = path.join(recordDir, "ran");
            // What the host components write (renderEnvFile: Compose's env format), with a hostile password.
            const password = `abc$(touch ${ran})\`touch ${ran}\`$HOME`;
            const credentials = path.join(recordDir, "registry.env");
            fs.writeFileSync(credentials, `# written by the program\nREGISTRY=registry.example.com\nREGISTRY_PASSWORD=${password}\nREGISTRY_USER="deployer"\n`, { mode: 0o600 });

            // The exact command the host components run (components/host/commands.ts).
            const command = deployCommand({ bundleDir: DEPLOY_DIR, environment: "staging", envFile, composeProject: "creds", credentialsFile: credentials, stateDir }, IMAGE);
            const result = await run("bash", ["-c", command], {
                env: { DEPLOY_DOCKER: fakeDocker, DEPLOY_COMPOSE: fakeCompose, REGISTRY: "", REGISTRY_USER: "", REGISTRY_PASSWORD: "" },
                allowFailure: true,
                timeoutMs: 30_000,
            });
            assert.ok(!fs.existsSync(ran), "the credentials file was executed: its password ran a command");
            assert.strictEqual(fs.readFileSync(path.join(recordDir, "login-stdin"), "utf8"), password, result.stderr);
            assert.ok(!(result.stdout + result.stderr).includes(password), "password not in the output");
            assert.ok(!command.includes(password));

            fs.writeFileSync(credentials, "REGISTRY_USER=deployer\nEVIL=$(id)\n", { mode: 0o600 });
            const unknown = await run("bash", ["-c", command], { env: { DEPLOY_DOCKER: fakeDocker, DEPLOY_COMPOSE: fakeCompose }, allowFailure: true, timeoutMs: 30_000 });
            assert.strictEqual(unknown.code, 1);
            assert.match(unknown.stderr, /^ERROR: registry credentials file '.*registry\.env', line 2: unknown key EVIL \(allowed: REGISTRY, REGISTRY_USER, REGISTRY_PASSWORD\)$/m);
            assert.ok(!unknown.stderr.includes("$(id)"), "the offending line is not echoed");
        });
    });
    it("prepare gates the new slot without switching; switch then switches, stops the old slot and records", async function () {
        const prepare = await dryRun(["prepare", "--image", IMAGE, "--env", "staging"]);
        assert.strictEqual(prepare.code, 0, prepare.stderr);
        const planned = commands(prepare.stdout);
        indexOf(planned, /^\+ env APP_IMAGE=\S+ APP_ROUTE_ALIAS=app-green .* up -d --no-deps --no-recreate --scale app=1 app$/);
        indexOf(planned, /^\+ docker exec new-replica-1 node -e .*\/ready/);
        assert.ok(!planned.some((line) => /\/green$|docker stop/.test(line)), `prepare must not switch or stop anything:\n${planned.join("\n")}`);
        assert.match(prepare.stdout, /\+ record \S+ slot green in \S+\/prepared/);

        const swap = await dryRun(["switch", "--image", IMAGE, "--env", "staging"]);
        assert.strictEqual(swap.code, 0, swap.stderr);
        const switched = commands(swap.stdout);
        const marker = indexOf(switched, /^\+ touch \S+\/route\/green$/);
        const stop = indexOf(switched, /^\+ docker stop --time 15 old-replicas$/);
        assert.ok(marker < stop, "traffic moves before the old slot stops");
        assert.ok(!switched.some((line) => /up -d/.test(line)), "switch starts nothing");
    });

    it("names the host in its ERROR line when DEPLOY_HOST is set (several hosts deploy at once)", async function () {
        const result = await dryRun(["deploy", "--image", "app:latest", "--env", "staging"], { DEPLOY_HOST: "deploy@192.0.2.10:22" });
        assert.notStrictEqual(result.code, 0);
        assert.match(result.stderr, /^ERROR: on deploy@192\.0\.2\.10:22: image 'app:latest' uses the tag 'latest'/m);
    });

    it("#13 its defaults are what the host components pass: project, env file and state under $HOME/gitlab-docker-delivery", async function () {
        const home = path.join(workDir, "home-deploy");
        const deployHome = path.join(home, "gitlab-docker-delivery");
        fs.mkdirSync(deployHome, { recursive: true });
        fs.writeFileSync(path.join(deployHome, "staging.env"), "POSTGRES_PASSWORD=dry-run-db-password\n", { mode: 0o600 });
        // No --project, --env-file or DEPLOY_STATE_DIR: what an operator types on a host.
        const result = await run(DEPLOY_SCRIPT, ["rollback", IMAGE, "--env", "staging"], {
            env: { HOME: home, DEPLOY_DRY_RUN: "1", DEPLOY_STATE_DIR: "", DEPLOY_COMPOSE: "docker compose", DEPLOY_DOCKER: "docker", PATH: `${fakeBin}:${process.env.PATH}`, APP_REPLICAS: "" },
            allowFailure: true,
            timeoutMs: 30_000,
        });
        assert.strictEqual(result.code, 0, result.stderr);
        const lines = commands(result.stdout);
        const stateDir = `${deployHome}/state`;
        indexOf(lines, new RegExp(`^\\+ mkdir ${stateDir}/deploy\\.lock$`));
        indexOf(lines, new RegExp(`--project-name ${hostComposeProject("staging")} --env-file ${deployHome}/staging\\.env `));
        // The components' side of the same contract: the deploy folder in the SSH user's home, the state folder in it.
        assert.equal(hostHome("deploy"), "/home/deploy/gitlab-docker-delivery");
        assert.equal(path.basename(deployHome), path.basename(hostHome("deploy")));
    });
});
