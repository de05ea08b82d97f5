import * as pulumi from "@pulumi/pulumi";
import { readFileSync } from "fs";
import { join } from "path";

/**
 * The provider plugin version, read from this package's `package.json` (`pulumi.version`), so that the pin lives in
 * exactly one place: the same field the Pulumi CLI reads to install the plugin.
 */
export const pluginVersion: string = (JSON.parse(readFileSync(join(__dirname, "..", "package.json"), "utf8")) as { pulumi: { version: string } }).pulumi.version;

/**
 * What the binding declares for one resource token. Tests compare it with the provider's schema facts.
 */
export interface ResourceSchema {
    /** Input property names this binding passes to the provider. */
    readonly inputs: readonly string[];
    /** Inputs the provider requires; the constructor refuses to register without them. */
    readonly required: readonly string[];
    /** Output property names the class exposes (inputs echoed back plus computed ones). */
    readonly outputs: readonly string[];
    /** Inputs wrapped in `pulumi.secret` before they are sent. */
    readonly secretInputs: readonly string[];
    /** Outputs passed as `additionalSecretOutputs`, so state keeps them encrypted. */
    readonly secretOutputs: readonly string[];
}

/** Builds a {@link ResourceSchema} whose input and output lists are checked against the TypeScript types. */
export function schemaOf<Args, Outputs extends string>(schema: {
    inputs: { [K in keyof Required<Args>]: true };
    required: readonly (keyof Args & string)[];
    outputs: { [K in Outputs]: true };
    secretInputs?: readonly (keyof Args & string)[];
    secretOutputs?: readonly Outputs[];
}): ResourceSchema {
    return {
        inputs: Object.keys(schema.inputs),
        required: [...schema.required],
        outputs: Object.keys(schema.outputs),
        secretInputs: [...(schema.secretInputs ?? [])],
        secretOutputs: [...(schema.secretOutputs ?? [])],
    };
}

/** Default resource options of every class in this package: the pinned plugin version, like `@pulumi/gitlab` does. */
export function resourceOptsDefaults(): { version: string } {
    return { version: pluginVersion };
}

/**
 * Property bag for `pulumi.CustomResource`: declared inputs (secret ones wrapped), and every output-only name set to
 * `undefined` so the engine fills it. Unknown keys are refused because the provider would ignore them silently.
 */
export function resourceProps(
    type: string,
    schema: ResourceSchema,
    args: object | undefined,
    opts: pulumi.CustomResourceOptions | undefined,
): pulumi.Inputs {
    const given = (args ?? {}) as Record<string, unknown>;
    const unknown = Object.keys(given).filter((key) => !schema.inputs.includes(key));
    if (unknown.length > 0) {
        throw new Error(`${type}: unknown input(s) ${unknown.join(", ")}; allowed: ${schema.inputs.join(", ")}`);
    }
    if (!opts?.urn) {
        const missing = schema.required.filter((key) => given[key] === undefined);
        if (missing.length > 0) {
            throw new Error(`${type}: missing required property ${missing.map((k) => `'${k}'`).join(", ")}`);
        }
    }
    const props: Record<string, unknown> = {};
    for (const key of schema.inputs) {
        const value = given[key];
        props[key] = value !== undefined && schema.secretInputs.includes(key) ? pulumi.secret(value) : value;
    }
    for (const key of schema.outputs) {
        if (!(key in props)) {
            props[key] = undefined;
        }
    }
    return props;
}

/** Resource options: the pinned version first (a caller may override it on purpose), then the secret outputs. */
export function resourceOpts<T extends pulumi.ResourceOptions>(schema: ResourceSchema, opts: T | undefined): T {
    const withVersion = pulumi.mergeOptions(resourceOptsDefaults(), opts) as T;
    if (schema.secretOutputs.length === 0) {
        return withVersion;
    }
    return pulumi.mergeOptions(withVersion, { additionalSecretOutputs: [...schema.secretOutputs] }) as T;
}
