import { PolicyResource, isSecretWrapped, isUnknown } from "./resource";

/** Literal shapes of credentials; each match in a plain resource input is a leaked secret. */
export const SECRET_PATTERNS: ReadonlyArray<{ readonly name: string; readonly pattern: RegExp }> = [
    { name: "GitLab token", pattern: /\bgl(?:pat|rt|dt|ptt|ft|cbt|oas|soat|imt|agent)-[0-9A-Za-z_.-]{16,}/ },
    { name: "AWS access key id", pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
    { name: "private key", pattern: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/ },
    { name: "credential assignment", pattern: /\b[A-Za-z0-9_.-]*(?:password|passwd|secret|token|api[_-]?key)["']?\s*[=:]\s*["']?([^\s"'&;,}]+)/gi },
    { name: "password in URL", pattern: /\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:([^\s/@]+)@/gi },
];

/**
 * Key names that say the value next to them is a credential: the name ends in the credential word
 * (`DB_PASSWORD`, `gitlabToken`, `SSH_PRIVATE_KEY`), so `POSTGRES_PASSWORD_FILE` or `AWS_ACCESS_KEY_ID` do not count.
 */
export const SECRET_NAME = /(?:password|passwd|passphrase|secret|token|private[_-]?key|ssh[_-]?key|api[_-]?key|access[_-]?key)$/i;

/** `$VAR`, `${VAR}`, `{{ var }}`, `<placeholder>`: references to a secret, not the secret itself. */
function isReference(value: string): boolean {
    return /^(?:\$|%|\{\{|<|\()/.test(value) || value.length < 4 || isUnknown(value);
}

/** The names of the secret patterns a string matches (references such as `password=$DB_PASSWORD` excluded). */
export function secretLiteralKinds(text: string): string[] {
    const kinds: string[] = [];
    for (const { name, pattern } of SECRET_PATTERNS) {
        if (!pattern.global) {
            if (pattern.test(text)) kinds.push(name);
            continue;
        }
        pattern.lastIndex = 0;
        for (const match of text.matchAll(pattern)) {
            if (!isReference(match[1] ?? "")) {
                kinds.push(name);
                break;
            }
        }
    }
    return kinds;
}

/**
 * Inputs the provider schema itself keeps secret in state, so credentials belong there. Everything else
 * must be secret-wrapped and named in `additionalSecretOutputs` to carry a credential.
 */
export const SCHEMA_SECRET_INPUTS: Readonly<Record<string, readonly string[]>> = {
    "pulumi:providers:gitlab": ["token", "clientKey"],
    "pulumi:providers:aws": ["accessKey", "secretKey", "token"],
    "pulumi:providers:docker": ["registryAuth"],
    "pulumi:providers:docker-build": ["registries"],
    "aws:ssm/parameter:Parameter": ["value"],
    "command:remote:Command": ["connection"],
    "command:remote:CopyToRemote": ["connection"],
    "command:remote:CopyFile": ["connection"],
    "docker-build:index:Image": ["registries", "secrets"],
    "docker-build:index:Index": ["registry"],
    "docker:index/image:Image": ["registry"],
    "docker:index/registryImage:RegistryImage": [],
    "gitlab:index/project:Project": ["importUrlPassword"],
    "gitlab:index/projectHook:ProjectHook": ["token", "signingToken"],
};

function allowedSecretProperties(resource: PolicyResource): Set<string> {
    return new Set([
        ...(SCHEMA_SECRET_INPUTS[resource.type] ?? []),
        ...(resource.options?.additionalSecretOutputs ?? []),
    ]);
}

function visit(value: unknown, path: string, found: string[]): void {
    if (isSecretWrapped(value)) return; // mocks-only view: the engine encrypts this value
    if (typeof value === "string") {
        const kinds = secretLiteralKinds(value);
        if (kinds.length > 0) found.push(`${path} holds what looks like a ${kinds.join(" and a ")}`);
        return;
    }
    if (Array.isArray(value)) {
        value.forEach((item, index) => visit(item, `${path}[${index}]`, found));
        return;
    }
    if (typeof value === "object" && value !== null) {
        for (const [key, inner] of Object.entries(value)) {
            const innerPath = `${path}.${key}`;
            if (typeof inner === "string" && SECRET_NAME.test(key) && !isReference(inner)) {
                found.push(`${innerPath} is a literal value under a secret-looking key`);
                continue;
            }
            visit(inner, innerPath, found);
        }
    }
}

/**
 * Mandatory: no secret-looking literal in any resource input. Credentials may only sit in inputs the
 * provider keeps secret (schema secret inputs, or properties named in `additionalSecretOutputs`).
 */
export function checkNoSecretLiterals(resource: PolicyResource): string[] {
    const allowed = allowedSecretProperties(resource);
    const found: string[] = [];
    for (const [key, value] of Object.entries(resource.props)) {
        if (allowed.has(key)) continue;
        if (typeof value === "string" && SECRET_NAME.test(key) && !isReference(value)) {
            found.push(`${key} is a literal value under a secret-looking name`);
            continue;
        }
        visit(value, key, found);
    }
    return found.map((message) => `${message}; pass secrets with pulumi.secret()/config --secret into an input the provider keeps secret (or list it in additionalSecretOutputs), never as plain text`);
}
