import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { DOCKER, Engine, copyRepository, findEngine, freePort, httpGet, pathWithoutPulumi, removeComposeProject, run, standInImages } from "./harness";

// The engine built from Go modules ships a stand-in command provider under the official provider's name and
// version. Wherever an official CLI would look for plugins (the user's ~/.pulumi, or $PULUMI_HOME) it would take
// it for the real one in every project, so the build and `npm run local:up` keep everything in the engine's own
// Pulumi home. HOME and PULUMI_HOME point into a temp folder here, standing for the user's (HOME catches what
// the scripts write to $HOME/.pulumi; the CLI itself finds ~/.pulumi through the passwd entry, so a set PULUMI_HOME
// is what makes its own writes observable).

const PROJECT = "gitlab-docker-delivery";
const COMPOSE_PROJECT = `platform-pulumi-home-test-${process.pid}`;
const IMAGE_REPOSITORY = `${PROJECT}-local/app`;
const CA_BUNDLE = "/etc/ssl/certs/ca-certificates.crt";
const MINUTE = 60 * 1000;

const engine = findEngine();

if (!engine && process.env.CI === "true") {
    describe("the self-built engine and the user's Pulumi home", () => {
        it("needs the engine: .ci/run builds it with .ci/engine/build.sh", () => {
            assert.fail("no pulumi binary on PATH or in the engine cache: .ci/engine/build.sh did not run or failed");
        });
    });
} else if (!engine) {
    describe("engine not available: run .ci/engine/build.sh", () => {
        console.log("engine not available: run .ci/engine/build.sh");
    });
} else {
    describeWithEngine(engine);
}

/** Everything under `dir`, relative, sorted; [] when it does not exist. */
function contents(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return (fs.readdirSync(dir, { recursive: true }) as string[]).map(String).sort();
}

function describeWithEngine(found: Engine): void {
    describe("the self-built engine and the user's Pulumi home", function () {
        this.timeout(20 * MINUTE);
        let scratch = "";
        let home = "";
        let userPulumiHome = "";
        let repoCopy = "";
        let env: NodeJS.ProcessEnv = {};
        const tagsBefore = new Set<string>();
        const privateHome = path.join(found.cacheRoot, "pulumi-home");

        const script = (file: string, args: string[]) =>
            spawnSync("bash", [path.join(repoCopy, file), ...args], { cwd: repoCopy, env, encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
        const assertUserHomesUntouched = (after: string) => {
            assert.deepEqual(contents(path.join(home, ".pulumi")), [], `after ${after}, ~/.pulumi holds files`);
            assert.deepEqual(contents(userPulumiHome), [], `after ${after}, the user's $PULUMI_HOME holds files`);
        };

        before(async function () {
            this.timeout(5 * MINUTE);
            for (const tag of appImageTags()) tagsBefore.add(tag);
            scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-pulumi-home-"));
            home = path.join(scratch, "home");
            userPulumiHome = path.join(scratch, "user-pulumi-home");
            repoCopy = path.join(scratch, "repo");
            fs.mkdirSync(home);
            fs.mkdirSync(repoCopy);
            copyRepository(repoCopy);
            const port = await freePort();
            // A stack file of this test's own: its port, Compose project and state folder, no salt of another stack.
            fs.writeFileSync(
                path.join(repoCopy, "Pulumi.local.yaml"),
                [
                    "config:",
                    `  ${PROJECT}:httpPort: "${port}"`,
                    `  ${PROJECT}:composeProject: ${COMPOSE_PROJECT}`,
                    `  ${PROJECT}:stateDir: ${path.join(scratch, "stack-state")}`,
                    `  ${PROJECT}:appVersion: 1.0.0-home`,
                    "",
                ].join("\n"),
            );
            env = {
                ...process.env,
                ...standInImages(),
                HOME: home,
                PULUMI_HOME: userPulumiHome,
                XDG_STATE_HOME: path.join(scratch, "state"),
                CICD_ENGINE_CACHE: found.cacheRoot,
                PATH: pathWithoutPulumi(),
            };
            delete env.PULUMI_BACKEND_URL;
            delete env.PULUMI_CONFIG_PASSPHRASE;
            delete env.PULUMI_CONFIG_PASSPHRASE_FILE;
            delete env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION;
            if (fs.existsSync(CA_BUNDLE)) env.BUILD_CA_FILE = CA_BUNDLE;
        });

        after(function () {
            this.timeout(5 * MINUTE);
            if (repoCopy && fs.existsSync(repoCopy)) script("scripts/local-stack.sh", ["destroy", "--color", "never"]);
            removeComposeProject(COMPOSE_PROJECT);
            for (const tag of appImageTags()) if (!tagsBefore.has(tag)) spawnSync(DOCKER, ["image", "rm", tag]);
            if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
        });

        it(".ci/engine/build.sh installs the command provider into the engine's own home, not the user's", () => {
            const result = script(".ci/engine/build.sh", []);
            assert.equal(result.status, 0, result.stderr);
            assert.equal(script(".ci/engine/build.sh", ["--print-home"]).stdout.trim(), privateHome);
            assertUserHomesUntouched(".ci/engine/build.sh");
            const installed = path.join(privateHome, "plugins", "resource-command-v1.2.1", "pulumi-resource-command");
            assert.ok(fs.existsSync(installed), `the command provider is not in the engine's home (${installed})`);
        });

        it("`local-stack.sh up` runs the local stack with the engine's home and leaves the user's untouched", async () => {
            const result = script("scripts/local-stack.sh", ["up", "--color", "never"]);
            assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
            assert.match(result.stderr, new RegExp(`PULUMI_HOME=${privateHome.replace(/[.]/g, "\\.")}`));
            // The closing hints (URL, logs, status, rollback, tear-down) are the user's result: stdout.
            const url = /^The app answers on (http:\/\/127\.0\.0\.1:\d+)$/m.exec(result.stdout)?.[1];
            assert.ok(url, `local-stack.sh printed no URL on stdout: ${result.stdout}`);
            const answer = await httpGet(`${url}/`);
            assert.equal(answer.status, 200, answer.body);
            assertUserHomesUntouched("local-stack.sh up");
        });

        it("an engine test's Automation API calls (PulumiCommand.get) stay out of the user's home", () => {
            const probe = [
                'const { findEngine } = require("./harness");',
                'const { PulumiCommand } = require("@pulumi/pulumi/automation");',
                "const engine = findEngine();",
                "PulumiCommand.get({ root: require(\"path\").dirname(engine.binDir) }).then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });",
            ].join("\n");
            // The user's PULUMI_HOME set, as a developer may have it: the CLI itself finds ~/.pulumi through the
            // passwd entry, not $HOME, so only a set PULUMI_HOME makes its writes observable here.
            const probeEnv: NodeJS.ProcessEnv = { ...process.env, HOME: home, PULUMI_HOME: userPulumiHome, CICD_ENGINE_CACHE: found.cacheRoot, PATH: pathWithoutPulumi() };
            const result = spawnSync(process.execPath, ["--require", "tsx/cjs", "-e", probe], { cwd: __dirname, env: probeEnv, encoding: "utf8" });
            assert.equal(result.status, 0, result.stderr);
            assertUserHomesUntouched("PulumiCommand.get");
        });

        it("`local-stack.sh destroy` leaves the user's home untouched too", () => {
            const result = script("scripts/local-stack.sh", ["destroy", "--color", "never"]);
            assert.equal(result.status, 0, `${result.stdout}\n${result.stderr}`);
            assertUserHomesUntouched("local-stack.sh destroy");
            assert.deepEqual(run(DOCKER, ["ps", "-aq", "--filter", `label=com.docker.compose.project=${COMPOSE_PROJECT}`]).trim(), "");
        });
    });
}

function appImageTags(): string[] {
    return run(DOCKER, ["images", "--format", "{{.Repository}}:{{.Tag}}", IMAGE_REPOSITORY]).split("\n").filter(Boolean);
}
