// StrykerJS on the core (issue 20): `npm run test:mutation`. docs/mutation.md says why it is set up this way.
/** @type {import("@stryker-mutator/api/core").PartialStrykerOptions} */
export default {
    // Directories, not files: a file split inside them needs no change here.
    mutate: [
        "components/{config,host,gitlab,runner,image}/**/*.ts",
        "policy/rules/**/*.ts",
    ],
    plugins: ["./scripts/mutation/mocha-runner.mjs"],
    testRunner: "mocha-inprocess",
    mochaInProcess: {
        require: ["tsx/cjs"],
        // The suites that exercise the core in this process. Left out: suites that spawn the engine, the policy
        // analyzer or containers (they cannot see a mutant in this process, and they are slow).
        spec: [
            "tests/{program,components,secrets}/**/*.test.ts",
            "tests/policy/!(analyzer|engine-preview).test.ts",
        ],
    },
    coverageAnalysis: "perTest",
    // A mutant in code that runs while modules load needs a fresh process and the whole suite (~2 min here)
    // each; the bounded run leaves them out and counts them apart (docs/mutation.md).
    ignoreStatic: true,
    // The machine is shared; two runners in parallel, results reused by the next run.
    concurrency: 2,
    incremental: true,
    incrementalFile: "reports/mutation/incremental.json",
    reporters: ["clear-text", "json", "progress-append-only"],
    clearTextReporter: { reportMutants: false, reportTests: false, allowEmojis: false },
    jsonReporter: { fileName: "reports/mutation/mutation.json" },
    thresholds: { high: 90, low: 85, break: null },
    tempDirName: ".stryker-tmp",
    // tsx strips types without checking them; and the default glob would also stamp packages/gitlab/lib.
    disableTypeChecks: false,
    timeoutMS: 10000,
};
