import { parse } from "yaml";
import { SECRET_KEYS } from "../../components/config/keys";
import { SECRET_NAME, isSecretWrapped, secretLiteralKinds } from "../../policy/rules";
import { resolveOutput } from "../policy/capture";
import { secretNeedles } from "../policy/stacks";

export interface Needle {
    readonly name: string;
    readonly needle: string;
}

export interface Occurrence {
    readonly path: string;
    readonly secret: string;
    /** Whether the occurrence sits inside a value Pulumi keeps secret (encrypted in state, masked in output). */
    readonly wrapped: boolean;
}

/** Every place a needle occurs in `value` (strings, nested objects, arrays, object keys), noting secret wrapping. */
export function occurrences(value: unknown, needles: readonly Needle[], path = "", wrapped = false): Occurrence[] {
    if (isSecretWrapped(value)) return occurrences(value.value, needles, path, true);
    if (typeof value === "string") {
        return needles.filter(({ needle }) => value.includes(needle)).map(({ name }) => ({ path, secret: name, wrapped }));
    }
    if (Array.isArray(value)) return value.flatMap((item, index) => occurrences(item, needles, `${path}[${index}]`, wrapped));
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([key, inner]) => [
            ...occurrences(key, needles, `${path}{key}`, wrapped),
            ...occurrences(inner, needles, path ? `${path}.${key}` : key, wrapped),
        ]);
    }
    return [];
}

/** Stack outputs that contain a secret but are not marked secret: what `pulumi stack output` would print. */
export async function leakingOutputs(exports: Record<string, unknown>, needles: readonly Needle[]): Promise<string[]> {
    const leaks: string[] = [];
    for (const [name, value] of Object.entries(exports)) {
        const resolved = await resolveOutput(value);
        // Secretness is unwrapped here only to look inside; the verdict is about the marker.
        const found = occurrences(resolved.value, needles, name);
        if (found.length > 0 && !resolved.secret) leaks.push(`${name} exposes ${[...new Set(found.map((o) => o.secret))].join(", ")} without being secret`);
    }
    return leaks;
}

/** Captures what is written to stdout and stderr while `work` runs (console, pulumi.log without an engine). */
export async function captureConsole<T>(work: () => Promise<T>): Promise<{ result: T; text: string }> {
    const chunks: string[] = [];
    const originalOut = process.stdout.write.bind(process.stdout);
    const originalErr = process.stderr.write.bind(process.stderr);
    const tap = (original: typeof process.stdout.write) =>
        ((chunk: unknown, ...rest: unknown[]) => {
            chunks.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
            return (original as (...args: unknown[]) => boolean)(chunk, ...rest);
        }) as typeof process.stdout.write;
    process.stdout.write = tap(originalOut);
    process.stderr.write = tap(originalErr);
    try {
        const result = await work();
        return { result, text: chunks.join("") };
    } finally {
        process.stdout.write = originalOut;
        process.stderr.write = originalErr;
    }
}

/** Problems of one stack file's text: plaintext values under secret keys, and secret-looking literals anywhere. */
export function stackFileProblems(text: string): string[] {
    const document = (parse(text) ?? {}) as { config?: Record<string, unknown>; encryptionsalt?: unknown };
    const problems: string[] = [];
    for (const [fullKey, value] of Object.entries(document.config ?? {})) {
        const name = fullKey.split(":").pop() ?? fullKey;
        const isSecure = typeof value === "object" && value !== null && typeof (value as { secure?: unknown }).secure === "string";
        if ((SECRET_KEYS.includes(name) || SECRET_NAME.test(name)) && !isSecure) {
            problems.push(`${fullKey} is a secret and must be set with \`pulumi config set --secret\` (a secure: value)`);
        }
        const walk = (inner: unknown, where: string): void => {
            if (typeof inner === "string") {
                const kinds = secretLiteralKinds(inner);
                if (kinds.length > 0) problems.push(`${where} holds what looks like a ${kinds.join(" and a ")}`);
                for (const { name: secret, needle } of secretNeedles()) if (inner.includes(needle)) problems.push(`${where} holds the test secret ${secret}`);
            } else if (Array.isArray(inner)) inner.forEach((item, i) => walk(item, `${where}[${i}]`));
            else if (typeof inner === "object" && inner !== null) {
                for (const [k, v] of Object.entries(inner)) if (k !== "secure") walk(v, `${where}.${k}`);
            }
        };
        walk(value, fullKey);
    }
    return problems;
}
