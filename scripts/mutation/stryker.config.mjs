// StrykerJS on the core (issue 20): `npm run test:mutation`. docs/mutation.md says why it is set up this way.
// The suites that exercise the core in this process. Left out: suites that spawn the engine, the policy analyzer
// or containers (a mutant in this process is invisible to them, and they are slow).
const UNIT_SUITES = [
    "tests/components/**/*.test.ts",
    "tests/program/config*.test.ts",
    "tests/program/documented-config.test.ts",
    "tests/policy/!(analyzer|engine-preview|program).test.ts",
];
// Whole stacks under mocks: each test costs seconds, and every mutant the unit suites let through runs all of them
// that reach it. Only with MUTATION_SUITES=all; without them the score can only be lower, never higher.
const STACK_SUITES = [
    "tests/program/!(config*|documented-config).test.ts",
    "tests/policy/program.test.ts",
    "tests/secrets/**/*.test.ts",
];

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
        spec: process.env.MUTATION_SUITES === "all" ? [...UNIT_SUITES, ...STACK_SUITES] : UNIT_SUITES,
    },
    coverageAnalysis: "perTest",
    // A mutant in code that runs while modules load needs a fresh process and the whole suite (~2 min here)
    // each; the bounded run leaves them out and counts them apart (docs/mutation.md).
    ignoreStatic: true,
    // The machine is shared; two runners in parallel, results reused by the next run.
    concurrency: 2,
    incremental: true,
    incrementalFile: `reports/mutation/incremental-${process.env.MUTATION_SUITES === "all" ? "all" : "unit"}.json`,
    reporters: ["clear-text", "json", "progress-append-only"],
    clearTextReporter: { reportMutants: false, reportTests: false, allowEmojis: false },
    jsonReporter: { fileName: "reports/mutation/mutation.json" },
    thresholds: { high: 90, low: 85, break: null },
    tempDirName: ".stryker-tmp",
    // tsx strips types without checking them; and the default glob would also stamp packages/gitlab/lib.
    disableTypeChecks: false,
    timeoutMS: 10000,
};
