"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.pluginVersion = void 0;
exports.schemaOf = schemaOf;
exports.resourceOptsDefaults = resourceOptsDefaults;
exports.resourceProps = resourceProps;
exports.resourceOpts = resourceOpts;
const pulumi = require("@pulumi/pulumi");
const fs_1 = require("fs");
const path_1 = require("path");
/**
 * The provider plugin version, read from this package's `package.json` (`pulumi.version`), so that the pin lives in
 * exactly one place: the same field the Pulumi CLI reads to install the plugin.
 */
exports.pluginVersion = JSON.parse((0, fs_1.readFileSync)((0, path_1.join)(__dirname, "..", "package.json"), "utf8")).pulumi.version;
/** Builds a {@link ResourceSchema} whose input and output lists are checked against the TypeScript types. */
function schemaOf(schema) {
    return {
        inputs: Object.keys(schema.inputs),
        required: [...schema.required],
        outputs: Object.keys(schema.outputs),
        secretInputs: [...(schema.secretInputs ?? [])],
        secretOutputs: [...(schema.secretOutputs ?? [])],
    };
}
/** Default resource options of every class in this package: the pinned plugin version, like `@pulumi/gitlab` does. */
function resourceOptsDefaults() {
    return { version: exports.pluginVersion };
}
/**
 * Property bag for `pulumi.CustomResource`: declared inputs (secret ones wrapped), and every output-only name set to
 * `undefined` so the engine fills it. Unknown keys are refused because the provider would ignore them silently.
 */
function resourceProps(type, schema, args, opts) {
    const given = (args ?? {});
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
    const props = {};
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
function resourceOpts(schema, opts) {
    const withVersion = pulumi.mergeOptions(resourceOptsDefaults(), opts);
    if (schema.secretOutputs.length === 0) {
        return withVersion;
    }
    return pulumi.mergeOptions(withVersion, { additionalSecretOutputs: [...schema.secretOutputs] });
}
