// What Trivy v0.74.0 does offline (its vulnerability database cannot be downloaded here): the secret scanner
// and the Dockerfile misconfiguration checks bundled in the binary, and `trivy convert` into GitLab's
// container-scanning format. scripts/trivy-build.sh builds the binary from Go modules (`scripts/setup.sh --tests`
// runs it). Outside tests/pipeline on purpose: the pipeline's own `test` job runs those without Trivy, and its
// `image_scan` job is where GitLab runs the real scan.
import * as assert from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../pipeline/support/ci-config";

const TRIVY_HOME = path.join(process.env.CICD_CACHE ?? path.join(os.homedir(), ".cache"), "cicd-trivy");
const TRIVY = process.env.TRIVY_BIN ?? path.join(TRIVY_HOME, "bin", "trivy");
const GITLAB_TEMPLATE = path.join(TRIVY_HOME, "gomod", "github.com", "aquasecurity", "trivy@v0.74.0", "contrib", "gitlab.tpl");

function trivy(args: readonly string[], cacheDir: string) {
    return spawnSync(TRIVY, [...args], { encoding: "utf8", timeout: 300_000, env: { ...process.env, TRIVY_CACHE_DIR: cacheDir } });
}

describe("Trivy v0.74.0 offline: secrets and Dockerfile checks on the deploy bundle and the image's Dockerfile", function () {
    this.timeout(300_000);
    before(() => {
        for (const needed of [TRIVY, GITLAB_TEMPLATE]) {
            assert.ok(fs.existsSync(needed), `${needed} is missing: run bash scripts/trivy-build.sh (scripts/setup.sh --tests does)`);
        }
    });
    let work: string;
    beforeEach(() => {
        work = fs.mkdtempSync(path.join(os.tmpdir(), "pipeline-trivy-"));
    });
    afterEach(() => fs.rmSync(work, { recursive: true, force: true }));
    const offline = ["--skip-db-update", "--offline-scan", "--quiet"];

    it("finds no secret in the deploy bundle (app/deploy), and finds one planted in a copy of it", () => {
        const clean = trivy(["fs", "--scanners", "secret", ...offline, "--exit-code", "3", path.join(REPO_ROOT, "app", "deploy")], path.join(work, "cache"));
        assert.strictEqual(clean.status, 0, clean.stdout + clean.stderr);
        const planted = path.join(work, "bundle");
        fs.cpSync(path.join(REPO_ROOT, "app", "deploy"), planted, { recursive: true });
        fs.writeFileSync(path.join(planted, "registry.env"), `REGISTRY_PASSWORD=glpat-${"Zx9Qm2Lp7Rt4Vb8Nc3Hk"}\n`);
        const dirty = trivy(["fs", "--scanners", "secret", ...offline, "--exit-code", "3", planted], path.join(work, "cache"));
        assert.strictEqual(dirty.status, 3, `the planted token was not found:\n${dirty.stdout}${dirty.stderr}`);
        assert.match(dirty.stdout, /registry\.env/);
    });

    it("passes the image's Dockerfile through the bundled misconfiguration checks with no HIGH or CRITICAL finding", () => {
        const dockerfile = path.join(work, "image");
        fs.mkdirSync(dockerfile);
        fs.copyFileSync(path.join(REPO_ROOT, "app", "Dockerfile"), path.join(dockerfile, "Dockerfile"));
        const args = ["config", "--skip-check-update", "--quiet", "--severity", "HIGH,CRITICAL", "--exit-code", "3", "--format", "json"];
        const result = trivy([...args, dockerfile], path.join(work, "cache"));
        assert.strictEqual(result.status, 0, result.stdout + result.stderr);
        const report = JSON.parse(result.stdout) as { Results?: { Target: string; MisconfSummary?: { Successes: number } }[] };
        assert.ok((report.Results ?? []).some((r) => r.Target === "Dockerfile" && (r.MisconfSummary?.Successes ?? 0) > 0),
            "no Dockerfile check ran (the bundled checks were not used)");
        // Control: a root Dockerfile is caught by the same gate.
        fs.writeFileSync(path.join(dockerfile, "Dockerfile"), "FROM debian:trixie\nRUN true\n");
        assert.strictEqual(trivy([...args, dockerfile], path.join(work, "cache")).status, 3);
    });

    it("converts a report into GitLab's container-scanning format with Trivy's own template", () => {
        const json = path.join(work, "report.json");
        const scan = trivy(["fs", "--scanners", "secret", ...offline, "--format", "json", "--output", json, path.join(REPO_ROOT, "app", "deploy")], path.join(work, "cache"));
        assert.strictEqual(scan.status, 0, scan.stderr);
        const out = path.join(work, "gl-container-scanning-report.json");
        const converted = trivy(["convert", "--format", "template", "--template", `@${GITLAB_TEMPLATE}`, "--output", out, json], path.join(work, "cache"));
        assert.strictEqual(converted.status, 0, converted.stderr);
        const report = JSON.parse(fs.readFileSync(out, "utf8")) as { version?: string; scan?: { type?: string; scanner?: { id?: string } }; vulnerabilities?: unknown[] };
        assert.strictEqual(report.scan?.type, "container_scanning");
        assert.strictEqual(report.scan?.scanner?.id, "trivy");
        assert.ok(Array.isArray(report.vulnerabilities));
        assert.match(String(report.version), /^\d+\.\d+/);
    });
});
