// Which CI/CD variables GitLab hands to which job, as GitLab documents it, for the variables this project
// sets: the hand-set ones from docs/pipeline.md's bootstrap table, the provisioned ones from the components'
// table. gitlab-ci-local applies environment scopes itself (its variables file takes per-environment values);
// it has no notion of protected variables or protected environments, so those two rules are modelled here:
//   - a protected variable reaches only pipelines of protected branches and tags;
//   - a job with a protected environment is not started for a user who may not deploy to it
//     (jobs with action: prepare included).
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { stringify } from "yaml";
import { PROVISIONED_VARIABLES } from "../../../components/gitlab/variables";
import { REPO_ROOT } from "./ci-config";

export type Tier = "free" | "premium";
export const ENVIRONMENTS = ["staging", "production"] as const;

export interface VariableSetting {
    readonly key: string;
    /** Only pipelines of protected refs receive it. */
    readonly protected: boolean;
    /** Environments it is scoped to; undefined = every job (`*`). */
    readonly environments?: readonly string[];
    /** Opens or decrypts something of staging or production: no merge request's own job may see it. */
    readonly guarded: boolean;
}

/** Settings of the hand-set variables per tier, read from docs/pipeline.md's bootstrap table. */
export function documentedSettings(tier: Tier): VariableSetting[] {
    const text = fs.readFileSync(path.join(REPO_ROOT, "docs", "pipeline.md"), "utf8");
    const section = /^## Set by hand at bootstrap\s*$([\s\S]*?)(?=^## )/m.exec(text)?.[1] ?? "";
    const header = section.split("\n").find((line) => line.startsWith("| Variable |"));
    if (!header) throw new Error("docs/pipeline.md: no bootstrap variable table");
    const columns = header.split("|").map((c) => c.trim());
    const freeColumn = columns.findIndex((c) => /^Free: protected$/.test(c));
    const premiumColumn = columns.findIndex((c) => /^Premium\/Ultimate: environment scope, not protected$/.test(c));
    if (freeColumn < 0 || premiumColumn < 0) throw new Error(`docs/pipeline.md: unexpected columns ${header}`);
    return section.split("\n").filter((line) => /^\|\s*`[A-Z_]+`/.test(line)).map((line) => {
        const cells = line.split("|").map((c) => c.trim());
        const key = /`([A-Z_]+)`/.exec(cells[1])![1];
        if (tier === "free") return { key, protected: cells[freeColumn] === "yes", guarded: true };
        const environments = [...cells[premiumColumn].matchAll(/`([a-z]+)`/g)].map((m) => m[1]);
        return { key, protected: false, environments: environments.length ? environments : undefined, guarded: true };
    });
}

/**
 * Settings of the variables the components provision (their own table). Guarded: the secret or protected
 * ones; the read-only preview role's ARN is meant for merge requests (its trust admits them).
 */
export function provisionedSettings(): VariableSetting[] {
    return PROVISIONED_VARIABLES.map((spec) => ({
        key: spec.key, protected: spec.protected, guarded: spec.secret || spec.protected,
        environments: spec.scope === "environment" ? [...ENVIRONMENTS] : undefined,
    }));
}

/** A distinct random value per variable and environment, so any leak is attributable. */
export interface PlantedSecret {
    readonly key: string;
    readonly environment: string;
    readonly value: string;
    readonly guarded: boolean;
}

export function plantSecrets(settings: readonly VariableSetting[]): PlantedSecret[] {
    return settings.flatMap((setting) => (setting.environments ?? ["*"]).map((environment) => ({
        key: setting.key, environment, guarded: setting.guarded,
        value: `planted-${setting.key.toLowerCase()}-${crypto.randomBytes(12).toString("hex")}`,
    })));
}

/**
 * gitlab-ci-local's variables file for a pipeline on a protected or unprotected ref: protected variables
 * dropped from unprotected refs (modelled), environment scopes as per-environment values (the interpreter's).
 */
export function variablesFile(settings: readonly VariableSetting[], secrets: readonly PlantedSecret[], refProtected: boolean): string {
    const file: Record<string, unknown> = {};
    for (const setting of settings) {
        if (setting.protected && !refProtected) continue;
        const values = Object.fromEntries(secrets.filter((s) => s.key === setting.key).map((s) => [s.environment, s.value]));
        file[setting.key] = { values };
    }
    return stringify(file);
}

/** Jobs GitLab would refuse to start for this user (modelled): a protected environment they may not deploy to. */
export function refusedJobs(jobEnvironments: Readonly<Record<string, string | undefined>>, tier: Tier, userMayDeploy: boolean): string[] {
    if (tier === "free" || userMayDeploy) return []; // Free has no protected environments
    return Object.entries(jobEnvironments)
        .filter(([, environment]) => environment !== undefined && (ENVIRONMENTS as readonly string[]).includes(environment))
        .map(([job]) => job);
}
