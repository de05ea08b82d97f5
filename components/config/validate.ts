// Pure validation of the program's configuration. Nothing here reads Pulumi state or creates a
// resource: `validateConfig` takes the raw strings a stack's config holds and returns either a
// typed configuration or ONE error that names every bad key and what it accepts. It settles the
// environment and refuses unknown keys; local.ts, staging.ts and production.ts read the rest.

import { ENVIRONMENTS, Environment, KNOWN_KEYS, environmentForStack } from "./keys";
import { validateLocal } from "./local";
import { validateProduction } from "./production";
import { ConfigError, RawConfig, Reader } from "./reader";
import { validateStaging } from "./staging";
import type { ProgramConfig, ValidateOptions } from "./types";

/**
 * Validates the raw config of `stack`. Throws a single `ConfigError` listing every problem;
 * returns the typed configuration otherwise.
 */
export function validateConfig(stack: string, raw: RawConfig, opts: ValidateOptions = {}): ProgramConfig {
    const r = new Reader(raw, opts.secretKeys ?? new Set());
    const explicit = r.string("environment");
    let environment: Environment | undefined = environmentForStack(stack);
    if (explicit !== undefined) {
        if (!(ENVIRONMENTS as readonly string[]).includes(explicit)) {
            r.problem("environment", `"${explicit}" is unknown; allowed: ${ENVIRONMENTS.join(", ")}`);
            environment = undefined;
        } else {
            environment = explicit as Environment;
        }
    } else if (environment === undefined) {
        r.problem("environment", `is required for stack "${stack}" (only local, staging and prod imply it); allowed: ${ENVIRONMENTS.join(", ")}`);
    }
    if (environment === undefined) throw new ConfigError(stack, r.problems);

    for (const name of Object.keys(raw)) {
        if (name.includes(":")) continue; // other namespaces (aws:region, ...) belong to their providers
        if (!KNOWN_KEYS[environment].includes(name)) {
            r.problem(name, `is not a setting of the ${environment} environment; known keys: ${KNOWN_KEYS[environment].join(", ")}`);
        }
    }

    const config: ProgramConfig =
        environment === "local" ? validateLocal(stack, r, opts)
        : environment === "staging" ? validateStaging(stack, raw, r, opts)
        : validateProduction(stack, raw, r, opts);
    if (r.problems.length > 0) throw new ConfigError(stack, r.problems);
    return config;
}
