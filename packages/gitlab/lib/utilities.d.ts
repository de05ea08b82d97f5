import * as pulumi from "@pulumi/pulumi";
/**
 * The provider plugin version, read from this package's `package.json` (`pulumi.version`), so that the pin lives in
 * exactly one place: the same field the Pulumi CLI reads to install the plugin.
 */
export declare const pluginVersion: string;
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
export declare function schemaOf<Args, Outputs extends string>(schema: {
    inputs: {
        [K in keyof Required<Args>]: true;
    };
    required: readonly (keyof Args & string)[];
    outputs: {
        [K in Outputs]: true;
    };
    secretInputs?: readonly (keyof Args & string)[];
    secretOutputs?: readonly Outputs[];
}): ResourceSchema;
/** Default resource options of every class in this package: the pinned plugin version, like `@pulumi/gitlab` does. */
export declare function resourceOptsDefaults(): {
    version: string;
};
/**
 * Property bag for `pulumi.CustomResource`: declared inputs (secret ones wrapped), and every output-only name set to
 * `undefined` so the engine fills it. Unknown keys are refused because the provider would ignore them silently.
 */
export declare function resourceProps(type: string, schema: ResourceSchema, args: object | undefined, opts: pulumi.CustomResourceOptions | undefined): pulumi.Inputs;
/** Resource options: the pinned version first (a caller may override it on purpose), then the secret outputs. */
export declare function resourceOpts<T extends pulumi.ResourceOptions>(schema: ResourceSchema, opts: T | undefined): T;
