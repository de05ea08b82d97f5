// The wiring of each stack, one file per environment (local.ts, staging.ts, production.ts) over what they share
// (shared.ts: providers, env file secrets, the remote deployment; hosts.ts: where the app runs; delivery.ts: CI
// roles, runners, the GitLab tier). This file picks the environment.
import * as path from "path";
import { ProgramConfig, loadConfig } from "../config";
import { localProgram } from "./local";
import { productionProgram } from "./production";
import { ProgramOutputs } from "./shared";
import { stagingProgram } from "./staging";

export type { ProgramOutputs } from "./shared";

export interface ProgramOptions {
    /** Repository root (holds app/ and app/deploy/); defaults to the folder above components/. */
    readonly repoRoot?: string;
    /** Environment for CI fallbacks (CI_COMMIT_SHA, CI_REGISTRY_USER, ...); defaults to process.env. */
    readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * The whole program: validates the stack's config first (one error, nothing created), then wires the
 * components of the stack's environment. The tests call this; index.ts makes the same two calls itself.
 */
export function createProgram(options: ProgramOptions = {}): ProgramOutputs {
    const repoRoot = options.repoRoot ?? path.resolve(__dirname, "..", "..");
    return createStack(loadConfig(repoRoot, options.env ?? process.env), repoRoot);
}

/** The components of one validated stack config, and the stack outputs they produce. */
export function createStack(config: ProgramConfig, repoRoot: string): ProgramOutputs {
    switch (config.environment) {
        case "local":
            return localProgram(config, repoRoot);
        case "staging":
            return stagingProgram(config, repoRoot);
        case "production":
            return productionProgram(config, repoRoot);
    }
}
