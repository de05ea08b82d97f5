// Reads typed values out of a stack's raw config and collects every problem on the way, so that validation ends
// in ONE error naming every bad key. Every validator (validate.ts and the per-environment files, delivery.ts,
// tls.ts) reads through it.
import { PULUMI_PROJECT } from "./keys";

/** Raw config of one stack: key (without the project prefix) → the string Pulumi holds. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export class ConfigError extends Error {
    constructor(
        readonly stack: string,
        readonly problems: readonly string[],
    ) {
        super(
            `Invalid configuration for stack "${stack}" (${problems.length} problem${problems.length === 1 ? "" : "s"}); ` +
                `nothing was created. Fix with \`pulumi config set [--secret] ${PULUMI_PROJECT}:<key> <value> -s ${stack}\`:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

/** The full name of a config key, as `pulumi config set` takes it. */
export const configKey = (k: string) => `${PULUMI_PROJECT}:${k}`;

/** Collects problems while reading typed values out of the raw config. */
export class Reader {
    readonly problems: string[] = [];

    constructor(
        private readonly raw: RawConfig,
        private readonly secretKeys: ReadonlySet<string>,
    ) {}

    problem(k: string, message: string): void {
        this.problems.push(`${configKey(k)} ${message}`);
    }

    string(k: string): string | undefined {
        const v = this.raw[k];
        return v === undefined || v.trim() === "" ? undefined : v.trim();
    }

    required(k: string, what: string): string {
        const v = this.string(k);
        if (v === undefined) this.problem(k, `is required: ${what}`);
        return v ?? "";
    }

    /** A secret must be present and must have been stored encrypted (`--secret`). The value is never echoed. */
    secret(k: string, what: string, required: boolean): string | undefined {
        const v = this.raw[k];
        if (v === undefined || v === "") {
            if (required) this.problem(k, `is required: ${what}; set it with \`pulumi config set --secret ${configKey(k)} ...\``);
            return undefined;
        }
        if (!this.secretKeys.has(k)) this.problem(k, `holds a secret but is stored in plain text; set it again with \`pulumi config set --secret ${configKey(k)} ...\``);
        return v;
    }

    integer(k: string, fallback: number, min: number, max: number): number {
        const v = this.string(k);
        if (v === undefined) return fallback;
        const n = Number(v);
        if (!Number.isInteger(n) || n < min || n > max) {
            this.problem(k, `must be a whole number from ${min} to ${max} (got "${v}")`);
            return fallback;
        }
        return n;
    }

    boolean(k: string, fallback: boolean): boolean {
        const v = this.string(k);
        if (v === undefined) return fallback;
        if (v === "true" || v === "false") return v === "true";
        this.problem(k, `must be true or false (got "${v}")`);
        return fallback;
    }

    stringList(k: string): string[] {
        const v = this.string(k);
        if (v === undefined) return [];
        let parsed: unknown;
        try {
            parsed = JSON.parse(v);
        } catch {
            // A single plain value (`pulumi config set sshIngressCidrs 203.0.113.4/32`) is accepted too.
            return v.split(",").map((s) => s.trim()).filter((s) => s !== "");
        }
        if (!Array.isArray(parsed) || parsed.some((x) => typeof x !== "string")) {
            this.problem(k, `must be a list of strings (set it with \`pulumi config set --path '${configKey(k)}[0]' ...\`)`);
            return [];
        }
        return parsed as string[];
    }

    object(k: string, allowedKeys: readonly string[]): Record<string, string> {
        const v = this.string(k);
        if (v === undefined) return {};
        let parsed: unknown;
        try {
            parsed = JSON.parse(v);
        } catch {
            this.problem(k, `must be an object with keys ${allowedKeys.join(", ")}`);
            return {};
        }
        if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
            this.problem(k, `must be an object with keys ${allowedKeys.join(", ")}`);
            return {};
        }
        const result: Record<string, string> = {};
        for (const [name, value] of Object.entries(parsed)) {
            if (!allowedKeys.includes(name)) {
                this.problem(`${k}.${name}`, `is not a known key; allowed: ${allowedKeys.join(", ")}`);
            } else if (typeof value !== "string" || value === "") {
                this.problem(`${k}.${name}`, "must be a non-empty string");
            } else {
                result[name] = value;
            }
        }
        return result;
    }
}
