// Pure validation of the program's configuration. Nothing here reads Pulumi state or creates a
// resource: `validateConfig` takes the raw strings a stack's config holds and returns either a
// typed configuration or ONE error that names every bad key and what it accepts.

import { DELIVERY_KEYS, DeliveryConfig, validateDelivery } from "./delivery";
import { TLS_KEYS, TlsConfig, validateTls } from "./tls";
import { isArmInstanceType, isInstanceType, isWorldCidr, parseCidr } from "../checks";

// Re-exported: callers and tests that read config rules keep one import; the rules live in components/checks.
export { isArmInstanceType, isInstanceType, isWorldCidr, parseCidr };

export const PROJECT = "gitlab-docker-delivery";

export type Environment = "local" | "staging" | "production";
export const ENVIRONMENTS: readonly Environment[] = ["local", "staging", "production"];

/** The stack each environment is normally deployed from; other stack names must set `environment`. */
export const STACK_ENVIRONMENTS: Readonly<Record<string, Environment>> = {
    local: "local",
    staging: "staging",
    prod: "production",
    production: "production",
};

/** Instance types production may use (advisory for staging, enforced for production). */
export const ALLOWED_INSTANCE_TYPES: Readonly<Record<"staging" | "production", readonly string[]>> = {
    staging: ["t3.micro", "t3.small", "t3.medium", "t3a.small", "t3a.medium", "t4g.small", "t4g.medium"],
    production: ["t3.medium", "t3.large", "t3a.medium", "t3a.large", "m6i.large", "m7i.large", "t4g.medium", "t4g.large", "m7g.large"],
};

export const ALLOWED_PLATFORMS = ["linux/amd64", "linux/arm64"] as const;
export type Platform = (typeof ALLOWED_PLATFORMS)[number];

/** Base images handed to the Dockerfile (build args) and to Compose (image variables). */
export interface BaseImages {
    /** Node + npm, for the deps/build stages (`BUILD_IMAGE`). */
    readonly build?: string;
    /** Node only, for the runtime stage (`RUNTIME_IMAGE`). */
    readonly runtime?: string;
    /** PostgreSQL (`POSTGRES_IMAGE`). */
    readonly postgres?: string;
    /** nginx (`NGINX_IMAGE`). */
    readonly nginx?: string;
    /** The ACME client with TLS on, certbot (`ACME_IMAGE`). */
    readonly acme?: string;
}

/** Raw config of one stack: key (without the project prefix) → the string Pulumi holds. */
export type RawConfig = Readonly<Record<string, string | undefined>>;

export interface ValidateOptions {
    /** Keys that were stored with `--secret` (without the project prefix). */
    readonly secretKeys?: ReadonlySet<string>;
    /** Used to check `buildCaFile`; injected so that validation stays pure. */
    readonly fileExists?: (path: string) => boolean;
    /** Values the CI job provides when config leaves them unset (`CI_COMMIT_SHA`, `CI_REGISTRY_USER`, ...). */
    readonly env?: Readonly<Record<string, string | undefined>>;
    /** Default for `appVersion` (app/package.json). */
    readonly defaultAppVersion?: string;
    /** Default for `stateDir` of the local stack. */
    readonly defaultStateDir?: string;
    /** Pulumi organization, for the default stack references. */
    readonly organization?: string;
}

interface CommonConfig {
    readonly stack: string;
    readonly appVersion: string;
    /** Full or short git sha the image is built from; empty on the local stack when unknown. */
    readonly gitCommit: string;
    readonly baseImages: BaseImages;
    /** CA bundle passed to the build as a BuildKit secret (`id=ca`); never a layer or build arg. */
    readonly buildCaFile?: string;
}

export interface LocalConfig extends CommonConfig {
    readonly environment: "local";
    /** A personal sandbox GitLab project; only when `gitlabToken` is set on the stack. */
    readonly gitlab?: SandboxGitLabConfig;
    readonly httpPort: number;
    /** HTTPS on 127.0.0.1 with a certificate from a CA made on this machine; undefined: HTTP only. */
    readonly httpsPort?: number;
    /** Compose project name, so two local stacks (a test's and yours) never share containers. */
    readonly composeProject: string;
    readonly stateDir: string;
    /** Optional fixed database password (plain here, wrapped as a secret by the loader). */
    readonly dbPassword?: string;
}

/** A machine you already have, reached over SSH (the `hosts` host source). */
export interface SshHostConfig {
    readonly address: string;
    readonly port: number;
    readonly user: string;
    /** The host's public key (`ssh-ed25519 AAAA...`), from its known_hosts line: the deploy verifies it. */
    readonly hostKey: string;
}

export interface HostConfig {
    /** Set: deploy to these machines over SSH and provision none (the EC2 keys below are not used). */
    readonly hosts?: readonly SshHostConfig[];
    readonly instanceType: string;
    readonly rootVolumeSizeGb: number;
    readonly sshIngressCidrs: readonly string[];
    readonly sshPublicKey: string;
    readonly sshPrivateKey: string;
    /** Address the deploy commands dial: the Elastic IP, or the private IP from inside the VPC (runner). */
    readonly sshConnectVia: "public" | "private";
    readonly subnetId?: string;
}

export interface GitLabConfig {
    readonly baseUrl: string;
    readonly token: string;
}

/** The local stack's optional sandbox project: the provider settings plus where the project goes. */
export interface SandboxGitLabConfig extends GitLabConfig {
    /** Display name; its GitLab path is the same name. */
    readonly projectName: string;
    /** Group to create it in; the token owner's personal namespace when unset. */
    readonly namespaceId?: number;
}

/** Default name of the local stack's sandbox project. */
export const DEFAULT_SANDBOX_PROJECT_NAME = `${PROJECT}-sandbox`;

/** Default GitLab API of every stack that talks to GitLab. */
export const DEFAULT_GITLAB_BASE_URL = "https://gitlab.com/api/v4";

interface RemoteCommon extends CommonConfig {
    readonly host: HostConfig;
    readonly gitlab: GitLabConfig;
    /** Registry repository without tag, e.g. registry.gitlab.com/acme/gitlab-docker-delivery. */
    readonly imageRepository: string;
    readonly platforms: readonly Platform[];
    readonly registryUsername: string;
    readonly registryPassword: string;
    /** HTTPS with an ACME certificate (components/config/tls.ts); undefined: plain HTTP. */
    readonly tls?: TlsConfig;
}

export interface StagingConfig extends RemoteCommon {
    readonly environment: "staging";
    /** Set whenever staging provisions its EC2 host; unset with `hosts`, where staging creates nothing on AWS. */
    readonly awsRegion?: string;
    /** Stack that owns the project-level GitLab resources (read through a StackReference). */
    readonly projectStack: string;
}

export interface ProductionConfig extends RemoteCommon {
    readonly environment: "production";
    /** Always set: the runners and the CI roles live on AWS, also when `hosts` replaces the EC2 host. */
    readonly awsRegion: string;
    /** GitLab tier, approvals, CI roles, runner AMI (components/config/delivery.ts). */
    readonly delivery: DeliveryConfig;
    readonly dataVolumeSizeGb: number;
    /** `protect: true` on the instance and the database volume. Turning it off is deliberate. */
    readonly protectData: boolean;
    /** Explicit digest to deploy; otherwise the staging stack's `imageRef`. */
    readonly imageRef?: string;
    readonly stagingStack: string;
    /** First `up` before any image exists: GitLab resources only, no hosts. */
    readonly bootstrap: boolean;
    readonly gitlabNamespaceId?: number;
    readonly productionApprovals: number;
    readonly runnerInstanceType: string;
}

export type ProgramConfig = LocalConfig | StagingConfig | ProductionConfig;

export class ConfigError extends Error {
    constructor(
        readonly stack: string,
        readonly problems: readonly string[],
    ) {
        super(
            `Invalid configuration for stack "${stack}" (${problems.length} problem${problems.length === 1 ? "" : "s"}); ` +
                `nothing was created. Fix with \`pulumi config set [--secret] ${PROJECT}:<key> <value> -s ${stack}\`:\n` +
                problems.map((p) => `  - ${p}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

const key = (k: string) => `${PROJECT}:${k}`;

// --- small pure checks, exported for the policy pack and tests -----------------------------------

/**
 * Checks an image reference: it needs a tag or a digest, and `latest` (or no tag) is refused because
 * it is mutable. With `requireDigest` only `repo@sha256:<64 hex>` (optionally with a tag) passes.
 * Returns a problem description, or undefined when fine.
 */
export function imageRefProblem(ref: string, requireDigest = false): string | undefined {
    const digestMatch = /^(.+)@sha256:([0-9a-f]{64})$/.exec(ref);
    const withoutDigest = digestMatch ? digestMatch[1] : ref;
    if (!/^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?$/.test(withoutDigest)) {
        return "is not a valid image reference (expected host/path:tag or host/path@sha256:<64 hex>)";
    }
    const lastSegment = withoutDigest.split("/").pop() ?? "";
    const tag = lastSegment.includes(":") ? lastSegment.split(":").pop() : undefined;
    if (requireDigest && !digestMatch) return "must be pinned by digest (repo@sha256:<64 hex>) so that production runs exactly what staging tested";
    if (tag === "latest") return "uses the mutable tag `latest`; pin a digest (repo@sha256:...) or an immutable sha tag";
    if (!digestMatch && tag === undefined) return "has neither tag nor digest; pin a digest (repo@sha256:...) or an immutable sha tag";
    return undefined;
}


/** Maps a stack name to its environment (or undefined for unknown stacks). */
export function environmentForStack(stack: string): Environment | undefined {
    return STACK_ENVIRONMENTS[stack];
}

// --- the validator --------------------------------------------------------------------------------

/** Collects problems while reading typed values out of the raw config. */
export class Reader {
    readonly problems: string[] = [];

    constructor(
        private readonly raw: RawConfig,
        private readonly secretKeys: ReadonlySet<string>,
    ) {}

    problem(k: string, message: string): void {
        this.problems.push(`${key(k)} ${message}`);
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
            if (required) this.problem(k, `is required: ${what}; set it with \`pulumi config set --secret ${key(k)} ...\``);
            return undefined;
        }
        if (!this.secretKeys.has(k)) this.problem(k, `holds a secret but is stored in plain text; set it again with \`pulumi config set --secret ${key(k)} ...\``);
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
            this.problem(k, `must be a list of strings (set it with \`pulumi config set --path '${key(k)}[0]' ...\`)`);
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

/** Local keys that only matter with a sandbox GitLab project, i.e. when `gitlabToken` is set. */
const SANDBOX_KEYS = ["gitlabToken", "gitlabBaseUrl", "gitlabProjectName", "gitlabNamespaceId"];

/** Keys each environment reads; anything else set under the project namespace is rejected as a typo. */
const COMMON_KEYS = ["environment", "appVersion", "gitCommit", "baseImages", "buildCaFile"];
const REMOTE_KEYS = [
    ...COMMON_KEYS,
    "gitlabBaseUrl",
    "gitlabToken",
    "imageRepository",
    "platforms",
    "registryUsername",
    "registryPassword",
    "instanceType",
    "rootVolumeSizeGb",
    "sshIngressCidrs",
    "sshPublicKey",
    "sshPrivateKey",
    "sshConnectVia",
    "subnetId",
    "hosts",
    ...TLS_KEYS,
];
export const KNOWN_KEYS: Readonly<Record<Environment, readonly string[]>> = {
    local: [...COMMON_KEYS, "httpPort", "httpsPort", "composeProject", "stateDir", "dbPassword", ...SANDBOX_KEYS],
    staging: [...REMOTE_KEYS, "projectStack"],
    production: [
        ...REMOTE_KEYS,
        "dataVolumeSizeGb",
        "protectData",
        "imageRef",
        "stagingStack",
        "bootstrap",
        "gitlabNamespaceId",
        "productionApprovals",
        "runnerInstanceType",
        ...DELIVERY_KEYS,
    ],
};

/** Keys whose values are secrets and must be stored with `--secret`. */
export const SECRET_KEYS: readonly string[] = ["gitlabToken", "registryPassword", "sshPrivateKey", "dbPassword"];

/**
 * Environment variables that stand in for unset `baseImages` entries: they let an offline or mirrored machine
 * point every stack at its own images without editing the committed stack file.
 */
export const BASE_IMAGE_ENV: Readonly<Record<keyof BaseImages, string>> = {
    build: "BUILD_IMAGE",
    runtime: "RUNTIME_IMAGE",
    postgres: "POSTGRES_IMAGE",
    nginx: "NGINX_IMAGE",
    acme: "ACME_IMAGE",
};

function validateBaseImages(r: Reader, env: Readonly<Record<string, string | undefined>>): BaseImages {
    const images: Record<string, string> = { ...r.object("baseImages", ["build", "runtime", "postgres", "nginx", "acme"]) };
    for (const [name, variable] of Object.entries(BASE_IMAGE_ENV)) {
        const fromEnv = env[variable];
        if (images[name] === undefined && fromEnv) images[name] = fromEnv;
    }
    for (const [name, ref] of Object.entries(images)) {
        const problem = imageRefProblem(ref);
        if (problem) r.problem(`baseImages.${name}`, `"${ref}" ${problem}`);
    }
    return images;
}

function validateCommon(stack: string, r: Reader, opts: ValidateOptions): CommonConfig {
    const env = opts.env ?? {};
    const gitCommit = r.string("gitCommit") ?? env.CI_COMMIT_SHA ?? "";
    if (gitCommit !== "" && !/^[0-9a-f]{7,40}$/.test(gitCommit)) {
        r.problem("gitCommit", `must be a git sha of 7 to 40 lowercase hex characters (got "${gitCommit}")`);
    }
    const appVersion = r.string("appVersion") ?? opts.defaultAppVersion ?? "0.0.0";
    if (!/^[0-9A-Za-z][0-9A-Za-z.+-]{0,63}$/.test(appVersion)) r.problem("appVersion", `must be a version such as 1.2.3 (got "${appVersion}")`);
    const buildCaFile = r.string("buildCaFile") ?? (env.BUILD_CA_FILE || undefined);
    if (buildCaFile !== undefined && opts.fileExists && !opts.fileExists(buildCaFile)) {
        r.problem("buildCaFile", `points to "${buildCaFile}", which does not exist or is not readable; give the path of a PEM CA bundle or unset it`);
    }
    return { stack, appVersion, gitCommit, baseImages: validateBaseImages(r, env), buildCaFile };
}

/** `gitlabBaseUrl`, the same rule on every stack. */
function validateGitlabBaseUrl(r: Reader): string {
    const baseUrl = r.string("gitlabBaseUrl") ?? DEFAULT_GITLAB_BASE_URL;
    if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(baseUrl)) r.problem("gitlabBaseUrl", `must be an https URL of the GitLab API (got "${baseUrl}")`);
    return baseUrl;
}

/** `gitlabNamespaceId`: a positive whole number when set. */
function validateGitlabNamespaceId(r: Reader): number | undefined {
    const namespace = r.string("gitlabNamespaceId");
    if (namespace === undefined) return undefined;
    const id = Number(namespace);
    if (!Number.isInteger(id) || id <= 0) {
        r.problem("gitlabNamespaceId", `must be the numeric id of the GitLab group (got "${namespace}")`);
        return undefined;
    }
    return id;
}

/**
 * Checks a GitLab project name that doubles as its URL path: GitLab paths take letters, digits, `_`, `.` and `-`,
 * start and end with a letter or digit, and may not end in `.git` or `.atom`. Returns a problem, or undefined.
 */
export function gitlabProjectNameProblem(name: string): string | undefined {
    if (name.length > 255 || !/^[a-zA-Z0-9]([a-zA-Z0-9_.-]*[a-zA-Z0-9])?$/.test(name) || /\.(git|atom)$/.test(name)) {
        return `"${name}" is not a GitLab project path: 1 to 255 letters, digits, "_", "." and "-", starting and ending with a letter or digit, not ending in .git or .atom`;
    }
    return undefined;
}

/**
 * The local stack's sandbox project: present only when `gitlabToken` is set (in config, as a secret: an exported
 * GITLAB_TOKEN must not make `npm run local:up` start creating GitLab projects). Its other keys without a token
 * would silently do nothing, so they are refused.
 */
function validateSandbox(r: Reader): SandboxGitLabConfig | undefined {
    const token = r.secret("gitlabToken", "", false);
    if (token === undefined) {
        for (const k of SANDBOX_KEYS) {
            if (k !== "gitlabToken" && r.string(k) !== undefined) {
                r.problem(k, `is only used when gitlabToken is set (the local stack's sandbox GitLab project); set \`pulumi config set --secret ${key("gitlabToken")} ...\` or remove it with \`pulumi config rm ${key(k)}\``);
            }
        }
        return undefined;
    }
    const projectName = r.string("gitlabProjectName") ?? DEFAULT_SANDBOX_PROJECT_NAME;
    const nameProblem = gitlabProjectNameProblem(projectName);
    if (nameProblem) r.problem("gitlabProjectName", nameProblem);
    return { baseUrl: validateGitlabBaseUrl(r), token, projectName, namespaceId: validateGitlabNamespaceId(r) };
}

/** Keys that configure the EC2 host; with `hosts` set nothing reads them, so setting them is a mistake. */
const EC2_HOST_KEYS = ["instanceType", "rootVolumeSizeGb", "sshIngressCidrs", "sshConnectVia", "subnetId", "dataVolumeSizeGb"];

/**
 * `hosts`: a list of `{address, port, user, knownHost}`, where `knownHost` is the host's known_hosts line
 * (`ssh-keyscan -p PORT ADDRESS`), so the deploy verifies whom it talks to. Undefined when unset.
 */
function validateSshHosts(r: Reader): SshHostConfig[] | undefined {
    const text = r.string("hosts");
    if (text === undefined) return undefined;
    const usage = "must be a list of {address, port, user, knownHost} (set with `pulumi config set --path 'hosts[0].address' 192.0.2.10` ...)";
    let parsed: unknown;
    try {
        parsed = JSON.parse(text);
    } catch {
        parsed = undefined;
    }
    if (!Array.isArray(parsed) || parsed.length === 0) {
        r.problem("hosts", usage);
        return undefined;
    }
    for (const k of EC2_HOST_KEYS) if (r.string(k) !== undefined) r.problem(k, "configures the EC2 host, which is not created when hosts is set; remove it");
    const hosts: SshHostConfig[] = [];
    parsed.forEach((entry: unknown, i) => {
        const at = (field: string) => `hosts[${i}].${field}`;
        if (typeof entry !== "object" || entry === null || Array.isArray(entry)) return r.problem(`hosts[${i}]`, usage);
        const e = entry as Record<string, unknown>;
        for (const name of Object.keys(e)) if (!["address", "port", "user", "knownHost"].includes(name)) r.problem(at(name), "is not a known key; allowed: address, port, user, knownHost");
        const address = typeof e.address === "string" ? e.address : "";
        if (!/^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$|^[0-9a-fA-F:]+$/.test(address)) r.problem(at("address"), `must be a host name or IP address (got ${JSON.stringify(e.address)})`);
        const port = e.port === undefined ? 22 : Number(e.port);
        if (!Number.isInteger(port) || port < 1 || port > 65535) r.problem(at("port"), `must be a port number (got ${JSON.stringify(e.port)})`);
        const user = typeof e.user === "string" ? e.user : "";
        if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(user)) r.problem(at("user"), `must be the Unix user to log in as (got ${JSON.stringify(e.user)})`);
        const known = typeof e.knownHost === "string" ? e.knownHost.trim().split(/\s+/) : [];
        const names = (known[0] ?? "").split(",");
        const expected = port === 22 ? address : `[${address}]:${port}`;
        if (known.length < 3 || !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/.test(known[1]) || !/^[A-Za-z0-9+/]+=*$/.test(known[2])) {
            r.problem(at("knownHost"), `must be the host's known_hosts line, e.g. the output of \`ssh-keyscan -p ${port} ${address}\``);
        } else if (!names.includes(expected)) {
            r.problem(at("knownHost"), `names ${known[0]}, not ${expected}: it is another host's key`);
        }
        if (hosts.some((h) => h.address === address && h.port === port)) r.problem(at("address"), `${expected} is listed twice`);
        hosts.push({ address, port, user, hostKey: `${known[1]} ${known[2]}` });
    });
    return hosts;
}

/** The `hosts` value alone (what a program that deploys only to hosts reads); throws one ConfigError. */
export function sshHostsFromConfig(stack: string, text: string): SshHostConfig[] {
    const r = new Reader({ hosts: text }, new Set());
    const hosts = validateSshHosts(r);
    if (r.problems.length > 0 || hosts === undefined) throw new ConfigError(stack, r.problems);
    return hosts;
}

function validateHost(environment: "staging" | "production", r: Reader): HostConfig {
    const instanceType = r.string("instanceType") ?? (environment === "production" ? "t3.medium" : "t3.small");
    if (!isInstanceType(instanceType)) {
        r.problem("instanceType", `"${instanceType}" is not an EC2 instance type (e.g. t3.small)`);
    } else if (environment === "production" && !ALLOWED_INSTANCE_TYPES.production.includes(instanceType)) {
        r.problem("instanceType", `"${instanceType}" is not allowed in production; allowed: ${ALLOWED_INSTANCE_TYPES.production.join(", ")}`);
    }

    const sshIngressCidrs = r.stringList("sshIngressCidrs");
    sshIngressCidrs.forEach((cidr, i) => {
        if (parseCidr(cidr) === undefined) {
            r.problem(`sshIngressCidrs[${i}]`, `"${cidr}" is not a CIDR block (e.g. 203.0.113.4/32 or 2001:db8::/64)`);
        } else if (isWorldCidr(cidr)) {
            r.problem(`sshIngressCidrs[${i}]`, `"${cidr}" would open SSH to the whole internet; list your own address ranges (e.g. 203.0.113.4/32) or leave it empty to allow only the runner`);
        }
    });

    const hosts = validateSshHosts(r);
    const sshPublicKey = hosts ? r.string("sshPublicKey") ?? "" : r.required("sshPublicKey", "the OpenSSH public key installed on the hosts (ssh-ed25519 ...)");
    if (sshPublicKey !== "" && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$/.test(sshPublicKey)) {
        r.problem("sshPublicKey", "must be an OpenSSH public key line starting with ssh-ed25519, ssh-rsa or ecdsa-sha2-*");
    }
    const sshPrivateKey = r.secret("sshPrivateKey", "the private key matching sshPublicKey, used by the deploy commands", true) ?? "";
    if (sshPrivateKey !== "" && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(sshPrivateKey)) {
        r.problem("sshPrivateKey", "must be a PEM/OpenSSH private key (-----BEGIN ... PRIVATE KEY-----)");
    }
    const via = r.string("sshConnectVia") ?? (sshIngressCidrs.length > 0 ? "public" : "private");
    if (via !== "public" && via !== "private") r.problem("sshConnectVia", `must be "public" or "private" (got "${via}")`);

    const subnetId = r.string("subnetId");
    if (subnetId !== undefined && !/^subnet-[0-9a-f]{8,17}$/.test(subnetId)) r.problem("subnetId", `"${subnetId}" is not a subnet id (subnet-...)`);

    return {
        hosts,
        instanceType,
        rootVolumeSizeGb: r.integer("rootVolumeSizeGb", 20, 8, 500),
        sshIngressCidrs,
        sshPublicKey,
        sshPrivateKey,
        sshConnectVia: via === "public" ? "public" : "private",
        subnetId,
    };
}

/** `aws:region` (or `AWS_REGION`), for a stack that creates AWS resources; `purpose` says which ones. */
function validateAwsRegion(r: Reader, raw: RawConfig, env: Readonly<Record<string, string | undefined>>, purpose: string): string {
    const awsRegion = raw["aws:region"] ?? env.AWS_REGION ?? "";
    if (awsRegion === "") r.problems.push(`aws:region is required: ${purpose} (pulumi config set aws:region eu-central-1)`);
    else if (!/^[a-z]{2}(-gov)?-[a-z]+-\d$/.test(awsRegion)) r.problems.push(`aws:region "${awsRegion}" is not an AWS region (e.g. eu-central-1)`);
    return awsRegion;
}

/** What needs AWS on each remote stack, as the aws:region problem tells it. */
const EC2_HOST_REGION = "the AWS region of the hosts";
const PROD_HOSTS_REGION = "prod creates its two GitLab runners on AWS (and the CI roles, unless you bring your own), also when hosts is set";

function validateRemote(environment: "staging" | "production", stack: string, r: Reader, opts: ValidateOptions): RemoteCommon {
    const env = opts.env ?? {};
    const common = validateCommon(stack, r, opts);

    const imageRepository = r.required("imageRepository", "the registry repository images are pushed to, e.g. registry.gitlab.com/acme/gitlab-docker-delivery");
    if (imageRepository !== "" && (!/^[a-z0-9.-]+(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)+$/.test(imageRepository))) {
        r.problem("imageRepository", `"${imageRepository}" must be registry-host/path without tag or digest`);
    }

    const platformsRaw = r.stringList("platforms");
    const platforms = (platformsRaw.length > 0 ? platformsRaw : ["linux/amd64"]) as Platform[];
    platforms.forEach((p, i) => {
        if (!(ALLOWED_PLATFORMS as readonly string[]).includes(p)) r.problem(`platforms[${i}]`, `"${p}" is not supported; allowed: ${ALLOWED_PLATFORMS.join(", ")}`);
    });

    const host = validateHost(environment, r);
    // Only the EC2 host has a known architecture; the machines of `hosts` may run either.
    const neededPlatform: Platform = isArmInstanceType(host.instanceType) ? "linux/arm64" : "linux/amd64";
    if (host.hosts === undefined && !platforms.includes(neededPlatform)) {
        r.problem("platforms", `must include ${neededPlatform} because instanceType ${host.instanceType} runs ${neededPlatform} (set platforms to ["${neededPlatform}"])`);
    }

    const registryUsername = r.string("registryUsername") ?? env.CI_REGISTRY_USER ?? "";
    if (registryUsername === "") r.problem("registryUsername", "is required: a registry user allowed to push and read images (in CI: CI_REGISTRY_USER)");
    const registryPassword =
        r.secret("registryPassword", "the registry password or token (in CI: CI_REGISTRY_PASSWORD)", env.CI_REGISTRY_PASSWORD === undefined) ??
        env.CI_REGISTRY_PASSWORD ??
        "";

    const gitlabBaseUrl = validateGitlabBaseUrl(r);
    const gitlabToken = r.secret("gitlabToken", "a GitLab access token with api scope", env.GITLAB_TOKEN === undefined) ?? env.GITLAB_TOKEN ?? "";

    // Only staging builds. Prod never does (its bootstrap deploys nothing, and it promotes staging's digest, tagged
    // production-<gitCommit> when known, else production-<digest>), so it needs no commit.
    if (environment === "staging" && common.gitCommit === "") {
        r.problem("gitCommit", "is required on staging (or CI_COMMIT_SHA in CI): the image it builds is tagged with it");
    }

    return {
        ...common,
        host,
        gitlab: { baseUrl: gitlabBaseUrl, token: gitlabToken },
        imageRepository,
        platforms,
        registryUsername,
        registryPassword,
        tls: validateTls(r, host.hosts === undefined),
    };
}

function stackPath(opts: ValidateOptions, stack: string): string {
    return `${opts.organization ?? "organization"}/${PROJECT}/${stack}`;
}

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

    let config: ProgramConfig;
    if (environment === "local") {
        const common = validateCommon(stack, r, opts);
        config = {
            ...common,
            environment,
            httpPort: r.integer("httpPort", 8080, 1024, 65535),
            httpsPort: r.string("httpsPort") === undefined ? undefined : r.integer("httpsPort", 8443, 1024, 65535),
            composeProject: r.string("composeProject") ?? "gitlab-docker-delivery-local",
            stateDir: r.string("stateDir") ?? opts.defaultStateDir ?? `.pulumi-local/${stack}`,
            dbPassword: r.secret("dbPassword", "", false),
            gitlab: validateSandbox(r),
        };
        if (!/^[a-z0-9][a-z0-9_-]{0,62}$/.test(config.composeProject)) {
            r.problem("composeProject", `must be a Compose project name: lowercase letters, digits, "-" and "_", starting with a letter or digit (got "${config.composeProject}")`);
        }
        if (config.httpsPort !== undefined && config.httpsPort === config.httpPort) r.problem("httpsPort", `is the same port as httpPort (${config.httpPort}); pick another, e.g. 8443`);
        if (config.dbPassword !== undefined && config.dbPassword.length < 16) r.problem("dbPassword", "must be at least 16 characters (or unset it to generate one)");
    } else if (environment === "staging") {
        const remote = validateRemote(environment, stack, r, opts);
        config = {
            ...remote,
            environment,
            // Staging with `hosts` creates nothing on AWS: aws:region is not read (the committed stack file's is ignored).
            awsRegion: remote.host.hosts === undefined ? validateAwsRegion(r, raw, opts.env ?? {}, EC2_HOST_REGION) : undefined,
            projectStack: r.string("projectStack") ?? stackPath(opts, "prod"),
        };
    } else {
        const remote = validateRemote(environment, stack, r, opts);
        const awsRegion = validateAwsRegion(r, raw, opts.env ?? {}, remote.host.hosts === undefined ? EC2_HOST_REGION : PROD_HOSTS_REGION);
        const imageRef = r.string("imageRef");
        if (imageRef !== undefined) {
            const problem = imageRefProblem(imageRef, true);
            if (problem) r.problem("imageRef", `"${imageRef}" ${problem}`);
            else if (!imageRef.startsWith(`${remote.imageRepository}@`) && !imageRef.startsWith(`${remote.imageRepository}:`)) {
                r.problem("imageRef", `must be an image of imageRepository ${remote.imageRepository}`);
            }
        }
        const gitlabNamespaceId = validateGitlabNamespaceId(r);
        const productionApprovals = r.integer("productionApprovals", 1, 1, 10);
        const delivery = validateDelivery(r, productionApprovals, r.string("productionApprovals") !== undefined, gitlabNamespaceId);
        const runnerInstanceType = r.string("runnerInstanceType") ?? "t3.small";
        if (!isInstanceType(runnerInstanceType)) r.problem("runnerInstanceType", `"${runnerInstanceType}" is not an EC2 instance type`);
        config = {
            ...remote,
            environment,
            awsRegion,
            dataVolumeSizeGb: r.integer("dataVolumeSizeGb", 20, 1, 16384),
            protectData: r.boolean("protectData", true),
            imageRef,
            stagingStack: r.string("stagingStack") ?? stackPath(opts, "staging"),
            bootstrap: r.boolean("bootstrap", false),
            gitlabNamespaceId,
            productionApprovals,
            runnerInstanceType,
            delivery,
        };
    }
    if (r.problems.length > 0) throw new ConfigError(stack, r.problems);
    return config;
}
