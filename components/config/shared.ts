// Checks that more than one environment makes: image references, the common keys every stack reads (version,
// commit, base images, build CA), and the GitLab API and namespace of the stacks that talk to GitLab.
import { DEFAULT_GITLAB_BASE_URL } from "./keys";
import type { Reader } from "./reader";
import type { BaseImages, CommonConfig, ValidateOptions } from "./types";

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

export function validateBaseImages(r: Reader, env: Readonly<Record<string, string | undefined>>): BaseImages {
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

export function validateCommon(stack: string, r: Reader, opts: ValidateOptions): CommonConfig {
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
export function validateGitlabBaseUrl(r: Reader): string {
    const baseUrl = r.string("gitlabBaseUrl") ?? DEFAULT_GITLAB_BASE_URL;
    if (!/^https:\/\/[^\s/]+(\/\S*)?$/.test(baseUrl)) r.problem("gitlabBaseUrl", `must be an https URL of the GitLab API (got "${baseUrl}")`);
    return baseUrl;
}

/** `gitlabNamespaceId`: a positive whole number when set. */
export function validateGitlabNamespaceId(r: Reader): number | undefined {
    const namespace = r.string("gitlabNamespaceId");
    if (namespace === undefined) return undefined;
    const id = Number(namespace);
    if (!Number.isInteger(id) || id <= 0) {
        r.problem("gitlabNamespaceId", `must be the numeric id of the GitLab group (got "${namespace}")`);
        return undefined;
    }
    return id;
}
