/**
 * The plain view of one resource that every guardrail rule judges. The policy pack builds it from
 * `ResourceValidationArgs`; the tests build it from what the Pulumi mocks capture. Keeping the rules
 * over this shape (and not over `@pulumi/policy` types) lets both share exactly the same logic.
 */
export interface PolicyResource {
    /** Pulumi type token, e.g. `aws:ec2/instance:Instance`. */
    readonly type: string;
    /** Logical name. */
    readonly name: string;
    /** `urn:pulumi:<stack>::<project>::<parent types$>type::name`; the stack name is read from it. */
    readonly urn?: string;
    /** Resource inputs, plain JSON. Under mocks secret values may still carry the secret signature. */
    readonly props: Record<string, unknown>;
    readonly options?: {
        readonly protect?: boolean;
        readonly additionalSecretOutputs?: readonly string[];
        readonly parent?: string;
    };
    /** The provider resource this one is managed by (its inputs carry e.g. AWS default tags). */
    readonly provider?: { readonly type: string; readonly props: Record<string, unknown> };
}

/**
 * One resource as a stack policy sees it: `props` are its outputs (with `id` once it exists), and each input
 * names the resources its value was computed from, which is all that links resources while ids are unknown.
 */
export interface StackResource extends PolicyResource {
    /** Input property → URNs of the resources its value came from (the engine's property dependencies). */
    readonly propertyDependencies?: Readonly<Record<string, readonly string[]>>;
}

/** What the engine sends for a string it does not know yet (during preview). */
export const UNKNOWN_VALUE = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/** The sentinels `@pulumi/policy` uses for unknown booleans, numbers, strings, arrays, assets, archives, objects. */
export const UNKNOWN_SENTINELS: readonly string[] = [
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    UNKNOWN_VALUE,
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
];

/** The wire signature of a secret value, as the mock monitor hands inputs to tests. */
export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/**
 * True for a value not known until `pulumi up` (preview only). Rules do not judge unknown values: the pack
 * runs again during `up`, when every input is known.
 */
export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && (UNKNOWN_SENTINELS.includes(value) || value.includes(UNKNOWN_VALUE));
}

/** True when any of the values is unknown (see {@link isUnknown}). */
export function anyUnknown(...values: unknown[]): boolean {
    return values.some(isUnknown);
}

export function isSecretWrapped(value: unknown): value is { value: unknown } {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SIG_KEY] === SECRET_SIG;
}

/**
 * Removes secret signatures, leaving the plaintext in place: this is exactly what a policy pack sees,
 * because `@pulumi/policy` unwraps secrets before calling `validateResource`.
 */
export function unwrapSecrets(value: unknown): unknown {
    if (isSecretWrapped(value)) return unwrapSecrets(value.value);
    if (Array.isArray(value)) return value.map(unwrapSecrets);
    if (typeof value === "object" && value !== null) {
        const out: Record<string, unknown> = {};
        for (const [key, inner] of Object.entries(value)) out[key] = unwrapSecrets(inner);
        return out;
    }
    return value;
}

/** The stack a resource belongs to, from its URN (`urn:pulumi:<stack>::...`), or undefined. */
export function stackOf(resource: PolicyResource): string | undefined {
    const match = /^urn:pulumi:([^:]+)::/.exec(resource.urn ?? "");
    return match ? match[1] : undefined;
}

/** The component types above this resource, from the URN's qualified type (`a$b$type`). */
export function ancestorTypes(resource: PolicyResource): string[] {
    const qualified = (resource.urn ?? "").split("::")[2] ?? "";
    const parts = qualified.split("$");
    return parts.slice(0, -1);
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
    return typeof value === "object" && value !== null && !Array.isArray(value)
        ? (value as Record<string, unknown>)
        : undefined;
}

export function asArray(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

export function asString(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

/** The `name` shown in messages: type plus logical name. */
export function label(resource: PolicyResource): string {
    return `${resource.type} "${resource.name}"`;
}

const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/**
 * Base64 text decoded byte for byte (each byte one character: the patterns the rules look for are ASCII), or
 * undefined when it is not base64. Written out because the pack runs without Node's types (policy/tsconfig.json).
 */
export function decodeBase64(text: string): string | undefined {
    const digits = text.replace(/\s+/g, "").replace(/={1,2}$/, "");
    let buffered = 0;
    let bits = 0;
    let decoded = "";
    for (const digit of digits) {
        const value = BASE64_ALPHABET.indexOf(digit);
        if (value < 0) return undefined;
        buffered = ((buffered << 6) | value) & 0xfff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            decoded += String.fromCharCode((buffered >> bits) & 0xff);
        }
    }
    return decoded;
}
