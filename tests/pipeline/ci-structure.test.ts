import * as assert from "assert";
import { execFileSync, spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { stringify } from "yaml";
import { DEFAULT_RUNNER_TAGS, DEPLOY_RUNNER_TAGS } from "../../components/runner";
import {
    CI_FILE, Hash, isHash, jobNames, neededJobs, readCiFile, REPO_ROOT, resolvedJobs, scriptLines,
} from "./support/ci-config";

// The runner component registers these; a job whose tags it lacks would wait forever.
const RUNNER_TAGS: readonly string[] = DEFAULT_RUNNER_TAGS;
const DEPLOY_JOBS = ["deploy_staging", "stop_staging", "deploy_production"];
const ALL_JOBS = ["test", "e2e", "preview", "deploy_staging", "stop_staging", "image_scan", "deploy_production"];

function walk(value: unknown, visit: (key: string, value: unknown, trail: string) => void, trail = ""): void {
    if (Array.isArray(value)) {
        value.forEach((item, index) => walk(item, visit, `${trail}[${index}]`));
    } else if (isHash(value)) {
        for (const [key, child] of Object.entries(value)) {
            visit(key, child, `${trail}.${key}`);
            walk(child, visit, `${trail}.${key}`);
        }
    }
}

function expandGlobals(text: string, doc: Hash): string {
    const globals = isHash(doc.variables) ? doc.variables : {};
    return text.replace(/\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?/g, (match, name: string) =>
        typeof globals[name] === "string" ? String(globals[name]) : match);
}

function imageRefs(job: Hash, doc: Hash): string[] {
    const refs: string[] = [];
    const image = job.image;
    if (typeof image === "string") refs.push(image);
    if (isHash(image) && typeof image.name === "string") refs.push(image.name);
    for (const service of Array.isArray(job.services) ? job.services : []) {
        if (typeof service === "string") refs.push(service);
        if (isHash(service) && typeof service.name === "string") refs.push(service.name);
    }
    return refs.map((ref) => expandGlobals(ref, doc));
}

function script(job: Hash): string {
    return scriptLines(job).join("\n");
}

describe("pipeline: .gitlab-ci.yml structure", () => {
    const doc = readCiFile();
    const jobs = resolvedJobs(doc);

    it("defines the jobs the issue asks for, and only jobs GitLab will accept as names", () => {
        assert.deepStrictEqual([...jobNames(doc)].sort(), [...ALL_JOBS].sort());
    });

    it("uses rules:, never only: or except:, anywhere in the file", () => {
        const offenders: string[] = [];
        walk(doc, (key, _value, trail) => {
            if (key === "only" || key === "except") offenders.push(trail);
        });
        assert.deepStrictEqual(offenders, []);
        for (const name of ALL_JOBS) {
            assert.ok(Array.isArray(jobs[name].rules), `${name} has no rules: list`);
        }
    });

    // Which jobs each pipeline runs, with their when and needs, is read by the interpreter: interpreter.test.ts.

    describe("needs: the DAG", () => {
        it("deploys staging only after the unit and end-to-end tests", () => {
            assert.deepStrictEqual(neededJobs(jobs.deploy_staging).map((n) => n.job).sort(), ["e2e", "test"]);
        });
        it("scans the image staging deployed, with its dotenv artifact", () => {
            const need = neededJobs(jobs.image_scan).find((n) => n.job === "deploy_staging");
            assert.ok(need, "image_scan must need deploy_staging");
            assert.notStrictEqual(need.artifacts, false);
        });
        it("reaches production only after staging deployed and the scan passed", () => {
            const needs = neededJobs(jobs.deploy_production).map((n) => n.job);
            assert.ok(needs.includes("deploy_staging") && needs.includes("image_scan"), `needs: ${needs.join(", ")}`);
        });
        it("never lets the scan block staging", () => {
            assert.ok(!neededJobs(jobs.deploy_staging).some((n) => n.job === "image_scan"));
        });
        it("starts tests and preview at once (empty needs)", () => {
            for (const name of ["test", "e2e", "preview"]) {
                assert.deepStrictEqual(jobs[name].needs, [], name);
            }
        });
    });

    describe("environments and resource groups", () => {
        it("deploy_staging: environment staging with its URL from the dotenv artifact and on_stop", () => {
            const env = jobs.deploy_staging.environment as Hash;
            assert.strictEqual(env.name, "staging");
            assert.strictEqual(env.url, "$STAGING_URL");
            assert.strictEqual(env.on_stop, "stop_staging");
            const reports = (jobs.deploy_staging.artifacts as Hash).reports as Hash;
            assert.strictEqual(reports.dotenv, "deploy.env");
            assert.match(script(jobs.deploy_staging), /STAGING_URL=.*>>? deploy\.env/);
        });
        it("stop_staging stops the staging environment with pulumi destroy", () => {
            const env = jobs.stop_staging.environment as Hash;
            assert.deepStrictEqual({ name: env.name, action: env.action }, { name: "staging", action: "stop" });
            assert.match(script(jobs.stop_staging), /pulumi destroy --yes --stack staging\b/);
        });
        it("deploy_production targets the protected production environment and the prod stack", () => {
            const env = jobs.deploy_production.environment as Hash;
            assert.strictEqual(env.name, "production");
            assert.match(script(jobs.deploy_production), /pulumi up --yes --stack prod\b/);
        });
        it("deploy_staging runs pulumi up on the staging stack with the policy pack", () => {
            assert.match(script(jobs.deploy_staging), /pulumi up --yes --stack staging --policy-pack policy\b/);
        });
        it("serializes each environment's jobs with a resource group", () => {
            assert.strictEqual(jobs.deploy_staging.resource_group, "staging");
            assert.strictEqual(jobs.stop_staging.resource_group, "staging");
            assert.strictEqual(jobs.deploy_production.resource_group, "production");
        });
    });

    describe("interruptible, tags, images", () => {
        it("never interrupts a deploy or a teardown", () => {
            for (const name of DEPLOY_JOBS) {
                assert.notStrictEqual(jobs[name].interruptible, true, name);
            }
        });
        it("lets a newer commit cancel tests, e2e and preview", () => {
            for (const name of ["test", "e2e", "preview"]) {
                assert.strictEqual(jobs[name].interruptible, true, name);
            }
        });
        it(`runs the deploy jobs on the deploy runner (${DEPLOY_RUNNER_TAGS.join(", ")}) and the rest on the other (${RUNNER_TAGS.join(", ")})`, () => {
            assert.ok(RUNNER_TAGS.length > 0 && DEPLOY_RUNNER_TAGS.length > 0);
            for (const name of ALL_JOBS) {
                const tags = jobs[name].tags;
                assert.ok(Array.isArray(tags) && tags.length > 0, `${name} has no tags: any shared runner could take it`);
                const runner = DEPLOY_JOBS.includes(name) ? DEPLOY_RUNNER_TAGS : RUNNER_TAGS;
                assert.deepStrictEqual([...(tags as string[])].sort(), [...runner].sort(), `${name} is not on the runner meant for it`);
            }
        });
        it("pins every image and service to an explicit tag other than latest", () => {
            for (const name of ALL_JOBS) {
                const refs = imageRefs(jobs[name], doc);
                assert.ok(refs.length > 0, `${name} names no image`);
                for (const ref of refs) {
                    const tag = /:([^/:@]+)$/.exec(ref)?.[1];
                    assert.ok(tag !== undefined && !ref.includes("$"), `${name}: ${ref} has no resolvable tag`);
                    assert.notStrictEqual(tag, "latest", `${name}: ${ref}`);
                }
            }
        });
    });

    describe("test job", () => {
        const test = jobs.test;
        it("runs npm ci, lint, typecheck, unit and app tests against a PostgreSQL service", () => {
            const text = script(test);
            for (const step of ["npm ci", "npm run lint", "npm run typecheck", "npm run test:unit", "npm --prefix app test"]) {
                assert.ok(text.includes(step), `missing: ${step}`);
            }
            assert.ok(imageRefs(test, doc).some((ref) => ref.startsWith("postgres:")));
        });
        it("publishes JUnit and Cobertura coverage reports, even when tests fail", () => {
            const artifacts = test.artifacts as Hash;
            assert.strictEqual(artifacts.when, "always");
            const reports = artifacts.reports as Hash;
            assert.ok(JSON.stringify(reports.junit).includes("reports/junit-"));
            assert.deepStrictEqual(reports.coverage_report, { coverage_format: "cobertura", path: "coverage/cobertura-coverage.xml" });
            assert.match(script(test), /--reporter xunit\s+--reporter-option output=reports\/junit-unit\.xml/);
            assert.match(script(test), /--reporter xunit\s+--reporter-option output=\.\.\/reports\/junit-app\.xml/);
            assert.match(script(test), /c8 .*--reporter=cobertura/);
            assert.ok(typeof test.coverage === "string" && new RegExp(test.coverage.slice(1, -1)).test("Lines        : 81.25% ( 130/160 )"),
                "coverage: regex must read c8's text-summary line");
        });
        it("keeps npm's cache in the project folder, where GitLab's cache can hold it (keys: interpreter.test.ts)", () => {
            assert.strictEqual((doc.variables as Hash).npm_config_cache, "$CI_PROJECT_DIR/.npm");
        });
    });

    describe("e2e job", () => {
        const e2e = jobs.e2e;
        it("talks to Docker-in-Docker over TLS", () => {
            assert.ok(imageRefs(e2e, doc).some((ref) => /^docker:27[\d.]*-dind$/.test(ref)));
            const variables = e2e.variables as Hash;
            assert.strictEqual(variables.DOCKER_HOST, "tcp://docker:2376");
            assert.strictEqual(variables.DOCKER_TLS_CERTDIR, "/certs");
            assert.strictEqual(variables.DOCKER_TLS_VERIFY, "1");
            assert.strictEqual(variables.DOCKER_CERT_PATH, "/certs/client");
        });
        // The steps run inside a container on the job's daemon; the job writes them with a heredoc.
        const steps = (): string => {
            const match = /cat > \.e2e\/steps\.sh <<'STEPS'\n([\s\S]*?)\nSTEPS\b/.exec(script(e2e));
            assert.ok(match, "e2e writes .e2e/steps.sh with a quoted heredoc");
            return match[1];
        };
        it("writes steps that are valid bash and stop at the first failure", () => {
            const text = steps();
            assert.match(text, /^set -euo pipefail$/m);
            const check = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
            assert.strictEqual(check.status, 0, check.stderr);
        });
        it("runs the steps on the job's daemon: its network (127.0.0.1), its socket, the repository at the same path", () => {
            const run = (e2e.script as string[]).find((line) => line.includes("bash .e2e/steps.sh")) ?? "";
            for (const part of ["--network host", "--volume /var/run/docker.sock:/var/run/docker.sock",
                '--volume "$CI_PROJECT_DIR:$CI_PROJECT_DIR"', '--workdir "$CI_PROJECT_DIR"']) {
                assert.ok(run.includes(part), `missing ${part}`);
            }
            assert.match(script(e2e), /docker cp "\$CI_PROJECT_DIR\/\." "\$E2E_WORKSPACE:\$CI_PROJECT_DIR"/);
            // Every variable the steps read is passed into that container.
            const passed = new Set([...run.matchAll(/--env ([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
            const read = new Set([...steps().matchAll(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]));
            assert.deepStrictEqual([...read].filter((name) => !passed.has(name)), []);
        });
        // Found by running the job (.ci/pipeline-jobs.sh e2e) behind this machine's TLS-inspecting proxy: the steps
        // container and the image build trusted only their own bundles, so npm could reach no registry.
        it("hands the job's CA bundle to the steps container, its npm and the image build", () => {
            const lines = e2e.script as string[];
            const copy = lines.findIndex((line) => line === "cp /etc/ssl/certs/ca-certificates.crt .e2e/ca-certificates.crt");
            const workspace = lines.findIndex((line) => line.includes('docker cp "$CI_PROJECT_DIR/."'));
            assert.ok(copy >= 0 && copy < workspace, "the bundle is in .e2e/ before the repository goes to the daemon");
            const run = lines.find((line) => line.includes("bash .e2e/steps.sh")) ?? "";
            assert.ok(run.includes('--volume "$CI_PROJECT_DIR/.e2e/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro"'), run);
            assert.ok(run.includes("--env NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt"), run);
            assert.match(steps(), /docker build [^\n]*\\\n\s*--secret id=ca,src=\/etc\/ssl\/certs\/ca-certificates\.crt/);
        });
        // Found by running the job on a Debian 13 NODE_IMAGE: docker.io there holds only the daemon ("docker: command
        // not found"), and without buildx the client refuses BuildKit builds.
        it("installs Debian's separate client and buildx packages wherever Debian has them", () => {
            assert.match(steps(), /if apt-cache show docker-cli >\/dev\/null 2>&1; then apt-get install [^\n]*docker-cli docker-buildx/);
        });
        // Found by running the job: nginx kept routing to the empty blue slot (502), because deploy.sh wrote its
        // route marker under $HOME in the steps container, a folder the daemon's bind mount does not see.
        it("keeps deploy.sh's state (nginx's route marker) under the repository, which the daemon sees at the same path", () => {
            const variables = e2e.variables as Hash;
            assert.match(String(variables.DEPLOY_STATE_DIR), /^\$CI_PROJECT_DIR\//);
            const run = (e2e.script as string[]).find((line) => line.includes("bash .e2e/steps.sh")) ?? "";
            assert.match(run, /--env DEPLOY_STATE_DIR\b/);
        });
        it("installs curl before the smoke uses it: an image without it failed the smoke with 127", () => {
            const text = steps();
            const install = text.search(/apt-get install [^\n]*\bcurl\b/);
            assert.ok(install >= 0 && install < text.indexOf("curl --fail"), text);
        });
        it("brings the stack up with the deploy program, smokes it through nginx, then takes it down", () => {
            const text = steps();
            const up = text.search(/deploy\.sh deploy --image "\$E2E_IMAGE" --env local/);
            const health = text.search(/curl .*"\$E2E_URL\/health"/);
            const write = text.search(/"\$E2E_URL\/api\/notes"/);
            const down = text.search(/deploy\.sh down --env local --volumes/);
            assert.ok(up >= 0 && health > up && write > health && down > write, text);
            assert.match(text, /grep -F "\\"commit\\":\\"\$CI_COMMIT_SHA\\""/, "the stack runs this commit");
        });
        it("runs the Compose stack tests after the smoke, with a JUnit report kept on failure", () => {
            const text = steps();
            assert.match(text, /npx mocha --no-config --require tsx\/cjs --extension ts --timeout \d+ "tests\/compose\/\*\*\/\*\.test\.ts" \\\n\s+--reporter xunit --reporter-option output=reports\/junit-e2e\.xml/);
            assert.ok(text.indexOf("npx mocha") > text.search(/deploy\.sh down/));
            assert.strictEqual((e2e.artifacts as Hash).when, "always");
            assert.match((e2e.after_script as string[])[0], /docker cp "\$E2E_WORKSPACE:\$CI_PROJECT_DIR\/reports\/\." reports\//);
        });
        it("prints the Compose tests' counts and failures in the log after copying the report out", () => {
            const after = e2e.after_script as string[];
            const show = after.findIndex((line) => line.includes("reports/junit-e2e.xml") && line.includes("<testsuite") && line.includes("<failure"));
            assert.ok(show > 0, "after_script prints the report's testsuite line and failures once it is copied out");
        });
        it("keeps the stack's database password out of the file and the log (generated, in a 0600 env file)", () => {
            const line = steps().split("\n").find((l) => l.includes("$E2E_ENV_FILE") && l.includes("POSTGRES_PASSWORD")) ?? "";
            assert.match(line, /umask 077/);
            assert.match(line, /openssl rand/);
        });
        it("removes every container, network and volume in after_script, which runs even when a step fails", () => {
            const after = (e2e.after_script as string[]).join("\n");
            assert.match(after, /docker ps --all --quiet \| xargs -r docker rm --force --volumes/);
            assert.match(after, /docker network prune --force/);
            assert.match(after, /docker volume prune --force/);
        });
    });

    describe("image scan", () => {
        const scan = jobs.image_scan;
        it("fails on fixed HIGH and CRITICAL findings and is not allowed to fail", () => {
            assert.match(script(scan), /trivy image --exit-code 1 --severity HIGH,CRITICAL\b/);
            assert.notStrictEqual(scan.allow_failure, true);
            assert.ok(imageRefs(scan, doc).some((ref) => ref.startsWith("aquasec/trivy:")));
        });
        it("scans the image reference staging exported", () => {
            assert.match(script(deployStagingScript()), /STAGING_IMAGE=/);
            assert.match(script(scan), /"\$STAGING_IMAGE"/);
        });
        function deployStagingScript(): Hash {
            return jobs.deploy_staging;
        }
    });

    describe("credentials", () => {
        const pulumiJobs = ["preview", "deploy_staging", "stop_staging", "deploy_production"];
        it("gives Pulumi jobs an OIDC token for AWS and no static AWS keys anywhere", () => {
            for (const name of pulumiJobs) {
                const tokens = jobs[name].id_tokens as Hash;
                assert.ok(isHash(tokens) && isHash(tokens.AWS_ID_TOKEN) && tokens.AWS_ID_TOKEN.aud, name);
                const variables = jobs[name].variables as Hash;
                assert.ok(String(variables.AWS_WEB_IDENTITY_TOKEN_FILE).startsWith("/"), name);
                assert.match(String(variables.AWS_ROLE_ARN), /^\$AWS_(DEPLOY|PREVIEW)_ROLE_ARN$/, name);
            }
            const text = fs.readFileSync(CI_FILE, "utf8");
            assert.doesNotMatch(text, /AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY/);
        });
        it("gives merge-request previews the read-only role and deploys the deploy role", () => {
            assert.strictEqual((jobs.preview.variables as Hash).AWS_ROLE_ARN, "$AWS_PREVIEW_ROLE_ARN");
            for (const name of DEPLOY_JOBS) {
                assert.strictEqual((jobs[name].variables as Hash).AWS_ROLE_ARN, "$AWS_DEPLOY_ROLE_ARN", name);
            }
        });
        it("stops with one clear error when no Pulumi backend is configured", () => {
            const before = (jobs.deploy_staging.before_script as string[]).join("\n");
            assert.match(before, /PULUMI_ACCESS_TOKEN/);
            assert.match(before, /PULUMI_BACKEND_URL/);
            assert.match(before, /PULUMI_CONFIG_PASSPHRASE/);
            assert.match(before, /ERROR: no Pulumi backend/);
        });
        it("builds images on the rootless BuildKit service, registered as the buildx builder the program names", () => {
            for (const name of ["preview", "deploy_staging"]) {
                const services = (jobs[name].services as Hash[]).map((service): Hash => ({ ...service, name: expandGlobals(String(service.name), doc) }));
                const buildkit = services.find((service) => service.alias === "buildkitd");
                assert.ok(buildkit, `${name} has no buildkitd service`);
                assert.match(String(buildkit.name), /^moby\/buildkit:v[\d.]+-rootless$/, name);
                assert.deepStrictEqual(buildkit.command, ["--oci-worker-no-process-sandbox", "--addr", "tcp://0.0.0.0:1234"], name);
                const variables = jobs[name].variables as Hash;
                assert.strictEqual(variables.BUILDKIT_ENDPOINT, "tcp://buildkitd:1234", name);
                assert.match(String(variables.BUILDX_BUILDER), /^[a-z][a-z0-9-]*$/, name);
            }
            // Registered by the script the rootless-builder test builds through, before the job's first pulumi command.
            for (const name of ["preview", "deploy_staging"]) {
                const lines = jobs[name].script as string[];
                const register = lines.findIndex((line) => line === 'bash scripts/buildkit/remote-builder.sh "$BUILDX_BUILDER" "$BUILDKIT_ENDPOINT"');
                const pulumi = lines.findIndex((line) => /pulumi |run-previews\.sh/.test(line));
                assert.ok(register >= 0 && register < pulumi, `${name}: ${lines.join("\n")}`);
            }
        });
    });

    describe("issue 18: the deploy runner's jobs stay unprivileged", () => {
        const deployTag = DEPLOY_RUNNER_TAGS[0];
        const onDeployRunner = Object.entries(jobs).filter(([, job]) => Array.isArray(job.tags) && job.tags.includes(deployTag));
        it("runs the deploy jobs, and only them, on the deploy runner", () => {
            assert.deepStrictEqual(onDeployRunner.map(([name]) => name).sort(), [...DEPLOY_JOBS].sort());
        });
        it("gives no job on the deploy runner a Docker-in-Docker service or a Docker daemon to talk to", () => {
            for (const [name, job] of onDeployRunner) {
                const refs = imageRefs(job, doc);
                assert.deepStrictEqual(refs.filter((ref) => /dind/.test(ref)), [], `${name} uses Docker-in-Docker`);
                const variables = isHash(job.variables) ? job.variables : {};
                assert.strictEqual(variables.DOCKER_HOST, undefined, `${name} sets DOCKER_HOST`);
                assert.doesNotMatch(script(job), /--privileged|docker run|dockerd/, `${name} runs containers itself`);
            }
        });
    });

    describe("preview job", () => {
        it("previews staging and prod with the policy pack and posts one note", () => {
            const text = script(jobs.preview);
            assert.match(text, /run-previews\.sh --out \.preview staging prod/);
            assert.match(text, /npx tsx scripts\/mr-note\/main\.ts --dir \.preview .*staging prod/);
            const runner = fs.readFileSync(path.join(REPO_ROOT, "scripts/mr-note/run-previews.sh"), "utf8");
            assert.match(runner, /pulumi preview --stack "\$stack" --diff --policy-pack "\$POLICY_PACK"/);
            assert.match(runner, /pulumi preview --stack "\$stack" --json/);
        });
        it("keeps only the rendered note as an artifact, not the raw preview (it holds property values)", () => {
            assert.deepStrictEqual((jobs.preview.artifacts as Hash).paths, [".preview/note.md"]);
        });
    });

    const schemaValidatorInstalled = spawnSync("check-jsonschema", ["--version"], { encoding: "utf8" }).status === 0;
    // Without the validator no schema test is registered (a skipped test would read as proof); .ci/run installs it.
    if (!schemaValidatorInstalled) {
        describe("GitLab CI JSON schema: check-jsonschema is not installed (pip install check-jsonschema); no schema test registered", () => {
            console.log("GitLab CI schema check not run: check-jsonschema is not installed (pip install check-jsonschema)");
        });
    } else describe("GitLab CI JSON schema (check-jsonschema --builtin-schema vendor.gitlab-ci)", function () {
        this.timeout(30_000); // a Python process per test; slow on a busy machine

        it("accepts .gitlab-ci.yml", function () {
            const result = spawnSync("check-jsonschema", ["--builtin-schema", "vendor.gitlab-ci", CI_FILE], { encoding: "utf8" });
            assert.strictEqual(result.status, 0, result.stdout + result.stderr);
        });
        it("rejects a copy with an unknown job keyword (the validator really validates)", function () {
            const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ci-schema-"));
            try {
                const broken = readCiFile();
                (broken.deploy_staging as Hash).deploy_when = "always";
                const file = path.join(dir, ".gitlab-ci.yml");
                fs.writeFileSync(file, stringify(broken));
                let failed = false;
                try {
                    execFileSync("check-jsonschema", ["--builtin-schema", "vendor.gitlab-ci", file], { stdio: "pipe" });
                } catch {
                    failed = true;
                }
                assert.ok(failed, "the schema accepted an unknown keyword");
            } finally {
                fs.rmSync(dir, { recursive: true, force: true });
            }
        });
    });
});
