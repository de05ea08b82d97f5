import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";

// Small builders that only return shell text (the Kamal split): the components run them, the tests
// read them. The deploy program's CLI is app/deploy/deploy.sh (see docs/deploy.md).

export type DeployEnvironment = "local" | "staging" | "production";

/** The Compose project on a host: deploy.sh's default for `--project`, so a hand-run deploy.sh finds the stack. */
export function hostComposeProject(environment: DeployEnvironment): string {
    return `gitlab-docker-delivery-${environment}`;
}

/**
 * The deploy folder in the SSH user's home: deploy.sh's default `DEPLOY_HOME` (`$HOME/gitlab-docker-delivery`).
 * Bundles, env files and state live there; `CopyToRemote` needs the absolute path.
 */
export function hostHome(user: string): string {
    if (!/^[a-z_][a-z0-9_-]*$/.test(user)) throw new Error(`SSH user "${user}" must be a plain Unix user name`);
    return `${user === "root" ? "/root" : `/home/${user}`}/gitlab-docker-delivery`;
}

/** Single-quotes a value for POSIX sh and bash, whatever it holds: the one quoting rule of the program. */
export function singleQuoted(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** Quotes a value for POSIX sh, leaving a plain word (paths, image references) bare so commands stay readable. */
export function shellQuote(value: string): string {
    return /^[A-Za-z0-9_@%+=:,./-]+$/.test(value) ? value : singleQuoted(value);
}

export interface DeployTarget {
    /** Folder holding compose.yaml and deploy.sh. */
    readonly bundleDir: string;
    readonly environment: DeployEnvironment;
    /** Env file with the stack's secrets (0600). */
    readonly envFile: string;
    /** Compose project name (`--project`). */
    readonly composeProject: string;
    /** Registry credentials in Compose's env format, when set; deploy.sh reads it as data (REGISTRY_CREDENTIALS_FILE). */
    readonly credentialsFile?: string;
    /**
     * Where deploy.sh keeps its lock and release history (`DEPLOY_STATE_DIR`). Outside the bundle, so that
     * history and lock outlive a new bundle version and the bundle's content (and hash) stay unchanged.
     */
    readonly stateDir?: string;
    /** Names this host in deploy.sh's ERROR lines (`DEPLOY_HOST`), when several hosts deploy at once. */
    readonly hostLabel?: string;
}

/**
 * Values that must roll the deploy out again when they change (image id, bundle hash, host). They are
 * written into the command as a no-op (`: key=value ...`) instead of `triggers`: with the command
 * provider 1.2 a changed trigger REPLACES the resource, running the old one's `down` (measured with the
 * real engine), while a changed command is an in-place update that runs `update`, the gated rollout.
 */
export type Revision = Readonly<Record<string, string>>;

function revisionPrelude(revision: Revision | undefined): string {
    const entries = Object.entries(revision ?? {}).sort(([a], [b]) => a.localeCompare(b));
    if (entries.length === 0) return "";
    for (const [key, value] of entries) {
        if (!/^[a-z][a-z0-9-]*$/.test(key) || !/^[A-Za-z0-9_.:@/+-]*$/.test(value)) throw new Error(`revision ${key}=${value} must be a plain token`);
    }
    return `: revision ${entries.map(([k, v]) => `${k}=${v}`).join(" ")}; `;
}

/** Where the bundle's scripts (deploy.sh, backup.sh) find the stack: `--env`, `--dir`, `--env-file`, `--project`. */
export function bundleTargetArgs(target: DeployTarget): string[] {
    return ["--env", target.environment, "--dir", shellQuote(target.bundleDir), "--env-file", shellQuote(target.envFile), "--project", shellQuote(target.composeProject)];
}

function deployScript(target: DeployTarget, verb: string, extra: string[], revision?: Revision): string {
    const args = ["bash", shellQuote(`${target.bundleDir}/deploy.sh`), verb, ...extra, ...bundleTargetArgs(target)];
    // Credentials stay in a 0600 file, so they never appear in a command line or in state; deploy.sh reads it as
    // data (it is in Compose's env format, so sourcing it would run a password such as abc$(id)).
    const prelude = target.credentialsFile ? `REGISTRY_CREDENTIALS_FILE=${shellQuote(target.credentialsFile)} ` : "";
    const state =
        (target.stateDir ? `DEPLOY_STATE_DIR=${shellQuote(target.stateDir)} ` : "") + (target.hostLabel ? `DEPLOY_HOST=${shellQuote(target.hostLabel)} ` : "");
    return `set -eu; ${revisionPrelude(revision)}${prelude}${state}${args.join(" ")}`;
}

/** `deploy.sh deploy --image REF ...`: the gated rollout of one image. */
export function deployCommand(target: DeployTarget, imageRef: string, revision?: Revision): string {
    return deployScript(target, "deploy", ["--image", shellQuote(imageRef)], revision);
}

/** The phases of a rollout: `deploy` does it all on one host; `prepare` then `switch` split it across several. */
export type RolloutPhase = "deploy" | "prepare" | "switch";

/** `deploy.sh switch --image REF ...`: the second phase, run only once every host's `prepare` passed its gate. */
export function switchCommand(target: DeployTarget, imageRef: string, revision?: Revision): string {
    return deployScript(target, "switch", ["--image", shellQuote(imageRef)], revision);
}

/** Env keys whose change needs db and proxy recreated (deploy.sh leaves running ones as they are). */
export const SETTINGS_KEYS = ["HTTP_BIND", "HTTP_PORT", "POSTGRES_IMAGE", "NGINX_IMAGE", "POSTGRES_USER", "POSTGRES_DB"] as const;
/** The same for HTTPS; counted only when set, so a stack without TLS keeps the fingerprint it had before TLS existed. */
export const TLS_SETTINGS_KEYS = ["HTTPS_PORT", "TLS_DOMAINS", "TLS_ISSUER", "ACME_EMAIL", "ACME_DIRECTORY_URL", "ACME_IMAGE"] as const;

/** Fingerprint of the non-secret settings in an env file's values (never of the password). */
export function settingsFingerprint(env: Readonly<Record<string, string | undefined>>): string {
    const lines = SETTINGS_KEYS.map((k) => `${k}=${env[k] ?? ""}`);
    for (const k of TLS_SETTINGS_KEYS) if (env[k]) lines.push(`${k}=${env[k]}`);
    return fingerprint(lines.join("\n")).slice(0, 16);
}

/**
 * The rollout of `imageRef`, preceded by `down` (volumes kept) when the settings fingerprint differs
 * from the one the last rollout recorded: deploy.sh leaves a running proxy and database as they are, so
 * a new port or base image only takes effect once they are recreated. Records the fingerprint after.
 */
export function rolloutCommand(
    target: DeployTarget & { readonly stateDir: string },
    imageRef: string,
    settings: string,
    revision: Revision = {},
    phase: "deploy" | "prepare" = "deploy",
): string {
    if (!/^[0-9a-f]+$/.test(settings)) throw new Error("settings fingerprint must be hex");
    const recorded = shellQuote(`${target.stateDir}/settings`);
    const withoutPrelude = (command: string) => command.replace(/^set -eu; /, "");
    return [
        `set -eu; ${revisionPrelude({ ...revision, settings })}`,
        `if [ -f ${recorded} ] && [ "$(cat ${recorded})" != ${settings} ]; then `,
        `echo "settings changed: recreating db and proxy, volumes kept"; ${withoutPrelude(downCommand(target, false))}; fi; `,
        `${withoutPrelude(deployScript(target, phase, ["--image", shellQuote(imageRef)]))}; `,
        `mkdir -p ${shellQuote(target.stateDir)}; printf '%s' ${settings} > ${recorded}`,
    ].join("");
}

/** `deploy.sh down ...`: stops the stack; `--volumes` also removes its data. */
export function downCommand(target: DeployTarget, removeVolumes: boolean): string {
    return deployScript(target, "down", removeVolumes ? ["--volumes"] : []);
}

/**
 * Writes stdin to `file` with mode 0600 (umask before the file exists, then an atomic rename), so a
 * secret is never world-readable, not even for a moment, and never part of the command line.
 */
export function writePrivateFileCommand(file: string): string {
    const dir = path.posix.dirname(file);
    const tmp = `${file}.tmp`;
    return `set -eu; umask 077; mkdir -p ${shellQuote(dir)}; cat > ${shellQuote(tmp)}; chmod 600 ${shellQuote(tmp)}; mv -f ${shellQuote(tmp)} ${shellQuote(file)}`;
}

export function removeFileCommand(file: string): string {
    return `rm -f ${shellQuote(file)}`;
}

/** Renders KEY=value lines for Compose's env file. Refuses what Compose would misread. */
export function renderEnvFile(values: Readonly<Record<string, string | undefined>>): string {
    const lines: string[] = [];
    for (const name of Object.keys(values).sort()) {
        const value = values[name];
        if (value === undefined) continue;
        if (!/^[A-Z_][A-Z0-9_]*$/.test(name)) throw new Error(`env file key "${name}" must be UPPER_SNAKE_CASE`);
        if (/[\r\n]/.test(value)) throw new Error(`env file value of ${name} must be a single line`);
        if (/^['"]|\s#|['"]$/.test(value)) throw new Error(`env file value of ${name} must not start or end with quotes or contain " #"`);
        lines.push(`${name}=${value}`);
    }
    return `${lines.join("\n")}\n`;
}

/** Files of the deploy bundle that must never be copied anywhere (local env files with secrets). */
export function secretFilesInBundle(bundleDir: string): string[] {
    const found: string[] = [];
    const walk = (relativeDir: string) => {
        for (const entry of fs.readdirSync(path.join(bundleDir, relativeDir), { withFileTypes: true })) {
            const relative = relativeDir === "" ? entry.name : `${relativeDir}/${entry.name}`;
            if (entry.isDirectory()) walk(relative);
            else if (/(^|\/)\.env($|\.)/.test(relative) && !relative.endsWith(".env.example")) found.push(relative);
            else if (/\.(pem|key)$|(^|\/)id_(rsa|ed25519|ecdsa)$/.test(relative)) found.push(relative);
        }
    };
    walk("");
    return found;
}

/** sha256 of a string, for triggers that must change when a secret changes without revealing it. */
export function fingerprint(value: string): string {
    return crypto.createHash("sha256").update(value).digest("hex");
}
