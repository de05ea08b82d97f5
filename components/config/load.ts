import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import { PULUMI_PROJECT } from "./keys";
import type { RawConfig } from "./reader";
import type { ProgramConfig } from "./types";
import { validateConfig } from "./validate";

// `isConfigSecret` is exported by the SDK's runtime but marked internal in its typings.
const runtimeConfig = pulumi.runtime as unknown as { isConfigSecret?: (fullKey: string) => boolean };

/** The stack's raw config under our namespace (prefix stripped), plus `aws:region`. */
export function readRawConfig(): { raw: RawConfig; secretKeys: Set<string> } {
    const all = pulumi.runtime.allConfig();
    const raw: Record<string, string> = {};
    const secretKeys = new Set<string>();
    const prefix = `${PULUMI_PROJECT}:`;
    for (const [fullKey, value] of Object.entries(all)) {
        if (fullKey.startsWith(prefix)) {
            const name = fullKey.slice(prefix.length);
            raw[name] = value;
            if (runtimeConfig.isConfigSecret?.(fullKey)) secretKeys.add(name);
        } else if (fullKey === "aws:region") {
            raw[fullKey] = value;
        }
    }
    return { raw, secretKeys };
}

function appPackageVersion(repoRoot: string): string | undefined {
    try {
        return JSON.parse(fs.readFileSync(path.join(repoRoot, "app", "package.json"), "utf8")).version;
    } catch {
        return undefined;
    }
}

function defaultStateDir(stack: string): string {
    const base = process.env.XDG_STATE_HOME ?? path.join(os.homedir(), ".local", "state");
    return path.join(base, PULUMI_PROJECT, stack);
}

/**
 * Reads and validates the current stack's config. Throws one ConfigError before anything is created.
 * Secret values come back as plain strings: callers wrap them with `pulumi.secret` at once.
 */
export function loadConfig(repoRoot: string, env: Readonly<Record<string, string | undefined>> = process.env): ProgramConfig {
    const stack = pulumi.getStack();
    const { raw, secretKeys } = readRawConfig();
    let organization: string | undefined;
    try {
        organization = pulumi.getOrganization();
    } catch {
        organization = undefined;
    }
    return validateConfig(stack, raw, {
        secretKeys,
        fileExists: (p) => {
            try {
                fs.accessSync(p, fs.constants.R_OK);
                return fs.statSync(p).isFile();
            } catch {
                return false;
            }
        },
        env,
        defaultAppVersion: appPackageVersion(repoRoot),
        defaultStateDir: defaultStateDir(stack),
        organization: organization || undefined,
    });
}
