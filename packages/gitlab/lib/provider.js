"use strict";
Object.defineProperty(exports, "__esModule", { value: true });
exports.Provider = void 0;
const pulumi = require("@pulumi/pulumi");
const utilities_1 = require("./utilities");
/** Config keys whose values are not strings: the provider expects them JSON-encoded, as `@pulumi/gitlab` sends them. */
const jsonEncodedConfig = ["earlyAuthCheck", "enableAutoCiSupport", "headers", "insecure", "retries"];
/**
 * An explicit instance of the official `gitlab` resource provider (type `pulumi:providers:gitlab`).
 */
class Provider extends pulumi.ProviderResource {
    /** Package name; the engine types this resource `pulumi:providers:gitlab`. */
    static __pulumiType = "gitlab";
    /** Inputs, outputs and secrets this binding declares for the provider. */
    static schema = (0, utilities_1.schemaOf)({
        inputs: {
            baseUrl: true, cacertFile: true, clientCert: true, clientKey: true, configFile: true, context: true,
            earlyAuthCheck: true, enableAutoCiSupport: true, headers: true, insecure: true, retries: true, token: true,
        },
        required: [],
        outputs: { baseUrl: true, cacertFile: true, clientCert: true, clientKey: true, configFile: true, context: true, token: true },
        secretInputs: ["token"],
        secretOutputs: ["token"],
    });
    /** Whether `obj` is an instance of this provider, also across copies of this package. */
    static isInstance(obj) {
        return pulumi.ProviderResource.isInstance(obj) && obj.__pulumiType === "pulumi:providers:gitlab";
    }
    constructor(name, args, opts) {
        const props = (0, utilities_1.resourceProps)("pulumi:providers:gitlab", Provider.schema, args, undefined);
        for (const key of jsonEncodedConfig) {
            if (props[key] !== undefined) {
                props[key] = pulumi.output(props[key]).apply((value) => JSON.stringify(value));
            }
        }
        super(Provider.__pulumiType, name, props, (0, utilities_1.resourceOpts)(Provider.schema, opts));
    }
}
exports.Provider = Provider;
