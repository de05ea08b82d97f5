import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../engine/harness";

// scripts/local-stack.sh without an engine: its base-image probe driven step by step (the script is sourced and
// its docker calls answered by a fake), and a whole `up` with a `pulumi` shim first on PATH.

const SCRIPT = path.join(REPO_ROOT, "scripts", "local-stack.sh");
const BASES = ["BUILD_IMAGE", "RUNTIME_IMAGE", "POSTGRES_IMAGE", "NGINX_IMAGE", "ACME_IMAGE"] as const;
const STAND_INS: Record<string, string> = {
    BUILD_IMAGE: "standin/node-build",
    RUNTIME_IMAGE: "standin/node-runtime",
    POSTGRES_IMAGE: "standin/postgres",
    NGINX_IMAGE: "standin/nginx",
};

interface ProbeRun {
    /** The image variables exported after choose_base_images. */
    readonly exported: Record<string, string>;
    /** Every docker call the probe made, one "args" line each. */
    readonly dockerCalls: string[];
    readonly stderr: string;
}

/** The acme stand-in, which stand-in-images.sh builds and prints only when asked for `acme`. */
const ACME_STAND_IN = "standin/acme";

/**
 * Sources the script, fakes docker (`present`: images held, `pullable`: images a registry serves) and the local
 * stack's `httpsPort` (what `pulumi config get` answers), runs the probe.
 */
function probe(present: string[], pullable: string[], env: Record<string, string> = {}, httpsPort = ""): ProbeRun {
    const log = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "cicd-probe-")), "docker.log");
    const standIns = Object.entries(STAND_INS).map(([key, value]) => `${key}=${value}`).join(" ");
    const program = [
        `source ${JSON.stringify(SCRIPT)}`,
        'docker_cli() { printf "%s\\n" "$*" >>"$DOCKER_LOG"; case "$1" in',
        '  image) [[ " $PRESENT " == *" $3 "* ]] ;; pull) [[ " $PULLABLE " == *" $3 "* ]] ;; *) return 1 ;; esac; }',
        `pulumi() { [ "$*" = "config get httpsPort --stack local" ] && [ -n "${httpsPort}" ] && echo ${JSON.stringify(httpsPort)}; }`,
        `stand_in_image_env() { printf "%s\\n" ${standIns}; [[ " $* " != *" acme "* ]] || echo ACME_IMAGE=${ACME_STAND_IN}; }`,
        "choose_base_images",
        `env | grep -E '^(${BASES.join("|")})=' | sort || true`,
    ].join("\n");
    const baseEnv = { ...process.env };
    for (const key of [...BASES, "BUILD_CA_FILE"]) delete baseEnv[key];
    const result = spawnSync("bash", ["-c", program], {
        encoding: "utf8",
        env: { ...baseEnv, ...env, DOCKER_LOG: log, PRESENT: present.join(" "), PULLABLE: pullable.join(" ") },
    });
    assert.equal(result.status, 0, result.stderr);
    const exported: Record<string, string> = {};
    for (const line of result.stdout.split("\n").filter(Boolean)) {
        const [key, ...value] = line.split("=");
        exported[key] = value.join("=");
    }
    const dockerCalls = fs.existsSync(log) ? fs.readFileSync(log, "utf8").split("\n").filter(Boolean) : [];
    fs.rmSync(path.dirname(log), { recursive: true, force: true });
    return { exported, dockerCalls, stderr: result.stderr };
}

/** The defaults the stack uses when no base is chosen, read from the files the script reads them from. */
function officialDefaults(): Record<string, string> {
    const dockerfile = fs.readFileSync(path.join(REPO_ROOT, "app", "Dockerfile"), "utf8");
    const compose = fs.readFileSync(path.join(REPO_ROOT, "app", "deploy", "compose.yaml"), "utf8");
    const arg = (name: string) => new RegExp(`^ARG ${name}=(.+)$`, "m").exec(dockerfile)?.[1];
    const composeDefault = (name: string) => new RegExp(`\\$\\{${name}:-([^}]+)\\}`).exec(compose)?.[1];
    const defaults: Record<string, string | undefined> = {
        BUILD_IMAGE: arg("BUILD_IMAGE"),
        RUNTIME_IMAGE: arg("RUNTIME_IMAGE"),
        POSTGRES_IMAGE: composeDefault("POSTGRES_IMAGE"),
        NGINX_IMAGE: composeDefault("NGINX_IMAGE"),
    };
    for (const [key, value] of Object.entries(defaults)) assert.ok(value, `no default for ${key} in app/Dockerfile or app/deploy/compose.yaml`);
    return defaults as Record<string, string>;
}

/** The ACME client's default image (HTTPS only), from the Compose file that adds it. */
function acmeDefault(): string {
    const composeTls = fs.readFileSync(path.join(REPO_ROOT, "app", "deploy", "compose.tls.yaml"), "utf8");
    const ref = /\$\{ACME_IMAGE:-([^}]+)\}/.exec(composeTls)?.[1];
    assert.ok(ref, "no default for ACME_IMAGE in app/deploy/compose.tls.yaml");
    return ref;
}

describe("scripts/local-stack.sh", () => {
    describe("base-image probe", () => {
        const defaults = officialDefaults();
        const nodeBases = [defaults.BUILD_IMAGE, defaults.RUNTIME_IMAGE];
        const allBases = Object.values(defaults);

        it("holding only the node base does not count as a reachable registry: every base comes from the stand-ins", () => {
            const run = probe(nodeBases, []);
            assert.deepEqual(run.exported, STAND_INS, run.stderr);
            assert.ok(
                run.dockerCalls.some((call) => call.includes(defaults.POSTGRES_IMAGE)),
                `the PostgreSQL base was never looked at: ${run.dockerCalls.join("; ")}`,
            );
            assert.match(run.stderr, new RegExp(`base image ${defaults.POSTGRES_IMAGE.replace(/[.]/g, "\\.")} \\(POSTGRES_IMAGE\\) is neither here nor pullable`));
        });

        it("a missing nginx base alone sends the stack to the stand-ins", () => {
            const run = probe(allBases.filter((ref) => ref !== defaults.NGINX_IMAGE), []);
            assert.deepEqual(run.exported, STAND_INS, run.stderr);
        });

        it("uses the official bases, exporting nothing, when all of them are here or pullable", () => {
            const run = probe(nodeBases, [defaults.POSTGRES_IMAGE, defaults.NGINX_IMAGE]);
            assert.deepEqual(run.exported, {}, run.stderr);
            for (const ref of allBases) assert.ok(run.dockerCalls.some((call) => call.endsWith(` ${ref}`)), `${ref} was not probed`);
        });

        it("keeps a base the user set and probes only the others", () => {
            const chosen = { BUILD_IMAGE: "mirror.example/node-build:24" };
            const offline = probe([], [], chosen);
            assert.deepEqual(offline.exported, { ...STAND_INS, ...chosen }, offline.stderr);
            const online = probe(allBases, [], chosen);
            assert.deepEqual(online.exported, chosen, online.stderr);
            assert.ok(!online.dockerCalls.some((call) => call.includes("mirror.example")), "a base the user chose was probed");
        });
    });

    describe("base-image probe with HTTPS on (the local stack's httpsPort)", () => {
        const allBases = Object.values(officialDefaults());
        const acme = acmeDefault();

        it("offline: the acme stand-in (the local CA's image) is built and used with the other stand-ins", () => {
            const run = probe([], [], {}, "8443");
            assert.deepEqual(run.exported, { ...STAND_INS, ACME_IMAGE: ACME_STAND_IN }, run.stderr);
        });

        it("a missing ACME client image alone sends the stack to the stand-ins", () => {
            const run = probe(allBases, [], {}, "8443");
            assert.ok(run.dockerCalls.some((call) => call.endsWith(` ${acme}`)), `${acme} was not probed: ${run.dockerCalls.join("; ")}`);
            assert.deepEqual(run.exported, { ...STAND_INS, ACME_IMAGE: ACME_STAND_IN }, run.stderr);
        });

        it("uses the official images, exporting nothing, when the ACME client's is here too", () => {
            const run = probe([...allBases, acme], [], {}, "8443");
            assert.deepEqual(run.exported, {}, run.stderr);
        });
    });

    describe("with a pulumi on PATH", function () {
        this.timeout(60_000);
        let scratch = "";
        before(() => {
            scratch = fs.mkdtempSync(path.join(os.tmpdir(), "cicd-pulumi-shim-"));
        });
        after(() => fs.rmSync(scratch, { recursive: true, force: true }));

        it("runs the user's pulumi with the user's PULUMI_HOME, and builds and installs nothing", () => {
            const shimDir = path.join(scratch, "bin");
            const calls = path.join(scratch, "pulumi-calls.log");
            const home = path.join(scratch, "home");
            const userPulumiHome = path.join(scratch, "user-pulumi-home");
            const engineCache = path.join(scratch, "engine-cache");
            fs.mkdirSync(shimDir);
            fs.mkdirSync(home);
            fs.writeFileSync(
                path.join(shimDir, "pulumi"),
                [
                    "#!/usr/bin/env bash",
                    // One line per call: the arguments, then what the engine would see of its home and plugins.
                    'printf "%s | PULUMI_HOME=%s ACQUISITION_OFF=%s\\n" "$*" "${PULUMI_HOME:-}" "${PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION:-}" >>"$SHIM_LOG"',
                    'case "$1" in version) echo v3.999.0-user ;; whoami) exit 1 ;; stack) [ "$2" = output ] && echo http://127.0.0.1:9 ;; esac',
                    "exit 0",
                    "",
                ].join("\n"),
                { mode: 0o755 },
            );
            const result = spawnSync("bash", [SCRIPT, "up"], {
                encoding: "utf8",
                env: {
                    ...process.env,
                    PATH: `${shimDir}${path.delimiter}${process.env.PATH ?? ""}`,
                    SHIM_LOG: calls,
                    HOME: home,
                    PULUMI_HOME: userPulumiHome,
                    XDG_STATE_HOME: path.join(scratch, "state"),
                    CICD_ENGINE_CACHE: engineCache,
                    // A build would need Go: make any attempt fail loudly instead of taking minutes.
                    GO: path.join(scratch, "no-go"),
                    ...STAND_INS,
                },
            });
            assert.equal(result.status, 0, result.stderr);
            assert.match(result.stderr, new RegExp(`using ${shimDir.replace(/[.]/g, "\\.")}/pulumi \\(v3\\.999\\.0-user\\)`));
            const logged = fs.readFileSync(calls, "utf8").split("\n").filter(Boolean);
            assert.ok(
                logged.some((line) => line.startsWith("up --yes --stack local |")),
                `the shim was not asked to run up: ${logged.join("; ")}`,
            );
            for (const line of logged) assert.match(line, new RegExp(`\\| PULUMI_HOME=${userPulumiHome.replace(/[.]/g, "\\.")} ACQUISITION_OFF=$`));
            assert.ok(!fs.existsSync(engineCache), "the engine cache was created: something was built");
            assert.ok(!fs.existsSync(userPulumiHome), "something was installed into the user's PULUMI_HOME");
            assert.ok(!fs.existsSync(path.join(home, ".pulumi")), "something was installed into ~/.pulumi");
            assert.doesNotMatch(result.stderr, /engine:/, "the engine build script ran");

            // `up` ends with the URL and how to see the logs, the status, roll back and tear down: npm scripts that exist.
            const ending = result.stdout.trimEnd().split("\n").slice(-5);
            assert.equal(ending[0], "The app answers on http://127.0.0.1:9", result.stdout);
            const scripts = (JSON.parse(fs.readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> }).scripts;
            const expected = { "logs:": "local:logs", "status:": "local:status", "roll back:": "local:rollback", "tear down:": "local:destroy" };
            for (const [index, [label, script]] of Object.entries(expected).entries()) {
                assert.match(ending[index + 1], new RegExp(`^ {2}${label} +npm run ${script} `), result.stdout);
                assert.equal(scripts[script], `bash scripts/local-stack.sh ${script.slice("local:".length)}`, `package.json has no ${script} running local-stack.sh`);
            }
        });
    });
});
