// Lint the TypeScript we write; compiled output and installed packages are not ours to lint.
import tseslint from "typescript-eslint";

export default tseslint.config(
  {
    ignores: [
      "**/node_modules/**",
      "**/dist/**",
      "bin/**",
      "coverage/**",
      "reports/**",
      "packages/gitlab/lib/**",
      "tests/pipeline/fixtures/**",
      // gitlab-ci-local's state folder: copies of the repository and job output, not our code.
      "**/.gitlab-ci-local/**",
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_" }],
    },
  },
  {
    // Mocks and recorders handle the engine's untyped property bags; typing them adds nothing.
    files: ["tests/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off" },
  },
  {
    // The benchmark re-requires the program to time a cold evaluation.
    files: ["scripts/bench/**/*.ts"],
    rules: { "@typescript-eslint/no-require-imports": "off" },
  },
);
