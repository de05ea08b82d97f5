// The GitLab binding (packages/gitlab) against the official provider's schema facts (v10.1.1): every declared input
// and output must exist on its token, required inputs must be required in the TypeScript args, secrets stay secret,
// the plugin version is pinned, and nothing uses what v10 removed.
/* eslint-disable @typescript-eslint/no-require-imports -- modules load after the mocks are installed */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import ts from "typescript";
import { installMocks, MockRecorder } from "../../support/mocks";

const root = path.resolve(__dirname, "../../..");
const packageDir = path.join(root, "packages/gitlab");
const facts = JSON.parse(fs.readFileSync(path.join(root, "tests/fixtures/gitlab-provider-v10-facts.json"), "utf8"));

interface TokenFacts {
    inputs: string[];
    required: string[];
    outputs: string[];
    secretOutputs: string[];
    secretInputs: string[];
}

interface DeclaredMember {
    name: string;
    optional: boolean;
}

/** Reads the binding's published declarations (lib/index.d.ts) with the TypeScript checker, as a consumer sees them. */
function loadDeclarations() {
    const entry = path.join(packageDir, "lib/index.d.ts");
    const program = ts.createProgram([entry], { strict: true, noEmit: true, skipLibCheck: true, types: [] });
    const checker = program.getTypeChecker();
    const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(entry)!)!;
    const exports = new Map(checker.getExportsOfModule(moduleSymbol).map((s) => [s.getName(), s]));
    const resolve = (s: ts.Symbol) => (s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s);

    const interfaceMembers = (symbol: ts.Symbol): DeclaredMember[] =>
        checker.getPropertiesOfType(checker.getDeclaredTypeOfSymbol(symbol)).map((p) => ({
            name: p.getName(),
            optional: (p.flags & ts.SymbolFlags.Optional) !== 0,
        }));

    return {
        /** Members of the exported interface `name`. */
        argsOf(name: string): DeclaredMember[] {
            const symbol = exports.get(name);
            assert.ok(symbol, `the binding exports no ${name}`);
            return interfaceMembers(resolve(symbol));
        },
        /** Instance properties the exported class `name` declares itself (not inherited from pulumi's base classes). */
        outputsOf(name: string): string[] {
            const symbol = exports.get(name);
            assert.ok(symbol, `the binding exports no ${name}`);
            const declaration = resolve(symbol).valueDeclaration as ts.ClassDeclaration;
            return declaration.members
                .filter((m): m is ts.PropertyDeclaration => ts.isPropertyDeclaration(m))
                .filter((m) => !(ts.getCombinedModifierFlags(m) & ts.ModifierFlags.Static))
                .map((m) => (m.name as ts.Identifier).text);
        },
        /** Interfaces of the `types.input` namespace, by name. */
        inputTypes(): Map<string, DeclaredMember[]> {
            const typesSymbol = resolve(exports.get("types")!);
            const inputSymbol = resolve(checker.getExportsOfModule(typesSymbol).find((s) => s.getName() === "input")!);
            return new Map(checker.getExportsOfModule(inputSymbol).map((s) => [s.getName(), interfaceMembers(resolve(s))]));
        },
    };
}

const declarations = loadDeclarations();

/** A class of the binding, as its statics describe it. */
interface BoundClass {
    readonly __pulumiType: string;
    readonly schema: import("@cicd/pulumi-gitlab").ResourceSchema;
}

/** The binding's resource classes by name, loaded from the package as the program loads it. */
const binding = require("@cicd/pulumi-gitlab") as Record<string, unknown>;
const resourceClasses = Object.entries(binding).filter((entry): entry is [string, BoundClass] => {
    if (typeof entry[1] !== "function") return false;
    const candidate = entry[1] as unknown as Partial<BoundClass>;
    return typeof candidate.__pulumiType === "string" && candidate.schema !== undefined;
});

const sorted = (values: Iterable<string>) => [...values].sort();

describe("GitLab binding (packages/gitlab) against the provider schema facts v10.1.1", () => {
    it("binds every resource this project needs, under the provider's real tokens", () => {
        const tokens = resourceClasses.map(([, cls]) => cls.__pulumiType);
        for (const token of [
            "gitlab:index/project:Project",
            "gitlab:index/projectVariable:ProjectVariable",
            "gitlab:index/projectEnvironment:ProjectEnvironment",
            "gitlab:index/projectProtectedEnvironment:ProjectProtectedEnvironment",
            "gitlab:index/userRunner:UserRunner",
            "gitlab:index/projectDeployToken:ProjectDeployToken",
            "gitlab:index/branchProtection:BranchProtection",
        ]) {
            assert.ok(tokens.includes(token), `no class binds ${token}`);
        }
        for (const [name, cls] of resourceClasses) {
            if (name === "Provider") continue;
            assert.ok(facts.allResourceTokens.includes(cls.__pulumiType), `${name}: ${cls.__pulumiType} is not a v10 resource token`);
            assert.equal(cls.__pulumiType.split(":").pop(), name, `${name}: class name must match @pulumi/gitlab's (the token's last part)`);
        }
    });

    for (const [name, cls] of resourceClasses.filter(([n]) => n !== "Provider")) {
        describe(`${name} (${cls.__pulumiType})`, () => {
            const token: TokenFacts = facts.resources[cls.__pulumiType];
            const args = declarations.argsOf(`${name}Args`);

            it("declares only inputs the token has, and passes exactly those", () => {
                assert.ok(token, `the facts file has no entry for ${cls.__pulumiType}`);
                const unknown = args.map((a) => a.name).filter((n) => !token.inputs.includes(n));
                assert.deepEqual(unknown, [], `${name}Args has inputs the provider does not know`);
                assert.deepEqual(sorted(cls.schema.inputs), sorted(args.map((a) => a.name)), "runtime input list differs from the TypeScript args");
            });

            it("makes the provider's required inputs required in TypeScript, and nothing else", () => {
                const requiredInTs = args.filter((a) => !a.optional).map((a) => a.name);
                assert.deepEqual(sorted(requiredInTs), sorted(token.required));
                assert.deepEqual(sorted(cls.schema.required), sorted(token.required));
            });

            it("declares only outputs the token has (with `declare`, so the base constructor's values survive)", () => {
                const outputs = declarations.outputsOf(name);
                const unknown = outputs.filter((o) => !token.outputs.includes(o));
                assert.deepEqual(unknown, [], `${name} declares outputs the provider does not return`);
                assert.deepEqual(sorted(cls.schema.outputs), sorted(outputs));
            });

            it("keeps every secret of the schema secret", () => {
                for (const secret of token.secretOutputs) {
                    assert.ok(cls.schema.secretOutputs.includes(secret), `${secret} must be in additionalSecretOutputs`);
                }
                for (const secret of token.secretInputs.filter((i) => cls.schema.inputs.includes(i))) {
                    assert.ok(cls.schema.secretInputs.includes(secret), `input ${secret} must be wrapped as a secret`);
                }
            });

            it("uses no input that v10 removed from this token", () => {
                const removed: string[] = facts.removedInV10.inputsRemovedFromKeptResources[cls.__pulumiType] ?? [];
                assert.deepEqual(args.map((a) => a.name).filter((n) => removed.includes(n)), []);
            });
        });
    }

    it("declares only config keys the provider has, and keeps the token secret", () => {
        const args = declarations.argsOf("ProviderArgs");
        assert.deepEqual(args.filter((a) => !facts.config.includes(a.name)).map((a) => a.name), []);
        assert.deepEqual(args.filter((a) => !a.optional).map((a) => a.name), [], "no provider key is required (GITLAB_TOKEN works too)");
        for (const secret of facts.configSecret) {
            assert.ok((binding.Provider as BoundClass).schema.secretInputs.includes(secret), `provider config ${secret} must be secret`);
        }
    });

    it("declares nested input types with fields of the schema's types only", () => {
        const inputTypes = declarations.inputTypes();
        assert.ok(inputTypes.size >= 6, "expected the nested types of protected environments, branch protection and the project");
        for (const [typeName, members] of inputTypes) {
            const known: string[] | undefined = facts.types[`gitlab:index/${typeName}:${typeName}`];
            assert.ok(known, `types.input.${typeName} is not a type of the provider`);
            const unknown = members.map((m) => m.name).filter((m) => !known.includes(m));
            assert.deepEqual(unknown, [], `types.input.${typeName} has fields the provider does not know`);
            const required: string[] = facts.typeRequired[`gitlab:index/${typeName}:${typeName}`] ?? [];
            assert.deepEqual(sorted(members.filter((m) => !m.optional).map((m) => m.name)), sorted(required));
        }
    });

    it("pins the plugin once, in package.json, at the facts' version, for the CLI's plugin discovery", () => {
        const pkg = JSON.parse(fs.readFileSync(path.join(packageDir, "package.json"), "utf8"));
        assert.deepEqual(pkg.pulumi, { resource: true, name: "gitlab", version: facts.version });
        assert.equal(binding.pluginVersion, facts.version);
        const sources = listTs(path.join(packageDir, "src")).map((f) => fs.readFileSync(f, "utf8")).join("\n");
        assert.doesNotMatch(sources, /10\.1\.1/, "the version must not be repeated in the sources");
    });

    it("ships compiled lib/ that matches src/ (a fresh `npm ci` needs no build step)", function () {
        this.timeout(60000);
        const configFile = ts.readConfigFile(path.join(packageDir, "tsconfig.json"), ts.sys.readFile);
        const parsed = ts.parseJsonConfigFileContent(configFile.config, ts.sys, packageDir);
        const emitted = new Map<string, string>();
        const program = ts.createProgram(parsed.fileNames, parsed.options);
        const result = program.emit(undefined, (fileName, text) => emitted.set(path.resolve(fileName), text));
        const diagnostics = ts.getPreEmitDiagnostics(program).concat(result.diagnostics);
        assert.deepEqual(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n")), [], "the binding must compile cleanly");
        const committed = (dir: string): string[] =>
            fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? committed(path.join(dir, e.name)) : [path.join(dir, e.name)]));
        assert.deepEqual(sorted(committed(path.join(packageDir, "lib"))), sorted(emitted.keys()), "lib/ has missing or stale files: run `npm --prefix packages/gitlab run build`");
        for (const [file, text] of emitted) {
            assert.equal(fs.readFileSync(file, "utf8"), text, `${path.relative(root, file)} is out of date: run \`npm --prefix packages/gitlab run build\``);
        }
    });

    it("leaves no token or input that v10 removed anywhere in components/ or packages/", () => {
        const removedTokens: string[] = [...Object.keys(facts.removedInV10.resources), ...facts.removedInV10.otherRemovedResourceTokens];
        const removedClasses = removedTokens.map((t) => t.split(":").pop()!);
        // Inputs removed from the tokens this project binds, looked for where they would be set (`name:` or `name?:`).
        const boundTokens = resourceClasses.map(([, cls]) => cls.__pulumiType as string);
        const removedInputs = Object.entries(facts.removedInV10.inputsRemovedFromKeptResources as Record<string, string[]>)
            .filter(([token]) => boundTokens.includes(token))
            .flatMap(([, inputs]) => inputs)
            // `tags` is also an AWS input; the Project binding's args are checked above instead.
            .filter((input) => input !== "tags");
        const files = ["components", "packages/gitlab/src", "packages/gitlab/lib"].flatMap((dir) => listTs(path.join(root, dir)));
        assert.ok(files.length > 10, "expected to scan the sources");
        const hits: string[] = [];
        for (const file of files) {
            const text = fs.readFileSync(file, "utf8");
            for (const token of removedTokens) if (text.includes(token)) hits.push(`${file}: ${token}`);
            for (const cls of removedClasses) if (new RegExp(`gitlab\\.${cls}\\b`).test(text)) hits.push(`${file}: gitlab.${cls}`);
            for (const input of removedInputs) if (new RegExp(`\\b${input}\\??\\s*:`).test(text)) hits.push(`${file}: ${input}`);
        }
        assert.deepEqual(hits, []);
        for (const cls of removedClasses) assert.equal(binding[cls], undefined, `the binding must not export ${cls}`);
    });
});

function listTs(dir: string): string[] {
    if (!fs.existsSync(dir)) return [];
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) return e.name === "node_modules" ? [] : listTs(full);
        return /\.(ts|js)$/.test(e.name) ? [full] : [];
    });
}

describe("GitLab binding under mocks: what reaches the engine", () => {
    let mocks: MockRecorder;
    let gitlab: typeof import("@cicd/pulumi-gitlab");

    before(async () => {
        mocks = await installMocks();
        gitlab = await import("@cicd/pulumi-gitlab");
        const provider = new gitlab.Provider("b-provider", { token: "glpat-not-a-real-token", baseUrl: "https://gitlab.example.com/api/v4", insecure: false, retries: 3 });
        const project = new gitlab.Project("b-project", { name: "demo", visibilityLevel: "private" }, { provider });
        new gitlab.ProjectVariable("b-variable", { project: project.id, key: "REGION", value: "eu-central-1" }, { provider });
        new gitlab.ProjectVariable("b-secret", { project: project.id, key: "TOKEN", value: pulumi.secret("plain-value-1234"), masked: true },
            { provider, additionalSecretOutputs: ["value"] });
        new gitlab.UserRunner("b-runner", { runnerType: "project_type", projectId: 42 }, { provider });
        new gitlab.ProjectDeployToken("b-token", { project: project.id, scopes: ["read_registry"] }, { provider });
        new gitlab.ProjectEnvironment("b-env", { project: project.id, name: "staging" }, { provider });
        new gitlab.ProjectProtectedEnvironment("b-protected", { project: project.id, environment: "staging" }, { provider });
        new gitlab.BranchProtection("b-branch", { project: project.id, branch: "main" }, { provider });
        await mocks.settle();
    });

    it("registers the provider as pulumi:providers:gitlab with a secret token and JSON-encoded non-string config", () => {
        const provider = mocks.find("pulumi:providers:gitlab", "b-provider");
        assert.ok(provider.secretInputs.includes("token"));
        assert.equal(provider.inputs.insecure, "false");
        assert.equal(provider.inputs.retries, "3");
        assert.equal(provider.inputs.baseUrl, "https://gitlab.example.com/api/v4");
    });

    it("JSON-encodes every non-string provider config value, as the provider expects", async () => {
        const samples: Record<string, unknown> = { boolean: true, integer: 3, "map<string>": { "X-Request-Source": "pulumi" } };
        const nonString = Object.entries(facts.configTypes as Record<string, string>).filter(([, type]) => type !== "string");
        assert.ok(nonString.length >= 4);
        const args = Object.fromEntries(nonString.map(([key, type]) => {
            assert.ok(type in samples, `no sample value for config type ${type}`);
            return [key, samples[type]];
        }));
        new gitlab.Provider("b-config", args);
        await mocks.settle();
        const recorded = mocks.find("pulumi:providers:gitlab", "b-config").inputs;
        for (const [key, type] of nonString) assert.equal(recorded[key], JSON.stringify(samples[type]), key);
    });

    it("pins plugin version 10.1.1 on every gitlab resource and the provider", () => {
        const gitlabResources = mocks.resources.filter((r) => r.type.startsWith("gitlab:") || r.type === "pulumi:providers:gitlab");
        const names = gitlabResources.map((r) => r.name);
        for (const name of ["b-provider", "b-project", "b-variable", "b-secret", "b-runner", "b-token", "b-env", "b-protected", "b-branch"]) {
            assert.ok(names.includes(name), `${name} was not registered`);
        }
        for (const r of gitlabResources) assert.equal(r.version, facts.version, `${r.type} ${r.name}`);
    });

    it("leaves ProjectVariable.value as the schema has it (plain), and passes a caller's secret marking through", () => {
        const plain = mocks.find("gitlab:index/projectVariable:ProjectVariable", "b-variable");
        assert.deepEqual(plain.secretInputs, []);
        assert.deepEqual(plain.additionalSecretOutputs, []);
        const secret = mocks.find("gitlab:index/projectVariable:ProjectVariable", "b-secret");
        assert.ok(secret.secretInputs.includes("value"));
        assert.deepEqual(secret.additionalSecretOutputs, ["value"]);
    });

    it("marks the runner token and the deploy token secret outputs", () => {
        assert.ok(mocks.find("gitlab:index/userRunner:UserRunner", "b-runner").additionalSecretOutputs.includes("token"));
        assert.ok(mocks.find("gitlab:index/projectDeployToken:ProjectDeployToken", "b-token").additionalSecretOutputs.includes("token"));
    });

    it("uses the explicit provider when given one", () => {
        for (const r of mocks.resources.filter((r) => r.type.startsWith("gitlab:"))) {
            assert.match(r.provider, /pulumi:providers:gitlab::b-provider::/, `${r.type} ${r.name}`);
        }
    });

    it("refuses a missing required input, naming it, before anything registers", () => {
        const before = mocks.resources.length;
        assert.throws(
            () => new gitlab.ProjectVariable("b-bad", { project: "1", key: "X" } as unknown as import("@cicd/pulumi-gitlab").ProjectVariableArgs),
            /ProjectVariable: missing required property 'value'/,
        );
        assert.equal(mocks.resources.length, before);
    });

    it("refuses an input the provider does not have (e.g. the removed containerRegistryEnabled)", () => {
        assert.throws(
            () => new gitlab.Project("b-bad-project", { containerRegistryEnabled: true } as unknown as import("@cicd/pulumi-gitlab").ProjectArgs),
            /unknown input\(s\) containerRegistryEnabled/,
        );
    });
});
