// A StrykerJS test runner that drives mocha 12 in-process through its programmatic API.
// Why not @stryker-mutator/mocha-runner: up to 10.1.1 it requires `mocha/lib/cli/run-helpers` without an
// extension, and mocha 12 ships that file as .cjs, so the runner cannot load (docs/mutation.md).
// Contract (StrykerJS test-runner API): init, dryRun with per-test coverage, mutantRun with a test filter,
// hit limit and static activation, dispose. Test ids are mocha's full titles.
import { createRequire } from "node:module";
import fs from "node:fs";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { commonTokens, declareFactoryPlugin, PluginKind, tokens } from "@stryker-mutator/api/plugin";
import { DryRunStatus, TestStatus, determineHitLimitReached, toMutantRunResult } from "@stryker-mutator/api/test-runner";

const NAMESPACE = "__stryker__";
// Coverage gathered while a suite's before() hooks run is recorded under this key, then credited to every test
// of the suite: left alone it would go to whichever test ran last, and that test alone cannot kill the mutant.
const SUITE_KEY = "\u0000suite:";
let recordingPerTest = false;

export const strykerValidationSchema = {
    properties: {
        mochaInProcess: {
            type: "object",
            description: "Options of scripts/mutation/mocha-runner.mjs",
            properties: {
                spec: { type: "array", items: { type: "string" }, description: "Test file globs, relative to the project" },
                require: { type: "array", items: { type: "string" }, description: "Modules to load first (e.g. a TypeScript hook)" },
            },
            additionalProperties: false,
        },
    },
};

function escapeRegExp(text) {
    return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function suiteKeys(runnable) {
    const keys = [];
    for (let suite = runnable.parent; suite; suite = suite.parent) keys.push(SUITE_KEY + suite.fullTitle());
    return keys;
}

class Recorder {
    constructor(runner) {
        this.tests = [];
        this.suitesOfTest = new Map();
        this.suiteMs = new Map();
        const suiteStart = new Map();
        const started = () => performance.now();
        let since = started();
        runner.on("start", () => { this.tests = []; since = started(); });
        runner.on("suite end", (suite) => this.suiteMs.set(suite, performance.now() - suiteStart.get(suite)));
        runner.on("suite", (suite) => {
            suiteStart.set(suite, performance.now());
            if (recordingPerTest) context().currentTestId = SUITE_KEY + suite.fullTitle();
        });
        runner.on("test", (test) => { this.suitesOfTest.set(test.fullTitle(), suiteKeys(test)); since = started(); });
        runner.on("pass", (test) => {
            const id = test.fullTitle();
            this.tests.push({ id, name: id, status: TestStatus.Success, timeSpentMs: Math.round(performance.now() - since), fileName: test.file });
        });
        runner.on("fail", (runnable, error) => {
            // A failing hook is reported as the test it ran for, so the mutant it exposes counts as killed.
            const id = runnable.ctx?.currentTest?.fullTitle() ?? runnable.fullTitle();
            this.tests.push({ id, name: id, status: TestStatus.Failed, failureMessage: String(error?.message ?? error), timeSpentMs: Math.round(performance.now() - since) });
        });
        Recorder.latest = this;
    }
}

function context() {
    return globalThis[NAMESPACE] ?? (globalThis[NAMESPACE] = {});
}

function setBail(suite, bail) {
    suite.bail(bail);
    for (const child of suite.suites) setBail(child, bail);
}

class MochaInProcessRunner {
    static inject = tokens(commonTokens.options, commonTokens.logger);

    constructor(options, log) {
        this.settings = options.mochaInProcess ?? {};
        this.log = log;
        this.loaded = false;
    }

    capabilities() {
        // Test files are loaded once per process; Stryker restarts the process when a mutant needs a fresh load.
        return { reloadEnvironment: false };
    }

    async init() {
        const projectRequire = createRequire(path.join(process.cwd(), "package.json"));
        for (const hook of this.settings.require ?? []) projectRequire(hook);
        const Mocha = (await import(pathToFileURL(projectRequire.resolve("mocha")).href)).default;
        const files = [...new Set((this.settings.spec ?? []).flatMap((glob) => fs.globSync(glob, { cwd: process.cwd() })))].sort();
        if (files.length === 0) throw new Error(`mochaInProcess.spec matched no test files in ${process.cwd()}`);
        this.mocha = new Mocha({ reporter: Recorder, timeout: 0 });
        this.mocha.cleanReferencesAfterRun(false);
        for (const file of files) this.mocha.addFile(path.resolve(file));
        this.mocha.suite.beforeEach(function () {
            if (recordingPerTest) context().currentTestId = this.currentTest?.fullTitle();
        });
        this.log.debug("mochaInProcess: %d test files", files.length);
    }

    async dryRun({ coverageAnalysis, disableBail }) {
        recordingPerTest = coverageAnalysis === "perTest";
        const result = await this.run(disableBail);
        recordingPerTest = false;
        if (result.status === DryRunStatus.Complete) {
            this.orderSuitesFastestFirst();
            if (coverageAnalysis !== "off") result.mutantCoverage = this.creditSuiteCoverage(context().mutantCoverage);
        }
        return result;
    }

    async mutantRun({ activeMutant, testFilter, disableBail, hitLimit, mutantActivation }) {
        const shared = context();
        shared.hitLimit = hitLimit;
        shared.hitCount = hitLimit ? 0 : undefined;
        this.mocha.grep(testFilter ? new RegExp(testFilter.map((id) => `(^${escapeRegExp(id)}$)`).join("|")) : undefined);
        return toMutantRunResult(await this.run(disableBail, activeMutant.id, mutantActivation));
    }

    async run(disableBail, activeMutantId, mutantActivation) {
        const shared = context();
        try {
            if (!this.loaded) {
                // A static mutant lives in code that runs while the modules load, so it must be active before.
                shared.activeMutant = mutantActivation === "static" ? activeMutantId : undefined;
                await this.mocha.loadFilesAsync();
                this.loaded = true;
            }
            shared.activeMutant = activeMutantId;
            setBail(this.mocha.suite, !disableBail);
            await new Promise((resolve) => this.mocha.run(() => resolve()));
            const timedOut = determineHitLimitReached(shared.hitCount, shared.hitLimit);
            if (timedOut) return timedOut;
            return { status: DryRunStatus.Complete, tests: Recorder.latest?.tests ?? [] };
        } catch (error) {
            return { status: DryRunStatus.Error, errorMessage: String(error?.stack ?? error) };
        }
    }

    // A mutant run stops at its first failing test, so the cheap suites go first: a mutant that a unit test kills
    // is then not kept waiting behind whole-stack runs. Only the files' top-level suites move, never tests
    // within a suite, whose order may carry state.
    orderSuitesFastestFirst() {
        const spent = Recorder.latest?.suiteMs ?? new Map();
        this.mocha.suite.suites.sort((a, b) => (spent.get(a) ?? 0) - (spent.get(b) ?? 0));
    }

    creditSuiteCoverage(coverage) {
        if (!coverage?.perTest) return coverage;
        const suites = Object.keys(coverage.perTest).filter((key) => key.startsWith(SUITE_KEY));
        const perTest = Object.fromEntries(Object.entries(coverage.perTest).filter(([key]) => !key.startsWith(SUITE_KEY)));
        for (const [test, keys] of Recorder.latest?.suitesOfTest ?? []) {
            for (const key of keys.filter((k) => suites.includes(k))) {
                const own = (perTest[test] ??= {});
                for (const [mutant, hits] of Object.entries(coverage.perTest[key])) own[mutant] = (own[mutant] ?? 0) + hits;
            }
        }
        return { static: coverage.static, perTest };
    }

    async dispose() {
        try {
            this.mocha?.dispose();
        } catch (error) {
            if (error?.code !== "ERR_MOCHA_INSTANCE_ALREADY_RUNNING") throw error;
        }
    }
}

function createRunner(injector) {
    return injector.injectClass(MochaInProcessRunner);
}
createRunner.inject = tokens(commonTokens.injector);

export const strykerPlugins = [declareFactoryPlugin(PluginKind.TestRunner, "mocha-inprocess", createRunner)];
