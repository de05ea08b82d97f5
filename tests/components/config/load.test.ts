// components/config/load.ts: what `pulumi up` hands the program (the stack's config, which keys are secrets, the
// organization) and the defaults it takes from the machine (app version, state folder, files that exist).
import { strict as assert } from "assert";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { LocalConfig, ProductionConfig, configKey, loadConfig, readRawConfig } from "../../../components/config";
import { installMocks } from "../../support/mocks";
import { configProblems } from "../../program/configHarness";
import { ORGANIZATION, STACK_CONFIG, StackName, pulumiConfig } from "../../program/stacks";

/** Sets up `stack` as `pulumi up` would: mocks, the stack's config with `overrides`, the usual secret keys. */
async function asPulumiUp(stack: StackName, overrides: Record<string, string | undefined> = {}, plainKeys: string[] = []): Promise<void> {
    await installMocks({ stack, organization: ORGANIZATION });
    const { config, secretKeys } = pulumiConfig({ ...STACK_CONFIG[stack], ...overrides });
    pulumi.runtime.setAllConfig(config, secretKeys.filter((k) => !plainKeys.includes(k)));
}

describe("config load: reading the stack's config from Pulumi", () => {
    let repoRoot: string;
    let stateHome: string | undefined;
    before(() => {
        repoRoot = fs.mkdtempSync(path.join(os.tmpdir(), "mconfb-load-"));
        fs.mkdirSync(path.join(repoRoot, "app"));
        fs.writeFileSync(path.join(repoRoot, "app", "package.json"), JSON.stringify({ name: "app", version: "4.5.6" }));
        stateHome = process.env.XDG_STATE_HOME;
    });
    afterEach(() => {
        if (stateHome === undefined) delete process.env.XDG_STATE_HOME;
        else process.env.XDG_STATE_HOME = stateHome;
    });
    after(() => fs.rmSync(repoRoot, { recursive: true, force: true }));

    it("keeps our namespace's keys without the prefix, plus aws:region, and knows which were secrets", async () => {
        await asPulumiUp("staging", { "docker:host": "unix:///var/run/docker.sock" });
        const { raw, secretKeys } = readRawConfig();
        assert.equal(raw.instanceType, "t3.small");
        assert.equal(raw["aws:region"], "eu-central-1");
        assert.equal(raw["docker:host"], undefined);
        assert.equal(raw[configKey("instanceType")], undefined);
        assert.deepEqual([...secretKeys].sort(), ["gitlabToken", "registryPassword", "sshPrivateKey"]);
    });

    it("refuses a secret the stack holds in plain text", async () => {
        await asPulumiUp("staging", {}, [configKey("sshPrivateKey")]);
        assert.deepEqual(configProblems(() => loadConfig(repoRoot, {})).map((p) => p.split(" ")[0]), [configKey("sshPrivateKey")]);
    });

    it("takes the app's version from app/package.json, and 0.0.0 when there is none", async () => {
        await asPulumiUp("local");
        assert.equal(loadConfig(repoRoot, {}).appVersion, "4.5.6");
        assert.equal(loadConfig(path.join(repoRoot, "app"), {}).appVersion, "0.0.0");
        await asPulumiUp("local", { appVersion: "7.0.0" });
        assert.equal(loadConfig(repoRoot, {}).appVersion, "7.0.0");
    });

    it("keeps local state under XDG_STATE_HOME, else ~/.local/state, per project and stack", async () => {
        await asPulumiUp("local", { stateDir: undefined });
        process.env.XDG_STATE_HOME = path.join(repoRoot, "state");
        assert.equal((loadConfig(repoRoot, {}) as LocalConfig).stateDir, path.join(repoRoot, "state", "gitlab-docker-delivery", "local"));
        delete process.env.XDG_STATE_HOME;
        assert.equal((loadConfig(repoRoot, {}) as LocalConfig).stateDir, path.join(os.homedir(), ".local", "state", "gitlab-docker-delivery", "local"));
    });

    it("takes buildCaFile only when it names a readable file", async () => {
        const ca = path.join(repoRoot, "ca.pem");
        fs.writeFileSync(ca, "-----BEGIN CERTIFICATE-----\n");
        await asPulumiUp("local", { buildCaFile: ca });
        assert.equal(loadConfig(repoRoot, {}).buildCaFile, ca);
        for (const file of [path.join(repoRoot, "app"), path.join(repoRoot, "missing.pem")]) {
            await asPulumiUp("local", { buildCaFile: file });
            assert.deepEqual(configProblems(() => loadConfig(repoRoot, {})).map((p) => p.split(" ")[0]), [configKey("buildCaFile")], file);
        }
    });

    it("uses the CI environment it is given and the stack's organization", async () => {
        await asPulumiUp("prod", { gitlabToken: undefined });
        const config = loadConfig(repoRoot, { GITLAB_TOKEN: "glpat-from-env" }) as ProductionConfig;
        assert.equal(config.gitlab.token, "glpat-from-env");
        assert.equal(config.stagingStack, `${ORGANIZATION}/gitlab-docker-delivery/staging`);
    });
});
