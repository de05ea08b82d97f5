// components/config/local.ts: the local stack's ports, Compose project, state folder, database password and sandbox.
import { strict as assert } from "assert";
import { LocalConfig, configKey, validateConfig } from "../../../components/config";
import { SECRET_KEYS, configProblems, validateStack } from "../../program/configHarness";
import { STACK_CONFIG } from "../../program/stacks";

const local = (overrides: Record<string, string | undefined> = {}) => validateStack("local", overrides) as LocalConfig;

/** The keys (full names) the local stack's problems name. */
const refused = (overrides: Record<string, string | undefined>) => configProblems(() => local(overrides)).map((p) => p.split(" ")[0]);

describe("config local: ports", () => {
    it("serves HTTP on 8080 by default and HTTPS only when httpsPort is set", () => {
        assert.equal(local().httpPort, 8080);
        assert.equal(local().httpsPort, undefined);
        assert.equal(local({ httpsPort: " " }).httpsPort, undefined);
        assert.equal(local({ httpsPort: "9443" }).httpsPort, 9443);
        assert.equal(local({ httpPort: "9080", httpsPort: "8080" }).httpsPort, 8080);
    });

    it("refuses httpsPort equal to httpPort, naming the port", () => {
        const problems = configProblems(() => local({ httpPort: "9000", httpsPort: "9000" }));
        assert.deepEqual(problems.map((p) => p.split(" ")[0]), [configKey("httpsPort")]);
        assert.ok(problems[0].includes("9000"), problems[0]);
        assert.deepEqual(refused({ httpsPort: "80" }), [configKey("httpsPort")]);
    });
});

describe("config local: Compose project and state folder", () => {
    it("names the Compose project gitlab-docker-delivery-local unless told, and refuses names Compose refuses", () => {
        assert.equal(local().composeProject, "gitlab-docker-delivery-local");
        assert.equal(local({ composeProject: "my_app-2" }).composeProject, "my_app-2");
        for (const name of ["My-app", "-app", "my.app", "my app", "a".repeat(64)]) {
            const problems = configProblems(() => local({ composeProject: name }));
            assert.deepEqual(problems.map((p) => p.split(" ")[0]), [configKey("composeProject")], name);
            assert.ok(problems[0].includes(`"${name}"`), problems[0]);
        }
        assert.equal(local({ composeProject: "a".repeat(63) }).composeProject, "a".repeat(63));
    });

    it("keeps state in stateDir, else in the folder the program chose, else in .pulumi-local/<stack>", () => {
        const opts = { secretKeys: SECRET_KEYS, env: {} };
        const { stateDir: _, ...withoutStateDir } = STACK_CONFIG.local;
        assert.equal(local({ stateDir: "/srv/state" }).stateDir, "/srv/state");
        assert.equal((validateConfig("local", { ...withoutStateDir, stateDir: "/srv/state" }, { ...opts, defaultStateDir: "/home/u/.local/state/x" }) as LocalConfig).stateDir, "/srv/state");
        assert.equal((validateConfig("local", withoutStateDir, { ...opts, defaultStateDir: "/home/u/.local/state/x" }) as LocalConfig).stateDir, "/home/u/.local/state/x");
        assert.equal((validateConfig("dev", { ...withoutStateDir, environment: "local" }, opts) as LocalConfig).stateDir, ".pulumi-local/dev");
    });
});

describe("config local: database password", () => {
    it("is optional (generated when unset), taken as a secret of at least 16 characters", () => {
        assert.equal(local().dbPassword, undefined);
        assert.equal(local({ dbPassword: "p".repeat(16) }).dbPassword, "p".repeat(16));
        assert.deepEqual(refused({ dbPassword: "p".repeat(15) }), [configKey("dbPassword")]);
    });
});

describe("config local: backups", () => {
    it("are off by default and on when asked for: the local stack needs no EC2 host for them", () => {
        assert.deepEqual(local().backup, { enabled: false, retentionDays: 14 });
        assert.deepEqual(local({ backupEnabled: "true", backupRetentionDays: "3" }).backup, { enabled: true, retentionDays: 3 });
    });
});

describe("config local: the sandbox GitLab project", () => {
    it("is off without gitlabToken, and then refuses the keys only the sandbox reads, each named", () => {
        assert.equal(local().gitlab, undefined);
        const keys = ["gitlabBaseUrl", "gitlabProjectName", "gitlabNamespaceId"];
        const problems = configProblems(() => local({ gitlabBaseUrl: "https://gitlab.example.com/api/v4", gitlabProjectName: "sandbox", gitlabNamespaceId: "12" }));
        assert.deepEqual(problems.map((p) => p.split(" ")[0]).sort(), keys.map(configKey).sort());
        for (const p of problems) assert.ok(p.includes(`--secret ${configKey("gitlabToken")}`), p);
    });

    it("is on with gitlabToken, named gitlab-docker-delivery-sandbox on gitlab.com unless told", () => {
        assert.deepEqual(local({ gitlabToken: "glpat-sandbox" }).gitlab, { baseUrl: "https://gitlab.com/api/v4", token: "glpat-sandbox", projectName: "gitlab-docker-delivery-sandbox", namespaceId: undefined });
        const custom = local({ gitlabToken: "glpat-sandbox", gitlabProjectName: "try-it", gitlabBaseUrl: "https://gitlab.example.com/api/v4" }).gitlab;
        assert.equal(custom?.projectName, "try-it");
        assert.equal(custom?.baseUrl, "https://gitlab.example.com/api/v4");
        assert.deepEqual(refused({ gitlabToken: "glpat-sandbox", gitlabProjectName: "no spaces allowed" }), [configKey("gitlabProjectName")]);
    });
});
